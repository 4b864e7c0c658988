"""A broken environment shown as a dialog, never as a traceback.

``ErrorScreen`` is the dialog (the app pushes it when a database operation fails for a
reason no screen handles: disk full, read-only file, server gone). ``StartupErrorApp`` is a
minimal app that shows the same dialog when the program cannot even start (a malformed
config file, a database from a newer version): an operator who opened shiftdesk from a
desktop shortcut reads what is wrong before the window closes.
"""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.i18n import TranslatedBindings
from shiftdesk.errors import ShiftdeskError
from shiftdesk.failures import Failure
from shiftdesk.i18n import set_locale, t


def error_text(exc: BaseException) -> str:
    """One line for the operator: a refusal's own message, else the error's first line."""
    if isinstance(exc, ShiftdeskError):
        return exc.message
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


class ErrorScreen(TranslatedBindings, ModalScreen[None]):
    """The failure, what to do about it, and OK."""

    BINDINGS = [Binding("escape,enter", "close", "common.ok", id="error.close")]
    DEFAULT_CSS = """
    ErrorScreen { align: center middle; }
    ErrorScreen > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 90%;
        padding: 1 2; border: thick $error; background: $surface;
    }
    ErrorScreen #error-title { text-style: bold; color: $error; margin-bottom: 1; }
    ErrorScreen #error-hint { color: $text-muted; margin-top: 1; }
    ErrorScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    """

    def __init__(self, failure: Failure, *, startup: bool = False) -> None:
        super().__init__()
        self.failure = failure
        self.startup = startup

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("reliability.dialog.title"), id="error-title")
            yield Static(self.failure.message, id="error-message", markup=False)
            hint = "reliability.dialog.startup_hint" if self.startup else "reliability.dialog.hint"
            yield Static(t(hint, code=self.failure.code), id="error-hint")
            with Horizontal():
                yield Button(t("common.ok"), id="ok", variant="error")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(None)


class StartupErrorApp(App[int]):
    """Shows one failure and exits with its code once the operator has read it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__()
        self.failure = failure
        self.title = t("app.title")

    def on_mount(self) -> None:
        self.push_screen(ErrorScreen(self.failure, startup=True), callback=self._dialog_closed)

    def _dialog_closed(self, _result: None) -> None:
        self.exit(self.failure.code, return_code=self.failure.code)


def show_startup_error(failure: Failure) -> None:
    """Run the dialog in the terminal (the caller then prints the line and exits).

    The settings may be what failed to load, so the dialog speaks the message's language.
    """
    if any("\u4e00" <= ch <= "\u9fff" for ch in failure.message):
        set_locale("zh_CN")
    StartupErrorApp(failure).run()
