"""Every work-order and callback clock rule at its boundaries (pure functions, fixed times).

Times are written in site time (Asia/Shanghai) via ``local``; the clocks work in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shiftdesk.clocks import ClockState
from shiftdesk.clocks.callbacks import (
    callback_due,
    callback_kind,
    in_quiet_period,
    last_allowed_at_or_before,
    next_allowed_at_or_after,
)
from shiftdesk.clocks.workorders import (
    is_night,
    next_clock,
    order_clocks,
    route_team,
    urgency_key,
)
from shiftdesk.config import Settings
from tests.orders_helpers import Order

SH = ZoneInfo("Asia/Shanghai")


def local(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """An instant given in site time on November ``day`` 2026 (the 23rd is a Monday)."""
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=SH).astimezone(UTC)


def clock(order: Order, kind: str, settings: Settings):  # type: ignore[no-untyped-def]
    found = [c for c in order_clocks(order, settings) if c.kind == kind]
    assert found, f"no {kind} clock"
    return found[0]


# ------------------------------------------------------------------ dispatch


def test_dispatch_within_three_minutes_r2(settings: Settings) -> None:
    order = Order(reported_at=local(23, 10))
    c = clock(order, "dispatch", settings)
    assert c.rule == "R-2"
    assert c.due_at == local(23, 10, 3)
    assert c.state(local(23, 10, 1, 59)) == ClockState.RUNNING
    assert c.state(local(23, 10, 2, 0)) == ClockState.WARNING  # 60 s warning margin
    assert c.state(local(23, 10, 3, 0)) == ClockState.WARNING  # exactly on time
    assert c.state(local(23, 10, 3, 1)) == ClockState.BREACHED


def test_dispatch_done_on_the_boundary_is_met_one_second_later_missed(settings: Settings) -> None:
    on_time = Order(reported_at=local(23, 10), dispatched_at=local(23, 10, 3), stage="dispatched")
    late = Order(reported_at=local(23, 10), dispatched_at=local(23, 10, 3, 1), stage="dispatched")
    assert clock(on_time, "dispatch", settings).state(local(23, 11)) == ClockState.MET
    assert clock(late, "dispatch", settings).state(local(23, 11)) == ClockState.MISSED


def test_dispatch_minutes_configurable_r8(settings: Settings) -> None:
    settings.workorders.dispatch_minutes = 5
    c = clock(Order(reported_at=local(23, 10)), "dispatch", settings)
    assert c.due_at == local(23, 10, 5)
    assert c.state(local(23, 10, 4, 59)) == ClockState.WARNING
    assert c.state(local(23, 10, 5, 1)) == ClockState.BREACHED


def test_redispatch_keeps_the_first_dispatch_for_r2(settings: Settings) -> None:
    order = Order(
        reported_at=local(23, 10),
        first_dispatched_at=local(23, 10, 2),
        dispatched_at=local(24, 9),
        stage="dispatched",
    )
    assert clock(order, "dispatch", settings).state(local(24, 9, 1)) == ClockState.MET
    # ... while the arrival clock restarts from the new dispatch
    assert clock(order, "arrival", settings).due_at == local(24, 9, 15)


# ------------------------------------------------------------------ arrival


def test_arrival_fifteen_minutes_normal_r3(settings: Settings) -> None:
    order = Order(reported_at=local(23, 10), dispatched_at=local(23, 10, 2), stage="dispatched")
    c = clock(order, "arrival", settings)
    assert (c.rule, c.due_at) == ("R-3", local(23, 10, 17))
    assert c.state(local(23, 10, 17)) == ClockState.WARNING
    assert c.state(local(23, 10, 17, 1)) == ClockState.BREACHED


def test_arrival_ten_minutes_urgent_r3(settings: Settings) -> None:
    order = Order(
        reported_at=local(23, 10),
        priority="urgent",
        dispatched_at=local(23, 10, 2),
        stage="accepted",
    )
    c = clock(order, "arrival", settings)
    assert c.due_at == local(23, 10, 12)
    assert c.state(local(23, 10, 12, 1)) == ClockState.BREACHED
    arrived = Order(**{**order.__dict__, "arrived_at": local(23, 10, 12), "stage": "arrived"})
    assert clock(arrived, "arrival", settings).state(local(23, 11)) == ClockState.MET


def test_no_arrival_clock_before_dispatch(settings: Settings) -> None:
    kinds = [c.kind for c in order_clocks(Order(reported_at=local(23, 10)), settings)]
    assert kinds == ["dispatch"]


def test_emergency_on_site_within_five_minutes_of_report_r14(settings: Settings) -> None:
    order = Order(reported_at=local(23, 10), priority="emergency")
    c = clock(order, "arrival", settings)
    assert (c.rule, c.started_at, c.due_at) == ("R-14", local(23, 10), local(23, 10, 5))
    assert c.state(local(23, 10, 5)) == ClockState.WARNING
    assert c.state(local(23, 10, 5, 1)) == ClockState.BREACHED


# ------------------------------------------------------------------ R-13 return by 17:00


def test_return_by_1700_of_the_dispatch_day_r13(settings: Settings) -> None:
    order = Order(reported_at=local(23, 16), dispatched_at=local(23, 16, 30), stage="arrived")
    c = clock(order, "return", settings)
    assert c.due_at == local(23, 17)
    assert c.state(local(23, 17, 0, 0)) == ClockState.WARNING
    assert c.state(local(23, 17, 0, 1)) == ClockState.BREACHED


def test_unfinished_with_reason_before_1700_is_returned_r13(settings: Settings) -> None:
    order = Order(
        reported_at=local(23, 16),
        dispatched_at=local(23, 16, 30),
        unfinished_at=local(23, 16, 59),
        stage="unfinished",
    )
    assert clock(order, "return", settings).state(local(23, 18)) == ClockState.MET
    # an unfinished order waits for a re-dispatch: no clock keeps running on it
    assert next_clock(order, settings, local(23, 18)) is None


def test_dispatched_after_1700_returns_next_day_r13(settings: Settings) -> None:
    order = Order(reported_at=local(23, 17), dispatched_at=local(23, 17, 0, 1), stage="dispatched")
    assert clock(order, "return", settings).due_at == local(24, 17)
    exactly = Order(reported_at=local(23, 16), dispatched_at=local(23, 17), stage="dispatched")
    assert clock(exactly, "return", settings).due_at == local(23, 17)


# ------------------------------------------------------------------ R-5 night routing


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "night"),
    [(19, 59, 59, False), (20, 0, 0, True), (23, 30, 0, True), (7, 59, 59, True), (8, 0, 0, False)],
)
def test_night_routing_to_control_room_r5(
    settings: Settings, hh: int, mm: int, ss: int, night: bool
) -> None:
    at = local(23, hh, mm, ss)
    assert is_night(at, settings) is night
    order = Order(reported_at=at)
    assert route_team(order, settings) == ("security" if night else "engineering")
    assert clock(order, "dispatch", settings).rule == ("R-5" if night else "R-2")


def test_night_flag_from_the_call_form_routes_at_night(settings: Settings) -> None:
    order = Order(reported_at=local(23, 19, 59), night=True)
    assert route_team(order, settings) == "security"
    settings.workorders.night_team = "engineering"
    assert route_team(order, settings) == "engineering"


def test_route_team_follows_the_moment_of_dispatch(settings: Settings) -> None:
    order = Order(reported_at=local(23, 19, 50))
    assert route_team(order, settings, now=local(23, 20, 1)) == "security"


# ------------------------------------------------------------------ CB-2 quiet hours


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "quiet"),
    [
        (7, 59, 59, True),
        (8, 0, 0, False),
        (11, 59, 59, False),
        (12, 0, 0, False),
        (12, 0, 1, True),
        (13, 59, 59, True),
        (14, 0, 0, False),
        (21, 0, 0, False),
        (21, 0, 1, True),
        (23, 0, 0, True),
    ],
)
def test_no_callbacks_at_lunch_or_after_2100_cb2(
    settings: Settings, hh: int, mm: int, ss: int, quiet: bool
) -> None:
    assert in_quiet_period(local(23, hh, mm, ss), settings) is quiet


def test_allowed_moments_around_quiet_periods_cb2(settings: Settings) -> None:
    assert last_allowed_at_or_before(local(23, 12, 30), settings) == local(23, 12)
    assert next_allowed_at_or_after(local(23, 12, 30), settings) == local(23, 14)
    assert last_allowed_at_or_before(local(23, 22), settings) == local(23, 21)
    assert next_allowed_at_or_after(local(23, 22), settings) == local(24, 8)
    assert last_allowed_at_or_before(local(24, 6), settings) == local(23, 21)
    assert next_allowed_at_or_after(local(24, 6), settings) == local(24, 8)


# ------------------------------------------------------------------ CB-3 windows


def test_urgent_callback_within_24h_cb3(settings: Settings) -> None:
    assert callback_due("urgent", local(23, 10), settings) == local(24, 10)


def test_urgent_callback_never_due_in_the_lunch_break_cb2(settings: Settings) -> None:
    # 24 h after 12:30 is lunch time: due at 12:00, the last moment before the break
    assert callback_due("urgent", local(23, 12, 30), settings) == local(24, 12)


def test_callback_never_due_after_2100_cb2(settings: Settings) -> None:
    assert callback_due("urgent", local(23, 22), settings) == local(24, 21)
    assert callback_due("urgent", local(23, 7), settings) == local(23, 21)


def test_general_callback_within_a_week_cb3(settings: Settings) -> None:
    assert callback_due("general", local(16, 10), settings) == local(23, 10)
    assert callback_due("general", local(16, 13), settings) == local(23, 12)
    settings.callbacks.general_days = 3
    assert callback_due("general", local(16, 10), settings) == local(19, 10)


def test_complaint_callback_days_configurable_cb4(settings: Settings) -> None:
    settings.callbacks.complaint_days = 3
    assert callback_due("complaint", local(20, 15), settings) == local(23, 15)


def test_leak_callback_waits_for_rain_cb3(settings: Settings) -> None:
    done = local(20, 15)
    assert callback_due("leak", done, settings) is None
    # rain before the repair does not count: the first rain *after* it
    assert callback_due("leak", done, settings, rained_at=local(20, 9)) is None
    assert callback_due("leak", done, settings, rained_at=local(22, 16)) == local(23, 21)
    settings.callbacks.leak_days_after_rain = 0
    assert callback_due("leak", done, settings, rained_at=local(22, 16)) == local(22, 21)


def test_callback_kind_by_priority_and_leak() -> None:
    assert callback_kind("emergency", False) == "urgent"
    assert callback_kind("urgent", False) == "urgent"
    assert callback_kind("normal", False) == "general"
    assert callback_kind("urgent", True) == "leak"


def test_order_callback_clock_after_completion_cb1(settings: Settings) -> None:
    order = Order(
        reported_at=local(23, 9),
        priority="urgent",
        dispatched_at=local(23, 9, 1),
        arrived_at=local(23, 9, 5),
        completed_at=local(23, 10),
        stage="completed",
    )
    c = clock(order, "callback", settings)
    assert (c.rule, c.due_at) == ("CB-3", local(24, 10))
    assert next_clock(order, settings, local(23, 11)) == c
    assert c.state(local(24, 10, 0, 1)) == ClockState.BREACHED
    closed = Order(**{**order.__dict__, "closed_at": local(24, 10), "stage": "closed"})
    assert clock(closed, "callback", settings).state(local(25, 0)) == ClockState.MET


def test_leak_order_has_no_callback_clock_until_rained(settings: Settings) -> None:
    order = Order(
        reported_at=local(23, 9),
        leak=True,
        dispatched_at=local(23, 9, 1),
        arrived_at=local(23, 9, 5),
        completed_at=local(23, 10),
        stage="completed",
    )
    assert next_clock(order, settings, local(23, 11)) is None
    order.rained_at = local(24, 8)
    assert next_clock(order, settings, local(24, 9)).due_at == local(25, 21)  # type: ignore[union-attr]


@given(
    kind=st.sampled_from(["urgent", "general", "complaint"]),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 30),
)
def test_callback_due_is_never_quiet_and_never_later_than_cb3(kind: str, minutes: int) -> None:
    settings = Settings()
    done = local(1, 0) + timedelta(minutes=minutes)
    due = callback_due(kind, done, settings)
    assert due is not None
    assert not in_quiet_period(due, settings)
    nominal = {"urgent": timedelta(hours=24), "general": timedelta(days=7)}.get(
        kind, timedelta(days=7)
    )
    assert done < due <= done + nominal


# ------------------------------------------------------------------ board order


def test_cancelled_order_has_no_open_clock(settings: Settings) -> None:
    order = Order(reported_at=local(23, 10), stage="cancelled")
    assert next_clock(order, settings, local(23, 11)) is None


def test_urgency_breached_first_then_emergency_then_least_time(settings: Settings) -> None:
    now = local(23, 10, 10)
    breached = Order(reported_at=local(23, 10))  # dispatch due 10:03
    emergency = Order(reported_at=local(23, 10, 9), priority="emergency")  # due 10:12
    soon = Order(reported_at=local(23, 10, 8))  # due 10:11
    later = Order(reported_at=local(23, 10, 9, 30))  # due 10:12:30
    ranked = sorted([later, soon, emergency, breached], key=lambda o: urgency_key(o, settings, now))
    assert ranked == [breached, emergency, soon, later]
