"""Parcels (F4): check items in, hand them over, keep after the overdue ones (§6).

Three panes, switched by key: check-in (Ctrl+N, ``checkin.py``), pickup (Ctrl+F,
``pickup.py``) and overdue (Ctrl+O, ``overdue.py``). Each pane owns its state and posts
typed messages (``CheckInPane.Saved``, ``PickupPane.Changed``, ``OverduePane.Loaded``);
this screen holds the tabs and the bindings, routes a scan to the right pane, and sends
the residents' notifications (in a worker, never the UI thread): the check-in pane says
whether one went, waits for the morning (P-13), failed and will be retried, or was not
sent at the resident's request (P-8).

All database work goes through ``app.run_db`` / ``app.run_task`` (thread workers).
"""

from __future__ import annotations

from rich.text import Text
from sqlmodel import Session
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Static

from screens.base import ModeScreen
from screens.parcels.checkin import CheckInPane
from screens.parcels.common import ParcelsPart
from screens.parcels.overdue import OverduePane
from screens.parcels.pickup import PickupPane
from shiftdesk import notify, parcels
from shiftdesk.db import read_session
from shiftdesk.i18n import t
from shiftdesk.timeutil import utcnow

PANES = ("checkin", "pickup", "overdue")
#: how often the screen retries due notifications and refreshes the overdue count (seconds)
PUMP_SECONDS = 60


class ParcelsScreen(ParcelsPart, ModeScreen):
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

    CSS_PATH = "screen.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.pane = "checkin"
        self._overdue_count = 0

    # ------------------------------------------------------------------ layout

    def compose_body(self) -> ComposeResult:
        yield Static("", id="tabs")
        with ContentSwitcher(id="panes", initial="checkin"):
            yield CheckInPane(id="checkin")
            yield PickupPane(id="pickup")
            yield OverduePane(id="overdue")

    def on_mount(self) -> None:
        self._render_tabs()
        self.checkin.focus_first()
        self.refresh_counts()
        self.set_interval(PUMP_SECONDS, self._pump)

    @property
    def checkin(self) -> CheckInPane:
        return self.query_one(CheckInPane)

    @property
    def pickup(self) -> PickupPane:
        return self.query_one(PickupPane)

    @property
    def overdue(self) -> OverduePane:
        return self.query_one(OverduePane)

    @property
    def last_saved(self) -> parcels.CheckInResult | None:
        """The last check-in saved on this screen (tests read it)."""
        return self.checkin.last_saved

    def _targets(self) -> list[int]:
        return self.pickup.targets()

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
            self.checkin.focus_first()
        elif pane == "pickup":
            self.pickup.focus_first()
        else:
            self.overdue.focus_first()
            self.overdue.load()

    def action_save(self) -> None:
        if self.pane == "checkin":
            self.checkin.save()
        elif self.pane == "pickup":
            self.pickup.release()

    def action_clear(self) -> None:
        if self.pane == "checkin":
            self.checkin.clear()
        elif self.pane == "pickup":
            self.pickup.clear()

    def action_refuse(self) -> None:
        if self.pane == "checkin":
            self.checkin.refuse()

    def action_return_item(self) -> None:
        if self.pane == "pickup":
            self.pickup.return_item()

    def action_contact(self) -> None:
        if self.pane == "overdue":
            self.overdue.contact()

    @on(CheckInPane.Saved)
    def _checked_in(self, event: CheckInPane.Saved) -> None:
        self.refresh_counts()
        if event.result.notifications:
            self.deliver()

    @on(PickupPane.Changed)
    def _picked_up(self) -> None:
        self.refresh_counts()

    @on(OverduePane.Loaded)
    def _overdue_loaded(self, event: OverduePane.Loaded) -> None:
        self._overdue_count = event.count
        self._render_tabs()

    # ------------------------------------------------------------------ scans

    def handle_scan(self, code: str) -> None:
        """A scanner read ``code`` (from any screen): pickup if it is waiting, else check-in."""
        settings = self.settings

        def classify(session: Session) -> tuple[str, str]:
            site_id = self._site_id(session)
            _rows, selected = parcels.find_for_pickup(session, settings, site_id, code)
            existing = parcels.find_duplicate(session, site_id, code)
            message = (
                parcels.duplicate_message(session, existing, settings, utcnow())
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
                self.pickup.find(code, note=message)
                return
            self.show_pane("checkin")
            self.checkin.scanned(code, verdict, message)

        self.shiftdesk.run_db(classify, done)

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

            self.shiftdesk.run_db(fn, lambda status: self.checkin.notice_sent(saved, status))
        self.refresh_counts()

    def _delivery_failed(self, exc: Exception) -> None:
        self.checkin.outbox(t("parcels.form.outbox_error", detail=str(exc)[:120]), "error")

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
            self.checkin.outbox("  ·  ".join(parts))

        self.shiftdesk.run_db(fn, done, group="parcels-counts")
