"""The handover service: shifts (H-1), the duty log (H-8, H-9), the digest (H-5, H-12),
the block on important work (H-6), acknowledgements, questions (H-2, H-4), the two
signatures and the supervisor's countersign (H-7) — with the roles checked in the service.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from shiftdesk import chain, handover
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.errors import ConflictError, PermissionDenied, ValidationError
from shiftdesk.models import AuditEvent, HandoverEntry, Shift
from tests.conftest import FROZEN
from tests.handover_support import (
    first_unit,
    make_site,
    on_shift,
    open_shift,
    seed_other_areas,
    site_and_people,
)

# FROZEN is 10:00 in Shanghai; the day shift runs 08:00-20:00, the night 20:00-08:00.


def local(hh: int, mm: int = 0, day: int = 22) -> datetime:
    """An instant given as Shanghai wall-clock time (UTC+8) on 2026-11-<day>."""
    return datetime(2026, 11, day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


# ---------------------------------------------------------------------------- shifts


@pytest.mark.parametrize(
    ("at", "name", "start", "off"),
    [
        (local(7, 50), "day", local(8), -10),  # H-1: the incoming comes early
        (local(8, 0), "day", local(8), 0),
        (local(10, 0), "day", local(8), 120),  # opened late: recorded
        (local(19, 1), "night", local(20), -59),  # within early_open_minutes (60)
        (local(18, 59), "day", local(8), 659),  # 61 minutes before the night: still day
        (local(2, 0), "night", local(20, 0, day=21), 360),  # the night that began yesterday
    ],
)
def test_the_period_a_shift_opens_in(
    settings: Settings, at: datetime, name: str, start: datetime, off: int
) -> None:
    period = handover.period_for_opening(settings, at)
    assert (period.name, period.start) == (name, start)
    assert handover.off_by_minutes(at, period.start) == off


def test_one_open_shift_per_desk(base_engine: Engine, settings: Settings) -> None:
    site_id, people = site_and_people(base_engine, settings)
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, people["wangfang"])
        assert (shift.name, shift.opened_off_by_minutes, shift.status) == ("day", 120, "open")
        with pytest.raises(ConflictError, match="already open"):
            open_shift(base_engine, settings, site_id, people["lina"])
        other_desk = Settings()
        other_desk.site.desk = "lobby-2"
        second = open_shift(base_engine, other_desk, site_id, people["lina"])
    assert second.desk == "lobby-2"
    with read_session(base_engine) as session:
        opened = session.exec(select(HandoverEntry).where(HandoverEntry.kind == "open")).all()
    assert [json.loads(e.body)["opened_off_by_minutes"] for e in opened] == [120, 120]
    assert handover.shift_label(shift, settings.site.timezone) == "Day 11-22 08:00–20:00"


# ---------------------------------------------------------------------------- the log


@pytest.fixture
def day_shift(base_engine: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    site_id, people = site_and_people(base_engine, settings)
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, people["wangfang"])
    return site_id, people, shift.id


def test_each_entry_type_and_its_rules(
    base_engine: Engine,
    settings: Settings,
    day_shift,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    _site_id, people, shift_id = day_shift
    wang = people["wangfang"]
    photo = tmp_path / "scene.jpg"
    photo.write_bytes(b"\xff\xd8")

    def add(**kw):  # type: ignore[no-untyped-def]
        return on_shift(
            base_engine, shift_id, lambda s, sh: handover.add_entry(s, sh, author=wang, **kw), wang
        )

    note = add(kind="note", body="  called the lift company  ")
    assert (note.body, note.category) == ("called the lift company", "")
    event = add(kind="event", category="occupancy_change", body="3-2-1502 moved in")
    assert event.category == "occupancy_change"
    incident = add(
        kind="incident",
        category="flooding",
        body="water in B2",
        location="B2 car park",
        actions="valve closed, engineering on site",
        notified="CS supervisor, engineering",
        photos=[str(photo)],
    )
    assert incident.photos == str(photo)
    with pytest.raises(ValidationError) as err:
        add(kind="event", category="party", body="x")
    assert err.value.field == "category"
    with pytest.raises(ValidationError) as err:
        add(kind="incident", category="fire", body="smoke", actions="alarm")
    assert err.value.field == "location"  # H-9: where it happened
    with pytest.raises(ValidationError) as err:
        add(kind="incident", category="fire", body="smoke", location="3-1")
    assert err.value.field == "actions"
    with pytest.raises(ValidationError) as err:
        add(
            kind="incident",
            category="fire",
            body="smoke",
            location="3-1",
            actions="x",
            photos=[str(tmp_path / "missing.jpg")],
        )
    assert err.value.field == "photos"
    with pytest.raises(ValidationError) as err:
        add(kind="note", body="   ")
    assert err.value.field == "body"
    with pytest.raises(ValidationError):
        add(kind="signature", body="forged")  # only log kinds are written by hand


def test_a_correction_is_a_new_entry_and_both_stay(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    _site_id, people, shift_id = day_shift
    wang = people["wangfang"]
    wrong = on_shift(
        base_engine,
        shift_id,
        lambda s, sh: handover.add_entry(
            s, sh, author=wang, kind="note", body="lift 2 stopped at 9:10"
        ),
        wang,
    )
    fix = on_shift(
        base_engine,
        shift_id,
        lambda s, sh: handover.add_entry(
            s, sh, author=wang, kind="correction", body="it was lift 3", corrects_id=wrong.id
        ),
        wang,
    )
    with pytest.raises(ValidationError):
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.add_entry(
                s, sh, author=wang, kind="correction", body="no target"
            ),
            wang,
        )
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
        assert shift is not None
        rows = {r.entry_id: r for r in handover.timeline(session, settings, shift)}
        stored = session.get(HandoverEntry, wrong.id)
    assert stored is not None and stored.body == "lift 2 stopped at 9:10"  # never edited
    assert rows[wrong.id].corrected_by == [fix.seq]
    assert rows[fix.id].text.startswith(f"Corrects #{wrong.seq}")


def test_the_timeline_shows_records_from_other_screens(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, _people, shift_id = day_shift
    seed_other_areas(base_engine, site_id, FROZEN + timedelta(minutes=30))
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
        assert shift is not None
        rows = handover.timeline(session, settings, shift, now=FROZEN + timedelta(hours=1))
    sources = [r.source for r in rows]
    # the emergency order (28 min after opening); the normal one was reported before it
    assert sources.count("order") == 1
    assert sources.count("call") == 1
    assert sources.count("parcel") == 4 and sources.count("pickup") == 1
    assert [r.at for r in rows] == sorted(r.at for r in rows)


# ---------------------------------------------------------------------------- digest


def test_a_complaints_callback_is_handed_over_with_its_unit_and_summary(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    """CB-1: a resolved complaint's callback is unfinished business for the next shift."""
    from shiftdesk import complaints
    from shiftdesk.models import Call, Complaint

    site_id, people, shift_id = day_shift
    unit = first_unit(base_engine, site_id)
    assert unit is not None

    def seed(session: Session) -> int:
        call = Call(
            site_id=site_id,
            received_at=FROZEN - timedelta(days=7),
            channel="phone",
            category="complaint",
            unit_id=unit.id,
            summary="smell in the stairwell",
        )
        session.add(call)
        session.flush()
        complaint = Complaint(
            site_id=site_id,
            call_id=call.id,
            received_at=call.received_at,
            scheme="A",
            level="general",
        )
        session.add(complaint)
        session.flush()
        assert complaint.id is not None
        complaints.mark(
            session,
            complaint.id,
            "resolved",
            settings=settings,
            at=FROZEN - timedelta(days=7, hours=-1),
        )
        return complaint.id

    with time_machine.travel(FROZEN, tick=False):
        cid = transact(base_engine, seed, actor=people["wangfang"])
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
        assert shift is not None
        digest = handover.build_digest(session, settings, shift, now=FROZEN)
    (item,) = [i for i in digest.items if i.section == "callbacks"]
    assert item.detail["complaint_id"] == cid and item.detail["kind"] == "complaint"
    assert (item.ref, item.text) == (unit.code, "smell in the stairwell")


