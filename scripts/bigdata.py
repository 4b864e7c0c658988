"""Fill a database with a year of a busy site, fast: for benchmarks, not for the demo.

    python scripts/bigdata.py --db sqlite:///data/big.db
    python scripts/bigdata.py --db postgresql://user@host/big --calls 1000000

Defaults: 1,000,000 calls (30 % repairs -> ~300,000 work orders, 5 % complaints), ~300,000
parcels with their check-in and reminder notifications, ~10,000 orders still open at the
end (the dispatch board's load), 5,000 residents with pinyin, and the demo operators
(wangfang/1111 ... admin/0000) so the app can be opened on the result. The year ends at the
start of ``--end`` (default: today in the site's zone), so "yesterday" is its last full day
and ``shiftdesk stats nightly`` has a busy day to report on.

Rows are written with sqlite3 ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in large
batches, never through the ORM: on the reference machine a million calls take seconds,
not the ~4 minutes ``add_all`` would. The database is migrated first; the site (``--site``,
default DEMO) may exist but must hold no calls yet. The same ``--seed`` gives the same data.

Importable: ``generate(url, ...) -> Summary`` (scripts/bench_stats.py uses it).
Not generated: audit events, handover shifts (no benchmark reads them).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic_core import PydanticUndefined
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from shiftdesk.clocks.callbacks import callback_due, callback_kind
from shiftdesk.config import Settings, load_settings
from shiftdesk.db import make_engine, transact
from shiftdesk.demo import DEMO_OPERATORS
from shiftdesk.demo.base import mobile, person_name
from shiftdesk.migrate import upgrade
from shiftdesk.models import (
    Building,
    Call,
    Callback,
    Complaint,
    Notification,
    Parcel,
    Resident,
    Role,
    Site,
    Unit,
    WorkOrder,
)
from shiftdesk.names import search_keys
from shiftdesk.sites import add_operator, ensure_system_operator

BATCH = 50_000

CATEGORIES = [  # (category, share of calls that are not repairs or complaints)
    ("inquiry", 0.50),
    ("help", 0.12),
    ("suggestion", 0.08),
    ("praise", 0.03),
    ("other", 0.27),
]
CHANNELS = [
    ("phone", 0.62),
    ("walk_in", 0.25),
    ("online", 0.06),
    ("intercom", 0.04),
    ("letter", 0.01),
    ("internal", 0.02),
]
#: calls by local hour: a busy front desk, quiet at night (the control room answers)
HOUR_WEIGHTS = [
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1.5,
    4,
    9,
    11,
    10,
    9,
    6,
    6,
    9,
    10,
    9,
    8,
    7,
    6,
    5,
    4,
    3,
    2,
]
TRADES = [
    ("plumbing", 0.32),
    ("electrical", 0.22),
    ("civil", 0.1),
    ("lift", 0.06),
    ("doors_locks", 0.12),
    ("hvac", 0.08),
    ("cleaning", 0.05),
    ("other", 0.05),
]
ENGINEERS = [
    "老张",
    "小李",
    "王师傅",
    "刘工",
    "陈师傅",
    "赵工",
    "孙师傅",
    "周工",
    "吴师傅",
    "郑工",
    "冯师傅",
    "何工",
]
DEPARTMENTS = ["engineering", "security", "cleaning", "greening", "customer_service"]
CARRIERS = ["sf", "jd", "zto", "yto", "sto", "yunda", "ems", "other"]
UNFINISHED_REASONS = [
    "waiting for parts",
    "resident not at home",
    "needs a second visit",
    "outside contractor required",
]


@dataclass
class Summary:
    url: str
    site: str
    first_day: date
    last_day: date
    counts: dict[str, int] = field(default_factory=dict)
    open_orders: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"{self.url}: site {self.site}, {self.first_day} .. {self.last_day}"]
        out += [f"  {table:<13} {n:>10,}" for table, n in self.counts.items()]
        out.append(f"  open orders   {self.open_orders:>10,}")
        total = sum(self.counts.values())
        out.append(f"  {total:,} rows in {self.seconds:.1f} s ({total / self.seconds:,.0f} rows/s)")
        return out


# ---------------------------------------------------------------------------- writing


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """Every column's model default, so new columns added by other areas keep working."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        out[name] = None if info.default is PydanticUndefined else info.default
    return out


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy stores for a UTC datetime on SQLite: naive UTC, microseconds."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


