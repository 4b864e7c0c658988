"""The SQL behind the reports: counts and group-bys in the database, never ORM objects.

Every function takes an open ``Connection`` and the period's UTC bounds and returns plain
values (ints, dicts, rows). Counts and group-bys are aggregate SQL on the indexed timestamp
columns; where a figure needs a clock verdict, the few timestamp columns of the period's
records come back as lightweight ``Row`` tuples for ``stats.judge`` to hand to the pure
clock functions (the same ones the board and the call form use).

"As it stood at the end of the day" figures (completed, waiting, open ...) are computed from
the records' timestamps, not their current status, so a report for a past day comes out the
same whenever it is run.

Each statement is built once per SQL dialect (``functools.cache``) with bound parameters
(``:site_id``, ``:start``, ``:end`` ...) and executed with their values: building a Core
statement costs about as much as running a small indexed query, and a report runs a dozen.
The scalar counts share one statement (one round trip).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlmodel import SQLModel

from shiftdesk.models import Category, Channel
from shiftdesk.models.common import UTCDateTime

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

CATEGORIES = [c.value for c in Category]
CHANNELS = [c.value for c in Channel]
#: how long before a reminder's sending its not_before may lie (see the reminder counts)
REMINDER_MARGIN = timedelta(days=2)


# ---------------------------------------------------------------------------- parameters


def _site() -> Any:
    return sa.bindparam("site_id", type_=sa.Integer)


def _start() -> Any:
    return sa.bindparam("start", type_=UTCDateTime)


def _end() -> Any:
    return sa.bindparam("end", type_=UTCDateTime)


def _in(col: Any) -> Any:
    """``col`` in the period ``[:start, :end)``."""
    return sa.and_(col >= _start(), col < _end())


def _params(site_id: int, start: datetime, end: datetime, **more: Any) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "start": start,
        "end": end,
        "epoch": int(start.timestamp()),
        "margin_start": start - REMINDER_MARGIN,
        **more,
    }


def _hour_bucket(dialect: str, col: Any, whole_hours: bool) -> Any:
    """Whole hours elapsed since ``:epoch`` (the period's start), exact on both backends.

    On SQLite a zone whose offset is a whole number of hours (Asia/Shanghai) groups by the
    stored UTC text's hour, ``substr(col, 1, 13)``, which ``hour_index`` turns into the same
    count of hours; other zones (India's +05:30) take the epoch arithmetic, which is exact
    everywhere but costs more per row.
    """
    if dialect == "sqlite":
        if whole_hours:
            return sa.func.substr(col, 1, 13)
        secs = sa.cast(sa.func.strftime("%s", col), sa.Integer)
        epoch = sa.bindparam("epoch", type_=sa.Integer)
        return (secs - epoch) // 3600  # floor division of integers: whole hours
    epoch = sa.bindparam("epoch", type_=sa.Integer)
    return sa.func.floor((sa.extract("epoch", col) - epoch) / 3600)


def whole_hour_zone(start: datetime) -> bool:
    """Whether the period starts on a whole UTC hour (its zone's offset is whole hours)."""
    return start.minute == 0 and start.second == 0 and start.microsecond == 0


def hour_index(value: Any, start: datetime) -> int:
    """A bucket from ``_hour_bucket`` as whole hours since ``start``."""
    if isinstance(value, str):  # "2026-11-20 16": the UTC hour as SQLite stores it
        hour = datetime.fromisoformat(value + ":00").replace(tzinfo=start.tzinfo)
        return int((hour - start).total_seconds() // 3600)
    return int(value)


def _unindexed(col: Any) -> Any:
    """``col`` as an expression no index can serve: steers the planner to the other term.

    "received before the end" matches nearly every row of a year; paired with a selective
    indexed term (waiting now, picked up since the end) the planner must use that one.
    """
    return sa.type_coerce(sa.func.coalesce(col, col), col.type)


def _done_by(col: Any) -> Any:
    return sa.and_(col.is_not(None), col < _end())


def _zeros(keys: Sequence[str]) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def _count(table: sa.Table, *where: Any) -> Any:
    return sa.select(sa.func.count()).select_from(table).where(*where).scalar_subquery()


@dataclass(frozen=True)
class RowQuery:
    """A statement whose rows feed the clock functions, and how to read them fast.

    SQLite keeps a UTC instant as text; SQLAlchemy's date-time processing plus the
    ``UTCDateTime`` decorator cost about 2 us a value, a third of a busy day's query work.
    On SQLite those columns are therefore read as text and parsed with the C
    ``datetime.fromisoformat`` (same aware UTC values); other backends decode natively.
    """

    stmt: Any
    times: tuple[int, ...]
    row: Any  # a namedtuple class: attribute access, as the clock functions expect


def _row_query(dialect: str, columns: Sequence[Any], finish: Any) -> RowQuery:
    names = [c.key for c in columns]
    times = tuple(i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime))
    text = dialect == "sqlite"
    cols = [
        sa.type_coerce(c, sa.String).label(n) if text and i in times else c.label(n)
        for i, (c, n) in enumerate(zip(columns, names, strict=True))
    ]
    return RowQuery(finish(sa.select(*cols)), times if text else (), namedtuple("Row", names))


def _run(conn: Connection, query: RowQuery, params: dict[str, Any]) -> list[Any]:
    result = conn.execute(query.stmt, params)
    make, times = query.row._make, query.times
    if not times:
        return [make(r) for r in result]
    parse = datetime.fromisoformat
    out = []
    for r in result:
        values = list(r)
        for i in times:
            if values[i] is not None:
                values[i] = parse(values[i] + "+00:00")
        out.append(make(values))
    return out


def _clock_columns(table: sa.Table, protocol: type) -> list[Any]:
    """The id and the columns a clock builder reads, from its ``*Like`` protocol: the
    statistics fetch exactly what the shared clock functions declare they need."""
    names = ["id", *(n for n in protocol.__annotations__ if n in table.c)]
    return [table.c[n] for n in dict.fromkeys(names)]


# ---------------------------------------------------------------------------- sites


def site_rows(conn: Connection, code: str | None) -> list[Row[Any]]:
    """The site named by ``code``, or every site when ``code`` is None (``--site all``)."""
    query = sa.select(SITE.c.id, SITE.c.code, SITE.c.name, SITE.c.timezone).order_by(SITE.c.code)
    if code is not None:
        query = query.where(SITE.c.code == code)
    return list(conn.execute(query))


# ---------------------------------------------------------------------------- scalar counts


@cache
def _counts_stmt() -> Any:
    """Every single-number count of a report, as scalar subqueries of one SELECT."""
    order_site = ORDER.c.site_id == _site()
    parcel_site = PARCEL.c.site_id == _site()
    # sent_at has no index. An outbox message is never sent before its (indexed) not_before
    # and its retries end within a day, so a week's margin keeps the count exact; a contact
    # made by hand (phone, visit: notify.record_contact) has no not_before at all.
    reminder = (
        NOTIFICATION.c.site_id == _site(),
        NOTIFICATION.c.kind == "reminder",
        NOTIFICATION.c.status == "sent",
        _in(NOTIFICATION.c.sent_at),
    )
    counts = {
        # escalation only ever raises a complaint to hot or major (CP-9, CP-3): the indexed
        # level narrows the search before the unindexed escalated_at; one equality each, as
        # SQLite's planner would scan the table for "level IN (hot, major)"
        **{
            f"escalated_{level}": _count(
                COMPLAINT,
                COMPLAINT.c.site_id == _site(),
                COMPLAINT.c.level == level,
                _in(COMPLAINT.c.escalated_at),
            )
            for level in ("hot", "major")
        },
        "completed_in_period": _count(ORDER, order_site, _in(ORDER.c.completed_at)),
        # a refused item (P-1) never entered the desk: it counts as refused, not received
        "received": _count(
            PARCEL, parcel_site, _in(PARCEL.c.received_at), PARCEL.c.status != "refused"
        ),
        "refused": _count(
            PARCEL, parcel_site, PARCEL.c.status == "refused", _in(PARCEL.c.received_at)
        ),
        "picked_up": _count(PARCEL, parcel_site, _in(PARCEL.c.picked_up_at)),
        "returned": _count(
            PARCEL, parcel_site, PARCEL.c.status == "returned", _in(PARCEL.c.returned_at)
        ),
        "reminders_queued": _count(
            NOTIFICATION,
            NOTIFICATION.c.not_before >= sa.bindparam("margin_start", type_=UTCDateTime),
            NOTIFICATION.c.not_before < _end(),
            *reminder,
        ),
        "reminders_by_hand": _count(NOTIFICATION, NOTIFICATION.c.not_before.is_(None), *reminder),
    }
    return sa.select(*(value.label(key) for key, value in counts.items()))


def counts(conn: Connection, site_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """The period's single-number figures (escalations, completions, parcel movements)."""
    row = conn.execute(_counts_stmt(), _params(site_id, start, end)).one()
    out = {key: int(value or 0) for key, value in row._mapping.items()}
    out["reminders_sent"] = out.pop("reminders_queued") + out.pop("reminders_by_hand")
    out["escalated"] = out.pop("escalated_hot") + out.pop("escalated_major")
    return out


# ---------------------------------------------------------------------------- calls


@cache
def _calls_stmt() -> Any:
    return (
        sa.select(CALL.c.category, CALL.c.channel, CALL.c.night, sa.func.count())
        .where(CALL.c.site_id == _site(), _in(CALL.c.received_at))
        .group_by(CALL.c.category, CALL.c.channel, CALL.c.night)
    )


def calls_summary(conn: Connection, site_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """Total, by category, by channel, night calls (R-5) in one group-by; calls per hour."""
    by_category = _zeros(CATEGORIES)
    by_channel = _zeros(CHANNELS)
    total = night = 0
    for category, channel, is_night, n in conn.execute(_calls_stmt(), _params(site_id, start, end)):
        total += n
        by_category[category] = by_category.get(category, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
        if is_night:
            night += n
    return {
        "total": total,
        "by_category": by_category,
        "by_channel": by_channel,
        "night_calls": night,
        "buckets": hourly_counts(conn, CALL, "received_at", site_id, start, end),
    }


@cache
def _hourly_stmt(dialect: str, table: str, column: str, whole_hours: bool) -> Any:
    col = _T[table].c[column]
    bucket = _hour_bucket(dialect, col, whole_hours).label("bucket")
    return (
        sa.select(bucket, sa.func.count())
        .where(_T[table].c.site_id == _site(), _in(col))
        .group_by(bucket)
    )


def hourly_counts(
    conn: Connection, table: sa.Table, column: str, site_id: int, start: datetime, end: datetime
) -> dict[int, int]:
    """Rows whose ``column`` falls in the period, by whole hours since its start."""
    whole = whole_hour_zone(start)
    stmt = _hourly_stmt(conn.dialect.name, table.name, column, whole)
    out: dict[int, int] = {}
    for bucket, n in conn.execute(stmt, _params(site_id, start, end)):
        index = hour_index(bucket, start)
        out[index] = out.get(index, 0) + int(n)
    return out


# ---------------------------------------------------------------------------- complaints


@cache
def _complaints_stmt() -> Any:
    still_open = sa.and_(
        sa.or_(COMPLAINT.c.resolved_at.is_(None), COMPLAINT.c.resolved_at >= _end()),
        sa.or_(COMPLAINT.c.closed_at.is_(None), COMPLAINT.c.closed_at >= _end()),
    )
    open_flag = sa.case((still_open, 1), else_=0).label("open")
    repeat_flag = sa.case((COMPLAINT.c.repeat.is_(True), 1), else_=0).label("rep")
    return (
        sa.select(
            COMPLAINT.c.scheme,
            COMPLAINT.c.level,
            COMPLAINT.c.cause_class,
            open_flag,
            repeat_flag,
            sa.func.count().label("n"),
        )
        .where(COMPLAINT.c.site_id == _site(), _in(COMPLAINT.c.received_at))
        .group_by(
            COMPLAINT.c.scheme, COMPLAINT.c.level, COMPLAINT.c.cause_class, open_flag, repeat_flag
        )
    )


def complaints_summary(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """The period's complaints by scheme, level, cause class; open at the end; repeats."""
    return [tuple(r) for r in conn.execute(_complaints_stmt(), _params(site_id, start, end))]


@cache
def _by_department_stmt() -> Any:
    return (
        sa.select(COMPLAINT.c.department, sa.func.count())
        .where(COMPLAINT.c.site_id == _site(), _in(COMPLAINT.c.received_at))
        .group_by(COMPLAINT.c.department)
        .order_by(sa.func.count().desc(), COMPLAINT.c.department)
    )


def complaints_by_department(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    rows = conn.execute(_by_department_stmt(), _params(site_id, start, end))
    return {dept or "": int(n) for dept, n in rows}


@cache
def _complaint_rows_query(dialect: str) -> RowQuery:
    from shiftdesk.clocks.complaints import ComplaintLike

    return _row_query(
        dialect,
        _clock_columns(COMPLAINT, ComplaintLike),
        lambda q: q.where(COMPLAINT.c.site_id == _site(), _in(COMPLAINT.c.received_at)).order_by(
            COMPLAINT.c.received_at, COMPLAINT.c.id
        ),
    )


def complaint_rows(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Any]:
    """The period's complaints as plain rows, for the complaint clock functions."""
    return _run(conn, _complaint_rows_query(conn.dialect.name), _params(site_id, start, end))


@cache
def _notable_stmt() -> Any:
    return (
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
        .where(
            COMPLAINT.c.site_id == _site(),
            _in(COMPLAINT.c.received_at),
            sa.or_(
                COMPLAINT.c.level.in_(("major", "hot", "important")),
                COMPLAINT.c.repeat.is_(True),
                COMPLAINT.c.escalated_at.is_not(None),
                sa.and_(COMPLAINT.c.resolved_at.is_(None), COMPLAINT.c.closed_at.is_(None)),
            ),
        )
        .order_by(COMPLAINT.c.received_at, COMPLAINT.c.id)
    )


def notable_complaints(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[Row[Any]]:
    """Major, hot or important complaints, repeats, escalations and those still open, with
    their unit: the monthly summary's list (S-4, CP-6)."""
    return list(conn.execute(_notable_stmt(), _params(site_id, start, end)))


@cache
def _repeated_complaints_stmt() -> Any:
    n = sa.func.count().label("complaints")
    return (
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
        .where(COMPLAINT.c.site_id == _site(), _in(COMPLAINT.c.received_at))
        .group_by(CALL.c.unit_id, UNIT.c.code, COMPLAINT.c.department)
        .having(sa.func.count() >= sa.bindparam("at_least", type_=sa.Integer))
        .order_by(n.desc(), UNIT.c.code, COMPLAINT.c.department)
    )


def repeated_complaints(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, at_least: int
) -> list[Row[Any]]:
    """The same matter complained about ``at_least`` times (S-6): one unit, one department.

    A complaint's unit is that of the call that opened it; complaints without a unit are
    not grouped (there is nothing to say they are about the same matter).
    """
    params = _params(site_id, start, end, at_least=at_least)
    return list(conn.execute(_repeated_complaints_stmt(), params))


# ---------------------------------------------------------------------------- work orders


@cache
def _orders_stmt() -> Any:
    completed = _done_by(ORDER.c.completed_at)
    cancelled = sa.and_(sa.not_(completed), _done_by(ORDER.c.cancelled_at))
    state = sa.case((completed, "completed"), (cancelled, "cancelled"), else_="uncompleted").label(
        "state"
    )
    rework = sa.case((ORDER.c.rework_of_id.is_not(None), 1), else_=0).label("rework")
    return (
        sa.select(
            ORDER.c.trade,
            ORDER.c.priority,
            ORDER.c.assignee,
            state,
            rework,
            sa.func.count().label("n"),
        )
        .where(ORDER.c.site_id == _site(), _in(ORDER.c.reported_at))
        .group_by(ORDER.c.trade, ORDER.c.priority, ORDER.c.assignee, state, rework)
    )


def orders_summary(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[tuple[Any, ...]]:
    """The period's orders (by reported time) as they stood at its end, by trade, priority
    and assignee: completed before the end; cancelled (and not completed) before it;
    uncompleted (S-1): neither. rework: orders that redo an earlier one (返修)."""
    return [tuple(r) for r in conn.execute(_orders_stmt(), _params(site_id, start, end))]


@cache
def _order_rows_query(dialect: str) -> RowQuery:
    from shiftdesk.clocks.workorders import OrderLike

    return _row_query(
        dialect,
        _clock_columns(ORDER, OrderLike),
        lambda q: q.where(ORDER.c.site_id == _site(), _in(ORDER.c.reported_at)).order_by(
            ORDER.c.reported_at, ORDER.c.id
        ),
    )


def order_rows(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Any]:
    """The period's orders (by reported time) as plain rows for the work-order clocks."""
    return _run(conn, _order_rows_query(conn.dialect.name), _params(site_id, start, end))


@cache
def _unfinished_stmt() -> Any:
    return (
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
            ORDER.c.site_id == _site(),
            _in(ORDER.c.reported_at),
            sa.not_(_done_by(ORDER.c.completed_at)),
            sa.not_(_done_by(ORDER.c.cancelled_at)),
        )
        .order_by(ORDER.c.reported_at, ORDER.c.id)
    )


def unfinished_orders(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[Row[Any]]:
    """The period's orders neither completed nor cancelled by its end (S-2, R-13)."""
    return list(conn.execute(_unfinished_stmt(), _params(site_id, start, end)))


@cache
def _rework_stmt() -> Any:
    orig = ORDER.alias("orig")
    return (
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
        .where(ORDER.c.site_id == _site(), _in(ORDER.c.reported_at))
        .order_by(ORDER.c.reported_at, ORDER.c.id)
    )


def rework_orders(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Row[Any]]:
    """Re-repairs (返修) reported in the period, with the order they redo (S-3)."""
    return list(conn.execute(_rework_stmt(), _params(site_id, start, end)))


@cache
def _repeated_repairs_stmt() -> Any:
    n = sa.func.count().label("orders")
    return (
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
            ORDER.c.site_id == _site(),
            _in(ORDER.c.reported_at),
            ORDER.c.stage != "cancelled",
        )
        .group_by(ORDER.c.unit_id, UNIT.c.code, ORDER.c.trade)
        .having(sa.func.count() >= sa.bindparam("at_least", type_=sa.Integer))
        .order_by(n.desc(), UNIT.c.code, ORDER.c.trade)
    )


def repeated_repairs(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, at_least: int
) -> list[Row[Any]]:
    """The same repair ``at_least`` times (S-6): one unit, one trade, N orders in the period."""
    params = _params(site_id, start, end, at_least=at_least)
    return list(conn.execute(_repeated_repairs_stmt(), params))


# ---------------------------------------------------------------------------- callbacks


@cache
def _callback_rows_query(dialect: str) -> RowQuery:
    started = sa.type_coerce(
        sa.func.coalesce(ORDER.c.completed_at, COMPLAINT.c.resolved_at), ORDER.c.completed_at.type
    )
    columns = [
        CALLBACK.c.id,
        CALLBACK.c.kind,
        CALLBACK.c.due_at,
        CALLBACK.c.done_at,
        CALLBACK.c.outcome,
        CALLBACK.c.work_order_id,
        CALLBACK.c.complaint_id,
        started.label("started_at"),
        ORDER.c.rained_at,
    ]
    return _row_query(
        dialect,
        columns,
        lambda q: (
            q.select_from(
                CALLBACK.outerjoin(ORDER, ORDER.c.id == CALLBACK.c.work_order_id).outerjoin(
                    COMPLAINT, COMPLAINT.c.id == CALLBACK.c.complaint_id
                )
            )
            .where(CALLBACK.c.site_id == _site(), _in(CALLBACK.c.due_at))
            .order_by(CALLBACK.c.due_at, CALLBACK.c.id)
        ),
    )


def callback_rows(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Any]:
    """Callbacks falling due in the period, for the callback clock (CB-1..CB-3).

    ``started_at`` is what the callback's window runs from: the repair's completion, or the
    complaint's resolution; ``rained_at`` opens a leak's window.
    """
    return _run(conn, _callback_rows_query(conn.dialect.name), _params(site_id, start, end))


@cache
def _outcomes_stmt() -> Any:
    made = (
        sa.select(CALLBACK.c.outcome, sa.func.count())
        .where(CALLBACK.c.site_id == _site(), _in(CALLBACK.c.done_at))
        .group_by(CALLBACK.c.outcome)
    )
    unreachable = sa.select(
        sa.literal("unreachable_open"),
        _count(
            CALLBACK,
            CALLBACK.c.site_id == _site(),
            CALLBACK.c.done_at.is_(None),
            CALLBACK.c.attempts > 0,
            _in(CALLBACK.c.last_attempt_at),
        ),
    )
    return sa.union_all(made, unreachable)


def callback_outcomes(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, int]:
    """Outcomes in the period: callbacks made (satisfied / unsatisfied, by when they were
    done), and callbacks whose resident could not be reached (their last unreachable
    attempt in the period; such a callback stays due and is chased, CB-6)."""
    out: dict[str, int] = {}
    for outcome, n in conn.execute(_outcomes_stmt(), _params(site_id, start, end)):
        key = "unreachable" if outcome == "unreachable_open" else outcome or ""
        out[key] = out.get(key, 0) + int(n or 0)
    return out


@cache
def _unsatisfied_stmt() -> Any:
    return (
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
            CALLBACK.c.site_id == _site(),
            _in(CALLBACK.c.done_at),
            CALLBACK.c.outcome == "unsatisfied",
        )
        .order_by(CALLBACK.c.done_at, CALLBACK.c.id)
    )


def unsatisfied_callbacks(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[Row[Any]]:
    """Unsatisfactory callbacks made in the period, with what they were about (S-6)."""
    return list(conn.execute(_unsatisfied_stmt(), _params(site_id, start, end)))


# ---------------------------------------------------------------------------- parcels


@cache
def _waiting_query(dialect: str) -> RowQuery:
    site = PARCEL.c.site_id == _site()
    before = _unindexed(PARCEL.c.received_at) < _end()
    waiting_now = _row_query(
        dialect,
        [PARCEL.c.received_at],
        lambda q: q.where(site, PARCEL.c.status == "waiting", before),
    )
    picked_since = _row_query(
        dialect,
        [PARCEL.c.received_at],
        lambda q: q.where(site, PARCEL.c.picked_up_at >= _end(), before),
    )
    returned_since = _row_query(
        dialect,
        [PARCEL.c.received_at],
        lambda q: q.where(
            site, PARCEL.c.status == "returned", PARCEL.c.returned_at >= _end(), before
        ),
    )
    stmt = sa.union_all(waiting_now.stmt, picked_since.stmt, returned_since.stmt)
    return RowQuery(stmt, waiting_now.times, waiting_now.row)


def parcels_waiting(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Any]:
    """The check-in times of the items at the desk at the end of the period, for the parcel
    clock (P-9). Assembled from indexed columns: waiting now, plus picked up or returned
    since the end; refused items never wait."""
    rows = _run(conn, _waiting_query(conn.dialect.name), _params(site_id, start, end))
    return [r.received_at for r in rows]
