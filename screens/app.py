"""The app shell: four modes on F1–F4, sign-in first, a status bar on every screen.

Built by ``make_app`` from resolved settings and an injected engine; tests use the same
factory. Database work runs in thread workers (``run_db``), never on the UI thread.

Start-up is kept short (docs/performance.md): the four mode screens are imported and built
when first shown, the first (handover) only once someone has signed in, and their modules
are loaded in a background thread meanwhile, so the sign-in dialog comes up first and
nothing of the duty log shows behind it.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import PurePath
from typing import Any, ClassVar, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from screens.errors import ErrorScreen, error_text
from screens.i18n import TranslatedBindings
from screens.live import DispatchFeed
from screens.signin import SignInScreen
from screens.widgets.scan import ScanDetector
from screens.widgets.statusbar import StatusBar
from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor, Checkpointer, defer_checkpoints, read_session, transact
from shiftdesk.failures import EnvironmentFailure, environment_failure
from shiftdesk.i18n import set_locale, t
from shiftdesk.models import Operator, Site
from shiftdesk.security import actor_for
from shiftdesk.sites import get_site

T = TypeVar("T")

MODE_KEYS = {"handover": "f1", "calls": "f2", "dispatch": "f3", "parcels": "f4"}
#: mode -> (module, class) of its screen, imported on first use (see the module docstring)
MODE_SCREENS = {
    "handover": ("screens.handover.screen", "HandoverScreen"),
    "calls": ("screens.calls.screen", "CallsScreen"),
    "dispatch": ("screens.dispatch.screen", "DispatchScreen"),
    "parcels": ("screens.parcels.screen", "ParcelsScreen"),
}
FIRST_MODE = "handover"


def mode_screen(mode: str) -> Callable[[], Screen[Any]]:
    """A factory for a mode's screen that imports its module only when called."""
    module, name = MODE_SCREENS[mode]

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    return make


def preload_mode_screens() -> None:
    """Import every mode screen's module (run in a thread while the operator signs in)."""
    for module, _name in MODE_SCREENS.values():
        importlib.import_module(module)


