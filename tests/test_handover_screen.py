"""The handover screen (F1) through Pilot: one-key entries, corrections, preparing with the
digest, the H-6 block and supervisor override, item-by-item acknowledgement, questions, the
parcel count, the two PIN signatures and the countersign by role (H-7).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.widgets import DataTable, Input, TabbedContent

from screens.handover import HandoverScreen
from screens.handover.dialogs import (
    BlockedDialog,
    EntryDialog,
    ParcelCountDialog,
    PrepareDialog,
    TextDialog,
)
from screens.handover.signing import CredentialsDialog, SignDialog
from screens.widgets.statusbar import StatusBar
from shiftdesk import chain, handover
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.models import HandoverEntry, Parcel, Shift
from tests.conftest import FROZEN
from tests.handover_support import on_shift, open_shift, seed_other_areas, site_and_people
from tests.pilot import build_app, settle, sign_in

SIZE = (100, 30)


def handover_screen(app: Any) -> HandoverScreen:
    screen = app.get_screen("handover") if app.current_mode != "handover" else None
    if screen is None:
        for s in app.screen_stack:
            if isinstance(s, HandoverScreen):
                return s
    assert isinstance(screen, HandoverScreen)
    return screen


async def fill(pilot: Any, values: dict[str, str], submit: str = "ctrl+s") -> None:
    """Type into the open dialog's inputs (set directly: no scanner-speed typing)."""
    dialog = pilot.app.screen
    for name, value in values.items():
        dialog.query_one(f"#{name}", Input).value = value
    await pilot.press(submit)
    await settle(pilot)


def entries(engine: Engine, kind: str | None = None) -> list[HandoverEntry]:
    with read_session(engine) as session:
        query = select(HandoverEntry).order_by(HandoverEntry.seq)
        if kind:
            query = query.where(HandoverEntry.kind == kind)
        return list(session.exec(query))


def shifts(engine: Engine) -> list[Shift]:
    with read_session(engine) as session:
        return list(session.exec(select(Shift).order_by(Shift.id)))


def log_texts(app: Any) -> list[str]:
    table = app.screen.query_one("#log", DataTable)
    return [str(table.get_row_at(i)[4]) for i in range(table.row_count)]


def digest_keys(app: Any) -> list[str]:
    table = app.screen.query_one("#digest", DataTable)
    return [str(k.value) for k in table.rows]


async def start(pilot: Any, name: str = "wangfang", pin: str = "1111") -> None:
    await sign_in(pilot, name, pin)
    await settle(pilot)


async def test_sign_in_opens_the_shift_then_each_entry_type_with_one_key(
    base_engine: Engine, settings: Settings
) -> None:
    app = build_app(base_engine, settings)
    with time_machine.travel(FROZEN, tick=True):
        async with app.run_test(size=SIZE) as pilot:
            await start(pilot)
            # signing in at the desk opened the day shift, 2 h late (recorded), status bar
            status = str(app.screen.query_one(StatusBar).render())
            assert "Day 11-22 08:00–20:00 · 王芳" in status
            assert "Shift opened 120 min late" in log_texts(app)[0]
            # a note: n, type, Enter
            await pilot.press("n")
            assert isinstance(app.screen, EntryDialog)
            await fill(pilot, {"body": "lobby door lock sticks"}, submit="enter")
            assert not isinstance(app.screen, EntryDialog)
            # an H-8 event: e, (category), type, Enter
            await pilot.press("e")
            app.screen.query_one("#category").value = "occupancy_change"
            await fill(pilot, {"body": "3-2-1502 moved in"}, submit="enter")
            # an H-9 incident without a location is refused and the dialog stays
            await pilot.press("i")
            app.screen.query_one("#category").value = "lift_entrapment"
            await fill(pilot, {"body": "two people in lift 2", "actions": "engineering called"})
            assert isinstance(app.screen, EntryDialog)
            assert "location" in str(app.screen.query_one("#error").render())
            await fill(pilot, {"location": "3-1 lift 2", "notified": "CS supervisor"})
            assert not isinstance(app.screen, EntryDialog)
            # correct the note: select it in the log, c, type, Enter
            table = app.screen.query_one("#log", DataTable)
            table.focus()
            table.move_cursor(row=1)
            await pilot.press("c")
            assert isinstance(app.screen, EntryDialog)
            await fill(pilot, {"body": "it is the door of 3-2"}, submit="enter")
            texts = log_texts(app)
            assert any("lobby door lock sticks" in x and "corrected by #5" in x for x in texts)
            assert any(x.startswith("Corrects #2") for x in texts)
    logged = [(e.kind, e.category) for e in entries(base_engine)]
    assert logged == [
        ("open", ""),
        ("note", ""),
        ("event", "occupancy_change"),
        ("incident", "lift_entrapment"),
        ("correction", ""),
    ]
    incident = entries(base_engine, "incident")[0]
    assert (incident.location, incident.notified) == ("3-1 lift 2", "CS supervisor")
    [shift] = shifts(base_engine)
    assert (shift.name, shift.status, shift.opened_off_by_minutes) == ("day", "open", 120)


