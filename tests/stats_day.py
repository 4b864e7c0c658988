"""A hand-built day with known timings, for the statistics tests (issue 7).

The day is Friday 2026-11-20 in Asia/Shanghai (UTC+8, no daylight saving), reported on
with "now" frozen at ``FROZEN`` (Sunday 22 Nov, 10:00). Everything that has a command goes
through it with ``--at`` (or with the clock frozen at the moment, for commands without
``--at``): ``calls log`` (which opens the work orders and complaints), ``complaints mark``,
``orders dispatch|accept|arrive|complete|unfinished|cancel|rework|callback``, ``parcels
checkin|pickup|contact``. What no command can produce at a chosen time is written as a
record: the complaint escalated on the day, a parcel returned or refused, outbox reminders.

A few records later in November (for the monthly report, issued on 1 December) are added
by ``Day.add_month``; they do not touch the day's figures.

Every expected figure is worked out by hand in ``EXPECTED`` next to the records that make
it, so a reader can check the arithmetic without running anything.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.db import make_engine, transact
from shiftdesk.models import (
    Building,
    Complaint,
    Notification,
    Parcel,
    Resident,
    Site,
    Unit,
    WorkOrder,
)
from tests.conftest import FROZEN

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-20"
UNITS = ("1-1-101", "1-1-102", "1-1-201")
OWNERS = (("张伟", "13800000101"), ("李娜", "13800000102"), ("王芳", "13800000201"))
#: Tuesday 1 Dec 2026, 09:00 in Shanghai: the monthly report for November is due (S-3)
FIRST_OF_DECEMBER = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
runner = CliRunner()


def at(text: str) -> datetime:
    """A site-local time ("2026-11-20 09:15") as an aware instant."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def cli(base: list[str], *args: str, now: datetime = FROZEN, code: int = 0) -> Any:
    with time_machine.travel(now, tick=False):
        result = runner.invoke(app, [*base, *args])
    assert result.exit_code == code, (args, result.output)
    return result


@contextlib.contextmanager
def clean_env() -> Iterator[None]:
    """No SHIFTDESK_* from the developer's shell while a shared database is built."""
    with pytest.MonkeyPatch.context() as mp:
        for var in list(os.environ):
            if var.startswith("SHIFTDESK_") and not var.startswith("SHIFTDESK_TEST_"):
                mp.delenv(var)
        yield


