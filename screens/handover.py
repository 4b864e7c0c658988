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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from rich.text import Text
from sqlmodel import Session, select
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from screens.base import ModeScreen
from screens.handover_dialogs import (
    BlockedDialog,
    CredentialsDialog,
    EntryDialog,
    ParcelCountDialog,
    PrepareDialog,
    SignDialog,
    TextDialog,
)
from shiftdesk import handover
from shiftdesk.db import Actor
from shiftdesk.errors import ShiftdeskError
from shiftdesk.i18n import t
from shiftdesk.models import Operator, Role, Shift, ShiftStatus
from shiftdesk.security import actor_for, has_role
from shiftdesk.sites import get_site
from shiftdesk.timeutil import to_local, utcnow

T = TypeVar("T")

#: log entries an operator may correct (with a new entry, H-* / issue: never edited)
CORRECTABLE = {k.value for k in handover.LOG_KINDS}


@dataclass
class View:
    """Everything the screen shows, loaded in one read off the UI thread."""

    site_id: int
    shift: Shift | None = None
    label: str = ""
    holder_name: str = ""
    holder_login: str = ""
    incoming_name: str = ""
    incoming_login: str = ""
    rows: list[handover.TimelineRow] = field(default_factory=list)
    state: handover.HandoverState | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    opened_now: bool = False


def load_view(session: Session, settings: Any, *, open_for: Actor | None = None) -> View:
    """Read the desk's shift, its timeline and handover state, and the countersign list."""
    site = get_site(session, settings.site.code)
    assert site.id is not None
    view = View(site_id=site.id)
    shift = handover.current_shift(session, site.id, settings.site.desk)
    if shift is None and open_for is not None:
        shift = handover.open_shift(session, settings, site_id=site.id, holder=open_for)
        view.opened_now = True
    tz = settings.site.timezone
    if shift is not None:
        view.shift = shift
        view.label = handover.shift_label(shift, tz)
        ops = {
            op.id: op
            for op in session.exec(
                select(Operator).where(
                    Operator.id.in_([x for x in (shift.outgoing_id, shift.incoming_id) if x])  # type: ignore[union-attr]
                )
            )
        }
        holder = ops.get(shift.outgoing_id)
        incoming = ops.get(shift.incoming_id)
        view.holder_name = holder.label if holder else ""
        view.holder_login = holder.name if holder else ""
        view.incoming_name = incoming.label if incoming else ""
        view.incoming_login = incoming.name if incoming else ""
        view.rows = handover.timeline(session, settings, shift)
        view.state = handover.handover_state(session, shift)
    pending = handover.awaiting_countersign(session, site.id)
    names = handover.operator_names(
        session, [x for s in pending for x in (s.outgoing_id, s.incoming_id)]
    )
    view.pending = [
        {
            "id": s.id,
            "day": handover.shift_day(s, tz).isoformat(),
            "label": handover.shift_label(s, tz),
            "outgoing": names.get(s.outgoing_id or -1, ""),
            "incoming": names.get(s.incoming_id or -1, ""),
            "discrepancy": handover.has_discrepancy(session, s.id or 0),
            "override": s.override_by is not None,
        }
        for s in pending
    ]
    return view


