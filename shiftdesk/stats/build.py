"""Assemble the nightly, monthly and range reports as plain dicts (the JSON contract).

Where a figure belongs (documented in docs/statistics.md):

- A record belongs to the local day of its first instant: a call or complaint to when it
  was received, a work order to when it was reported, a parcel to when it was checked in;
  a callback to the day it falls due.
- Status figures (completed, uncompleted, open, waiting ...) are as things stood at the end
  of the period, computed from timestamps, so a past day's report never changes.
- On-time / late verdicts come from the clock functions (``stats.judge``) as of
  ``generated_at``: an order reported at 23:59 and dispatched at 00:02 counts on its day and
  is judged on its real dispatch time. Clocks not yet due are counted as pending.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine, Row

from shiftdesk.config import Settings
from shiftdesk.errors import NotFound
from shiftdesk.i18n import t
from shiftdesk.stats import judge, queries
from shiftdesk.stats.periods import Period, day_period, month_period, range_period
from shiftdesk.timeutil import to_local, utcnow

SCHEMA_VERSION = 1

#: the clock kinds (``Clock.kind``) of the work-order clocks the report counts
DISPATCH_KIND = "dispatch"
ARRIVAL_KIND = "arrival"
RETURN_KIND = "return"

SCHEME_A_LEVELS = ("general", "important", "major")
SCHEME_B_LEVELS = ("general", "hot", "major")
SCHEME_B_CLASSES = ("1", "2", "3")
CALLBACK_OUTCOMES = ("satisfied", "unsatisfied", "unreachable")

#: S-6: the same matter complained about this many times, the same repair this many times
REPEAT_COMPLAINT_TIMES = 2
REPEAT_REPAIR_TIMES = 3


# ---------------------------------------------------------------------------- helpers


def iso(value: datetime | None, tz: str) -> str | None:
    """Site-local ISO 8601 with its offset (unambiguous for scripts, readable for people)."""
    if value is None:
        return None
    return to_local(value, tz).isoformat(timespec="seconds")


def rate(done: int, due: int) -> float | None:
    return round(done / due, 4) if due else None


def _site_rows(conn: Connection, site: str | None) -> list[Row[Any]]:
    rows = queries.site_rows(conn, site)
    if site is not None and not rows:
        raise NotFound(t("cli.unknown_site", code=site))
    return rows


def _hourly(buckets: dict[int, int], period: Period) -> list[dict[str, Any]]:
    """Hour buckets (whole hours since the period's start) as local hours with counts."""
    hours = int((period.end - period.start).total_seconds() // 3600)
    out = []
    for i in range(hours):
        local = to_local(period.start + timedelta(hours=i), period.tz)
        out.append({"hour": local.strftime("%H:00"), "calls": buckets.get(i, 0)})
    return out


def _per_day(buckets: dict[int, int], period: Period) -> dict[date, int]:
    out: dict[date, int] = dict.fromkeys(period.day_list(), 0)
    for i, n in buckets.items():
        day = to_local(period.start + timedelta(hours=i), period.tz).date()
        out[day] = out.get(day, 0) + n
    return out


# ---------------------------------------------------------------------------- the SQL


@dataclass
class Fetched:
    """Everything the SQL returns for one site and period: the report's query work.

    ``fetch`` runs every statement; the sections below only compute from what it returned
    (the clock verdicts, medians, shapes), so the two phases can be timed apart.
    """

    counts: dict[str, int]
    calls: dict[str, Any]
    complaint_groups: list[tuple[Any, ...]]
    complaint_rows: list[Row[Any]]
    order_groups: list[tuple[Any, ...]]
    order_rows: list[Row[Any]]
    unfinished: list[Row[Any]]
    callback_rows: list[Row[Any]]


def fetch(
    conn: Connection, site_id: int, period: Period, settings: Settings | None = None
) -> Fetched:
    """Every statement of the report. ``settings`` gives the parcel reminder rule (P-9) the
    overdue count is taken with (default: the built-in default's)."""
    from shiftdesk.clocks.parcels import overdue_cutoff

    start, end = period.start, period.end
    remind_after = (settings or Settings()).parcels.remind_after_days
    orders = queries.order_rows(conn, site_id, start, end)
    return Fetched(
        counts=queries.counts(
            conn, site_id, start, end, overdue_cutoff=overdue_cutoff(end, remind_after)
        ),
        calls=queries.calls_summary(conn, site_id, start, end),
        complaint_groups=queries.complaints_summary(conn, site_id, start, end),
        complaint_rows=queries.complaint_rows(conn, site_id, start, end),
        order_groups=queries.order_groups(orders),
        order_rows=orders,
        unfinished=queries.unfinished_orders(orders),
        callback_rows=queries.callback_rows(conn, site_id, start, end),
    )


# ---------------------------------------------------------------------------- sections


def _calls(data: Fetched) -> tuple[dict[str, Any], dict[int, int]]:
    summary = dict(data.calls)
    buckets = summary.pop("buckets")
    return summary, buckets


def _complaints(
    data: Fetched, settings: Settings, now: datetime
) -> tuple[dict[str, Any], judge.Verdicts]:
    scheme = settings.complaints.scheme
    groups = data.complaint_groups
    levels = SCHEME_A_LEVELS if scheme == "A" else SCHEME_B_LEVELS
    by_severity: Counter[str] = Counter(dict.fromkeys(levels, 0))
    by_cause: Counter[str] = Counter(dict.fromkeys(SCHEME_B_CLASSES, 0))
    total = still_open = repeat = 0
    for _scheme, level, cause, is_open, is_repeat, n in groups:
        total += n
        by_severity[level] += n
        by_cause[cause or "unclassified"] += n
        still_open += n if is_open else 0
        repeat += n if is_repeat else 0
    by_class = dict(by_severity) if scheme == "A" else dict(by_cause)
    verdicts = judge.complaint_verdicts(data.complaint_rows, settings, now)
    answered = judge.record_tally(verdicts, judge.ANSWER_KINDS, judge.ANSWER_FALLBACK_KINDS)
    section = {
        "scheme": scheme,
        "total": total,
        "by_class": by_class,
        "by_severity": dict(by_severity),
        "answered_on_time": answered.on_time,
        "answered_late": answered.late,
        "answer_pending": answered.pending,
        "open": still_open,
        "escalated": data.counts["escalated"],
        "repeat": repeat,
    }
    return section, verdicts


def _order_groups(groups: list[tuple[Any, ...]]) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    by_trade: dict[str, Counter[str]] = {}
    by_assignee: dict[str, Counter[str]] = {}
    by_priority: Counter[str] = Counter()
    for trade, priority, assignee, state, rework, n in groups:
        for bucket in (
            totals,
            by_trade.setdefault(trade, Counter()),
            by_assignee.setdefault(assignee or "", Counter()),
        ):
            bucket["created"] += n
            bucket[state] += n
            bucket["rework"] += n if rework else 0
        by_priority[priority] += n
    return {
        "totals": totals,
        "by_trade": by_trade,
        "by_assignee": by_assignee,
        "by_priority": by_priority,
    }


def _breakdown(groups: dict[str, Counter[str]], key: str) -> list[dict[str, Any]]:
    out = []
    for name in sorted(groups, key=lambda k: (-groups[k]["created"], k)):
        c = groups[name]
        out.append(
            {
                key: name,
                "created": c["created"],
                "completed": c["completed"],
                "uncompleted": c["uncompleted"],
                "cancelled": c["cancelled"],
                "rework": c["rework"],
            }
        )
    return out


def _unfinished(rows: list[Row[Any]], tz: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "unit": r.unit or "",
            "location": r.location or "",
            "trade": r.trade,
            "priority": r.priority,
            "team": r.team or "",
            "assignee": r.assignee or "",
            "stage": r.stage,
            "reported_at": iso(r.reported_at, tz),
            "reason": r.unfinished_reason or "",
            "summary": r.summary or "",
        }
        for r in rows
    ]


def _orders(
    data: Fetched, settings: Settings, now: datetime
) -> tuple[dict[str, Any], dict[str, Any], judge.Verdicts]:
    grouped = _order_groups(data.order_groups)
    totals = grouped["totals"]
    verdicts = judge.order_verdicts(data.order_rows, settings, now)
    dispatch = verdicts.tally(DISPATCH_KIND)
    arrival = verdicts.tally(ARRIVAL_KIND)
    returned = verdicts.tally(RETURN_KIND)
    section = {
        "created": totals["created"],
        "completed": totals["completed"],
        "uncompleted": totals["uncompleted"],
        "cancelled": totals["cancelled"],
        "dispatch_on_time": dispatch.on_time,
        "dispatch_late": dispatch.late,
        "dispatch_pending": dispatch.pending,
        "arrival_on_time": arrival.on_time,
        "arrival_late": arrival.late,
        "arrival_pending": arrival.pending,
        "return_on_time": returned.on_time,
        "return_late": returned.late,
        "return_pending": returned.pending,
        "median_dispatch_seconds": dispatch.median_seconds(),
        "median_arrival_seconds": arrival.median_seconds(),
        "rework": totals["rework"],
        "by_priority": dict(grouped["by_priority"]),
        "completed_in_period": data.counts["completed_in_period"],
    }
    return section, grouped, verdicts


def _callbacks(
    data: Fetched, settings: Settings, now: datetime, about: str | None = None
) -> tuple[dict[str, Any], judge.Verdicts]:
    """Callbacks due in the period: all of them, or only those ``about`` work orders
    (``"work_order"``) or complaints (``"complaint"``, CB-1: every complaint is called back)."""
    rows = data.callback_rows
    if about is not None:
        rows = [r for r in rows if getattr(r, f"{about}_id") is not None]
    verdicts = judge.callback_verdicts(rows, settings, now)
    done = sum(1 for r in rows if r.done_at is not None)
    tally = verdicts.tally(judge.CALLBACK_KIND)
    return (
        {
            "due": len(rows),
            "done": done,
            "on_time": tally.on_time,
            "late": tally.late,
            "pending": tally.pending,
            "rate": rate(done, len(rows)),
        },
        verdicts,
    )


def _parcels(data: Fetched) -> dict[str, Any]:
    summary = data.counts
    return {
        "received": summary["received"],
        "picked_up": summary["picked_up"],
        "waiting": summary["waiting"],
        # P-9 at the end of the period, counted against the parcel clock's own cutoff
        "overdue_7d": summary["overdue_7d"],
        "reminders_sent": summary["reminders_sent"],
        "returned": summary["returned"],
        "refused": summary["refused"],
    }


def _breach_list(breaches: list[judge.Breach], tz: str, now: datetime) -> list[dict[str, Any]]:
    out = []
    for b in sorted(breaches, key=lambda b: (b.due, b.record, b.record_id, b.kind)):
        late_by = ((b.actual or now) - b.due).total_seconds()
        out.append(
            {
                "record": b.record,
                "id": b.record_id,
                "clock": b.kind,
                "rule": b.rule,
                "started": iso(b.started, tz),
                "due": iso(b.due, tz),
                "actual": iso(b.actual, tz),
                "late_seconds": int(late_by),
            }
        )
    return out


def _header(kind: str, site: Row[Any], period: Period, now: datetime) -> dict[str, Any]:
    head: dict[str, Any] = {
        "report": kind,
        "schema_version": SCHEMA_VERSION,
        "site": site.code,
        "site_name": site.name,
    }
    if kind == "nightly":
        head["date"] = period.first.isoformat()
    else:
        head["period"] = period.label
    head.update(
        {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "timezone": period.tz,
            "start": iso(period.start, period.tz),
            "end": iso(period.end, period.tz),
            "generated_at": iso(now, period.tz),
        }
    )
    return head


# ---------------------------------------------------------------------------- reports


def nightly_report(
    conn: Connection, settings: Settings, site: Row[Any], period: Period, now: datetime
) -> dict[str, Any]:
    """The day's report (S-1, S-2): calls, complaints, orders, parcels and every breach."""
    return nightly_from(fetch(conn, site.id, period, settings), settings, site, period, now)


def nightly_from(
    data: Fetched, settings: Settings, site: Row[Any], period: Period, now: datetime
) -> dict[str, Any]:
    """The nightly report computed from its fetched rows (no SQL from here on)."""
    calls, buckets = _calls(data)
    calls["by_hour"] = _hourly(buckets, period)
    complaints, complaint_verdicts = _complaints(data, settings, now)
    orders, _grouped, order_verdicts = _orders(data, settings, now)
    callbacks, order_callbacks = _callbacks(data, settings, now, "work_order")
    orders.update(
        {
            "callbacks_due": callbacks["due"],
            "callbacks_done": callbacks["done"],
            "callbacks_on_time": callbacks["on_time"],
            "callback_rate": callbacks["rate"],
            "unfinished": _unfinished(data.unfinished, period.tz),
        }
    )
    called_back, complaint_callbacks = _callbacks(data, settings, now, "complaint")
    complaints.update(
        {
            "callbacks_due": called_back["due"],
            "callbacks_done": called_back["done"],
            "callback_rate": called_back["rate"],
        }
    )
    breaches = (
        order_verdicts.breaches
        + complaint_verdicts.breaches
        + order_callbacks.breaches
        + complaint_callbacks.breaches
    )
    return {
        **_header("nightly", site, period, now),
        "calls": calls,
        "complaints": complaints,
        "work_orders": orders,
        "parcels": _parcels(data),
        "breaches": _breach_list(breaches, period.tz, now),
    }


def _rework_list(rows: list[Row[Any]], tz: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "rework_of": r.rework_of_id,
            "unit": r.unit or "",
            "location": r.location or "",
            "trade": r.trade,
            "assignee": r.assignee or "",
            "original_assignee": r.original_assignee or "",
            "original_completed_at": iso(r.original_completed_at, tz),
            "original_result": r.original_result or "",
            "reported_at": iso(r.reported_at, tz),
            "stage": r.stage,
            "summary": r.summary or "",
        }
        for r in rows
    ]


