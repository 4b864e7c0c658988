"""Complaint clocks (CP-1..CP-4, CP-11) and escalation (CP-9, CP-3) at their boundaries.

Pure functions: no database, ``now`` passed in. Times are site-local (Asia/Shanghai) unless
said otherwise; FROZEN is Sunday 22 Nov 2026, 10:00 local.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shiftdesk.clocks import ClockState
from shiftdesk.clocks.complaints import (
    complaint_clocks,
    escalation,
    initial_level,
    next_clock,
    working_deadline,
)
from shiftdesk.config import Settings
from tests.conftest import FROZEN

SH = ZoneInfo("Asia/Shanghai")


def local(y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@dataclass
class C:
    """A complaint as the clock functions see it."""

    scheme: str = "A"
    level: str = "general"
    complainants: int = 1
    repeat: bool = False
    status: str = "open"
    received_at: datetime = FROZEN
    department_reported_at: datetime | None = None
    answered_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None


def clock(complaint: C, kind: str, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    found = [c for c in complaint_clocks(complaint, settings or Settings()) if c.kind == kind]
    assert len(found) == 1, f"no single {kind} clock"
    return found[0]


# ------------------------------------------------------------------------ scheme A


def test_general_complaint_department_within_20_minutes() -> None:
    c = clock(C(), "department")
    assert c.rule == "CP-1"
    assert c.due_at == FROZEN + timedelta(minutes=20)
    on_time = C(department_reported_at=FROZEN + timedelta(minutes=19, seconds=59))
    late = C(department_reported_at=FROZEN + timedelta(minutes=20, seconds=1))
    assert clock(on_time, "department").state(FROZEN) is ClockState.MET
    assert clock(late, "department").state(FROZEN) is ClockState.MISSED
    # still open: running, amber in the last minute, red after
    assert c.state(FROZEN + timedelta(minutes=18)) is ClockState.RUNNING
    assert c.state(FROZEN + timedelta(minutes=19, seconds=30)) is ClockState.WARNING
    assert c.state(FROZEN + timedelta(minutes=20)) is ClockState.WARNING
    assert c.state(FROZEN + timedelta(minutes=20, seconds=1)) is ClockState.BREACHED


def test_general_complaint_answered_within_30_minutes() -> None:
    assert clock(C(), "answer").due_at == FROZEN + timedelta(minutes=30)
    at_2959 = C(answered_at=FROZEN + timedelta(minutes=29, seconds=59))
    at_3001 = C(answered_at=FROZEN + timedelta(minutes=30, seconds=1))
    assert clock(at_2959, "answer").on_time() is True
    assert clock(at_3001, "answer").on_time() is False


def test_important_complaint_fixed_within_12_hours() -> None:
    important = C(level="important")
    fix = clock(important, "fix")
    assert (fix.rule, fix.due_at) == ("CP-2", FROZEN + timedelta(hours=12))
    assert clock(replace(important, resolved_at=FROZEN + timedelta(hours=12)), "fix").on_time()
    late = replace(important, resolved_at=FROZEN + timedelta(hours=12, seconds=1))
    assert clock(late, "fix").on_time() is False
    # an important complaint has no 20/30-minute clocks
    kinds = {c.kind for c in complaint_clocks(important, Settings())}
    assert kinds == {"fix", "handled"}


def test_major_complaint_customer_told_within_30_minutes() -> None:
    major = C(level="major")
    answer = clock(major, "answer")
    assert (answer.rule, answer.due_at) == ("CP-3", FROZEN + timedelta(minutes=30))
    assert answer.state(FROZEN + timedelta(minutes=30, seconds=1)) is ClockState.BREACHED


def test_every_complaint_handled_or_informed_within_12_hours() -> None:
    for level in ("general", "important", "major"):
        handled = clock(C(level=level), "handled")
        assert (handled.rule, handled.due_at) == ("CP-4", FROZEN + timedelta(hours=12))
    # feedback to the customer counts as well as a fix
    informed = C(level="important", answered_at=FROZEN + timedelta(hours=11, minutes=59))
    assert clock(informed, "handled").on_time() is True
    assert (
        clock(C(level="important"), "handled").state(FROZEN + timedelta(hours=12, seconds=1))
        is ClockState.BREACHED
    )


def test_limits_come_from_config() -> None:
    settings = Settings()
    settings.complaints.a_general_answer_minutes = 45
    assert clock(C(), "answer", settings).due_at == FROZEN + timedelta(minutes=45)


def test_next_clock_is_the_earliest_open_one_and_none_once_closed() -> None:
    assert next_clock(C(), Settings()).kind == "department"  # type: ignore[union-attr]
    reported = C(department_reported_at=FROZEN + timedelta(minutes=5))
    assert next_clock(reported, Settings()).kind == "answer"  # type: ignore[union-attr]
    assert next_clock(C(status="closed"), Settings()) is None


def test_escalated_level_clock_starts_when_it_became_major() -> None:
    month_later = FROZEN + timedelta(days=31)
    raised = C(level="major", escalated_at=month_later)
    answer = clock(raised, "answer")
    assert answer.started_at == month_later
    assert answer.due_at == month_later + timedelta(minutes=30)
    # an answer given before the escalation does not satisfy the new clock
    old_answer = replace(raised, answered_at=FROZEN + timedelta(minutes=10))
    assert clock(old_answer, "answer").done_at is None


# ------------------------------------------------------------------------ scheme B (CP-11)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Monday 10:00 -> Tuesday 10:00 (one working day of working time)
        (local(2026, 11, 23, 10), local(2026, 11, 24, 10)),
        # Friday 17:00 -> Monday 17:00 (the weekend does not count)
        (local(2026, 11, 27, 17), local(2026, 11, 30, 17)),
        # Saturday -> the end of Monday
        (local(2026, 11, 28, 11), local(2026, 11, 30, 18)),
        # Monday 20:00 (after hours) -> the end of Tuesday
        (local(2026, 11, 23, 20), local(2026, 11, 24, 18)),
        # Monday 07:00 (before hours) -> the end of Monday
        (local(2026, 11, 23, 7), local(2026, 11, 23, 18)),
        # Monday 18:00 exactly is already after hours
        (local(2026, 11, 23, 18), local(2026, 11, 24, 18)),
    ],
)
def test_scheme_b_response_within_one_working_day(received: datetime, due: datetime) -> None:
    response = clock(C(scheme="B", received_at=received), "response")
    assert response.rule == "CP-11"
    assert response.due_at == due
    assert response.state(due) is ClockState.WARNING
    assert response.state(due + timedelta(seconds=1)) is ClockState.BREACHED


def test_working_days_and_hours_come_from_config() -> None:
    settings = Settings()
    settings.complaints.working_days = [1, 2, 3, 4, 5, 6]  # Saturdays are working days
    settings.complaints.working_day_start = "08:00"
    settings.complaints.working_day_end = "20:00"
    friday_5pm = local(2026, 11, 27, 17)
    assert working_deadline(friday_5pm, 1, settings) == local(2026, 11, 28, 17)
    assert working_deadline(friday_5pm, 2, settings) == local(2026, 11, 30, 17)


def test_scheme_b_answer_meets_the_response_clock() -> None:
    received = local(2026, 11, 23, 10)
    ok = C(scheme="B", received_at=received, answered_at=local(2026, 11, 24, 9, 59, 59))
    late = C(scheme="B", received_at=received, answered_at=local(2026, 11, 24, 10, 0, 1))
    assert clock(ok, "response").on_time() is True
    assert clock(late, "response").on_time() is False


# ------------------------------------------------------------------------ escalation


def test_scheme_b_collective_and_repeat_complaints_start_higher() -> None:
    s = Settings()
    assert initial_level("B", "general", 2, False, s) == ("general", "")
    assert initial_level("B", "general", 3, False, s) == ("hot", "complainants")
    assert initial_level("B", "general", 9, False, s) == ("hot", "complainants")
    assert initial_level("B", "general", 10, False, s) == ("major", "complainants")
    assert initial_level("B", "general", 1, True, s) == ("hot", "repeat")
    # never lowered
    assert initial_level("B", "major", 1, True, s) == ("major", "")


def test_scheme_a_repeat_and_ten_complainants_are_major() -> None:
    s = Settings()
    assert initial_level("A", "general", 1, True, s) == ("major", "repeat")
    assert initial_level("A", "important", 10, False, s) == ("major", "complainants")
    assert initial_level("A", "general", 3, False, s) == ("general", "")


def test_scheme_b_unresolved_after_a_week_is_hot_after_a_month_major() -> None:
    s = Settings()
    c = C(scheme="B")
    assert escalation(c, s, FROZEN + timedelta(days=7)) is None
    assert escalation(c, s, FROZEN + timedelta(days=7, seconds=1)) == ("hot", "week")
    assert escalation(c, s, FROZEN + timedelta(days=30)) == ("hot", "week")
    assert escalation(c, s, FROZEN + timedelta(days=30, seconds=1)) == ("major", "month")
    # a resolved or closed complaint is not escalated
    assert escalation(replace(c, resolved_at=FROZEN), s, FROZEN + timedelta(days=40)) is None
    assert escalation(replace(c, status="closed"), s, FROZEN + timedelta(days=40)) is None


def test_scheme_a_unresolved_after_a_month_is_major() -> None:
    s = Settings()
    c = C(scheme="A")
    assert escalation(c, s, FROZEN + timedelta(days=8)) is None  # scheme A has no "hot"
    assert escalation(c, s, FROZEN + timedelta(days=30, seconds=1)) == ("major", "month")
    assert escalation(C(level="major"), s, FROZEN + timedelta(days=40)) is None
