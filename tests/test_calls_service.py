"""The call service on SQLite and PostgreSQL: logging, the records a call opens, validation,
night and late entries, search, history, audited edits, complaint progress and escalation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from shiftdesk import complaints as cp
from shiftdesk.calls import (
    CallErrors,
    CallInput,
    LoggedCall,
    RepairInput,
    caller_history,
    calls_on,
    edit_call,
    log_call,
    search,
)
from shiftdesk.clocks.complaints import complaint_clocks, working_deadline
from shiftdesk.complaints import ComplaintInput
from shiftdesk.config import Settings
from shiftdesk.db import Actor, read_session, transact
from shiftdesk.errors import ConflictError, ValidationError
from shiftdesk.models import AuditEvent, Call, Complaint, Parcel, WorkOrder
from tests.calls_helpers import Small, populate
from tests.conftest import FROZEN

SH = ZoneInfo("Asia/Shanghai")
#: rules that do not depend on the backend run on SQLite only (PostgreSQL setup is slower)
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def small(engine: Engine, frozen: time_machine.Traveller) -> Small:
    return transact(engine, populate)


def actor(small: Small) -> Actor:
    return Actor(name="opT", id=small.operator_id)


def log(engine: Engine, small: Small, data: CallInput, settings: Settings) -> LoggedCall:
    return transact(
        engine, lambda s: log_call(s, small.site_id, data, settings), actor=actor(small)
    )


def count(engine: Engine, model: type) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def errors_of(engine: Engine, small: Small, data: CallInput, settings: Settings) -> dict[str, str]:
    with pytest.raises(CallErrors) as err:
        log(engine, small, data, settings)
    return err.value.by_field()


# ------------------------------------------------------------------------ what a call opens


@sqlite_only
def test_inquiry_is_just_a_call(engine: Engine, small: Small, settings: Settings) -> None:
    data = CallInput(channel="walk_in", category="inquiry", summary="停水时间？")
    logged = log(engine, small, data, settings)
    assert logged.work_order is None and logged.complaint is None
    assert logged.as_dict() == {"call_id": logged.call.id}
    call = logged.call
    assert (call.channel, call.category, call.received_at) == ("walk_in", "inquiry", FROZEN)
    assert call.operator_id == small.operator_id
    assert call.late_entry is False and call.night is False


def test_repair_call_opens_a_work_order_in_the_same_save(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(
        channel="phone",
        category="repair",
        summary="厨房水管漏水",
        caller_name="张伟",
        caller_phone="+86 138-0013-8000",
        unit_code="3-2-1502",
        repair=RepairInput(trade="plumbing", priority="urgent", paid=True, spare_key_ok=True),
    )
    logged = log(engine, small, data, settings)
    assert logged.as_dict() == {"call_id": logged.call.id, "work_order_id": logged.work_order.id}
    with read_session(engine) as session:
        order = session.exec(select(WorkOrder)).one()
    assert order.call_id == logged.call.id
    assert (order.trade, order.priority, order.stage) == ("plumbing", "urgent", "reported")
    assert order.unit_id == small.units["3-2-1502"]
    assert (order.paid, order.spare_key_ok, order.in_home) == (True, True, True)
    assert order.reporter_phone == "13800138000"
    assert order.reported_at == FROZEN
    assert order.reported_by == small.operator_id


@sqlite_only
def test_emergency_repair_is_flagged_for_the_board(
    engine: Engine, small: Small, settings: Settings
) -> None:
    # a burst pipe
    data = CallInput(
        channel="phone",
        category="repair",
        summary="水管爆裂跑水",
        unit_code="3-2-1502",
        repair=RepairInput(trade="plumbing", priority="emergency"),
    )
    assert log(engine, small, data, settings).work_order.priority == "emergency"  # type: ignore[union-attr]


@sqlite_only
def test_public_area_repair_has_a_location(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(
        channel="intercom",
        category="repair",
        summary="楼道灯不亮",
        outside=True,
        location="3号楼一单元楼道",
        repair=RepairInput(trade="electrical", in_home=False),
    )
    order = log(engine, small, data, settings).work_order
    assert order is not None
    assert (order.unit_id, order.location, order.in_home) == (None, "3号楼一单元楼道", False)


@sqlite_only
def test_complaint_scheme_a_is_classified_with_its_clocks(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(
        channel="phone",
        category="complaint",
        summary="保安态度生硬",
        caller_name="李女士",
        unit_code="3-2-1502",
        complaint=ComplaintInput(level="important", department="安保部"),
    )
    logged = log(engine, small, data, settings)
    complaint = logged.complaint
    assert complaint is not None
    assert (complaint.scheme, complaint.level, complaint.cause_class) == ("A", "important", "")
    assert complaint.call_id == logged.call.id and complaint.received_at == FROZEN
    due = {c.kind: c.due_at for c in complaint_clocks(complaint, settings)}
    assert due == {"fix": FROZEN + timedelta(hours=12), "handled": FROZEN + timedelta(hours=12)}


def test_complaint_scheme_b_has_cause_class_and_working_day_response(
    engine: Engine, small: Small, settings: Settings
) -> None:
    settings.complaints.scheme = "B"
    data = CallInput(
        channel="online",
        category="complaint",
        summary="地下车库顶板漏水",
        caller_phone="13912345678",
        unit_code="3-2-1502",
        complaint=ComplaintInput(level="general", cause_class="2", complainants=4),
    )
    complaint = log(engine, small, data, settings).complaint
    assert complaint is not None
    # CP-9: four complainants make it hot from the start
    assert (complaint.scheme, complaint.cause_class, complaint.level) == ("B", "2", "hot")
    assert complaint.escalation_reason == "complainants"
    (response,) = complaint_clocks(complaint, settings)
    # received Sunday 10:00: the response is due by the end of Monday
    assert response.due_at == working_deadline(FROZEN, 1, settings)
    assert response.due_at.astimezone(SH).strftime("%a %H:%M") == "Mon 18:00"


@sqlite_only
def test_scheme_b_complaint_without_class_is_refused(
    engine: Engine, small: Small, settings: Settings
) -> None:
    settings.complaints.scheme = "B"
    data = CallInput(
        channel="phone",
        category="complaint",
        summary="噪音",
        caller_name="王先生",
        unit_code="3-2-1502",
        complaint=ComplaintInput(level="hot"),
    )
    assert set(errors_of(engine, small, data, settings)) == {"cause_class"}
    # a scheme A level is not a scheme B severity
    data.complaint = ComplaintInput(level="important", cause_class="1")
    assert set(errors_of(engine, small, data, settings)) == {"level"}


# ------------------------------------------------------------------------ validation


@sqlite_only
def test_every_problem_is_reported_on_its_field_and_nothing_is_saved(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(
        channel="fax",
        category="repair",
        summary="  ",
        caller_phone="12345",
        unit_code="9-9-9999",
        caller_name="x" * 41,
        repair=RepairInput(trade="magic", priority="asap"),
    )
    fields = errors_of(engine, small, data, settings)
    assert set(fields) == {
        "channel",
        "summary",
        "caller_phone",
        "unit",
        "caller_name",
        "trade",
        "priority",
    }
    assert "9-9-9999" in fields["unit"]
    assert "40" in fields["caller_name"]
    assert count(engine, Call) == 0 and count(engine, WorkOrder) == 0


@sqlite_only
def test_where_is_required_for_repairs_and_complaints(
    engine: Engine, small: Small, settings: Settings
) -> None:
    repair = CallInput(
        channel="phone", category="repair", summary="漏水", repair=RepairInput(trade="plumbing")
    )
    assert set(errors_of(engine, small, repair, settings)) == {"unit"}
    repair.outside = True  # outside/unknown, but where?
    assert set(errors_of(engine, small, repair, settings)) == {"location"}
    complaint = CallInput(channel="phone", category="complaint", summary="噪音")
    assert set(errors_of(engine, small, complaint, settings)) == {"unit", "caller_name"}


@sqlite_only
def test_text_limits_and_messages_in_chinese(
    engine: Engine, small: Small, settings: Settings
) -> None:
    from shiftdesk.i18n import set_locale

    set_locale("zh_CN")
    data = CallInput(channel="phone", category="inquiry", summary="问" * 2001)
    assert errors_of(engine, small, data, settings) == {"summary": "过长：最多 2000 个字符"}
    data = CallInput(channel="phone", category="inquiry", summary="")
    assert errors_of(engine, small, data, settings) == {"summary": "请填写来电来访内容"}


@sqlite_only
def test_time_received_in_the_future_is_refused(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(
        channel="phone", category="inquiry", summary="?", received_at=FROZEN + timedelta(minutes=3)
    )
    assert set(errors_of(engine, small, data, settings)) == {"received_at"}
    data.received_at = FROZEN + timedelta(minutes=1)  # a PC clock a little ahead is fine
    assert log(engine, small, data, settings).call.received_at == FROZEN + timedelta(minutes=1)


@sqlite_only
def test_unit_code_with_spaces_and_outside_callers(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(channel="phone", category="inquiry", summary="?", unit_code="3 2 1502")
    assert log(engine, small, data, settings).call.unit_id == small.units["3-2-1502"]
    outsider = CallInput(
        channel="phone", category="inquiry", summary="?", unit_code="隔壁小区", outside=True
    )
    call = log(engine, small, outsider, settings).call
    assert (call.unit_id, call.location) == (None, "隔壁小区")


@sqlite_only
def test_choosing_a_resident_fills_the_unit(
    engine: Engine, small: Small, settings: Settings
) -> None:
    data = CallInput(
        channel="phone",
        category="help",
        summary="钥匙锁在家里",
        resident_id=small.residents["张文华"],
    )
    assert log(engine, small, data, settings).call.unit_id == small.units["3-2-1501"]


# ------------------------------------------------------------------------ night and late


@sqlite_only
@pytest.mark.parametrize(
    ("hh", "mm", "ss", "night"),
    [(19, 59, 59, False), (20, 0, 0, True), (7, 59, 59, True), (8, 0, 0, False)],
)
def test_night_calls_are_taken_by_the_control_room(
    engine: Engine,
    small: Small,
    settings: Settings,
    frozen: time_machine.Traveller,
    hh: int,
    mm: int,
    ss: int,
    night: bool,
) -> None:
    # R-5 / C-8: night_start 20:00 is night, night_end 08:00 is day again
    from datetime import datetime

    when = datetime(2026, 11, 22, hh, mm, ss, tzinfo=SH)
    frozen.move_to(when + timedelta(minutes=1))
    data = CallInput(
        channel="phone",
        category="repair",
        summary="跳闸",
        unit_code="3-2-1502",
        received_at=when,
        repair=RepairInput(trade="electrical"),
    )
    logged = log(engine, small, data, settings)
    assert logged.call.night is night
    assert logged.work_order is not None and logged.work_order.night is night


@sqlite_only
def test_late_entry_is_marked_and_audited(engine: Engine, small: Small, settings: Settings) -> None:
    # calls.late_entry_minutes = 10: 9:59 after is on time, 10:01 after is late
    fresh = CallInput(
        channel="phone",
        category="inquiry",
        summary="a",
        received_at=FROZEN - timedelta(minutes=9, seconds=59),
    )
    assert log(engine, small, fresh, settings).call.late_entry is False
    late = CallInput(
        channel="phone",
        category="inquiry",
        summary="b",
        received_at=FROZEN - timedelta(minutes=10, seconds=1),
    )
    call = log(engine, small, late, settings).call
    assert call.late_entry is True
    assert call.entered_at == FROZEN
    # the form says so explicitly when the operator edited the time
    edited = CallInput(
        channel="phone",
        category="inquiry",
        summary="c",
        received_at=FROZEN - timedelta(minutes=2),
        late_entry=True,
    )
    assert log(engine, small, edited, settings).call.late_entry is True
    with read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "late_entry")).all()
    assert {e.entity_id for e in events} == {call.id, call.id + 1}
    assert all(e.actor == "opT" for e in events)


# ------------------------------------------------------------------------ reading


def _seed_calls(engine: Engine, small: Small, settings: Settings) -> list[int]:
    rows = [
        CallInput(
            channel="phone",
            category="repair",
            summary="厨房水管漏水",
            caller_name="张伟",
            caller_phone="13800138000",
            unit_code="3-2-1502",
            repair=RepairInput(trade="plumbing"),
        ),
        CallInput(
            channel="walk_in",
            category="inquiry",
            summary="询问停车月卡",
            caller_name="李女士",
            unit_code="3-2-501",
            received_at=FROZEN - timedelta(days=1),
        ),
        CallInput(
            channel="phone",
            category="complaint",
            summary="楼上装修噪音",
            caller_name="欧阳娜娜",
            unit_code="12-1-101",
            received_at=FROZEN - timedelta(hours=1),
        ),
    ]
    return [log(engine, small, r, settings).call.id for r in rows]  # type: ignore[misc]


def test_search_by_text_unit_name_phone_and_day(
    engine: Engine, small: Small, settings: Settings
) -> None:
    ids = _seed_calls(engine, small, settings)
    tz = settings.site.timezone

    def found(**kw: object) -> list[int]:
        with read_session(engine) as session:
            return [r.call.id for r in search(session, small.site_id, tz=tz, **kw)]  # type: ignore[arg-type,misc]

    assert found(text="漏水") == [ids[0]]
    assert found(text="3-2-5") == [ids[1]]
    assert found(text="欧阳") == [ids[2]]
    assert found(text="138-0013") == [ids[0]]
    assert found(text="", day=(FROZEN - timedelta(days=1)).astimezone(SH).date()) == [ids[1]]
    assert found(text="%") == []
    with read_session(engine) as session:
        today = calls_on(session, small.site_id, FROZEN.astimezone(SH).date(), tz)
    assert [r.call.id for r in today] == [ids[0], ids[2]]  # newest first
    assert today[0].work_order_id is not None and today[1].complaint_id is not None
    assert today[0].unit_code == "3-2-1502"


@sqlite_only
def test_history_of_a_caller(engine: Engine, small: Small, settings: Settings) -> None:
    ids = _seed_calls(engine, small, settings)
    unit_id = small.units["3-2-1502"]

    def add_parcel(session: Session) -> None:
        session.add(
            Parcel(
                site_id=small.site_id,
                tracking="SF123456789",
                unit_id=unit_id,
                received_at=FROZEN,
                shelf="B",
            )
        )

    transact(engine, add_parcel)
    with read_session(engine) as session:
        history = caller_history(
            session,
            small.site_id,
            resident_id=small.residents["张伟"],
            unit_id=unit_id,
            phone="13800138000",
        )
    assert [r.call.id for r in history.calls] == [ids[0]]
    assert [o.call_id for o in history.open_orders] == [ids[0]]
    assert [p.shelf for p in history.waiting_parcels] == ["B"]
    assert history.open_complaints == []


# ------------------------------------------------------------------------ editing


def test_edits_are_audited_and_never_overwrite_a_newer_version(
    engine: Engine, small: Small, settings: Settings
) -> None:
    call = log(
        engine, small, CallInput(channel="phone", category="inquiry", summary="旧"), settings
    ).call
    assert call.id is not None
    edited = transact(
        engine,
        lambda s: edit_call(
            s,
            call.id,
            {"summary": "新", "result": "已答复"},
            settings,  # type: ignore[arg-type]
            expected_version=1,
        ),
        actor=actor(small),
    )
    assert (edited.summary, edited.result, edited.version) == ("新", "已答复", 2)
    with read_session(engine) as session:
        update = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "call", AuditEvent.action == "update")
        ).one()
    assert json.loads(update.before or "{}")["summary"] == "旧"
    assert json.loads(update.after or "{}")["summary"] == "新"
    assert update.actor == "opT"
    # a terminal still holding version 1 is refused, and nothing is written
    with pytest.raises(ConflictError):
        transact(
            engine,
            lambda s: edit_call(
                s,
                call.id,
                {"summary": "覆盖"},
                settings,  # type: ignore[arg-type]
                expected_version=1,
            ),
        )
    with read_session(engine) as session:
        assert session.get(Call, call.id).summary == "新"  # type: ignore[union-attr]


@sqlite_only
def test_moving_the_time_received_marks_a_late_entry(
    engine: Engine, small: Small, settings: Settings
) -> None:
    call = log(
        engine, small, CallInput(channel="phone", category="inquiry", summary="?"), settings
    ).call
    earlier = FROZEN - timedelta(hours=11)  # 23:00 the night before
    changed = transact(
        engine,
        lambda s: edit_call(
            s,
            call.id,
            {"received_at": earlier},  # type: ignore[arg-type]
            settings,
        ),
    )
    assert changed.late_entry is True and changed.night is True
    with pytest.raises(CallErrors):
        transact(engine, lambda s: edit_call(s, call.id, {"caller_phone": "123"}, settings))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        transact(engine, lambda s: edit_call(s, call.id, {"category": "repair"}, settings))  # type: ignore[arg-type]


# ------------------------------------------------------------------------ complaints


def _complaint(engine: Engine, small: Small, settings: Settings, **kw: object) -> Complaint:
    data = CallInput(
        channel="phone",
        category="complaint",
        summary="垃圾清运不及时",
        caller_name="王先生",
        unit_code="3-2-1502",
        complaint=ComplaintInput(**kw),
    )  # type: ignore[arg-type]
    complaint = log(engine, small, data, settings).complaint
    assert complaint is not None
    return complaint


@sqlite_only
def test_complaint_progress_stops_its_clocks(
    engine: Engine, small: Small, settings: Settings, frozen: time_machine.Traveller
) -> None:
    complaint = _complaint(engine, small, settings)
    frozen.shift(timedelta(minutes=15))
    marked = transact(engine, lambda s: cp.mark(s, complaint.id, "reported", settings=settings))  # type: ignore[arg-type]
    frozen.shift(timedelta(minutes=16))  # answered at 31 minutes: late
    marked = transact(
        engine,
        lambda s: cp.mark(
            s,
            complaint.id,
            "answered",  # type: ignore[arg-type]
            settings=settings,
            expected_version=marked.version,
        ),
    )
    assert marked.status == "answered"
    verdicts = {c.kind: c.on_time() for c in complaint_clocks(marked, settings)}
    assert verdicts == {"department": True, "answer": False, "handled": True}
    # a step keeps its first time; a stale version is refused
    again = transact(engine, lambda s: cp.mark(s, complaint.id, "answered", settings=settings))  # type: ignore[arg-type]
    assert again.answered_at == marked.answered_at
    with pytest.raises(ConflictError):
        transact(
            engine,
            lambda s: cp.mark(s, complaint.id, "closed", settings=settings, expected_version=1),
        )  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        transact(
            engine,
            lambda s: cp.mark(
                s,
                complaint.id,
                "answered",  # type: ignore[arg-type]
                settings=settings,
                at=FROZEN - timedelta(minutes=1),
            ),
        )
    closed = transact(engine, lambda s: cp.mark(s, complaint.id, "closed", settings=settings))  # type: ignore[arg-type]
    assert closed.status == "closed"
    with read_session(engine) as session:
        assert [
            r.complaint.id for r in cp.list_complaints(session, small.site_id, open_only=True)
        ] == []


def test_a_resolved_complaint_is_called_back_then_closed(
    engine: Engine, small: Small, settings: Settings, frozen: time_machine.Traveller
) -> None:
    """CB-1: every complaint is called back once resolved; CB-3's week is the default
    (``callbacks.complaint_days``); CB-2's quiet hours refuse; unreachable stays due (CB-6);
    an unsatisfied callback needs a note; satisfied closes the complaint (CP-25)."""
    from shiftdesk.clocks.complaints import next_due
    from shiftdesk.models import Callback

    complaint = _complaint(engine, small, settings)  # Sunday 10:00 site time
    cid = complaint.id
    assert cid is not None

    def callback(outcome: str, note: str = "") -> Complaint:
        return transact(
            engine,
            lambda s: cp.record_callback(s, cid, outcome=outcome, note=note, settings=settings),
            actor=actor(small),
        )

    with pytest.raises(ValidationError, match="not resolved"):
        callback("satisfied")
    frozen.shift(timedelta(hours=1))  # resolved at 11:00
    transact(engine, lambda s: cp.mark(s, cid, "resolved", settings=settings))
    with read_session(engine) as session:
        (row,) = cp.list_complaints(session, small.site_id)
        booked = session.exec(select(Callback).where(Callback.complaint_id == cid)).one()
    assert booked.kind == "complaint" and booked.done_at is None
    assert booked.due_at is not None
    assert booked.due_at.astimezone(SH).strftime("%m-%d %H:%M") == "11-29 11:00"  # a week on
    clock = next_due(row.complaint, settings, row.callback)
    assert clock is not None and clock.kind == "callback" and clock.due_at == booked.due_at

    frozen.shift(timedelta(hours=1, minutes=30))  # 12:30: lunch break
    with pytest.raises(ValidationError, match="12:00"):
        callback("satisfied")
    frozen.shift(timedelta(hours=2))  # 14:30
    with pytest.raises(ValidationError, match="note"):
        callback("unsatisfied")
    still = callback("unreachable", "无人接听")
    assert still.status == "resolved"
    frozen.shift(timedelta(hours=1))
    closed = callback("satisfied", "满意")
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(ValidationError, match="already"):
        callback("satisfied")
    with read_session(engine) as session:
        done = session.exec(select(Callback).where(Callback.complaint_id == cid)).one()
        events = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "callback", AuditEvent.entity_id == done.id
            )
        ).all()
    assert (done.outcome, done.attempts, done.note) == ("satisfied", 1, "满意")
    assert done.done_at is not None and done.operator_id == small.operator_id
    assert len(events) >= 3  # booked, the unreachable attempt, the callback made

    # CB-4's three days, where a site follows it
    settings.callbacks.complaint_days = 3
    other = _complaint(engine, small, settings)
    transact(engine, lambda s: cp.mark(s, other.id, "resolved", settings=settings))  # type: ignore[arg-type]
    with read_session(engine) as session:
        due = session.exec(select(Callback).where(Callback.complaint_id == other.id)).one().due_at
    assert due is not None and due.astimezone(SH).strftime("%m-%d %H:%M") == "11-25 15:30"


def test_escalation_applies_once_and_is_audited(
    engine: Engine, small: Small, settings: Settings, frozen: time_machine.Traveller
) -> None:
    settings.complaints.scheme = "B"
    complaint = _complaint(engine, small, settings, cause_class="1")
    assert complaint.level == "general"
    frozen.shift(timedelta(days=7, seconds=1))
    raised = transact(
        engine,
        lambda s: cp.apply_escalations(
            s, small.site_id, settings, FROZEN + timedelta(days=7, seconds=1)
        ),
    )
    assert [(c.id, c.level, c.escalation_reason) for c in raised] == [(complaint.id, "hot", "week")]
    again = transact(
        engine,
        lambda s: cp.apply_escalations(s, small.site_id, settings, FROZEN + timedelta(days=8)),
    )
    assert again == []
    with read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "escalate")).all()
    assert [e.entity_id for e in events] == [complaint.id]


def test_pasted_control_characters_never_reach_a_call(
    engine: Engine, small: Small, settings: Settings
) -> None:
    """A NUL or colour escape in pasted text is removed before the save (issue 9)."""
    logged = log(
        engine,
        small,
        CallInput(
            channel="phone",
            category="inquiry",
            summary="停车\x00费 \x1b[31m多少\x1b[0m",
            caller_name="张\x07伟",
        ),
        settings,
    )
    with read_session(engine) as session:
        call = session.get(Call, logged.call.id)
        assert call is not None
        assert (call.summary, call.caller_name) == ("停车费 多少", "张伟")
