"""The live dispatch feed: every open work order of the site, kept current on every terminal.

One feed per app (``app.dispatch_feed``), started at sign-in, so the breach alarm sounds on
every signed-in terminal whatever screen it shows:

- A daemon thread waits on ``shiftdesk.changes.ChangeWatcher`` (SQLite ``data_version``,
  PostgreSQL LISTEN/NOTIFY). On a change it reads only ``(id, version)`` of the open orders,
  then the full rows of the ids whose version moved: a keyed diff at the data level. Clocks
  are computed in that thread too, so the UI thread only merges and sorts.
  It is a plain thread, not a Textual worker: ``app.workers.wait_for_complete()`` in tests
  must not wait for a loop that never ends.
- Once a second (UI thread) the feed counts breached clocks with a bisect over the sorted
  due times, sets the status bar (``app.set_breached``), and raises the alarm for breaches
  nobody acknowledged: a notification that stays up, and the terminal bell for each new one.
  An operator acknowledges with F9 (``acknowledge``): who and when go into ``breach_ack``,
  and every other terminal stops alarming for those breaches at its next read.
- Screens subscribe to ``FeedUpdate``s (the board applies them as a keyed diff).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.notifications import Notification, Notify

from shiftdesk.changes import ChangeWatcher
from shiftdesk.clocks import Clock
from shiftdesk.clocks.workorders import OrderRules, open_clocks, order_rules
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.i18n import t
from shiftdesk.timeutil import utcnow
from shiftdesk.workorders import (
    BoardRow,
    BreachKey,
    acked_breaches,
    acknowledge_breaches,
    breach_key,
    load_rows,
    open_versions,
)

if TYPE_CHECKING:
    from screens.app import ShiftdeskApp

_FAR = datetime.max.replace(tzinfo=UTC)
#: tables whose change can alter the board (PostgreSQL tells us which tables changed)
_RELEVANT = {"*", "work_order", "breach_ack", "unit", "callback"}


DueEntry = tuple[datetime, int, str, BreachKey]
StaticKey = tuple[int, datetime, int]


@dataclass
class FeedRow:
    """One open order with its open clocks (earliest due first), computed off the UI thread.

    ``skey`` orders rows by (emergency first, due, id); ``dues`` are the row's entries in
    the feed's sorted list of open clock due times. Both are built here, in the thread.
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
    acked: dict[BreachKey, tuple[str, datetime]]
    full: bool


@dataclass
class FeedUpdate:
    """What changed, for subscribers: new or changed ids, removed ids, and whether the
    urgency order changed (a data change or a clock crossing its limit)."""

    changed: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    resorted: bool = False


