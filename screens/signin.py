"""The sign-in dialog: operator name and PIN, checked off the UI thread."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.access import shiftdesk_of
from screens.errors import error_text
from screens.i18n import TranslatedBindings
from shiftdesk.i18n import t
from shiftdesk.models import Operator
from shiftdesk.security import authenticate


class SignInScreen(TranslatedBindings, ModalScreen[Operator]):
    """Returns the signed-in Operator. Cannot be dismissed without signing in (or quitting)."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "binding.quit", id="app.quit", priority=True)]

    # Opaque (a modal screen is translucent by default): when the terminal locks, nothing of
    # the screen beneath (a caller's name, phone, history) shows around the dialog.
    # The screen stays mounted underneath, so the work in progress is there after sign-in.
    DEFAULT_CSS = """
    SignInScreen { align: center middle; background: $background; }
    SignInScreen > Vertical {
        width: 56; height: auto; padding: 1 2; border: thick $accent; background: $surface;
    }
    SignInScreen .title { text-style: bold; width: 100%; content-align: center middle; }
    SignInScreen .error { color: $error; height: auto; }
    SignInScreen Input { margin-bottom: 1; }
    SignInScreen Horizontal { height: auto; align-horizontal: right; }
    """

    def __init__(self, *, message: str = "") -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        settings = shiftdesk_of(self).settings
        with Vertical():
            yield Static(t("signin.title"), classes="title")
            yield Label(t("signin.subtitle", site=settings.site.name))
            yield Label(t("signin.name"))
            yield Input(id="name", max_length=40)
            yield Label(t("signin.pin"))
            yield Input(id="pin", password=True, max_length=12)
            yield Static(self.message, id="error", classes="error")
            with Horizontal():
                yield Button(t("signin.submit"), id="submit", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted, "#name")
    def _next(self) -> None:
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not name or not pin:
            self._show_error(t("signin.empty"))
            return
        self.query_one("#error", Static).update(t("signin.checking"))
        self.query_one("#submit", Button).disabled = True
        self._check(name, pin)

    def _check(self, name: str, pin: str) -> None:
        app = shiftdesk_of(self)
        settings, engine = app.settings, app.engine

        def check() -> Operator:
            sec = settings.security
            return authenticate(
                engine,
                name,
                pin,
                lockout_attempts=sec.lockout_attempts,
                lockout_minutes=sec.lockout_minutes,
                site_code=settings.site.code,  # this terminal's site only (§1)
            )

        # The app owns the worker, not this dialog: the dialog is removed while the worker is
        # still finishing (it dismisses it), and a removed widget cancels its own workers.
        app.run_task(check, self.dismiss, error=self._refused, group="signin", exclusive=True)

    def _refused(self, exc: Exception) -> None:
        self._show_error(error_text(exc))

    def _show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(message)
        self.query_one("#submit", Button).disabled = False
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.focus()


class ConfirmScreen(TranslatedBindings, ModalScreen[bool]):
    """A yes/no question; Esc answers no."""

    BINDINGS = [
        Binding("escape", "answer(False)", "common.no", id="confirm.no"),
        Binding("y", "answer(True)", "common.yes", id="confirm.yes", show=False),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; height: auto; padding: 1 2; border: thick $warning; background: $surface;
    }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(t("common.yes"), id="yes", variant="warning")
                yield Button(t("common.no"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
