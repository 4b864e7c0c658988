"""Shared set-up for the handover tests: a site, its operators, records of other areas."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from shiftdesk import handover
from shiftdesk.config import Settings
from shiftdesk.db import Actor, read_session, transact
from shiftdesk.models import (
    Call,
    Callback,
    Complaint,
    Operator,
    Parcel,
    Role,
    Shift,
    Site,
    Unit,
    WorkOrder,
)
from shiftdesk.security import actor_for
from shiftdesk.sites import add_operator, ensure_site, ensure_system_operator

#: name -> (PIN, role), as in the demo
PEOPLE = {
    "wangfang": ("1111", Role.OPERATOR),
    "lina": ("2222", Role.OPERATOR),
    "chenjing": ("8888", Role.SUPERVISOR),
    "liuyang": ("9999", Role.MANAGER),
}


def make_site(engine: Engine, settings: Settings) -> tuple[int, dict[str, Actor]]:
    """A site with the four people above (for an empty database on either backend)."""

    def build(session: Session) -> tuple[int, dict[str, Actor]]:
        site = ensure_site(session, settings)
        ensure_system_operator(session)
        assert site.id is not None
        people = {
            name: actor_for(add_operator(session, name=name, pin=pin, role=role, site_id=site.id))
            for name, (pin, role) in PEOPLE.items()
        }
        return site.id, people

    return transact(engine, build)


def site_and_people(engine: Engine, settings: Settings) -> tuple[int, dict[str, Actor]]:
    """The demo base's site and operators (``base_engine``)."""
    with read_session(engine) as session:
        site = session.exec(select(Site).where(Site.code == settings.site.code)).one()
        ops = session.exec(select(Operator)).all()
    assert site.id is not None
    return site.id, {op.name: actor_for(op) for op in ops}


def open_shift(engine: Engine, settings: Settings, site_id: int, holder: Actor) -> Shift:
    return transact(
        engine,
        lambda s: handover.open_shift(s, settings, site_id=site_id, holder=holder),
        actor=holder,
    )


def on_shift(engine: Engine, shift_id: int, fn: Any, actor: Actor | None = None) -> Any:
    """Run ``fn(session, shift)`` in a write transaction on a fresh copy of the shift."""

    def work(session: Session) -> Any:
        return fn(session, handover.get_shift(session, shift_id))

    return transact(engine, work, actor=actor) if actor else transact(engine, work)


def first_unit(engine: Engine, site_id: int) -> Unit | None:
    with read_session(engine) as session:
        return session.exec(select(Unit).where(Unit.site_id == site_id)).first()


def seed_other_areas(engine: Engine, site_id: int, now: datetime) -> dict[str, int]:
    """One record of each kind the digest reads, written straight to the tables.

    - an emergency order, reported 2 minutes ago (important: blocks, H-6)
    - a normal order reported an hour ago and never dispatched (breached R-2)
    - a major complaint, not answered (important: blocks, H-6)
    - a general complaint already answered
    - a callback due in two hours
    - parcels waiting: 2 on shelf A, 1 on shelf B; one collected (not counted)
    """
    unit = first_unit(engine, site_id)
    unit_id = unit.id if unit else None

    def seed(session: Session) -> dict[str, int]:
        emergency = WorkOrder(
            site_id=site_id,
            unit_id=unit_id,
            trade="plumbing",
            priority="emergency",
            summary="burst pipe in the kitchen",
            reported_at=now - timedelta(minutes=2),
        )
        late = WorkOrder(
            site_id=site_id,
            unit_id=unit_id,
            trade="electrical",
            priority="normal",
            summary="corridor light out",
            reported_at=now - timedelta(hours=1),
        )
        done = WorkOrder(
            site_id=site_id,
            unit_id=unit_id,
            trade="civil",
            priority="normal",
            summary="tile replaced",
            reported_at=now - timedelta(days=2),
            stage="closed",
            completed_at=now - timedelta(days=1),
            closed_at=now - timedelta(hours=5),
        )
        session.add_all([emergency, late, done])
        call = Call(
            site_id=site_id,
            received_at=now - timedelta(minutes=20),
            channel="phone",
            category="complaint",
            unit_id=unit_id,
            summary="noise from the building site",
        )
        session.add(call)
        session.flush()
        major = Complaint(
            site_id=site_id,
            call_id=call.id,
            received_at=now - timedelta(minutes=20),
            scheme="A",
            level="major",
            department="engineering",
        )
        general = Complaint(
            site_id=site_id,
            received_at=now - timedelta(minutes=10),
            scheme="A",
            level="general",
            status="answered",
            answered_at=now - timedelta(minutes=5),
            department="cleaning",
        )
        session.add_all([major, general])
        session.flush()
        callback = Callback(
            site_id=site_id,
            work_order_id=done.id,
            kind="general",
            due_at=now + timedelta(hours=2),
        )
        session.add(callback)
        session.add_all(
            [
                Parcel(site_id=site_id, tracking="SF1001", shelf="A", received_at=now),
                Parcel(site_id=site_id, tracking="SF1002", shelf="A", received_at=now),
                Parcel(site_id=site_id, tracking="YT2001", shelf="B", received_at=now),
                Parcel(
                    site_id=site_id,
                    tracking="YT2002",
                    shelf="B",
                    received_at=now,
                    status="picked_up",
                    picked_up_at=now,
                ),
            ]
        )
        session.flush()
        ids = {
            "emergency": emergency.id,
            "late": late.id,
            "major": major.id,
            "general": general.id,
            "callback": callback.id,
            "call": call.id,
        }
        return {k: v for k, v in ids.items() if v is not None}

    return transact(engine, seed)
