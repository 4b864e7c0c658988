"""The board's table: a virtual list that draws only the rows in view (Line API).

A DataTable costs seconds to show 10,000 rows (design.md §2); this view keeps the ids in
urgency order and renders the ~20 visible lines from the feed's rows, so a cursor move
repaints two lines and a countdown tick repaints one screen, whatever the count.
Updates are keyed: the cursor stays on the same order, the scroll offset where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from shiftdesk.clocks import ClockState
from shiftdesk.i18n import t
from shiftdesk.timeutil import utcnow

if TYPE_CHECKING:
    from shiftdesk.board import FeedRow

#: (column id, width in cells; 0 = the rest)
COLUMNS: list[tuple[str, int]] = [
    ("id", 5),
    ("where", 10),
    ("trade", 8),
    ("priority", 6),
    ("assignee", 8),
    ("stage", 10),
    ("clock", 8),
    ("countdown", 8),
    ("summary", 0),
]

RED_BOLD = Style(color="red", bold=True)
AMBER_BOLD = Style(color="dark_orange", bold=True)
STATE_STYLES: dict[ClockState, Style] = {
    ClockState.RUNNING: Style(),
    ClockState.WARNING: Style(color="black", bgcolor="dark_orange", bold=True),  # amber
    ClockState.BREACHED: Style(color="bright_white", bgcolor="red", bold=True),
}


def board_countdown(delta: timedelta) -> str:
    """mm:ss under an hour, h:mm:ss under a day, then days and hours; '-' once breached."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds >= 86400:
        days, rest = divmod(seconds, 86400)
        return f"{sign}{days}d{rest // 3600:02d}h"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"


def fit(text: str, width: int) -> str:
    """Pad or cut to exactly ``width`` cells (Chinese characters are two cells wide)."""
    if cell_len(text) > width and width > 1:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def header_line(width: int) -> str:
    parts = []
    used = 0
    for col, w in COLUMNS:
        if w == 0:
            w = max(0, width - used)
        parts.append(fit(t(f"dispatch.col.{col}"), w))
        used += w + 1
    return " ".join(parts)[: max(width, 0) * 2]


