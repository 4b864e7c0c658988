"""Incoming calls and visits (来电来访, F2): a form faster than paper, and today's list.

The operator is on the phone while typing, so everything is one key away:

- The form opens with the cursor on *Channel*. A single key picks the channel
  (``p w l o i d``) and moves on to *Category* (``i r c s p h o``), which moves on to
  *Summary*. A walk-in inquiry is ``w``, ``i``, the text, ``Ctrl+S``.
- *Caller* finds a resident or a unit as you type (unit prefix, name, pinyin, initials,
  phone); choosing fills name, phone and unit, and the caller's history (last calls, open
  work orders, waiting parcels, open complaints) appears beside the form.
- The time received follows the clock until the operator starts typing, then stays put.
  Editing it makes a late entry (marked in the audit trail).
- ``Ctrl+S`` saves (a repair opens a work order, a complaint a classified complaint with its
  clocks), clears the form and shows the record numbers. ``Esc`` asks before discarding.
- ``Ctrl+F`` shows today's calls and a search over all calls; ``Enter`` opens one to see and
  edit it; ``Ctrl+N`` goes back to the form.

Every database call runs in a worker (``app.run_db``); rejected input is shown next to its
field in the operator's language and nothing typed is lost.
"""

from __future__ import annotations

import re
from datetime import datetime

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, ContentSwitcher, DataTable, Input, Label, Static

from screens.base import ModeScreen
from screens.errors import error_text
from screens.widgets.keychoice import KeyChoice
from screens.widgets.lookup import ResidentLookup
from shiftdesk.calls import (
    CHANNELS,
    CallErrors,
    CallInput,
    CallRow,
    History,
    LoggedCall,
    RepairInput,
    caller_history,
    calls_on,
    log_call,
    search,
)
from shiftdesk.clocks.complaints import LEVELS, next_clock
from shiftdesk.clocks.workorders import is_night
from shiftdesk.complaints import ComplaintInput
from shiftdesk.config import Settings
from shiftdesk.errors import ShiftdeskError, UsageError
from shiftdesk.i18n import has, t
from shiftdesk.lookup import LookupHit, format_phone
from shiftdesk.timeutil import parse_instant, to_local, utcnow
from shiftdesk.trail import record_resident_read

#: (value, key) of the single-key choosers; labels come from the catalog
CHANNEL_KEYS = [
    ("phone", "p"),
    ("walk_in", "w"),
    ("letter", "l"),
    ("online", "o"),
    ("intercom", "i"),
    ("internal", "d"),
]
CATEGORY_KEYS = [
    ("inquiry", "i"),
    ("repair", "r"),
    ("complaint", "c"),
    ("suggestion", "s"),
    ("praise", "p"),
    ("help", "h"),
    ("other", "o"),
]
PRIORITY_KEYS = [("normal", "n"), ("urgent", "u"), ("emergency", "e")]
LEVEL_KEYS = {"general": "g", "important": "i", "major": "m", "hot": "h"}
TIME_FORMAT = "%Y-%m-%d %H:%M"
_DATE_PREFIX = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(.*)$")

#: form field (as the service names it) -> (widget id to focus, row whose error line shows it)
FIELDS: dict[str, tuple[str, str]] = {
    "channel": ("channel", "channel"),
    "category": ("category", "category"),
    "summary": ("summary", "summary"),
    "unit": ("caller", "caller"),
    "caller_name": ("name", "contact"),
    "caller_phone": ("phone", "contact"),
    "location": ("location", "where"),
    "trade": ("trade", "trade"),
    "priority": ("priority", "priority"),
    "level": ("level", "level"),
    "cause_class": ("cause_class", "level"),
    "complainants": ("complainants", "people"),
    "department": ("department", "people"),
    "action_taken": ("action", "action"),
    "received_at": ("received", "received"),
}


def trade_label(trade: str) -> str:
    key = f"calls.trade.{trade}"
    return t(key) if has(key) else trade


def _options(pairs: list[tuple[str, str]], prefix: str) -> list[tuple[str, str, str]]:
    return [(value, key, t(f"{prefix}.{value}")) for value, key in pairs]