def test_the_digest_has_every_section_from_live_data(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, people, shift_id = day_shift
    ids = seed_other_areas(base_engine, site_id, FROZEN)
    wang = people["wangfang"]
    on_shift(
        base_engine,
        shift_id,
        lambda s, sh: handover.add_entry(
            s,
            sh,
            author=wang,
            kind="incident",
            category="lift_entrapment",
            body="2 people",
            location="3-1 lift 2",
            actions="freed 10:25",
        ),
        wang,
    )
    now = FROZEN + timedelta(minutes=1)
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
        assert shift is not None
        digest = handover.build_digest(
            session, settings, shift, now=now, special_instructions="spare key in drawer 2"
        )
    by_key = {i.key: i for i in digest.items}
    # the never-dispatched normal order is an hour past R-2: listed under breached clocks
    late = by_key[f"wo:{ids['late']}"]
    assert late.section == "breached"
    assert late.detail["clock"]["rule"] == "R-2" and late.detail["clock"]["state"] == "breached"
    # the emergency order is open, with its next clock, and important (H-6)
    emergency = by_key[f"wo:{ids['emergency']}"]
    assert emergency.blocking and emergency.detail["stage"] == "reported"
    assert emergency.detail["clock"] is not None
    major = by_key[f"complaint:{ids['major']}"]
    assert major.blocking and major.detail["clock"] is not None
    general = by_key[f"complaint:{ids['general']}"]
    assert not general.blocking  # answered general complaint: handed over, not blocking
    assert by_key[f"callback:{ids['callback']}"].section == "callbacks"
    assert digest.parcels_by_shelf == {"A": 2, "B": 1} and digest.parcels_total == 3
    assert by_key[handover.PARCELS_KEY].detail["total"] == 3
    assert [i.section for i in digest.items if i.key.startswith("entry:")] == ["incidents"]
    assert by_key[handover.INSTRUCTIONS_KEY].text == "spare key in drawer 2"
    assert digest.available["deposits"] is False  # honest: not recorded by this version
    assert {i.key for i in digest.blocking} == {
        f"wo:{ids['emergency']}",
        f"complaint:{ids['major']}",
    }
    title, detail = handover.describe_item(late, settings.site.timezone, now)
    assert title.startswith(f"Order {ids['late']}") and "BREACHED" in detail


def test_important_work_is_configurable(
    base_engine: Engine,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, _people, shift_id = day_shift
    seed_other_areas(base_engine, site_id, FROZEN)
    relaxed = Settings()
    relaxed.handover.block_on_emergency_orders = False
    relaxed.handover.block_complaint_levels = ["hot"]
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
        assert shift is not None
        digest = handover.build_digest(session, relaxed, shift, now=FROZEN)
    assert digest.blocking == []


# ---------------------------------------------------------------------------- handover


def _prepare(engine: Engine, settings: Settings, shift_id: int, author, text: str = ""):  # type: ignore[no-untyped-def]
    return on_shift(
        engine,
        shift_id,
        lambda s, sh: handover.prepare_handover(
            s, settings, sh, author=author, special_instructions=text
        ),
        author,
    )


def test_important_work_blocks_until_a_supervisor_overrides(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, people, shift_id = day_shift
    ids = seed_other_areas(base_engine, site_id, FROZEN)
    wang, lina, chen = people["wangfang"], people["lina"], people["chenjing"]
    with time_machine.travel(FROZEN + timedelta(hours=9, minutes=45), tick=False):
        with pytest.raises(handover.HandoverBlocked) as blocked:
            _prepare(base_engine, settings, shift_id, wang)
        keys = [i.key for i in blocked.value.items]
        assert sorted(keys) == sorted([f"wo:{ids['emergency']}", f"complaint:{ids['major']}"])
        with pytest.raises(PermissionDenied):  # H-6 override: supervisor or above only
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.override_block(
                    s, sh, supervisor=lina, reason="please", keys=keys
                ),
                lina,
            )
        with pytest.raises(ValidationError):
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.override_block(
                    s, sh, supervisor=chen, reason=" ", keys=keys
                ),
                chen,
            )
        with pytest.raises(PermissionDenied):  # only the operator on duty prepares
            _prepare(base_engine, settings, shift_id, lina)
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.override_block(
                s, sh, supervisor=chen, reason="engineering on site, owner informed", keys=keys
            ),
            chen,
        )
        digest = _prepare(base_engine, settings, shift_id, wang, "watch 3-1 lift")
    assert len(digest.blocking) == 2
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
    assert shift is not None and shift.status == "prepared"
    assert (shift.override_by, shift.override_reason) == (
        chen.id,
        "engineering on site, owner informed",
    )
    assert chain.verify(base_engine).ok


