"""The live dispatch feed: every open work order of the site, kept current on every terminal.

One feed per app (``app.dispatch_feed``), started once an operator has signed in and the
site is known, so the breach alarm sounds on every signed-in terminal whatever screen it
shows. The data half (rows, sort keys, the keyed diff) is ``shiftdesk.board``; this is the
half that waits, ticks and rings:

- Each round is one of the app's workers (``run_task``, the UI's one way off its thread):
  it waits on ``shiftdesk.changes.ChangeWatcher`` (SQLite ``data_version``, PostgreSQL
  LISTEN/NOTIFY) for at most ``poll_seconds``; on a change it calls
  ``shiftdesk.board.read_diff`` (only ``(id, version)`` of the open orders, then the full
  rows of the ids whose version moved, clocks computed there too), and the UI thread
  merges the result into the ``Board``. The next round starts when this one is applied,
  so rounds never overlap, and a round is short: ``app.workers.wait_for_complete()`` in
  tests never waits on a loop that does not end.
- Once a second (UI thread) the feed counts breached clocks with a bisect over the sorted
  due times, sets the status bar (``set_breached``), and raises the alarm for breaches
  nobody acknowledged: a notification that stays up, and the terminal bell for each new one.
  An operator acknowledges with F9 (``acknowledge``): who and when go into ``breach_ack``,
  and every other terminal stops alarming for those breaches at its next read.
- Screens subscribe to ``FeedUpdate``s (the board applies them as a keyed diff).

The feed takes the engine and the settings, and the site at ``start``; what it needs of
the app (workers, timers, notifications, the status bar) is the ``FeedHost`` protocol, so
this module does not import the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.engine import Engine
from textual.message import Message
from textual.notifications import Notification, Notify, SeverityLevel
from textual.timer import Timer

from screens.errors import error_text
from shiftdesk.board import Acked, Board, FeedDiff, FeedRow, FeedUpdate, read_diff
from shiftdesk.changes import ChangeWatcher
from shiftdesk.config import Settings
from shiftdesk.db import Actor, read_session
from shiftdesk.i18n import t
from shiftdesk.models import Operator, Site
from shiftdesk.timeutil import utcnow
from shiftdesk.workorders import BreachKey, acknowledge_breaches, breach_key

__all__ = ["DispatchFeed", "FeedHost", "FeedRow", "FeedUpdate"]

T = TypeVar("T")

#: tables whose change can alter the board (PostgreSQL tells us which tables changed)
_RELEVANT = {"*", "work_order", "breach_ack", "unit", "callback"}


class FeedHost(Protocol):
    """What the feed uses of the app (``ShiftdeskApp`` is one)."""

    operator: Operator | None
    actor: Actor
    site: Site | None
    breached_count: int

    @property
    def is_running(self) -> bool: ...

    def run_task(
        self,
        fn: Callable[[], T],
        done: Callable[[T], Any] | None = None,
        *,
        error: Callable[[Exception], Any] | None = None,
        group: str = ...,
        exclusive: bool = ...,
    ) -> None: ...

    def run_db(self, fn: Any, done: Any = None, *, write: bool = ...) -> None: ...

    def set_interval(self, interval: float, callback: Callable[[], Any]) -> Timer: ...

    def set_breached(self, count: int) -> None: ...

    def notify(
        self,
        message: str,
        *,
        title: str = ...,
        severity: SeverityLevel = ...,
        timeout: float | None = ...,
        markup: bool = ...,
    ) -> None: ...

    def post_message(self, message: Message) -> bool: ...

    def bell(self) -> None: ...

    def _unnotify(self, notification: Notification, refresh: bool = True) -> None: ...

    @property
    def _notifications(self) -> Any: ...


class DispatchFeed:
    #: how long a round's wait blocks (also the latency of a forced refresh)
    poll_seconds = 0.25

    def __init__(self, host: FeedHost, engine: Engine, settings: Settings) -> None:
        self.host = host
        self.engine = engine
        self.settings = settings
        self.board = Board()
        self.site_id: int | None = None
        self.loaded = False
        self.breached_count = 0
        self.unacked: list[tuple[int, str, datetime]] = []
        self._unacked_keys: set[BreachKey] = set()
        self._alarm_dirty = True
        self._check_new = False
        self._pending_emergencies: list[FeedRow] = []
        self._listeners: list[Callable[[FeedUpdate], Any]] = []
        self._watcher: ChangeWatcher | None = None
        self._first = True
        self._stop = threading.Event()
        self._poke = threading.Event()
        self._applied = asyncio.Event()
        self._thread_versions: dict[int, int] = {}
        self._last_tick: datetime | None = None
        self._alarmed: set[BreachKey] = set()
        self._emergencies_seen: set[int] = set()
        self._alarm_note: Notification | None = None
        self._alarm_text = ""
        self._timer: Timer | None = None
        #: durations of the worker's reads and the UI thread's merges (benchmarks)
        self.read_seconds: list[float] = []
        self.apply_seconds: list[float] = []

    # ------------------------------------------------------------------ the board

    @property
    def rows(self) -> dict[int, FeedRow]:
        return self.board.rows

    @property
    def sorted_ids(self) -> list[int]:
        return self.board.sorted_ids

    @property
    def acked(self) -> Acked:
        return self.board.acked

    # ------------------------------------------------------------------ life cycle

    def start(self, site: Site | None = None) -> None:
        """Start watching ``site`` (default: the app's); idempotent. Called at sign-in."""
        site = site or self.host.site
        if site is None or site.id is None:
            return
        if self._watcher is not None and not self._stop.is_set():
            return
        self.site_id = site.id
        self._stop.clear()
        self._watcher = ChangeWatcher(self.engine)
        self._first = True
        self._next_round()
        if self._timer is None:
            self._timer = self.host.set_interval(1.0, self.tick)

    def stop(self) -> None:
        """Stop after the round in flight (the app calls this when it closes)."""
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
        """Ask the feed to re-read at once (after this terminal's own write)."""
        self._poke.set()
        if self._watcher is not None:
            self._watcher.wake()

    async def refreshed(self) -> None:
        """Wait until a fresh read has been applied (tests, and after an action)."""
        self._applied.clear()
        self.refresh_now()
        await self._applied.wait()

    # ------------------------------------------------------------------ the rounds

    def _next_round(self) -> None:
        if self._stop.is_set() or not self.host.is_running:
            return
        self.host.run_task(
            self._round, self._round_done, error=self._round_failed, group="dispatch-feed"
        )

    def _round(self) -> FeedDiff | None:
        """In the worker: wait for a change (not on the first round), then read the diff."""
        watcher = self._watcher
        assert watcher is not None and self.site_id is not None
        if self._stop.is_set():
            watcher.close()
            return None
        if self._first:
            self._first = False
            with contextlib.suppress(Exception):  # the next wait() reconnects
                watcher.start()
        else:
            changed = watcher.wait(self.poll_seconds)
            poked = self._poke.is_set()
            self._poke.clear()
            if self._stop.is_set():
                watcher.close()
                return None
            if not poked and (changed is None or not (changed & _RELEVANT)):
                return None
        started = time.perf_counter()
        with read_session(self.engine) as session:
            diff, self._thread_versions = read_diff(
                session, self.settings, self.site_id, self._thread_versions
            )
        self.read_seconds.append(time.perf_counter() - started)
        return diff

    def _round_done(self, diff: FeedDiff | None) -> None:
        if diff is not None:
            self._apply(diff)
        self._next_round()

    def _round_failed(self, exc: Exception) -> None:
        """Shown once per failed read (the app's error dialog for a broken environment);
        the next round retries on the next change."""
        self.host.notify(t("error.database", detail=error_text(exc)), severity="error")
        self._next_round()

    # ------------------------------------------------------------------ the UI thread

    def _apply(self, diff: FeedDiff) -> None:
        """Merge a diff: the sorted structures are patched, not rebuilt, for small diffs."""
        started = time.perf_counter()
        update, rows = self.board.merge(diff)
        for fr in rows:
            # an emergency is announced the moment it is reported
            if (
                fr.row.priority == "emergency"
                and fr.row.stage == "reported"
                and fr.id not in self._emergencies_seen
            ):
                self._emergencies_seen.add(fr.id)
                self._pending_emergencies.append(fr)
        self._alarm_dirty = True
        self.loaded = True
        self._resort(utcnow())
        self.tick(resort=False)
        self._emit(update)
        self.apply_seconds.append(time.perf_counter() - started)
        del self.apply_seconds[:-100], self.read_seconds[:-100]
        self._applied.set()

    def _resort(self, now: datetime) -> None:
        self.board.resort(now)
        self._last_tick = now

    def _emit(self, update: FeedUpdate) -> None:
        for listener in list(self._listeners):
            listener(update)

    def _count(self, now: datetime) -> int:
        return self.board.count(now)

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
            entries = [e for e in self.board.dues[:count] if e[3] not in acked]
            self.unacked = [(oid, kind, due) for due, oid, kind, _key in entries]
            self._unacked_keys = {e[3] for e in entries}
            self._alarm_dirty = False
            self._check_new = True
        if self.host.breached_count != count:
            self.host.set_breached(count)
        self._alarm()
        if crossed:
            self._resort(now)
            self._emit(FeedUpdate(resorted=True))
        elif resort:
            self._last_tick = now
            self._emit(FeedUpdate())

    # ------------------------------------------------------------------ the alarm

    def _alarm(self) -> None:
        if self.host.operator is None:
            return
        ring = False
        for fr in self._pending_emergencies:
            self.host.notify(
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
            self.host.bell()
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
            self.host.post_message(Notify(note))

    def _drop_alarm_note(self) -> None:
        note, self._alarm_note = self._alarm_note, None
        self._alarm_text = ""
        # Textual has no public "withdraw this notification"; _unnotify is its own remover
        if note is not None and note in self.host._notifications:
            self.host._unnotify(note)

    def acknowledge(self) -> None:
        """F9: acknowledge every breach alarm now showing, as the signed-in operator."""
        site_id = self.site_id
        if not self.unacked or site_id is None:
            self.host.notify(t("dispatch.alarm.nothing"), timeout=3)
            return
        breaches = list(self.unacked)
        when = utcnow()

        def done(count: int) -> None:
            for b in breaches:
                self.acked.setdefault(breach_key(*b), (self.host.actor.name, when))
            self._alarm_dirty = True
            self.tick(resort=False)
            self.host.notify(t("dispatch.alarm.acked", count=len(breaches)), timeout=4)
            self.refresh_now()

        self.host.run_db(
            lambda s: acknowledge_breaches(s, site_id=site_id, breaches=breaches, at=when),
            done,
            write=True,
        )