class Writer:
    """Batched inserts with explicit ids: sqlite3 executemany, or COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.raw = engine.raw_connection()
        if self.sqlite:
            # the engine puts sqlite3 in autocommit mode: one explicit transaction per batch
            self.raw.execute("PRAGMA synchronous=OFF")
            self.raw.execute("BEGIN")
        self.counts: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        cur = self.raw.cursor()
        cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        (value,) = cur.fetchone() or (0,)
        cur.close()
        return int(value) + 1

    def insert(self, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
        """Rows as dicts (missing keys take the model's defaults) -> one executemany / COPY."""
        if not rows:
            return
        table = model.__table__  # type: ignore[attr-defined]
        columns = [c.name for c in table.columns]
        base = _defaults(model)
        pick = itemgetter(*columns)
        data: list[Any] = [pick({**base, **row}) for row in rows]
        if self.sqlite:  # SQLite keeps UTC instants as text (bools go in as 0/1 by themselves)
            times = [
                i for i, c in enumerate(table.columns) if type(c.type).__name__ == "UTCDateTime"
            ]
            for n, record in enumerate(data):
                values = list(record)
                for i in times:
                    if values[i] is not None:
                        values[i] = _sqlite_time(values[i])
                data[n] = values
        cur = self.raw.cursor()
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            cur.executemany(
                f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({marks})', data
            )
        else:
            cols = ", ".join(f'"{c}"' for c in columns)
            with cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                for record in data:
                    copy.write_row(record)
        cur.close()
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    def commit(self) -> None:
        if self.sqlite:
            self.raw.execute("COMMIT")
            self.raw.execute("BEGIN")
        else:
            self.raw.commit()

    def finish(self) -> None:
        if not self.sqlite:
            cur = self.raw.cursor()
            for table in self.counts:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
                )
            cur.execute("ANALYZE")
            cur.close()
        else:
            self.raw.execute("COMMIT")
            self.raw.execute("ANALYZE")
            self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.raw.commit()
        self.raw.close()


class Buffers:
    """Row buffers flushed together, parents first, so foreign keys always hold."""

    def __init__(self, writer: Writer, *models: type[SQLModel]) -> None:
        self.writer = writer
        self.rows: dict[type[SQLModel], list[dict[str, Any]]] = {m: [] for m in models}

    def add(self, model: type[SQLModel], row: dict[str, Any]) -> None:
        self.rows[model].append(row)

    def settle(self) -> None:
        """Flush once a buffer is full; call it only when every row added so far has its
        parents added too (at the end of one record's rows)."""
        if any(len(rows) >= BATCH for rows in self.rows.values()):
            self.flush()

    def flush(self) -> None:
        for model, rows in self.rows.items():
            self.writer.insert(model, rows)
            rows.clear()
        self.writer.commit()


# ---------------------------------------------------------------------------- helpers


_CUM: dict[int, tuple[list[str], list[float]]] = {}


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, float]]) -> str:
    key = id(pairs)
    if key not in _CUM:
        names, total, cum = [p[0] for p in pairs], 0.0, []
        for _, weight in pairs:
            total += weight
            cum.append(total)
        _CUM[key] = (names, cum)
    names, cum = _CUM[key]
    return rng.choices(names, cum_weights=cum)[0]