class Day:
    """Builds the records and remembers their ids by name (O1, C2, P3 ...)."""

    def __init__(self, url: str, config: Path) -> None:
        self.url = url
        self.base = ["--config", str(config), "--db", url]
        self.engine: Engine = make_engine(url)
        self.ids: dict[str, int] = {}
        self.site_id = 0
        #: the frozen "now" commands run at (they refuse times in the future)
        self.now = FROZEN

    # ------------------------------------------------------------------ commands

    def setup_site(self) -> None:
        cli(self.base, "init")

        def units(s: Any) -> int:
            site = s.exec(select(Site).where(Site.code == "DEMO")).scalars().one()
            b = Building(site_id=site.id, code="1")
            s.add(b)
            s.flush()
            for code, (owner, phone) in zip(UNITS, OWNERS, strict=True):
                unit = Unit(site_id=site.id, building_id=b.id, code=code, room=code[-3:])
                s.add(unit)
                s.flush()
                s.add(Resident(site_id=site.id, unit_id=unit.id, name=owner, phone=phone))
            return int(site.id)

        self.site_id = transact(self.engine, units)

    def log(
        self, name: str, when: str, channel: str, category: str, unit: int | None, *extra: str
    ) -> int:
        """``calls log --at``: the call and the order or complaint it opens, named ``name``."""
        where = ["--unit", UNITS[unit]] if unit is not None else ["--location", "lobby"]
        result = cli(
            self.base, "calls", "log", "--channel", channel, "--category", category,
            "--at", when.replace(" ", "T"), "--summary", f"{category} {name}".strip(),
            "--phone", "13900000000", *where, *extra, "--format", "json", now=self.now,
        )  # fmt: skip
        ids = json.loads(result.stdout)
        if name:
            self.ids[name] = ids.get("work_order_id") or ids.get("complaint_id") or ids["call_id"]
        return int(ids["call_id"])

    def mark(self, name: str, step: str, when: str) -> None:
        """``complaints mark ID STEP --at``."""
        stamp = when.replace(" ", "T")
        cli(self.base, "complaints", "mark", str(self.ids[name]), step, "--at", stamp, now=self.now)

    def orders(self, action: str, name: str, when: str, *extra: str) -> None:
        """``orders ACTION ID --at``."""
        stamp = when.replace(" ", "T")
        cli(self.base, "orders", action, str(self.ids[name]), "--at", stamp, *extra, now=self.now)

    def chain(
        self,
        name: str,
        dispatched: str | None = None,
        arrived: str | None = None,
        completed: str | None = None,
        assignee: str = "老张",
    ) -> None:
        """dispatch -> accept (same minute) -> arrive -> complete, as far as times are given."""
        if dispatched:
            self.orders("dispatch", name, dispatched, "--assignee", assignee)
            self.orders("accept", name, dispatched)
        if arrived:
            self.orders("arrive", name, arrived)
        if completed:
            self.orders("complete", name, completed, "--result", "fixed")

    def checkin(
        self, name: str, when: str, unit: int = 0, *extra: str, code: int = 0, frozen: bool = False
    ) -> None:
        """``parcels checkin --at`` (``frozen``: with the clock stopped at ``when`` instead, as
        a refusal is stamped now); the id is read back by tracking number."""
        tracking = f"SF{7_000_000_000 + len(self.ids):010d}"
        stamp = when.replace(" ", "T")
        cli(self.base, "parcels", "checkin", "--tracking", tracking, "--unit", UNITS[unit],
            "--at", stamp, *extra, now=at(when) if frozen else self.now, code=code)  # fmt: skip

        def find(s: Any) -> int:
            return int(s.exec(select(Parcel.id).where(Parcel.tracking == tracking)).scalar_one())

        self.ids[name] = transact(self.engine, find)

    def parcels(self, action: str, name: str, when: str, *extra: str) -> None:
        """``parcels pickup|contact ID ...`` with the clock frozen at ``when`` (no --at)."""
        cli(self.base, "parcels", action, str(self.ids[name]), *extra, now=at(when))

    # ------------------------------------------------------------------ records

    def set_times(self, model: Any, name: str, **values: Any) -> None:
        """What no command can do at a chosen time (an escalation, a return to sender)."""

        def update(s: Any) -> None:
            row = s.get(model, self.ids[name])
            for key, value in values.items():
                setattr(row, key, at(value) if key.endswith("_at") else value)
            s.add(row)

        transact(self.engine, update)

    def parcel(self, name: str, received: str, status: str, **times: str) -> None:
        def add(s: Any) -> int:
            p = Parcel(
                site_id=self.site_id, tracking=f"EMS{len(self.ids):09d}",
                received_at=at(received), status=status,
                **{k: at(v) for k, v in times.items()},
            )  # fmt: skip
            s.add(p)
            s.flush()
            return int(p.id)

        self.ids[name] = transact(self.engine, add)

    def outbox_reminder(self, parcel: str, queued: str, sent: str | None) -> None:
        """A reminder through the notification outbox: queued (not_before), then sent."""

        def add(s: Any) -> None:
            s.add(
                Notification(
                    site_id=self.site_id, parcel_id=self.ids[parcel], kind="reminder",
                    status="sent" if sent else "pending", not_before=at(queued),
                    sent_at=at(sent) if sent else None,
                )
            )  # fmt: skip

        transact(self.engine, add)

    def new_order_of(self, name: str, original: str) -> None:
        def find(s: Any) -> int:
            query = select(WorkOrder.id).where(WorkOrder.rework_of_id == self.ids[original])
            return int(s.exec(query).scalar_one())

        self.ids[name] = transact(self.engine, find)

    # ------------------------------------------------------------------ the day

    def build(self) -> Day:
        """Friday 2026-11-20 (and the few records before it that fall due on it)."""
        self.setup_site()
        # -- calls (the call form marks 20:00-08:00 as night, C-8/R-5) ----------------------
        self.log("", "2026-11-19 23:59:59", "phone", "inquiry", 0)  # the day before
        self.log("", "2026-11-21 00:00:00", "phone", "inquiry", 0)  # the day after
        self.log("", "2026-11-20 00:00:00", "phone", "inquiry", 0)  # the first instant
        self.log("", "2026-11-20 08:30", "phone", "inquiry", 0)
        self.log("", "2026-11-20 13:00", "letter", "suggestion", 1)
        # -- earlier orders whose callbacks fall due on the day -----------------------------
        # O0 (13 Nov) completed 11:00 -> general callback due 20 Nov 11:00 (CB-3, 7 days);
        # called back 10:30 on the day, not satisfied; re-repaired as O6 the same day.
        self.log("O0", "2026-11-13 10:00", "phone", "repair", 0, "--trade", "plumbing")
        self.chain("O0", "2026-11-13 10:01", "2026-11-13 10:10", "2026-11-13 11:00")
        # OX (19 Nov) urgent, completed 09:00 -> callback due 20 Nov 09:00 (24 h): never made
        self.log("OX", "2026-11-19 08:00", "phone", "repair", 1, "--trade", "electrical",
                 "--priority", "urgent")  # fmt: skip
        self.chain("OX", "2026-11-19 08:02", "2026-11-19 08:10", "2026-11-19 09:00")
        # -- the day's orders ---------------------------------------------------------------
        # O1 09:15: dispatch 2 min, arrival 13 min, completed 11:00 (all on time)
        self.log("O1", "2026-11-20 09:15", "walk_in", "repair", 0, "--trade", "plumbing")
        self.chain("O1", "2026-11-20 09:17", "2026-11-20 09:30", "2026-11-20 11:00")
        # O2 10:00 urgent: dispatch 5 min (R-2 late), arrival 15 min (urgent 10: late),
        # unfinished at 16:00 waiting for parts (returned before 17:00: on time)
        self.log("O2", "2026-11-20 10:00", "phone", "repair", 1, "--trade", "electrical",
                 "--priority", "urgent")  # fmt: skip
        self.chain("O2", "2026-11-20 10:05", "2026-11-20 10:20", assignee="小李")
        self.orders("unfinished", "O2", "2026-11-20 16:00", "--reason", "waiting for parts")
        # O5 12:00 in the lobby: cancelled a minute later, never dispatched
        self.log("O5", "2026-11-20 12:00", "online", "repair", None, "--trade", "plumbing")
        self.orders("cancel", "O5", "2026-11-20 12:01", "--reason", "duplicate report")
        # O6 15:00: re-repair of O0 (返修): dispatch 2 min, arrival 8 min, done 16:30
        self.orders("rework", "O0", "2026-11-20 15:00", "--reason", "leaking again")
        self.new_order_of("O6", "O0")
        self.chain("O6", "2026-11-20 15:02", "2026-11-20 15:10", "2026-11-20 16:30")
        # O7 16:00 emergency (R-14: on site 5 min after the report): 6 min -> late
        self.log("O7", "2026-11-20 16:00", "phone", "repair", 2, "--trade", "plumbing",
                 "--priority", "emergency")  # fmt: skip
        self.chain("O7", "2026-11-20 16:01", "2026-11-20 16:06", "2026-11-20 16:40")
        # O3 21:30 at night: dispatched at exactly 3 min (on time), arrival 17 min
        # (late), completed 22:30; dispatched after 17:00 -> returned by 17:00 next day
        self.log("O3", "2026-11-20 21:30", "phone", "repair", 0, "--trade", "plumbing")
        self.chain("O3", "2026-11-20 21:33", "2026-11-20 21:50", "2026-11-20 22:30")
        # O4 23:59: dispatched 00:02 (exactly 3 min: on time, across midnight), never
        # arrived: arrival (due 00:17) and return (due 21 Nov 17:00) breached by Sunday
        self.log("O4", "2026-11-20 23:59", "phone", "repair", 1, "--trade", "plumbing")
        self.chain("O4", "2026-11-21 00:02", assignee="小李")
        self.orders("callback", "O0", "2026-11-20 10:30", "--outcome", "unsatisfied",
                    "--note", "still dripping")  # fmt: skip
        # -- complaints (scheme A) ----------------------------------------------------------
        eng = ("--department", "engineering")
        # C1 general: department 15 min (CP-1 20), answered 25 min (30), resolved: all met
        self.log("C1", "2026-11-20 10:05", "phone", "complaint", 0, *eng)
        self.mark("C1", "reported", "2026-11-20 10:20")
        self.mark("C1", "answered", "2026-11-20 10:30")
        self.mark("C1", "resolved", "2026-11-20 11:00")
        # C2 general: department 50 min (late), answered 45 min (late), still open
        self.log("C2", "2026-11-20 14:00", "walk_in", "complaint", 1, *eng)
        self.mark("C2", "answered", "2026-11-20 14:45")
        self.mark("C2", "reported", "2026-11-20 14:50")
        # C3 important (CP-2 fix 12 h, CP-4 12 h): nothing done by Sunday -> both breached
        self.log("C3", "2026-11-20 20:00", "phone", "complaint", 2, *eng, "--level", "important")
        # C0: received a week before, escalated on the day (counts in "escalated" only)
        self.log("C0", "2026-11-12 09:00", "phone", "complaint", None, *eng, "--level", "major")
        self.set_times(Complaint, "C0", escalated_at="2026-11-20 09:00", escalation_reason="month")
        # C0 resolved a week before the day: its callback (CB-1, a week) is due 11-20 10:00,
        # made at 09:40 (on time); it closes C0
        self.mark("C0", "resolved", "2026-11-13 10:00")
        cli(self.base, "complaints", "callback", str(self.ids["C0"]), "--outcome", "satisfied",
            "--at", "2026-11-20T09:40", now=self.now)  # fmt: skip
        # -- parcels (P-9: overdue after 7 days at the desk) --------------------------------
        self.checkin("P1", "2026-11-20 09:00")
        self.parcels("pickup", "P1", "2026-11-20 18:00", "--by", "self", "--id-last4", "1234")
        self.checkin("P2", "2026-11-20 10:00", 1)
        self.checkin("P3", "2026-11-12 10:00", 2)
        self.checkin("P4", "2026-11-14 00:00:00")  # exactly 7 days before the end: overdue
        self.checkin("P5", "2026-11-14 00:00:01")  # one second short: not yet
        self.checkin("P6", "2026-11-10 10:00", 1)
        self.parcels("pickup", "P6", "2026-11-21 12:00", "--by", "self", "--id-last4", "9876")
        self.checkin("P7", "2026-11-15 10:00", 2)
        self.parcels("return", "P7", "2026-11-20 15:00", "--reason", "unclaimed for 5 days")
        self.checkin("P8", "2026-11-20 11:00", 1, "--name", "陌生人", "--refuse-reason",
                     "not a resident", code=2, frozen=True)  # fmt: skip
        # reminders: P3 by phone at the desk on the day; P3 the day before (not counted);
        # P4 and P6 through the outbox (queued the evening before / that morning)
        self.parcels("contact", "P3", "2026-11-20 09:30", "--method", "phone")
        self.parcels("contact", "P3", "2026-11-19 09:30", "--method", "phone")
        self.outbox_reminder("P4", "2026-11-19 21:00", "2026-11-20 08:00")
        self.outbox_reminder("P6", "2026-11-20 08:00", "2026-11-20 08:01")
        self.outbox_reminder("P5", "2026-11-20 08:00", None)  # queued, not sent
        self.second_site()
        return self

    def second_site(self) -> None:
        """Site EAST in the same database (PostgreSQL holds many): two calls on the day,
        none of which may leak into DEMO's figures (``--site all`` reports both)."""
        from shiftdesk.models import Call

        def add(s: Any) -> None:
            east = Site(code="EAST", name="East Court", timezone="Asia/Shanghai")
            s.add(east)
            s.flush()
            for when in ("2026-11-20 09:00", "2026-11-20 19:30"):
                s.add(Call(site_id=east.id, received_at=at(when), channel="phone",
                           category="inquiry", summary="east"))  # fmt: skip

        transact(self.engine, add)

    def add_month(self) -> Day:
        """Later in November, for the monthly report issued on 1 December."""
        self.now = FIRST_OF_DECEMBER
        # C5: the same unit (1-1-101) complains about engineering again -> S-6 repeat
        self.log("C5", "2026-11-25 10:00", "phone", "complaint", 0, "--department", "engineering")
        # callbacks later in the month: O1 satisfied, O3 unreachable (stays due)
        self.orders("callback", "O1", "2026-11-25 10:00", "--outcome", "satisfied")
        self.orders("callback", "O3", "2026-11-25 11:00", "--outcome", "unreachable")
        return self