class ShiftdeskApp(TranslatedBindings, App[None]):
    #: app-wide styles and the dialogs' (each family's beside its dialogs.py)
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        "app.tcss",
        "dialogs.tcss",
        "handover/dialogs.tcss",
        "parcels/dialogs.tcss",
        "dispatch/dialogs.tcss",
    ]
    TITLE = "shiftdesk"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        mode: mode_screen(mode) for mode in MODE_SCREENS
    }
    BINDINGS = [
        Binding("f1", "switch_mode('handover')", "mode.handover", id="mode.handover"),
        Binding("f2", "switch_mode('calls')", "mode.calls", id="mode.calls"),
        Binding("f3", "switch_mode('dispatch')", "mode.dispatch", id="mode.dispatch"),
        Binding("f4", "switch_mode('parcels')", "mode.parcels", id="mode.parcels"),
        Binding("ctrl+l", "lock", "binding.lock", id="app.lock"),
        # issue 4: acknowledge breach alarms from any screen
        Binding("f9", "ack_breaches", "dispatch.binding.ack", id="app.ack_breaches"),
        Binding("ctrl+q", "quit", "binding.quit", id="app.quit", priority=True),
    ]

    def __init__(self, settings: Settings, engine: Engine, site: Site | None = None) -> None:
        set_locale(settings.locale)
        super().__init__()
        self.settings = settings
        self.engine = engine
        self.operator: Operator | None = None
        self.actor: Actor = SYSTEM
        self.site: Site | None = site
        self.operator_label = ""
        self.shift_label = ""
        self.breached_count = 0
        self._last_input = time.monotonic()
        self._locked = False
        themes = self.available_themes
        self.theme = settings.ui.theme if settings.ui.theme in themes else "textual-dark"
        #: issue 5: a barcode scan on any screen opens parcel check-in (screens/widgets/scan.py)
        self.scan_detector = ScanDetector.from_settings(settings)
        #: open work orders, live on every terminal, and the breach alarm (screens/live.py)
        self.dispatch_feed = DispatchFeed(self, engine, settings)

    # -------------------------------------------------------------------- start-up

    def on_mount(self) -> None:
        if self.settings.ui.keymap:
            self.set_keymap(self.settings.ui.keymap)
        # SQLite: a save no longer copies the WAL into the database file (the slowest 1 % of
        # saves did); this thread does, between saves (docs/performance.md)
        defer_checkpoints(self.engine)
        self._checkpointer = Checkpointer(self.engine, alive=lambda: self.is_running).start()
        if self.site is None:
            self.run_db(lambda s: get_site(s, self.settings.site.code), self._site_loaded)
        self._ask_sign_in()
        # the screens' modules load while the operator types; the first is shown at sign-in
        self.call_after_refresh(
            self.run_worker, preload_mode_screens, thread=True, group="preload",
            exit_on_error=False,
        )  # fmt: skip
        if self.settings.security.idle_lock_minutes > 0:
            self.set_interval(15, self._check_idle)

    def _site_loaded(self, site: Site) -> None:
        self.site = site
        self._start_feed()

    def _start_feed(self) -> None:
        """The feed runs once someone has signed in and the site is known."""
        if self.operator is not None and self.site is not None:
            self.dispatch_feed.start(self.site)

    def on_unmount(self) -> None:
        self.dispatch_feed.stop()

    def _ask_sign_in(self, message: str = "") -> None:
        self._locked = True
        # the lock dialog hides the screen beneath (screens/signin.py); a toast still on
        # screen ("call saved: 张伟 …") would follow it there, so it goes too
        self.clear_notifications()
        self.push_screen(SignInScreen(message=message), callback=self._signed_in)

    def _signed_in(self, operator: Operator | None) -> None:
        self._locked = False
        self._last_input = time.monotonic()
        if operator is None:
            return
        self.operator = operator
        self.actor = actor_for(operator)
        self.operator_label = operator.label
        if self.current_mode == self.DEFAULT_MODE:  # the first sign-in (not an unlock)
            self.switch_mode(FIRST_MODE)
        self.refresh_status()
        self.notify(t("signin.welcome", name=operator.label), timeout=3)
        self._start_feed()

    # -------------------------------------------------------------------- shared services

    def run_db(
        self,
        fn: Callable[[Session], T],
        done: Callable[[T], Any] | None = None,
        *,
        write: bool = False,
        error: Callable[[Exception], Any] | None = None,
        group: str = "db",
        exclusive: bool = False,
        actor: Actor | None = None,
    ) -> None:
        """Run ``fn(session)`` in a thread worker and hand the result to ``done`` on the UI thread.

        Writes go through ``transact`` (retry on lock contention, commit before ``done``), so
        a save is acknowledged only once it is on disk. ``actor``: whom the write is recorded
        under when it is not the signed-in operator (the incoming operator acknowledging a
        handover, a supervisor's override). Errors as in ``run_task``.
        """
        engine, who = self.engine, actor or self.actor

        def work() -> T:
            if write:
                return transact(engine, fn, actor=who)
            with read_session(engine, who) as session:
                return fn(session)

        self.run_task(work, done, error=error, group=group, exclusive=exclusive)

    def run_task(
        self,
        fn: Callable[[], T],
        done: Callable[[T], Any] | None = None,
        *,
        error: Callable[[Exception], Any] | None = None,
        group: str = "db",
        exclusive: bool = False,
    ) -> None:
        """The one way the UI does work off its thread (``run_db`` is the database flavour).

        ``fn()`` runs in a thread worker owned by the app (so a dialog that closes while it
        runs does not cancel it); ``done(result)`` runs on the UI thread. ``exclusive``: a
        newer run of the same ``group`` cancels this one, and a cancelled run's result is
        dropped (the search that the operator has typed past). Every exception goes to
        ``_db_failed`` on the UI thread: a broken environment opens the error dialog, then
        ``error`` (or a notification) says what failed. Never a traceback.
        """

        def work() -> None:
            worker = get_current_worker()
            try:
                result = fn()
            except Exception as exc:  # reported on the UI thread, never a crash
                if not worker.is_cancelled:
                    self.call_from_thread(self._db_failed, exc, error)
                return
            if done is not None and not worker.is_cancelled:
                self.call_from_thread(done, result)

        self.run_worker(work, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def _db_failed(self, exc: Exception, handler: Callable[[Exception], Any] | None) -> None:
        # issue 9: a broken environment (disk full, read-only file, server gone) is a dialog;
        # the screen's own handler still runs, with the message already made readable
        failure = environment_failure(exc)
        if failure is not None:
            exc = EnvironmentFailure(failure)
            if not isinstance(self.screen, ErrorScreen):
                self.push_screen(ErrorScreen(failure))
        if handler is not None:
            handler(exc)
            return
        if failure is not None:
            return
        self.notify(
            t("error.database", detail=error_text(exc)), title=t("error.title"), severity="error"
        )

    def refresh_status(self) -> None:
        for bar in self.screen.query(StatusBar):
            bar.refresh_status()

    def set_breached(self, count: int) -> None:
        self.breached_count = count
        self.refresh_status()

    def set_shift_label(self, label: str) -> None:
        self.shift_label = label
        self.refresh_status()

    # -------------------------------------------------------------------- commands

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, key in MODE_KEYS.items():
            name = t(f"mode.{mode}")
            yield SystemCommand(
                f"{name} ({key.upper()})",
                t("mode.palette_help", screen=name),
                partial(self.switch_mode, mode),
            )

    def action_ack_breaches(self) -> None:
        self.dispatch_feed.acknowledge()

    def action_lock(self) -> None:
        if not self._locked:
            self._ask_sign_in()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded and not self._locked:
            # a scanner's burst is held back and opens the parcel screen (issue 5)
            for key in await self.scan_detector.route(self, event):
                await super().on_event(key)
            return
        await super().on_event(event)

    def _check_idle(self) -> None:
        minutes = self.settings.security.idle_lock_minutes
        if not self._locked and time.monotonic() - self._last_input >= minutes * 60:
            self._ask_sign_in(t("signin.locked_idle", minutes=minutes))


def make_app(settings: Settings, engine: Engine, site: Site | None = None) -> ShiftdeskApp:
    """The one way to build the app (the CLI and the tests both use it). ``site``: the
    configured site when the caller has it already (else the app reads it in a worker)."""
    return ShiftdeskApp(settings, engine, site)


def run_app(settings: Settings, engine: Engine, site: Site | None = None) -> None:
    make_app(settings, engine, site).run()
