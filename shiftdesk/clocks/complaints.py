"""Complaint clocks and escalation (投诉, domain §4) as pure functions.

Scheme A (000, CP-1..CP-4), clocks start when the complaint was received:

- ``department`` CP-1, 一般 (general): the department reports the fix to the desk within
  ``a_general_department_minutes`` (20).
- ``answer`` CP-1, 一般: the customer is answered within ``a_general_answer_minutes`` (30).
- ``fix`` CP-2, 重要 (important): fixed within ``a_important_fix_hours`` (12 h).
- ``answer`` CP-3, 重大 (major): the customer is told how it is handled within
  ``a_major_answer_minutes`` (30).
- ``handled`` CP-4, every complaint: handled (resolved) or the customer given feedback
  (answered) within ``a_all_handled_hours`` (12 h).

Scheme B (002, CP-8/CP-9/CP-11):

- ``response`` CP-11: a response (the customer answered) within
  ``b_response_working_days`` working days (1), counted in working time: the working days
  and hours of ``complaints.working_days`` / ``working_day_start`` / ``working_day_end``.
  Received Monday 10:00 -> due Tuesday 10:00; Friday 17:00 -> Monday 17:00; Saturday or
  Monday 20:00 -> the end of the next working day (18:00).

Escalation (CP-9, CP-3): ``escalation`` gives the level a complaint should have now and why.
Scheme B: 10+ complainants or unresolved after ``b_major_after_days`` (30) -> 重大;
3+ complainants, a repeat complaint, or unresolved after ``b_hot_after_days`` (7) -> 热点.
Scheme A: unresolved after a month (CP-3 c), a repeat complaint raised again without result
(CP-3 a) and a collective complaint of 10+ (CP-9's threshold, inferred) -> 重大.
Levels only ever go up. A level-specific clock of a complaint escalated into that level
starts at ``escalated_at`` (the moment it became major, say), not at reception.

``complaint`` is anything with the Complaint model's attribute names. Nothing here reads the
database or the wall clock: ``now`` is passed in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from shiftdesk.clocks import Clock
from shiftdesk.clocks.callbacks import CallbackKind
from shiftdesk.clocks.callbacks import callback_clock as shared_callback_clock
from shiftdesk.config import Settings
from shiftdesk.timeutil import as_utc, parse_hhmm, zone

SCHEMES = ("A", "B")
#: levels per scheme, lowest first (stable keys; the screens translate them)
LEVELS: dict[str, tuple[str, ...]] = {
    "A": ("general", "important", "major"),
    "B": ("general", "hot", "major"),
}
#: scheme B cause classes (CP-8): 1 service, 2 building/developer, 3 external
CAUSE_CLASSES = ("1", "2", "3")
#: statuses in which a complaint is still being worked on
OPEN_STATUSES = ("open", "answered")


class ComplaintLike(Protocol):
    scheme: str
    level: str
    complainants: int
    repeat: bool
    status: str
    received_at: datetime
    department_reported_at: datetime | None
    answered_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None


# ------------------------------------------------------------------------ working time


def working_deadline(start: datetime, days: int | float, settings: Settings) -> datetime:
    """``start`` plus ``days`` working days of working time (CP-11), in UTC.

    A working day is the span ``working_day_start``-``working_day_end`` on a weekday listed
    in ``working_days`` (1 = Monday). Time outside those spans does not count. Without any
    working day configured, calendar days are used.
    """
    cfg = settings.complaints
    tz = zone(settings.site.timezone)
    open_at, close_at = parse_hhmm(cfg.working_day_start), parse_hhmm(cfg.working_day_end)
    workdays = {d for d in cfg.working_days if 1 <= d <= 7}
    start_utc = as_utc(start)
    day_span = datetime.combine(start_utc.date(), close_at) - datetime.combine(
        start_utc.date(), open_at
    )
    if not workdays or day_span <= timedelta(0):
        return start_utc + timedelta(days=days)
    remaining = day_span * days
    cursor = start_utc.astimezone(tz)
    for _ in range(3700):  # ten years of days: a bound, never reached with a sane config
        if cursor.isoweekday() in workdays:
            day_open = datetime.combine(cursor.date(), open_at, tzinfo=tz)
            day_close = datetime.combine(cursor.date(), close_at, tzinfo=tz)
            cursor = max(cursor, day_open)
            if cursor < day_close:
                available = day_close - cursor
                if remaining <= available:
                    return (cursor + remaining).astimezone(UTC)
                remaining -= available
        next_day = cursor.date() + timedelta(days=1)
        cursor = datetime.combine(next_day, open_at, tzinfo=tz)
    raise ValueError("working-day deadline out of range")


# ------------------------------------------------------------------------ clocks


def _started(complaint: ComplaintLike, level: str) -> datetime:
    """A level-specific clock starts at reception, or when the complaint reached that level."""
    received = as_utc(complaint.received_at)
    if complaint.escalated_at is not None and complaint.level == level:
        return max(received, as_utc(complaint.escalated_at))
    return received


def _done_after(moment: datetime | None, started: datetime) -> datetime | None:
    """A step counts for a clock only if it happened after the clock started."""
    if moment is None:
        return None
    moment = as_utc(moment)
    return moment if moment >= started else None


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [as_utc(m) for m in moments if m is not None]
    return min(present) if present else None


def complaint_clocks(complaint: ComplaintLike, settings: Settings) -> list[Clock]:
    """Every clock on a complaint under its own scheme (fixed when it was opened)."""
    cfg = settings.complaints
    received = as_utc(complaint.received_at)
    clocks: list[Clock] = []
    if complaint.scheme == "B":
        clocks.append(
            Clock(
                kind="response",
                rule="CP-11",
                started_at=received,
                due_at=working_deadline(received, cfg.b_response_working_days, settings),
                done_at=_earliest(complaint.answered_at, complaint.resolved_at),
            )
        )
        return clocks
    level = complaint.level
    if level == "general":
        clocks.append(
            Clock(
                kind="department",
                rule="CP-1",
                started_at=received,
                due_at=received + timedelta(minutes=cfg.a_general_department_minutes),
                done_at=complaint.department_reported_at,
            )
        )
        clocks.append(
            Clock(
                kind="answer",
                rule="CP-1",
                started_at=received,
                due_at=received + timedelta(minutes=cfg.a_general_answer_minutes),
                done_at=complaint.answered_at,
            )
        )
    elif level == "important":
        started = _started(complaint, "important")
        clocks.append(
            Clock(
                kind="fix",
                rule="CP-2",
                started_at=started,
                due_at=started + timedelta(hours=cfg.a_important_fix_hours),
                done_at=_done_after(complaint.resolved_at, started),
            )
        )
    elif level == "major":
        started = _started(complaint, "major")
        clocks.append(
            Clock(
                kind="answer",
                rule="CP-3",
                started_at=started,
                due_at=started + timedelta(minutes=cfg.a_major_answer_minutes),
                done_at=_done_after(complaint.answered_at, started),
            )
        )
    clocks.append(
        Clock(
            kind="handled",
            rule="CP-4",
            started_at=received,
            due_at=received + timedelta(hours=cfg.a_all_handled_hours),
            done_at=_earliest(complaint.resolved_at, complaint.answered_at),
        )
    )
    return clocks


def is_open(complaint: ComplaintLike) -> bool:
    return complaint.status in OPEN_STATUSES


class CallbackLike(Protocol):
    done_at: datetime | None


def callback_clock(
    complaint: ComplaintLike, settings: Settings, callback: CallbackLike | None
) -> Clock | None:
    """The callback owed once the complaint is resolved (CB-1; ``callbacks.complaint_days``,
    CB-3's week or CB-4's three days), judged by the shared callback clock (CB-2)."""
    if callback is None or complaint.resolved_at is None:
        return None
    return shared_callback_clock(
        CallbackKind.COMPLAINT, complaint.resolved_at, settings, done_at=callback.done_at
    )


def visible_clocks(
    complaint: ComplaintLike, settings: Settings, callback: CallbackLike | None = None
) -> list[Clock]:
    """The clocks to show: all of an open complaint; of a closed one, those that ran out;
    then its callback once it was resolved."""
    clocks = complaint_clocks(complaint, settings)
    if not is_open(complaint):
        clocks = [c for c in clocks if c.done_at is not None]
    owed = callback_clock(complaint, settings, callback)
    return [*clocks, owed] if owed is not None else clocks


def next_clock(complaint: ComplaintLike, settings: Settings) -> Clock | None:
    """The open clock due first on an open complaint (None when all are done or closed)."""
    if not is_open(complaint):
        return None
    waiting = [c for c in complaint_clocks(complaint, settings) if c.done_at is None]
    return min(waiting, key=lambda c: c.due_at) if waiting else None


def next_due(
    complaint: ComplaintLike, settings: Settings, callback: CallbackLike | None
) -> Clock | None:
    """What the lists count down: the next clock of an open complaint, else a resolved
    complaint's callback still owed (CB-1)."""
    clock = next_clock(complaint, settings)
    if clock is None:
        owed = callback_clock(complaint, settings, callback)
        if owed is not None and owed.done_at is None:
            return owed
    return clock


