"""Report periods: a day, a month or any range of days, in the site's time zone.

A period is a run of whole local calendar days; its UTC bounds come from
``timeutil.local_day_bounds`` so a zone without daylight saving (Asia/Shanghai) gives days of
exactly 24 hours, and a zone with it gives 23- or 25-hour days without any special case here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shiftdesk.errors import UsageError
from shiftdesk.i18n import t
from shiftdesk.timeutil import local_day_bounds, to_local, zone


def parse_day(text: str) -> date:
    """A ``YYYY-MM-DD`` date from the command line; anything else is a usage error (exit 2)."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise UsageError(t("stats.err.bad_date", text=text)) from None


@dataclass(frozen=True)
class Period:
    """Local days ``first`` .. ``last`` (both included) and their UTC bounds [start, end)."""

    kind: str  # day | month | range
    first: date
    last: date
    tz: str
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def day_list(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def day_bounds(self) -> list[tuple[date, datetime, datetime]]:
        out = []
        for d in self.day_list():
            s, e = local_day_bounds(d, self.tz)
            out.append((d, s, e))
        return out


def make_period(kind: str, first: date, last: date, tz: str | ZoneInfo) -> Period:
    name = tz.key if isinstance(tz, ZoneInfo) else tz
    zone(name)
    if last < first:
        raise UsageError(t("stats.err.range_order", first=first, last=last))
    start, _ = local_day_bounds(first, name)
    _, end = local_day_bounds(last, name)
    return Period(kind=kind, first=first, last=last, tz=name, start=start, end=end)


def local_today(now: datetime, tz: str) -> date:
    return to_local(now, tz).date()


def day_period(text: str | None, tz: str, now: datetime) -> Period:
    """``--date``: a local calendar day; default yesterday in the site's zone (S-1)."""
    day = parse_day(text) if text is not None else local_today(now, tz) - timedelta(days=1)
    return make_period("day", day, day, tz)


def parse_month(text: str) -> date:
    try:
        year_s, month_s = text.strip().split("-")
        if len(year_s) != 4 or len(month_s) != 2:
            raise ValueError(text)
        return date(int(year_s), int(month_s), 1)
    except ValueError:
        raise UsageError(t("stats.err.bad_month", text=text)) from None


def month_period(text: str | None, tz: str, now: datetime) -> Period:
    """``--month``: default the previous month, the one S-3 reports on by the 1st."""
    if text is not None:
        first = parse_month(text)
    else:
        this_month = local_today(now, tz).replace(day=1)
        first = (this_month - timedelta(days=1)).replace(day=1)
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return make_period("month", first, nxt - timedelta(days=1), tz)


#: the longest range one report covers (a year and a day: a quarter is ~92 days)
MAX_RANGE_DAYS = 366


def range_period(start_text: str, end_text: str, tz: str) -> Period:
    """``--from`` .. ``--to`` inclusive: a week (S-4), a quarter (S-6) or any run of days."""
    first, last = parse_day(start_text), parse_day(end_text)
    period = make_period("range", first, last, tz)
    if period.days > MAX_RANGE_DAYS:
        raise UsageError(t("stats.err.range_too_long", max=MAX_RANGE_DAYS, days=period.days))
    return period
