"""The app shell through Pilot: sign-in, modes on F1–F4, status bar, keymap, locale."""

from __future__ import annotations

import dataclasses

from sqlalchemy.engine import Engine
from sqlmodel import select

from screens.signin import SignInScreen
from screens.widgets.statusbar import StatusBar
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.models import AuditEvent, Operator
from tests.pilot import build_app, sign_in

MODES = {"f1": "handover", "f2": "calls", "f3": "dispatch", "f4": "parcels"}


def status_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(StatusBar).render())


async def test_app_opens_on_sign_in_and_signs_in(base_engine: Engine, settings: Settings) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "wangfang", "1111")
        assert app.operator is not None and app.operator.name == "wangfang"
        assert app.actor.name == "wangfang"
        assert "王芳" in status_text(app)
        assert "Demo Garden" in status_text(app)
    with read_session(base_engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert [e.entity_id for e in events] == [app.operator.id]


async def test_wrong_pin_is_refused_and_the_dialog_stays(
    base_engine: Engine, settings: Settings
) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#name").value = "wangfang"
        dialog.query_one("#pin").value = "9999"
        dialog.query_one("#pin").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        assert "wrong PIN" in str(app.screen.query_one("#error").render())
        assert app.screen.query_one("#name").value == "wangfang"  # nothing typed is lost
        assert app.operator is None


async def test_five_wrong_pins_lock_the_operator_out(
    base_engine: Engine, settings: Settings
) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for _ in range(5):
            app.screen.query_one("#name").value = "lina"
            app.screen.query_one("#pin").value = "0000"
            app.screen.query_one("#pin").focus()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        app.screen.query_one("#pin").value = "2222"  # the right PIN, too late
        app.screen.query_one("#pin").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        assert "locked" in str(app.screen.query_one("#error").render())
    with read_session(base_engine) as session:
        lina = session.exec(select(Operator).where(Operator.name == "lina")).one()
        assert lina.locked_until is not None


async def test_f_keys_switch_modes_and_keep_each_screen(
    base_engine: Engine, settings: Settings
) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        seen = {}
        for key, mode in MODES.items():
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode
            seen[mode] = app.screen
            assert app.screen.query(StatusBar), f"{mode} has no status bar"
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen is seen["calls"]  # the same screen instance: half-filled forms survive


async def test_command_palette_switches_modes(base_engine: Engine, settings: Settings) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert any(title.startswith("Parcels") for title in commands)
        parcels = next(
            c for c in app.get_system_commands(app.screen) if c.title.startswith("Parcels")
        )
        parcels.callback()
        await pilot.pause()
        assert app.current_mode == "parcels"


async def test_keymap_from_config_rebinds_a_mode(base_engine: Engine, settings: Settings) -> None:
    custom = dataclasses.replace(
        settings, ui=dataclasses.replace(settings.ui, keymap={"mode.dispatch": "f9"})
    )
    app = build_app(base_engine, custom)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f9")
        await pilot.pause()
        assert app.current_mode == "dispatch"


async def test_chinese_at_80x24(base_engine: Engine, settings: Settings) -> None:
    zh = dataclasses.replace(settings, locale="zh_CN")
    app = build_app(base_engine, zh)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "登录" in str(app.screen.query_one(".title").render())
        await sign_in(pilot)
        text = status_text(app)
        assert "值班员" in text and "王芳" in text
        descriptions = {ab.binding.description for ab in app.active_bindings.values()}
        assert "交接班" in descriptions and "派工" in descriptions
        bar = app.screen.query_one(StatusBar)
        assert bar.region.width == 80 and bar.region.height == 1


async def test_lock_asks_for_the_pin_again(base_engine: Engine, settings: Settings) -> None:
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        await sign_in(pilot, "lina", "2222")
        assert app.operator is not None and app.operator.name == "lina"
