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
Every single-number figure shares one statement (one round trip), each table's figures one
pass over its rows with conditional aggregates (``COUNT(*) FILTER (WHERE ...)``).
"""

from __future__ import annotations

from collections import Counter, namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, reduce
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
    return {"site_id": site_id, "start": start, "end": end, "epoch": int(start.timestamp()), **more}


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
        # whole seconds of the stored text: SQLite's date functions round to milliseconds,
        # which would put 00:59:59.9999 in the next hour (and the day's last call in none)
        secs = sa.cast(sa.func.strftime("%s", sa.func.substr(col, 1, 19)), sa.Integer)
        epoch = sa.bindparam("epoch", type_=sa.Integer)
        return (secs - epoch) // 3600  # floor division of integers: whole hours
    # date_part's double precision, not EXTRACT's numeric (twice the cost per row): exact
    # here, as an instant's epoch seconds keep their microseconds in a double
    epoch = sa.bindparam("epoch", type_=sa.Integer)
    seconds = sa.func.date_part(sa.literal_column("'epoch'"), col, type_=sa.Float)
    return sa.func.floor((seconds - epoch) / sa.literal_column("3600.0", type_=sa.Float))


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
    ``datetime.fromisoformat`` (same aware UTC values). PostgreSQL's driver decodes them
    itself, already in UTC in a session set to UTC (``db.make_engine`` sets it): they are
    taken as they come, and converted in Python only in a session in another zone.
    """

    stmt: Any
    times: tuple[int, ...]
    row: Any  # a namedtuple class: attribute access, as the clock functions expect
    text: bool  # the instants come as SQLite's text


def _row_query(dialect: str, columns: Sequence[Any], finish: Any) -> RowQuery:
    names = [c.key for c in columns]
    times = tuple(i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime))
    text = dialect == "sqlite"
    raw = sa.String() if text else sa.DateTime(timezone=True)  # no result processing
    cols = [
        sa.type_coerce(c, raw).label(n) if i in times else c.label(n)
        for i, (c, n) in enumerate(zip(columns, names, strict=True))
    ]
    return RowQuery(finish(sa.select(*cols)), times, namedtuple("Row", names), text)


def _session_in_utc(conn: Connection) -> bool:
    """Whether the driver hands instants over in UTC (psycopg: the session's zone)."""
    info = getattr(conn.connection.dbapi_connection, "info", None)
    return getattr(info, "timezone", None) is UTC


def _run(conn: Connection, query: RowQuery, params: dict[str, Any]) -> list[Any]:
    rows = conn.execute(query.stmt, params).all()  # one fetchall, not a fetchone per row
    make, times = query.row._make, query.times
    if not times or (not query.text and _session_in_utc(conn)):
        return [make(r) for r in rows]
    parse = datetime.fromisoformat
    out = []
    for r in rows:
        values = list(r)
        for i in times:
            value = values[i]
            if value is not None:
                values[i] = parse(value + "+00:00") if query.text else value.astimezone(UTC)
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


def _tally(table: sa.Table, *where: Any, **figures: Any) -> Any:
    """One pass over ``table``'s rows matching ``where``: a count per figure, each under
    its own extra condition (``None``: every row), as a one-row subquery."""
    columns = [
        (sa.func.count() if cond is None else sa.func.count().filter(cond)).label(name)
        for name, cond in figures.items()
    ]
    return sa.select(*columns).select_from(table).where(*where).subquery()


def _waiting_at_end() -> Any:
    """The check-in times of the items at the desk at the end of the period, from indexed
    columns: waiting now, plus picked up or returned since the end; refused items never
    wait. "Checked in before the end" matches nearly every row of a year, so it is kept
    away from the planner (``_unindexed``): the selective term's index must be used."""
    site = PARCEL.c.site_id == _site()
    before = _unindexed(PARCEL.c.received_at) < _end()
    received = PARCEL.c.received_at
    return sa.union_all(
        sa.select(received).where(site, PARCEL.c.status == "waiting", before),
        sa.select(received).where(site, PARCEL.c.picked_up_at >= _end(), before),
        sa.select(received).where(
            site, PARCEL.c.status == "returned", PARCEL.c.returned_at >= _end(), before
        ),
    ).subquery()


