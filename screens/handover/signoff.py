"""Handing over: preparing the digest, the incoming operator's acknowledgements,
questions and answers, the parcel count, the two signatures and the countersign (H-*).

Writes made by someone other than the signed-in operator (the incoming operator, a
supervisor) go through ``app.run_db(..., actor=...)``: no screen opens a transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from screens.handover.dialogs import (
    BlockedDialog,
    ParcelCountDialog,
    PrepareDialog,
    TextDialog,
)
from screens.handover.signing import CredentialsDialog, SignDialog
from screens.handover.tables import HandoverTables, T
from shiftdesk import handover
from shiftdesk.db import Actor
from shiftdesk.errors import ShiftdeskError
from shiftdesk.i18n import t
from shiftdesk.models import Operator, Shift
from shiftdesk.security import actor_for


class SignOff(HandoverTables):
    """The actions of the handover and countersign tabs."""

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
