"""Dispatch board (F3, 派工): every open work order with the countdown of its next clock.

The rows come from the app's live feed (``screens/live.py``), which follows other
terminals' changes; this screen filters, draws (``dispatch_list.OrderList``, a virtual
list) and offers one key per action on the selected order. Writes go through
``shiftdesk.workorders`` in thread workers, with the order's version (optimistic locking).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from screens.base import ModeScreen
from screens.dispatch.board import OrderList, fit, header_line
from screens.dispatch.dialogs import (
    BoardFilter,
    CallbackDialog,
    CallbackInput,
    ClocksDialog,
    DispatchDialog,
    DispatchInput,
    FilterDialog,
    TextDialog,
)
from screens.live import DispatchFeed
from screens.signin import ConfirmScreen
from shiftdesk import workorders as wo
from shiftdesk.board import FeedRow, FeedUpdate
from shiftdesk.clocks.callbacks import in_quiet_period
from shiftdesk.clocks.workorders import STAGE_ORDER, order_clocks, route_team, warn_delta
from shiftdesk.errors import ShiftdeskError
from shiftdesk.i18n import has, t
from shiftdesk.models.workorders import WorkOrder
from shiftdesk.timeutil import utcnow
from shiftdesk.workorders import BoardRow, allowed_actions


def label(kind: str, value: str) -> str:
    """A stable key (trade, priority, team, stage, clock) in the operator's language."""
    key = f"dispatch.{kind}.{value}"
    return t(key) if has(key) else value


