"""Pilot helpers for the call screen tests: sign-in and waiting that tolerate other screens'
cancelled exclusive workers (a cancelled worker is not a failure of ours)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def drain(app: Any) -> None:
    """Wait until every worker is done; another screen's cancelled worker is fine."""
    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await drain(pilot.app)
    await pilot.pause()


async def sign_in(pilot: Pilot[Any], name: str = "wangfang", pin: str = "1111") -> None:
    """Like tests.uihelpers.sign_in, waiting with ``drain``."""
    from screens.signin import SignInScreen

    app = pilot.app
    await pilot.pause()
    assert isinstance(app.screen, SignInScreen)
    app.screen.query_one("#name").value = name  # type: ignore[attr-defined]
    app.screen.query_one("#pin").value = pin  # type: ignore[attr-defined]
    app.screen.query_one("#pin").focus()
    await pilot.press("enter")
    await settle(pilot)
    assert not isinstance(app.screen, SignInScreen), "sign-in did not complete"


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*list(text))
    await settle(pilot)
