"""Callback windows (回访, domain §10) as pure functions of times and settings.

- CB-1: every completed repair is called back (100 %).
- CB-3: urgent repairs within ``callbacks.urgent_hours`` (24 h); leaks after the first rain
  following the repair; ordinary repairs within ``callbacks.general_days`` (a week);
  complaints within ``callbacks.complaint_days`` (CB-4 says 3).
- CB-2: never in the lunch break (``lunch_start``–``lunch_end``), after ``latest`` (21:00)
  or before ``day_start``: a due time that would fall there is moved back to the last
  moment calls are allowed, so the deadline is never later than CB-3 says.

Nothing here reads the database or the wall clock. Used by the dispatch board, the
complaints area, the statistics and the handover.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from shiftdesk.clocks import Clock
from shiftdesk.config import Settings
from shiftdesk.timeutil import as_utc, zone
from shiftdesk.timeutil import parse_hhmm as _parse_hhmm

#: config times are parsed once: the board evaluates these clocks for every open order
parse_hhmm = lru_cache(maxsize=64)(_parse_hhmm)


class CallbackKind(StrEnum):
    URGENT = "urgent"
    LEAK = "leak"
    GENERAL = "general"
    COMPLAINT = "complaint"


def callback_kind(priority: str, leak: bool) -> CallbackKind:
    """CB-3: a leak waits for rain whatever its priority; urgent and emergency within 24 h."""
    if leak:
        return CallbackKind.LEAK
    if priority in ("urgent", "emergency"):
        return CallbackKind.URGENT
    return CallbackKind.GENERAL


def _bounds(settings: Settings) -> tuple[time, time, time, time]:
    cb = settings.callbacks
    return _parsed_bounds(cb.day_start, cb.lunch_start, cb.lunch_end, cb.latest)


@lru_cache(maxsize=16)
def _parsed_bounds(
    day_start: str, lunch_start: str, lunch_end: str, latest: str
) -> tuple[time, time, time, time]:
    """Parsed once per set of values (the board judges thousands of callbacks per read)."""
    return (
        parse_hhmm(day_start),
        parse_hhmm(lunch_start),
        parse_hhmm(lunch_end),
        parse_hhmm(latest),
    )


def _tz(settings: Settings) -> ZoneInfo:
    return zone(settings.site.timezone)


def _at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def in_quiet_period(instant: datetime, settings: Settings) -> bool:
    """CB-2: True in the lunch break, from ``latest`` (21:00) on, and before ``day_start``.

    The edges: 12:00 and 21:00 themselves are still allowed, 12:00:01 is not; 14:00 is
    allowed again (the lunch break is (lunch_start, lunch_end), the day [day_start, latest]).
    """
    day_start, lunch_start, lunch_end, latest = _bounds(settings)
    moment = as_utc(instant).astimezone(_tz(settings)).time()
    if moment < day_start or moment > latest:
        return True
    return lunch_start < moment < lunch_end


def last_allowed_at_or_before(instant: datetime, settings: Settings) -> datetime:
    """The latest moment at or before ``instant`` when a callback may be made (CB-2)."""
    if not in_quiet_period(instant, settings):
        return as_utc(instant)
    _day_start, lunch_start, lunch_end, latest = _bounds(settings)
    tz = _tz(settings)
    local = as_utc(instant).astimezone(tz)
    moment = local.timetz().replace(tzinfo=None)
    if lunch_start < moment < lunch_end:
        return _at(local.date(), lunch_start, tz)
    if moment > latest:
        return _at(local.date(), latest, tz)
    # before day_start: the evening before
    return _at(local.date() - timedelta(days=1), latest, tz)


def next_allowed_at_or_after(instant: datetime, settings: Settings) -> datetime:
    """The earliest moment at or after ``instant`` when a callback may be made (CB-2)."""
    if not in_quiet_period(instant, settings):
        return as_utc(instant)
    day_start, lunch_start, lunch_end, latest = _bounds(settings)
    tz = _tz(settings)
    local = as_utc(instant).astimezone(tz)
    moment = local.timetz().replace(tzinfo=None)
    if lunch_start < moment < lunch_end:
        return _at(local.date(), lunch_end, tz)
    if moment > latest:
        return _at(local.date() + timedelta(days=1), day_start, tz)
    return _at(local.date(), day_start, tz)


def callback_due(
    kind: str,
    started_at: datetime,
    settings: Settings,
    *,
    rained_at: datetime | None = None,
) -> datetime | None:
    """When the callback is due, or None while a leak still waits for rain (CB-3, CB-2).

    ``started_at`` is the completion of the repair (or the complaint's resolution). For a
    leak the window opens when an operator marks that it rained after the repair; the
    callback is then due by ``latest`` on the calling day ``leak_days_after_rain`` after
    the rain (1: the day after the rainy day).
    """
    cb = settings.callbacks
    started_at = as_utc(started_at)
    if kind == CallbackKind.LEAK:
        if rained_at is None or as_utc(rained_at) < started_at:
            return None
        tz = _tz(settings)
        rain_day = as_utc(rained_at).astimezone(tz).date()
        latest = parse_hhmm(cb.latest)
        return _at(rain_day + timedelta(days=cb.leak_days_after_rain), latest, tz)
    if kind == CallbackKind.URGENT:
        nominal = started_at + timedelta(hours=cb.urgent_hours)
    elif kind == CallbackKind.COMPLAINT:
        nominal = started_at + timedelta(days=cb.complaint_days)
    else:
        nominal = started_at + timedelta(days=cb.general_days)
    due = last_allowed_at_or_before(nominal, settings)
    if due < started_at:  # only with a window shorter than a quiet period
        due = next_allowed_at_or_after(nominal, settings)
    return due


def callback_clock(
    kind: str,
    started_at: datetime,
    settings: Settings,
    *,
    done_at: datetime | None = None,
    rained_at: datetime | None = None,
) -> Clock | None:
    """The CB-3 clock of one callback (None while a leak waits for rain)."""
    due = callback_due(kind, started_at, settings, rained_at=rained_at)
    if due is None:
        return None
    start = as_utc(rained_at) if kind == CallbackKind.LEAK and rained_at else as_utc(started_at)
    return Clock(kind="callback", rule="CB-3", started_at=start, due_at=due, done_at=done_at)