class DispatchScreen(ModeScreen):
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

    @property
    def feed(self) -> DispatchFeed:
        return self.shiftdesk.dispatch_feed

    @property
    def board(self) -> OrderList:
        return self.query_one("#board", OrderList)

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

    def _row(self) -> BoardRow | None:
        oid = self.board.cursor_id
        fr = self.feed.rows.get(oid) if oid is not None else None
        return fr.row if fr else None

    # ------------------------------------------------------------------ helpers

    def _site_id(self) -> int:
        site = self.shiftdesk.site
        return int(site.id) if site is not None and site.id is not None else 0

    def _checked(self, action: str) -> BoardRow | None:
        """The selected order if ``action`` is legal for it; otherwise say why not."""
        row = self._row()
        if row is None:
            self.notify(t("dispatch.board.no_selection"), severity="warning", timeout=3)
            return None
        if action not in allowed_actions(row.stage):
            self.notify(
                t(
                    "dispatch.error.illegal",
                    id=row.id,
                    action=t(f"dispatch.action.{action}"),
                    stage=t(f"dispatch.stage.{row.stage}"),
                ),
                severity="warning",
                timeout=4,
            )
            return None
        return row

    def _done(self, order: WorkOrder | None) -> None:
        if isinstance(order, WorkOrder):
            self.notify(
                t("dispatch.cli.done", id=order.id, stage=t(f"dispatch.stage.{order.stage}")),
                timeout=3,
            )
            self.feed.refresh_now()

    def _failed(self, exc: Exception) -> None:
        message = exc.message if isinstance(exc, ShiftdeskError) else str(exc).splitlines()[0]
        self.notify(message, title=t("error.title"), severity="error", timeout=6, markup=False)
        self.feed.refresh_now()

    def _write(self, fn: Any) -> None:
        self.shiftdesk.run_db(fn, self._done, write=True, error=self._failed)

    # ------------------------------------------------------------------ actions

    def action_dispatch(self) -> None:
        row = self._checked("dispatch")
        if row is None:
            return
        settings = self.shiftdesk.settings
        site_id = self._site_id()

        def save(session: Session, value: DispatchInput, version: int) -> WorkOrder:
            return wo.dispatch(
                session,
                row.id,
                team=value.team,
                assignee=value.assignee,
                note=value.note,
                teams=settings.workorders.teams,
                site_id=site_id,
                expected_version=version,
            )

        team = row.team if row.stage == "dispatched" else route_team(row, settings, utcnow())
        self.app.push_screen(
            DispatchDialog(
                t("dispatch.dialog.dispatch", id=row.id),
                row,
                save,
                teams=list(settings.workorders.teams),
                team=team,
            ),
            self._done,
        )

    def action_accept(self) -> None:
        row = self._checked("accept")
        if row is not None:
            site_id = self._site_id()
            self._write(
                lambda s: wo.accept(s, row.id, site_id=site_id, expected_version=row.version)
            )

    def action_arrive(self) -> None:
        row = self._checked("arrive")
        if row is None:
            return
        site_id = self._site_id()

        def go(confirmed: bool | None = False) -> None:
            if row.paid and not row.price_confirmed and not confirmed:
                return
            self._write(
                lambda s: wo.arrive(
                    s,
                    row.id,
                    price_confirmed=bool(confirmed),
                    site_id=site_id,
                    expected_version=row.version,
                )
            )

        if row.paid and not row.price_confirmed:
            # work on a paid repair starts only once the resident agreed the price
            self.app.push_screen(ConfirmScreen(t("dispatch.confirm.price", id=row.id)), go)
        else:
            go(False)

    def _text_action(self, action: str, field: str, call: Any) -> None:
        row = self._checked(action)
        if row is None:
            return
        site_id = self._site_id()

        def save(session: Session, text: str, version: int) -> Any:
            return call(session, row.id, text, site_id, version)

        self.app.push_screen(
            TextDialog(
                t(f"dispatch.dialog.{action}", id=row.id),
                row,
                save,
                label=t(f"dispatch.field.{field}"),
                field=field,
            ),
            self._done,
        )

    def action_complete(self) -> None:
        settings = self.shiftdesk.settings
        self._text_action(
            "complete",
            "result",
            lambda s, oid, text, site, v: wo.complete(
                s, oid, result=text, settings=settings, site_id=site, expected_version=v
            ),
        )

    def action_unfinished(self) -> None:
        self._text_action(
            "unfinished",
            "reason",
            lambda s, oid, text, site, v: wo.mark_unfinished(
                s, oid, reason=text, site_id=site, expected_version=v
            ),
        )

    def action_cancel_order(self) -> None:
        self._text_action(
            "cancel",
            "reason",
            lambda s, oid, text, site, v: wo.cancel(
                s, oid, reason=text, site_id=site, expected_version=v
            ),
        )

    def action_rework(self) -> None:
        self._text_action(
            "rework",
            "reason",
            lambda s, oid, text, site, v: wo.rework(
                s, oid, reason=text, site_id=site, expected_version=v
            ),
        )

    def action_callback(self) -> None:
        row = self._checked("callback")
        if row is None:
            return
        settings = self.shiftdesk.settings
        if in_quiet_period(utcnow(), settings):
            cb = settings.callbacks
            self.notify(
                t(
                    "dispatch.error.quiet",
                    lunch_start=cb.lunch_start,
                    lunch_end=cb.lunch_end,
                    latest=cb.latest,
                    day_start=cb.day_start,
                ),
                severity="warning",
                timeout=5,
            )
            return
        site_id = self._site_id()

        def save(session: Session, value: CallbackInput, version: int) -> WorkOrder:
            return wo.record_callback(
                session,
                row.id,
                outcome=value.outcome,
                note=value.note,
                settings=settings,
                site_id=site_id,
                expected_version=version,
            )

        self.app.push_screen(
            CallbackDialog(t("dispatch.dialog.callback", id=row.id), row, save), self._done
        )

    def action_rained(self) -> None:
        settings = self.shiftdesk.settings
        site_id = self._site_id()

        def answered(yes: bool | None) -> None:
            if yes:
                self.shiftdesk.run_db(
                    lambda s: wo.mark_rained(s, site_id=site_id, settings=settings),
                    lambda n: self.notify(t("dispatch.cli.rained", count=n), timeout=4),
                    write=True,
                    error=self._failed,
                )

        self.app.push_screen(ConfirmScreen(t("dispatch.confirm.rained")), answered)

    def action_clocks(self) -> None:
        row = self._row()
        if row is None:
            return
        settings = self.shiftdesk.settings
        self.app.push_screen(
            ClocksDialog(
                row,
                order_clocks(row, settings),
                tz=settings.site.timezone,
                warn_seconds=settings.workorders.warn_seconds,
                acked=self.feed.acked,
                labels=label,
            )
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
