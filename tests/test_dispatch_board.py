"""The dispatch board (F3) in Pilot: each action key, countdown colours, the breach alarm and
its acknowledgement, filters, conflicts, and live updates from a second process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.widgets import Input

from screens.dispatch import DispatchScreen
from screens.dispatch.board import OrderList
from screens.dispatch.dialogs import (
    CallbackDialog,
    ClocksDialog,
    DispatchDialog,
    FilterDialog,
    TextDialog,
)
from screens.signin import ConfirmScreen
from shiftdesk import workorders as wo
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.models import Unit, WorkOrder
from shiftdesk.models.workorders import BreachAck
from shiftdesk.sites import get_site
from shiftdesk.timeutil import utcnow
from tests.conftest import FROZEN
from tests.pilot import build_app, drain, sign_in
from tests.pilot import settle as pilot_settle

pytestmark = pytest.mark.asyncio


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def add_order(engine: Engine, seconds_ago: int = 60, unit_index: int = 0, **kw: Any) -> int:
    def make(session):  # type: ignore[no-untyped-def]
        site = get_site(session, "DEMO")
        units = session.exec(select(Unit).where(Unit.site_id == site.id).order_by(Unit.id)).all()
        args: dict[str, Any] = {
            "site_id": site.id,
            "reported_at": utcnow() - timedelta(seconds=seconds_ago),
            "trade": "plumbing",
            "priority": "normal",
            "summary": "厨房水龙头漏水",
            "unit_id": units[unit_index].id,
        }
        args.update(kw)
        return wo.create_order(session, **args).id

    return int(transact(engine, make))


def advance(engine: Engine, order_id: int, *steps: str, settings: Settings | None = None) -> None:
    for step in steps:
        if step == "dispatch":
            transact(engine, lambda s: wo.dispatch(s, order_id, team="engineering"))
        elif step == "accept":
            transact(engine, lambda s: wo.accept(s, order_id))
        elif step == "arrive":
            transact(engine, lambda s: wo.arrive(s, order_id, price_confirmed=True))
        elif step == "complete":
            assert settings is not None
            transact(engine, lambda s: wo.complete(s, order_id, result="ok", settings=settings))


def get(engine: Engine, order_id: int) -> WorkOrder:
    with read_session(engine) as session:
        order = session.get(WorkOrder, order_id)
        assert order is not None
        return order


async def settle(pilot: Any) -> None:
    """Workers done, then a fresh read of the live feed applied."""
    await pilot_settle(pilot)
    await asyncio.wait_for(pilot.app.dispatch_feed.refreshed(), 10)
    await pilot.pause()


async def open_board(pilot: Any) -> OrderList:
    await sign_in(pilot)
    await pilot.press("f3")
    await pilot.pause()
    await settle(pilot)
    assert isinstance(pilot.app.screen, DispatchScreen)
    return pilot.app.screen.query_one(OrderList)


async def pick(pilot: Any, board: OrderList, order_id: int) -> None:
    assert board.select_id(order_id), f"order {order_id} not on the board"
    await pilot.pause()


async def until(pilot: Any, condition: Any, rounds: int = 100) -> None:
    """Let the app run until ``condition()`` holds (bounded; no fixed sleeps)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


# ------------------------------------------------------------------ the list


async def test_board_order_cursor_detail_clocks_and_illegal_keys(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    late = add_order(base_engine, seconds_ago=600)
    normal = add_order(base_engine, seconds_ago=30, unit_index=1, summary="卫生间下水道堵塞")
    emergency = add_order(base_engine, seconds_ago=10, unit_index=2, priority="emergency")
    gone = add_order(base_engine, seconds_ago=30, unit_index=3)
    transact(base_engine, lambda s: wo.cancel(s, gone, reason="dup"))
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        # breached first, then the emergency, then least time left; cancelled is gone
        assert board.ids == [late, emergency, normal]
        assert app.breached_count == 1
        counts = str(app.screen.query_one("#board-counts").render())
        assert "3/3 open" in counts and "1 breached" in counts
        assert board.cursor_id == late
        await pilot.press("down", "down")
        assert board.cursor_id == normal
        assert "卫生间下水道堵塞" in str(app.screen.query_one("#board-detail").render())
        # complete before dispatch: refused with a message, nothing written
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(app.screen, TextDialog)
        assert any("cannot complete" in n.message for n in app._notifications)
        assert get(base_engine, normal).version == 1
        # enter: every clock of the order
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ClocksDialog)
        text = str(app.screen.query_one("#clocks").render())
        assert "R-2" in text and "running" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, ClocksDialog)