# ------------------------------------------------------------------------ escalation


def level_rank(scheme: str, level: str) -> int:
    levels = LEVELS.get(scheme, ())
    return levels.index(level) if level in levels else -1


def initial_level(
    scheme: str, level: str, complainants: int, repeat: bool, settings: Settings
) -> tuple[str, str]:
    """The level a complaint is opened at, raised by CP-9 / CP-3 if the facts say so.

    Returns (level, reason); the reason is "" when the chosen level stands.
    """
    cfg = settings.complaints
    wanted, reason = level, ""

    def raise_to(target: str, why: str) -> None:
        nonlocal wanted, reason
        if level_rank(scheme, target) > level_rank(scheme, wanted):
            wanted, reason = target, why

    if scheme == "B":
        if complainants >= cfg.b_hot_complainants:
            raise_to("hot", "complainants")
        if repeat:
            raise_to("hot", "repeat")
        if complainants >= cfg.b_major_complainants:
            raise_to("major", "complainants")
    else:
        if repeat:
            raise_to("major", "repeat")  # CP-3 (a): raised again without result
        if complainants >= cfg.b_major_complainants:
            raise_to("major", "complainants")
    return wanted, reason


def escalation(
    complaint: ComplaintLike, settings: Settings, now: datetime
) -> tuple[str, str] | None:
    """(new level, reason) if CP-9 / CP-3 raise an open complaint's level at ``now``, else None.

    Reasons are stable keys: ``complainants``, ``repeat``, ``week`` (unresolved after
    ``b_hot_after_days``), ``month`` (unresolved after ``b_major_after_days``). The
    moment ``now`` equal to received + 7 days is not yet overdue; one second later is.
    """
    if not is_open(complaint) or complaint.resolved_at is not None:
        base = None
    else:
        base = initial_level(
            complaint.scheme, complaint.level, complaint.complainants, complaint.repeat, settings
        )
    if base is None:
        return None
    cfg = settings.complaints
    wanted, reason = base
    age = as_utc(now) - as_utc(complaint.received_at)

    def raise_to(target: str, why: str) -> None:
        nonlocal wanted, reason
        if level_rank(complaint.scheme, target) > level_rank(complaint.scheme, wanted):
            wanted, reason = target, why

    if complaint.scheme == "B" and age > timedelta(days=cfg.b_hot_after_days):
        raise_to("hot", "week")
    if age > timedelta(days=cfg.b_major_after_days):
        raise_to("major", "month")
    if level_rank(complaint.scheme, wanted) > level_rank(complaint.scheme, complaint.level):
        return wanted, reason
    return None


