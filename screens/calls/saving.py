"""Saving a call: collecting the form, the confirmation, the emergency sent at once
(R-14), errors shown next to their fields, clearing and discarding."""

from __future__ import annotations

from sqlmodel import Session
from textual.widgets import Checkbox, ContentSwitcher, Input, Static

from screens.calls.choices import (
    FIELDS,
)
from screens.calls.form import CallForm
from screens.errors import error_text
from screens.widgets.keychoice import KeyChoice
from screens.widgets.lookup import ResidentLookup
from shiftdesk.calls import (
    CallErrors,
    CallInput,
    LoggedCall,
    RepairInput,
    log_call,
)
from shiftdesk.clocks.complaints import next_clock
from shiftdesk.complaints import ComplaintInput
from shiftdesk.errors import ShiftdeskError
from shiftdesk.i18n import t
from shiftdesk.timeutil import to_local


class CallSaving(CallForm):
    """Saving, errors and clearing."""

    # ------------------------------------------------------------------ saving

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value

    def _choice(self, wid: str) -> str:
        found = self.query(f"#{wid}")
        if not found:
            return ""
        return found.first(KeyChoice).value or ""

    def _trade_keys(self) -> str:
        count = min(len(self.settings.workorders.trades), 9)
        return f"1-{count}" if count > 1 else "1"

    def _collect(self) -> tuple[CallInput | None, dict[str, str]]:
        """The form's content as a CallInput, or the problems the form itself can see."""
        errors: dict[str, str] = {}
        category = self._choice("category")
        if not category:
            errors["category"] = t("calls.error.choose_category")
        received, edited, time_error = self._received_value()
        if time_error:
            errors["received_at"] = time_error
        lookup = self.query_one("#caller", ResidentLookup)
        outside = self.query_one("#outside", Checkbox).value
        if lookup.text.strip() and lookup.chosen is None and not outside:
            errors["unit"] = t("calls.error.unit_not_chosen")
        if category == "repair" and not self._choice("trade"):
            errors["trade"] = t("calls.error.choose_trade", keys=self._trade_keys())
        if (
            category == "complaint"
            and self.settings.complaints.scheme == "B"
            and not self._choice("cause_class")
        ):
            errors["cause_class"] = t("calls.error.choose_class")
        complainants_text = self._value("complainants").strip() or "1"
        complainants = 1
        if category == "complaint":
            if complainants_text.isdigit():
                complainants = int(complainants_text)
            else:
                errors["complainants"] = t("calls.error.number")
        if errors:
            return None, errors
        hit = self._hit if not outside else None
        data = CallInput(
            channel=self._choice("channel"),
            category=category,
            summary=self._value("summary"),
            received_at=received,
            caller_name=self._value("name"),
            caller_phone=self._value("phone"),
            unit_id=hit.unit_id if hit is not None else None,
            resident_id=hit.resident_id if hit is not None else None,
            outside=outside,
            location=self._value("location"),
            action_taken=self._value("action"),
            repair=RepairInput(
                trade=self._choice("trade"),
                priority=self._choice("priority") or "normal",
                in_home=self.query_one("#in_home", Checkbox).value,
                paid=self.query_one("#paid", Checkbox).value,
                spare_key_ok=self.query_one("#spare_key", Checkbox).value,
                leak=self.query_one("#leak", Checkbox).value,
            ),
            complaint=ComplaintInput(
                level=self._choice("level") or "general",
                cause_class=self._choice("cause_class"),
                complainants=complainants,
                repeat=self.query_one("#repeat", Checkbox).value,
                department=self._value("department"),
            ),
            late_entry=True if edited else None,
        )
        return data, {}

    def action_save(self) -> None:
        if self._saving:
            return
        if self.query_one("#switcher", ContentSwitcher).current != "form-pane":
            return
        data, problems = self._collect()
        self._clear_errors()
        if data is None:
            self._show_errors(problems)
            return
        self._saving = True
        site_id = self._site_id()
        settings = self.settings

        def fn(session: Session) -> tuple[LoggedCall, str]:
            sid = site_id if site_id is not None else self._resolve_site(session)
            logged = log_call(session, sid, data, settings)
            return logged, self._confirmation(logged)

        self.shiftdesk.run_db(fn, self._saved, write=True, error=self._save_failed)

    def _confirmation(self, logged: LoggedCall) -> str:
        parts = [t("calls.saved", id=logged.call.id)]
        if logged.work_order is not None:
            key = (
                "calls.saved_emergency"
                if logged.work_order.priority == "emergency"
                else "calls.saved_order"
            )
            parts.append(t(key, id=logged.work_order.id))
        if logged.complaint is not None:
            complaint = logged.complaint
            level = t(f"complaints.level.{complaint.scheme.lower()}.{complaint.level}")
            parts.append(t("calls.saved_complaint", id=complaint.id, level=level))
            clock = next_clock(complaint, self.settings)
            if clock is not None:
                due = to_local(clock.due_at, self.settings.site.timezone)
                parts.append(
                    t(
                        "calls.saved_due",
                        what=t(f"complaints.clock.{clock.kind}"),
                        due=due.strftime("%m-%d %H:%M"),
                        rule=clock.rule,
                    )
                )
        if logged.call.night:
            parts.append(t("calls.saved_night"))
        if logged.call.late_entry:
            parts.append(t("calls.saved_late"))
        return " · ".join(parts)

    def _saved(self, result: tuple[LoggedCall, str]) -> None:
        self._saving = False
        logged, message = result
        self.last_saved = logged
        self.clear_form()
        confirmation = self.query_one("#confirmation", Static)
        confirmation.remove_class("-error")
        confirmation.update("✓ " + message)
        self.notify(message, timeout=4)
        if self.query_one("#switcher", ContentSwitcher).current == "list-pane":
            self._refresh_list()
        order = logged.work_order
        if order is not None and order.priority == "emergency":
            self._send_emergency(order.site_id)

    def _send_emergency(self, site_id: int) -> None:
        """R-14: the emergency just saved leaves the building now (``emergency_urls``), from
        a worker: the network never holds up the form. What fails stays in the outbox."""
        if not self.settings.notifications.emergency_urls:
            return
        from shiftdesk import notify

        app = self.shiftdesk
        engine, settings, actor = app.engine, self.settings, app.actor

        def send() -> tuple[int, str]:
            report = notify.deliver_due(engine, settings, site_id=site_id, actor=actor)
            return report.sent, (report.errors[0] if report.failed or report.gave_up else "")

        def failed(exc: Exception) -> None:  # the message is in the outbox; say so
            self._emergency_reported(0, error_text(exc))

        app.run_task(
            send,
            lambda sent: self._emergency_reported(*sent),
            error=failed,
            group="calls-emergency",
        )

    def _emergency_reported(self, sent: int, failed: str) -> None:
        if failed:
            self.notify(t("calls.emergency_not_sent", detail=failed), severity="error")
        elif sent:
            self.notify(t("calls.emergency_sent", count=sent), timeout=6)

    def _save_failed(self, exc: Exception) -> None:
        self._saving = False
        if isinstance(exc, CallErrors):
            self._show_errors(exc.by_field())
            return
        message = error_text(exc)
        field = getattr(exc, "field", None) if isinstance(exc, ShiftdeskError) else None
        if field in FIELDS:
            self._show_errors({field: message})
            return
        confirmation = self.query_one("#confirmation", Static)
        confirmation.add_class("-error")
        confirmation.update(t("calls.save_failed", detail=message))
        self.notify(message, severity="error")

    # ------------------------------------------------------------------ errors

    def _show_errors(self, errors: dict[str, str]) -> None:
        rows: dict[str, list[str]] = {}
        first: str | None = None
        for fieldname, message in errors.items():
            wid, row = FIELDS.get(fieldname, ("summary", "summary"))
            rows.setdefault(row, []).append(message)
            for widget in self.query(f"#{wid}"):
                widget.add_class("-invalid")
            if first is None:
                first = wid
        for row, messages in rows.items():
            text = " · ".join(messages)
            self._row_errors[row] = text
            for line in self.query(f"#err-{row}").results(Static):
                line.update("⚠ " + text)
                line.add_class("-shown")
        confirmation = self.query_one("#confirmation", Static)
        confirmation.add_class("-error")
        confirmation.update(t("calls.not_saved", count=len(errors)))
        if first is not None:
            target = self.query_one(f"#{first}")
            target.focus()
            target.scroll_visible()

    def _clear_errors(self) -> None:
        self._row_errors.clear()
        for line in self.query(".field-error"):
            line.remove_class("-shown")
        for widget in self.query(".-invalid"):
            widget.remove_class("-invalid")

    def field_error(self, fieldname: str) -> str:
        """The error line shown for a form field ("" if none): for tests and screen readers."""
        _wid, row = FIELDS[fieldname]
        return self._row_errors.get(row, "")

    # ------------------------------------------------------------------ clearing

    def has_typed_text(self) -> bool:
        if self.query_one("#caller", ResidentLookup).text.strip():
            return True
        ids = ("summary", "name", "phone", "location", "department", "action")
        return any(self._value(wid).strip() for wid in ids)

    def clear_form(self) -> None:
        for wid in ("summary", "name", "phone", "location", "department", "action"):
            self._set_input(wid, "")
        self._set_input("complainants", "1")
        self.query_one("#caller", ResidentLookup).clear()
        self._hit = None
        self.query_one("#channel", KeyChoice).set_value("phone")
        self.query_one("#category", KeyChoice).set_value(None)
        self.query_one("#priority", KeyChoice).set_value("normal")
        self.query_one("#trade", KeyChoice).set_value(None)
        self.query_one("#level", KeyChoice).set_value("general")
        for found in self.query("#cause_class").results(KeyChoice):
            found.set_value(None)
        for wid, value in (
            ("outside", False),
            ("in_home", True),
            ("paid", False),
            ("spare_key", False),
            ("leak", False),
            ("repeat", False),
        ):
            self.query_one(f"#{wid}", Checkbox).value = value
        self._show_category_sections(None)
        self._show_unit()
        self.query_one("#history").remove_class("-shown")
        self._clear_errors()
        self._pristine = True
        self._reset_received()
        self.query_one("#channel", KeyChoice).focus()
        self.query_one("#form-pane").scroll_home(animate=False)

    def action_discard(self) -> None:
        if self.query_one("#switcher", ContentSwitcher).current == "list-pane":
            self.action_show_form()
            return
        if not self.has_typed_text():
            self.clear_form()
            return
        from screens.signin import ConfirmScreen

        def answer(yes: bool | None) -> None:
            if yes:
                self.clear_form()
                self.query_one("#confirmation", Static).update("")

        self.app.push_screen(ConfirmScreen(t("calls.confirm_discard")), callback=answer)