def _complaint_list(rows: list[Row[Any]], tz: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "received_at": iso(r.received_at, tz),
            "unit": r.unit or "",
            "scheme": r.scheme,
            "level": r.level,
            "class": r.cause_class or "",
            "department": r.department or "",
            "status": r.status,
            "repeat": bool(r.repeat),
            "escalation_reason": r.escalation_reason or "",
            "summary": r.summary or "",
        }
        for r in rows
    ]


def period_report(
    conn: Connection,
    settings: Settings,
    site: Row[Any],
    period: Period,
    now: datetime,
    *,
    kind: str,
) -> dict[str, Any]:
    """Monthly (S-3, S-4, callbacks) and range (S-4 weekly, S-6 quarterly) reports."""
    start, end, tz = period.start, period.end, period.tz
    data = fetch(conn, site.id, period, settings)
    calls, call_buckets = _calls(data)
    complaints, complaint_verdicts = _complaints(data, settings, now)
    complaints["by_department"] = queries.complaints_by_department(conn, site.id, start, end)
    complaints["notable"] = _complaint_list(
        queries.notable_complaints(conn, site.id, start, end), tz
    )
    orders, grouped, order_verdicts = _orders(data, settings, now)
    orders["by_trade"] = _breakdown(grouped["by_trade"], "trade")
    orders["by_assignee"] = _breakdown(grouped["by_assignee"], "assignee")
    orders["unfinished"] = _unfinished(data.unfinished, tz)
    orders["rework_orders"] = _rework_list(queries.rework_orders(conn, site.id, start, end), tz)
    callbacks, callback_verdicts = _callbacks(data, settings, now)
    outcomes = queries.callback_outcomes(conn, site.id, start, end)
    callbacks["by_outcome"] = {o: outcomes.get(o, 0) for o in CALLBACK_OUTCOMES}
    unsatisfied = queries.unsatisfied_callbacks(conn, site.id, start, end)
    callbacks["unsatisfied"] = [
        {
            "id": r.id,
            "kind": r.kind,
            "done_at": iso(r.done_at, tz),
            "work_order_id": r.work_order_id,
            "complaint_id": r.complaint_id,
            "unit": r.unit or "",
            "trade": r.trade or "",
            "assignee": r.assignee or "",
            "note": r.note or "",
        }
        for r in unsatisfied
    ]
    repeat_complaints = [
        {
            "unit": r.unit,
            "department": r.department or "",
            "complaints": int(r.complaints),
            "first": iso(r.first, tz),
            "last": iso(r.last, tz),
        }
        for r in queries.repeated_complaints(
            conn, site.id, start, end, at_least=REPEAT_COMPLAINT_TIMES
        )
    ]
    repeat_repairs = [
        {
            "unit": r.unit,
            "trade": r.trade,
            "orders": int(r.orders),
            "first": iso(r.first, tz),
            "last": iso(r.last, tz),
        }
        for r in queries.repeated_repairs(conn, site.id, start, end, at_least=REPEAT_REPAIR_TIMES)
    ]
    breaches = order_verdicts.breaches + complaint_verdicts.breaches + callback_verdicts.breaches
    by_rule: Counter[str] = Counter(b.rule for b in breaches)
    daily_calls = _per_day(call_buckets, period)
    daily_orders = _per_day(
        queries.hourly_counts(conn, queries.ORDER, "reported_at", site.id, start, end), period
    )
    daily_completed = _per_day(
        queries.hourly_counts(conn, queries.ORDER, "completed_at", site.id, start, end), period
    )
    daily_complaints = _per_day(
        queries.hourly_counts(conn, queries.COMPLAINT, "received_at", site.id, start, end),
        period,
    )
    daily = [
        {
            "date": d.isoformat(),
            "calls": daily_calls[d],
            "complaints": daily_complaints[d],
            "orders_created": daily_orders[d],
            "orders_completed": daily_completed[d],
        }
        for d in period.day_list()
    ]
    return {
        **_header(kind, site, period, now),
        "calls": calls,
        "complaints": complaints,
        "work_orders": orders,
        "callbacks": callbacks,
        "parcels": _parcels(data),
        "flags": {
            "unsatisfied_callbacks": len(callbacks["unsatisfied"]),
            "repeat_complaints": repeat_complaints,
            "repeat_repairs": repeat_repairs,
        },
        "breaches_by_rule": dict(sorted(by_rule.items())),
        "breaches_total": len(breaches),
        "daily": daily,
    }


def build(
    engine: Engine,
    settings: Settings,
    kind: str,
    *,
    site: str | None,
    date_text: str | None = None,
    month_text: str | None = None,
    from_text: str | None = None,
    to_text: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Build one report per site (``site`` None: every site), all in one read transaction."""
    now = now or utcnow()
    with engine.connect() as conn:
        reports = []
        for row in _site_rows(conn, site):
            if kind == "nightly":
                period = day_period(date_text, row.timezone, now)
                reports.append(nightly_report(conn, settings, row, period, now))
            elif kind == "monthly":
                period = month_period(month_text, row.timezone, now)
                reports.append(period_report(conn, settings, row, period, now, kind="monthly"))
            else:
                period = range_period(from_text or "", to_text or "", row.timezone)
                reports.append(period_report(conn, settings, row, period, now, kind="range"))
        return reports