class CallsScreen(ModeScreen):
    TITLE_KEY = "mode.calls"

    BINDINGS = [
        Binding("ctrl+s", "save", "calls.binding.save", id="calls.save", priority=True),
        Binding("escape", "discard", "calls.binding.discard", id="calls.discard"),
        Binding("ctrl+f", "show_list", "calls.binding.list", id="calls.list"),
        Binding("ctrl+n", "show_form", "calls.binding.new", id="calls.new"),
    ]

    DEFAULT_CSS = """
    CallsScreen #calls-body { height: 1fr; }
    CallsScreen #switcher { width: 1fr; height: 1fr; }
    CallsScreen #form-pane { height: 1fr; padding: 0 1; }
    CallsScreen .row { height: auto; width: 1fr; }
    CallsScreen .row > .label { width: 10; padding: 0 1 0 0; color: $text-muted; }
    CallsScreen .row > .label2 { width: auto; padding: 0 1; color: $text-muted; }
    CallsScreen Input { height: 1; border: none; padding: 0 1; background: $boost; }
    CallsScreen Input:focus { background: $primary 25%; }
    CallsScreen Input.-invalid { background: $error 25%; }
    CallsScreen ResidentLookup > Input { height: 1; border: none; }
    CallsScreen Checkbox { height: 1; border: none; padding: 0 1; background: transparent; }
    CallsScreen Checkbox:focus { background: $primary 25%; }
    CallsScreen #name { width: 1fr; }
    CallsScreen #phone { width: 18; }
    CallsScreen #complainants { width: 6; }
    CallsScreen #department { width: 1fr; }
    CallsScreen #received { width: 18; }
    CallsScreen #unit-shown { width: 12; padding: 0 1; }
    CallsScreen #night { width: 1fr; padding: 0 1; color: $warning; }
    CallsScreen .field-error { color: $error; height: auto; padding-left: 10; display: none; }
    CallsScreen .field-error.-shown { display: block; }
    CallsScreen #confirmation { height: auto; color: $success; text-style: bold; }
    CallsScreen #confirmation.-error { color: $error; }
    CallsScreen .repair-only, CallsScreen .complaint-only { display: none; }
    CallsScreen #form-pane.-repair .repair-only { display: block; }
    CallsScreen #form-pane.-complaint .complaint-only { display: block; }
    CallsScreen #history {
        width: 30; height: 1fr; display: none; border-left: solid $primary; padding: 0 1;
    }
    CallsScreen #history.-shown { display: block; }
    CallsScreen #list-pane { height: 1fr; }
    CallsScreen #search { margin: 0 1; }
    CallsScreen #list-info { height: 1; padding: 0 1; color: $text-muted; }
    CallsScreen DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._pristine = True
        self._received_auto: datetime = utcnow()
        self._received_text_auto = ""
        self._programmatic: dict[str, str] = {}
        self._hit: LookupHit | None = None
        self._saving = False
        self._row_errors: dict[str, str] = {}
        #: the last call saved on this screen (tests and the confirmation line read it)
        self.last_saved: LoggedCall | None = None

    # ------------------------------------------------------------------ layout

    @property
    def settings(self) -> Settings:
        return self.shiftdesk.settings

    def compose_body(self) -> ComposeResult:
        scheme = self.settings.complaints.scheme
        trades = self.settings.workorders.trades
        with Horizontal(id="calls-body"):
            with ContentSwitcher(id="switcher", initial="form-pane"):
                with VerticalScroll(id="form-pane"):
                    yield Static("", id="confirmation")
                    yield from self._row(
                        "channel",
                        t("calls.form.channel"),
                        KeyChoice(
                            _options(CHANNEL_KEYS, "calls.channel"), value="phone", id="channel"
                        ),
                    )
                    yield from self._row(
                        "category",
                        t("calls.form.category"),
                        KeyChoice(_options(CATEGORY_KEYS, "calls.category"), id="category"),
                    )
                    yield from self._row(
                        "summary",
                        t("calls.form.summary"),
                        self._input(
                            "summary",
                            t("calls.form.summary_hint"),
                            self.settings.calls.summary_max_length,
                        ),
                    )
                    yield from self._row(
                        "caller", t("calls.form.caller"), ResidentLookup(id="caller", compact=True)
                    )
                    yield from self._row(
                        "contact",
                        t("calls.form.name"),
                        self._input(
                            "name", t("calls.form.name_hint"), self.settings.calls.name_max_length
                        ),
                        Label(t("calls.form.phone"), classes="label2"),
                        self._input("phone", "", 24),
                    )
                    yield from self._row(
                        "where",
                        t("calls.form.unit"),
                        Static("—", id="unit-shown"),
                        Checkbox(t("calls.form.outside"), id="outside", compact=True),
                        Label(t("calls.form.where"), classes="label2"),
                        self._input("location", t("calls.form.where_hint"), 120),
                    )
                    yield from self._row(
                        "trade",
                        t("calls.form.trade"),
                        KeyChoice(
                            [(tr, str(i + 1), trade_label(tr)) for i, tr in enumerate(trades[:9])],
                            id="trade",
                        ),
                        classes="repair-only",
                    )
                    yield from self._row(
                        "priority",
                        t("calls.form.priority"),
                        KeyChoice(
                            _options(PRIORITY_KEYS, "calls.priority"), value="normal", id="priority"
                        ),
                        classes="repair-only",
                    )
                    yield from self._row(
                        "repair-flags",
                        "",
                        Checkbox(t("calls.form.in_home"), value=True, id="in_home", compact=True),
                        Checkbox(t("calls.form.paid"), id="paid", compact=True),
                        Checkbox(t("calls.form.spare_key"), id="spare_key", compact=True),
                        Checkbox(t("calls.form.leak"), id="leak", compact=True),
                        classes="repair-only",
                    )
                    if scheme == "B":
                        yield from self._row(
                            "level",
                            t("calls.form.cause_class"),
                            KeyChoice(
                                [(c, c, t(f"complaints.class.{c}")) for c in ("1", "2", "3")],
                                id="cause_class",
                            ),
                            classes="complaint-only",
                        )
                        yield from self._row(
                            "severity",
                            t("calls.form.severity"),
                            self._level_choice("B"),
                            classes="complaint-only",
                        )
                    else:
                        yield from self._row(
                            "level",
                            t("calls.form.level"),
                            self._level_choice("A"),
                            classes="complaint-only",
                        )
                    yield from self._row(
                        "people",
                        t("calls.form.complainants"),
                        self._input("complainants", "", 4, value="1"),
                        Checkbox(t("calls.form.repeat"), id="repeat", compact=True),
                        Label(t("calls.form.department"), classes="label2"),
                        self._input("department", "", 40),
                        classes="complaint-only",
                    )
                    yield from self._row(
                        "action",
                        t("calls.form.action"),
                        self._input("action", t("calls.form.action_hint"), 1000),
                    )
                    yield from self._row(
                        "received",
                        t("calls.form.received"),
                        self._input("received", "", 16),
                        Static("", id="night"),
                    )
                with Vertical(id="list-pane"):
                    yield Input(placeholder=t("calls.list.search_hint"), id="search", compact=True)
                    yield Static("", id="list-info")
                    yield DataTable(id="calls-table", cursor_type="row", zebra_stripes=True)
            yield VerticalScroll(Static("", id="history-text"), id="history")

    def _row(self, name: str, label: str, *widgets: Widget, classes: str = "") -> ComposeResult:
        row = Horizontal(
            Label(label, classes="label"),
            *widgets,
            id=f"row-{name}",
            classes=f"row {classes}".strip(),
        )
        yield row
        yield Static("", id=f"err-{name}", classes="field-error")

    def _input(self, wid: str, placeholder: str, max_length: int, value: str = "") -> Input:
        return Input(
            value=value, placeholder=placeholder, id=wid, max_length=max_length, compact=True
        )

    def _level_choice(self, scheme: str) -> KeyChoice:
        return KeyChoice(
            [
                (lv, LEVEL_KEYS[lv], t(f"complaints.level.{scheme.lower()}.{lv}"))
                for lv in LEVELS[scheme]
            ],
            value="general",
            id="level",
        )

    def on_mount(self) -> None:
        table = self.query_one("#calls-table", DataTable)
        for key in ("no", "time", "category", "caller", "unit", "summary", "links", "channel"):
            table.add_column(t(f"calls.list.col.{key}"), key=key)
        self._reset_received()
        self.set_interval(1.0, self._tick)
        self.query_one("#channel", KeyChoice).focus()

    # ------------------------------------------------------------------ time received

    def _local_now_text(self) -> str:
        return to_local(utcnow(), self.settings.site.timezone).strftime(TIME_FORMAT)

    def _set_input(self, wid: str, value: str) -> None:
        """Set an input from code; its Changed message is not taken as typing."""
        widget = self.query_one(f"#{wid}", Input)
        if widget.value != value:
            self._programmatic[wid] = value
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

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        wid = event.input.id or ""
        if wid == "search":
            return
        if wid == "lookup-input":
            if not event.input.has_focus:
                return  # cleared by code
            self._touched()
            self._clear_error_for("caller")
            return
        if self._programmatic.get(wid) == event.value:
            del self._programmatic[wid]
            return
        self._programmatic.pop(wid, None)
        if not event.input.has_focus:
            return  # an initial value or a change made by code, not typing
        if wid == "received":
            instant, _edited, error = self._received_value()
            self._show_night(instant if error is None else None)
            if self._pristine:
                self._pristine = False
            return
        self._touched()
        self._clear_error_for(wid)

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

    # ------------------------------------------------------------------ saving

    def _site_id(self) -> int | None:
        site = self.shiftdesk.site
        return site.id if site is not None else None

    def _resolve_site(self, session: Session) -> int:
        from shiftdesk.sites import get_site

        site = get_site(session, self.settings.site.code)
        assert site.id is not None
        return site.id

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

    def _clear_error_for(self, wid: str) -> None:
        for fieldname, (field_wid, row) in FIELDS.items():
            if field_wid == wid or fieldname == wid:
                for widget in self.query(f"#{field_wid}"):
                    widget.remove_class("-invalid")
                self._row_errors.pop(row, None)
                for line in self.query(f"#err-{row}"):
                    line.remove_class("-shown")

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

    # ------------------------------------------------------------------ the list

    def action_show_list(self) -> None:
        self.query_one("#switcher", ContentSwitcher).current = "list-pane"
        self.query_one("#search", Input).focus()
        self._refresh_list()

    def action_show_form(self) -> None:
        self.query_one("#switcher", ContentSwitcher).current = "form-pane"
        self.query_one("#channel", KeyChoice).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self._refresh_list()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        table = self.query_one("#calls-table", DataTable)
        if table.row_count:
            table.focus()

    def _refresh_list(self) -> None:
        text = self.query_one("#search", Input).value
        tz = self.settings.site.timezone
        site_id = self._site_id()
        match = _DATE_PREFIX.match(text)
        day_text, words = (match.group(1), match.group(2)) if match else (None, text)

        def fn(session: Session) -> tuple[list[CallRow], str]:
            from shiftdesk.timeutil import parse_day

            sid = site_id if site_id is not None else self._resolve_site(session)
            day = parse_day(day_text) if day_text else None
            if not words.strip() and day is None:
                today = to_local(utcnow(), tz).date()
                return calls_on(session, sid, today, tz), t(
                    "calls.list.today", day=today.isoformat()
                )
            rows = search(session, sid, text=words, day=day, tz=tz)
            return rows, t("calls.list.found", count=len(rows))

        def failed(exc: Exception) -> None:
            self.query_one("#list-info", Static).update(error_text(exc))

        # each keystroke's search cancels the one before: only the latest result shows
        self.shiftdesk.run_db(
            fn,
            lambda result: self._fill_table(*result),
            error=failed,
            group="calls-search",
            exclusive=True,
        )

    def _fill_table(self, rows: list[CallRow], info: str) -> None:
        tz = self.settings.site.timezone
        table = self.query_one("#calls-table", DataTable)
        table.clear()
        for row in rows:
            call = row.call
            links = []
            if row.work_order_id:
                links.append(t("calls.list.order_link", id=row.work_order_id))
            if row.complaint_id:
                links.append(t("calls.list.complaint_link", id=row.complaint_id))
            flags = ("☾" if call.night else "") + ("⌛" if call.late_entry else "")
            table.add_row(
                str(call.id),
                to_local(call.received_at, tz).strftime("%m-%d %H:%M") + flags,
                t(f"calls.category.{call.category}"),
                call.caller_name,
                row.unit_code or call.location,
                call.summary[:40],
                " ".join(links),
                t(f"calls.channel.{call.channel}"),
                key=str(call.id),
            )
        self.query_one("#list-info", Static).update(info)

    @on(DataTable.RowSelected, "#calls-table")
    def _open_call(self, event: DataTable.RowSelected) -> None:
        from screens.calls_detail import CallDetailScreen

        call_id = int(str(event.row_key.value))

        def closed(changed: bool | None) -> None:
            if changed:
                self._refresh_list()

        self.app.push_screen(CallDetailScreen(call_id), callback=closed)

    def channel_keys(self) -> tuple[str, ...]:
        return CHANNELS
