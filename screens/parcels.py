"""Parcels (F4): check items in, hand them over, keep after the overdue ones (§6).

Three panes, switched by key: check-in (Ctrl+N), pickup (Ctrl+F) and overdue (Ctrl+O).

Check-in is built for the scanner: a scan on any screen lands here with the tracking number
filled in and the carrier recognised, the focus on the recipient lookup (unit, name, pinyin
or phone: the shared ``ResidentLookup``). Enter chooses the unit, Enter again saves: two
key presses beyond the scan and the unit. The unit, recipient and shelf stay for the next
item, so several parcels for one unit need only scan + Enter. Saving queues the
resident's notification, which is sent in a worker thread (never the UI thread); the pane
says whether it went, waits for the morning (P-13), failed and will be retried, or was
not sent at the resident's request (P-8).

Pickup finds a unit's waiting items by a scanned tracking number, unit, name or phone;
Space marks items, Ctrl+S releases the marked ones (or the highlighted one) after the
identity check dialog (ID type and last 4 only; a proxy gives name and phone, P-5).

All database work goes through ``app.run_db`` (thread workers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, ContentSwitcher, DataTable, Input, Label, Select, Static

from screens.base import ModeScreen
from screens.parcels_dialogs import ContactDialog, PickupDialog, ReasonDialog
from screens.widgets.keychoice import KeyChoice
from screens.widgets.lookup import ResidentLookup
from shiftdesk import notify, parcels, slips
from shiftdesk.carriers import CARRIERS, INTERNATIONAL, recognise
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.errors import ShiftdeskError, ValidationError
from shiftdesk.i18n import t
from shiftdesk.lookup import LookupHit
from shiftdesk.models import Parcel, Resident
from shiftdesk.timeutil import to_local, utcnow

KIND_KEYS = {
    "parcel": "p",
    "registered": "r",
    "ems": "e",
    "document": "d",
    "parcel_slip": "s",
    "remittance_slip": "m",
    "other": "o",
}
PANES = ("checkin", "pickup", "overdue")
#: how often the screen retries due notifications and refreshes the overdue count (seconds)
PUMP_SECONDS = 60


class PickTable(DataTable[Any]):
    """The pickup list: Space marks the highlighted item, Ctrl+A marks them all."""

    BINDINGS = [
        Binding("space", "mark", show=False),
        Binding("ctrl+a", "mark_all", show=False),
    ]

    def action_mark(self) -> None:
        screen: Any = self.screen
        screen.toggle_pick()

    def action_mark_all(self) -> None:
        screen: Any = self.screen
        screen.toggle_pick(all_rows=True)


class ParcelsScreen(ModeScreen):
    TITLE_KEY = "mode.parcels"

    BINDINGS = [
        Binding("ctrl+s", "save", "parcels.binding.save", id="parcels.save", priority=True),
        Binding("ctrl+n", "pane('checkin')", "parcels.binding.checkin", id="parcels.checkin"),
        Binding("ctrl+f", "pane('pickup')", "parcels.binding.pickup", id="parcels.pickup"),
        Binding("ctrl+o", "pane('overdue')", "parcels.binding.overdue", id="parcels.overdue"),
        Binding("ctrl+r", "refuse", "parcels.binding.refuse", id="parcels.refuse"),
        Binding("ctrl+b", "return_item", "parcels.binding.return", id="parcels.return"),
        Binding("ctrl+t", "contact", "parcels.binding.contact", id="parcels.contact"),
        Binding("ctrl+y", "retry_outbox", "parcels.binding.retry", id="parcels.retry"),
        Binding("escape", "clear", "parcels.binding.clear", id="parcels.clear", show=False),
    ]

    DEFAULT_CSS = """
    ParcelsScreen #tabs { height: 1; padding: 0 1; background: $boost; }
    ParcelsScreen #panes { height: 1fr; }
    ParcelsScreen #checkin { height: 1fr; padding: 0 1; }
    ParcelsScreen .row { height: auto; width: 1fr; }
    ParcelsScreen .row > .label { width: 10; padding: 0 1 0 0; color: $text-muted; }
    ParcelsScreen .row > .label2 { width: auto; padding: 0 1; color: $text-muted; }
    ParcelsScreen Input { height: 1; border: none; padding: 0 1; background: $boost; }
    ParcelsScreen Input:focus { background: $primary 25%; }
    ParcelsScreen Input.-invalid { background: $error 25%; }
    ParcelsScreen ResidentLookup > Input { height: 1; border: none; }
    ParcelsScreen Checkbox { height: 1; border: none; padding: 0 1; background: transparent; }
    ParcelsScreen Checkbox:focus { background: $primary 25%; }
    ParcelsScreen #tracking { width: 1fr; }
    ParcelsScreen #carrier { width: 20; }
    ParcelsScreen #recipient { width: 1fr; }
    ParcelsScreen #shelf { width: 1fr; }
    ParcelsScreen #pieces { width: 5; }
    ParcelsScreen #damage-note { width: 1fr; }
    ParcelsScreen #marks { height: auto; padding-left: 10; color: $warning; }
    ParcelsScreen #ci-message { height: auto; min-height: 1; text-style: bold; }
    ParcelsScreen #ci-message.-ok { color: $success; }
    ParcelsScreen #ci-message.-error { color: $error; }
    ParcelsScreen #outbox { height: auto; color: $warning; }
    ParcelsScreen #unit-title { height: 1; color: $text-muted; }
    ParcelsScreen #unit-table { height: 1fr; min-height: 3; }
    ParcelsScreen #pickup, ParcelsScreen #overdue { height: 1fr; padding: 0 1; }
    ParcelsScreen #find { width: 1fr; }
    ParcelsScreen .info { height: auto; color: $text-muted; }
    ParcelsScreen .message { height: auto; min-height: 1; text-style: bold; }
    ParcelsScreen .message.-ok { color: $success; }
    ParcelsScreen .message.-error { color: $error; }
    ParcelsScreen #pick-table, ParcelsScreen #overdue-table { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.pane = "checkin"
        self._hit: LookupHit | None = None
        self._residents: list[Resident] = []
        self._carrier_auto = True
        self._saving = False
        self._overdue_count = 0
        self._pick_ids: list[int] = []
        self._picked: set[int] = set()
        self._pick_units: list[int] = []
        self._overdue_ids: list[int] = []
        #: the last check-in saved here (tests and the message line read it)
        self.last_saved: parcels.CheckInResult | None = None

    @property
    def settings(self) -> Settings:
        return self.shiftdesk.settings

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        shelves = list(self.settings.parcels.shelves) or ["A"]
        carriers = [(parcels.carrier_label(c), c) for c in CARRIERS]
        yield Static("", id="tabs")
        with ContentSwitcher(id="panes", initial="checkin"):
            with VerticalScroll(id="checkin"):
                with Horizontal(classes="row"):
                    yield Label(t("parcels.form.label.tracking"), classes="label")
                    yield Input(
                        id="tracking",
                        max_length=64,
                        compact=True,
                        placeholder=t("parcels.form.tracking_hint"),
                    )
                    yield Select(
                        carriers, value="other", allow_blank=False, id="carrier", compact=True
                    )
                with Horizontal(classes="row"):
                    yield Label(t("parcels.form.label.kind"), classes="label")
                    yield KeyChoice(
                        [(k, key, parcels.kind_label(k)) for k, key in KIND_KEYS.items()],
                        value="parcel",
                        id="kind",
                    )
                with Horizontal(classes="row"):
                    yield Label(t("parcels.form.label.unit"), classes="label")
                    yield ResidentLookup(
                        id="who", compact=True, placeholder=t("parcels.form.unit_hint")
                    )
                with Horizontal(classes="row"):
                    yield Label(t("parcels.form.label.recipient"), classes="label")
                    yield Select([], prompt="—", id="recipient", compact=True)
                with Horizontal(classes="row"):
                    yield Label(t("parcels.form.label.shelf"), classes="label")
                    yield KeyChoice(
                        [(s, _shelf_key(s, i), s) for i, s in enumerate(shelves)],
                        value=shelves[0],
                        id="shelf",
                    )
                    yield Label(t("parcels.field.pieces"), classes="label2")
                    yield Input("1", id="pieces", max_length=2, restrict=r"\d*", compact=True)
                with Horizontal(classes="row"):
                    yield Label("", classes="label")
                    yield Checkbox(t("parcels.field.damaged"), id="damaged", compact=True)
                    yield Input(
                        id="damage-note",
                        max_length=200,
                        compact=True,
                        placeholder=t("parcels.form.damage_hint"),
                    )
                yield Static("", id="marks")
                yield Static(t("parcels.form.ready"), id="ci-message")
                yield Static("", id="outbox")
                yield Static("", id="unit-title")
                yield DataTable(id="unit-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="pickup"):
                with Horizontal(classes="row"):
                    yield Label(t("parcels.pickup.find"), classes="label")
                    yield Input(
                        id="find",
                        max_length=60,
                        compact=True,
                        placeholder=t("parcels.pickup.find_hint"),
                    )
                yield Static(t("parcels.pickup.help"), id="pick-info", classes="info")
                yield PickTable(id="pick-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="pick-message", classes="message")
            with Vertical(id="overdue"):
                yield Static("", id="overdue-info", classes="info")
                yield DataTable(id="overdue-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="overdue-message", classes="message")

    def on_mount(self) -> None:
        unit_table = self.query_one("#unit-table", DataTable)
        for key in ("tracking", "carrier", "kind", "shelf", "received", "notice"):
            unit_table.add_column(t(f"parcels.col.{_col(key)}"), key=key)
        unit_table.can_focus = False
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
            pick.add_column(t(f"parcels.col.{_col(key)}"), key=key)
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
            overdue.add_column(t(f"parcels.col.{_col(key)}"), key=key)
        self._render_tabs()
        self.query_one("#tracking", Input).focus()
        self.refresh_counts()
        self.set_interval(PUMP_SECONDS, self._pump)

    # ------------------------------------------------------------------ helpers

    def _site_id(self, session: Session) -> int:
        site = self.shiftdesk.site
        if site is not None and site.id is not None:
            return int(site.id)
        from shiftdesk.sites import get_site

        found = get_site(session, self.settings.site.code)
        assert found.id is not None
        return int(found.id)

    def _local(self, moment: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
        if moment is None:
            return ""
        return to_local(moment, self.settings.site.timezone).strftime(fmt)

    def _message(self, target: str, text: str, kind: str = "") -> None:
        widget = self.query_one(target, Static)
        widget.update(text)
        widget.set_class(kind == "ok", "-ok")
        widget.set_class(kind == "error", "-error")

    def _render_tabs(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        labels = {
            "checkin": ("^N", t("parcels.pane.checkin")),
            "pickup": ("^F", t("parcels.pane.pickup")),
            "overdue": ("^O", t("parcels.pane.overdue", n=self._overdue_count)),
        }
        for pane in PANES:
            key, label = labels[pane]
            style = "reverse bold" if pane == self.pane else ""
            text.append(f" {key} ", style="bold")
            text.append(f" {label} ", style=style)
            text.append("  ")
        self.query_one("#tabs", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show each pane's own keys only."""
        own = {
            "refuse": "checkin",
            "return_item": "pickup",
            "contact": "overdue",
        }
        if action in own:
            return self.pane == own[action]
        if action == "save":
            return self.pane in ("checkin", "pickup")
        return True

    # ------------------------------------------------------------------ panes

    def action_pane(self, pane: str) -> None:
        self.show_pane(pane)

    def show_pane(self, pane: str) -> None:
        self.pane = pane
        self.query_one("#panes", ContentSwitcher).current = pane
        self._render_tabs()
        self.refresh_bindings()
        if pane == "checkin":
            self.query_one("#tracking", Input).focus()
        elif pane == "pickup":
            self.query_one("#find", Input).focus()
        else:
            self.query_one("#overdue-table", DataTable).focus()
            self.load_overdue()

    def action_save(self) -> None:
        if self.pane == "checkin":
            self.save_checkin()
        elif self.pane == "pickup":
            self.release_selected()

    def action_clear(self) -> None:
        if self.pane == "checkin":
            self._reset_item()
            self.query_one("#who", ResidentLookup).clear()
            self._hit = None
            self._set_residents([], None)
            self._message("#ci-message", t("parcels.form.ready"))
            self.query_one("#tracking", Input).focus()
        elif self.pane == "pickup":
            self.query_one("#find", Input).value = ""
            self._fill_pick([], None)
            self.query_one("#find", Input).focus()

    # ------------------------------------------------------------------ scans

    def handle_scan(self, code: str) -> None:
        """A scanner read ``code`` (from any screen): pickup if it is waiting, else check-in."""

        def classify(session: Session) -> tuple[str, str]:
            site_id = self._site_id(session)
            _rows, selected = parcels.find_for_pickup(session, self.settings, site_id, code)
            existing = parcels.find_duplicate(session, site_id, code)
            message = (
                parcels.duplicate_message(session, existing, self.settings, utcnow())
                if existing is not None
                else ""
            )
            if selected is not None:
                return "waiting", message  # collect it (or a courier brought it twice)
            return ("known" if existing is not None else "new"), message

        def done(result: tuple[str, str]) -> None:
            verdict, message = result
            if verdict == "waiting":
                self.show_pane("pickup")
                self.query_one("#find", Input).value = code
                self.search_pickup(code, note=message)
                return
            self.show_pane("checkin")
            self._set_tracking(code)
            lookup = self.query_one("#who", ResidentLookup)
            if verdict == "known":
                self._message("#ci-message", message, "error")
                self.query_one("#tracking", Input).focus()
            else:
                self._message("#ci-message", t("parcels.form.scanned", tracking=code))
                lookup.focus()
                lookup.input.select_all()

        self.shiftdesk.run_db(classify, done)

    # ------------------------------------------------------------------ check-in form

    def _set_tracking(self, code: str) -> None:
        tracking = self.query_one("#tracking", Input)
        tracking.value = code
        self._carrier_auto = True
        self._recognise(code)

    def _recognise(self, text: str) -> None:
        found = recognise(text)
        if self._carrier_auto:
            carrier = self.query_one("#carrier", Select)
            carrier.value = found.carrier
        kind = found.kind or ("ems" if found.carrier == "ems" else "parcel")
        self.query_one("#kind", KeyChoice).set_value(kind)
        self._update_marks()

    @on(Input.Changed, "#tracking")
    def _tracking_changed(self, event: Input.Changed) -> None:
        self._recognise(event.value)

    @on(Input.Submitted, "#tracking")
    def _tracking_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        lookup = self.query_one("#who", ResidentLookup)
        lookup.focus()
        lookup.input.select_all()

    @on(Select.Changed, "#carrier")
    def _carrier_changed(self, event: Select.Changed) -> None:
        # a value other than what the number says was chosen by hand: keep it
        tracking = self.query_one("#tracking", Input).value
        self._carrier_auto = event.value == recognise(tracking).carrier
        self._update_marks()

    @on(KeyChoice.Changed, "#kind")
    def _kind_changed(self) -> None:
        self._update_marks()

    def _update_marks(self) -> None:
        """P-10 urgent, P-11 stamp, P-12 international couriers, P-8 do-not-notify."""
        kind = self.query_one("#kind", KeyChoice).value or "parcel"
        carrier = self.query_one("#carrier", Select).value
        marks: list[str] = []
        if parcels.is_urgent(kind):
            marks.append(t("parcels.mark.urgent"))
        if kind in parcels.STAMP_KINDS:
            marks.append(t("parcels.mark.stamp"))
        if carrier in INTERNATIONAL:
            marks.append(t("parcels.mark.international"))
        resident = self._chosen_resident()
        if resident is not None and resident.do_not_notify:
            note = resident.do_not_notify_note or t("parcels.dnd_default_note")
            marks.append(t("parcels.mark.dnd", note=note))
        self.query_one("#marks", Static).update("  ·  ".join(marks))

    @on(ResidentLookup.Chosen, "#who")
    def _who_chosen(self, event: ResidentLookup.Chosen) -> None:
        self._hit = event.hit
        self._load_unit(event.hit)

    @on(ResidentLookup.Cleared, "#who")
    def _who_cleared(self) -> None:
        self._hit = None
        self._set_residents([], None)

    @on(Input.Submitted, "#lookup-input")
    def _who_submitted(self, event: Input.Submitted) -> None:
        """Enter after the unit is chosen saves (the second of the two key presses)."""
        event.stop()
        if self._hit is not None:
            self.save_checkin()

    @on(Input.Submitted, "#pieces, #damage-note")
    def _last_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.save_checkin()

    @on(Select.Changed, "#recipient")
    def _recipient_changed(self) -> None:
        self._update_marks()

    def _load_unit(self, hit: LookupHit) -> None:
        unit_id = hit.unit_id
        if unit_id is None:
            return

        def fn(session: Session) -> tuple[list[Resident], list[parcels.ParcelRow]]:
            site_id = self._site_id(session)
            residents = parcels.unit_residents(session, unit_id)
            rows = parcels.list_parcels(
                session, self.settings, site_id, waiting=True, unit_ids=[unit_id], limit=50
            )
            return residents, rows

        def done(result: tuple[list[Resident], list[parcels.ParcelRow]]) -> None:
            if self._hit is None or self._hit.unit_id != unit_id:
                return
            residents, rows = result
            self._set_residents(residents, hit.resident_id)
            self._fill_unit(hit.unit_code, rows)

        self.shiftdesk.run_db(fn, done)

    def _set_residents(self, residents: list[Resident], chosen: int | None) -> None:
        self._residents = residents
        select = self.query_one("#recipient", Select)
        options: list[tuple[str, int]] = []
        for r in residents:
            label = f"{r.name} ({t(f'lookup.kind.{r.kind}')})"
            if r.do_not_notify:
                label += " " + t("parcels.form.dnd_short")
            assert r.id is not None
            options.append((label, r.id))
        select.set_options(options)
        if residents:
            ids = [r.id for r in residents]
            select.value = chosen if chosen in ids else ids[0]
        if not residents:
            self.query_one("#unit-title", Static).update("")
            self.query_one("#unit-table", DataTable).clear()
        self._update_marks()

    def _chosen_resident(self) -> Resident | None:
        value = self.query_one("#recipient", Select).value
        for r in self._residents:
            if r.id == value:
                return r
        return None

    def _fill_unit(self, unit_code: str, rows: list[parcels.ParcelRow]) -> None:
        self.query_one("#unit-title", Static).update(
            t("parcels.form.unit_waiting", unit=unit_code, n=len(rows))
        )
        table = self.query_one("#unit-table", DataTable)
        table.clear()
        for r in rows:
            table.add_row(
                r.tracking,
                parcels.carrier_label(r.carrier),
                parcels.kind_label(r.kind),
                r.shelf,
                self._local(r.received_at),
                _notice(r.notice),
                key=str(r.id),
            )

    def _request(self) -> parcels.CheckInRequest:
        pieces_text = self.query_one("#pieces", Input).value.strip()
        carrier = self.query_one("#carrier", Select).value
        resident = self._chosen_resident()
        hit = self._hit
        return parcels.CheckInRequest(
            tracking=self.query_one("#tracking", Input).value,
            unit="" if hit else self.query_one("#who", ResidentLookup).text,
            unit_id=hit.unit_id if hit else None,
            resident_id=resident.id if resident else (hit.resident_id if hit else None),
            carrier=str(carrier) if isinstance(carrier, str) else None,
            kind=self.query_one("#kind", KeyChoice).value,
            shelf=self.query_one("#shelf", KeyChoice).value or "",
            pieces=int(pieces_text) if pieces_text.isdigit() else 0,
            damaged=self.query_one("#damaged", Checkbox).value,
            damage_note=self.query_one("#damage-note", Input).value,
        )

    def save_checkin(self) -> None:
        if self._saving:
            return
        req = self._request()
        if not req.tracking.strip():
            self._message("#ci-message", t("parcels.err.tracking_empty"), "error")
            self.query_one("#tracking", Input).focus()
            return
        if req.unit_id is None and not req.unit.strip():
            self._message("#ci-message", t("parcels.form.need_unit"), "error")
            self.query_one("#who", ResidentLookup).focus()
            return
        self._saving = True
        settings = self.settings

        def fn(session: Session) -> parcels.CheckInResult:
            return parcels.check_in(session, settings, self._site_id(session), req)

        self.shiftdesk.run_db(fn, self._saved, write=True, error=self._save_failed)

    def _saved(self, result: parcels.CheckInResult) -> None:
        self._saving = False
        self.last_saved = result
        self._show_saved(result, self._notice_text(result))
        self._reset_item()
        if self._hit is not None:
            self._load_unit(self._hit)
        self.query_one("#tracking", Input).focus()
        self.refresh_counts()
        if result.notifications:
            self.deliver()

    def _show_saved(self, result: parcels.CheckInResult, notice: str) -> None:
        p = result.parcel
        text = t(
            "parcels.form.saved",
            tracking=p.tracking,
            recipient=result.recipient,
            unit=result.unit_code,
            shelf=p.shelf,
        )
        self._message("#ci-message", f"{text}  {notice}", "ok")

    def _notice_text(self, result: parcels.CheckInResult) -> str:
        if result.suppressed:
            return t("parcels.form.notice_suppressed")
        if not result.notifications:
            return t("parcels.form.notice_none")
        first = result.notifications[0]
        if first.not_before is not None and first.not_before > utcnow():
            return t("parcels.form.notice_quiet", time=self._local(first.not_before, "%H:%M"))
        return t("parcels.form.notice_sending")

    def _save_failed(self, exc: Exception) -> None:
        self._saving = False
        if isinstance(exc, parcels.NotAResident):
            self._message("#ci-message", exc.message + " " + t("parcels.form.refuse_hint"), "error")
            self.query_one("#who", ResidentLookup).focus()
            return
        if isinstance(exc, ShiftdeskError):
            self._message("#ci-message", exc.message, "error")
            field = exc.field if isinstance(exc, ValidationError) else None
            target = {
                "tracking": "#tracking",
                "pieces": "#pieces",
                "damage_note": "#damage-note",
                "unit": "#who",
                "recipient": "#who",
            }.get(field or "")
            if target == "#who":
                self.query_one("#who", ResidentLookup).focus()
            elif target:
                self.query_one(target).focus()
            return
        self._message("#ci-message", t("error.database", detail=str(exc).splitlines()[0]), "error")

    def _reset_item(self) -> None:
        """Clear what belongs to one item; keep unit, recipient and shelf for the next."""
        self.query_one("#tracking", Input).value = ""
        self._carrier_auto = True
        self._recognise("")
        self.query_one("#pieces", Input).value = "1"
        self.query_one("#damaged", Checkbox).value = False
        self.query_one("#damage-note", Input).value = ""

    def action_refuse(self) -> None:
        """P-1: the addressee is not a resident: record the refusal, the courier takes it."""
        if self.pane != "checkin":
            return
        req = self._request()
        if not req.tracking.strip():
            self._message("#ci-message", t("parcels.err.tracking_empty"), "error")
            return
        if req.unit_id is None:
            req.recipient_name = self.query_one("#who", ResidentLookup).text
        settings = self.settings

        def answered(reason: str | None) -> None:
            if reason is None:
                return

            def fn(session: Session) -> Parcel:
                return parcels.refuse(session, settings, self._site_id(session), req, reason)

            def done(p: Parcel) -> None:
                self._message("#ci-message", t("parcels.form.refused", tracking=p.tracking), "ok")
                self._reset_item()
                self.query_one("#tracking", Input).focus()

            self.shiftdesk.run_db(fn, done, write=True, error=self._save_failed)

        self.app.push_screen(
            ReasonDialog(
                t("parcels.refuse.title"),
                t("parcels.refuse.question", tracking=req.tracking),
                t("parcels.refused_default_reason"),
            ),
            answered,
        )

    # ------------------------------------------------------------------ notifications

    def deliver(self) -> None:
        """Send due notifications in a thread worker; report failures on the screen."""
        app = self.shiftdesk
        engine, settings, actor, site = app.engine, self.settings, app.actor, app.site

        def send() -> notify.DeliveryReport:
            site_id = site.id if site is not None else None
            if site_id is None:
                with read_session(engine) as session:
                    site_id = self._site_id(session)
            # this site's messages only: another site's channels are not configured here
            return notify.deliver_due(engine, settings, site_id=site_id, actor=actor)

        # what fails stays in the outbox; the pane says so (never a crash)
        app.run_task(send, self._delivered, error=self._delivery_failed, group="parcels-deliver")

    def _delivered(self, report: notify.DeliveryReport) -> None:
        saved = self.last_saved
        if saved is not None and saved.notifications and saved.parcel.id is not None:
            pid = saved.parcel.id

            def fn(session: Session) -> str:
                return parcels.notice_status(session, [pid]).get(pid, "")

            def done(status: str) -> None:
                if self.last_saved is saved and status in ("sent", "failed", "gave_up"):
                    self._show_saved(saved, t(f"parcels.form.notice_{status}"))

            self.shiftdesk.run_db(fn, done)
        self.refresh_counts()

    def _delivery_failed(self, exc: Exception) -> None:
        self._message("#outbox", t("parcels.form.outbox_error", detail=str(exc)[:120]), "error")

    def _pump(self) -> None:
        if self.settings.notifications.urls or self.settings.notifications.manager_urls:
            self.deliver()
        else:
            self.refresh_counts()

    def action_retry_outbox(self) -> None:
        def fn(session: Session) -> int:
            return notify.requeue(session, self._site_id(session))

        def done(_count: int) -> None:
            self.deliver()

        self.shiftdesk.run_db(fn, done, write=True)

    def refresh_counts(self) -> None:
        """Overdue count on the tab, outbox trouble on the check-in pane."""
        settings = self.settings

        def fn(session: Session) -> tuple[int, dict[str, int]]:
            site_id = self._site_id(session)
            overdue = len(
                parcels.list_parcels(session, settings, site_id, overdue_only=True, limit=999)
            )
            return overdue, notify.outbox_counts(session, site_id)

        def done(result: tuple[int, dict[str, int]]) -> None:
            self._overdue_count, counts = result
            self._render_tabs()
            parts: list[str] = []
            if counts["failed"] or counts["gave_up"]:
                parts.append(
                    t("parcels.form.outbox_failed", n=counts["failed"] + counts["gave_up"])
                )
            if counts["pending"]:
                parts.append(t("parcels.form.outbox_pending", n=counts["pending"]))
            if not settings.notifications.urls and self.last_saved is None:
                parts.append(t("parcels.form.no_channel"))
            self._message("#outbox", "  ·  ".join(parts))

        self.shiftdesk.run_db(fn, done, group="parcels-counts")

    # ------------------------------------------------------------------ pickup

    @on(Input.Submitted, "#find")
    def _find(self, event: Input.Submitted) -> None:
        event.stop()
        self.search_pickup(event.value)

    def search_pickup(self, query: str, note: str = "") -> None:
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
                self._message("#pick-message", t("parcels.pickup.none", query=query), "error")
            else:
                self._message("#pick-message", note)
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
                _notice(r.notice),
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

    def _targets(self) -> list[int]:
        """The marked items, or the highlighted one when none is marked."""
        if self._picked:
            return [i for i in self._pick_ids if i in self._picked]
        table = self.query_one("#pick-table", PickTable)
        if not self._pick_ids:
            return []
        return [self._pick_ids[table.cursor_row]]

    def release_selected(self) -> None:
        ids = self._targets()
        if not ids:
            self._message("#pick-message", t("parcels.err.none_selected"), "error")
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
                self._message(
                    "#pick-message",
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
                self.refresh_counts()

            def failed(exc: Exception) -> None:
                detail = exc.message if isinstance(exc, ShiftdeskError) else str(exc)
                self._message("#pick-message", detail, "error")
                self._refresh_pick()

            self.shiftdesk.run_db(fn, done, write=True, error=failed)

        self.app.push_screen(PickupDialog(summary), answered)

    def action_return_item(self) -> None:
        """P-20: send the highlighted item back to the sender, with the reason."""
        if self.pane != "pickup" or not self._pick_ids:
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
                self._message(
                    "#pick-message", t("parcels.pickup.returned", tracking=p.tracking), "ok"
                )
                self._refresh_pick()
                self.refresh_counts()

            def failed(exc: Exception) -> None:
                detail = exc.message if isinstance(exc, ShiftdeskError) else str(exc)
                self._message("#pick-message", detail, "error")

            self.shiftdesk.run_db(fn, done, write=True, error=failed)

        self.app.push_screen(
            ReasonDialog(
                t("parcels.return.title"), t("parcels.return.question", tracking=tracking)
            ),
            answered,
        )

    # ------------------------------------------------------------------ overdue

    def load_overdue(self) -> None:
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
                _notice(r.notice),
                key=str(r.id),
            )
        self._overdue_count = len(rows)
        self._render_tabs()
        self.query_one("#overdue-info", Static).update(
            t("parcels.overdue.info", n=len(rows), days=settings_days(self.settings))
        )

    def action_contact(self) -> None:
        """P-9: record a reminder made by hand (phone, visit, note) for the highlighted item."""
        if self.pane != "overdue" or not self._overdue_ids:
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
                self._message("#overdue-message", text, "ok")
                self.load_overdue()

            def failed(exc: Exception) -> None:
                detail = exc.message if isinstance(exc, ShiftdeskError) else str(exc)
                self._message("#overdue-message", detail, "error")

            self.shiftdesk.run_db(fn, done, write=True, error=failed)

        self.app.push_screen(ContactDialog(summary), answered)


def settings_days(settings: Any) -> int:
    return int(settings.parcels.remind_after_days)


def _shelf_key(shelf: str, index: int) -> str:
    if len(shelf) == 1 and shelf.isalnum():
        return shelf.lower()
    return str(index + 1) if index < 9 else ""


def _col(key: str) -> str:
    return {"received": "received_at", "days": "age_days", "last": "last_contact"}.get(key, key)


def _notice(status: str) -> Text:
    label = t(f"parcels.notice.{status or 'none'}")
    style = {
        "failed": "bold yellow",
        "gave_up": "bold white on red",
        "suppressed": "italic",
        "sent": "green",
    }.get(status, "")
    return Text(label, style=style)
