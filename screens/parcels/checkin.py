"""The check-in pane (Ctrl+N): built for the scanner.

A scan on any screen lands here with the tracking number filled in and the carrier
recognised, the focus on the recipient lookup (unit, name, pinyin or phone: the shared
``ResidentLookup``). Enter chooses the unit, Enter again saves: two key presses beyond the
scan and the unit. The unit, recipient and shelf stay for the next item, so several
parcels for one unit need only scan + Enter.

The pane owns the form's state (the chosen unit and its residents, whether the carrier
was set by hand, the last item saved) and posts ``CheckInPane.Saved`` once an item is
stored; the screen then sends the resident's notification and refreshes its counts.
"""

from __future__ import annotations

from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, DataTable, Input, Label, Select, Static

from screens.parcels.common import ParcelsPart, col, notice, show_message
from screens.parcels.dialogs import ReasonDialog
from screens.widgets.keychoice import KeyChoice
from screens.widgets.lookup import ResidentLookup
from shiftdesk import parcels
from shiftdesk.carriers import CARRIERS, INTERNATIONAL, recognise
from shiftdesk.errors import ShiftdeskError, ValidationError
from shiftdesk.i18n import t
from shiftdesk.lookup import LookupHit
from shiftdesk.models import Parcel, Resident
from shiftdesk.timeutil import utcnow

KIND_KEYS = {
    "parcel": "p",
    "registered": "r",
    "ems": "e",
    "document": "d",
    "parcel_slip": "s",
    "remittance_slip": "m",
    "other": "o",
}


class CheckInForm(ParcelsPart, VerticalScroll):
    """The form: its fields, what the tracking number says, the unit and its residents."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hit: LookupHit | None = None
        self._residents: list[Resident] = []
        self._carrier_auto = True
        self._saving = False
        #: the last check-in saved here (tests and the message line read it)
        self.last_saved: parcels.CheckInResult | None = None

    def compose(self) -> ComposeResult:
        shelves = list(self.settings.parcels.shelves) or ["A"]
        carriers = [(parcels.carrier_label(c), c) for c in CARRIERS]
        with Horizontal(classes="row"):
            yield Label(t("parcels.form.label.tracking"), classes="label")
            yield Input(
                id="tracking",
                max_length=64,
                compact=True,
                placeholder=t("parcels.form.tracking_hint"),
            )
            yield Select(carriers, value="other", allow_blank=False, id="carrier", compact=True)
        with Horizontal(classes="row"):
            yield Label(t("parcels.form.label.kind"), classes="label")
            yield KeyChoice(
                [(k, key, parcels.kind_label(k)) for k, key in KIND_KEYS.items()],
                value="parcel",
                id="kind",
            )
        with Horizontal(classes="row"):
            yield Label(t("parcels.form.label.unit"), classes="label")
            yield ResidentLookup(id="who", compact=True, placeholder=t("parcels.form.unit_hint"))
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

    def on_mount(self) -> None:
        unit_table = self.query_one("#unit-table", DataTable)
        for key in ("tracking", "carrier", "kind", "shelf", "received", "notice"):
            unit_table.add_column(t(f"parcels.col.{col(key)}"), key=key)
        unit_table.can_focus = False

    # ------------------------------------------------------------------ the form

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
        if parcels.is_urgent(kind, carrier if isinstance(carrier, str) else None):
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
            self.save()

    @on(Input.Submitted, "#pieces, #damage-note")
    def _last_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    @on(Select.Changed, "#recipient")
    def _recipient_changed(self) -> None:
        self._update_marks()

    def _load_unit(self, hit: LookupHit) -> None:
        unit_id = hit.unit_id
        if unit_id is None:
            return
        settings = self.settings

        def fn(session: Session) -> tuple[list[Resident], list[parcels.ParcelRow]]:
            site_id = self._site_id(session)
            residents = parcels.unit_residents(session, unit_id)
            rows = parcels.list_parcels(
                session, settings, site_id, waiting=True, unit_ids=[unit_id], limit=50
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
                notice(r.notice),
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

    def message(self, text: str, kind: str = "") -> None:
        show_message(self.query_one("#ci-message", Static), text, kind)

    def save(self) -> None:  # pragma: no cover - CheckInPane's
        raise NotImplementedError


class CheckInPane(CheckInForm):
    """Tracking, carrier, kind, unit, recipient, shelf, pieces, damage; saves one item."""

    class Saved(Message):
        """An item was checked in (committed)."""

        def __init__(self, result: parcels.CheckInResult) -> None:
            super().__init__()
            self.result = result

    # ------------------------------------------------------------------ from the screen

    def focus_first(self) -> None:
        self.query_one("#tracking", Input).focus()

    def outbox(self, text: str, kind: str = "") -> None:
        show_message(self.query_one("#outbox", Static), text, kind)

    def scanned(self, code: str, verdict: str, message: str) -> None:
        """A scan of an item that is not waiting: ``verdict`` "known" (came twice) or "new"."""
        self._set_tracking(code)
        lookup = self.query_one("#who", ResidentLookup)
        if verdict == "known":
            self.message(message, "error")
            self.query_one("#tracking", Input).focus()
        else:
            self.message(t("parcels.form.scanned", tracking=code))
            lookup.focus()
            lookup.input.select_all()

    def clear(self) -> None:
        self._reset_item()
        self.query_one("#who", ResidentLookup).clear()
        self._hit = None
        self._set_residents([], None)
        self.message(t("parcels.form.ready"))
        self.query_one("#tracking", Input).focus()

    def notice_sent(self, result: parcels.CheckInResult, status: str) -> None:
        """After a delivery round: what became of the last item's notification."""
        if self.last_saved is result and status in ("sent", "failed", "gave_up"):
            self._show_saved(result, t(f"parcels.form.notice_{status}"))

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        if self._saving:
            return
        req = self._request()
        if not req.tracking.strip():
            self.message(t("parcels.err.tracking_empty"), "error")
            self.query_one("#tracking", Input).focus()
            return
        if req.unit_id is None and not req.unit.strip():
            self.message(t("parcels.form.need_unit"), "error")
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
        self.post_message(self.Saved(result))

    def _show_saved(self, result: parcels.CheckInResult, notice_text: str) -> None:
        p = result.parcel
        text = t(
            "parcels.form.saved",
            tracking=p.tracking,
            recipient=result.recipient,
            unit=result.unit_code,
            shelf=p.shelf,
        )
        self.message(f"{text}  {notice_text}", "ok")

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
            self.message(exc.message + " " + t("parcels.form.refuse_hint"), "error")
            self.query_one("#who", ResidentLookup).focus()
            return
        if isinstance(exc, ShiftdeskError):
            self.message(exc.message, "error")
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
        self.message(t("error.database", detail=str(exc).splitlines()[0]), "error")

    def _reset_item(self) -> None:
        """Clear what belongs to one item; keep unit, recipient and shelf for the next."""
        self.query_one("#tracking", Input).value = ""
        self._carrier_auto = True
        self._recognise("")
        self.query_one("#pieces", Input).value = "1"
        self.query_one("#damaged", Checkbox).value = False
        self.query_one("#damage-note", Input).value = ""

    def refuse(self) -> None:
        """P-1: the addressee is not a resident: record the refusal, the courier takes it."""
        req = self._request()
        if not req.tracking.strip():
            self.message(t("parcels.err.tracking_empty"), "error")
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
                self.message(t("parcels.form.refused", tracking=p.tracking), "ok")
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


def _shelf_key(shelf: str, index: int) -> str:
    if len(shelf) == 1 and shelf.isalnum():
        return shelf.lower()
    return str(index + 1) if index < 9 else ""
