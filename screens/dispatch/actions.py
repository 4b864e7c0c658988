"""The dispatch board's actions on the highlighted order: dispatch, accept, arrive,
complete, unfinished, cancel, rework, the callback, rain and the clocks dialog (R-*).

Each checks what the order's stage allows, asks in a dialog, and writes through
``app.run_db``; the live feed then redraws the board."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from screens.base import ModeScreen
from screens.dispatch.board import OrderList
from screens.dispatch.dialogs import (
    CallbackDialog,
    CallbackInput,
    ClocksDialog,
    DispatchDialog,
    DispatchInput,
    TextDialog,
)
from screens.live import DispatchFeed
from screens.signin import ConfirmScreen
from shiftdesk import workorders as wo
from shiftdesk.clocks.callbacks import in_quiet_period
from shiftdesk.clocks.workorders import order_clocks, route_team
from shiftdesk.errors import ShiftdeskError
from shiftdesk.i18n import has, t
from shiftdesk.models.workorders import WorkOrder
from shiftdesk.timeutil import utcnow
from shiftdesk.workorders import BoardRow, allowed_actions


def label(kind: str, value: str) -> str:
    """A stable key (trade, priority, team, stage, clock) in the operator's language."""
    key = f"dispatch.{kind}.{value}"
    return t(key) if has(key) else value


class OrderActions(ModeScreen):
    """What the operator can do to the highlighted order (the screen adds the board)."""

    @property
    def feed(self) -> DispatchFeed:
        return self.shiftdesk.dispatch_feed

    @property
    def board(self) -> OrderList:
        return self.query_one("#board", OrderList)

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
        now = utcnow()
        if in_quiet_period(now, settings):
            self.notify(wo.quiet_period_message(now, settings), severity="warning", timeout=8)
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