async def _prepare(pilot: Any, instructions: str = "spare key in drawer 2") -> None:
    await pilot.press("p")
    assert isinstance(pilot.app.screen, PrepareDialog)
    pilot.app.screen.query_one("#instructions").text = instructions
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_block_on_important_work_the_override_and_every_digest_section(
    base_engine: Engine, settings: Settings
) -> None:
    site_id, people = site_and_people(base_engine, settings)
    ids = seed_other_areas(base_engine, site_id, FROZEN)
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, people["wangfang"])
        on_shift(
            base_engine,
            shift.id or 0,
            lambda s, sh: handover.add_entry(
                s,
                sh,
                author=people["wangfang"],
                kind="incident",
                category="power_cut",
                body="lights out",
                location="3-1",
                actions="breaker reset",
            ),
        )
    app = build_app(base_engine, settings)
    with time_machine.travel(FROZEN + timedelta(minutes=1), tick=True):
        async with app.run_test(size=SIZE) as pilot:
            await start(pilot)
            await _prepare(pilot)
            assert isinstance(app.screen, BlockedDialog)  # H-6
            listed = " ".join(str(s.render()) for s in app.screen.query("Static"))
            assert f"Order {ids['emergency']}" in listed
            assert f"Complaint {ids['major']}" in listed
            await pilot.press("o")
            assert isinstance(app.screen, CredentialsDialog)
            # an operator cannot override
            await fill(pilot, {"name": "lina", "pin": "2222", "reason": "please"})
            assert isinstance(app.screen, CredentialsDialog)
            assert "supervisor" in str(app.screen.query_one("#error").render())
            await fill(
                pilot,
                {"name": "chenjing", "pin": "8888", "reason": "engineering on site, owner told"},
            )
            assert isinstance(app.screen, HandoverScreen)
            assert app.screen.query_one("#ho-tabs", TabbedContent).active == "tab-handover"
            keys = digest_keys(app)
            details = [
                " ".join(str(c) for c in app.screen.query_one("#digest", DataTable).get_row(k))
                for k in keys
            ]
    [shift] = shifts(base_engine)
    assert shift.status == "prepared"
    assert shift.override_reason == "engineering on site, owner told"
    # every section of the digest (H-5), from live data
    for section in handover.SECTIONS:
        assert f"sec:{section}" in keys, section
    assert "na:deposits" in keys  # shown as not available, honestly
    assert f"wo:{ids['late']}" in keys and f"wo:{ids['emergency']}" in keys
    assert f"complaint:{ids['major']}" in keys and f"complaint:{ids['general']}" in keys
    assert f"callback:{ids['callback']}" in keys
    assert "parcels" in keys and "instructions" in keys
    assert any(k.startswith("entry:") for k in keys)
    assert any("3 item(s) waiting" in d and "A: 2, B: 1" in d for d in details)
    assert any("BREACHED" in d for d in details)