# ------------------------------------------------------------------ one key per action


async def test_each_action_key_through_the_whole_lifecycle(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    """d, a, s (paid: price confirmed first, R-15), c, b (not at lunch, CB-2), w, enter."""
    oid = add_order(base_engine, priority="urgent", paid=True)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        await pick(pilot, board, oid)

        await pilot.press("d")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DispatchDialog)
        assert dialog.query_one("#team").value == "engineering"  # type: ignore[attr-defined]
        dialog.query_one("#assignee", Input).value = "老张"
        dialog.query_one("#assignee", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, DispatchDialog)
        order = get(base_engine, oid)
        assert (order.stage, order.team, order.assignee) == ("dispatched", "engineering", "老张")
        assert order.dispatched_by is not None and order.dispatched_at == FROZEN
        assert board.rows[oid].next.kind == "arrival"  # type: ignore[union-attr]
        assert board.cursor_id == oid  # the cursor stays on the order it acted on

        frozen.shift(timedelta(minutes=1))
        await pilot.press("a")
        await settle(pilot)
        assert get(base_engine, oid).stage == "accepted"

        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # price confirmed?
        await pilot.press("escape")  # no: nothing happens
        await settle(pilot)
        assert get(base_engine, oid).stage == "accepted"
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        order = get(base_engine, oid)
        assert (order.stage, order.price_confirmed) == ("arrived", True)
        assert board.rows[oid].next.kind == "return"  # type: ignore[union-attr]

        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        await pilot.press("enter")  # empty: refused, the dialog stays
        await pilot.pause()
        assert app.screen is dialog
        assert "cannot be empty" in str(dialog.query_one("#error").render())
        dialog.query_one("#result", Input).value = "换了阀芯"
        await pilot.press("enter")
        await settle(pilot)
        order = get(base_engine, oid)
        assert (order.stage, order.result) == ("completed", "换了阀芯")
        assert board.rows[oid].next.kind == "callback"  # type: ignore[union-attr]

        frozen.move_to(FROZEN + timedelta(hours=2, minutes=30))  # 12:30: lunch break
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, CallbackDialog)
        assert any("CB-2" in n.message for n in app._notifications)

        frozen.move_to(FROZEN + timedelta(hours=4))  # 14:00: calls allowed again
        await pilot.press("b")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CallbackDialog)
        dialog.query_one("#o-unsatisfied").value = True  # type: ignore[attr-defined]
        dialog.query_one("#note", Input).value = "水压还是小"
        dialog.query_one("#note", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert get(base_engine, oid).stage == "closed"
        assert oid not in board.ids  # closed orders leave the board

        # re-repair: the closed order is gone from the board, so reopen it from a fresh one
        other = add_order(base_engine, seconds_ago=60, unit_index=4)
        advance(base_engine, other, "dispatch", "accept", "arrive", "complete", settings=settings)
        await settle(pilot)
        await pick(pilot, board, other)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one("#reason", Input).value = "又漏了"
        await pilot.press("enter")
        await settle(pilot)
        with read_session(base_engine) as session:
            new = session.exec(select(WorkOrder).where(WorkOrder.rework_of_id == other)).one()
        assert new.stage == "reported" and "又漏了" in new.summary and new.id in board.rows


async def test_unfinished_and_cancel_keys_need_a_reason(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    a = add_order(base_engine)
    b = add_order(base_engine, unit_index=1)
    advance(base_engine, a, "dispatch", "accept")
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        for oid, key, text in ((a, "u", "等配件"), (b, "x", "重复报修")):
            await pick(pilot, board, oid)
            await pilot.press(key)
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, TextDialog)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is dialog  # a reason is required
            dialog.query_one("#reason", Input).value = text
            await pilot.press("enter")
            await settle(pilot)
        first, second = get(base_engine, a), get(base_engine, b)
        assert (first.stage, first.unfinished_reason) == ("unfinished", "等配件")
        assert (second.stage, second.cancel_reason) == ("cancelled", "重复报修")
        assert a in board.ids and b not in board.ids  # unfinished stays on the board


# ------------------------------------------------------------------ colours


def countdown_style(board: OrderList, order_id: int) -> Any:
    region = board.region_of(order_id)
    assert region is not None
    strip = board.render_line(region.y)
    text = board_countdown_text(board, order_id)
    for segment in strip:
        if segment.text.strip() == text:
            return segment.style
    raise AssertionError(f"countdown {text!r} not drawn")


def board_countdown_text(board: OrderList, order_id: int) -> str:
    from screens.dispatch.board import board_countdown

    clock = board.rows[order_id].next
    assert clock is not None
    return board_countdown(clock.remaining(board.now))


async def test_countdown_turns_amber_then_red_and_the_alarm_is_acknowledged_with_f9(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    oid = add_order(base_engine, seconds_ago=90)  # dispatch due in 1:30
    app = build_app(base_engine, settings)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        feed = app.dispatch_feed
        board.tick(utcnow())
        assert board_countdown_text(board, oid) == "01:30"
        running = countdown_style(board, oid).bgcolor
        assert running is None or running.name not in ("dark_orange", "red")
        frozen.shift(timedelta(seconds=31))  # 0:59 left: within the 60 s warning
        feed.tick()
        await pilot.pause()
        assert board_countdown_text(board, oid) == "00:59"
        assert countdown_style(board, oid).bgcolor.name == "dark_orange"
        assert app.breached_count == 0 and not bells

        await pilot.press("f1")  # the alarm sounds whatever screen is showing
        frozen.shift(timedelta(seconds=60))  # one second past due
        feed.tick()
        await pilot.pause()
        assert app.breached_count == 1 and len(bells) == 1
        alarm = [n for n in app._notifications if n.title == "Time limit breached"]
        assert len(alarm) == 1 and f"order {oid}" in alarm[0].message
        await pilot.press("f3")
        await pilot.pause()
        assert board_countdown_text(board, oid) == "-00:01"
        assert countdown_style(board, oid).bgcolor.name == "red"
        for _ in range(3):  # unacknowledged: it keeps showing, without ringing again
            frozen.shift(timedelta(seconds=1))
            feed.tick()
        await pilot.pause()
        assert [n for n in app._notifications if n.title == "Time limit breached"]
        assert len(bells) == 1

        await pilot.press("f9")
        await settle(pilot)
        assert not [n for n in app._notifications if n.title == "Time limit breached"]
        assert app.breached_count == 1  # still breached, but acknowledged
        with read_session(base_engine) as session:
            ack = session.exec(select(BreachAck)).one()
        assert (ack.work_order_id, ack.kind, ack.acked_name) == (oid, "dispatch", "wangfang")
        assert ack.acked_at == FROZEN + timedelta(seconds=94)


async def test_ack_at_another_terminal_and_a_new_emergency_reach_this_one_r14(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    oid = add_order(base_engine, seconds_ago=600)
    app = build_app(base_engine, settings)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await open_board(pilot)
        feed = app.dispatch_feed
        assert [b[0] for b in feed.unacked] == [oid] and len(bells) == 1
        # another terminal acknowledges: the alarm stops here too
        with read_session(base_engine) as session:
            order = session.get(WorkOrder, oid)
            breaches = wo.breaches_of(order, settings, utcnow())  # type: ignore[arg-type]
        site_id = app.site.id  # type: ignore[union-attr]
        transact(
            base_engine,
            lambda s: wo.acknowledge_breaches(s, site_id=site_id, breaches=breaches),
        )
        await until(pilot, lambda: not feed.unacked)
        await pilot.pause()
        assert not [n for n in app._notifications if n.title == "Time limit breached"]
        # an emergency reported elsewhere is announced at once, before any clock runs out
        new = add_order(base_engine, seconds_ago=5, priority="emergency", summary="水管爆裂跑水")
        await until(pilot, lambda: new in feed.rows)
        feed.tick()
        await pilot.pause()
        notes = [n for n in app._notifications if "R-14" in n.title]
        assert notes and "水管爆裂跑水" in notes[0].message and len(bells) == 2


# ------------------------------------------------------------------ filters


async def test_search_breached_only_and_filter_dialog(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    late = add_order(base_engine, seconds_ago=600, summary="电梯按钮失灵", trade="lift")
    fresh = add_order(base_engine, seconds_ago=10, unit_index=5)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        await pilot.press("slash")
        await pilot.press(*"电梯")
        await pilot.pause()
        assert board.ids == [late]
        await pilot.press("enter")  # back to the list
        app.screen.query_one("#search", Input).value = ""
        await pilot.pause()
        assert set(board.ids) == {late, fresh}
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert board.ids == [late]
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterDialog)
        await pilot.click("#clear")
        await pilot.pause()
        assert set(board.ids) == {late, fresh}
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#trade").value = "plumbing"  # type: ignore[attr-defined]
        await pilot.click("#apply")
        await pilot.pause()
        assert board.ids == [fresh]
        assert "Plumbing" in str(app.screen.query_one("#board-counts").render())


# ------------------------------------------------------------------ two terminals


async def test_conflict_keeps_what_was_typed_and_second_save_applies(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    oid = add_order(base_engine)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        await pick(pilot, board, oid)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        dialog.query_one("#reason", Input).value = "业主已自行修好"
        # meanwhile another terminal dispatches the order
        transact(base_engine, lambda s: wo.dispatch(s, oid, team="security", assignee="小李"))
        await pilot.press("enter")
        await drain(app)
        await pilot.pause()
        assert app.screen is dialog
        assert "another terminal" in str(dialog.query_one("#error").render())
        assert dialog.query_one("#reason", Input).value == "业主已自行修好"
        assert get(base_engine, oid).stage == "dispatched"
        await pilot.press("enter")  # deliberate second save on top of the other change
        await settle(pilot)
        order = get(base_engine, oid)
        assert (order.stage, order.cancel_reason, order.team) == (
            "cancelled", "业主已自行修好", "security",
        )  # fmt: skip


async def test_change_from_another_process_appears_and_cursor_stays(
    base_engine: Engine, settings: Settings, tmp_path: Any
) -> None:
    """No frozen time here: the second process runs on the real clock."""
    first = add_order(base_engine, seconds_ago=100)
    second = add_order(base_engine, seconds_ago=50, unit_index=1)
    third = add_order(base_engine, seconds_ago=10, unit_index=2)
    url = base_engine.url.render_as_string(hide_password=False)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        board = await open_board(pilot)
        await pick(pilot, board, third)
        scroll = board.scroll_offset
        env = {**os.environ, "SHIFTDESK_DB": url}
        done = subprocess.run(
            [sys.executable, "-m", "shiftdesk", "--operator", "lina", "orders", "dispatch",
             str(first), "--to", "engineering", "--assignee", "老王"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        await until(pilot, lambda: board.rows[first].row.stage == "dispatched", rounds=200)
        assert board.rows[first].row.assignee == "老王"
        assert board.cursor_id == third
        assert board.scroll_offset == scroll
        assert set(board.ids) == {first, second, third}


@pytest.mark.postgres
async def test_change_from_another_process_appears_on_postgresql(
    pg_url: str, settings: Settings
) -> None:
    """The same on PostgreSQL, where the board LISTENs and every write NOTIFYs."""
    import random

    from shiftdesk.db import make_engine
    from shiftdesk.demo import base
    from shiftdesk.migrate import upgrade

    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        base.generate(engine, settings, random.Random(7), utcnow())
        first = add_order(engine, seconds_ago=100)
        second = add_order(engine, seconds_ago=50, unit_index=1)
        app = build_app(engine, settings)
        async with app.run_test(size=(100, 30)) as pilot:
            board = await open_board(pilot)
            await pick(pilot, board, second)
            done = subprocess.run(
                [sys.executable, "-m", "shiftdesk", "--db", pg_url, "--operator", "lina",
                 "orders", "accept", str(first)],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 2  # not dispatched yet: refused, nothing changes
            done = subprocess.run(
                [sys.executable, "-m", "shiftdesk", "--db", pg_url, "--operator", "lina",
                 "orders", "dispatch", str(first), "--assignee", "老王"],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            await until(pilot, lambda: board.rows[first].row.stage == "dispatched", rounds=200)
            assert board.rows[first].row.assignee == "老王"
            assert board.cursor_id == second
    finally:
        engine.dispose()
