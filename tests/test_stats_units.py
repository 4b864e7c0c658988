"""Pure parts of the statistics: periods and time zones, verdict tallies, layout and labels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shiftdesk.clocks import Clock, ClockState
from shiftdesk.errors import UsageError
from shiftdesk.i18n import catalog, has, set_locale
from shiftdesk.stats import judge, render
from shiftdesk.stats.build import _hourly, _per_day
from shiftdesk.stats.periods import day_period, make_period, month_period, range_period

SHANGHAI = "Asia/Shanghai"


# ------------------------------------------------------------------------------- periods


def test_yesterday_is_taken_in_the_site_zone_not_in_utc() -> None:
    # 2026-11-21 16:30 UTC is already 00:30 on the 22nd in Shanghai: yesterday is the 21st
    now = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    assert day_period(None, SHANGHAI, now).first == date(2026, 11, 21)
    # 15:59 UTC is still 23:59 on the 21st in Shanghai: yesterday is the 20th
    assert day_period(None, SHANGHAI, now - timedelta(minutes=31)).first == date(2026, 11, 20)


def test_a_shanghai_day_is_24_hours_from_local_midnight() -> None:
    p = day_period("2026-11-20", SHANGHAI, datetime(2026, 11, 22, tzinfo=UTC))
    assert p.start == datetime(2026, 11, 19, 16, tzinfo=UTC)
    assert p.end - p.start == timedelta(hours=24)
    assert [h["hour"] for h in _hourly({}, p)] == [f"{h:02d}:00" for h in range(24)]


def test_daylight_saving_days_have_23_and_25_local_hours() -> None:
    spring = make_period("day", date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin")
    autumn = make_period("day", date(2026, 10, 25), date(2026, 10, 25), "Europe/Berlin")
    assert spring.end - spring.start == timedelta(hours=23)
    assert autumn.end - autumn.start == timedelta(hours=25)
    hours = [h["hour"] for h in _hourly({2: 5}, spring)]
    assert "02:00" not in hours and hours[2] == "03:00"
    assert [h["hour"] for h in _hourly({}, autumn)].count("02:00") == 2
    # every hour bucket still lands on its local day
    assert _per_day({0: 1, 22: 2}, spring) == {date(2026, 3, 29): 3}


def test_month_defaults_to_the_previous_month_across_new_year() -> None:
    january = datetime(2027, 1, 1, 1, tzinfo=UTC)  # 09:00 on 1 Jan in Shanghai
    p = month_period(None, SHANGHAI, january)
    assert (p.first, p.last, p.label) == (date(2026, 12, 1), date(2026, 12, 31), "2026-12")
    feb = month_period("2028-02", SHANGHAI, january)
    assert (feb.last, feb.days) == (date(2028, 2, 29), 29)


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "Nov", "", "2026-11-01"])
def test_bad_months_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        month_period(text, SHANGHAI, datetime(2026, 11, 22, tzinfo=UTC))


def test_ranges_are_inclusive_ordered_and_bounded() -> None:
    week = range_period("2026-11-16", "2026-11-22", SHANGHAI)
    assert (week.days, week.label) == (7, "2026-11-16..2026-11-22")
    with pytest.raises(UsageError, match="before it starts"):
        range_period("2026-11-22", "2026-11-16", SHANGHAI)
    with pytest.raises(UsageError, match="at most 366"):
        range_period("2025-01-01", "2026-12-31", SHANGHAI)
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        range_period("2026-11-31", "2026-12-01", SHANGHAI)


# ------------------------------------------------------------------------------- verdicts


T0 = datetime(2026, 11, 20, 2, tzinfo=UTC)


def clock(kind: str, minutes_done: int | None, limit: int = 10) -> Clock:
    done = None if minutes_done is None else T0 + timedelta(minutes=minutes_done)
    return Clock(kind, "R-2", T0, T0 + timedelta(minutes=limit), done)


def test_tally_counts_met_missed_breached_and_pending() -> None:
    now = T0 + timedelta(minutes=30)
    verdicts = judge.Verdicts()
    verdicts.add("work_order", 1, [clock("dispatch", 10)], now)  # exactly at the limit: met
    verdicts.add("work_order", 2, [clock("dispatch", 11)], now)  # missed
    verdicts.add("work_order", 3, [clock("dispatch", None)], now)  # open past due: breached
    verdicts.add("work_order", 4, [clock("dispatch", None, limit=60)], now)  # pending
    tally = verdicts.tally("dispatch")
    assert (tally.on_time, tally.late, tally.pending) == (1, 2, 1)
    assert tally.median_seconds() == 630  # done clocks only: 600 and 660
    assert [(b.record_id, b.actual is None) for b in verdicts.breaches] == [(2, False), (3, True)]


def test_one_verdict_per_record_with_a_fallback_clock() -> None:
    now = T0 + timedelta(minutes=30)
    verdicts = judge.Verdicts()
    verdicts.add("complaint", 1, [clock("answer", 5), clock("handled", 50)], now)
    verdicts.add("complaint", 2, [clock("answer", 5), clock("answer", 20)], now)
    verdicts.add("complaint", 3, [clock("fix", None, 600), clock("handled", None, 5)], now)
    verdicts.add("complaint", 4, [clock("fix", 1)], now)  # neither answer nor fallback
    tally = judge.record_tally(verdicts, ("answer",), ("handled",))
    # 1 on time (its answer clock; handled ignored), 2 late, 3 late via its handled clock
    assert (tally.on_time, tally.late, tally.pending) == (1, 2, 0)


def test_clock_states_used_by_the_tally_are_the_shared_ones() -> None:
    assert judge.LATE == (ClockState.MISSED, ClockState.BREACHED)


# ------------------------------------------------------------------------------- layout


def test_display_for_people() -> None:
    assert render.display("median_dispatch_seconds", 150) == "2:30"
    assert render.display("late_seconds", 3725) == "1:02:05"
    assert render.display("callback_rate", 0.5) == "50.0%"
    assert render.display("callback_rate", None) == "—"
    assert render.display("due", "2026-11-20T09:00:00+08:00") == "11-20 09:00"
    set_locale("zh_CN")
    assert render.display("stage", "unfinished") == "未完成"
    assert render.display("trade", "plumbing") == "水暖"
    set_locale("en")


def test_excel_sheet_names_are_short_clean_and_unique() -> None:
    used: set[str] = set()
    long = "Same matter complained about 2+ times: [a/b]"
    first = render._sheet_name(long, used)
    second = render._sheet_name(long, used)
    assert len(first) <= 31 and len(second) <= 31
    assert first != second
    assert not set("[]:*?/\\") & set(first + second)


def test_every_stats_label_exists_in_both_languages() -> None:
    texts = {k: v for k, v in catalog().items() if k.startswith("stats.")}
    assert texts and all(v.get("en") and v.get("zh_CN") for v in texts.values())
    for key in ("dispatch_late", "overdue_7d", "callback_rate", "completed_in_period", "refused"):
        assert has(f"stats.metric.{key}")
    for column in render.UNFINISHED_COLUMNS + render.BREACH_COLUMNS + render.REWORK_COLUMNS:
        assert has(f"stats.col.{column}"), column