class HandoverScreen(ModeScreen):
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

    DEFAULT_CSS = """
    HandoverScreen #shift-info { height: 1; padding: 0 1; background: $boost; }
    HandoverScreen TabbedContent { height: 1fr; }
    HandoverScreen TabPane { padding: 0; height: 1fr; }
    HandoverScreen DataTable { height: 1fr; }
    HandoverScreen .detail {
        height: 3; padding: 0 1; border-top: solid $primary-darken-2; color: $text;
    }
    HandoverScreen #handover-status { height: auto; max-height: 2; padding: 0 1; }
    HandoverScreen #countersign-help { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.view: View | None = None
        self.incoming: Actor | None = None
        self._seen_end = False
        self._signed_in_as: int | None = None
        self._loaded_at = 0.0
        self._log_keys: dict[str, handover.TimelineRow] = {}
        self._digest_keys: dict[str, Any] = {}

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

    def _show_info(self) -> None:
        info = self.query_one("#shift-info", Static)
        view = self.view
        desk = self.shiftdesk.settings.site.desk
        if view is None:
            info.update(t("handover.ui.loading"))
            return
        if view.shift is None:
            info.update(Text(t("handover.ui.no_shift", desk=desk), style="bold"))
            return
        shift = view.shift
        status = t(f"handover.status.{shift.status}")
        off = shift.opened_off_by_minutes
        opened = (
            t("handover.text.opened_early", minutes=-off)
            if off < 0
            else t("handover.text.opened_late", minutes=off)
            if off > 0
            else t("handover.text.opened_on_time")
        )
        info.update(
            Text.assemble(
                (view.label, "bold"),
                f" · {t('handover.doc.on_duty')}: ",
                (view.holder_name, "bold"),
                f" · {status} · {opened}",
            )
        )

    def _local(self, value: datetime) -> str:
        tz = self.shiftdesk.settings.site.timezone
        local = to_local(value, tz)
        view = self.view
        if view is not None and view.shift is not None:
            day = to_local(view.shift.period_start, tz).date()
            if local.date() == day:
                return f"{local:%H:%M}"
        return f"{local:%m-%d %H:%M}"

    def _fill_log(self, view: View) -> None:
        table = self.query_one("#log", DataTable)
        selected = self._selected_key(table)
        table.clear()
        self._log_keys = {}
        for i, row in enumerate(view.rows):
            key = f"e{row.entry_id}" if row.entry_id is not None else f"x{i}:{row.ref}"
            self._log_keys[key] = row
            text = Text(row.text)
            kind = Text(row.kind)
            if row.corrected_by:
                text.stylize("strike dim")
                text.append(
                    f"  ({t('handover.doc.corrected_by', refs=_refs(row.corrected_by))})",
                    style="italic",
                )
            if row.source != "log":
                kind.stylize("cyan")
            elif row.entry_kind == "incident":
                kind.stylize("bold red")
            table.add_row(self._local(row.at), row.ref, kind, row.author, text, key=key)
        if table.row_count:
            if selected in self._log_keys:
                table.move_cursor(row=table.get_row_index(selected))
            else:
                table.move_cursor(row=table.row_count - 1)
        self._show_log_detail()

    def _fill_digest(self, view: View) -> None:
        table = self.query_one("#digest", DataTable)
        status = self.query_one("#handover-status", Static)
        selected = self._selected_key(table)
        table.clear()
        self._digest_keys = {}
        state = view.state
        if state is None or state.digest is None or view.shift is None:
            status.update(t("handover.ui.not_prepared"))
            self.query_one("#digest-detail", Static).update("")
            return
        tz = self.shiftdesk.settings.site.timezone
        digest = state.digest
        if view.shift.status == ShiftStatus.PREPARED.value:
            missing = state.missing()
            incoming = view.incoming_name or t("handover.ui.incoming_unknown")
            line = t("handover.ui.receiving", incoming=incoming)
            status.update(
                Text(f"{line} — {'; '.join(missing)}", style="yellow")
                if missing
                else Text(f"{line} — {t('handover.ui.ready_to_sign')}", style="bold green")
            )
        else:
            status.update(t(f"handover.status.{view.shift.status}"))
        now = utcnow()
        for section in handover.SECTIONS:
            items = digest.section(section)
            header = Text(t(f"handover.section.{section}"), style="bold reverse")
            table.add_row("", header, Text(f"({len(items)})", style="bold"), key=f"sec:{section}")
            if section == "deposits" and not digest.available.get("deposits", False):
                table.add_row(
                    "", "", Text(t("handover.digest.not_available"), style="dim"), key="na:deposits"
                )
                continue
            for item in items:
                title, detail = handover.describe_item(item, tz, now)
                mark = Text("✓", style="bold green") if item.key in state.acked else Text("·")
                title_text = Text(title)
                if item.blocking:
                    title_text.stylize("bold red")
                detail_text = Text(detail)
                if (
                    "clock" in item.detail
                    and (item.detail.get("clock") or {}).get("state") == "breached"
                ):
                    detail_text.stylize("red")
                self._digest_keys[item.key] = item
                table.add_row(mark, title_text, detail_text, key=item.key)
            more = digest.more.get(section)
            if more:
                table.add_row(
                    "",
                    "",
                    Text(t("handover.digest.more", count=more), style="dim"),
                    key=f"more:{section}",
                )
        questions = state.questions
        header = Text(t("handover.doc.questions"), style="bold reverse")
        table.add_row("", header, Text(f"({len(questions)})", style="bold"), key="sec:questions")
        for q in questions:
            key = f"q:{q.entry.id}"
            self._digest_keys[key] = q
            mark = Text("✓", style="bold green") if q.answer else Text("?", style="bold yellow")
            answer = q.answer.body if q.answer else t("handover.doc.unanswered")
            table.add_row(
                mark, Text(f"#{q.entry.seq} {q.entry.body}"), Text(f"→ {answer}"), key=key
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))
        self._show_digest_detail()

    def _fill_pending(self, view: View) -> None:
        table = self.query_one("#pending", DataTable)
        selected = self._selected_key(table)
        table.clear()
        for row in view.pending:
            flags = []
            if row["discrepancy"]:
                flags.append(t("handover.ui.flag_discrepancy"))
            if row["override"]:
                flags.append(t("handover.ui.flag_override"))
            table.add_row(
                row["day"],
                row["label"],
                row["outgoing"],
                row["incoming"],
                Text(", ".join(flags), style="yellow"),
                key=f"s{row['id']}",
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))

    @staticmethod
    def _selected_key(table: DataTable[Any]) -> str | None:
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return str(key.value) if key.value is not None else None

    # -------------------------------------------------------------------- details

    @on(DataTable.RowHighlighted, "#log")
    def _log_highlighted(self) -> None:
        self._show_log_detail()

    @on(DataTable.RowHighlighted, "#digest")
    def _digest_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= event.data_table.row_count - 1:
            self._seen_end = True
        self._show_digest_detail()

    def _show_log_detail(self) -> None:
        table = self.query_one("#log", DataTable)
        key = self._selected_key(table)
        row = self._log_keys.get(key or "")
        detail = self.query_one("#log-detail", Static)
        if row is None:
            detail.update(t("handover.ui.log_help") if self.view and self.view.shift else "")
            return
        head = f"{row.ref} {row.kind} · {row.author}".strip(" ·")
        detail.update(Text.assemble((head, "bold"), "\n", row.text))

    def _show_digest_detail(self) -> None:
        table = self.query_one("#digest", DataTable)
        key = self._selected_key(table) or ""
        item = self._digest_keys.get(key)
        detail = self.query_one("#digest-detail", Static)
        if isinstance(item, handover.DigestItem):
            tz = self.shiftdesk.settings.site.timezone
            title, text = handover.describe_item(item, tz, utcnow())
            detail.update(Text.assemble((title, "bold"), "\n", text))
        elif isinstance(item, handover.Question):
            answer = item.answer.body if item.answer else t("handover.doc.unanswered")
            detail.update(Text.assemble((item.entry.body, "bold"), "\n", f"→ {answer}"))
        else:
            detail.update(t("handover.ui.digest_help"))

    # -------------------------------------------------------------------- bindings

    def _tab(self) -> str:
        try:
            return self.query_one("#ho-tabs", TabbedContent).active
        except Exception:
            return "tab-log"

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

    def action_tab(self, tab: str) -> None:
        self.query_one("#ho-tabs", TabbedContent).active = tab

    # -------------------------------------------------------------------- the log

    def _need_shift(self) -> Shift | None:
        shift = self.view.shift if self.view else None
        if shift is None or shift.id is None:
            self.notify(t("handover.ui.no_shift_short"), severity="warning")
            return None
        if self.shiftdesk.operator is None:
            return None
        return shift

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

    # -------------------------------------------------------------------- preparing

    def action_prepare(self) -> None:
        shift = self._need_shift()
        if shift is None:
            return
        self.app.push_screen(PrepareDialog(shift.special_instructions), self._prepare_with)

    def _prepare_with(self, instructions: str | None) -> None:
        if instructions is None:
            return
        shift = self._need_shift()
        if shift is None or shift.id is None:
            return
        shift_id = shift.id
        settings = self.shiftdesk.settings
        actor: Actor = self.shiftdesk.actor

        def prepare(session: Session) -> handover.Digest:
            current = handover.get_shift(session, shift_id)
            return handover.prepare_handover(
                session, settings, current, author=actor, special_instructions=instructions
            )

        def failed(exc: Exception) -> None:
            if isinstance(exc, handover.HandoverBlocked):
                tz = settings.site.timezone
                items = [handover.describe_item(i, tz) for i in exc.items]
                keys = [i.key for i in exc.items]
                self.app.push_screen(
                    BlockedDialog(items),
                    lambda override: self._override(keys, instructions) if override else None,
                )
            else:
                self._failed(exc)

        self.shiftdesk.run_db(prepare, self._prepared, write=True, error=failed)

    def _prepared(self, digest: handover.Digest) -> None:
        self.notify(t("handover.ui.prepared", items=len(digest.items)), timeout=3)
        self.incoming = None
        self._seen_end = False
        self.action_tab("tab-handover")
        self.reload()

    def _override(self, keys: list[str], instructions: str) -> None:
        shift = self._need_shift()
        if shift is None or shift.id is None:
            return
        shift_id = shift.id

        def then(actor: Actor, reason: str) -> Any:
            def write(session: Session) -> Any:
                current = handover.get_shift(session, shift_id)
                return handover.override_block(
                    session, current, supervisor=actor, reason=reason, keys=keys
                )

            return write

        self.app.push_screen(
            CredentialsDialog(
                t("handover.dialog.override"),
                t("handover.dialog.override_hint"),
                then,
                ask_reason=True,
            ),
            lambda result: self._prepare_with(instructions) if result else None,
        )

    def _failed(self, exc: Exception) -> None:
        message = exc.message if isinstance(exc, ShiftdeskError) else str(exc).splitlines()[0]
        self.notify(message, title=t("error.title"), severity="error")
        self.reload()

    # -------------------------------------------------------------------- receiving

    def _with_incoming(self, then: Any) -> None:
        """Run ``then(actor)`` as the incoming operator, asking for their name and PIN once."""
        view = self.view
        if view is None or view.shift is None or view.shift.id is None:
            return
        if self.incoming is not None and (view.shift.incoming_id in (None, self.incoming.id)):
            then(self.incoming)
            return
        shift_id = view.shift.id

        def receive(actor: Actor, _reason: str) -> Any:
            def write(session: Session) -> Any:
                current = handover.get_shift(session, shift_id)
                return handover.receive_handover(session, current, incoming=actor)

            return write

        def done(result: tuple[Actor, Any] | None) -> None:
            if result is None:
                return
            self.incoming = result[0]
            self.reload()
            then(self.incoming)

        self.app.push_screen(
            CredentialsDialog(
                t("handover.dialog.incoming"),
                t("handover.dialog.incoming_hint"),
                receive,
                name=view.incoming_login,
            ),
            done,
        )

    def _current_item(self) -> tuple[str, Any]:
        key = self._selected_key(self.query_one("#digest", DataTable)) or ""
        return key, self._digest_keys.get(key)

    def action_ack(self) -> None:
        key, item = self._current_item()
        if key == handover.PARCELS_KEY:
            self.action_count_parcels()
            return
        if not isinstance(item, handover.DigestItem):
            self.query_one("#digest", DataTable).action_cursor_down()
            return
        self._with_incoming(lambda actor: self._acknowledge(actor, [key], advance=True))

    def action_ack_all(self) -> None:
        if not self._seen_end:
            self.notify(t("handover.ui.scroll_first"), severity="warning")
            return
        keys = [
            k
            for k, item in self._digest_keys.items()
            if isinstance(item, handover.DigestItem) and k != handover.PARCELS_KEY
        ]
        self._with_incoming(lambda actor: self._acknowledge(actor, keys, advance=False))

    def _acknowledge(self, actor: Actor, keys: list[str], *, advance: bool) -> None:
        shift = self.view.shift if self.view else None
        if shift is None or shift.id is None or not keys:
            return
        shift_id = shift.id

        def ack(session: Session) -> int:
            current = handover.get_shift(session, shift_id)
            return len(handover.acknowledge(session, current, incoming=actor, keys=keys))

        def done(count: int) -> None:
            if advance:
                self._advance()
            self.reload()

        self._run_as(actor, ack, done)

    def _advance(self) -> None:
        """After acknowledging, go to the next item that is not acknowledged yet."""
        table = self.query_one("#digest", DataTable)
        acked = self.view.state.acked if self.view and self.view.state else set()
        for index in range(table.cursor_row + 1, table.row_count):
            key = str(table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value)
            item = self._digest_keys.get(key)
            if isinstance(item, handover.DigestItem) and key not in acked:
                table.move_cursor(row=index)
                return
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))

    def _run_as(self, actor: Actor, fn: Callable[[Session], T], done: Callable[[T], Any]) -> None:
        """A write recorded under ``actor`` (the incoming operator), not the app's operator."""
        self.shiftdesk.run_db(
            fn, done, write=True, actor=actor, error=self._failed, group="handover-write"
        )

    def action_count_parcels(self) -> None:
        state = self.view.state if self.view else None
        shift = self.view.shift if self.view else None
        if state is None or state.digest is None or shift is None or shift.id is None:
            return
        shift_id = shift.id
        expected = state.digest.parcels_by_shelf
        shelves = list(self.shiftdesk.settings.parcels.shelves)

        def count(actor: Actor) -> None:
            self.app.push_screen(
                ParcelCountDialog(shift_id, actor, expected, shelves), self._counted
            )

        self._with_incoming(count)

    def _counted(self, result: str | None) -> None:
        if result is None:
            return
        if result == "discrepancy":
            self.notify(t("handover.ui.discrepancy_reported"), severity="warning", timeout=5)
        else:
            self.notify(t("handover.ui.count_confirmed"), timeout=3)
        self.reload()

    def action_ask(self) -> None:
        shift = self.view.shift if self.view else None
        if shift is None or shift.id is None:
            return
        shift_id = shift.id

        def ask(actor: Actor) -> None:
            def save(text: str) -> Any:
                def write(session: Session) -> Any:
                    current = handover.get_shift(session, shift_id)
                    return handover.ask(session, current, incoming=actor, text=text)

                return write

            self.app.push_screen(
                TextDialog(t("handover.dialog.ask"), t("handover.dialog.ask_hint"), actor, save),
                lambda r: self.reload() if r is not None else None,
            )

        self._with_incoming(ask)

    def action_answer(self) -> None:
        shift = self.view.shift if self.view else None
        _key, item = self._current_item()
        if shift is None or shift.id is None:
            return
        if not isinstance(item, handover.Question):
            unanswered = self.view.state.unanswered if self.view and self.view.state else []
            if not unanswered:
                self.notify(t("handover.ui.no_questions"), severity="warning")
                return
            item = unanswered[0]
        if item.answer is not None:
            self.notify(t("handover.error.already_answered"), severity="warning")
            return
        shift_id = shift.id
        question_id = item.entry.id
        assert question_id is not None
        actor: Actor = self.shiftdesk.actor
        if actor.id != shift.outgoing_id:
            self.notify(t("handover.error.not_holder"), severity="warning")
            return

        def save(text: str) -> Any:
            def write(session: Session) -> Any:
                current = handover.get_shift(session, shift_id)
                return handover.answer(
                    session, current, outgoing=actor, question_id=question_id, text=text
                )

            return write

        self.app.push_screen(
            TextDialog(t("handover.dialog.answer"), item.entry.body, actor, save),
            lambda r: self.reload() if r is not None else None,
        )

    def action_sign(self) -> None:
        view = self.view
        if view is None or view.shift is None or view.shift.id is None:
            return
        incoming = view.incoming_login or (self.incoming.name if self.incoming else "")
        self.app.push_screen(SignDialog(view.shift.id, view.holder_login, incoming), self._signed)

    def _signed(self, result: tuple[Actor, Shift] | None) -> None:
        if result is None:
            return
        incoming, following = result
        tz = self.shiftdesk.settings.site.timezone
        self._switch_operator(incoming)
        self.notify(
            t(
                "handover.ui.signed",
                shift=handover.shift_label(following, tz),
                name=self.shiftdesk.operator_label,
            ),
            timeout=5,
        )
        self.incoming = None
        self.action_tab("tab-log")
        self.reload()

    def _switch_operator(self, actor: Actor) -> None:
        """The incoming operator now holds the desk: the app works as them."""
        app = self.shiftdesk

        def load(session: Session) -> Operator | None:
            return session.get(Operator, actor.id)

        def done(op: Operator | None) -> None:
            if op is None:
                return
            app.operator = op
            app.actor = actor_for(op)
            app.operator_label = op.label
            self._signed_in_as = op.id
            app.refresh_status()

        app.run_db(load, done)

    # -------------------------------------------------------------------- countersign

    def action_countersign(self) -> None:
        if self._tab() != "tab-countersign":
            self.action_tab("tab-countersign")
            return
        view = self.view
        key = self._selected_key(self.query_one("#pending", DataTable))
        if view is None or not key:
            self.notify(t("handover.ui.nothing_pending"), severity="warning")
            return
        row = next((r for r in view.pending if f"s{r['id']}" == key), None)
        if row is None:
            return
        day = row["day"]
        count = sum(1 for r in view.pending if r["day"] == day)
        settings = self.shiftdesk.settings
        site_id = view.site_id
        from datetime import date

        the_day = date.fromisoformat(day)

        def then(actor: Actor, _reason: str) -> Any:
            def write(session: Session) -> Any:
                return len(
                    handover.countersign(
                        session, settings, site_id=site_id, supervisor=actor, day=the_day
                    )
                )

            return write

        def done(result: tuple[Actor, int] | None) -> None:
            if result is None:
                return
            self.notify(t("handover.ui.countersigned", count=result[1], day=day), timeout=4)
            self.reload()

        self.app.push_screen(
            CredentialsDialog(
                t("handover.dialog.countersign"),
                t("handover.dialog.countersign_hint", day=day, count=count),
                then,
            ),
            done,
        )


def _refs(seqs: list[int]) -> str:
    return ", ".join(f"#{n}" for n in seqs)
