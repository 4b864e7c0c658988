"""Dialogs of the parcel screen: pickup identity check, a reason, a contact made by hand."""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from screens.dialogs import FormDialog
from screens.widgets.keychoice import KeyChoice
from shiftdesk import parcels
from shiftdesk.errors import ValidationError
from shiftdesk.i18n import t

T = TypeVar("T")


class ParcelDialog(FormDialog[T]):
    """The parcel dialogs' family (their rows: ``screens/parcels/dialogs.tcss``)."""


class PickupDialog(ParcelDialog["parcels.Pickup | None"]):
    """P-4 / P-5: who collects and which ID was shown; only its last 4 characters are kept.

    Returns a checked ``Pickup`` or None (Esc). Enter in the last field, or Ctrl+S, confirms.
    """

    BINDINGS = [
        Binding("escape", "cancel", "common.cancel", id="parcels.dialog.cancel"),
        Binding(
            "ctrl+s",
            "confirm",
            "parcels.binding.confirm",
            id="parcels.dialog.confirm",
            priority=True,
        ),
    ]

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        id_types = [(t(f"parcels.idtype.{k}"), k) for k in parcels.ID_TYPES]
        with Vertical():
            yield Static(t("parcels.pickup.title"), classes="title")
            yield Static(self.summary, id="summary")
            with Horizontal(classes="row"):
                yield Label(t("parcels.field.by"), classes="label")
                yield KeyChoice(
                    [("self", "s", t("parcels.by.self")), ("proxy", "p", t("parcels.by.proxy"))],
                    value="self",
                    id="by",
                )
            with Horizontal(classes="row proxy-only"):
                yield Label(t("parcels.field.proxy_name"), classes="label")
                yield Input(id="proxy-name", max_length=40, compact=True)
            with Horizontal(classes="row proxy-only"):
                yield Label(t("parcels.field.proxy_phone"), classes="label")
                yield Input(id="proxy-phone", max_length=20, compact=True)
            with Horizontal(classes="row"):
                yield Label(t("parcels.field.id_type"), classes="label")
                yield Select(
                    id_types, value="id_card", allow_blank=False, id="id-type", compact=True
                )
            with Horizontal(classes="row"):
                yield Label(t("parcels.field.id_last4"), classes="label")
                # no max_length: a fifth character must be refused with a reason, not cut
                # off unseen (`12345` was stored as `1234`, #17); the service checks it (P-4)
                yield Input(
                    id="id-last4",
                    compact=True,
                    placeholder=t("parcels.pickup.last4_hint"),
                )
            yield Static("", id="liability", classes="proxy-only")
            yield Static("", id="error", classes="error")
            yield Static(t("parcels.pickup.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#id-last4", Input).focus()

    @on(KeyChoice.Changed, "#by")
    def _by(self, event: KeyChoice.Changed) -> None:
        proxy = event.value == "proxy"
        self.set_class(proxy, "-proxy")
        self._liability()
        if proxy:
            self.query_one("#proxy-name", Input).focus()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._liability()

    def _liability(self) -> None:
        pickup = self._pickup()
        self.query_one("#liability", Static).update(
            parcels.proxy_liability(pickup) if pickup.by == "proxy" else ""
        )

    def _pickup(self) -> parcels.Pickup:
        by = self.query_one("#by", KeyChoice).value or "self"
        id_type = self.query_one("#id-type", Select).value
        return parcels.Pickup(
            by=by,
            id_type=str(id_type) if isinstance(id_type, str) else "id_card",
            id_last4=self.query_one("#id-last4", Input).value,
            proxy_name=self.query_one("#proxy-name", Input).value,
            proxy_phone=self.query_one("#proxy-phone", Input).value,
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "id-last4":
            self.action_confirm()
        else:
            self.focus_next()

    def action_confirm(self) -> None:
        try:
            checked = self._pickup().check()
        except ValidationError as err:
            self.query_one("#error", Static).update(err.message)
            target = {
                "id_last4": "#id-last4",
                "proxy_name": "#proxy-name",
                "proxy_phone": "#proxy-phone",
            }.get(err.field or "")
            if target:
                self.query_one(target, Input).focus()
            return
        self.dismiss(checked)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonDialog(ParcelDialog["str | None"]):
    """A reason, prefilled where the rule suggests one (P-1 refusal, P-20 return)."""

    BINDINGS = [Binding("escape", "cancel", "common.cancel", id="parcels.dialog.cancel")]

    def __init__(self, title: str, question: str, default: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="title")
            yield Static(self.question)
            with Horizontal(classes="row"):
                yield Label(t("parcels.field.reason"), classes="label")
                yield Input(self.default, id="reason", max_length=200, compact=True)
            yield Static("", id="error", classes="error")
            yield Static(t("parcels.dialog.enter_confirms"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.query_one("#error", Static).update(t("parcels.err.reason_required"))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ContactDialog(ParcelDialog["tuple[str, str] | None"]):
    """P-9 / P-13: how the resident was contacted (phone, home visit, note) and what was said."""

    BINDINGS = [Binding("escape", "cancel", "common.cancel", id="parcels.dialog.cancel")]

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        keys = {"phone": "t", "visit": "v", "notice": "n"}
        with Vertical():
            yield Static(t("parcels.contact.title"), classes="title")
            yield Static(self.summary)
            with Horizontal(classes="row"):
                yield Label(t("parcels.contact.method"), classes="label")
                yield KeyChoice(
                    [(m, keys[m], t(f"parcels.method.{m}")) for m in parcels.CONTACT_METHODS],
                    value="phone",
                    id="method",
                )
            with Horizontal(classes="row"):
                yield Label(t("parcels.field.note"), classes="label")
                yield Input(
                    id="note",
                    max_length=200,
                    compact=True,
                    placeholder=t("parcels.contact.note_hint"),
                )
            yield Static(t("parcels.dialog.enter_confirms"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#method", KeyChoice).focus()

    @on(Input.Submitted, "#note")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        method = self.query_one("#method", KeyChoice).value or "phone"
        self.dismiss((method, event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
