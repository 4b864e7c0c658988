"""The period an archive covers, in the site's days, and the names archives get."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from shiftdesk.archive.codec import iso_utc
from shiftdesk.archive.container import extension
from shiftdesk.archive.selection import Window
from shiftdesk.errors import UsageError
from shiftdesk.i18n import t
from shiftdesk.models import ArchiveRun
from shiftdesk.timeutil import local_day_bounds, to_local

ALL = "all"
DATE = "date"
RANGE = "range"
SINCE_LAST = "since_last"


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC and the site days it spans (inclusive); mode ``all``: no bounds."""

    mode: str
    timezone: str
    start: datetime | None = None
    end: datetime | None = None
    first_day: date | None = None
    last_day: date | None = None

    def window(self) -> Window | None:
        return None if self.mode == ALL else Window(self.start, self.end)

    def manifest(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "from": iso_utc(self.start) if self.start else None,
            "until": iso_utc(self.end) if self.end else None,
            "timezone": self.timezone,
        }


def everything(tz: str) -> Period:
    return Period(ALL, tz)


def one_day(day: date, tz: str) -> Period:
    start, end = local_day_bounds(day, tz)
    return Period(DATE, tz, start, end, day, day)


def day_range(first: date, last: date, tz: str) -> Period:
    if last < first:
        raise UsageError(t("export.err.range_backwards", first=first, last=last))
    start = local_day_bounds(first, tz)[0]
    end = local_day_bounds(last, tz)[1]
    return Period(RANGE, tz, start, end, first, last)


def last_cursor(conn: Connection, site_id: int) -> datetime | None:
    """Where the previous since-last archive of this site ended (exclusive), if any."""
    table = ArchiveRun.__table__  # type: ignore[attr-defined]
    query = select(func.max(table.c.period_to)).where(
        table.c.site_id == site_id, table.c.mode == SINCE_LAST
    )
    return conn.execute(query).scalar()


def since_last(
    cursor: datetime | None, now: datetime, tz: str, *, start_day: date | None = None
) -> Period | None:
    """Everything after the previous since-last archive up to the start of today.

    Whole days only, so the nightly job's archives line up with the site's days; a run
    that finds no complete day since the last one returns None (nothing to do). The very
    first run (no cursor) archives everything up to today, or from ``start_day``.
    """
    today = to_local(now, tz).date()
    end = local_day_bounds(today, tz)[0]
    start = cursor
    if start is None and start_day is not None:
        start = local_day_bounds(start_day, tz)[0]
    if start is not None and start >= end:
        return None
    first_day = to_local(start, tz).date() if start is not None else None
    return Period(SINCE_LAST, tz, start, end, first_day, today - timedelta(days=1))


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
#: the archives ``--keep-days`` may delete: shiftdesk-<site>-...-<last day>.<ext>
ARCHIVE_NAME = re.compile(r"^shiftdesk-.+[-_](\d{4}-\d{2}-\d{2})\.(?:tar\.gz|zip)$")


def archive_name(site_code: str, period: Period, today: date, fmt: str) -> str:
    """shiftdesk-DEMO-2026-11-21.tar.gz; ranges first_last; a full archive all-<today>."""
    site = _UNSAFE.sub("_", site_code) or "site"
    if period.mode == ALL:
        stem = f"all-{today.isoformat()}"
    elif period.first_day is None:
        stem = f"start_{period.last_day}"
    elif period.first_day == period.last_day:
        stem = f"{period.last_day}"
    else:
        stem = f"{period.first_day}_{period.last_day}"
    return f"shiftdesk-{site}-{stem}.{extension(fmt)}"
