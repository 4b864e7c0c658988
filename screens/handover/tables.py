"""The handover screen's three tables (the log, the digest, the shifts to countersign)
and their detail lines: filled from a ``View``, read by the screen's actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from rich.text import Text
from textual import on
from textual.widgets import DataTable, Static, TabbedContent

from screens.base import ModeScreen
from screens.handover.view import View
from shiftdesk import handover
from shiftdesk.db import Actor
from shiftdesk.i18n import t
from shiftdesk.models import Shift, ShiftStatus
from shiftdesk.timeutil import to_local, utcnow

T = TypeVar("T")


class HandoverTables(ModeScreen):
    """The screen's state and what it draws; ``SignOff`` and ``HandoverScreen`` act on it."""

    def __init__(self) -> None:
        super().__init__()
        self.view: View | None = None
        self.incoming: Actor | None = None
        self._seen_end = False
        self._signed_in_as: int | None = None
        self._loaded_at = 0.0
        self._log_keys: dict[str, handover.TimelineRow] = {}
        self._digest_keys: dict[str, Any] = {}

    def reload(self, open_for: Actor | None = None) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _tab(self) -> str:
        try:
            return self.query_one("#ho-tabs", TabbedContent).active
        except Exception:
            return "tab-log"

    def action_tab(self, tab: str) -> None:
        self.query_one("#ho-tabs", TabbedContent).active = tab

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

    def _need_shift(self) -> Shift | None:
        shift = self.view.shift if self.view else None
        if shift is None or shift.id is None:
            self.notify(t("handover.ui.no_shift_short"), severity="warning")
            return None
        if self.shiftdesk.operator is None:
            return None
        return shift


def _refs(seqs: list[int]) -> str:
    return ", ".join(f"#{n}" for n in seqs)
