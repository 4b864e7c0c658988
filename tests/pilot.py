"""The one set of Pilot helpers for UI tests: build the app, sign in, settle, type.

``settle`` waits for the app's workers (``run_db`` / ``run_task``, the UI's one way off its
thread) and the UI updates they trigger, without sleeps: a worker cancelled because a
newer one of its exclusive group replaced it (a search typed past) is not a failure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerCancelled

from screens.app import ShiftdeskApp, make_app
from shiftdesk.config import Settings


def build_app(engine: Engine, settings: Settings) -> ShiftdeskApp:
    """The app as the CLI builds it (``make_app``)."""
    return make_app(settings, engine)


async def drain(app: App[Any]) -> None:
    """Wait until every worker is done; a cancelled exclusive worker is fine."""
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def settle(pilot: Pilot[Any]) -> None:
    """Workers done and their results on screen (a result may start another worker)."""
    for _ in range(3):
        await pilot.pause()
        await drain(pilot.app)
    await pilot.pause()


async def sign_in(pilot: Pilot[Any], name: str = "wangfang", pin: str = "1111") -> None:
    """Type name and PIN into the sign-in dialog and wait until it has closed."""
    from screens.signin import SignInScreen

    app = pilot.app
    await pilot.pause()
    assert isinstance(app.screen, SignInScreen)
    app.screen.query_one("#name", Input).value = name
    app.screen.query_one("#pin", Input).value = pin
    app.screen.query_one("#pin", Input).focus()
    await pilot.press("enter")
    await settle(pilot)
    assert not isinstance(app.screen, SignInScreen), "sign-in did not complete"


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*list(text))
    await settle(pilot)