def _instants(
    rng: random.Random, n: int, first: date, days: int, tz: ZoneInfo, hours: Sequence[float]
) -> Iterator[datetime]:
    """``n`` instants spread over ``days`` local days, in time order, by hour weights."""
    per_day = [n // days + (1 if i < n % days else 0) for i in range(days)]
    for offset, count in enumerate(per_day):
        day = first + timedelta(days=offset)
        start = datetime.combine(day, dtime(0), tzinfo=tz).astimezone(UTC)
        picked = rng.choices(range(24), weights=hours, k=count)
        seconds = sorted(h * 3600 + rng.randrange(3600) for h in picked)
        for s in seconds:
            yield start + timedelta(seconds=s, microseconds=rng.randrange(1_000_000))


def _night_test(tz: ZoneInfo, settings: Settings) -> Any:
    """R-5 / C-8: whether an instant falls in the night hours (``calls.night_*``)."""
    from shiftdesk.timeutil import in_window, parse_hhmm

    start, end = parse_hhmm(settings.calls.night_start), parse_hhmm(settings.calls.night_end)
    return lambda instant: in_window(instant.astimezone(tz).time(), start, end)


# ---------------------------------------------------------------------------- the site


def _site(engine: Engine, settings: Settings, site_code: str) -> int:
    """The site and the demo operators, through the ORM (a handful of rows, hashed PINs)."""
    from sqlmodel import select

    def site_and_people(session: Any) -> int:
        site = session.exec(select(Site).where(Site.code == site_code)).first()
        if site is None:
            site = Site(
                code=site_code, name="繁华花园 Busy Garden", timezone=settings.site.timezone
            )
            session.add(site)
            session.flush()
        ensure_system_operator(session)
        from shiftdesk.models import Operator

        for name, display, pin, role in DEMO_OPERATORS:
            if session.exec(select(Operator).where(Operator.name == name)).first() is None:
                add_operator(
                    session,
                    name=name,
                    pin=pin,
                    role=Role(role),
                    site_id=site.id,
                    display_name=display,
                )
        return int(site.id)

    return int(transact(engine, site_and_people))


def _base(
    writer: Writer,
    site_id: int,
    site_code: str,
    rng: random.Random,
    residents: int,
    now: datetime,
) -> tuple[list[tuple[int, str]], list[tuple[int, int, str, str]]]:
    """Buildings, units and residents (bulk); an existing site keeps its units."""
    cur = writer.raw.cursor()
    cur.execute(f"SELECT COUNT(*) FROM call WHERE site_id = {site_id}")
    (calls,) = cur.fetchone() or (0,)
    if int(calls):
        raise SystemExit(f"site {site_code} already has calls: use an empty database or --site")
    cur.execute(f"SELECT id, code FROM unit WHERE site_id = {site_id}")
    existing_units = [(int(i), str(c)) for i, c in cur.fetchall()]
    cur.close()
    units: list[tuple[int, str]] = existing_units
    if not units:
        building_id, unit_id = writer.next_id("building"), writer.next_id("unit")
        buildings: list[dict[str, Any]] = []
        unit_rows: list[dict[str, Any]] = []
        wanted_units = max(1, residents // 2)
        per_building = 2 * 26 * 4  # entrances x floors x flats per floor
        for b in range(1, wanted_units // per_building + 2):
            buildings.append(
                {"id": building_id, "site_id": site_id, "code": str(b), "name": f"{b}号楼"}
            )
            for e in (1, 2):
                for f in range(1, 27):
                    for r in range(1, 5):
                        if len(unit_rows) >= wanted_units:
                            break
                        room = f"{f}{r:02d}"
                        unit_rows.append(
                            {
                                "id": unit_id,
                                "site_id": site_id,
                                "building_id": building_id,
                                "code": f"{b}-{e}-{room}",
                                "entrance": str(e),
                                "floor": f,
                                "room": room,
                            }
                        )
                        units.append((unit_id, f"{b}-{e}-{room}"))
                        unit_id += 1
            building_id += 1
        writer.insert(Building, buildings)
        writer.insert(Unit, unit_rows)
    people: list[tuple[int, int, str, str]] = []
    rid = writer.next_id("resident")
    rows = []
    for i in range(residents):
        unit = units[i % len(units)][0]
        name = person_name(rng)
        full, initials = search_keys(name)
        phone = mobile(rng)
        rows.append(
            {
                "id": rid,
                "site_id": site_id,
                "unit_id": unit,
                "name": name,
                "pinyin": full,
                "initials": initials,
                "phone": phone,
                "kind": "owner" if i < len(units) else "tenant",
                "created_at": now,
            }
        )
        people.append((rid, unit, name, phone))
        rid += 1
    writer.insert(Resident, rows)
    writer.commit()
    return units, people


# ---------------------------------------------------------------------------- generate


def generate(
    url: str,
    *,
    calls: int = 1_000_000,
    parcels: int = 300_000,
    open_orders: int = 10_000,
    residents: int = 5_000,
    days: int = 365,
    end: date | None = None,
    seed: int = 7,
    site: str = "DEMO",
    repair_share: float = 0.30,
    complaint_share: float = 0.05,
    quiet: bool = False,
) -> Summary:
    started = time.perf_counter()
    settings = load_settings(env={})
    tz = ZoneInfo(settings.site.timezone)
    now = datetime.now(UTC)
    end = end or now.astimezone(tz).date()
    first = end - timedelta(days=days)
    end_instant = datetime.combine(end, dtime(0), tzinfo=tz).astimezone(UTC)
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    site_id = _site(engine, settings, site)
    writer = Writer(engine)

    def say(text: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - started:6.1f}s] {text}", file=sys.stderr, flush=True)

    units, people = _base(writer, site_id, site, rng, residents, now)
    say(f"site {site}: {len(units):,} units, {len(people):,} residents")
    by_unit: dict[int, list[tuple[int, int, str, str]]] = {}
    person: tuple[int, int, str, str] | None
    for resident in people:
        by_unit.setdefault(resident[1], []).append(resident)
    unit_ids = [u[0] for u in units]

    buffers = Buffers(writer, Call, WorkOrder, Complaint, Callback)
    call_id, order_id = writer.next_id("call"), writer.next_id("work_order")
    complaint_id, callback_id = writer.next_id("complaint"), writer.next_id("callback")
    # orders in the last 30 days are left open with this probability (the board's load)
    recent_from = end_instant - timedelta(days=30)
    expected_recent = calls * repair_share * min(30, days) / days
    p_open = min(1.0, open_orders / expected_recent) if expected_recent else 0.0
    last_order_on_unit: dict[tuple[int, str], int] = {}
    open_count = 0
    other_share = 1.0 - repair_share - complaint_share
    wo = settings.workorders
    mins = timedelta(minutes=1)
    is_night = _night_test(tz, settings)

    for received in _instants(rng, calls, first, days, tz, HOUR_WEIGHTS):
        roll = rng.random()
        category = (
            "repair"
            if roll < repair_share
            else "complaint"
            if roll < repair_share + complaint_share
            else _weighted(rng, CATEGORIES)
            if other_share > 0
            else "other"
        )
        unit = rng.choice(unit_ids) if rng.random() < 0.9 else None
        person = rng.choice(by_unit[unit]) if unit is not None and unit in by_unit else None
        night = is_night(received)
        buffers.add(
            Call,
            {
                "id": call_id,
                "site_id": site_id,
                "received_at": received,
                "entered_at": received + timedelta(seconds=rng.randint(20, 240)),
                "channel": _weighted(rng, CHANNELS),
                "category": category,
                "caller_name": person[2] if person else "",
                "caller_phone": person[3] if person else "",
                "unit_id": unit,
                "resident_id": person[0] if person else None,
                "location": "" if unit else "公共区域",
                "summary": f"{category} #{call_id}",
                "status": "closed",
                "night": night,
            },
        )
        if category == "repair":
            trade = _weighted(rng, TRADES)
            priority = rng.choices(("normal", "urgent", "emergency"), (85, 12, 3))[0]
            key = (unit or 0, trade)
            rework_of = last_order_on_unit.get(key) if unit and rng.random() < 0.03 else None
            row: dict[str, Any] = {
                "id": order_id,
                "site_id": site_id,
                "call_id": call_id,
                "unit_id": unit,
                "location": "" if unit else "公共区域",
                "in_home": unit is not None,
                "trade": trade,
                "priority": priority,
                "summary": f"{trade} #{order_id}",
                "reported_at": received,
                "night": night,
                "rework_of_id": rework_of,
                "leak": trade == "plumbing" and rng.random() < 0.1,
                "team": wo.night_team if night else "engineering",
                "assignee": rng.choice(ENGINEERS),
            }
            stay_open = received >= recent_from and rng.random() < p_open
            cancelled = not stay_open and rng.random() < 0.02
            dispatched = received + timedelta(seconds=rng.randint(30, 330))
            accepted = dispatched + timedelta(seconds=rng.randint(0, 180))
            limit = 10 if priority != "normal" else 15
            arrived = accepted + mins * rng.uniform(2, limit * 1.3)
            completed = arrived + mins * rng.uniform(15, 240)
            if cancelled:
                row.update(
                    stage="cancelled",
                    cancelled_at=received + mins * rng.uniform(1, 60),
                    cancel_reason="duplicate report",
                    team="",
                    assignee="",
                )
            elif stay_open:
                stage = rng.choices(
                    ("reported", "dispatched", "accepted", "arrived", "unfinished", "completed"),
                    (4, 10, 10, 16, 20, 40),
                )[0]
                open_count += 1
                row["stage"] = stage
                if stage != "reported":
                    row.update(dispatched_at=dispatched, first_dispatched_at=dispatched)
                else:
                    row.update(team="", assignee="")
                if stage in ("accepted", "arrived", "unfinished", "completed"):
                    row["accepted_at"] = accepted
                if stage in ("arrived", "unfinished", "completed"):
                    row["arrived_at"] = arrived
                if stage == "unfinished":
                    row.update(
                        unfinished_at=completed, unfinished_reason=rng.choice(UNFINISHED_REASONS)
                    )
                if stage == "completed":
                    row.update(completed_at=completed, result="修复")
            else:
                row.update(
                    stage="closed",
                    dispatched_at=dispatched,
                    first_dispatched_at=dispatched,
                    accepted_at=accepted,
                    arrived_at=arrived,
                    completed_at=completed,
                    result="修复",
                )
            if row.get("completed_at") is not None:
                completed_at = row["completed_at"]
                if row["leak"] and rng.random() < 0.9:
                    row["rained_at"] = completed_at + timedelta(days=rng.uniform(0.5, 10))
                kind = callback_kind(priority, row["leak"])
                due = callback_due(kind, completed_at, settings, rained_at=row.get("rained_at"))
                done = None
                if row["stage"] == "closed":
                    done = completed_at + timedelta(hours=rng.uniform(2, 24 * 6))
                    if due is not None and done > due and rng.random() < 0.8:
                        done = due - timedelta(hours=rng.uniform(0.5, 12))
                    done = max(done, completed_at + mins)
                    row["closed_at"] = done
                outcome = (
                    "" if done is None else rng.choices(("satisfied", "unsatisfied"), (95, 5))[0]
                )
                buffers.add(
                    Callback,
                    {
                        "id": callback_id,
                        "site_id": site_id,
                        "work_order_id": order_id,
                        "kind": kind.value,
                        "due_at": due,
                        "done_at": done,
                        "outcome": outcome,
                    },
                )
                callback_id += 1
            buffers.add(WorkOrder, row)
            if unit:
                last_order_on_unit[key] = order_id
            order_id += 1
        elif category == "complaint":
            level = rng.choices(("general", "important", "major"), (80, 15, 5))[0]
            answered = received + mins * rng.uniform(5, 40)
            resolved = answered + timedelta(hours=rng.uniform(0.5, 30))
            recent = received >= end_instant - timedelta(days=3)
            row = {
                "id": complaint_id,
                "site_id": site_id,
                "call_id": call_id,
                "received_at": received,
                "scheme": "A",
                "level": level,
                "repeat": rng.random() < 0.02,
                "department": rng.choice(DEPARTMENTS),
                "department_reported_at": received + mins * rng.uniform(3, 30),
                "answered_at": answered,
            }
            if recent and rng.random() < 0.5:
                row["status"] = "answered"
            else:
                row.update(
                    status="closed",
                    resolved_at=resolved,
                    closed_at=resolved + timedelta(days=rng.uniform(0.5, 3)),
                )
            buffers.add(Complaint, row)
            complaint_id += 1
        call_id += 1
        buffers.settle()
    buffers.flush()
    say(f"{writer.counts.get('call', 0):,} calls, {writer.counts.get('work_order', 0):,} orders")

    # -------------------------------------------------------------- parcels
    buffers = Buffers(writer, Parcel, Notification)
    parcel_id, note_id = writer.next_id("parcel"), writer.next_id("notification")
    desk_hours = [0] * 8 + [6, 8, 10, 10, 8, 8, 10, 10, 9, 7, 5, 3] + [0] * 4
    shelves = settings.parcels.shelves
    for received in _instants(rng, parcels, first, days, tz, desk_hours):
        unit = rng.choice(unit_ids)
        person = rng.choice(by_unit[unit]) if unit in by_unit else None
        wait = timedelta(days=rng.expovariate(1 / 1.5))
        row = {
            "id": parcel_id,
            "site_id": site_id,
            "tracking": f"SF{parcel_id:012d}",
            "carrier": rng.choice(CARRIERS),
            "unit_id": unit,
            "resident_id": person[0] if person else None,
            "recipient_name": person[2] if person else "",
            "shelf": rng.choice(shelves),
            "received_at": received,
        }
        picked = received + wait
        if rng.random() < 0.01:
            row.update(
                status="returned",
                returned_at=received + timedelta(days=rng.uniform(10, 20)),
                return_reason="unclaimed",
            )
            gone = row["returned_at"]
        elif picked < now:
            row.update(status="picked_up", picked_up_at=picked, pickup_by="self")
            gone = picked
        else:
            gone = None
        buffers.add(
            Notification,
            {
                "id": note_id,
                "site_id": site_id,
                "parcel_id": parcel_id,
                "resident_id": row["resident_id"],
                "kind": "checkin",
                "method": "json",
                "status": "sent",
                "attempts": 1,
                "created_at": received,
                "not_before": received,
                "sent_at": received + timedelta(seconds=rng.randint(1, 30)),
            },
        )
        note_id += 1
        remind = received + timedelta(days=settings.parcels.remind_after_days)
        reminders = 0
        while remind < (gone or now) and remind < now:
            buffers.add(
                Notification,
                {
                    "id": note_id,
                    "site_id": site_id,
                    "parcel_id": parcel_id,
                    "resident_id": row["resident_id"],
                    "kind": "reminder",
                    "method": "json",
                    "status": "sent",
                    "attempts": 1,
                    "created_at": remind,
                    "not_before": remind,
                    "sent_at": remind + timedelta(seconds=5),
                },
            )
            note_id += 1
            reminders += 1
            row["last_reminded_at"] = remind
            remind += timedelta(days=settings.parcels.remind_every_days)
        row["reminders"] = reminders
        buffers.add(Parcel, row)
        parcel_id += 1
        buffers.settle()
    buffers.flush()
    say(
        f"{writer.counts.get('parcel', 0):,} parcels, "
        f"{writer.counts.get('notification', 0):,} notifications"
    )
    counts = dict(writer.counts)
    writer.finish()
    engine.dispose()
    return Summary(
        url=engine.url.render_as_string(hide_password=True),
        site=site,
        first_day=first,
        last_day=end - timedelta(days=1),
        counts=counts,
        open_orders=open_count,
        seconds=time.perf_counter() - started,
    )


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", required=True, help="Database URL (sqlite:///... or postgresql://...)"
    )
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--parcels", type=int, default=300_000)
    parser.add_argument("--open-orders", type=int, default=10_000)
    parser.add_argument("--residents", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="The day after the last generated day (default: today, site time).",
    )
    parser.add_argument(
        "--repair-share",
        type=float,
        default=0.30,
        help="Share of calls that are repairs, each with a work order.",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--site", default="DEMO")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    summary = generate(
        args.db,
        calls=args.calls,
        parcels=args.parcels,
        open_orders=args.open_orders,
        residents=args.residents,
        days=args.days,
        end=args.end,
        seed=args.seed,
        site=args.site,
        repair_share=args.repair_share,
        quiet=args.quiet,
    )
    print("\n".join(summary.lines()))


if __name__ == "__main__":
    main()