#: every figure of the nightly report for DAY, worked out by hand from ``Day.build``
EXPECTED: dict[str, Any] = {
    "calls": {
        "total": 12,
        "by_category": {
            "inquiry": 2,
            "repair": 6,
            "complaint": 3,
            "suggestion": 1,
            "praise": 0,
            "help": 0,
            "other": 0,
        },
        "by_channel": {
            "phone": 8,
            "walk_in": 2,
            "letter": 1,
            "online": 1,
            "intercom": 0,
            "internal": 0,
        },
        "night_calls": 4,  # 00:00, 20:00 (C3), 21:30 (O3), 23:59 (O4)
        "hours": {
            "00:00": 1,
            "08:00": 1,
            "09:00": 1,
            "10:00": 2,
            "12:00": 1,
            "13:00": 1,
            "14:00": 1,
            "16:00": 1,
            "20:00": 1,
            "21:00": 1,
            "23:00": 1,
        },
    },
    "complaints": {
        "scheme": "A",
        "total": 3,
        "by_class": {"general": 2, "important": 1, "major": 0},
        "answered_on_time": 1,  # C1
        "answered_late": 2,  # C2 (answer 45 min), C3 (no answer clock: CP-4 breached)
        "answer_pending": 0,
        "open": 2,  # C2, C3
        "escalated": 1,  # C0
        "repeat": 0,
        "callbacks_due": 1,  # C0's, due 10:00
        "callbacks_done": 1,  # at 09:40
        "callback_rate": 1.0,
    },
    "work_orders": {
        "created": 7,  # O1 O2 O3 O4 O5 O6 O7
        "completed": 4,  # O1 O3 O6 O7
        "uncompleted": 2,  # O2 (unfinished) O4 (accepted)
        "cancelled": 1,  # O5
        "dispatch_on_time": 5,  # O1 O3 O4 O6 O7 (O5 never dispatched, cancelled)
        "dispatch_late": 1,  # O2
        "dispatch_pending": 0,
        "arrival_on_time": 2,  # O1 O6
        "arrival_late": 4,  # O2 O3 O7 missed, O4 breached
        "arrival_pending": 0,
        "return_on_time": 5,  # O1 O2 O3 O6 O7
        "return_late": 1,  # O4
        "median_dispatch_seconds": 150,  # 60 120 120 180 180 300
        "median_arrival_seconds": 780,  # 360 480 780 900 1020 (O4 never arrived)
        "callbacks_due": 2,  # O0 (11:00) OX (09:00)
        "callbacks_done": 1,  # O0
        "callbacks_on_time": 1,
        "callback_rate": 0.5,
        "rework": 1,  # O6
        "by_priority": {"normal": 5, "urgent": 1, "emergency": 1},
        "completed_in_period": 4,
    },
    "parcels": {
        "received": 2,  # P1 P2 (P8 was refused at the door, P-1)
        "picked_up": 1,  # P1
        "waiting": 5,  # P2 P3 P4 P5 P6
        "overdue_7d": 3,  # P3 P4 P6
        "reminders_sent": 3,  # P3 by phone, P4 and P6 through the outbox
        "returned": 1,  # P7
        "refused": 1,  # P8
    },
}

