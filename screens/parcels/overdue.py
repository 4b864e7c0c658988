"""The overdue pane (Ctrl+O): items waiting longer than the reminder threshold (P-9).

The pane owns the list (the ids shown) and posts ``OverduePane.Loaded`` with the count,
which the screen shows on the tab.
"""

from __future__ import annotations

from sqlmodel import Session
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from screens.errors import error_text
from screens.parcels.common import ParcelsPart, col, notice, show_message
from screens.parcels.dialogs import ContactDialog
from shiftdesk import parcels, slips
from shiftdesk.config import Settings
from shiftdesk.i18n import t
from shiftdesk.models import Parcel


class OverduePane(ParcelsPart, Vertical):
    """The overdue list and the contact made by hand (phone, visit, notice slip)."""

    class Loaded(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._overdue_ids: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="overdue-info", classes="info")
        yield DataTable(id="overdue-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="overdue-message", classes="message")

    def on_mount(self) -> None:
        overdue = self.query_one("#overdue-table", DataTable)
        for key in (
            "unit",
            "recipient",
            "days",
            "reminders",
            "last",
            "shelf",
            "tracking",
            "carrier",
            "notice",
        ):
            overdue.add_column(t(f"parcels.col.{col(key)}"), key=key)

    def focus_first(self) -> None:
        self.query_one("#overdue-table", DataTable).focus()

    def message(self, text: str, kind: str = "") -> None:
        show_message(self.query_one("#overdue-message", Static), text, kind)

    def load(self) -> None:
        settings = self.settings

        def fn(session: Session) -> list[parcels.ParcelRow]:
            return parcels.list_parcels(
                session, settings, self._site_id(session), overdue_only=True, limit=500
            )

        self.shiftdesk.run_db(fn, self._fill_overdue)

    def _fill_overdue(self, rows: list[parcels.ParcelRow]) -> None:
        table = self.query_one("#overdue-table", DataTable)
        table.clear()
        self._overdue_ids = [r.id for r in rows]
        for r in rows:
            table.add_row(
                r.unit,
                r.recipient,
                str(r.age_days),
                str(r.reminders),
                self._local(r.last_reminded_at),
                r.shelf,
                r.tracking,
                parcels.carrier_label(r.carrier),
                notice(r.notice),
                key=str(r.id),
            )
        self.post_message(self.Loaded(len(rows)))
        self.query_one("#overdue-info", Static).update(
            t("parcels.overdue.info", n=len(rows), days=settings_days(self.settings))
        )

    def contact(self) -> None:
        """P-9: record a reminder made by hand (phone, visit, note) for the highlighted item."""
        if not self._overdue_ids:
            return
        table = self.query_one("#overdue-table", DataTable)
        pid = self._overdue_ids[table.cursor_row]
        summary = "  ".join(
            str(table.get_cell(str(pid), k)) for k in ("unit", "recipient", "tracking")
        )
        settings = self.settings

        def answered(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            method, note = result

            def fn(session: Session) -> tuple[Parcel, int | None]:
                p = parcels.record_contact(
                    session, settings, self._site_id(session), pid, method=method, note=note
                )
                used = slips.latest_for(session, pid) if method == "notice" else None
                return p, used.serial if used else None

            def done(result: tuple[Parcel, int | None]) -> None:
                p, serial = result
                text = t("parcels.overdue.contacted", tracking=p.tracking, n=p.reminders)
                if serial is not None:  # P-15: which slip to write and where its copies go
                    text += "  " + t("parcels.slip.issued", serial=serial)
                self.message(text, "ok")
                self.load()

            def failed(exc: Exception) -> None:
                self.message(error_text(exc), "error")

            self.shiftdesk.run_db(fn, done, write=True, error=failed)

        self.app.push_screen(ContactDialog(summary), answered)


def settings_days(settings: Settings) -> int:
    return int(settings.parcels.remind_after_days)