@cache
def _counts_stmt() -> Any:
    """Every single-number figure of a report in one SELECT: one pass per table and time
    column (each on its index), the figures of a pass as conditional aggregates."""
    waiting = _waiting_at_end()
    parts = [
        # the day's escalations (CP-9, CP-3), on the escalated_at index
        _tally(
            COMPLAINT,
            COMPLAINT.c.site_id == _site(),
            _in(COMPLAINT.c.escalated_at),
            escalated=None,
        ),
        _tally(
            ORDER, ORDER.c.site_id == _site(), _in(ORDER.c.completed_at), completed_in_period=None
        ),
        # a refused item (P-1) never entered the desk: it counts as refused, not received
        _tally(
            PARCEL,
            PARCEL.c.site_id == _site(),
            _in(PARCEL.c.received_at),
            received=PARCEL.c.status != "refused",
            refused=PARCEL.c.status == "refused",
        ),
        _tally(PARCEL, PARCEL.c.site_id == _site(), _in(PARCEL.c.picked_up_at), picked_up=None),
        _tally(
            PARCEL,
            PARCEL.c.site_id == _site(),
            PARCEL.c.status == "returned",
            _in(PARCEL.c.returned_at),
            returned=None,
        ),
        # reminders sent in the period: queued by the outbox or made by hand (phone, visit)
        _tally(
            NOTIFICATION,
            NOTIFICATION.c.site_id == _site(),
            NOTIFICATION.c.kind == "reminder",
            NOTIFICATION.c.status == "sent",
            _in(NOTIFICATION.c.sent_at),
            reminders_sent=None,
        ),
        # P-9: the items waiting at the end, and those overdue by then; the cutoff is the
        # parcel clock's own (clocks.parcels.overdue_cutoff), not a rule restated here
        sa.select(
            sa.func.count().label("waiting"),
            sa.func.count()
            .filter(waiting.c.received_at <= sa.bindparam("overdue_cutoff", type_=UTCDateTime))
            .label("overdue_7d"),
        ).subquery(),
    ]
    joined = reduce(lambda left, right: left.join(right, sa.true()), parts)
    return sa.select(*(c for part in parts for c in part.c)).select_from(joined)


def counts(
    conn: Connection, site_id: int, start: datetime, end: datetime, *, overdue_cutoff: datetime
) -> dict[str, int]:
    """The period's single-number figures: escalations, completions, parcel movements,
    reminders, and the items waiting at the end with those overdue (checked in at or
    before ``overdue_cutoff``, from ``clocks.parcels.overdue_cutoff``)."""
    params = _params(site_id, start, end, overdue_cutoff=overdue_cutoff)
    row = conn.execute(_counts_stmt(), params).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


# ---------------------------------------------------------------------------- calls


@cache
def _calls_stmt(dialect: str, whole_hours: bool) -> Any:
    """The period's calls by hour, each hour's counts by category, by channel and at night
    (R-5) as conditional aggregates: one pass, 24 rows for a day (a GROUP BY on all four
    would sort every call of the day)."""
    bucket = _hour_bucket(dialect, CALL.c.received_at, whole_hours).label("bucket")
    figures = [
        sa.func.count().label("total"),
        *(sa.func.count().filter(CALL.c.category == c).label(f"cat_{c}") for c in CATEGORIES),
        *(sa.func.count().filter(CALL.c.channel == c).label(f"chan_{c}") for c in CHANNELS),
        sa.func.count().filter(CALL.c.night.is_(True)).label("night"),
    ]
    return (
        sa.select(bucket, *figures)
        .where(CALL.c.site_id == _site(), _in(CALL.c.received_at))
        .group_by(bucket)
    )