class DispatchFeed:
    #: how long the watcher blocks per round (also the latency of a forced refresh)
    poll_seconds = 0.25

    def __init__(self, app: ShiftdeskApp) -> None:
        self.app = app
        self.rows: dict[int, FeedRow] = {}
        self.sorted_ids: list[int] = []
        self.acked: dict[BreachKey, tuple[str, datetime]] = {}
        self.loaded = False
        self.breached_count = 0
        self.unacked: list[tuple[int, str, datetime]] = []
        self._dues: list[DueEntry] = []
        self._static: list[StaticKey] = []
        self._unacked_keys: set[BreachKey] = set()
        self._alarm_dirty = True
        self._check_new = False
        self._pending_emergencies: list[FeedRow] = []
        self._listeners: list[Callable[[FeedUpdate], Any]] = []
        self._thread: threading.Thread | None = None
        self._watcher: ChangeWatcher | None = None
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._applied = asyncio.Event()
        self._thread_versions: dict[int, int] = {}
        self._last_tick: datetime | None = None
        self._alarmed: set[BreachKey] = set()
        self._emergencies_seen: set[int] = set()
        self._alarm_note: Notification | None = None
        self._alarm_text = ""
        self._timer: Any = None
        #: durations of the thread's reads and the UI thread's merges (benchmarks)
        self.read_seconds: list[float] = []
        self.apply_seconds: list[float] = []

    # ------------------------------------------------------------------ life cycle

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def start(self) -> None:
        """Start watching (idempotent). Called when an operator signs in."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="dispatch-feed", daemon=True)
        self._thread.start()
        if self._timer is None:
            self._timer = self.app.set_interval(1.0, self.tick)

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.stop()

    def subscribe(self, listener: Callable[[FeedUpdate], Any]) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[FeedUpdate], Any]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def refresh_now(self) -> None:
        """Ask the thread to re-read at once (after this terminal's own write)."""
        self._poke.set()
        if self._watcher is not None:
            self._watcher.wake()

    async def refreshed(self) -> None:
        """Wait until a fresh read has been applied (tests, and after an action)."""
        self._applied.clear()
        self.refresh_now()
        await self._applied.wait()

    # ------------------------------------------------------------------ the thread

    def _running(self) -> bool:
        return not self._stop.is_set() and self.app.is_running

    def _loop(self) -> None:
        watcher = self._watcher = ChangeWatcher(self.app.engine)
        try:
            while self._running() and self.app.site is None:
                self._stop.wait(0.02)  # the app loads it at start-up, in a worker
            with contextlib.suppress(Exception):  # the next wait() reconnects
                watcher.start()
            first = True
            while self._running():
                if not first:
                    changed = watcher.wait(self.poll_seconds)
                    poked = self._poke.is_set()
                    self._poke.clear()
                    if not poked and (changed is None or not (changed & _RELEVANT)):
                        continue
                first = False
                try:
                    started = time.perf_counter()
                    diff = self._read()
                    self.read_seconds.append(time.perf_counter() - started)
                except Exception as exc:  # shown once, retried on the next change
                    self._post(self._read_failed, exc)
                    continue
                self._post(self._apply, diff)
        finally:
            watcher.close()

    def _post(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self.app.call_from_thread(fn, *args)
        except RuntimeError:  # the app has stopped
            self._stop.set()

    def _read(self) -> FeedDiff:
        site = self.app.site
        assert site is not None and site.id is not None
        settings = self.settings
        known = self._thread_versions
        with read_session(self.app.engine) as session:
            if not known:  # the first read (or nothing open): every row, no diff to make
                rows = load_rows(session, site_id=site.id)
                versions = {r.id: r.version for r in rows}
                full = True
            else:
                versions = open_versions(session, site_id=site.id)
                changed = [i for i, v in versions.items() if known.get(i) != v]
                full = len(changed) > max(200, len(versions) // 2)
                if full:
                    rows = load_rows(session, site_id=site.id)
                elif changed:
                    rows = load_rows(session, site_id=site.id, ids=changed)
                else:
                    rows = []
            acked = acked_breaches(session, site_id=site.id)
        removed = set(known) - set(versions)
        self._thread_versions = {r.id: r.version for r in rows} if full else dict(known)
        if not full:
            for gone in removed:
                self._thread_versions.pop(gone, None)
            for r in rows:
                self._thread_versions[r.id] = r.version
        rules = order_rules(settings)  # looked up once per read, not per order
        return FeedDiff(
            rows=[feed_row(r, settings, rules) for r in rows],
            removed=removed,
            acked=acked,
            full=full,
        )

    # ------------------------------------------------------------------ the UI thread

    def _read_failed(self, exc: Exception) -> None:
        detail = getattr(exc, "message", None) or str(exc).splitlines()[0]
        self.app.notify(t("error.database", detail=detail), severity="error")

    def _apply(self, diff: FeedDiff) -> None:
        """Merge a diff: the sorted structures are patched, not rebuilt, for small diffs."""
        started = time.perf_counter()
        update = FeedUpdate(resorted=True)
        if diff.full:
            update.removed = set(self.rows) - {fr.id for fr in diff.rows}
            self.rows = {}
            self._static = []
            self._dues = []
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
                self._dues.extend(fr.dues)
            else:
                bisect.insort(self._static, fr.skey)
                for entry in fr.dues:
                    bisect.insort(self._dues, entry)
            # an emergency is announced the moment it is reported
            if (
                fr.row.priority == "emergency"
                and fr.row.stage == "reported"
                and fr.id not in self._emergencies_seen
            ):
                self._emergencies_seen.add(fr.id)
                self._pending_emergencies.append(fr)
        if diff.full:
            self._static.sort()
            self._dues.sort()
        self.acked = diff.acked
        self._alarm_dirty = True
        self.loaded = True
        self._resort(utcnow())
        self.tick(resort=False)
        self._emit(update)
        self.apply_seconds.append(time.perf_counter() - started)
        del self.apply_seconds[:-100], self.read_seconds[:-100]
        self._applied.set()

    def _forget(self, fr: FeedRow) -> None:
        _remove(self._static, fr.skey)
        for entry in fr.dues:
            _remove(self._dues, entry)

    def _resort(self, now: datetime) -> None:
        """Urgency order: breached rows first, each part in (emergency, due, id) order.

        A stable partition of the presorted list, so no sort runs on a tick.
        """
        breached = [k[2] for k in self._static if k[1] < now]
        rest = [k[2] for k in self._static if not k[1] < now]
        self.sorted_ids = breached + rest
        self._last_tick = now

    def _emit(self, update: FeedUpdate) -> None:
        for listener in list(self._listeners):
            listener(update)

    def _count(self, now: datetime) -> int:
        """How many open clocks are past due at ``now`` (a bisect: O(log n))."""
        return bisect.bisect_left(self._dues, (now, -1, "", ()))

    def tick(self, resort: bool = True) -> None:
        """Once a second: breached count, the alarm, and a re-sort when a clock crossed.

        Cheap when nothing crossed a limit: the unacknowledged list is rebuilt only when
        the count or the acknowledgements changed.
        """
        if not self.loaded:
            return
        now = utcnow()
        count = self._count(now)
        crossed = False
        if resort and self._last_tick is not None:
            crossed = count != self._count(self._last_tick)
        if count != self.breached_count or self._alarm_dirty:
            self.breached_count = count
            acked = self.acked
            entries = [e for e in self._dues[:count] if e[3] not in acked]
            self.unacked = [(oid, kind, due) for due, oid, kind, _key in entries]
            self._unacked_keys = {e[3] for e in entries}
            self._alarm_dirty = False
            self._check_new = True
        if self.app.breached_count != count:
            self.app.set_breached(count)
        self._alarm()
        if crossed:
            self._resort(now)
            self._emit(FeedUpdate(resorted=True))
        elif resort:
            self._last_tick = now
            self._emit(FeedUpdate())

    # ------------------------------------------------------------------ the alarm

    def _alarm(self) -> None:
        if self.app.operator is None:
            return
        ring = False
        for fr in self._pending_emergencies:
            self.app.notify(
                t(
                    "dispatch.alarm.emergency",
                    id=fr.id,
                    where=fr.row.where,
                    summary=fr.row.summary[:40],
                    minutes=self.settings.workorders.arrival_emergency_minutes,
                ),
                title=t("dispatch.alarm.emergency_title"),
                severity="error",
                timeout=30,
                markup=False,
            )
            ring = True
        self._pending_emergencies = []
        keys = self._unacked_keys
        if self._check_new:
            self._check_new = False
            new = keys - self._alarmed
            self._alarmed = set(keys)
            ring = ring or bool(new)
        if ring:
            self.app.bell()
        if not keys:
            self._drop_alarm_note()
            return
        note = self._alarm_note
        first = self.unacked[0]  # earliest due first
        oldest = self.rows.get(first[0])
        text = t(
            "dispatch.alarm.text",
            count=len(keys),
            id=first[0],
            where=oldest.row.where if oldest else "",
            clock=t(f"dispatch.clock.{first[1]}"),
            key="F9",
        )
        if text != self._alarm_text or note is None or note.has_expired:
            self._drop_alarm_note()
            # stays up until acknowledged (or the breach ends); replaced when it changes
            note = Notification(text, t("dispatch.alarm.title"), "error", 24 * 3600, markup=False)
            self._alarm_note = note
            self._alarm_text = text
            self.app.post_message(Notify(note))

    def _drop_alarm_note(self) -> None:
        note, self._alarm_note = self._alarm_note, None
        self._alarm_text = ""
        # Textual has no public "withdraw this notification"; _unnotify is its own remover
        if note is not None and note in self.app._notifications:
            self.app._unnotify(note)

    def acknowledge(self) -> None:
        """F9: acknowledge every breach alarm now showing, as the signed-in operator."""
        site = self.app.site
        if not self.unacked or site is None or site.id is None:
            self.app.notify(t("dispatch.alarm.nothing"), timeout=3)
            return
        breaches = list(self.unacked)
        site_id = site.id
        when = utcnow()

        def done(count: int) -> None:
            for b in breaches:
                self.acked.setdefault(breach_key(*b), (self.app.actor.name, when))
            self._alarm_dirty = True
            self.tick(resort=False)
            self.app.notify(t("dispatch.alarm.acked", count=len(breaches)), timeout=4)
            self.refresh_now()

        self.app.run_db(
            lambda s: acknowledge_breaches(s, site_id=site_id, breaches=breaches, at=when),
            done,
            write=True,
        )
