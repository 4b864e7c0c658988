"""The dispatch board's data, kept current by a keyed diff: no Textual here.

The live feed (``screens/live.py``) waits for database changes in a worker and calls
``read_diff`` there; the UI thread merges the result into a ``Board`` and asks it for the
urgency order and the breached count. Everything here is plain data and functions, so the
CLI, benchmarks and tests can use it without a terminal.

- ``FeedRow``: one open order with its open clocks (earliest due first) and its sort keys;
- ``read_diff``: what changed since the versions last seen (``(id, version)`` of the open
  orders first, then the full rows of the ids whose version moved);
- ``Board``: the rows, their presorted keys and the sorted open due times. ``merge``
  patches them for a small diff (``bisect``) and rebuilds them for a full read;
  ``count(now)`` is a bisect over the due times (O(log n)); ``resort(now)`` is a stable
  partition (breached first), so no sort runs on a clock tick.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from shiftdesk.clocks import Clock
from shiftdesk.clocks.workorders import OrderRules, open_clocks, order_rules
from shiftdesk.config import Settings
from shiftdesk.workorders import (
    BoardRow,
    BreachKey,
    acked_breaches,
    breach_key,
    load_rows,
    open_versions,
)

_FAR = datetime.max.replace(tzinfo=UTC)

DueEntry = tuple[datetime, int, str, BreachKey]
StaticKey = tuple[int, datetime, int]
Acked = dict[BreachKey, tuple[str, datetime]]


@dataclass
class FeedRow:
    """One open order with its open clocks (earliest due first), computed off the UI thread.

    ``skey`` orders rows by (emergency first, due, id); ``dues`` are the row's entries in
    the board's sorted list of open clock due times. Both are built in the worker.
    """

    row: BoardRow
    clocks: list[Clock]
    skey: StaticKey
    dues: list[DueEntry]

    @functools.cached_property
    def haystack(self) -> str:
        """What the board's search matches, lower-cased; built at the first search."""
        row = self.row
        return " ".join(
            (str(row.id), row.unit_code, row.location, row.summary, row.reporter_name,
             row.reporter_phone, row.assignee, row.team)
        ).lower()  # fmt: skip

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def next(self) -> Clock | None:
        return self.clocks[0] if self.clocks else None

    @property
    def due(self) -> datetime:
        return self.clocks[0].due_at if self.clocks else _FAR

    def breached(self, now: datetime) -> bool:
        return bool(self.clocks) and now > self.clocks[0].due_at


def feed_row(row: BoardRow, settings: Settings, rules: OrderRules | None = None) -> FeedRow:
    clocks = open_clocks(row, settings, rules=rules)
    due = clocks[0].due_at if clocks else _FAR
    return FeedRow(
        row=row,
        clocks=clocks,
        skey=(0 if row.priority == "emergency" else 1, due, row.id),
        dues=[(c.due_at, row.id, c.kind, breach_key(row.id, c.kind, c.due_at)) for c in clocks],
    )


def _remove(items: list[Any], item: Any) -> None:
    """Remove one exact item from a sorted list (O(log n) search)."""
    i = bisect.bisect_left(items, item)
    if i < len(items) and items[i] == item:
        del items[i]


@dataclass
class FeedDiff:
    rows: list[FeedRow]
    removed: set[int]
    acked: Acked
    full: bool


@dataclass
class FeedUpdate:
    """What changed, for subscribers: new or changed ids, removed ids, and whether the
    urgency order changed (a data change or a clock crossing its limit)."""

    changed: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    resorted: bool = False


def read_diff(
    session: Session, settings: Settings, site_id: int, known: dict[int, int]
) -> tuple[FeedDiff, dict[int, int]]:
    """The rows that changed since ``known`` (id -> version), and the versions now known.

    The first read (``known`` empty) and a diff touching most rows read every open row.
    """
    if not known:  # the first read (or nothing open): every row, no diff to make
        rows = load_rows(session, site_id=site_id)
        versions = {r.id: r.version for r in rows}
        full = True
    else:
        versions = open_versions(session, site_id=site_id)
        changed = [i for i, v in versions.items() if known.get(i) != v]
        full = len(changed) > max(200, len(versions) // 2)
        if full:
            rows = load_rows(session, site_id=site_id)
        elif changed:
            rows = load_rows(session, site_id=site_id, ids=changed)
        else:
            rows = []
    acked = acked_breaches(session, site_id=site_id)
    removed = set(known) - set(versions)
    seen = {r.id: r.version for r in rows} if full else dict(known)
    if not full:
        for gone in removed:
            seen.pop(gone, None)
        for r in rows:
            seen[r.id] = r.version
    rules = order_rules(settings)  # looked up once per read, not per order
    diff = FeedDiff(
        rows=[feed_row(r, settings, rules) for r in rows], removed=removed, acked=acked, full=full
    )
    return diff, seen


class Board:
    """The open orders in urgency order, with their sorted open clock due times."""

    def __init__(self) -> None:
        self.rows: dict[int, FeedRow] = {}
        self.sorted_ids: list[int] = []
        self.acked: Acked = {}
        self.dues: list[DueEntry] = []
        self._static: list[StaticKey] = []

    def merge(self, diff: FeedDiff) -> tuple[FeedUpdate, list[FeedRow]]:
        """Apply a diff; returns the update for subscribers and the rows new or changed."""
        update = FeedUpdate(resorted=True)
        if diff.full:
            update.removed = set(self.rows) - {fr.id for fr in diff.rows}
            self.rows = {}
            self._static = []
            self.dues = []
        else:
            for gone in diff.removed:
                old = self.rows.pop(gone, None)
                if old is not None:
                    self._forget(old)
                    update.removed.add(gone)
        for fr in diff.rows:
            old = self.rows.get(fr.id)
            if old is not None:
                self._forget(old)
            self.rows[fr.id] = fr
            update.changed.add(fr.id)
            if diff.full:
                self._static.append(fr.skey)
                self.dues.extend(fr.dues)
            else:
                bisect.insort(self._static, fr.skey)
                for entry in fr.dues:
                    bisect.insort(self.dues, entry)
        if diff.full:
            self._static.sort()
            self.dues.sort()
        self.acked = diff.acked
        return update, diff.rows

    def _forget(self, fr: FeedRow) -> None:
        _remove(self._static, fr.skey)
        for entry in fr.dues:
            _remove(self.dues, entry)

    def resort(self, now: datetime) -> None:
        """Urgency order: breached rows first, each part in (emergency, due, id) order.

        A stable partition of the presorted list, so no sort runs on a tick.
        """
        breached = [k[2] for k in self._static if k[1] < now]
        rest = [k[2] for k in self._static if not k[1] < now]
        self.sorted_ids = breached + rest

    def count(self, now: datetime) -> int:
        """How many open clocks are past due at ``now`` (a bisect: O(log n))."""
        return bisect.bisect_left(self.dues, (now, -1, "", ()))