# ------------------------------------------------------------------------ CP-16 reports

#: the levels CP-16 asks a handling form and a special report of (重大 / 热点)
REPORTED_LEVELS = ("major", "hot")


class ReportLike(Protocol):
    form_sent_at: datetime | None
    report_sent_at: datetime | None


def needs_special_report(complaint: ComplaintLike) -> bool:
    return complaint.level in REPORTED_LEVELS


def report_clocks(
    complaint: ComplaintLike, settings: Settings, report: ReportLike | None
) -> list[Clock]:
    """CP-16 / S-7 for a major or hot complaint: the handling form within
    ``complaints.form_working_days`` working days of it becoming major or hot (at reception,
    or when it was escalated), and, once it is resolved, the special report within
    ``complaints.special_report_days``. None for another level."""
    if not needs_special_report(complaint):
        return []
    cfg = settings.complaints
    started = _started(complaint, complaint.level)
    clocks = [
        Clock(
            kind="form",
            rule="CP-16",
            started_at=started,
            due_at=working_deadline(started, cfg.form_working_days, settings),
            done_at=report.form_sent_at if report else None,
        )
    ]
    if complaint.resolved_at is not None:
        done = as_utc(complaint.resolved_at)
        clocks.append(
            Clock(
                kind="special_report",
                rule="CP-16",
                started_at=done,
                due_at=done + timedelta(days=cfg.special_report_days),
                done_at=report.report_sent_at if report else None,
            )
        )
    return clocks
