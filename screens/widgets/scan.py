"""Barcode scans from any screen: a scanner types like a keyboard, only much faster.

A USB or Bluetooth scanner sends the tracking number's characters and Enter as key presses.
``ScanDetector`` tells that burst from a person typing by the time between keys: characters
arriving less than ``parcels.scan_max_interkey_ms`` apart, at least
``parcels.scan_min_length`` of them, ending in Enter and looking like a tracking number
(``shiftdesk.carriers.looks_like_tracking``) are a scan. Anything slower is typing and is
left alone, so a number typed by hand into a field works as typed.

The app routes every key through the detector before dispatching it
(``ShiftdeskApp.on_event`` calls ``route``). The first key of a possible burst is
dispatched at once; the keys that follow it within the threshold are held back, so a
scanned "1" or "p" cannot fire a single-key binding of the screen underneath (the handover
log switches tabs on 1/2/3). When the burst ends:

- with Enter, as a scan: the held keys and the Enter are dropped, the first character is
  taken back out of the focused input if it landed there, and the parcel screen opens
  with the number (``open_scan``): check-in pre-filled, or pickup if it is waiting;
- otherwise (a quick typist, a short code): the held keys are dispatched in order, late by
  at most the threshold, and typing continues as normal.

Modal dialogs (sign-in, confirmations, the parcel dialogs) are never intercepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import App
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input

from shiftdesk.carriers import looks_like_tracking, normalise
from shiftdesk.config import Settings


class ScanDetector:
    """Decides, key by key, whether a burst is a scan; holds the burst's keys meanwhile."""

    def __init__(
        self,
        *,
        max_interkey_ms: int = 40,
        min_length: int = 8,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.max_interkey = max_interkey_ms / 1000
        self.min_length = min_length
        #: seconds; None (the app): each key's own arrival time, stamped by Textual's driver
        #: when the bytes were read. Measuring when the key is *handled* instead split a burst
        #: whenever the first key's work (or a busy machine) delayed the next one by more
        #: than the threshold: the first digit was typed into the form and the scan lost it
        #: (#17 journeys). Tests set a clock to play a scanner or a slow typist.
        self.clock = clock
        #: how long held keys wait for the burst to go on before they are let through
        self.hold_seconds = self.max_interkey
        self._chars: list[str] = []
        self._held: list[events.Key] = []
        self._passed = ""
        self._last = 0.0
        self._timer: Timer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ScanDetector:
        p = settings.parcels
        return cls(max_interkey_ms=p.scan_max_interkey_ms, min_length=p.scan_min_length)

    @property
    def typed(self) -> str:
        """The characters of the current burst, as typed."""
        return "".join(self._chars)

    def _now(self, arrived: float | None) -> float:
        if self.clock is not None:
            return self.clock()
        return arrived if arrived is not None else time.monotonic()

    def feed(self, key: str, character: str | None, arrived: float | None = None) -> str | None:
        """Pure decision for one key: the scanned number (normalised) when a scan completes.

        ``arrived``: when the key reached the terminal (``Key.time``). Also updates the
        burst: a printable key after a pause starts a new one.
        """
        now = self._now(arrived)
        fast = bool(self._chars) and now - self._last <= self.max_interkey
        self._last = now
        if key == "enter":
            typed = self.typed
            self._chars.clear()
            if (
                fast
                and len(typed) >= self.min_length
                and looks_like_tracking(typed, min_length=self.min_length)
            ):
                return normalise(typed)
            return None
        if _printable(character):
            if not fast:
                self._chars.clear()
            assert character is not None
            self._chars.append(character)
            return None
        self._chars.clear()  # arrows, backspace, function keys: a person at the keyboard
        return None

    async def route(self, app: App[Any], event: events.Key) -> list[events.Key]:
        """The keys to dispatch now (held ones first); empty while holding or on a scan."""
        if isinstance(app.screen, ModalScreen):
            release = self._release()
            self._chars.clear()
            return [*release, event]
        in_burst = bool(self._chars) and self._now(event.time) - self._last <= self.max_interkey
        code = self.feed(event.key, event.character, event.time)
        if code is not None:
            self._cancel_timer()
            self._held.clear()
            _take_back(app, self._passed)
            self._passed = ""
            event.stop()
            event.prevent_default()
            app.call_later(open_scan, app, code)
            return []
        if in_burst and _printable(event.character):
            self._held.append(event)
            self._cancel_timer()
            self._timer = app.set_timer(self.hold_seconds, lambda: self._flush(app))
            return []
        release = self._release()
        if _printable(event.character):
            self._passed = event.character or ""  # the first key of what may be a burst
        else:
            self._passed = ""
        return [*release, event]

    def _release(self) -> list[events.Key]:
        self._cancel_timer()
        held, self._held = self._held, []
        self._passed += "".join(e.character or "" for e in held)
        return held

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def _flush(self, app: App[Any]) -> None:
        """No more keys came: it was typing; let the held keys through in order."""
        self._timer = None
        for held in self._release():
            await App.on_event(app, held)


def _printable(character: str | None) -> bool:
    return character is not None and len(character) == 1 and character.isprintable()


def _take_back(app: App[Any], passed: str) -> None:
    """Remove the burst's characters that reached the focused input (they were not for it)."""
    focused = app.focused
    if isinstance(focused, Input) and passed and focused.value.endswith(passed):
        focused.value = focused.value[: -len(passed)]
        focused.cursor_position = len(focused.value)


async def open_scan(app: App[Any], code: str) -> None:
    """Show the parcel screen and hand it the number (check-in, or pickup if it is waiting)."""
    if app.current_mode != "parcels":
        await app.switch_mode("parcels")
    screen = app.screen
    handler = getattr(screen, "handle_scan", None)
    if handler is not None:
        handler(code)
