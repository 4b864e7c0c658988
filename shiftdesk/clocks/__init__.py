"""Clock rules as pure functions: the board's red and the report's "late" are one verdict.

A ``Clock`` is one time limit on one record (dispatch within 3 minutes, answer within 30).
Area modules (``clocks.complaints``, ``clocks.workorders``, ``clocks.callbacks``) build
clocks from records and settings; screens, commands and statistics only read them.
Nothing here touches the database or the wall clock: ``now`` is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ClockState(StrEnum):
    RUNNING = "running"  # open, more than the warning margin left
    WARNING = "warning"  # open, within the warning margin (amber)
    BREACHED = "breached"  # open, past due (red)
    MET = "met"  # done on or before the due time
    MISSED = "missed"  # done, but after the due time


@dataclass(frozen=True)
class Clock:
    """One time limit: ``rule`` is the rule id (R-2, CP-1 ...), ``kind`` a stable key."""

    kind: str
    rule: str
    started_at: datetime
    due_at: datetime
    done_at: datetime | None = None

    def state(self, now: datetime, warn: timedelta = timedelta(seconds=60)) -> ClockState:
        """Due at exactly ``due_at`` is on time; one second later is late."""
        if self.done_at is not None:
            return ClockState.MET if self.done_at <= self.due_at else ClockState.MISSED
        return open_state(self.due_at, now, warn)

    def remaining(self, now: datetime) -> timedelta:
        """Time left (negative once breached); for a done clock, the margin it was done by."""
        return self.due_at - (self.done_at or now)

    def on_time(self) -> bool | None:
        """True/False once done; None while still open."""
        if self.done_at is None:
            return None
        return self.done_at <= self.due_at

    def breached(self, now: datetime) -> bool:
        return self.state(now) in (ClockState.BREACHED, ClockState.MISSED)


def open_state(
    due_at: datetime, now: datetime, warn: timedelta = timedelta(seconds=60)
) -> ClockState:
    """The state of a clock still running toward ``due_at`` (a stored due time is enough)."""
    if now > due_at:
        return ClockState.BREACHED
    if due_at - now <= warn:
        return ClockState.WARNING
    return ClockState.RUNNING


def format_remaining(delta: timedelta) -> str:
    """mm:ss (or h:mm:ss past an hour), with a minus sign once breached."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes:02d}:{secs:02d}"
