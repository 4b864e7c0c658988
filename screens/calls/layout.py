"""The call screen's layout (the form, the caller's history, today's list) and its state."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, ContentSwitcher, DataTable, Input, Label, Static

from screens.base import ModeScreen
from screens.calls.choices import (
    CATEGORY_KEYS,
    CHANNEL_KEYS,
    FIELDS,
    LEVEL_KEYS,
    PRIORITY_KEYS,
    options,
    trade_label,
)
from screens.widgets.keychoice import KeyChoice
from screens.widgets.lookup import ResidentLookup
from shiftdesk.calls import (
    LoggedCall,
)
from shiftdesk.clocks.complaints import LEVELS
from shiftdesk.config import Settings
from shiftdesk.i18n import t
from shiftdesk.lookup import LookupHit
from shiftdesk.timeutil import utcnow


class CallsLayout(ModeScreen):
    """The widgets of the calls screen and the state of the form."""

    def __init__(self) -> None:
        super().__init__()
        self._pristine = True
        self._received_auto: datetime = utcnow()
        self._received_text_auto = ""
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
                            options(CHANNEL_KEYS, "calls.channel"), value="phone", id="channel"
                        ),
                    )
                    yield from self._row(
                        "category",
                        t("calls.form.category"),
                        KeyChoice(options(CATEGORY_KEYS, "calls.category"), id="category"),
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
                            options(PRIORITY_KEYS, "calls.priority"), value="normal", id="priority"
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
        """A text field of the form (``.form-field``: typing in it clears its error)."""
        return Input(
            value=value,
            placeholder=placeholder,
            id=wid,
            max_length=max_length,
            compact=True,
            classes="form-field" if wid != "received" else "",
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

    # ------------------------------------------------------------------ shared

    def _site_id(self) -> int | None:
        site = self.shiftdesk.site
        return site.id if site is not None else None

    def _resolve_site(self, session: Session) -> int:
        from shiftdesk.sites import get_site

        site = get_site(session, self.settings.site.code)
        assert site.id is not None
        return site.id

    def _clear_error_for(self, wid: str) -> None:
        for fieldname, (field_wid, row) in FIELDS.items():
            if field_wid == wid or fieldname == wid:
                for widget in self.query(f"#{field_wid}"):
                    widget.remove_class("-invalid")
                self._row_errors.pop(row, None)
                for line in self.query(f"#err-{row}"):
                    line.remove_class("-shown")

    def action_show_form(self) -> None:
        self.query_one("#switcher", ContentSwitcher).current = "form-pane"
        self.query_one("#channel", KeyChoice).focus()

    def _refresh_list(self) -> None:  # pragma: no cover - the screen's
        raise NotImplementedError
