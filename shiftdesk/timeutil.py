"""Time in one place: UTC in storage, the site's zone on screen and in reports.

Everything goes through ``utcnow`` so tests can freeze time (time-machine patches it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shiftdesk.errors import UsageError


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(f"unknown time zone {name!r}") from exc


def as_utc(value: datetime) -> datetime:
    """Refuse naive datetimes: every instant in shiftdesk carries its zone."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: shiftdesk keeps every datetime timezone-aware")
    return value.astimezone(UTC)


def to_local(value: datetime, tz: str | ZoneInfo) -> datetime:
    return as_utc(value).astimezone(tz if isinstance(tz, ZoneInfo) else zone(tz))


def local_day_bounds(day: date, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of a calendar day in the site's zone."""
    z = tz if isinstance(tz, ZoneInfo) else zone(tz)
    start = datetime.combine(day, time(0), tzinfo=z)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=z)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_hhmm(text: str) -> time:
    """Parse ``HH:MM`` (config values such as shift starts and quiet hours)."""
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError) as exc:
        raise UsageError(f"expected a time as HH:MM, got {text!r}") from exc


def parse_instant(text: str, tz: str | ZoneInfo) -> datetime:
    """Parse an ISO date-time from the command line; without an offset it is site-local."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"expected an ISO date-time like 2026-11-22T14:05, got {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz if isinstance(tz, ZoneInfo) else zone(tz))
    return value.astimezone(UTC)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"expected a date as YYYY-MM-DD, got {text!r}") from exc


def in_window(moment: time, start: time, end: time) -> bool:
    """Whether a wall-clock time lies in [start, end), windows may wrap midnight."""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end