def test_a_new_blocker_after_the_override_blocks_again(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, people, shift_id = day_shift
    ids = seed_other_areas(base_engine, site_id, FROZEN)
    chen = people["chenjing"]
    on_shift(
        base_engine,
        shift_id,
        lambda s, sh: handover.override_block(
            s, sh, supervisor=chen, reason="known", keys=[f"wo:{ids['emergency']}"]
        ),
        chen,
    )
    with pytest.raises(handover.HandoverBlocked) as blocked:
        _prepare(base_engine, settings, shift_id, people["wangfang"])
    assert [i.key for i in blocked.value.items] == [f"complaint:{ids['major']}"]


def _prepared_quiet_shift(engine: Engine, settings: Settings, people, shift_id: int):  # type: ignore[no-untyped-def]
    """A prepared handover with parcels but no important work."""
    return _prepare(engine, settings, shift_id, people["wangfang"], "nothing special")


def test_acknowledge_ask_count_then_sign(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, people, shift_id = day_shift
    wang, lina = people["wangfang"], people["lina"]
    from shiftdesk.models import Parcel

    transact(
        base_engine,
        lambda s: s.add_all(
            [
                Parcel(site_id=site_id, tracking="SF1", shelf="A", received_at=FROZEN),
                Parcel(site_id=site_id, tracking="SF2", shelf="C", received_at=FROZEN),
            ]
        ),
    )
    evening = local(19, 50)
    with time_machine.travel(evening, tick=False):
        digest = _prepared_quiet_shift(base_engine, settings, people, shift_id)
        keys = [k for k in digest.item_keys() if k != handover.PARCELS_KEY]
        # the outgoing operator cannot receive their own handover
        with pytest.raises(ValidationError):
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.acknowledge(s, sh, incoming=wang, keys=keys),
                wang,
            )
        with pytest.raises(ValidationError):  # H-12: the count comes first
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.acknowledge(
                    s, sh, incoming=lina, keys=[handover.PARCELS_KEY]
                ),
                lina,
            )
        made = on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.acknowledge(s, sh, incoming=lina, keys=keys[:1]),
            lina,
        )
        assert [e.category for e in made] == keys[:1]
        again = on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.acknowledge(s, sh, incoming=lina, keys=keys[:1]),
            lina,
        )
        assert again == []  # already acknowledged
        question = on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.ask(
                s, sh, incoming=lina, text="where is the spare key of 3-2-1502?"
            ),
            lina,
        )
        # cannot sign: items, parcel count and the question are open
        with pytest.raises(ValidationError) as err:
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.sign_handover(s, settings, sh, outgoing=wang, incoming=lina),
                lina,
            )
        assert "parcel count" in err.value.message and "question" in err.value.message
        with pytest.raises(ValidationError) as err:  # a discrepancy needs a note
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.record_parcel_count(
                    s, sh, incoming=lina, counted={"A": 1, "C": 0}
                ),
                lina,
            )
        assert err.value.field == "note"
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.record_parcel_count(
                s, sh, incoming=lina, counted={"A": 1, "C": 0}, note="SF2 not on shelf C"
            ),
            lina,
        )
        with pytest.raises(PermissionDenied):  # only the outgoing operator answers
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.answer(
                    s, sh, outgoing=lina, question_id=question.id, text="?"
                ),
                lina,
            )
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.answer(
                s, sh, outgoing=wang, question_id=question.id, text="drawer 2"
            ),
            wang,
        )
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.acknowledge(s, sh, incoming=lina, keys=keys),
            lina,
        )
        with pytest.raises(PermissionDenied):  # the outgoing operator's own signature
            on_shift(
                base_engine,
                shift_id,
                lambda s, sh: handover.sign_handover(
                    s, settings, sh, outgoing=people["zhaolei"], incoming=lina
                ),
                lina,
            )
        following = on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.sign_handover(s, settings, sh, outgoing=wang, incoming=lina),
            lina,
        )
    assert (following.name, following.outgoing_id, following.status) == ("night", lina.id, "open")
    assert following.opened_off_by_minutes == -10
    with read_session(base_engine) as session:
        closed = session.get(Shift, shift_id)
        assert closed is not None
        state = handover.handover_state(session, closed)
        discrepancy = session.exec(
            select(AuditEvent).where(AuditEvent.action == "parcel_discrepancy")
        ).one()
    assert closed.status == "closed" and closed.incoming_id == lina.id
    assert closed.outgoing_signed_at == evening and closed.closed_at == evening
    assert set(state.signatures) == {"outgoing", "incoming"}
    assert state.parcel_count is not None and state.parcel_count.category == "discrepancy"
    assert discrepancy.entity_id == shift_id and "SF2" in discrepancy.note
    assert chain.verify(base_engine).ok


