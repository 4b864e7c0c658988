"""Time in one place: UTC in storage, the site's zone on screen and in reports.

Everything goes through ``utcnow`` so tests can freeze time (time-machine patches it).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shiftdesk.errors import UsageError
from shiftdesk.i18n import t

_HHMM = re.compile(r"(\d{1,2}):(\d{1,2})", re.ASCII)


def _typed(text: str) -> str:
    """What the operator meant: full-width digits and colons from a Chinese IME become ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        # OSError: a name such as "." or one with a NUL reaches the file system
        raise UsageError(t("reliability.time.bad_zone", value=name)) from exc


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
    """Parse ``HH:MM`` (config values such as shift starts and quiet hours).

    Cached: the clock rules parse the same few config values for every record they judge
    (a nightly report judges thousands), and a parsed ``time`` is immutable.
    """
    if isinstance(text, str):
        return _parse_hhmm(text)
    raise UsageError(t("reliability.time.bad_hhmm", value=text))


@lru_cache(maxsize=1024)
def _parse_hhmm(text: str) -> time:
    match = _HHMM.fullmatch(_typed(text))
    if match is not None and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    raise UsageError(t("reliability.time.bad_hhmm", value=text))


def parse_instant(text: str, tz: str | ZoneInfo) -> datetime:
    """Parse an ISO date-time from the command line; without an offset it is site-local."""
    try:
        value = datetime.fromisoformat(_typed(text))
    except (ValueError, TypeError) as exc:
        raise UsageError(t("reliability.time.bad_instant", value=text)) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz if isinstance(tz, ZoneInfo) else zone(tz))
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # year 1 east of Greenwich, year 9999 west of it
        raise UsageError(t("reliability.time.out_of_range", value=text)) from exc


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(_typed(text))
    except (ValueError, TypeError) as exc:
        raise UsageError(t("reliability.time.bad_day", value=text)) from exc


def in_window(moment: time, start: time, end: time) -> bool:
    """Whether a wall-clock time lies in [start, end), windows may wrap midnight."""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end
