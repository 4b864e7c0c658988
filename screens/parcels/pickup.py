"""The pickup pane (Ctrl+F): a unit's waiting items, the identity check, the release.

Found by a scanned tracking number, unit, name or phone; Space marks items, Ctrl+S
releases the marked ones (or the highlighted one) after the identity check dialog (ID type
and last 4 only; a proxy gives name and phone, P-5). The pane owns the list's state (the
ids shown, the marked ones, the units on the list) and posts ``PickupPane.Changed`` after
a release or a return, so the screen refreshes its counts.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from screens.errors import error_text
from screens.parcels.common import ParcelsPart, col, notice, show_message
from screens.parcels.dialogs import PickupDialog, ReasonDialog
from shiftdesk import parcels
from shiftdesk.i18n import t
from shiftdesk.models import Parcel


class PickTable(DataTable[Any]):
    """The pickup list: Space marks the highlighted item, Ctrl+A marks them all."""

    BINDINGS = [
        Binding("space", "mark", show=False),
        Binding("ctrl+a", "mark_all", show=False),
    ]

    class Mark(Message):
        def __init__(self, all_rows: bool) -> None:
            super().__init__()
            self.all_rows = all_rows

    def action_mark(self) -> None:
        self.post_message(self.Mark(all_rows=False))

    def action_mark_all(self) -> None:
        self.post_message(self.Mark(all_rows=True))


class PickupPane(ParcelsPart, Vertical):
    """Find, mark, release or return waiting items."""

    class Changed(Message):
        """Items left the shelf (released or returned): counts may have changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pick_ids: list[int] = []
        self._picked: set[int] = set()
        self._pick_units: list[int] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(t("parcels.pickup.find"), classes="label")
            yield Input(
                id="find", max_length=60, compact=True, placeholder=t("parcels.pickup.find_hint")
            )
        yield Static(t("parcels.pickup.help"), id="pick-info", classes="info")
        yield PickTable(id="pick-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="pick-message", classes="message")

    def on_mount(self) -> None:
        pick = self.query_one("#pick-table", PickTable)
        pick.add_column("✓", key="mark", width=1)
        for key in (
            "tracking",
            "carrier",
            "kind",
            "shelf",
            "pieces",
            "received",
            "days",
            "recipient",
            "notice",
        ):
            pick.add_column(t(f"parcels.col.{col(key)}"), key=key)

    # ------------------------------------------------------------------ from the screen

    @property
    def has_items(self) -> bool:
        return bool(self._pick_ids)

    def focus_first(self) -> None:
        self.query_one("#find", Input).focus()

    def message(self, text: str, kind: str = "") -> None:
        show_message(self.query_one("#pick-message", Static), text, kind)

    def clear(self) -> None:
        self.query_one("#find", Input).value = ""
        self._fill_pick([], None)
        self.query_one("#find", Input).focus()

    def find(self, query: str, note: str = "") -> None:
        """Search (a scan of a waiting item lands here with ``note``)."""
        self.query_one("#find", Input).value = query
        self.search(query, note)

    # ------------------------------------------------------------------ the list

    @on(Input.Submitted, "#find")
    def _find(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)

    def search(self, query: str, note: str = "") -> None:
        settings = self.settings

        def fn(session: Session) -> tuple[list[parcels.ParcelRow], int | None]:
            site_id = self._site_id(session)
            rows, selected = parcels.find_for_pickup(session, settings, site_id, query)
            # the list shows the addressees for the identity check: a logged read
            parcels.record_pickup_reads(session, site_id, rows)
            return rows, selected

        def done(result: tuple[list[parcels.ParcelRow], int | None]) -> None:
            rows, selected = result
            self._fill_pick(rows, selected)
            if not rows:
                self.message(t("parcels.pickup.none", query=query), "error")
            else:
                self.message(note)
                self.query_one("#pick-table", PickTable).focus()

        self.shiftdesk.run_db(fn, done, write=True)

    def _refresh_pick(self) -> None:
        """Reload the waiting items of the units on the list (after a release or return)."""
        units = self._pick_units
        settings = self.settings

        def fn(session: Session) -> list[parcels.ParcelRow]:
            return parcels.list_parcels(
                session, settings, self._site_id(session), waiting=True, unit_ids=units
            )

        self.shiftdesk.run_db(fn, lambda rows: self._fill_pick(rows, None))

    def _fill_pick(self, rows: list[parcels.ParcelRow], selected: int | None) -> None:
        self._pick_units = sorted({r.unit_id for r in rows if r.unit_id is not None}) or (
            self._pick_units if not rows else []
        )
        table = self.query_one("#pick-table", PickTable)
        table.clear()
        self._pick_ids = [r.id for r in rows]
        self._picked = {selected} if selected is not None else set()
        units = sorted({r.unit for r in rows})
        for r in rows:
            table.add_row(
                "✓" if r.id in self._picked else " ",
                r.tracking,
                parcels.carrier_label(r.carrier),
                parcels.kind_label(r.kind),
                r.shelf,
                str(r.pieces),
                self._local(r.received_at),
                str(r.age_days),
                f"{r.unit} {r.recipient}",
                notice(r.notice),
                key=str(r.id),
            )
        if selected is not None and selected in self._pick_ids:
            table.move_cursor(row=self._pick_ids.index(selected))
        info = (
            t("parcels.pickup.found", n=len(rows), units=", ".join(units))
            if rows
            else t("parcels.pickup.help")
        )
        self.query_one("#pick-info", Static).update(info)

    @on(PickTable.Mark)
    def _mark(self, event: PickTable.Mark) -> None:
        self.toggle_pick(all_rows=event.all_rows)

    def toggle_pick(self, all_rows: bool = False) -> None:
        table = self.query_one("#pick-table", PickTable)
        if not self._pick_ids:
            return
        if all_rows:
            self._picked = (
                set() if len(self._picked) == len(self._pick_ids) else set(self._pick_ids)
            )
        else:
            pid = self._pick_ids[table.cursor_row]
            self._picked ^= {pid}
        for pid in self._pick_ids:
            table.update_cell(str(pid), "mark", "✓" if pid in self._picked else " ")

    def targets(self) -> list[int]:
        """The marked items, or the highlighted one when none is marked."""
        if self._picked:
            return [i for i in self._pick_ids if i in self._picked]
        table = self.query_one("#pick-table", PickTable)
        if not self._pick_ids:
            return []
        return [self._pick_ids[table.cursor_row]]

    # ------------------------------------------------------------------ releasing

    def release(self) -> None:
        ids = self.targets()
        if not ids:
            self.message(t("parcels.err.none_selected"), "error")
            return
        table = self.query_one("#pick-table", PickTable)
        trackings = [str(table.get_cell(str(i), "tracking")) for i in ids]
        owner = str(table.get_cell(str(ids[0]), "recipient"))
        summary = t(
            "parcels.pickup.summary", n=len(ids), items=", ".join(trackings), recipient=owner
        )
        settings = self.settings

        def answered(pickup: parcels.Pickup | None) -> None:
            if pickup is None:
                return

            def fn(session: Session) -> list[Parcel]:
                return parcels.release(session, settings, self._site_id(session), ids, pickup)

            def done(rows: list[Parcel]) -> None:
                self.message(
                    t(
                        "parcels.pickup.released",
                        n=len(rows),
                        by=t(f"parcels.by.{pickup.by}"),
                        id_type=t(f"parcels.idtype.{pickup.id_type}"),
                        last4=pickup.id_last4,
                    ),
                    "ok",
                )
                self._refresh_pick()
                self.post_message(self.Changed())

            def failed(exc: Exception) -> None:
                self.message(error_text(exc), "error")
                self._refresh_pick()

            self.shiftdesk.run_db(fn, done, write=True, error=failed)

        self.app.push_screen(PickupDialog(summary), answered)

    def return_item(self) -> None:
        """P-20: send the highlighted item back to the sender, with the reason."""
        if not self._pick_ids:
            return
        table = self.query_one("#pick-table", PickTable)
        pid = self._pick_ids[table.cursor_row]
        tracking = str(table.get_cell(str(pid), "tracking"))
        settings = self.settings

        def answered(reason: str | None) -> None:
            if reason is None:
                return

            def fn(session: Session) -> Parcel:
                return parcels.return_to_sender(
                    session, settings, self._site_id(session), pid, reason
                )

            def done(p: Parcel) -> None:
                self.message(t("parcels.pickup.returned", tracking=p.tracking), "ok")
                self._refresh_pick()
                self.post_message(self.Changed())

            def failed(exc: Exception) -> None:
                self.message(error_text(exc), "error")

            self.shiftdesk.run_db(fn, done, write=True, error=failed)

        self.app.push_screen(
            ReasonDialog(
                t("parcels.return.title"), t("parcels.return.question", tracking=tracking)
            ),
            answered,
        )
