"""Journey tests' terminal: ``python -m shiftdesk`` in a real pseudo-terminal (issue #17).

Pilot tests put the focus where they want it before typing; an operator does not. A
journey starts the app exactly as the desk does, on a fresh demo database, types what an
operator types (with a human pause between keys and no focus moves of its own), reads the
screen the way the operator sees it (pexpect drives the pty, pyte keeps the screen), and
then the test asserts the database.

Every wait is bounded by a monotonic deadline, so a journey fails with the screen it was
looking at instead of hanging.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pexpect
import pyte

from shiftdesk.i18n import t_in

#: what an operator's keys send on an xterm (Textual decodes these)
KEYS = {
    "enter": "\r",
    "tab": "\t",
    "shift+tab": "\x1b[Z",
    "escape": "\x1b",
    "backspace": "\x7f",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "home": "\x1b[H",
    "end": "\x1b[F",
    "space": " ",
    "f1": "\x1bOP",
    "f2": "\x1bOQ",
    "f3": "\x1bOR",
    "f4": "\x1bOS",
    "f5": "\x1b[15~",
    "f9": "\x1b[20~",
    # ctrl+a … ctrl+z (ctrl+i/ctrl+m are Tab/Enter to a terminal)
    **{f"ctrl+{c}": chr(ord(c) - 96) for c in "abcdefghjklnopqrstuvwxyz"},
}

#: an operator's pause between keys (seconds): quick, but not a paste
PAUSE = 0.08

#: the moment every journey's app starts at (and its demo is generated at): a Monday
#: morning at the desk, so the demo's running clocks, the shift on duty and the open
#: emergencies are the same whatever day and hour the suite runs (issue #15)
MONDAY_MORNING = "2026-11-23T09:40:00+08:00"


class JourneyError(AssertionError):
    """A journey's expectation did not show in time; the message carries the screen."""


@dataclass
class Terminal:
    """One running ``python -m shiftdesk`` and the screen it has drawn."""

    workdir: Path
    cols: int = 80
    rows: int = 24
    locale: str = "en"
    args: tuple[str, ...] = ("--demo",)
    env_extra: dict[str, str] = field(default_factory=dict)
    at: str = MONDAY_MORNING

    def __post_init__(self) -> None:
        self.db_url = f"sqlite:///{self.workdir / 'shiftdesk.db'}"
        config = self.workdir / "config.toml"
        if not config.exists():
            config.write_text(f'locale = "{self.locale}"\n', encoding="utf-8")
        self.screen = pyte.Screen(self.cols, self.rows)
        self.stream = pyte.ByteStream(self.screen)
        env = {k: v for k, v in os.environ.items() if not _theirs(k)}
        env.update(
            TERM="xterm-256color",
            COLORTERM="truecolor",
            LANG="C.UTF-8",
            SHIFTDESK_DB=self.db_url,
            SHIFTDESK_CONFIG=str(config),
            SHIFTDESK_LOCALE=self.locale,
            **self.env_extra,
        )
        env.pop("TEXTUAL", None)
        # the app's clock: `at`, through the same harness that moves the suite's clock
        clockshift = Path(__file__).resolve().parent / "clockshift"
        env["SHIFTDESK_TEST_CLOCK_AT"] = self.at
        env["PYTHONPATH"] = os.pathsep.join(
            [str(clockshift), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
        )
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "shiftdesk", *self.args],
            cwd=str(self.workdir),
            env=env,
            dimensions=(self.rows, self.cols),
            timeout=None,
        )

    # ------------------------------------------------------------------ reading the screen

    def pump(self, seconds: float = 0.05) -> None:
        """Feed what the app wrote during ``seconds`` into the screen."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            try:
                data = self.child.read_nonblocking(65536, timeout=max(left, 0.0))
            except pexpect.TIMEOUT:
                data = b""
            except pexpect.EOF:
                return
            if data:
                self.stream.feed(data)
            if time.monotonic() >= deadline:
                return

    def say(self, key: str, **values: object) -> str:
        """A catalog string in this terminal's language, to look for on screen."""
        return t_in(self.locale, key, **values)

    def text(self) -> str:
        """The screen as the operator reads it, one line per row (wide characters once)."""
        lines = []
        for row in range(self.rows):
            line = self.screen.buffer[row]
            chars = [line[col].data for col in range(self.cols)]
            lines.append("".join(chars).rstrip())
        return "\n".join(lines)

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        """Wait until every one of ``texts`` is on screen; return the screen."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(0.1)
            screen = self.text()
            if all(t in screen for t in texts):
                return screen
            if not self.child.isalive() or time.monotonic() > deadline:
                raise JourneyError(f"waited for {texts!r}; the screen shows:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            self.pump(0.1)
            screen = self.text()
            if text not in screen:
                return screen
            if time.monotonic() > deadline:
                raise JourneyError(f"waited for {text!r} to go; the screen shows:\n{screen}")

    def settle(self, quiet: float = 0.4, timeout: float = 10.0) -> str:
        """Wait until the app has drawn nothing new for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last = self.text()
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            self.pump(0.1)
            now = self.text()
            if now != last:
                last, calm_since = now, time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                break
        return last

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Rows from the app's database, read as another terminal would."""
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.workdir / "shiftdesk.db")) as db:
            return db.execute(sql, params).fetchall()

    def wait_db(
        self, sql: str, *params: object, until: Callable[[list[Any]], bool], timeout: float = 20
    ) -> list[tuple[object, ...]]:
        """Poll the database (the save runs off the UI thread) until ``until(rows)``."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(0.1)
            rows = self.query(sql, *params)
            if until(rows):
                return rows
            if time.monotonic() > deadline:
                raise JourneyError(
                    f"the database never showed it: {rows!r}; the screen shows:\n{self.text()}"
                )

    # ------------------------------------------------------------------ typing

    def type(self, text: str, pause: float = PAUSE) -> None:
        """Type characters one at a time, as fingers do."""
        for char in text:
            self.child.send(char.encode())
            self.pump(pause)

    def press(self, *keys: str, pause: float = PAUSE) -> None:
        """Press named keys (``enter``, ``f4``, ``ctrl+p`` ...) or single characters."""
        for key in keys:
            self.child.send(KEYS.get(key, key).encode())
            # a lone Escape is told from a sequence by a short wait: give it that
            self.pump(max(pause, 0.15) if key == "escape" else pause)

    def keys(self, sequence: Iterable[str], pause: float = PAUSE) -> None:
        for item in sequence:
            if item in KEYS:
                self.press(item, pause=pause)
            else:
                self.type(item, pause=pause)

    # ------------------------------------------------------------------ the desk's steps

    def sign_in(self, operator: str, pin: str) -> str:
        """Sign in as the desk does: name, Tab, PIN, Enter; wait for the sign-in to go."""
        pin_label = t_in(self.locale, "signin.pin")
        self.wait_for(pin_label, timeout=60)
        self.settle()
        self.type(operator)
        self.press("tab")
        self.type(pin)
        self.press("enter")
        return self.wait_gone(pin_label, timeout=30)

    def quit(self) -> None:
        if self.child.isalive():
            self.press("ctrl+q")
            deadline = time.monotonic() + 10
            while self.child.isalive() and time.monotonic() < deadline:
                self.pump(0.1)
        if self.child.isalive():
            self.child.terminate(force=True)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quit()


def _theirs(var: str) -> bool:
    """The developer's SHIFTDESK_* settings stay out; the harness's SHIFTDESK_TEST_* pass."""
    return var.startswith("SHIFTDESK_") and not var.startswith("SHIFTDESK_TEST_")
