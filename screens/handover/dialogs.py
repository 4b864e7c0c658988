"""Dialogs of the handover screen: log entries, preparation, PINs, parcel count, questions.

Each dialog that saves runs the service itself (in a thread worker) and stays open with
the service's message if it refuses, so nothing typed is lost; it closes with the result
once the write is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from screens.dialogs import FormDialog
from screens.errors import error_text
from shiftdesk import handover
from shiftdesk.db import Actor
from shiftdesk.errors import ShiftdeskError, ValidationError
from shiftdesk.i18n import t
from shiftdesk.security import actor_for, authenticate


class ServiceDialog(FormDialog[Any]):
    """A dialog whose submit runs ``work`` off the UI thread; errors keep it open."""

    BINDINGS = [
        Binding("escape", "cancel", "common.cancel", id="handover.dialog.cancel"),
        Binding("ctrl+s", "submit", "handover.binding.save", id="handover.dialog.save"),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def authenticate(self, name: str, pin: str) -> Actor:
        """Check a name and PIN (in a worker: see ``as_people``)."""
        app = self.shiftdesk
        sec, site_code = app.settings.security, app.settings.site.code
        op = authenticate(
            app.engine,
            name,
            pin,
            lockout_attempts=sec.lockout_attempts,
            lockout_minutes=sec.lockout_minutes,
            site_code=site_code,  # a signature of this site's people (§1)
        )
        return actor_for(op)

    def as_people(self, people: list[tuple[str, str]], then: Callable[[list[Actor]], None]) -> None:
        """Check each (name, PIN) off the UI thread, then ``then(actors)``; refusals show."""
        self._busy()

        def check() -> list[Actor]:
            return [self.authenticate(name, pin) for name, pin in people]

        self.shiftdesk.run_task(
            check, then, error=self._failed, group="handover-dialog", exclusive=True
        )

    def save(
        self,
        fn: Callable[[Session], Any],
        actor: Actor,
        result: Callable[[Any], Any] | None = None,
    ) -> None:
        """Write ``fn`` as ``actor``; close with ``result(value)`` (or the value) once
        committed, or stay open with the service's refusal."""
        self._busy()

        def done(value: Any) -> None:
            self.dismiss(result(value) if result is not None else value)

        self.shiftdesk.run_db(
            fn,
            done,
            write=True,
            actor=actor,
            error=self._failed,
            group="handover-dialog",
            exclusive=True,
        )

    def _busy(self) -> None:
        self.show_error(t("handover.ui.saving"))
        for button in self.query(Button):
            button.disabled = True

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, ShiftdeskError):
            self._refused(exc.message, self.field_for(exc))
        else:  # a database problem: say so, keep the dialog
            self._refused(t("error.database", detail=error_text(exc)), None)

    def field_for(self, err: ShiftdeskError) -> str | None:
        """The input a refusal is about, to put the cursor back there."""
        return err.field if isinstance(err, ValidationError) else None

    def _refused(self, message: str, field: str | None) -> None:
        self.show_error(message)
        for button in self.query(Button):
            button.disabled = False
        if field:
            target = self.query(f"#{field}")
            if target:
                target.first().focus()

    def show_error(self, message: str) -> None:
        for error in self.query("#error").results(Static):
            error.update(message)

    def buttons(self, ok_key: str = "handover.binding.save") -> ComposeResult:
        with Horizontal(classes="buttons"):
            yield Button(t("common.cancel"), id="cancel", compact=True)
            yield Button(t(ok_key), id="ok", variant="primary", compact=True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok_pressed(self) -> None:
        self.action_submit()


def _row(label: str, widget: Any) -> Horizontal:
    return Horizontal(Label(label), widget, classes="row")


class EntryDialog(ServiceDialog):
    """A note, an H-8 event, an H-9 incident report, or a correction: type, Enter, saved.

    Returns the new entry's chain position (``seq``).
    """

    def __init__(
        self, kind: str, shift_id: int, *, corrects: tuple[int, int, str] | None = None
    ) -> None:
        super().__init__()
        self.kind = kind
        self.shift_id = shift_id
        self.corrects = corrects

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t(f"handover.dialog.{self.kind}"), classes="dialog-title")
            if self.corrects is not None:
                _, seq, text = self.corrects
                yield Static(
                    t("handover.dialog.correcting", ref=seq, text=text[:200]), classes="hint"
                )
            if self.kind == "event":
                options = [(t(f"handover.event.{k}"), k) for k in handover.EVENT_KINDS]
                yield _row(
                    t("handover.field.category"),
                    Select(
                        options,
                        id="category",
                        allow_blank=False,
                        compact=True,
                        value=handover.EVENT_KINDS[0],
                    ),
                )
            elif self.kind == "incident":
                options = [
                    (f"{t(f'handover.incident.{k}')} ({rule})", k)
                    for k, rule in handover.INCIDENT_CATEGORIES.items()
                ]
                yield _row(
                    t("handover.field.category"),
                    Select(options, id="category", allow_blank=False, compact=True, value="fire"),
                )
            body_label = "handover.field.body" if self.kind == "incident" else "handover.field.text"
            yield _row(t(body_label), Input(id="body", max_length=4000, compact=True))
            if self.kind == "incident":
                yield _row(
                    t("handover.field.location"), Input(id="location", max_length=120, compact=True)
                )
                yield _row(
                    t("handover.field.actions"), Input(id="actions", max_length=2000, compact=True)
                )
                yield _row(
                    t("handover.field.notified"), Input(id="notified", max_length=500, compact=True)
                )
                yield _row(
                    t("handover.field.photos"),
                    Input(
                        id="photos",
                        max_length=2000,
                        compact=True,
                        placeholder=t("handover.dialog.photos_hint"),
                    ),
                )
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#body", Input).focus()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last one it saves."""
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.action_submit()

    def _value(self, name: str) -> str:
        found = self.query(f"#{name}")
        if not found:
            return ""
        widget = found.first()
        if isinstance(widget, Select):
            return "" if widget.value is Select.BLANK else str(widget.value)
        if isinstance(widget, Input):
            return widget.value
        return ""

    def action_submit(self) -> None:
        kind = "correction" if self.corrects is not None else self.kind
        body = self._value("body")
        if not body.strip():
            self._refused(t("handover.error.body_required"), "body")
            return
        fields = {
            "category": self._value("category"),
            "location": self._value("location"),
            "actions": self._value("actions"),
            "notified": self._value("notified"),
        }
        photos = handover.split_photos(self._value("photos"))
        actor = self.shiftdesk.actor
        corrects_id = self.corrects[0] if self.corrects else None
        shift_id = self.shift_id

        def save(session: Session) -> int:
            shift = handover.get_shift(session, shift_id)
            entry = handover.add_entry(
                session,
                shift,
                author=actor,
                kind=kind,
                body=body,
                photos=photos,
                corrects_id=corrects_id,
                category=fields["category"],
                location=fields["location"],
                actions=fields["actions"],
                notified=fields["notified"],
            )
            return entry.seq

        self.save(save, actor)


