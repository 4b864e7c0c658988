"""Dialogs that take someone's PIN: an incoming operator or a supervisor
(``CredentialsDialog``) and the two signatures that close a shift (``SignDialog``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from screens.handover.dialogs import ServiceDialog, _row
from shiftdesk import handover
from shiftdesk.db import Actor
from shiftdesk.errors import PermissionDenied, ShiftdeskError
from shiftdesk.i18n import t
from shiftdesk.security import SignInError


def advance_or_submit(dialog: CredentialsDialog | SignDialog, current: Input) -> None:
    """Enter: to the next field still to fill, or save when every one is filled.

    A prefilled name is skipped, not entered: after the outgoing PIN the focus went to the
    incoming *name*, the incoming PIN typed there replaced it and showed in clear, and the
    next Enter signed nothing (#17 finding 2).
    """
    inputs = [i for i in dialog.query(Input) if not i.disabled]
    after = inputs[inputs.index(current) + 1 :]
    empty = [i for i in after if not i.value]
    if empty:
        empty[0].focus()
    elif not all(i.value for i in inputs):
        next(i for i in inputs if not i.value).focus()
    else:
        dialog.action_submit()


def guard_name(dialog: CredentialsDialog | SignDialog, event: Input.Changed) -> None:
    """A name field never shows a PIN: digits typed there (the PIN typed one field too
    early) are taken out at once and the operator is told where the PIN goes (#17 #2)."""
    if event.value and event.value.isdigit():
        event.input.value = ""
        dialog._refused(t("handover.error.pin_in_name"), event.input.id)


class CredentialsDialog(ServiceDialog):
    """Name and PIN of someone at the desk (incoming operator, supervisor), then ``then``.

    ``then(actor, reason)`` gives the write to run as that person; the service checks
    their role. Returns ``(actor, result)``.
    """

    def __init__(
        self,
        title: str,
        message: str,
        then: Callable[[Actor, str], Callable[[Session], Any]] | None = None,
        *,
        name: str = "",
        ask_reason: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.then = then
        self.name_value = name
        self.ask_reason = ask_reason

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="hint")
            yield _row(
                t("signin.name"),
                Input(
                    self.name_value, id="name", max_length=40, compact=True, select_on_focus=False
                ),
            )
            yield _row(t("signin.pin"), Input(id="pin", password=True, max_length=12, compact=True))
            if self.ask_reason:
                yield _row(
                    t("handover.field.reason"), Input(id="reason", max_length=500, compact=True)
                )
            yield Static("", id="error", classes="error")
            yield from self.buttons("handover.binding.confirm")

    def on_mount(self) -> None:
        target = "#pin" if self.name_value else "#name"
        self.query_one(target, Input).focus()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        advance_or_submit(self, event.input)

    @on(Input.Changed, "#name, #in-name")
    def _name_changed(self, event: Input.Changed) -> None:
        guard_name(self, event)

    def field_for(self, err: ShiftdeskError) -> str | None:
        if isinstance(err, SignInError):
            return "pin"
        if isinstance(err, PermissionDenied):
            return "name"
        return super().field_for(err)

    def action_submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        reason = self.query_one("#reason", Input).value if self.ask_reason else ""
        if self.ask_reason and not reason.strip():
            self._refused(t("handover.error.reason_required"), "reason")
            return
        self.query_one("#pin", Input).value = ""
        then = self.then

        def checked(actors: list[Actor]) -> None:
            actor = actors[0]
            if then is None:
                self.dismiss((actor, None))
            else:
                self.save(then(actor, reason), actor, lambda value: (actor, value))

        self.as_people([(name, pin)], checked)


class SignDialog(ServiceDialog):
    """H-6: the outgoing and the incoming operator each type their PIN; the shift closes.

    Returns ``(incoming_actor, next_shift)``.
    """

    def __init__(self, shift_id: int, outgoing_name: str, incoming_name: str) -> None:
        super().__init__()
        self.shift_id = shift_id
        self.outgoing_name = outgoing_name
        self.incoming_name = incoming_name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("handover.dialog.sign"), classes="dialog-title")
            yield Static(t("handover.dialog.sign_hint"), classes="hint")
            yield _row(
                t("handover.doc.outgoing"),
                Input(self.outgoing_name, id="out-name", disabled=True, compact=True),
            )
            yield _row(
                t("signin.pin"), Input(id="out-pin", password=True, max_length=12, compact=True)
            )
            yield _row(
                t("handover.doc.incoming"),
                Input(
                    self.incoming_name,
                    id="in-name",
                    max_length=40,
                    compact=True,
                    select_on_focus=False,
                ),
            )
            yield _row(
                t("signin.pin"), Input(id="in-pin", password=True, max_length=12, compact=True)
            )
            yield Static("", id="error", classes="error")
            yield from self.buttons("handover.binding.sign")

    def on_mount(self) -> None:
        self.query_one("#out-pin", Input).focus()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        advance_or_submit(self, event.input)

    @on(Input.Changed, "#name, #in-name")
    def _name_changed(self, event: Input.Changed) -> None:
        guard_name(self, event)

    def action_submit(self) -> None:
        out_pin = self.query_one("#out-pin", Input).value
        in_name = self.query_one("#in-name", Input).value.strip()
        in_pin = self.query_one("#in-pin", Input).value
        self.query_one("#out-pin", Input).value = ""
        self.query_one("#in-pin", Input).value = ""
        shift_id, out_name = self.shift_id, self.outgoing_name
        settings = self.shiftdesk.settings

        def checked(actors: list[Actor]) -> None:
            outgoing, incoming = actors

            def sign(session: Session) -> Any:
                shift = handover.get_shift(session, shift_id)
                return handover.sign_handover(
                    session, settings, shift, outgoing=outgoing, incoming=incoming
                )

            self.save(sign, incoming, lambda value: (incoming, value))

        self.as_people([(out_name, out_pin), (in_name, in_pin)], checked)
