"""Handover log (F1): the shift's duty log, the handover digest, and the daily countersign.

Three tabs: ``1`` the log (the shift's timeline: entries plus the calls, orders and
parcels recorded on other screens), ``2`` the handover (the digest the incoming operator
acknowledges item by item, questions, the parcel count, the two signatures) and ``3`` the
shifts awaiting the supervisor's countersign (H-7). All database work runs in workers.

Signing in at the desk opens the shift (an operator; supervisors and managers open one
with ``o``), and the status bar shows it.
"""

from __future__ import annotations

import time

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from screens.handover.dialogs import (
    EntryDialog,
)
from screens.handover.signoff import SignOff
from screens.handover.view import CORRECTABLE, View, load_view
from shiftdesk.db import Actor
from shiftdesk.i18n import t
from shiftdesk.models import Role, ShiftStatus
from shiftdesk.security import actor_for, has_role


class HandoverScreen(SignOff):
    TITLE_KEY = "mode.handover"

    BINDINGS = [
        Binding("n", "add('note')", "handover.binding.note", id="handover.note"),
        Binding("e", "add('event')", "handover.binding.event", id="handover.event"),
        Binding("i", "add('incident')", "handover.binding.incident", id="handover.incident"),
        Binding("c", "correct", "handover.binding.correct", id="handover.correct"),
        Binding("o", "open_shift", "handover.binding.open", id="handover.open"),
        Binding("p", "prepare", "handover.binding.prepare", id="handover.prepare"),
        Binding("space", "ack", "handover.binding.ack", id="handover.ack"),
        Binding("a", "ack_all", "handover.binding.ack_all", id="handover.ack_all"),
        Binding("q", "ask", "handover.binding.ask", id="handover.ask"),
        Binding("r", "answer", "handover.binding.answer", id="handover.answer"),
        Binding("m", "count_parcels", "handover.binding.count", id="handover.count"),
        Binding("s", "sign", "handover.binding.sign", id="handover.sign"),
        Binding("k", "countersign", "handover.binding.countersign", id="handover.countersign"),
        Binding("1", "tab('tab-log')", "handover.tab.log", id="handover.tab_log", show=False),
        Binding(
            "2",
            "tab('tab-handover')",
            "handover.tab.handover",
            id="handover.tab_handover",
            show=False,
        ),
        Binding(
            "3",
            "tab('tab-countersign')",
            "handover.tab.countersign",
            id="handover.tab_countersign",
            show=False,
        ),
        Binding("f5", "refresh", "handover.binding.refresh", id="handover.refresh", show=False),
    ]

    CSS_PATH = "screen.tcss"

    # -------------------------------------------------------------------- layout

    def compose_body(self) -> ComposeResult:
        yield Static("", id="shift-info")
        with TabbedContent(id="ho-tabs", initial="tab-log"):
            with TabPane(f"1 {t('handover.tab.log')}", id="tab-log"):
                yield DataTable(id="log", cursor_type="row", zebra_stripes=True)
                yield Static("", id="log-detail", classes="detail")
            with TabPane(f"2 {t('handover.tab.handover')}", id="tab-handover"):
                yield Static("", id="handover-status")
                yield DataTable(id="digest", cursor_type="row")
                yield Static("", id="digest-detail", classes="detail")
            with TabPane(f"3 {t('handover.tab.countersign')}", id="tab-countersign"):
                yield Static(t("handover.ui.countersign_help"), id="countersign-help")
                yield DataTable(id="pending", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        log = self.query_one("#log", DataTable)
        log.add_column(t("handover.doc.time"), key="at", width=11)
        log.add_column(t("handover.doc.ref"), key="ref", width=10)
        log.add_column(t("handover.doc.type"), key="kind", width=16)
        log.add_column(t("handover.doc.by"), key="by", width=6)
        log.add_column(t("handover.doc.entry"), key="text")
        digest = self.query_one("#digest", DataTable)
        digest.add_column("✓", key="ack", width=2)
        digest.add_column(t("handover.ui.item"), key="title", width=30)
        digest.add_column(t("handover.ui.detail"), key="detail")
        pending = self.query_one("#pending", DataTable)
        pending.add_column(t("handover.ui.day"), key="day", width=10)
        pending.add_column(t("status.shift"), key="shift", width=24)
        pending.add_column(t("handover.doc.outgoing"), key="outgoing", width=8)
        pending.add_column(t("handover.doc.incoming"), key="incoming", width=8)
        pending.add_column(t("handover.ui.flags"), key="flags")
        self.set_interval(30, self.reload)
        self._show_info()
        self.reload()

    # -------------------------------------------------------------------- loading

    def on_screen_resume(self) -> None:
        """Back from sign-in (or another mode): signing in at the desk opens the shift."""
        operator = self.shiftdesk.operator
        if operator is not None and operator.id != self._signed_in_as:
            self._signed_in_as = operator.id
            self.incoming = None
            auto = has_role(operator.role, Role.OPERATOR) and not has_role(
                operator.role, Role.SUPERVISOR
            )
            self.reload(open_for=actor_for(operator) if auto else None)
        elif time.monotonic() - self._loaded_at > 2:
            # back from another screen: what was recorded there shows at once; a dialog
            # of this screen that just closed has asked for its own reload already
            self.reload()

    def reload(self, open_for: Actor | None = None) -> None:
        settings = self.shiftdesk.settings
        self.shiftdesk.run_db(
            lambda s: load_view(s, settings, open_for=open_for),
            self._loaded,
            write=open_for is not None,
            group="handover-load",
        )

    def action_refresh(self) -> None:
        self.reload()

    def _loaded(self, view: View) -> None:
        self.view = view
        self._loaded_at = time.monotonic()
        if view.opened_now and view.shift is not None:
            self.notify(t("handover.ui.opened", shift=view.label, name=view.holder_name), timeout=4)
        self.shiftdesk.set_shift_label(
            f"{view.label} · {view.holder_name}" if view.shift is not None else ""
        )
        self._show_info()
        self._fill_log(view)
        self._fill_digest(view)
        self._fill_pending(view)
        self.refresh_bindings()

    # -------------------------------------------------------------------- bindings

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        shift = view.shift if view else None
        tab = self._tab()
        prepared = shift is not None and shift.status == ShiftStatus.PREPARED.value
        if action == "add":
            return shift is not None
        if action == "correct":
            return shift is not None and tab == "tab-log"
        if action == "open_shift":
            return view is not None and shift is None
        if action == "prepare":
            return shift is not None
        if action in ("ack", "ack_all", "ask", "count_parcels", "sign", "answer"):
            return prepared and tab == "tab-handover"
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        table = {"tab-log": "#log", "tab-handover": "#digest", "tab-countersign": "#pending"}
        target = table.get(self._tab())
        if target:
            self.query_one(target, DataTable).focus()

    # -------------------------------------------------------------------- the log

    def action_add(self, kind: str) -> None:
        shift = self._need_shift()
        if shift is None or shift.id is None:
            return
        self.app.push_screen(EntryDialog(kind, shift.id), self._entry_saved)

    def action_correct(self) -> None:
        shift = self._need_shift()
        if shift is None or shift.id is None:
            return
        row = self._log_keys.get(self._selected_key(self.query_one("#log", DataTable)) or "")
        if row is None or row.entry_id is None or row.entry_kind not in CORRECTABLE:
            self.notify(t("handover.ui.correct_what"), severity="warning")
            return
        seq = int(row.ref.lstrip("#"))
        self.app.push_screen(
            EntryDialog("correction", shift.id, corrects=(row.entry_id, seq, row.text)),
            self._entry_saved,
        )

    def _entry_saved(self, seq: int | None) -> None:
        if seq is None:
            return
        self.notify(t("handover.ui.saved", ref=seq), timeout=2)
        self.reload()

    def action_open_shift(self) -> None:
        operator = self.shiftdesk.operator
        if operator is None:
            return
        self.reload(open_for=actor_for(operator))
