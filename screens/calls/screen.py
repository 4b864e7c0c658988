"""Incoming calls and visits (来电来访, F2): a form faster than paper, and today's list.

The operator is on the phone while typing, so everything is one key away:

- The form opens with the cursor on *Channel*. A single key picks the channel
  (``p w l o i d``) and moves on to *Category* (``i r c s p h o``), which moves on to
  *Summary*. A walk-in inquiry is ``w``, ``i``, the text, ``Ctrl+S``.
- *Caller* finds a resident or a unit as you type (unit prefix, name, pinyin, initials,
  phone); choosing fills name, phone and unit, and the caller's history (last calls, open
  work orders, waiting parcels, open complaints) appears beside the form.
- The time received follows the clock until the operator starts typing, then stays put.
  Editing it makes a late entry (marked in the audit trail).
- ``Ctrl+S`` saves (a repair opens a work order, a complaint a classified complaint with its
  clocks), clears the form and shows the record numbers. ``Esc`` asks before discarding.
- ``Ctrl+F`` shows today's calls and a search over all calls; ``Enter`` opens one to see and
  edit it; ``Ctrl+N`` goes back to the form.

Every database call runs in a worker (``app.run_db``); rejected input is shown next to its
field in the operator's language and nothing typed is lost.
"""

from __future__ import annotations

from sqlmodel import Session
from textual import on
from textual.binding import Binding
from textual.widgets import ContentSwitcher, DataTable, Input, Static

from screens.calls.choices import (
    DATE_PREFIX,
)
from screens.calls.saving import CallSaving
from screens.errors import error_text
from screens.widgets.keychoice import KeyChoice
from shiftdesk.calls import (
    CHANNELS,
    CallRow,
    calls_on,
    search,
)
from shiftdesk.i18n import t
from shiftdesk.timeutil import to_local, utcnow


class CallsScreen(CallSaving):
    TITLE_KEY = "mode.calls"

    BINDINGS = [
        Binding("ctrl+s", "save", "calls.binding.save", id="calls.save", priority=True),
        Binding("escape", "discard", "calls.binding.discard", id="calls.discard"),
        Binding("ctrl+f", "show_list", "calls.binding.list", id="calls.list"),
        Binding("ctrl+n", "show_form", "calls.binding.new", id="calls.new"),
    ]

    CSS_PATH = "screen.tcss"

    def on_mount(self) -> None:
        table = self.query_one("#calls-table", DataTable)
        for key in ("no", "time", "category", "caller", "unit", "summary", "links", "channel"):
            table.add_column(t(f"calls.list.col.{key}"), key=key)
        self._reset_received()
        self.set_interval(1.0, self._tick)
        self.query_one("#channel", KeyChoice).focus()

    # ------------------------------------------------------------------ the list

    def action_show_list(self) -> None:
        self.query_one("#switcher", ContentSwitcher).current = "list-pane"
        self.query_one("#search", Input).focus()
        self._refresh_list()

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        self._refresh_list()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        table = self.query_one("#calls-table", DataTable)
        if table.row_count:
            table.focus()

    def _refresh_list(self) -> None:
        text = self.query_one("#search", Input).value
        tz = self.settings.site.timezone
        site_id = self._site_id()
        match = DATE_PREFIX.match(text)
        day_text, words = (match.group(1), match.group(2)) if match else (None, text)

        def fn(session: Session) -> tuple[list[CallRow], str]:
            from shiftdesk.timeutil import parse_day

            sid = site_id if site_id is not None else self._resolve_site(session)
            day = parse_day(day_text) if day_text else None
            if not words.strip() and day is None:
                today = to_local(utcnow(), tz).date()
                return calls_on(session, sid, today, tz), t(
                    "calls.list.today", day=today.isoformat()
                )
            rows = search(session, sid, text=words, day=day, tz=tz)
            return rows, t("calls.list.found", count=len(rows))

        def failed(exc: Exception) -> None:
            self.query_one("#list-info", Static).update(error_text(exc))

        # each keystroke's search cancels the one before: only the latest result shows
        self.shiftdesk.run_db(
            fn,
            lambda result: self._fill_table(*result),
            error=failed,
            group="calls-search",
            exclusive=True,
        )

    def _fill_table(self, rows: list[CallRow], info: str) -> None:
        tz = self.settings.site.timezone
        table = self.query_one("#calls-table", DataTable)
        table.clear()
        for row in rows:
            call = row.call
            links = []
            if row.work_order_id:
                links.append(t("calls.list.order_link", id=row.work_order_id))
            if row.complaint_id:
                links.append(t("calls.list.complaint_link", id=row.complaint_id))
            flags = ("☾" if call.night else "") + ("⌛" if call.late_entry else "")
            table.add_row(
                str(call.id),
                to_local(call.received_at, tz).strftime("%m-%d %H:%M") + flags,
                t(f"calls.category.{call.category}"),
                call.caller_name,
                row.unit_code or call.location,
                call.summary[:40],
                " ".join(links),
                t(f"calls.channel.{call.channel}"),
                key=str(call.id),
            )
        self.query_one("#list-info", Static).update(info)

    @on(DataTable.RowSelected, "#calls-table")
    def _open_call(self, event: DataTable.RowSelected) -> None:
        from screens.calls.detail import CallDetailScreen

        call_id = int(str(event.row_key.value))

        def closed(changed: bool | None) -> None:
            if changed:
                self._refresh_list()

        self.app.push_screen(CallDetailScreen(call_id), callback=closed)

    def channel_keys(self) -> tuple[str, ...]:
        return CHANNELS
