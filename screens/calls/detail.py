"""One call opened from the list: see it, edit it (audited), move its complaint along.

``CallDetailScreen(call_id)`` is a ``ModalScreen[bool]`` that returns True when something
was saved. Edits carry the version the operator saw: if another terminal changed the call
meanwhile, nothing is written and the operator is told (never a silent overwrite). Changing
the time received marks the call late-entered. A complaint's clocks are shown with their
state, and its progress (department reported, customer answered, resolved, closed) is
recorded with the buttons; once resolved, its callback (CB-1) is recorded with the outcome
buttons below, with a note (required when the complainant is not satisfied, CB-6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from screens.access import AppAccess
from screens.i18n import TranslatedBindings
from screens.widgets.keychoice import KeyChoice
from shiftdesk.calls import CallErrors, edit_call, get_call
from shiftdesk.clocks import ClockState, format_remaining
from shiftdesk.clocks.complaints import escalation, report_clocks, visible_clocks
from shiftdesk.clocks.workorders import warn_delta
from shiftdesk.complaint_reports import report_for
from shiftdesk.complaints import (
    STEPS,
    callback_for,
    complaint_for_call,
    level_label,
    mark,
    record_callback,
)
from shiftdesk.config import Settings
from shiftdesk.errors import ShiftdeskError, UsageError
from shiftdesk.i18n import t
from shiftdesk.lookup import format_phone
from shiftdesk.models import Call, Callback, Complaint, ComplaintReport, Unit, WorkOrder
from shiftdesk.timeutil import parse_instant, to_local, utcnow
from shiftdesk.workorders import OUTCOMES

TIME_FORMAT = "%Y-%m-%d %H:%M"
_STATE_STYLE = {
    ClockState.RUNNING: "",
    ClockState.WARNING: "bold yellow",
    ClockState.BREACHED: "bold white on red",
    ClockState.MET: "green",
    ClockState.MISSED: "red",
}


@dataclass
class Loaded:
    call: Call
    unit_code: str
    order: WorkOrder | None
    complaint: Complaint | None
    callback: Callback | None = None
    #: CP-16: a major or hot complaint's handling form and special report, once begun
    report: ComplaintReport | None = None


def _load(session: Session, call_id: int) -> Loaded:
    from sqlmodel import select

    call = get_call(session, call_id)
    unit = session.get(Unit, call.unit_id) if call.unit_id is not None else None
    order = session.exec(select(WorkOrder).where(WorkOrder.call_id == call_id)).first()
    complaint = complaint_for_call(session, call_id)
    callback = callback_for(session, complaint) if complaint is not None else None
    report = report_for(session, complaint) if complaint is not None else None
    return Loaded(call, unit.code if unit else "", order, complaint, callback, report)


class CallDetailScreen(AppAccess, TranslatedBindings, ModalScreen[bool]):
    BINDINGS = [
        Binding("ctrl+s", "save", "calls.binding.save_edit", id="calls.detail.save", priority=True),
        Binding("escape", "close", "calls.binding.close", id="calls.detail.close"),
    ]
    DEFAULT_CSS = """
    CallDetailScreen { align: center middle; }
    CallDetailScreen > Vertical {
        width: 90%; max-width: 110; height: 90%; border: thick $accent; background: $surface;
        padding: 0 1;
    }
    CallDetailScreen .title { text-style: bold; height: 1; }
    CallDetailScreen #facts { height: auto; }
    CallDetailScreen .row { height: auto; }
    CallDetailScreen .row > .label { width: 12; color: $text-muted; }
    CallDetailScreen Input { height: 1; border: none; padding: 0 1; background: $boost; }
    CallDetailScreen Input:focus { background: $primary 25%; }
    CallDetailScreen #message { height: auto; color: $error; }
    CallDetailScreen #message.-ok { color: $success; }
    CallDetailScreen #complaint-box { height: auto; border-top: solid $primary; }
    CallDetailScreen #steps { height: auto; }
    CallDetailScreen #steps Button, CallDetailScreen #callback-row Button {
        min-width: 10; height: 1; border: none; margin-right: 1;
    }
    CallDetailScreen #callback-row { height: auto; }
    CallDetailScreen #callback-row Input { width: 1fr; }
    """

    def __init__(self, call_id: int) -> None:
        super().__init__()
        self.call_id = call_id
        self.loaded: Loaded | None = None
        self.changed = False

    @property
    def settings(self) -> Settings:
        return self.shiftdesk.settings

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("calls.detail.title", id=self.call_id), classes="title")
            with VerticalScroll():
                yield Static("", id="facts")
                for wid, label, limit in (
                    ("received", "calls.form.received", 16),
                    ("name", "calls.form.name", self.settings.calls.name_max_length),
                    ("phone", "calls.form.phone", 24),
                    ("summary", "calls.form.summary", self.settings.calls.summary_max_length),
                    ("action", "calls.form.action", 1000),
                    ("result", "calls.detail.result", 1000),
                ):
                    with Horizontal(classes="row"):
                        yield Label(t(label), classes="label")
                        yield Input(id=wid, max_length=limit, compact=True)
                with Horizontal(classes="row"):
                    yield Label(t("calls.detail.status"), classes="label")
                    yield KeyChoice(
                        [
                            ("open", "o", t("calls.status.open")),
                            ("closed", "c", t("calls.status.closed")),
                        ],
                        id="status",
                        advance=False,
                    )
                yield Static("", id="message")
                with Vertical(id="complaint-box"):
                    yield Static("", id="complaint")
                    with Horizontal(id="steps"):
                        for step in STEPS:
                            yield Button(
                                t(f"calls.detail.step.{step}"), id=f"step-{step}", compact=True
                            )
                    with Horizontal(id="callback-row"):
                        yield Label(t("calls.detail.callback"), classes="label")
                        for outcome in OUTCOMES:
                            yield Button(
                                t(f"dispatch.outcome.{outcome}"),
                                id=f"callback-{outcome}",
                                compact=True,
                            )
                        yield Input(
                            id="callback-note",
                            max_length=500,
                            placeholder=t("calls.detail.callback_note"),
                            compact=True,
                        )

    def on_mount(self) -> None:
        self.query_one("#complaint-box").display = False
        self._reload()

    def _reload(self) -> None:
        self.shiftdesk.run_db(lambda s: _load(s, self.call_id), self._show, error=self._failed)

    def _failed(self, exc: Exception) -> None:
        message = exc.message if isinstance(exc, ShiftdeskError) else str(exc).splitlines()[0]
        msg = self.query_one("#message", Static)
        msg.remove_class("-ok")
        msg.update(message)

    def _show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        call = loaded.call
        tz = self.settings.site.timezone
        facts = Text()
        facts.append(
            f"{t(f'calls.channel.{call.channel}')} · {t(f'calls.category.{call.category}')}",
            style="bold",
        )
        facts.append(f"  {loaded.unit_code or call.location or '—'}")
        if call.night:
            facts.append("  " + t("calls.form.night"), style="yellow")
        if call.late_entry:
            facts.append("  " + t("calls.detail.late"), style="yellow")
        entered = to_local(call.entered_at, tz).strftime(TIME_FORMAT)
        facts.append("\n" + t("calls.detail.entered", at=entered), style="dim")
        if loaded.order is not None:
            order = loaded.order
            facts.append(
                "\n"
                + t(
                    "calls.detail.order",
                    id=order.id,
                    stage=t(f"dispatch.stage.{order.stage}"),
                    priority=t(f"calls.priority.{order.priority}"),
                )
            )
        self.query_one("#facts", Static).update(facts)
        values = {
            "received": to_local(call.received_at, tz).strftime(TIME_FORMAT),
            "name": call.caller_name,
            "phone": format_phone(call.caller_phone),
            "summary": call.summary,
            "action": call.action_taken,
            "result": call.result,
        }
        for wid, value in values.items():
            self.query_one(f"#{wid}", Input).value = value
        self.query_one("#status", KeyChoice).set_value(call.status)
        self._show_complaint(loaded.complaint, loaded.callback, loaded.report)
        self.query_one("#summary", Input).focus()

    def _show_complaint(
        self,
        complaint: Complaint | None,
        callback: Callback | None,
        report: ComplaintReport | None = None,
    ) -> None:
        box = self.query_one("#complaint-box")
        box.display = complaint is not None
        if complaint is None:
            return
        now = utcnow()
        tz = self.settings.site.timezone
        text = Text()
        text.append(
            t(
                "calls.detail.complaint",
                id=complaint.id,
                level=level_label(complaint.scheme, complaint.level, complaint.cause_class),
                status=t(f"complaints.status.{complaint.status}"),
            ),
            style="bold",
        )
        if complaint.escalation_reason:
            text.append(
                "  ↑ " + t(f"complaints.reason.{complaint.escalation_reason}"), style="yellow"
            )
        pending = escalation(complaint, self.settings, now)
        if pending is not None:
            text.append(
                "  "
                + t(
                    "calls.detail.escalation_due",
                    level=t(f"complaints.level.{complaint.scheme.lower()}.{pending[0]}"),
                ),
                style="bold yellow",
            )
        clocks = visible_clocks(complaint, self.settings, callback)
        for clock in [*clocks, *report_clocks(complaint, self.settings, report)]:
            state = clock.state(now, warn_delta(self.settings))
            due = to_local(clock.due_at, tz).strftime("%m-%d %H:%M")
            verdict = t(
                f"complaints.clock.state.{state.value}", left=format_remaining(clock.remaining(now))
            )
            text.append(f"\n{clock.rule:<6} {t(f'complaints.clock.{clock.kind}'):<18} {due}  ")
            text.append(verdict, style=_STATE_STYLE[state])
        self.query_one("#complaint", Static).update(text)
        for step, column in STEPS.items():
            self.query_one(f"#step-{step}", Button).disabled = (
                getattr(complaint, column) is not None
            )
        if callback is not None and callback.outcome:
            text.append(
                "\n"
                + t("calls.detail.callback_done", outcome=t(f"dispatch.outcome.{callback.outcome}"))
                + (
                    t("calls.detail.callback_attempts", attempts=callback.attempts)
                    if callback.attempts and callback.done_at is not None
                    else ""
                )
                + (f" — {callback.note}" if callback.note else ""),
                style="dim",
            )
            self.query_one("#complaint", Static).update(text)
        # CB-1: the callback row appears once the complaint is resolved, until it is done
        self.query_one("#callback-row").display = complaint.resolved_at is not None and (
            callback is None or callback.done_at is None
        )

    # ------------------------------------------------------------------ saving

    def _changes(self) -> tuple[dict[str, Any], str | None]:
        assert self.loaded is not None
        call = self.loaded.call
        tz = self.settings.site.timezone
        changes: dict[str, Any] = {}
        text = self.query_one("#received", Input).value.strip()
        if text != to_local(call.received_at, tz).strftime(TIME_FORMAT):
            if re.fullmatch(r"\d{1,2}:\d{2}", text):
                text = to_local(call.received_at, tz).strftime("%Y-%m-%d ") + text
            try:
                changes["received_at"] = parse_instant(text.replace(" ", "T", 1), tz)
            except (UsageError, ValueError, OverflowError):
                return {}, t("calls.error.bad_time")
        for wid, name in (
            ("name", "caller_name"),
            ("summary", "summary"),
            ("action", "action_taken"),
            ("result", "result"),
        ):
            value = self.query_one(f"#{wid}", Input).value.strip()
            if value != getattr(call, name):
                changes[name] = value
        phone = self.query_one("#phone", Input).value.strip()
        if phone != format_phone(call.caller_phone):
            changes["caller_phone"] = phone
        status = self.query_one("#status", KeyChoice).value
        if status and status != call.status:
            changes["status"] = status
        return changes, None

    def action_save(self) -> None:
        if self.loaded is None:
            return
        changes, problem = self._changes()
        msg = self.query_one("#message", Static)
        if problem:
            msg.remove_class("-ok")
            msg.update(problem)
            return
        if not changes:
            msg.add_class("-ok")
            msg.update(t("calls.detail.nothing_changed"))
            return
        version = self.loaded.call.version
        settings = self.settings

        def fn(session: Session) -> Loaded:
            edit_call(session, self.call_id, changes, settings, expected_version=version)
            return _load(session, self.call_id)

        def done(loaded: Loaded) -> None:
            self.changed = True
            self._show(loaded)
            msg.add_class("-ok")
            msg.update(t("calls.detail.saved", id=self.call_id))

        self.shiftdesk.run_db(fn, done, write=True, error=self._edit_failed)

    def _edit_failed(self, exc: Exception) -> None:
        msg = self.query_one("#message", Static)
        msg.remove_class("-ok")
        if isinstance(exc, CallErrors):
            msg.update("⚠ " + " · ".join(exc.by_field().values()))
        else:
            self._failed(exc)

    @on(Button.Pressed, "#steps Button")
    def _step(self, event: Button.Pressed) -> None:
        if self.loaded is None or self.loaded.complaint is None:
            return
        step = (event.button.id or "").removeprefix("step-")
        complaint = self.loaded.complaint
        assert complaint.id is not None
        complaint_id, version = complaint.id, complaint.version
        settings = self.settings

        def fn(session: Session) -> Loaded:
            mark(session, complaint_id, step, settings=settings, expected_version=version)
            return _load(session, self.call_id)

        self._save_complaint(fn, t("calls.detail.step_saved", step=t(f"calls.detail.step.{step}")))

    @on(Button.Pressed, "#callback-row Button")
    def _callback(self, event: Button.Pressed) -> None:
        """CB-1: record the callback's outcome; the note stays typed if it is refused."""
        if self.loaded is None or self.loaded.complaint is None:
            return
        outcome = (event.button.id or "").removeprefix("callback-")
        complaint = self.loaded.complaint
        assert complaint.id is not None
        complaint_id, version = complaint.id, complaint.version
        note = self.query_one("#callback-note", Input).value
        settings = self.settings

        def fn(session: Session) -> Loaded:
            record_callback(
                session,
                complaint_id,
                outcome=outcome,
                note=note,
                settings=settings,
                expected_version=version,
            )
            return _load(session, self.call_id)

        saved = t("calls.detail.callback_saved", outcome=t(f"dispatch.outcome.{outcome}"))
        self._save_complaint(fn, saved, clear_note=True)

    def _save_complaint(self, fn: Any, message: str, *, clear_note: bool = False) -> None:
        def done(loaded: Loaded) -> None:
            self.changed = True
            self._show(loaded)
            if clear_note:
                self.query_one("#callback-note", Input).value = ""
            msg = self.query_one("#message", Static)
            msg.add_class("-ok")
            msg.update(message)

        self.shiftdesk.run_db(fn, done, write=True, error=self._failed)

    def action_close(self) -> None:
        self.dismiss(self.changed)

    def received_at(self) -> datetime | None:
        return self.loaded.call.received_at if self.loaded else None
