"""Dispatch board (F3, 派工): every open work order with the countdown of its next clock.

The rows come from the app's live feed (``screens/live.py``), which follows other
terminals' changes; this screen filters, draws (``dispatch_list.OrderList``, a virtual
list) and offers one key per action on the selected order. Writes go through
``shiftdesk.workorders`` in thread workers, with the order's version (optimistic locking).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from screens.dispatch.actions import OrderActions, label
from screens.dispatch.board import OrderList, fit, header_line
from screens.dispatch.dialogs import (
    BoardFilter,
    FilterDialog,
)
from shiftdesk.board import FeedRow, FeedUpdate
from shiftdesk.clocks.workorders import STAGE_ORDER, warn_delta
from shiftdesk.i18n import t
from shiftdesk.timeutil import utcnow


class DispatchScreen(OrderActions):
    TITLE_KEY = "mode.dispatch"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "dispatch", "dispatch.binding.dispatch", id="dispatch.dispatch"),
        Binding("a", "accept", "dispatch.binding.accept", id="dispatch.accept"),
        Binding("s", "arrive", "dispatch.binding.arrive", id="dispatch.arrive"),
        Binding("c", "complete", "dispatch.binding.complete", id="dispatch.complete"),
        Binding("u", "unfinished", "dispatch.binding.unfinished", id="dispatch.unfinished"),
        Binding("b", "callback", "dispatch.binding.callback", id="dispatch.callback"),
        Binding("x", "cancel_order", "dispatch.binding.cancel", id="dispatch.cancel"),
        Binding("w", "rework", "dispatch.binding.rework", id="dispatch.rework"),
        Binding("enter", "clocks", "dispatch.binding.clocks", id="dispatch.clocks"),
        Binding("f", "filter", "dispatch.binding.filter", id="dispatch.filter"),
        Binding("slash", "search", "dispatch.binding.search", id="dispatch.search"),
        Binding(
            "exclamation_mark",
            "toggle_breached",
            "dispatch.binding.breached",
            id="dispatch.breached",
            show=False,
        ),
        Binding("R", "rained", "dispatch.binding.rained", id="dispatch.rained", show=False),
        Binding("escape", "leave_search", show=False),
    ]

    CSS_PATH = "screen.tcss"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filter = BoardFilter()
        self.search_text = ""
        self._stale = True

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="board-top"):
            yield Input(placeholder=t("dispatch.board.search"), id="search", compact=True)
            yield Static(t("dispatch.board.loading"), id="board-counts", markup=False)
        yield Static("", id="board-header", markup=False)
        yield OrderList(id="board")
        yield Static("", id="board-detail", markup=False)

    def on_mount(self) -> None:
        board = self.board
        board.labels = label
        board.warn = warn_delta(self.shiftdesk.settings)
        board.focus()
        self.feed.subscribe(self._on_feed)
        self._rebuild()

    def on_unmount(self) -> None:
        self.feed.unsubscribe(self._on_feed)

    def on_screen_resume(self) -> None:
        if self._stale:
            self._rebuild()

    def on_resize(self) -> None:
        self.query_one("#board-header", Static).update(
            header_line(self.board.size.width), layout=False
        )

    # ------------------------------------------------------------------ data

    def _on_feed(self, update: FeedUpdate) -> None:
        if not self.query("#board"):
            return  # the app is closing: the feed ticked after the board was removed
        if not self.is_current:
            self._stale = self._stale or bool(update.changed or update.removed or update.resorted)
            return
        if update.changed or update.removed or update.resorted:
            self._rebuild()
        else:
            self.board.tick(utcnow())
            self._show_counts()

    def _matches(self, fr: FeedRow, now: Any) -> bool:
        f = self.filter
        row = fr.row
        if f.stage and row.stage != f.stage:
            return False
        if f.trade and row.trade != f.trade:
            return False
        if f.assignee and row.assignee != f.assignee:
            return False
        if f.breached_only and not fr.breached(now):
            return False
        return not self.search_text or self.search_text in fr.haystack

    def _rebuild(self) -> None:
        self._stale = False
        feed = self.feed
        now = utcnow()
        rows = feed.rows
        if self.filter.active() or self.search_text:
            ids = [i for i in feed.sorted_ids if self._matches(rows[i], now)]
        else:
            ids = list(feed.sorted_ids)
        board = self.board
        board.now = now
        board.set_ids(ids, rows)
        self.query_one("#board-header", Static).update(
            header_line(board.size.width or 80), layout=False
        )
        self._show_counts()
        self._show_detail()

    def _show_counts(self) -> None:
        feed = self.feed
        if not feed.loaded:
            return
        text = t(
            "dispatch.board.counts",
            shown=len(self.board.ids),
            total=len(feed.rows),
            breached=feed.breached_count,
            unacked=len(feed.unacked),
        )
        parts = []
        f = self.filter
        if f.stage:
            parts.append(label("stage", f.stage))
        if f.trade:
            parts.append(label("trade", f.trade))
        if f.assignee:
            parts.append(f.assignee)
        if f.breached_only:
            parts.append(t("dispatch.filter.breached_short"))
        if parts:
            text += " │ " + t("dispatch.board.filtered", filters=", ".join(parts))
        self.query_one("#board-counts", Static).update(text, layout=False)

    @on(OrderList.CursorMoved)
    def _show_detail(self) -> None:
        row = self._row()
        detail = self.query_one("#board-detail", Static)
        if row is None:
            detail.update(t("dispatch.board.empty") if self.feed.loaded else "", layout=False)
            return
        bits = [f"#{row.id} {row.where}"]
        who = " ".join(x for x in (row.reporter_name, row.reporter_phone) if x)
        if who:
            bits.append(who)
        if row.team:
            bits.append(f"{label('team', row.team)} {row.assignee}".strip())
        if row.paid:
            bits.append(t("dispatch.flag.paid"))
        if row.leak:
            bits.append(t("dispatch.flag.leak"))
        if row.rework_of_id:
            bits.append(t("dispatch.flag.rework", id=row.rework_of_id))
        second = row.summary.replace("\n", " ")
        if row.stage == "unfinished" and row.unfinished_reason:
            second = f"{t('dispatch.stage.unfinished')}: {row.unfinished_reason} │ {second}"
        width = max(self.size.width - 2, 20)
        detail.update(
            fit(" · ".join(bits), width).rstrip() + "\n" + fit(second, width).rstrip(),
            layout=False,
        )

    # ------------------------------------------------------------------ filters

    def action_filter(self) -> None:
        settings = self.shiftdesk.settings
        assignees = sorted({fr.row.assignee for fr in self.feed.rows.values() if fr.row.assignee})
        self.app.push_screen(
            FilterDialog(
                self.filter,
                stages=[(label("stage", s), s) for s in STAGE_ORDER[:6]],
                trades=[(label("trade", x), x) for x in settings.workorders.trades],
                assignees=assignees,
            ),
            self._filtered,
        )

    def _filtered(self, value: BoardFilter | None) -> None:
        if value is not None:
            self.filter = value
            self._rebuild()

    def action_toggle_breached(self) -> None:
        self.filter.breached_only = not self.filter.breached_only
        self._rebuild()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.board.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip().lower()
        self._rebuild()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.board.focus()
