"""Verdicts for the reports, from the SAME pure clock functions the board and call form use.

The statistics never decide "on time" themselves. For each record of the period the
queries return a plain row (the record's timestamp columns); this module hands it to the
area's clock builder (``clocks.workorders``, ``clocks.complaints``, ``clocks.callbacks``)
and only tallies the ``Clock.state`` verdicts:

- ``met`` -> on time; ``missed`` (done late) and ``breached`` (still open, past due) -> late;
- ``running`` / ``warning`` (still open, not yet due) -> pending: counted apart, never
  guessed. A clock that runs past midnight (an order reported at 23:59 and dispatched at
  00:02) is judged on its real times, as the board judged it.

The parcels overdue at the end of the period (P-9) are counted in SQL, against the instant
``clocks.parcels.overdue_cutoff`` returns: the function ``clocks.parcels.overdue`` judges
one item by, so the rule still has one implementation (``queries.counts``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shiftdesk.clocks import Clock, ClockState
from shiftdesk.config import Settings

LATE = (ClockState.MISSED, ClockState.BREACHED)

#: the kind of the callback clock (``clocks.callbacks``)
CALLBACK_KIND = "callback"
#: the complaint clocks that say whether the customer was answered in time: ``answer``
#: (CP-1 general, CP-3 major, scheme A) and ``response`` (CP-11, scheme B) ...
ANSWER_KINDS: tuple[str, ...] = ("answer", "response")
#: ... and for a complaint without one (scheme A 重要), CP-4's "handled or feedback in 12 h"
ANSWER_FALLBACK_KINDS: tuple[str, ...] = ("handled",)


@dataclass
class Tally:
    on_time: int = 0
    late: int = 0
    pending: int = 0
    #: seconds from start to done, of the clocks that are done (for medians)
    durations: list[float] = field(default_factory=list)

    def add(self, clock: Clock, now: datetime) -> ClockState:
        state = clock.state(now)
        if state is ClockState.MET:
            self.on_time += 1
        elif state in LATE:
            self.late += 1
        else:
            self.pending += 1
        if clock.done_at is not None:
            self.durations.append((clock.done_at - clock.started_at).total_seconds())
        return state

    def median_seconds(self) -> int | None:
        if not self.durations:
            return None
        return round(statistics.median(self.durations))


@dataclass(frozen=True)
class Breach:
    """A clock breached (open past due) or missed (done late): the report's ``breaches``."""

    record: str  # work_order | complaint | callback
    record_id: int
    kind: str
    rule: str
    due: datetime
    actual: datetime | None
    started: datetime


def breach_of(record: str, record_id: int, clock: Clock) -> Breach:
    return Breach(
        record=record,
        record_id=record_id,
        kind=clock.kind,
        rule=clock.rule,
        due=clock.due_at,
        actual=clock.done_at,
        started=clock.started_at,
    )


@dataclass
class Verdicts:
    """Tallies by clock kind for one kind of record, and every breach among them."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    breaches: list[Breach] = field(default_factory=list)
    #: record id -> [(clock kind, state)], for per-record verdicts
    records: dict[int, list[tuple[str, ClockState]]] = field(default_factory=dict)

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())

    def add(self, record: str, record_id: int, clocks: Iterable[Clock], now: datetime) -> None:
        states = self.records.setdefault(record_id, [])
        for clock in clocks:
            state = self.tally(clock.kind).add(clock, now)
            states.append((clock.kind, state))
            if state in LATE:
                self.breaches.append(breach_of(record, record_id, clock))


def _judge(
    record: str,
    rows: Iterable[Any],
    build: Callable[[Any], Iterable[Clock]],
    now: datetime,
) -> Verdicts:
    verdicts = Verdicts()
    for row in rows:
        verdicts.add(record, int(row.id), build(row), now)
    return verdicts


def record_tally(verdicts: Verdicts, kinds: Iterable[str], fallback: Iterable[str] = ()) -> Tally:
    """One verdict per record from its clocks of ``kinds`` (or of ``fallback`` if it has
    none of those): late if any is late, on time if all are met, else pending."""
    wanted, spare = set(kinds), set(fallback)
    tally = Tally()
    for states in verdicts.records.values():
        picked = [s for kind, s in states if kind in wanted]
        if not picked:
            picked = [s for kind, s in states if kind in spare]
        if not picked:
            continue
        if any(s in LATE for s in picked):
            tally.late += 1
        elif all(s is ClockState.MET for s in picked):
            tally.on_time += 1
        else:
            tally.pending += 1
    return tally


# ---------------------------------------------------------------------------- areas


def order_verdicts(rows: Iterable[Any], settings: Settings, now: datetime) -> Verdicts:
    """Work-order clocks of the period's orders: dispatch (R-2/R-5), arrival (R-3/R-14),
    return (R-13). The order's callback clock is left to ``callback_verdicts``, which
    judges callbacks on the day they fall due, so no callback is counted twice."""
    from shiftdesk.clocks.workorders import order_clocks

    def build(row: Any) -> list[Clock]:
        return [c for c in order_clocks(row, settings) if c.kind != CALLBACK_KIND]

    return _judge("work_order", rows, build, now)


def complaint_verdicts(rows: Iterable[Any], settings: Settings, now: datetime) -> Verdicts:
    """Complaint clocks (CP-1..CP-4 under scheme A, CP-11 under scheme B)."""
    from shiftdesk.clocks.complaints import complaint_clocks

    return _judge("complaint", rows, lambda row: complaint_clocks(row, settings), now)


def callback_verdicts(rows: Iterable[Any], settings: Settings, now: datetime) -> Verdicts:
    """Callback clocks (CB-1..CB-3) of the callbacks due in the period.

    Each row carries the callback's kind and done time plus ``started_at`` (the repair's
    completion or the complaint's resolution) and ``rained_at`` (leaks, CB-3).
    """
    from shiftdesk.clocks.callbacks import callback_clock

    def build(row: Any) -> list[Clock]:
        if row.started_at is None:
            return []
        clock = callback_clock(
            row.kind, row.started_at, settings, done_at=row.done_at, rained_at=row.rained_at
        )
        return [clock] if clock is not None else []

    return _judge("callback", rows, build, now)