#: (record name, clock kind, rule) of every breach on the day
EXPECTED_BREACHES = {
    ("OX", "callback", "CB-3"),
    ("C2", "department", "CP-1"),
    ("C2", "answer", "CP-1"),
    ("O2", "dispatch", "R-2"),
    ("O2", "arrival", "R-3"),
    ("C3", "fix", "CP-2"),
    ("C3", "handled", "CP-4"),
    ("O7", "arrival", "R-14"),
    ("O3", "arrival", "R-3"),
    ("O4", "arrival", "R-3"),
    ("O4", "return", "R-13"),
}


_BUILT: dict[str, Day] = {}


def shared_day(request: pytest.FixtureRequest, backend: str) -> Day:
    """The day plus the month's later records, built once per backend per test process."""
    if backend not in _BUILT:
        tmp = request.getfixturevalue("tmp_path_factory").mktemp(f"stats-{backend}")
        url = new_database(request, backend, tmp)
        config = tmp / "config.toml"
        config.write_text('locale = "en"\n', encoding="utf-8")
        with clean_env():
            _BUILT[backend] = Day(url, config).build().add_month()
    return _BUILT[backend]


def new_database(request: pytest.FixtureRequest, backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'stats.db'}"
    import psycopg

    server = request.getfixturevalue("pg_server")
    name = f"stats_{os.getpid()}_{tmp.name}".lower().replace("-", "_")
    admin = server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return str(server.url(name))