class OrderList(ScrollView, can_focus=True):
    """Rows are ids; ``rows`` maps an id to its FeedRow (owned by the feed)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"order-list--cursor"}
    DEFAULT_CSS = """
    OrderList { height: 1fr; background: $surface; }
    OrderList > .order-list--cursor { background: $accent 60%; text-style: bold; }
    OrderList:focus > .order-list--cursor { background: $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("k", "cursor(-1)", show=False),
        Binding("j", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
    ]

    class CursorMoved(Message):
        def __init__(self, order_id: int | None) -> None:
            super().__init__()
            self.order_id = order_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ids: list[int] = []
        self.rows: dict[int, FeedRow] = {}
        self.cursor = 0
        self.now: datetime = utcnow()
        self.warn = timedelta(seconds=60)
        self.labels: Callable[[str, str], str] = lambda kind, value: value
        self._styles: tuple[tuple[bool, str], Style, Style] | None = None
        self._styles_key: tuple[bool, str] = (False, "")
        self._strips: dict[tuple[object, ...], Strip] = {}

    def _base_styles(self) -> tuple[Style, Style]:
        """The row and cursor styles, computed once per focus state and theme (computing
        a widget's rich style walks the DOM: too slow to do for every line)."""
        key = (self.has_focus, str(self.app.theme))
        if self._styles is None or self._styles[0] != key:
            base = self.rich_style
            cursor = base + self.get_component_rich_style("order-list--cursor")
            self._styles = (key, base, cursor)
            self._styles_key = key
            self._strips.clear()
        return self._styles[1], self._styles[2]

    # ------------------------------------------------------------------ data

    @property
    def cursor_id(self) -> int | None:
        return self.ids[self.cursor] if 0 <= self.cursor < len(self.ids) else None

    def set_ids(self, ids: list[int], rows: dict[int, FeedRow]) -> None:
        """Apply a new id list as a keyed diff: the cursor stays on its order (or its row
        position if that order left), the scroll offset stays unless the cursor would
        leave the view."""
        keep = self.cursor_id
        self.rows = rows
        self.ids = ids
        if keep is not None and keep in rows:
            try:
                self.cursor = ids.index(keep)
            except ValueError:
                self.cursor = min(self.cursor, max(len(ids) - 1, 0))
        else:
            self.cursor = min(self.cursor, max(len(ids) - 1, 0))
        self.virtual_size = Size(self.size.width, len(ids))
        self._keep_cursor_visible(animate=False)
        self.refresh()
        if self.cursor_id != keep:
            self.post_message(self.CursorMoved(self.cursor_id))

    def select_id(self, order_id: int) -> bool:
        if order_id in self.rows and order_id in self.ids:
            self._move_to(self.ids.index(order_id))
            return True
        return False

    # ------------------------------------------------------------------ cursor

    def _move_to(self, index: int) -> None:
        if not self.ids:
            return
        index = max(0, min(index, len(self.ids) - 1))
        if index == self.cursor:
            return
        old = self.cursor
        self.cursor = index
        self.refresh_line(old)
        self.refresh_line(index)
        self._keep_cursor_visible(animate=False)
        self.post_message(self.CursorMoved(self.cursor_id))

    def _keep_cursor_visible(self, animate: bool) -> None:
        if not self.ids:
            return
        height = max(self.scrollable_content_region.height, 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=animate, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=animate, immediate=True)

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        self._move_to(self.cursor + direction * height)

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self.ids) - 1)

    def on_click(self, event: Click) -> None:
        self.focus()
        self._move_to(int(self.scroll_offset.y) + event.y)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.ids))

    # ------------------------------------------------------------------ drawing

    def tick(self, now: datetime) -> None:
        """Countdowns move: repaint what is in view (no data work)."""
        self.now = now
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.size.width
        base, cursor = self._base_styles()
        if index >= len(self.ids):
            return Strip.blank(width, base)
        fr = self.rows.get(self.ids[index])
        if fr is None:
            return Strip.blank(width, base)
        selected = index == self.cursor
        clock = fr.next
        state = clock.state(self.now, self.warn) if clock else None
        countdown = board_countdown(clock.remaining(self.now)) if clock else ""
        # a scroll repaints every line in view: rows already drawn this second are reused
        key = (fr.row.id, fr.row.version, selected, countdown, state, width, self._styles_key)
        strip = self._strips.get(key)
        if strip is None:
            segments = self._row_segments(fr, width, cursor if selected else base, state, countdown)
            strip = Strip(segments, width).crop(0, width)
            if len(self._strips) > 4000:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def _row_segments(
        self, fr: FeedRow, width: int, style: Style, state: ClockState | None, countdown: str
    ) -> list[Segment]:
        row = fr.row
        clock = fr.next
        values = {
            "id": str(row.id),
            "where": row.where,
            "trade": self.labels("trade", row.trade),
            "priority": self.labels("priority", row.priority),
            "assignee": row.assignee or (self.labels("team", row.team) if row.team else ""),
            "stage": self.labels("stage", row.stage),
            "clock": self.labels("clock", clock.kind) if clock else "",
            "countdown": countdown,
            "summary": row.summary.replace("\n", " "),
        }
        segments: list[Segment] = []
        used = 0
        for col, w in COLUMNS:
            if w == 0:
                w = max(0, width - used)
            if w <= 0:
                break
            text = fit(values[col], w)
            cell_style = style
            if col == "countdown" and state in STATE_STYLES:
                cell_style = style + STATE_STYLES[state]
            elif (col == "id" and state == ClockState.BREACHED) or (
                col == "priority" and row.priority == "emergency"
            ):
                cell_style = style + RED_BOLD
            elif col == "priority" and row.priority == "urgent":
                cell_style = style + AMBER_BOLD
            segments.append(Segment(text, cell_style))
            used += w
            if used < width:
                segments.append(Segment(" ", style))
                used += 1
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return segments

    def region_of(self, order_id: int) -> Region | None:
        """Where an order's row is drawn now (tests, screenshots)."""
        if order_id not in self.ids:
            return None
        return Region(0, self.ids.index(order_id) - int(self.scroll_offset.y), self.size.width, 1)
