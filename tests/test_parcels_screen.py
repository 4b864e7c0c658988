"""The parcel screen (F4) with Pilot: scans from any screen, check-in in two key presses,
notification to a real receiver, pickup by self and proxy, refusal, overdue list."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.widgets import Input

from screens.app import ShiftdeskApp
from screens.parcels import ParcelsScreen
from screens.parcels.dialogs import ContactDialog, PickupDialog, ReasonDialog
from shiftdesk import parcels
from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, read_session, transact
from shiftdesk.models import Notification, Parcel, Site
from shiftdesk.timeutil import utcnow
from tests.parcels_helpers import HttpReceiver
from tests.pilot import build_app, settle, sign_in


class FakeClock:
    """Plays a scanner (a few ms between keys) or a person (a fifth of a second)."""

    def __init__(self, step: float) -> None:
        self.now = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


SCANNER = 0.005
PERSON = 0.2


def play(app: ShiftdeskApp, step: float) -> FakeClock:
    clock = FakeClock(step)
    app.scan_detector.clock = clock
    app.scan_detector.hold_seconds = 60  # never let held keys go on wall-clock time here
    return clock


def site_id(engine: Engine) -> int:
    with read_session(engine) as s:
        site = s.exec(select(Site)).one()
        assert site.id is not None
        return site.id


def first_unit(engine: Engine) -> str:
    """A unit of the demo base with residents (the owner first)."""
    with read_session(engine) as s:
        from shiftdesk.models import Resident, Unit

        resident = s.exec(select(Resident).order_by(Resident.id)).first()  # type: ignore[arg-type]
        assert resident is not None
        unit = s.get(Unit, resident.unit_id)
        assert unit is not None
        return unit.code


def check_in_now(engine: Engine, settings: Settings, tracking: str, unit: str, **kw: Any) -> int:
    req = parcels.CheckInRequest(tracking=tracking, unit=unit, **kw)
    sid = site_id(engine)
    result = transact(engine, lambda s: parcels.check_in(s, settings, sid, req), actor=SYSTEM)
    assert result.parcel.id is not None
    return result.parcel.id


@pytest.fixture
def awake(settings: Settings) -> Settings:
    """Settings without quiet hours (P-13 is tested with frozen time in test_notify.py)."""
    settings.parcels.quiet_start = settings.parcels.quiet_end = "00:00"
    return settings


def assert_fits(screen: ParcelsScreen, width: int, height: int) -> None:
    """Every check-in field is on screen above the status bar and footer."""
    for selector in (
        "#tracking",
        "#carrier",
        "#kind",
        "#who",
        "#recipient",
        "#shelf",
        "#pieces",
        "#damaged",
        "#ci-message",
    ):
        region = screen.query_one(selector).region
        assert region.height >= 1 and region.bottom <= height - 2, (selector, region)
        assert region.right <= width, (selector, region)


def screen_of(app: ShiftdeskApp) -> ParcelsScreen:
    screen = app.screen
    assert isinstance(screen, ParcelsScreen)
    return screen


def text_of(screen: ParcelsScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


# ---------------------------------------------------------------------------- scans


async def test_scan_from_another_screen_then_checkin_in_two_presses_and_notify(
    base_engine: Engine, awake: Settings, http_receiver: HttpReceiver
) -> None:
    """Scan on the handover screen -> check-in pre-filled; unit + Enter + Enter saves; the
    resident's message arrives at the receiver; the next item for the unit is scan + Enter;
    scanning a number already at the desk opens pickup and says when and by whom."""
    settings = awake
    settings.notifications.urls = [http_receiver.url()]
    unit = first_unit(base_engine)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await settle(pilot)
        assert app.current_mode == "handover"
        clock = play(app, SCANNER)
        await pilot.press(*"SF1234567890123", "enter")
        await settle(pilot)
        assert app.current_mode == "parcels"
        screen = screen_of(app)
        assert_fits(screen, 80, 24)
        assert screen.query_one("#tracking").value == "SF1234567890123"  # type: ignore[attr-defined]
        assert screen.query_one("#carrier").value == "sf"  # type: ignore[attr-defined]
        assert app.focused is screen.query_one("#who").input  # type: ignore[attr-defined]
        assert "Scanned SF1234567890123" in text_of(screen, "#ci-message")

        clock.step = PERSON
        await pilot.press(*unit)
        await settle(pilot)
        await pilot.press("enter")  # 1: choose the unit
        await settle(pilot)
        await pilot.press("enter")  # 2: save
        await settle(pilot)
        saved = screen.last_saved
        assert saved is not None
        assert saved.unit_code == unit and saved.parcel.carrier == "sf"
        assert len(http_receiver.received) == 1  # sent from a worker, to the receiver
        assert saved.recipient in http_receiver.received[0]["message"]
        assert "Resident notified." in text_of(screen, "#ci-message")
        assert app.focused is screen.query_one("#tracking")

        clock.step = SCANNER  # the next item for the same unit: scan + Enter
        await pilot.press(*"YT1234567890123", "enter")
        await settle(pilot)
        clock.step = PERSON
        await pilot.press("enter")
        await settle(pilot)
        assert screen.last_saved is not None
        assert screen.last_saved.parcel.tracking == "YT1234567890123"
        assert screen.last_saved.unit_code == unit
        assert screen.query_one("#unit-table").row_count == 2  # type: ignore[attr-defined]
        assert len(http_receiver.received) == 2

        clock.step = SCANNER  # the first one again: a duplicate
        await pilot.press(*"SF1234567890123", "enter")
        await settle(pilot)
        assert screen.pane == "pickup"  # it is waiting: collect it, or it came twice
        assert re.search(
            r"SF1234567890123 is already checked in: at \d\d:\d\d by 王芳",
            text_of(screen, "#pick-message"),
        )
    with read_session(base_engine) as s:
        rows = s.exec(select(Parcel)).all()
        assert {p.tracking for p in rows} == {"SF1234567890123", "YT1234567890123"}
        assert all(p.received_by is not None for p in rows)  # the operator signed in


async def test_typing_by_hand_is_not_a_scan_in_chinese_at_80x24(
    base_engine: Engine, awake: Settings
) -> None:
    awake.locale = "zh_CN"
    app = build_app(base_engine, awake)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await settle(pilot)
        play(app, PERSON)
        await pilot.press(*"12345678", "enter")  # slow digits on the handover screen
        await settle(pilot)
        assert app.current_mode == "handover"
        await pilot.press("f4")
        await settle(pilot)
        screen = screen_of(app)
        assert_fits(screen, 80, 24)
        assert app.focused is screen.query_one("#tracking")
        await pilot.press(*"YT1234567890123", "enter")
        await settle(pilot)
        assert screen.query_one("#tracking").value == "YT1234567890123"  # type: ignore[attr-defined]
        assert screen.query_one("#carrier").value == "yto"  # type: ignore[attr-defined]
        assert app.focused is screen.query_one("#who").input  # type: ignore[attr-defined]
        assert "已扫描" not in text_of(screen, "#ci-message")
        # a quick typist's burst that is not a tracking number reaches the field intact
        await pilot.press("ctrl+n")
        await settle(pilot)
        screen.query_one("#tracking").value = ""  # type: ignore[attr-defined]
        play(app, SCANNER)
        await pilot.press(*"hello", "enter")
        await settle(pilot)
        assert screen.query_one("#tracking").value == "hello"  # type: ignore[attr-defined]


async def test_non_resident_refused_and_recorded(base_engine: Engine, awake: Settings) -> None:
    app = build_app(base_engine, awake)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        play(app, PERSON)
        screen = screen_of(app)
        await pilot.press(*"ZT12345678", "enter", *"9-9-999")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "No unit 9-9-999 on this estate" in text_of(screen, "#ci-message")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("enter")  # the suggested reason (P-1)
        await settle(pilot)
        assert "Refusal of ZT12345678 recorded" in text_of(screen, "#ci-message")
    with read_session(base_engine) as s:
        p = s.exec(select(Parcel)).one()
    assert p.status == "refused" and "P-1" in p.return_reason and p.recipient_name == "9-9-999"


# ---------------------------------------------------------------------------- pickup


async def test_scan_opens_pickup_self_then_proxy_and_release_twice_refused(
    base_engine: Engine, awake: Settings
) -> None:
    settings = awake
    unit = first_unit(base_engine)
    a = check_in_now(base_engine, settings, "SF1234567890123", unit)
    b = check_in_now(base_engine, settings, "YT1234567890123", unit)
    c = check_in_now(base_engine, settings, "JT0001234567890", unit)
    sid = site_id(base_engine)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await settle(pilot)
        clock = play(app, SCANNER)
        await pilot.press(*"JT0001234567890", "enter")  # a waiting item: pickup opens
        await settle(pilot)
        screen = screen_of(app)
        assert screen.pane == "pickup"
        table = screen.query_one("#pick-table")
        assert table.row_count == 3  # type: ignore[attr-defined]
        assert screen._targets() == [c]  # the scanned one is marked
        clock.step = PERSON
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PickupDialog)
        # a whole ID is refused, never cut to its first four (#17 finding 1, P-4)
        await pilot.press(*"110101199003071234", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PickupDialog)
        assert "last 4" in str(app.screen.query_one("#error").render())
        app.screen.query_one("#id-last4", Input).value = ""
        await pilot.press(*"1234", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ParcelsScreen)
        assert "Released 1 item(s) (self, ID card …1234)" in text_of(screen, "#pick-message")
        assert table.row_count == 2  # type: ignore[attr-defined]

        # the next one by proxy (P-5): name, phone and ID last 4, and the liability
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PickupDialog)
        dialog.query_one("#by").focus()
        await pilot.press("p")
        await pilot.press(*"Liu Qiang", "enter", *"13900139001", "enter")
        await settle(pilot)
        dialog.query_one("#id-last4").focus()
        await pilot.press(*"5678")
        assert "full responsibility" in str(dialog.query_one("#liability").render())
        await pilot.press("enter")
        await settle(pilot)
        assert "proxy" in text_of(screen, "#pick-message")

        # another terminal releases the last one while it is on this screen
        transact(
            base_engine,
            lambda s: parcels.release(
                s, settings, sid, [a], parcels.Pickup("self", "id_card", "4321")
            ),
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert "has already left the desk" in text_of(screen, "#pick-message")
    with read_session(base_engine) as s:
        pc, pb, pa = (s.get(Parcel, i) for i in (c, b, a))
        assert pc and pb and pa
        assert (pc.pickup_by, pc.id_last4) == ("self", "1234")
        assert (pb.pickup_by, pb.proxy_name, pb.proxy_phone) == (
            "proxy",
            "Liu Qiang",
            "13900139001",
        )
        assert "full responsibility" in pb.pickup_note
        assert pa.id_last4 == "4321"  # released once, by the other terminal


# ---------------------------------------------------------------------------- overdue


async def test_overdue_list_and_recording_a_phone_call(
    base_engine: Engine, awake: Settings
) -> None:
    settings = awake
    unit = first_unit(base_engine)
    pid = check_in_now(
        base_engine,
        settings,
        "SF1234567890123",
        unit,
        received_at=utcnow() - timedelta(days=8, hours=1),
    )
    check_in_now(base_engine, settings, "YT1234567890123", unit)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = screen_of(app)
        assert "Overdue (1)" in text_of(screen, "#tabs")
        await pilot.press("ctrl+o")
        await settle(pilot)
        table = screen.query_one("#overdue-table")
        assert table.row_count == 1  # type: ignore[attr-defined]
        assert str(table.get_cell(str(pid), "days")) == "8"  # type: ignore[attr-defined]
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, ContactDialog)
        await pilot.press("tab", *"will come Saturday", "enter")
        await settle(pilot)
        assert "reminder 1" in text_of(screen, "#overdue-message")
    with read_session(base_engine) as s:
        note = s.exec(select(Notification).where(Notification.parcel_id == pid)).one()
    assert (note.method, note.note, note.recorded_by is not None) == (
        "phone",
        "will come Saturday",
        True,
    )


async def test_a_notice_slip_from_the_overdue_list_gets_the_next_serial(
    base_engine: Engine, awake: Settings
) -> None:
    """P-15: the contact "notice" uses the next numbered slip and says where its copies go."""
    from shiftdesk.models import NoticeSlip

    settings = awake
    settings.parcels.slip_first_serial = 7001
    unit = first_unit(base_engine)
    pid = check_in_now(
        base_engine, settings, "SF7654321098765", unit, received_at=utcnow() - timedelta(days=9)
    )
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = screen_of(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, ContactDialog)
        await pilot.press("n", "tab", *"nobody home", "enter")
        await settle(pilot)
        message = text_of(screen, "#overdue-message")
        assert "Notice slip No. 7001: white copy under the door" in message
    with read_session(base_engine) as s:
        slip = s.exec(select(NoticeSlip)).one()
    assert (slip.serial, slip.parcel_id, slip.issued_by is not None) == (7001, pid, True)
