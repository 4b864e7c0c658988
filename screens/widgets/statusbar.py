"""The status bar on every screen: site, operator on duty, shift, clock, breached clocks."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from screens.access import shiftdesk_of
from shiftdesk.i18n import t
from shiftdesk.timeutil import to_local, utcnow


class StatusBar(Static):
    """Reads the app's state; the app refreshes every status bar when that state changes."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_status)
        self.refresh_status()

    def refresh_status(self) -> None:
        app = shiftdesk_of(self)
        settings = app.settings
        now = to_local(utcnow(), settings.site.timezone)
        operator = app.operator_label or t("status.not_signed_in")
        shift = app.shift_label or t("status.no_shift")
        breached = app.breached_count
        text = Text.assemble(
            (settings.site.name, "bold"),
            " │ ",
            f"{t('status.operator')}: ",
            (operator, "bold"),
            " │ ",
            f"{t('status.shift')}: {shift}",
            " │ ",
            (now.strftime("%m-%d %H:%M:%S"), "bold"),
            " │ ",
            (
                f"{t('status.breached')}: {breached}",
                "bold white on red" if breached else "",
            ),
        )
        self.update(text)