class PrepareDialog(ServiceDialog):
    """H-5: the special instructions (特别交待); returns the text, the screen prepares."""

    def __init__(self, instructions: str = "") -> None:
        super().__init__()
        self.instructions = instructions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("handover.dialog.prepare"), classes="dialog-title")
            yield Static(t("handover.dialog.prepare_hint"), classes="hint")
            yield Label(t("handover.section.instructions"))
            yield TextArea(self.instructions, id="instructions", compact=True)
            yield Static("", id="error", classes="error")
            yield from self.buttons("handover.binding.prepare")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_submit(self) -> None:
        self.dismiss(self.query_one(TextArea).text)


class BlockedDialog(FormDialog[bool]):
    """H-6: the important unfinished work that blocks the handover; True asks for override."""

    BINDINGS = [
        Binding("escape", "answer(False)", "common.cancel", id="handover.blocked.cancel"),
        Binding("o", "answer(True)", "handover.binding.override", id="handover.blocked.override"),
    ]

    def __init__(self, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("handover.dialog.blocked"), classes="dialog-title")
            yield Static(t("handover.error.blocked", count=len(self.items)), classes="error")
            with VerticalScroll():
                for title, detail in self.items:
                    yield Static(f"• {title} — {detail}")
            with Horizontal(classes="buttons"):
                yield Button(t("common.cancel"), id="cancel", compact=True)
                yield Button(
                    t("handover.binding.override"), id="override", variant="warning", compact=True
                )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "override")


class ParcelCountDialog(ServiceDialog):
    """H-12: the incoming operator counts the waiting items shelf by shelf."""

    def __init__(
        self, shift_id: int, incoming: Actor, expected: dict[str, int], shelves: list[str]
    ) -> None:
        super().__init__()
        self.shift_id = shift_id
        self.incoming = incoming
        self.expected = expected
        self.shelves = list(dict.fromkeys([*shelves, *sorted(expected)]))

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("handover.dialog.count"), classes="dialog-title")
            yield Static(t("handover.dialog.count_hint"), classes="hint")
            with VerticalScroll():
                for i, shelf in enumerate(self.shelves):
                    label = t(
                        "handover.dialog.shelf",
                        shelf=shelf or "-",
                        expected=self.expected.get(shelf, 0),
                    )
                    yield _row(
                        label, Input(id=f"shelf-{i}", type="integer", max_length=5, compact=True)
                    )
            yield _row(t("handover.field.note"), Input(id="note", max_length=1000, compact=True))
            yield Static("", id="error", classes="error")
            yield from self.buttons("handover.binding.confirm")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.action_submit()

    def action_submit(self) -> None:
        counted: dict[str, int] = {}
        for i, shelf in enumerate(self.shelves):
            text = self.query_one(f"#shelf-{i}", Input).value.strip()
            if not text:
                self._refused(t("handover.dialog.count_every_shelf"), f"shelf-{i}")
                return
            try:
                counted[shelf] = int(text)
            except ValueError:
                self._refused(t("handover.error.bad_count"), f"shelf-{i}")
                return
        note = self.query_one("#note", Input).value
        shift_id, incoming = self.shift_id, self.incoming

        def save(session: Session) -> str:
            shift = handover.get_shift(session, shift_id)
            entry = handover.record_parcel_count(
                session, shift, incoming=incoming, counted=counted, note=note
            )
            return entry.category

        self.save(save, incoming)


class TextDialog(ServiceDialog):
    """One line of text (a question, an answer), saved by ``save(text)`` as ``actor``."""

    def __init__(
        self, title: str, hint: str, actor: Actor, save: Callable[[str], Callable[[Session], Any]]
    ) -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.actor = actor
        self.make_write = save

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="dialog-title")
            if self.hint:
                yield Static(self.hint, classes="hint")
            yield _row(t("handover.field.text"), Input(id="body", max_length=4000, compact=True))
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#body", Input).focus()

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        text = self.query_one("#body", Input).value
        if not text.strip():
            self._refused(t("handover.error.body_required"), "body")
            return
        self.save(self.make_write(text), self.actor)
