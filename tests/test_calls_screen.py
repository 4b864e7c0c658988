"""The call form (F2) driven by keyboard in Pilot, on the demo site's base at a frozen time.

FROZEN is Sunday 22 Nov 2026, 10:00 in Shanghai (day hours). The demo base has 张伟
(zhangwei / zw, 132 2852 1454) in unit 5-1-102 and 徐明 (xm) in 1-1-101.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.widgets import DataTable, Input

from screens.calls import CallsScreen
from screens.calls.detail import CallDetailScreen
from screens.signin import ConfirmScreen
from screens.widgets.keychoice import KeyChoice
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.models import AuditEvent, Call, Complaint, Resident, Unit, WorkOrder
from tests.conftest import FROZEN
from tests.pilot import build_app, settle, sign_in, type_text

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


async def open_calls(pilot: Any) -> CallsScreen:
    await sign_in(pilot)
    await pilot.press("f2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CallsScreen)
    return screen


def calls(engine: Engine) -> list[Call]:
    with read_session(engine) as session:
        return list(session.exec(select(Call).order_by(Call.id)).all())  # type: ignore[arg-type]


def one(engine: Engine, model: type, **where: Any) -> Any:
    with read_session(engine) as session:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return session.exec(stmt).one()


def last(engine: Engine, model: Any) -> Any:
    with read_session(engine) as session:
        return session.exec(select(model).order_by(model.id.desc())).first()


def zhang(engine: Engine) -> tuple[Resident, str]:
    resident = one(engine, Resident, name="张伟")
    with read_session(engine) as session:
        unit = session.get(Unit, resident.unit_id)
    assert unit is not None
    return resident, unit.code


async def save(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


def confirmation(screen: CallsScreen) -> str:
    return str(screen.query_one("#confirmation").render())


# ------------------------------------------------------------------------ the fast path


async def test_walk_in_in_three_keys_discard_and_every_simple_category(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_calls(pilot)
        # the form opens on the first field with the time received filled in
        assert app.focused is screen.query_one("#channel")
        assert screen.query_one("#received", Input).value == "2026-11-22 10:00"
        await pilot.press("w")  # 1: walk-in
        await pilot.press("i")  # 2: inquiry
        assert app.focused is screen.query_one("#summary")
        await type_text(pilot, "when is the water back")
        await save(pilot)  # 3: Ctrl+S
        (call,) = calls(base_engine)
        assert (call.channel, call.category, call.summary) == (
            "walk_in",
            "inquiry",
            "when is the water back",
        )
        assert call.received_at == FROZEN and call.late_entry is False
        assert call.operator_id is not None
        # cleared for the next call, with the record number shown
        assert f"Call {call.id} saved" in confirmation(screen)
        assert screen.query_one("#summary", Input).value == ""
        assert screen.query_one("#category", KeyChoice).value is None
        assert app.focused is screen.query_one("#channel")
        # Esc asks before discarding typed text
        await pilot.press("p", "i")
        await type_text(pilot, "half typed")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # no: keep it
        await pilot.pause()
        assert screen.query_one("#summary", Input).value == "half typed"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one("#summary", Input).value == ""
        assert len(calls(base_engine)) == 1
        # every other channel and simple category, by single keys
        keys = [
            ("p", "i", "phone", "inquiry"),
            ("l", "s", "letter", "suggestion"),
            ("o", "p", "online", "praise"),
            ("i", "h", "intercom", "help"),
            ("d", "o", "internal", "other"),
        ]
        for channel_key, category_key, _channel, _category in keys:
            await pilot.press(channel_key, category_key)
            await type_text(pilot, f"{category_key} text")
            await save(pilot)
        saved = [(c.channel, c.category, c.summary) for c in calls(base_engine)]
        assert saved[1:] == [(ch, cat, f"{ck} text") for _k, ck, ch, cat in keys]


# ------------------------------------------------------------------------ caller lookup


async def test_lookup_by_initials_pinyin_phone_and_unit_fills_the_caller(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    resident, unit_code = zhang(base_engine)
    phone = resident.phone
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_calls(pilot)
        lookup = screen.query_one("#caller")
        for query, down in (
            ("zw", 0),
            ("zhangw", 0),
            (f"+86 {phone[:3]}-{phone[3:7]}", 0),
            (unit_code, 1),
        ):
            lookup.clear()  # type: ignore[attr-defined]
            lookup.focus()
            await type_text(pilot, query)
            for _ in range(down):  # a unit query lists the unit itself first
                await pilot.press("down")
            await pilot.press("enter")
            await settle(pilot)
            assert screen.query_one("#name", Input).value == "张伟", query
            assert screen.query_one("#phone", Input).value.replace(" ", "") == phone
            assert unit_code in str(screen.query_one("#unit-shown").render())
            assert screen.query_one("#history").has_class("-shown")
        # the caller's history is beside the form
        assert "张伟" in str(screen.query_one("#history-text").render())
        screen.query_one("#category").focus()
        await pilot.press("h")
        await type_text(pilot, "lost key")
        await save(pilot)
        (call,) = calls(base_engine)
        assert (call.resident_id, call.unit_id) == (resident.id, resident.unit_id)
        assert call.caller_phone == phone
    # each time the history was shown, the read of the resident's record was logged
    with read_session(base_engine) as session:
        reads = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "read",
                AuditEvent.entity == "resident",
                AuditEvent.entity_id == resident.id,
            )
        ).all()
    assert len(reads) >= 3 and all(r.actor == "wangfang" for r in reads)


# ------------------------------------------------------------------------ repairs


async def test_repairs_open_work_orders_and_refusals_lose_nothing(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    resident, _unit = zhang(base_engine)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_calls(pilot)
        await pilot.press("p", "r")
        assert screen.query_one("#form-pane").has_class("-repair")
        await type_text(pilot, "burst pipe")
        await pilot.press("tab")
        await type_text(pilot, "zw")
        await pilot.press("enter")
        await settle(pilot)
        screen.query_one("#trade").focus()
        await pilot.press("1", "e")  # plumbing, emergency
        await save(pilot)
        (call,) = calls(base_engine)
        order = one(base_engine, WorkOrder, call_id=call.id)
        assert (order.trade, order.priority, order.stage) == ("plumbing", "emergency", "reported")
        assert (order.unit_id, order.reporter_name) == (resident.unit_id, "张伟")
        assert f"EMERGENCY work order {order.id}" in confirmation(screen)
        # a repair without a trade, a unit typed but never chosen, a wrong phone
        await pilot.press("p", "r")
        await type_text(pilot, "lift stuck")
        await pilot.press("tab")
        await type_text(pilot, "9-9-99")  # typed, never chosen
        screen.query_one("#phone").focus()
        await type_text(pilot, "12345")
        await save(pilot)
        assert len(calls(base_engine)) == 1
        assert "Choose the trade" in screen.field_error("trade")
        assert "Choose a unit from the list" in screen.field_error("unit")
        assert "Not saved: 2" in confirmation(screen)
        # fix the two, and the service then finds the phone implausible
        screen.query_one("#outside").value = True  # type: ignore[attr-defined]
        screen.query_one("#location").focus()
        await type_text(pilot, "North gate")
        screen.query_one("#trade").focus()
        await pilot.press("4")
        await save(pilot)
        assert len(calls(base_engine)) == 1
        assert "not a plausible phone number" in screen.field_error("caller_phone")
        assert app.focused is screen.query_one("#phone")
        # everything typed is still there
        assert screen.query_one("#summary", Input).value == "lift stuck"
        assert screen.query_one("#phone", Input).value == "12345"
        screen.query_one("#phone", Input).value = "13800138000"
        await save(pilot)
        call = calls(base_engine)[-1]
        assert (call.location, call.caller_phone) == ("North gate", "13800138000")
        assert one(base_engine, WorkOrder, call_id=call.id).trade == "lift"


async def test_errors_are_in_the_operators_language(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    settings.locale = "zh_CN"
    app = build_app(base_engine, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_calls(pilot)
        await pilot.press("w", "c")
        await save(pilot)
        assert screen.field_error("summary") == "请填写投诉内容"
        assert screen.field_error("unit").startswith("哪个房号")
        assert "投诉人姓名或电话" in screen.field_error("caller_name")
        # the layout holds at 80 columns with Chinese text
        for row in screen.query(".row"):
            assert row.region.right <= 80
        assert calls(base_engine) == []


# ------------------------------------------------------------------------ complaints


async def _complaint_call(pilot: Any, screen: CallsScreen, keys: list[str]) -> None:
    await pilot.press("p", "c")
    assert screen.query_one("#form-pane").has_class("-complaint")
    screen.query_one("#summary", Input).value = "rubbish not collected"
    await pilot.press("tab")
    await type_text(pilot, "zw")
    await pilot.press("enter")
    await settle(pilot)
    for key in keys:
        wid, press = key.split(":")
        screen.query_one(f"#{wid}").focus()
        await pilot.press(press)
    await save(pilot)


async def test_complaint_scheme_b_cause_class_and_severity(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    settings.complaints.scheme = "B"
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_calls(pilot)
        await _complaint_call(pilot, screen, [])
        assert "Choose the complaint class" in screen.field_error("cause_class")
        screen.query_one("#cause_class").focus()
        await pilot.press("2")
        screen.query_one("#level").focus()
        await pilot.press("h")
        await save(pilot)
        complaint = one(base_engine, Complaint)
        assert (complaint.scheme, complaint.cause_class, complaint.level) == ("B", "2", "hot")
        # CP-11: received Sunday 10:00, a response by the end of Monday's working day
        assert "11-23 18:00 (CP-11)" in confirmation(screen)


# ------------------------------------------------------------------------ time received


async def test_time_received_late_entry_and_night(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_calls(pilot)
        received = screen.query_one("#received", Input)
        frozen.shift(timedelta(minutes=5))
        screen._tick()
        await pilot.pause()
        assert received.value == "2026-11-22 10:05"
        await pilot.press("p", "i")  # the operator starts: the time stays put
        frozen.shift(timedelta(minutes=3))
        screen._tick()
        await pilot.pause()
        assert received.value == "2026-11-22 10:05"
        await type_text(pilot, "on time")
        await save(pilot)
        first = calls(base_engine)[-1]
        assert first.received_at == FROZEN + timedelta(minutes=5)
        assert first.late_entry is False
        # a late entry: the operator types the time the walk-in came, 09:30
        await pilot.press("w", "i")
        await type_text(pilot, "entered afterwards")
        received.value = "09:30"
        await save(pilot)
        late = calls(base_engine)[-1]
        assert late.received_at == datetime(2026, 11, 22, 9, 30, tzinfo=SH)
        assert late.late_entry is True
        assert "late entry" in confirmation(screen)
        assert one(base_engine, AuditEvent, action="late_entry").entity_id == late.id
        # a time in the future is refused next to the field
        await pilot.press("w", "i")
        await type_text(pilot, "future")
        received.value = "2026-11-22 23:00"
        await save(pilot)
        assert "future" in screen.field_error("received_at")
        # from 20:00 the control room takes the calls
        screen.clear_form()
        frozen.move_to(datetime(2026, 11, 22, 20, 0, tzinfo=SH))
        screen._tick()
        await pilot.pause()
        assert "control room" in str(screen.query_one("#night").render())
        await pilot.press("p", "i")
        await type_text(pilot, "night call")
        await save(pilot)
        assert calls(base_engine)[-1].night is True
        assert "night: control room" in confirmation(screen)


# ------------------------------------------------------------------------ discard, list, edit


async def test_list_search_edit_and_complaints_scheme_a(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_calls(pilot)
        for text in ("parking card", "water meter"):
            await pilot.press("p", "i")
            await type_text(pilot, text)
            await save(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        table = screen.query_one("#calls-table", DataTable)
        assert table.row_count == 2
        await type_text(pilot, "meter")
        assert table.row_count == 1
        await pilot.press("enter")  # from the search box to the list
        await pilot.press("enter")  # open the call
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, CallDetailScreen)
        summary = detail.query_one("#summary", Input)
        assert summary.value == "water meter"
        summary.value = "water meter reading"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        call = calls(base_engine)[-1]
        assert (call.summary, call.version) == ("water meter reading", 2)
        event = one(base_engine, AuditEvent, entity="call", action="update")
        assert event.entity_id == call.id and event.actor == "wangfang"
        assert "water meter reading" in str(table.get_row_at(0))
        await pilot.press("ctrl+n")
        assert app.focused is screen.query_one("#channel")
        # a complaint: its clocks in the detail, progress recorded from there
        await _complaint_call(pilot, screen, [])  # general by default
        assert "11-22 10:20 (CP-1)" in confirmation(screen)  # the department within 20 min
        await pilot.press("ctrl+f")
        screen.query_one("#search", Input).value = ""
        await settle(pilot)
        assert table.row_count == 3
        table.focus()
        await pilot.press("home", "enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, CallDetailScreen)
        text = str(detail.query_one("#complaint").render())
        assert "CP-1" in text and "CP-4" in text
        frozen.shift(timedelta(minutes=12))
        detail.query_one("#step-answered").focus()
        await pilot.press("enter")
        await settle(pilot)
        complaint = one(base_engine, Complaint)
        assert complaint.answered_at == FROZEN + timedelta(minutes=12)
        assert complaint.status == "answered"
        assert "on time" in str(detail.query_one("#complaint").render())
        # CB-1: resolved, its callback is due in a week; unsatisfied needs a note (CB-6)
        assert detail.query_one("#callback-row").display is False
        detail.query_one("#step-resolved").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert detail.query_one("#callback-row").display is True
        assert "callback" in str(detail.query_one("#complaint").render())
        assert "11-29 10:12" in str(detail.query_one("#complaint").render())
        detail.query_one("#callback-unsatisfied").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "needs a note" in str(detail.query_one("#message").render())
        detail.query_one("#callback-note", Input).focus()
        await type_text(pilot, "still smells")
        detail.query_one("#callback-unsatisfied").focus()
        await pilot.press("enter")
        await settle(pilot)
        complaint = one(base_engine, Complaint)
        assert complaint.status == "closed"
        assert detail.query_one("#callback-row").display is False
        assert "still smells" in str(detail.query_one("#complaint").render())
        # scheme A classes and their first deadline in the confirmation
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await _complaint_call(pilot, screen, ["level:i"])
        important = last(base_engine, Complaint)
        assert (important.scheme, important.level) == ("A", "important")
        # CP-2: fixed within 12 h of 10:12
        assert "11-22 22:12 (CP-2)" in confirmation(screen)
        await _complaint_call(pilot, screen, ["level:m"])
        major = last(base_engine, Complaint)
        assert major.level == "major"
        assert "11-22 10:42 (CP-3)" in confirmation(screen)  # the customer told within 30 min
