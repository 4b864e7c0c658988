"""The demo's duty log: a week of closed, countersigned shifts and one open now, verifiable."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk import chain, handover
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.models import HandoverEntry, Shift


def test_a_week_of_shifts_and_one_open_now(demo_engine: Engine, settings: Settings) -> None:
    tz = settings.site.timezone
    with read_session(demo_engine) as session:
        shifts = session.exec(select(Shift).order_by(Shift.period_start)).all()
        kinds = [e.kind for e in session.exec(select(HandoverEntry))]
        pending = handover.awaiting_countersign(session, shifts[0].site_id)
        states = [handover.handover_state(session, s) for s in shifts if s.status == "closed"]
    closed = [s for s in shifts if s.status == "closed"]
    open_now = [s for s in shifts if s.status != "closed"]
    # FROZEN is Sunday 10:00: the day shift is open; the 14 shifts before it are closed
    assert len(closed) == 14 and len(open_now) == 1
    assert (open_now[0].name, handover.shift_label(open_now[0], tz)) == (
        "day",
        "Day 11-22 08:00–20:00",
    )
    assert all(set(s.signatures) == {"outgoing", "incoming"} for s in states)
    assert all(s.parcel_count is not None for s in states)
    # yesterday's two shifts await the supervisor; every earlier day is countersigned (H-7)
    assert [handover.shift_day(s, tz).isoformat() for s in pending] == ["2026-11-21"] * 2
    assert all(s.countersigned_by is not None for s in closed if s not in pending)
    for needed in ("note", "event", "incident", "handover", "ack", "signature", "countersign"):
        assert needed in kinds, needed
    assert chain.verify(demo_engine).ok
