"""The call form while the operator types: the time received, choices that open
sections, Enter moving on, the caller lookup and the caller's history."""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.widgets import Checkbox, Input, Static

from screens.calls.choices import (
    TIME_FORMAT,
    trade_label,
)
from screens.calls.layout import CallsLayout
from screens.widgets.keychoice import KeyChoice
from screens.widgets.lookup import ResidentLookup
from shiftdesk.calls import (
    History,
    caller_history,
)
from shiftdesk.clocks.workorders import is_night
from shiftdesk.errors import UsageError
from shiftdesk.i18n import t
from shiftdesk.lookup import LookupHit, format_phone
from shiftdesk.timeutil import parse_instant, to_local, utcnow
from shiftdesk.trail import record_resident_read


class CallForm(CallsLayout):
    """Typing into the form."""

    # ------------------------------------------------------------------ time received

    def _local_now_text(self) -> str:
        return to_local(utcnow(), self.settings.site.timezone).strftime(TIME_FORMAT)

    def _set_input(self, wid: str, value: str) -> None:
        """Set an input from code; its Changed message is not taken as typing."""
        widget = self.query_one(f"#{wid}", Input)
        if widget.value != value:
            with widget.prevent(Input.Changed):
                widget.value = value

    def _reset_received(self) -> None:
        self._received_auto = utcnow()
        self._received_text_auto = to_local(
            self._received_auto, self.settings.site.timezone
        ).strftime(TIME_FORMAT)
        self._set_input("received", self._received_text_auto)
        self._show_night(self._received_auto)

    def _tick(self) -> None:
        if self._pristine:
            self._reset_received()

    def _touched(self) -> None:
        """The operator started on this call: the time received stops following the clock."""
        if self._pristine:
            self._pristine = False
            self._reset_received()

    def _show_night(self, when: datetime | None) -> None:
        night = when is not None and is_night(when, self.settings)
        self.query_one("#night", Static).update(t("calls.form.night") if night else "")

    def _received_value(self) -> tuple[datetime | None, bool, str | None]:
        """(instant, edited by the operator, error message)."""
        text = self.query_one("#received", Input).value.strip()
        if text == self._received_text_auto:
            return self._received_auto, False, None
        tz = self.settings.site.timezone
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            text = to_local(utcnow(), tz).strftime("%Y-%m-%d ") + text
        try:
            return parse_instant(text.replace(" ", "T", 1), tz), True, None
        except (UsageError, ValueError, OverflowError):
            return None, True, t("calls.error.bad_time")

    # ------------------------------------------------------------------ typing

    # Changes made by code are sent under ``prevent(Input.Changed)`` (``_set_input``); an
    # input without focus changed by code too (an initial value): neither is typing.

    @on(Input.Changed, "#lookup-input")
    def _caller_typed(self, event: Input.Changed) -> None:
        if event.input.has_focus:
            self._touched()
            self._clear_error_for("caller")

    @on(Input.Changed, "#received")
    def _received_typed(self, event: Input.Changed) -> None:
        if event.input.has_focus:
            instant, _edited, error = self._received_value()
            self._show_night(instant if error is None else None)
            self._pristine = False

    @on(Input.Changed, ".form-field")
    def _field_typed(self, event: Input.Changed) -> None:
        if event.input.has_focus:
            self._touched()
            self._clear_error_for(event.input.id or "")

    @on(KeyChoice.Changed)
    def _choice_changed(self, event: KeyChoice.Changed) -> None:
        self._touched()
        wid = event.choice.id or ""
        self._clear_error_for(wid)
        if wid == "category":
            self._show_category_sections(event.value)

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        if not event.checkbox.has_focus:
            return  # set from code (clearing the form, choosing a caller)
        self._touched()
        if event.checkbox.id == "outside":
            self._clear_error_for("caller")
            self._show_unit()

    def _show_category_sections(self, category: str | None) -> None:
        pane = self.query_one("#form-pane")
        pane.set_class(category == "repair", "-repair")
        pane.set_class(category == "complaint", "-complaint")

    @on(Input.Submitted)
    def _enter_moves_on(self, event: Input.Submitted) -> None:
        """Enter in a form field goes to the next one, like Tab (the lookup keeps its Enter)."""
        if event.input.id in ("search",):
            return
        self.focus_next()

    # ------------------------------------------------------------------ caller lookup

    @on(ResidentLookup.Chosen, "#caller")
    def _caller_chosen(self, event: ResidentLookup.Chosen) -> None:
        hit = event.hit
        self._hit = hit
        self._touched()
        self._clear_error_for("caller")
        if hit.resident_id is not None:
            self._set_input("name", hit.name)
            self._set_input("phone", format_phone(hit.phone) if hit.phone else "")
        self.query_one("#outside", Checkbox).value = False
        self._show_unit()
        self._load_history(hit)
        self.focus_next()

    @on(ResidentLookup.Cleared, "#caller")
    def _caller_cleared(self) -> None:
        self._hit = None
        self._show_unit()
        self.query_one("#history").remove_class("-shown")

    def _show_unit(self) -> None:
        outside = self.query_one("#outside", Checkbox).value
        shown = self.query_one("#unit-shown", Static)
        if outside:
            shown.update(t("calls.form.outside_short"))
        elif self._hit is not None:
            shown.update(Text(self._hit.unit_code, style="bold"))
        else:
            shown.update("—")

    def _load_history(self, hit: LookupHit) -> None:
        site_id = self._site_id()

        def fn(session: Session) -> History:
            sid = site_id if site_id is not None else self._resolve_site(session)
            if hit.resident_id is not None:
                # showing a resident's history is a read of their record, and logged
                record_resident_read(session, hit.resident_id, site_id=sid, where="caller history")
            return caller_history(
                session, sid, resident_id=hit.resident_id, unit_id=hit.unit_id, phone=hit.phone
            )

        def done(history: History) -> None:
            self._show_history(hit, history)

        # a newer caller's history replaces this one (exclusive: a stale result is dropped)
        self.shiftdesk.run_db(
            fn, done, write=hit.resident_id is not None, group="calls-history", exclusive=True
        )

    def _show_history(self, hit: LookupHit, history: History) -> None:
        tz = self.settings.site.timezone
        text = Text()
        title = f"{hit.name} {hit.unit_code}".strip()
        text.append(t("calls.history.title", who=title) + "\n", style="bold")
        text.append(
            t("calls.history.orders", count=len(history.open_orders)) + "\n", style="bold underline"
        )
        for order in history.open_orders:
            style = "bold red" if order.priority == "emergency" else ""
            text.append(
                f"#{order.id} {trade_label(order.trade)} · {t(f'dispatch.stage.{order.stage}')}\n",
                style=style,
            )
            if order.assignee:
                text.append(f"  {order.assignee}\n", style="dim")
        text.append(
            t("calls.history.parcels", count=len(history.waiting_parcels)) + "\n",
            style="bold underline",
        )
        for parcel in history.waiting_parcels:
            when = to_local(parcel.received_at, tz).strftime("%m-%d")
            text.append(f"{when} {parcel.carrier} {parcel.shelf}\n")
        text.append(
            t("calls.history.complaints", count=len(history.open_complaints)) + "\n",
            style="bold underline",
        )
        for complaint in history.open_complaints:
            when = to_local(complaint.received_at, tz).strftime("%m-%d")
            level = t(f"complaints.level.{complaint.scheme.lower()}.{complaint.level}")
            text.append(f"{when} #{complaint.id} {level}\n")
        text.append(
            t("calls.history.calls", count=len(history.calls)) + "\n", style="bold underline"
        )
        for row in history.calls:
            call = row.call
            when = to_local(call.received_at, tz).strftime("%m-%d %H:%M")
            text.append(f"{when} {t(f'calls.category.{call.category}')}\n", style="dim")
            text.append(f"  {call.summary[:60]}\n")
        self.query_one("#history-text", Static).update(text)
        self.query_one("#history").add_class("-shown")
