"""A hand-built day with known timings, for the statistics tests (issue 7).

The day is Friday 2026-11-20 in Asia/Shanghai (UTC+8, no daylight saving), reported on
with "now" frozen at ``FROZEN`` (Sunday 22 Nov, 10:00). Work-order stages go through the
``shiftdesk orders ... --at`` commands, the same path an operator's script takes; calls,
complaints and parcels are written as records with their times (``rec_*`` helpers).

Every expected figure is worked out by hand in ``EXPECTED`` next to the records that make
it, so a reader can check the arithmetic without running anything.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
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
    Call,
    Complaint,
    Notification,
    Parcel,
    Site,
    Unit,
    WorkOrder,
)
from tests.conftest import FROZEN

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-20"
runner = CliRunner()


def at(text: str) -> datetime:
    """A site-local time ("2026-11-20 09:15") as an aware instant."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def cli(base: list[str], *args: str, now: datetime = FROZEN) -> Any:
    with time_machine.travel(now, tick=False):
        result = runner.invoke(app, [*base, *args])
    assert result.exit_code == 0, (args, result.output)
    return result


@contextlib.contextmanager
def clean_env() -> Iterator[None]:
    """No SHIFTDESK_* from the developer's shell while a shared database is built."""
    with pytest.MonkeyPatch.context() as mp:
        for var in list(os.environ):
            if var.startswith("SHIFTDESK_") and var != "SHIFTDESK_TEST_PG":
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
        self.units: list[int] = []
        #: the frozen "now" the ``orders`` commands run at
        self.now = FROZEN

    # ------------------------------------------------------------------ records

    def setup_site(self) -> None:
        cli(self.base, "init")

        def units(s: Any) -> tuple[int, list[int]]:
            site = s.exec(select(Site).where(Site.code == "DEMO")).scalars().one()
            b = Building(site_id=site.id, code="1")
            s.add(b)
            s.flush()
            made = [
                Unit(site_id=site.id, building_id=b.id, code=f"1-1-{n}", room=str(n))
                for n in (101, 102, 201)
            ]
            s.add_all(made)
            s.flush()
            return site.id, [u.id for u in made]

        self.site_id, self.units = transact(self.engine, units)

    def call(
        self,
        when: str,
        channel: str,
        category: str,
        *,
        night: bool = False,
        unit: int | None = None,
        name: str = "",
    ) -> int:
        def add(s: Any) -> int:
            c = Call(
                site_id=self.site_id,
                received_at=at(when),
                channel=channel,
                category=category,
                night=night,
                summary=f"{category} at {when}",
                unit_id=self.units[unit] if unit is not None else None,
            )
            s.add(c)
            s.flush()
            return int(c.id)

        cid = transact(self.engine, add)
        if name:
            self.ids[name] = cid
        return cid

    def complaint(self, name: str, call: int | None, when: str, level: str, **times: Any) -> None:
        def add(s: Any) -> int:
            fields = {
                k: (at(v) if isinstance(v, str) and k.endswith("_at") else v)
                for k, v in times.items()
            }
            c = Complaint(
                site_id=self.site_id,
                call_id=call,
                received_at=at(when),
                scheme="A",
                level=level,
                department=fields.pop("department", "engineering"),
                **fields,
            )
            s.add(c)
            s.flush()
            return int(c.id)

        self.ids[name] = transact(self.engine, add)

    def order(
        self,
        name: str,
        when: str,
        priority: str = "normal",
        trade: str = "plumbing",
        *,
        unit: int | None = 0,
        night: bool = False,
    ) -> int:
        from shiftdesk.workorders import create_order

        def add(s: Any) -> int:
            o = create_order(
                s,
                site_id=self.site_id,
                reported_at=at(when),
                trade=trade,
                priority=priority,
                summary=f"{name} {trade}",
                unit_id=self.units[unit] if unit is not None else None,
                location="" if unit is not None else "lobby",
                night=night,
            )
            return int(o.id)

        with time_machine.travel(FROZEN, tick=False):
            oid = transact(self.engine, add)
        self.ids[name] = oid
        return oid

    def orders(self, action: str, name: str, when: str, *extra: str) -> None:
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

    def parcel(self, name: str, received: str, status: str = "waiting", **times: Any) -> None:
        def add(s: Any) -> int:
            p = Parcel(
                site_id=self.site_id,
                tracking=f"SF{len(self.ids):010d}",
                received_at=at(received),
                status=status,
                **{k: at(v) for k, v in times.items()},
            )
            s.add(p)
            s.flush()
            return int(p.id)

        self.ids[name] = transact(self.engine, add)

    def notification(
        self, parcel: str, kind: str, status: str, sent: str | None, queued: str | None = None
    ) -> None:
        """A notification; ``queued`` is the outbox's not_before (None: a contact by hand)."""

        def add(s: Any) -> None:
            s.add(
                Notification(
                    site_id=self.site_id,
                    parcel_id=self.ids[parcel],
                    kind=kind,
                    status=status,
                    sent_at=at(sent) if sent else None,
                    not_before=at(queued) if queued else None,
                )
            )

        transact(self.engine, add)

    def new_order_of(self, name: str, original: str) -> None:
        def find(s: Any) -> int:
            return int(
                s.exec(
                    select(WorkOrder.id).where(WorkOrder.rework_of_id == self.ids[original])
                ).scalar_one()
            )

        self.ids[name] = transact(self.engine, find)

    # ------------------------------------------------------------------ the day

    def build(self) -> Day:
        """Friday 2026-11-20 (and the few records before it that fall due on it)."""
        self.setup_site()
        # -- calls (night window 20:00-08:00: C-8/R-5 marks them) --------------------------
        self.call("2026-11-19 23:59:59", "phone", "inquiry", night=True)  # the day before
        self.call("2026-11-21 00:00:00", "phone", "inquiry", night=True)  # the day after
        self.call("2026-11-20 00:00:00", "phone", "inquiry", night=True)  # first instant
        self.call("2026-11-20 08:30", "phone", "inquiry")
        self.call("2026-11-20 09:15", "walk_in", "repair", unit=0)
        self.call("2026-11-20 10:00", "phone", "repair", unit=1)
        k5 = self.call("2026-11-20 10:05", "phone", "complaint", unit=0)
        self.call("2026-11-20 12:00", "online", "repair")
        self.call("2026-11-20 13:00", "letter", "suggestion")
        k7 = self.call("2026-11-20 14:00", "walk_in", "complaint", unit=1)
        self.call("2026-11-20 16:00", "phone", "repair", unit=2)
        k10 = self.call("2026-11-20 20:00", "phone", "complaint", night=True, unit=2)
        self.call("2026-11-20 21:30", "phone", "repair", night=True, unit=0)
        self.call("2026-11-20 23:59", "phone", "repair", night=True, unit=1)
        # -- complaints (scheme A) --------------------------------------------------------
        # C1 general: department 15 min (CP-1 20), answered 25 min (30), resolved: all met
        self.complaint(
            "C1",
            k5,
            "2026-11-20 10:05",
            "general",
            status="resolved",
            department_reported_at="2026-11-20 10:20",
            answered_at="2026-11-20 10:30",
            resolved_at="2026-11-20 11:00",
        )
        # C2 general: department 50 min (late), answered 45 min (late), still open
        self.complaint(
            "C2",
            k7,
            "2026-11-20 14:00",
            "general",
            status="answered",
            department_reported_at="2026-11-20 14:50",
            answered_at="2026-11-20 14:45",
        )
        # C3 important (CP-2 fix 12 h, CP-4 12 h): nothing done by Sunday -> both breached
        self.complaint("C3", k10, "2026-11-20 20:00", "important", status="open")
        # C0: received a week before, escalated on the day (counts in "escalated" only)
        self.complaint(
            "C0",
            None,
            "2026-11-12 09:00",
            "major",
            status="open",
            escalated_at="2026-11-20 09:00",
            escalation_reason="month",
        )
        # -- work orders ------------------------------------------------------------------
        # O0 (13 Nov) completed 11:00 -> general callback due 20 Nov 11:00 (CB-3, 7 days);
        # called back 10:30 on the day, not satisfied; then re-repaired as O6.
        self.order("O0", "2026-11-13 10:00")
        self.chain("O0", "2026-11-13 10:01", "2026-11-13 10:10", "2026-11-13 11:00")
        # OX (19 Nov) urgent, completed 09:00 -> callback due 20 Nov 09:00 (24 h): never made
        self.order("OX", "2026-11-19 08:00", "urgent", "electrical", unit=1)
        self.chain("OX", "2026-11-19 08:02", "2026-11-19 08:10", "2026-11-19 09:00")
        # O1 09:15: dispatch 2 min, arrival 13 min, completed 11:00 (all on time)
        self.order("O1", "2026-11-20 09:15")
        self.chain("O1", "2026-11-20 09:17", "2026-11-20 09:30", "2026-11-20 11:00")
        # O2 10:00 urgent: dispatch 5 min (R-2 late), arrival 15 min (urgent 10: late),
        # unfinished at 16:00 waiting for parts (returned before 17:00: on time)
        self.order("O2", "2026-11-20 10:00", "urgent", "electrical", unit=1)
        self.chain("O2", "2026-11-20 10:05", "2026-11-20 10:20", assignee="小李")
        self.orders("unfinished", "O2", "2026-11-20 16:00", "--reason", "waiting for parts")
        # O5 12:00: cancelled a minute later, never dispatched
        self.order("O5", "2026-11-20 12:00", unit=None)
        self.orders("cancel", "O5", "2026-11-20 12:01", "--reason", "duplicate report")
        # O6 15:00: re-repair of O0 (返修): dispatch 2 min, arrival 8 min, done 16:30
        self.orders("rework", "O0", "2026-11-20 15:00", "--reason", "leaking again")
        self.new_order_of("O6", "O0")
        self.chain("O6", "2026-11-20 15:02", "2026-11-20 15:10", "2026-11-20 16:30")
        # O7 16:00 emergency (R-14: on site 5 min after the report): 6 min -> late
        self.order("O7", "2026-11-20 16:00", "emergency", unit=2)
        self.chain("O7", "2026-11-20 16:01", "2026-11-20 16:06", "2026-11-20 16:40")
        # O3 21:30 at night: dispatched at exactly 3 min (on time), arrival 17 min
        # (late), completed 22:30; dispatched after 17:00 -> returned by 17:00 next day
        self.order("O3", "2026-11-20 21:30", night=True)
        self.chain("O3", "2026-11-20 21:33", "2026-11-20 21:50", "2026-11-20 22:30")
        # O4 23:59: dispatched 00:02 (exactly 3 min: on time, across midnight), never
        # arrived: arrival (due 00:17) and return (due 21 Nov 17:00) breached by Sunday
        self.order("O4", "2026-11-20 23:59", unit=1, night=True)
        self.chain("O4", "2026-11-21 00:02", assignee="小李")
        self.orders(
            "callback",
            "O0",
            "2026-11-20 10:30",
            "--outcome",
            "unsatisfied",
            "--note",
            "still dripping",
        )
        # -- parcels (P-9: overdue after 7 days at the desk) ------------------------------
        self.parcel("P1", "2026-11-20 09:00", "picked_up", picked_up_at="2026-11-20 18:00")
        self.parcel("P2", "2026-11-20 10:00")
        self.parcel("P3", "2026-11-12 10:00")
        self.parcel("P4", "2026-11-14 00:00:00")  # exactly 7 days before the end: overdue
        self.parcel("P5", "2026-11-14 00:00:01")  # one second short: not yet
        self.parcel("P6", "2026-11-10 10:00", "picked_up", picked_up_at="2026-11-21 12:00")
        self.parcel("P7", "2026-11-15 10:00", "returned", returned_at="2026-11-20 15:00")
        self.parcel("P8", "2026-11-20 11:00", "refused", returned_at="2026-11-20 11:05")
        self.notification("P3", "reminder", "sent", "2026-11-20 09:30")  # by phone, by hand
        # through the outbox: queued 21:00 the evening before, retried, sent in the morning
        self.notification("P4", "reminder", "sent", "2026-11-20 08:00", "2026-11-19 21:00")
        self.notification("P6", "reminder", "sent", "2026-11-20 08:01", "2026-11-20 08:00")
        self.notification("P3", "reminder", "sent", "2026-11-19 09:30")  # the day before
        self.notification("P5", "reminder", "pending", None)  # not sent
        self.notification("P2", "checkin", "sent", "2026-11-20 10:01")  # not a reminder
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
        "night_calls": 4,
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
    },
    "work_orders": {
        "created": 7,  # O1 O2 O3 O4 O5 O6 O7
        "completed": 4,  # O1 O3 O6 O7
        "uncompleted": 2,  # O2 (unfinished) O4 (dispatched)
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
        "open_at_end": 2,  # O2 O4
    },
    "parcels": {
        "received": 3,  # P1 P2 P8
        "picked_up": 1,  # P1
        "waiting": 5,  # P2 P3 P4 P5 P6
        "overdue_7d": 3,  # P3 P4 P6
        "reminders_sent": 3,  # P3 by hand, P4 and P6 through the outbox
        "returned": 1,  # P7
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


def build_day(url: str, tmp: Path) -> Day:
    config = tmp / "config.toml"
    config.write_text('locale = "en"\n', encoding="utf-8")
    with clean_env():
        return Day(url, config).build()


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