def test_rebuilding_the_digest_once_receiving_started_is_refused(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    _site_id, people, shift_id = day_shift
    digest = _prepared_quiet_shift(base_engine, settings, people, shift_id)
    on_shift(
        base_engine,
        shift_id,
        lambda s, sh: handover.acknowledge(
            s, sh, incoming=people["lina"], keys=[digest.items[-1].key]
        ),
        people["lina"],
    )
    with pytest.raises(ConflictError):
        _prepare(base_engine, settings, shift_id, people["wangfang"])


# ---------------------------------------------------------------------------- countersign


def _closed_shift(engine: Engine, settings: Settings, people, shift_id: int) -> None:  # type: ignore[no-untyped-def]
    wang, lina = people["wangfang"], people["lina"]
    digest = _prepared_quiet_shift(engine, settings, people, shift_id)
    on_shift(
        engine,
        shift_id,
        lambda s, sh: handover.record_parcel_count(s, sh, incoming=lina, counted={}),
        lina,
    )
    on_shift(
        engine,
        shift_id,
        lambda s, sh: handover.acknowledge(
            s, sh, incoming=lina, keys=[k for k in digest.item_keys() if k != "parcels"]
        ),
        lina,
    )
    on_shift(
        engine,
        shift_id,
        lambda s, sh: handover.sign_handover(s, settings, sh, outgoing=wang, incoming=lina),
        lina,
    )


def test_countersign_needs_supervisor_or_manager(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, people, shift_id = day_shift
    with time_machine.travel(local(19, 55), tick=False):
        _closed_shift(base_engine, settings, people, shift_id)
    day = date(2026, 11, 22)

    def sign(who: str):  # type: ignore[no-untyped-def]
        return transact(
            base_engine,
            lambda s: handover.countersign(
                s, settings, site_id=site_id, supervisor=people[who], day=day
            ),
            actor=people[who],
        )

    with read_session(base_engine) as session:
        assert [s.id for s in handover.awaiting_countersign(session, site_id)] == [shift_id]
    for who in ("wangfang", "lina"):
        with pytest.raises(PermissionDenied):
            sign(who)
    signed = sign("chenjing")
    assert [s.id for s in signed] == [shift_id]
    with pytest.raises(ValidationError):  # nothing left for that day
        sign("liuyang")
    with read_session(base_engine) as session:
        shift = session.get(Shift, shift_id)
        assert handover.awaiting_countersign(session, site_id) == []
    assert shift is not None and shift.countersigned_by == people["chenjing"].id
    assert chain.verify(base_engine).ok


def test_a_manager_can_countersign_too(
    base_engine: Engine,
    settings: Settings,
    day_shift,  # type: ignore[no-untyped-def]
) -> None:
    site_id, people, shift_id = day_shift
    _closed_shift(base_engine, settings, people, shift_id)
    signed = transact(
        base_engine,
        lambda s: handover.countersign(
            s, settings, site_id=site_id, supervisor=people["liuyang"], shift_ids=[shift_id]
        ),
    )
    assert [s.countersigned_by for s in signed] == [people["liuyang"].id]


def test_the_whole_handover_on_both_backends(engine: Engine, settings: Settings) -> None:
    site_id, people = make_site(engine, settings)
    with time_machine.travel(local(7, 55), tick=False):
        shift = open_shift(engine, settings, site_id, people["wangfang"])
    assert shift.id is not None and shift.opened_off_by_minutes == -5
    with time_machine.travel(local(19, 45), tick=False):
        _closed_shift(engine, settings, people, shift.id)
    transact(
        engine,
        lambda s: handover.countersign(
            s, settings, site_id=site_id, supervisor=people["chenjing"], day=date(2026, 11, 22)
        ),
    )
    with read_session(engine) as session:
        shifts = session.exec(select(Shift).order_by(Shift.id)).all()
        doc = handover.shift_document(session, settings, shifts[0])
    assert [(s.name, s.status) for s in shifts] == [("day", "closed"), ("night", "open")]
    assert doc["shift"]["countersigned_by"] == "chenjing"
    assert doc["parcel_count"]["result"] == "confirmed"
    report = chain.verify(engine)
    assert report.ok, report.problems


def test_pasted_control_characters_never_reach_the_log(engine: Engine, settings: Settings) -> None:
    """A paste with a NUL or an ANSI colour is stored clean (PostgreSQL refuses NUL)."""
    with time_machine.travel(FROZEN, tick=False):
        site_id, people = make_site(engine, settings)
        shift = open_shift(engine, settings, site_id, people["wangfang"])
        entry = on_shift(
            engine,
            shift.id,
            lambda s, sh: handover.add_entry(
                s,
                sh,
                author=people["wangfang"],
                kind="incident",
                category="flooding",
                body="水管\x00爆裂 \x1b[31mB2\x1b[0m",
                location="B2\x07 车库",
                actions="关阀\r\n通知工程部",
            ),
            people["wangfang"],
        )
    with read_session(engine) as session:
        stored = session.get(HandoverEntry, entry.id)
        assert stored is not None
        assert (stored.body, stored.location, stored.actions) == (
            "水管爆裂 B2",
            "B2 车库",
            "关阀\n通知工程部",
        )
    assert chain.verify(engine).ok
