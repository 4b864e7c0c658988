"""The SQL behind the reports: counts and group-bys in the database, never ORM objects.

Every function takes an open ``Connection`` and the period's UTC bounds and returns plain
values (ints, dicts, rows). Counts and group-bys are aggregate SQL on the indexed timestamp
columns; where a figure needs a clock verdict, the few timestamp columns of the period's
records come back as lightweight ``Row`` tuples for ``stats.judge`` to hand to the pure
clock functions (the same ones the board and the call form use).

"As it stood at the end of the day" figures (completed, waiting, open ...) are computed from
the records' timestamps, not their current status, so a report for a past day comes out the
same whenever it is run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlmodel import SQLModel

from shiftdesk.models import Category, Channel

_T = SQLModel.metadata.tables


def _table(name: str) -> sa.Table:
    return _T[name]


CALL = _table("call")
COMPLAINT = _table("complaint")
ORDER = _table("work_order")
CALLBACK = _table("callback")
PARCEL = _table("parcel")
NOTIFICATION = _table("notification")
UNIT = _table("unit")
SITE = _table("site")

#: work-order stages that still need work (the board's open orders)
OPEN_STAGES = ("reported", "dispatched", "accepted", "arrived", "unfinished")

CATEGORIES = [c.value for c in Category]
#: how long before a reminder's sending its not_before may lie (see parcels_summary)
REMINDER_MARGIN = timedelta(days=7)
CHANNELS = [c.value for c in Channel]


def _in(col: Any, start: datetime, end: datetime) -> Any:
    return sa.and_(col >= start, col < end)


def _hour_bucket(conn: Connection, col: Any, start: datetime) -> Any:
    """Whole hours elapsed since ``start``: exact integer arithmetic on both backends."""
    epoch = int(start.timestamp())
    if conn.dialect.name == "sqlite":
        secs = sa.cast(sa.func.strftime("%s", col), sa.Integer)
        return (secs - epoch) // 3600  # floor division of integers: whole hours
    return sa.func.floor((sa.extract("epoch", col) - epoch) / 3600)


def _unindexed(col: Any) -> Any:
    """``col`` as an expression no index can serve: steers the planner to the other term.

    "reported before the end" matches nearly every row of a year; paired with a selective
    indexed term (open stages, completed since the end) the planner must use that one.
    """
    return sa.type_coerce(sa.func.coalesce(col, col), col.type)


def _zeros(keys: Sequence[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def _count(conn: Connection, table: sa.Table, *where: Any) -> int:
    value = conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar()
    return int(value or 0)


# ---------------------------------------------------------------------------- sites


def site_rows(conn: Connection, code: str | None) -> list[Row[Any]]:
    """The site named by ``code``, or every site when ``code`` is None (``--site all``)."""
    query = sa.select(SITE.c.id, SITE.c.code, SITE.c.name, SITE.c.timezone).order_by(SITE.c.code)
    if code is not None:
        query = query.where(SITE.c.code == code)
    return list(conn.execute(query))


# ---------------------------------------------------------------------------- calls


def calls_summary(conn: Connection, site_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """Total, by category, by channel, night calls (R-5) and hourly counts in ONE group-by."""
    bucket = _hour_bucket(conn, CALL.c.received_at, start).label("bucket")
    query = (
        sa.select(CALL.c.category, CALL.c.channel, CALL.c.night, bucket, sa.func.count().label("n"))
        .where(CALL.c.site_id == site_id, _in(CALL.c.received_at, start, end))
        .group_by(CALL.c.category, CALL.c.channel, CALL.c.night, bucket)
    )
    by_category = _zeros(CATEGORIES)
    by_channel = _zeros(CHANNELS)
    by_bucket: dict[int, int] = {}
    total = night = 0
    for category, channel, is_night, hour, n in conn.execute(query):
        total += n
        by_category[category] = by_category.get(category, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
        if is_night:
            night += n
        by_bucket[int(hour)] = by_bucket.get(int(hour), 0) + n
    return {
        "total": total,
        "by_category": by_category,
        "by_channel": by_channel,
        "night_calls": night,
        "buckets": by_bucket,
    }


def hourly_counts(
    conn: Connection, table: sa.Table, column: str, site_id: int, start: datetime, end: datetime
) -> dict[int, int]:
    """Rows whose ``column`` falls in the period, by whole hours since its start."""
    col = table.c[column]
    bucket = _hour_bucket(conn, col, start).label("bucket")
    query = (
        sa.select(bucket, sa.func.count())
        .where(table.c.site_id == site_id, _in(col, start, end))
        .group_by(bucket)
    )
    return {int(b): int(n) for b, n in conn.execute(query)}


# ---------------------------------------------------------------------------- complaints


def complaints_summary(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, Any]:
    """The period's complaints by scheme, level and cause class; open at the period's end."""
    still_open = sa.and_(
        sa.or_(COMPLAINT.c.resolved_at.is_(None), COMPLAINT.c.resolved_at >= end),
        sa.or_(COMPLAINT.c.closed_at.is_(None), COMPLAINT.c.closed_at >= end),
    )
    open_flag = sa.case((still_open, 1), else_=0).label("open")
    repeat_flag = sa.case((COMPLAINT.c.repeat.is_(True), 1), else_=0).label("rep")
    query = (
        sa.select(
            COMPLAINT.c.scheme,
            COMPLAINT.c.level,
            COMPLAINT.c.cause_class,
            open_flag,
            repeat_flag,
            sa.func.count().label("n"),
        )
        .where(COMPLAINT.c.site_id == site_id, _in(COMPLAINT.c.received_at, start, end))
        .group_by(
            COMPLAINT.c.scheme, COMPLAINT.c.level, COMPLAINT.c.cause_class, open_flag, repeat_flag
        )
    )
    rows = [tuple(r) for r in conn.execute(query)]
    # escalation only ever raises a complaint to hot or major (CP-9, CP-3): the indexed
    # level narrows the search before the unindexed escalated_at
    escalated = _count(
        conn,
        COMPLAINT,
        COMPLAINT.c.site_id == site_id,
        COMPLAINT.c.level.in_(("hot", "major")),
        _in(COMPLAINT.c.escalated_at, start, end),
    )
    return {"groups": rows, "escalated": escalated}


def complaints_by_department(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    query = (
        sa.select(COMPLAINT.c.department, sa.func.count())
        .where(COMPLAINT.c.site_id == site_id, _in(COMPLAINT.c.received_at, start, end))
        .group_by(COMPLAINT.c.department)
        .order_by(sa.func.count().desc(), COMPLAINT.c.department)
    )
    return {dept or "": int(n) for dept, n in conn.execute(query)}


COMPLAINT_CLOCK_COLUMNS = [c for c in COMPLAINT.c if c.name not in ("version",)]


def complaint_rows(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[Row[Any]]:
    """The period's complaints as plain rows, for the complaint clock functions."""
    query = (
        sa.select(*COMPLAINT_CLOCK_COLUMNS)
        .where(COMPLAINT.c.site_id == site_id, _in(COMPLAINT.c.received_at, start, end))
        .order_by(COMPLAINT.c.received_at, COMPLAINT.c.id)
    )
    return list(conn.execute(query))