async def test_acknowledge_item_by_item_questions_count_and_both_signatures(
    base_engine: Engine, settings: Settings
) -> None:
    site_id, people = site_and_people(base_engine, settings)
    transact(
        base_engine,
        lambda s: s.add_all(
            [
                Parcel(site_id=site_id, tracking="SF9001", shelf="A", received_at=FROZEN),
                Parcel(site_id=site_id, tracking="SF9002", shelf="B", received_at=FROZEN),
            ]
        ),
    )
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, people["wangfang"])
        on_shift(
            base_engine,
            shift.id or 0,
            lambda s, sh: handover.add_entry(
                s,
                sh,
                author=people["wangfang"],
                kind="event",
                category="public_order",
                body="flyers in the car park",
            ),
        )
    app = build_app(base_engine, settings)
    with time_machine.travel(FROZEN + timedelta(hours=9, minutes=48), tick=True):
        async with app.run_test(size=SIZE) as pilot:
            await start(pilot)
            await _prepare(pilot, "lift service at 9")
            table = app.screen.query_one("#digest", DataTable)
            table.focus()
            first_item = next(i for i, k in enumerate(digest_keys(app)) if k.startswith("entry:"))
            table.move_cursor(row=first_item)
            # Space on an item: the incoming operator identifies once, with the PIN
            await pilot.press("space")
            assert isinstance(app.screen, CredentialsDialog)
            await fill(pilot, {"name": "lina", "pin": "2222"})
            assert isinstance(app.screen, HandoverScreen)
            assert [e.category for e in entries(base_engine, "ack")] == [
                digest_keys(app)[first_item]
            ]
            # "acknowledge all" only after going through to the end
            await pilot.press("a")
            await settle(pilot)
            assert len(entries(base_engine, "ack")) == 1
            table.move_cursor(row=table.row_count - 1)
            await pilot.pause()
            await pilot.press("a")
            await settle(pilot)
            acked = {e.category for e in entries(base_engine, "ack")}
            assert acked == {"instructions", digest_keys(app)[first_item]}
            # the parcel count (H-12): Space on the parcels row opens it
            table.move_cursor(row=digest_keys(app).index("parcels"))
            await pilot.press("space")
            assert isinstance(app.screen, ParcelCountDialog)
            inputs = list(app.screen.query(Input))
            for field, value in zip(inputs[:-1], ["1", "1", "0", "0", "0"], strict=True):
                field.value = value
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, HandoverScreen)
            # a question from the incoming operator (H-2, H-4)
            await pilot.press("q")
            assert isinstance(app.screen, TextDialog)
            await fill(pilot, {"body": "where is the car park key?"}, submit="enter")
            # signing now is refused: the question is not answered
            await pilot.press("s")
            assert isinstance(app.screen, SignDialog)
            await fill(pilot, {"out-pin": "1111", "in-pin": "2222"})
            assert isinstance(app.screen, SignDialog)
            assert "question" in str(app.screen.query_one("#error").render())
            await pilot.press("escape")
            # the outgoing operator answers: r on the question row
            table.move_cursor(row=table.row_count - 1)
            await pilot.press("r")
            assert isinstance(app.screen, TextDialog)
            await fill(pilot, {"body": "in the key box, hook 4"}, submit="enter")
            # a wrong PIN does not sign
            await pilot.press("s")
            await fill(pilot, {"out-pin": "1111", "in-pin": "9999"})
            assert isinstance(app.screen, SignDialog)
            await fill(pilot, {"out-pin": "1111", "in-pin": "2222"})
            assert isinstance(app.screen, HandoverScreen)
            await settle(pilot)
            status = str(app.screen.query_one(StatusBar).render())
            assert app.actor.name == "lina"  # the incoming operator now holds the desk
            assert "Night 11-22 20:00–08:00 · 李娜" in status
    day, night = shifts(base_engine)
    assert (day.status, day.incoming_id) == ("closed", people["lina"].id)
    assert (night.status, night.outgoing_id) == ("open", people["lina"].id)
    assert [e.category for e in entries(base_engine, "signature")] == ["outgoing", "incoming"]
    assert entries(base_engine, "parcel_count")[0].category == "confirmed"
    assert chain.verify(base_engine).ok


async def test_countersign_permissions_by_role(base_engine: Engine, settings: Settings) -> None:
    site_id, people = site_and_people(base_engine, settings)
    wang, lina = people["wangfang"], people["lina"]
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, wang)
        sid = shift.id or 0
        digest = on_shift(
            base_engine, sid, lambda s, sh: handover.prepare_handover(s, settings, sh, author=wang)
        )
        on_shift(
            base_engine,
            sid,
            lambda s, sh: handover.record_parcel_count(s, sh, incoming=lina, counted={}),
        )
        on_shift(
            base_engine,
            sid,
            lambda s, sh: handover.acknowledge(
                s, sh, incoming=lina, keys=[k for k in digest.item_keys() if k != "parcels"]
            ),
        )
        on_shift(
            base_engine,
            sid,
            lambda s, sh: handover.sign_handover(s, settings, sh, outgoing=wang, incoming=lina),
        )
    app = build_app(base_engine, settings)
    with time_machine.travel(FROZEN + timedelta(minutes=5), tick=True):
        async with app.run_test(size=SIZE) as pilot:
            await start(pilot, "lina", "2222")
            await pilot.press("3")
            await settle(pilot)
            pending = app.screen.query_one("#pending", DataTable)
            assert pending.row_count == 1
            pending.focus()
            await pilot.press("k")
            assert isinstance(app.screen, CredentialsDialog)
            await fill(pilot, {"name": "lina", "pin": "2222"})  # H-7: not an operator
            assert isinstance(app.screen, CredentialsDialog)
            assert "supervisor" in str(app.screen.query_one("#error").render())
            await fill(pilot, {"name": "chenjing", "pin": "8888"})
            assert isinstance(app.screen, HandoverScreen)
            await settle(pilot)
            assert app.screen.query_one("#pending", DataTable).row_count == 0
    closed = shifts(base_engine)[0]
    assert closed.countersigned_by == people["chenjing"].id


async def test_small_terminal_in_chinese(base_engine: Engine, settings: Settings) -> None:
    settings.locale = "zh_CN"
    app = build_app(base_engine, settings)
    with time_machine.travel(FROZEN, tick=True):
        async with app.run_test(size=(80, 24)) as pilot:
            await start(pilot)
            screen = app.screen
            assert "白班" in str(screen.query_one("#shift-info").render()) or "Day" not in str(
                screen.query_one("#shift-info").render()
            )
            table = screen.query_one("#log", DataTable)
            assert table.size.height >= 10  # the log keeps most of a small screen
            assert table.region.right <= 80
            await pilot.press("i")
            dialog = app.screen
            assert isinstance(dialog, EntryDialog)
            box = dialog.query_one("Vertical").region
            assert box.bottom <= 24 and box.right <= 80  # the whole incident form fits
            assert "特别事件报告" in str(dialog.query_one(".dialog-title").render())
