"""Helpers for Pilot tests: build the app through its factory and sign in."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from textual.pilot import Pilot

from screens.app import ShiftdeskApp, make_app
from shiftdesk.config import Settings


def build_app(engine: Engine, settings: Settings) -> ShiftdeskApp:
    return make_app(settings, engine)


async def sign_in(pilot: Pilot[Any], name: str = "wangfang", pin: str = "1111") -> None:
    """Type name and PIN into the sign-in dialog and wait until it has closed."""
    from screens.signin import SignInScreen

    app = pilot.app
    await pilot.pause()
    assert isinstance(app.screen, SignInScreen)
    app.screen.query_one("#name").value = name  # type: ignore[attr-defined]
    app.screen.query_one("#pin").value = pin  # type: ignore[attr-defined]
    app.screen.query_one("#pin").focus()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert not isinstance(app.screen, SignInScreen), "sign-in did not complete"