def complaint_list(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, notable_only: bool
) -> list[Row[Any]]:
    """Complaints with their unit: for monthly summaries (S-4) and repeat detection (S-6)."""
    cond = [COMPLAINT.c.site_id == site_id, _in(COMPLAINT.c.received_at, start, end)]
    if notable_only:
        cond.append(
            sa.or_(
                COMPLAINT.c.level.in_(("major", "hot", "important")),
                COMPLAINT.c.repeat.is_(True),
                COMPLAINT.c.escalated_at.is_not(None),
                sa.and_(COMPLAINT.c.resolved_at.is_(None), COMPLAINT.c.closed_at.is_(None)),
            )
        )
    query = (
        sa.select(
            COMPLAINT.c.id,
            COMPLAINT.c.received_at,
            COMPLAINT.c.scheme,
            COMPLAINT.c.level,
            COMPLAINT.c.cause_class,
            COMPLAINT.c.department,
            COMPLAINT.c.status,
            COMPLAINT.c.repeat,
            COMPLAINT.c.escalation_reason,
            CALL.c.unit_id,
            UNIT.c.code.label("unit"),
            CALL.c.summary,
        )
        .select_from(
            COMPLAINT.outerjoin(CALL, CALL.c.id == COMPLAINT.c.call_id).outerjoin(
                UNIT, UNIT.c.id == CALL.c.unit_id
            )
        )
        .where(*cond)
        .order_by(COMPLAINT.c.received_at, COMPLAINT.c.id)
    )
    return list(conn.execute(query))


