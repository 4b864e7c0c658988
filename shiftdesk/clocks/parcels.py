"""Parcel time rules as pure functions: reminders (P-9), quiet hours (P-13) and the phone
call a notice slip owes after 72 hours (P-17).

No database, no wall clock: ``now`` and the record's times are passed in, so the overdue
list on the screen, ``parcels remind`` and the tests all reach the same verdict.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from shiftdesk.clocks import Clock
from shiftdesk.timeutil import as_utc, in_window, to_local, zone


def reminder_clock(
    *,
    received_at: datetime,
    last_reminded_at: datetime | None,
    done_at: datetime | None,
    remind_after_days: int,
    remind_every_days: int,
) -> Clock:
    """P-9: unclaimed after ``remind_after_days`` -> remind; then every ``remind_every_days``.

    The clock runs from check-in to the first reminder, then from the last reminder to the
    next. ``done_at`` is when the item left the desk (collected or returned).
    """
    if last_reminded_at is None:
        start, period = received_at, remind_after_days
    else:
        start, period = last_reminded_at, remind_every_days
    return Clock(
        kind="parcel_reminder",
        rule="P-9",
        started_at=start,
        due_at=start + timedelta(days=period),
        done_at=done_at,
    )


def reminder_due(clock: Clock, now: datetime) -> bool:
    """A reminder is due once its clock is past due (exactly at the due instant counts)."""
    return clock.done_at is None and now >= clock.due_at


def waiting_days(received_at: datetime, now: datetime) -> int:
    """Whole days an item has waited at the desk (what the overdue list shows)."""
    return max(0, (as_utc(now) - as_utc(received_at)).days)


def overdue_cutoff(now: datetime, remind_after_days: int) -> datetime:
    """P-9: an item still waiting at ``now`` is overdue if it was checked in at or before
    this instant. ``overdue`` judges one item by it; the statistics count the overdue items
    in SQL against it (``received_at <= cutoff``), so both read the rule from here."""
    return now - timedelta(days=remind_after_days)


def overdue(
    *, received_at: datetime, done_at: datetime | None, now: datetime, remind_after_days: int
) -> bool:
    """Still at the desk ``remind_after_days`` after check-in (P-9's "one week")."""
    return done_at is None and received_at <= overdue_cutoff(now, remind_after_days)


def in_quiet_hours(now: datetime, quiet_start: time, quiet_end: time, tz: str | ZoneInfo) -> bool:
    """P-13: whether ``now`` (site time) falls in [quiet_start, quiet_end), wrapping midnight."""
    return in_window(to_local(now, tz).time(), quiet_start, quiet_end)


def next_allowed(now: datetime, quiet_start: time, quiet_end: time, tz: str | ZoneInfo) -> datetime:
    """The first instant at or after ``now`` a resident may be notified (P-13).

    Outside quiet hours that is ``now``; inside, it is the next ``quiet_end`` in site time
    ("they wait for the morning"). Returned in UTC.
    """
    z = tz if isinstance(tz, ZoneInfo) else zone(tz)
    if not in_quiet_hours(now, quiet_start, quiet_end, z):
        return as_utc(now)
    local = to_local(now, z)
    candidate = datetime.combine(local.date(), quiet_end, tzinfo=z)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), quiet_end, tzinfo=z)
    return as_utc(candidate)


def retry_delay(attempts: int, base_seconds: int, *, cap_seconds: int = 6 * 3600) -> timedelta:
    """Exponential backoff after ``attempts`` failed tries: base, 2x base, 4x base ... capped."""
    exponent = max(0, attempts - 1)
    seconds = base_seconds * (2 ** min(exponent, 20))
    return timedelta(seconds=min(seconds, cap_seconds))


def slip_call_clock(
    *,
    issued_at: datetime,
    phoned_at: datetime | None,
    done_at: datetime | None,
    hours: int,
    quiet_start: time,
    quiet_end: time,
    tz: str | ZoneInfo,
) -> Clock:
    """P-17: ``hours`` (72) after a notice slip, an item still uncollected means a phone call
    to the owner; a due time in P-13's quiet hours (no calls after 21:30) moves to the
    morning. The clock stops at the first phone contact after the slip, or when the item
    left the desk (``done_at``: collected or returned), whichever came first; either after
    the due time is a missed call."""
    issued = as_utc(issued_at)
    ends = [as_utc(m) for m in (phoned_at, done_at) if m is not None]
    return Clock(
        kind="slip_call",
        rule="P-17",
        started_at=issued,
        due_at=next_allowed(issued + timedelta(hours=hours), quiet_start, quiet_end, tz),
        done_at=min(ends) if ends else None,
    )
