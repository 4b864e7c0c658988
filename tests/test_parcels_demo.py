"""The demo's parcels: a week of them, in every state the screen shows."""

from __future__ import annotations

import random

from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk import parcels
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.demo import DemoContext
from shiftdesk.demo import parcels as demo_parcels
from shiftdesk.models import Notification, Operator, Parcel, Resident, Site, Unit
from tests.conftest import FROZEN


def context(engine: Engine, settings: Settings) -> DemoContext:
    with read_session(engine) as s:
        site = s.exec(select(Site)).one()
        return DemoContext(
            engine=engine,
            settings=settings,
            rng=random.Random(7),
            now=FROZEN,
            site=site,
            units=list(s.exec(select(Unit))),
            residents=list(s.exec(select(Resident))),
            operators={op.name: op for op in s.exec(select(Operator))},
        )


def test_demo_parcels_cover_every_state(base_engine: Engine, settings: Settings) -> None:
    ctx = context(base_engine, settings)
    demo_parcels.generate(ctx)
    assert ctx.extra and "parcels" in ctx.extra[0]
    with read_session(base_engine) as s:
        rows = s.exec(select(Parcel)).all()
        statuses = [p.status for p in rows]
        assert statuses.count("picked_up") > statuses.count("waiting") > 0
        assert statuses.count("returned") == 1 and statuses.count("refused") == 1
        assert sum(p.pickup_by == "proxy" and "P-5" in p.pickup_note for p in rows) == 2
        assert any(p.damaged and p.damage_note for p in rows)
        assert any(p.notify_suppressed for p in rows)
        overdue = parcels.list_parcels(s, settings, ctx.site.id or 0, overdue_only=True, now=FROZEN)
        assert overdue and all(r.age_days >= 7 and r.reminders >= 1 for r in overdue)
        assert all(r.last_reminded_at and r.last_reminded_at <= FROZEN for r in overdue)
        assert sum(parcels.waiting_by_shelf(s, ctx.site.id or 0).values()) == statuses.count(
            "waiting"
        )
        assert len({p.tracking for p in rows}) == len(rows)
        # every number is recognised as its carrier
        from shiftdesk.carriers import carrier_of

        assert all(carrier_of(p.tracking) == p.carrier for p in rows)
        assert s.exec(select(Notification)).first() is not None
    # the P-9 reminders the demo already made are not due again today
    with read_session(base_engine) as s:
        assert parcels.due_reminders(s, settings, ctx.site.id or 0, FROZEN) == []