def repeated_complaints(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, at_least: int
) -> list[Row[Any]]:
    """The same matter complained about ``at_least`` times (S-6): one unit, one department.

    A complaint's unit is that of the call that opened it; complaints without a unit are
    not grouped (there is nothing to say they are about the same matter).
    """
    n = sa.func.count().label("complaints")
    query = (
        sa.select(
            CALL.c.unit_id,
            UNIT.c.code.label("unit"),
            COMPLAINT.c.department,
            n,
            sa.func.min(COMPLAINT.c.received_at).label("first"),
            sa.func.max(COMPLAINT.c.received_at).label("last"),
        )
        .select_from(
            COMPLAINT.join(CALL, CALL.c.id == COMPLAINT.c.call_id).join(
                UNIT, UNIT.c.id == CALL.c.unit_id
            )
        )
        .where(COMPLAINT.c.site_id == site_id, _in(COMPLAINT.c.received_at, start, end))
        .group_by(CALL.c.unit_id, UNIT.c.code, COMPLAINT.c.department)
        .having(sa.func.count() >= at_least)
        .order_by(n.desc(), UNIT.c.code, COMPLAINT.c.department)
    )
    return list(conn.execute(query))


# ---------------------------------------------------------------------------- work orders


def _done_by(col: Any, end: datetime) -> Any:
    return sa.and_(col.is_not(None), col < end)


def orders_summary(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, Any]:
    """The period's orders (by reported time) as they stood at its end, by trade and priority.

    completed: completed before the end; cancelled: cancelled (and not completed) before it;
    uncompleted (S-1): neither. rework: orders that redo an earlier one (返修).
    """
    completed = _done_by(ORDER.c.completed_at, end)
    cancelled = sa.and_(sa.not_(completed), _done_by(ORDER.c.cancelled_at, end))
    state = sa.case((completed, "completed"), (cancelled, "cancelled"), else_="uncompleted").label(
        "state"
    )
    rework = sa.case((ORDER.c.rework_of_id.is_not(None), 1), else_=0).label("rework")
    query = (
        sa.select(
            ORDER.c.trade,
            ORDER.c.priority,
            ORDER.c.assignee,
            state,
            rework,
            sa.func.count().label("n"),
        )
        .where(ORDER.c.site_id == site_id, _in(ORDER.c.reported_at, start, end))
        .group_by(ORDER.c.trade, ORDER.c.priority, ORDER.c.assignee, state, rework)
    )
    return {"groups": [tuple(r) for r in conn.execute(query)]}


def orders_completed_during(conn: Connection, site_id: int, start: datetime, end: datetime) -> int:
    """Completions inside the period, whatever day the order was reported (throughput)."""
    return _count(conn, ORDER, ORDER.c.site_id == site_id, _in(ORDER.c.completed_at, start, end))


def orders_open_at(conn: Connection, site_id: int, end: datetime) -> int:
    """Orders open at ``end`` (the carried-over backlog), from indexed columns only.

    Open now and reported before ``end``, plus those completed or cancelled since ``end``.
    """
    before = _unindexed(ORDER.c.reported_at) < end
    open_now = _count(
        conn, ORDER, ORDER.c.site_id == site_id, ORDER.c.stage.in_(OPEN_STAGES), before
    )
    completed_since = _count(
        conn, ORDER, ORDER.c.site_id == site_id, ORDER.c.completed_at >= end, before
    )
    cancelled_since = _count(
        conn,
        ORDER,
        ORDER.c.site_id == site_id,
        ORDER.c.stage == "cancelled",
        ORDER.c.cancelled_at >= end,
        ORDER.c.completed_at.is_(None),
        before,
    )
    return open_now + completed_since + cancelled_since


#: the columns a clock function may read from a work order; everything but free text
ORDER_CLOCK_COLUMNS = [
    c
    for c in ORDER.c
    if c.name
    not in (
        "summary",
        "result",
        "unfinished_reason",
        "cancel_reason",
        "reporter_name",
        "reporter_phone",
        "location",
        "version",
    )
]


def order_rows(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Row[Any]]:
    """The period's orders (by reported time) as plain rows for the work-order clocks."""
    query = (
        sa.select(*ORDER_CLOCK_COLUMNS)
        .where(ORDER.c.site_id == site_id, _in(ORDER.c.reported_at, start, end))
        .order_by(ORDER.c.reported_at, ORDER.c.id)
    )
    return list(conn.execute(query))


