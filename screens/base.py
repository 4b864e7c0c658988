"""The frame every mode screen shares: a title, the body, the status bar and the footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from screens.access import AppAccess
from screens.i18n import TranslatedBindings
from screens.widgets.statusbar import StatusBar
from shiftdesk.i18n import t


class ModeScreen(AppAccess, TranslatedBindings, Screen[None]):
    """A top-level screen (one per mode). Subclasses set TITLE_KEY and compose_body().

    ``self.shiftdesk`` is the typed app (settings, engine, site, operator, ``run_db``).
    """

    TITLE_KEY = "app.title"

    def compose(self) -> ComposeResult:
        yield Static(t(self.TITLE_KEY), classes="mode-title")
        yield from self.compose_body()
        with Vertical(classes="bottom-bars"):
            yield StatusBar()
            yield Footer()

    def compose_body(self) -> ComposeResult:
        yield Static(t("mode.not_available", screen=t(self.TITLE_KEY)), classes="not-available")


class PlaceholderScreen(ModeScreen):
    """An honest stand-in for a mode whose screen is not built yet."""