def calls_summary(conn: Connection, site_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    """Total, by category, by channel, night calls (R-5) and calls per hour: one pass."""
    by_category = _zeros(CATEGORIES)
    by_channel = _zeros(CHANNELS)
    buckets: dict[int, int] = {}
    total = night = 0
    stmt = _calls_stmt(conn.dialect.name, whole_hour_zone(start))
    ncat = len(CATEGORIES)
    for bucket, n, *figures in conn.execute(stmt, _params(site_id, start, end)).all():
        total += n
        index = hour_index(bucket, start)
        buckets[index] = buckets.get(index, 0) + n
        for key, value in zip(CATEGORIES, figures[:ncat], strict=True):
            by_category[key] += value
        for key, value in zip(CHANNELS, figures[ncat:-1], strict=True):
            by_channel[key] += value
        night += figures[-1]
    return {
        "total": total,
        "by_category": by_category,
        "by_channel": by_channel,
        "night_calls": night,
        "buckets": buckets,
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
def _order_rows_query(dialect: str) -> RowQuery:
    """The period's orders, one row each: the columns the order clocks read, and what the
    figures group by (trade, priority, assignee, the state at the end, rework), and for an
    unfinished order what the list of unfinished orders shows (S-2, R-13).

    The state is as things stood at the period's end: completed before the end; cancelled
    (and not completed) before it; uncompleted (S-1): neither. rework: the order redoes an
    earlier one (返修). One pass serves the clocks, the counts and the unfinished list: a
    separate GROUP BY and a separate list would read the same rows twice more (each cost
    about as much as this). The list's texts and unit come only for unfinished orders.
    """
    from shiftdesk.clocks.workorders import OrderLike

    completed = _done_by(ORDER.c.completed_at)
    cancelled = sa.and_(sa.not_(completed), _done_by(ORDER.c.cancelled_at))
    state = sa.case((completed, "completed"), (cancelled, "cancelled"), else_="uncompleted")
    rework = sa.case((ORDER.c.rework_of_id.is_not(None), 1), else_=0)
    unfinished = sa.and_(sa.not_(completed), sa.not_(_done_by(ORDER.c.cancelled_at)))
    unit = sa.select(UNIT.c.code).where(UNIT.c.id == ORDER.c.unit_id).scalar_subquery()
    columns = [
        *_clock_columns(ORDER, OrderLike),
        ORDER.c.trade,
        ORDER.c.assignee,
        state.label("state"),
        rework.label("rework"),
        # CASE stops at the condition: the unit is looked up for unfinished orders only
        sa.case((unfinished, unit)).label("unit"),
        *(
            sa.case((unfinished, ORDER.c[name])).label(name)
            for name in ("location", "team", "unfinished_reason", "summary")
        ),
    ]
    return _row_query(
        dialect,
        columns,
        lambda q: q.where(ORDER.c.site_id == _site(), _in(ORDER.c.reported_at)).order_by(
            ORDER.c.reported_at, ORDER.c.id
        ),
    )


def order_rows(conn: Connection, site_id: int, start: datetime, end: datetime) -> list[Any]:
    """The period's orders (by reported time) as plain rows for the work-order clocks and
    the order counts (see ``_order_rows_query``)."""
    return _run(conn, _order_rows_query(conn.dialect.name), _params(site_id, start, end))


def order_groups(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The orders fetched by ``order_rows`` counted by trade, priority, assignee, state at
    the end and rework: ``(trade, priority, assignee, state, rework, n)``."""
    counted = Counter((r.trade, r.priority, r.assignee, r.state, r.rework) for r in rows)
    return [(*key, n) for key, n in counted.items()]


def unfinished_orders(rows: Sequence[Any]) -> list[Any]:
    """The orders fetched by ``order_rows`` neither completed nor cancelled by the period's
    end (S-2, R-13), in the order reported."""
    return [r for r in rows if r.state == "uncompleted"]


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
    # a complaint's resolution is looked up only for a callback about a complaint (COALESCE
    # stops at the order's completion): a join would make PostgreSQL hash every complaint
    resolved = (
        sa.select(COMPLAINT.c.resolved_at)
        .where(COMPLAINT.c.id == CALLBACK.c.complaint_id)
        .scalar_subquery()
    )
    started = sa.type_coerce(
        sa.func.coalesce(ORDER.c.completed_at, resolved), ORDER.c.completed_at.type
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
            q.select_from(CALLBACK.outerjoin(ORDER, ORDER.c.id == CALLBACK.c.work_order_id))
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