def unfinished_orders(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, limit: int | None = None
) -> list[Row[Any]]:
    """The period's orders neither completed nor cancelled by its end (S-2, R-13)."""
    query = (
        sa.select(
            ORDER.c.id,
            UNIT.c.code.label("unit"),
            ORDER.c.location,
            ORDER.c.trade,
            ORDER.c.priority,
            ORDER.c.team,
            ORDER.c.assignee,
            ORDER.c.stage,
            ORDER.c.reported_at,
            ORDER.c.unfinished_reason,
            ORDER.c.summary,
        )
        .select_from(ORDER.outerjoin(UNIT, UNIT.c.id == ORDER.c.unit_id))
        .where(
            ORDER.c.site_id == site_id,
            _in(ORDER.c.reported_at, start, end),
            sa.not_(_done_by(ORDER.c.completed_at, end)),
            sa.not_(_done_by(ORDER.c.cancelled_at, end)),
        )
        .order_by(ORDER.c.reported_at, ORDER.c.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(conn.execute(query))


def rework_orders(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Row[Any]]:
    """Re-repairs (返修) reported in the period, with the order they redo (S-3)."""
    orig = ORDER.alias("orig")
    query = (
        sa.select(
            ORDER.c.id,
            UNIT.c.code.label("unit"),
            ORDER.c.location,
            ORDER.c.trade,
            ORDER.c.assignee,
            ORDER.c.reported_at,
            ORDER.c.stage,
            ORDER.c.summary,
            ORDER.c.rework_of_id,
            orig.c.assignee.label("original_assignee"),
            orig.c.completed_at.label("original_completed_at"),
            orig.c.result.label("original_result"),
        )
        .select_from(
            ORDER.join(orig, orig.c.id == ORDER.c.rework_of_id).outerjoin(
                UNIT, UNIT.c.id == ORDER.c.unit_id
            )
        )
        .where(ORDER.c.site_id == site_id, _in(ORDER.c.reported_at, start, end))
        .order_by(ORDER.c.reported_at, ORDER.c.id)
    )
    return list(conn.execute(query))


def repeated_repairs(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, at_least: int
) -> list[Row[Any]]:
    """The same repair ``at_least`` times (S-6): one unit, one trade, N orders in the period."""
    n = sa.func.count().label("orders")
    query = (
        sa.select(
            ORDER.c.unit_id,
            UNIT.c.code.label("unit"),
            ORDER.c.trade,
            n,
            sa.func.min(ORDER.c.reported_at).label("first"),
            sa.func.max(ORDER.c.reported_at).label("last"),
        )
        .select_from(ORDER.join(UNIT, UNIT.c.id == ORDER.c.unit_id))
        .where(
            ORDER.c.site_id == site_id,
            _in(ORDER.c.reported_at, start, end),
            ORDER.c.stage != "cancelled",
        )
        .group_by(ORDER.c.unit_id, UNIT.c.code, ORDER.c.trade)
        .having(sa.func.count() >= at_least)
        .order_by(n.desc(), UNIT.c.code, ORDER.c.trade)
    )
    return list(conn.execute(query))


# ---------------------------------------------------------------------------- callbacks


def callback_rows(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Row[Any]]:
    """Callbacks falling due in the period, for the callback clock (CB-1..CB-3).

    ``started_at`` is what the callback's window runs from: the repair's completion, or the
    complaint's resolution; ``rained_at`` opens a leak's window.
    """
    started = sa.func.coalesce(ORDER.c.completed_at, COMPLAINT.c.resolved_at)
    query = (
        sa.select(
            CALLBACK.c.id,
            CALLBACK.c.kind,
            CALLBACK.c.due_at,
            CALLBACK.c.done_at,
            CALLBACK.c.outcome,
            CALLBACK.c.work_order_id,
            CALLBACK.c.complaint_id,
            sa.type_coerce(started, ORDER.c.completed_at.type).label("started_at"),
            ORDER.c.rained_at,
        )
        .select_from(
            CALLBACK.outerjoin(ORDER, ORDER.c.id == CALLBACK.c.work_order_id).outerjoin(
                COMPLAINT, COMPLAINT.c.id == CALLBACK.c.complaint_id
            )
        )
        .where(CALLBACK.c.site_id == site_id, _in(CALLBACK.c.due_at, start, end))
        .order_by(CALLBACK.c.due_at, CALLBACK.c.id)
    )
    return list(conn.execute(query))


def callback_outcomes(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Outcomes in the period: callbacks made (satisfied / unsatisfied, by when they were
    done), and callbacks whose resident could not be reached (their last unreachable
    attempt in the period; such a callback stays due and is chased, CB-6)."""
    query = (
        sa.select(CALLBACK.c.outcome, sa.func.count())
        .where(CALLBACK.c.site_id == site_id, _in(CALLBACK.c.done_at, start, end))
        .group_by(CALLBACK.c.outcome)
    )
    out = {outcome or "": int(n) for outcome, n in conn.execute(query)}
    out["unreachable"] = out.get("unreachable", 0) + _count(
        conn,
        CALLBACK,
        CALLBACK.c.site_id == site_id,
        CALLBACK.c.done_at.is_(None),
        CALLBACK.c.attempts > 0,
        _in(CALLBACK.c.last_attempt_at, start, end),
    )
    return out


def unsatisfied_callbacks(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[Row[Any]]:
    """Unsatisfactory callbacks made in the period, with what they were about (S-6)."""
    query = (
        sa.select(
            CALLBACK.c.id,
            CALLBACK.c.kind,
            CALLBACK.c.done_at,
            CALLBACK.c.note,
            CALLBACK.c.work_order_id,
            CALLBACK.c.complaint_id,
            ORDER.c.trade,
            ORDER.c.assignee,
            UNIT.c.code.label("unit"),
        )
        .select_from(
            CALLBACK.outerjoin(ORDER, ORDER.c.id == CALLBACK.c.work_order_id).outerjoin(
                UNIT, UNIT.c.id == ORDER.c.unit_id
            )
        )
        .where(
            CALLBACK.c.site_id == site_id,
            _in(CALLBACK.c.done_at, start, end),
            CALLBACK.c.outcome == "unsatisfied",
        )
        .order_by(CALLBACK.c.done_at, CALLBACK.c.id)
    )
    return list(conn.execute(query))


# ---------------------------------------------------------------------------- parcels


def parcels_summary(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, Any]:
    """Received, picked up and returned in the period; the items waiting at its end.

    "Waiting at the end" is assembled from indexed columns: waiting now, plus picked up or
    returned since the end; refused items never wait. Only the check-in times of the
    waiting items come back (``waiting_received``), for the parcel clock (P-9) to judge.
    """
    site = PARCEL.c.site_id == site_id
    # a refused item (P-1) never entered the desk: it counts as refused, not received
    received = _count(
        conn, PARCEL, site, _in(PARCEL.c.received_at, start, end), PARCEL.c.status != "refused"
    )
    refused = _count(
        conn, PARCEL, site, PARCEL.c.status == "refused", _in(PARCEL.c.received_at, start, end)
    )
    picked_up = _count(conn, PARCEL, site, _in(PARCEL.c.picked_up_at, start, end))
    returned = _count(
        conn, PARCEL, site, PARCEL.c.status == "returned", _in(PARCEL.c.returned_at, start, end)
    )
    before = _unindexed(PARCEL.c.received_at) < end
    waiting = sa.union_all(
        sa.select(PARCEL.c.received_at).where(site, PARCEL.c.status == "waiting", before),
        sa.select(PARCEL.c.received_at).where(site, PARCEL.c.picked_up_at >= end, before),
        sa.select(PARCEL.c.received_at).where(
            site, PARCEL.c.status == "returned", PARCEL.c.returned_at >= end, before
        ),
    )
    waiting_received = [r[0] for r in conn.execute(waiting)]
    # sent_at has no index. An outbox message is never sent before its (indexed) not_before
    # and its retries end within a day, so a week's margin keeps the count exact; a contact
    # made by hand (phone, visit: notify.record_contact) has no not_before at all.
    sent_reminder = (
        NOTIFICATION.c.site_id == site_id,
        NOTIFICATION.c.kind == "reminder",
        NOTIFICATION.c.status == "sent",
        _in(NOTIFICATION.c.sent_at, start, end),
    )
    reminders = _count(
        conn,
        NOTIFICATION,
        _in(NOTIFICATION.c.not_before, start - REMINDER_MARGIN, end),
        *sent_reminder,
    ) + _count(conn, NOTIFICATION, NOTIFICATION.c.not_before.is_(None), *sent_reminder)
    return {
        "received": received,
        "picked_up": picked_up,
        "waiting_received": waiting_received,
        "reminders_sent": reminders,
        "returned": returned,
        "refused": refused,
    }
