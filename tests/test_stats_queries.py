"""The statistics' SQL after the speed work of issue 7, on both backends: calls land in their
hour at the boundaries (one pass with conditional aggregates), the report stays a handful of
statements, instants come back in UTC whatever the session's zone, and the parcels counted
overdue in SQL agree with the parcel clock (P-9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shiftdesk.clocks.parcels import overdue, overdue_cutoff
from shiftdesk.config import Settings
from shiftdesk.db import transact
from shiftdesk.models import Call, Complaint
from shiftdesk.sites import ensure_site
from shiftdesk.stats import queries
from shiftdesk.stats.build import fetch
from shiftdesk.stats.periods import day_period

US = timedelta(microseconds=1)


def _site(engine: Engine, timezone: str) -> int:
    settings = Settings()
    settings.site.timezone = timezone

    def make(session: Session) -> int:
        site_id = ensure_site(session, settings).id
        assert site_id is not None
        return site_id

    return transact(engine, make)


def _calls(engine: Engine, site_id: int, calls: list[tuple[datetime, str, str, bool]]) -> None:
    def add(session: Session) -> None:
        session.add_all(
            Call(site_id=site_id, received_at=at, category=category, channel=channel, night=night)
            for at, category, channel, night in calls
        )

    transact(engine, add)


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "Asia/Kolkata"])
def test_calls_land_in_their_local_hour_at_the_boundaries(engine: Engine, timezone: str) -> None:
    # Shanghai (+08:00) groups by the stored hour on SQLite, Kolkata (+05:30) by epoch
    # arithmetic; PostgreSQL always by epoch seconds (double precision, exact to the µs)
    site_id = _site(engine, timezone)
    period = day_period("2026-11-20", timezone, datetime(2026, 11, 22, tzinfo=UTC))
    start, end, hour = period.start, period.end, timedelta(hours=1)
    _calls(
        engine,
        site_id,
        [
            (start - US, "repair", "phone", False),  # the day before: not counted
            (start, "repair", "phone", True),  # 00:00:00 local: hour 0
            (start + hour - US, "complaint", "walk_in", True),  # 00:59:59.999999: hour 0
            (start + hour, "inquiry", "phone", False),  # 01:00: hour 1
            (end - US, "repair", "intercom", False),  # 23:59:59.999999: hour 23
            (end, "repair", "phone", False),  # the next day: not counted
        ],
    )
    with engine.connect() as conn:
        summary = queries.calls_summary(conn, site_id, start, end)
    assert summary["buckets"] == {0: 2, 1: 1, 23: 1}
    assert summary["total"] == 4
    assert summary["night_calls"] == 2
    assert {k: v for k, v in summary["by_category"].items() if v} == {
        "repair": 2,
        "complaint": 1,
        "inquiry": 1,
    }
    assert {k: v for k, v in summary["by_channel"].items() if v} == {
        "phone": 2,
        "walk_in": 1,
        "intercom": 1,
    }
    # every category and channel is in the report, zero or not
    assert set(summary["by_category"]) == set(queries.CATEGORIES)
    assert set(summary["by_channel"]) == set(queries.CHANNELS)


def test_the_nightly_query_work_is_a_handful_of_statements(engine: Engine) -> None:
    # one SELECT of every single-number figure, then one statement per kind of row:
    # calls by hour, complaints grouped, complaint rows, order rows (with the unfinished
    # list), callbacks
    site_id = _site(engine, "Asia/Shanghai")
    period = day_period("2026-11-20", "Asia/Shanghai", datetime(2026, 11, 22, tzinfo=UTC))
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            data = fetch(conn, site_id, period, Settings())
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(sent) == 6
    assert data.counts["waiting"] == data.counts["overdue_7d"] == 0


# a session zone is PostgreSQL's (SQLite stores UTC text, covered by every other test)
@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_instants_are_utc_whatever_the_sessions_zone(engine: Engine) -> None:
    site_id = _site(engine, "Asia/Shanghai")
    received = datetime(2026, 11, 20, 3, 4, 5, 678901, tzinfo=UTC)

    def add(session: Session) -> None:
        session.add(Complaint(site_id=site_id, received_at=received, scheme="A", level="general"))

    transact(engine, add)
    start, end = received - timedelta(hours=1), received + timedelta(hours=1)
    # make_engine's sessions are in UTC: the driver's values are taken as they come
    with engine.connect() as conn:
        (row,) = queries.complaint_rows(conn, site_id, start, end)
    assert row.received_at == received and row.received_at.tzinfo is UTC
    # a session in another zone (an engine made elsewhere) still gives UTC instants
    other = create_engine(engine.url, connect_args={"options": "-c TimeZone=Asia/Shanghai"})
    try:
        with other.connect() as conn:
            (row,) = queries.complaint_rows(conn, site_id, start, end)
    finally:
        other.dispose()
    assert row.received_at == received and row.received_at.tzinfo is UTC
    assert row.answered_at is None


def test_the_overdue_cutoff_is_the_parcel_clocks_own_rule() -> None:
    # P-9: an item checked in exactly a week before is overdue, a microsecond later not
    at = datetime(2026, 11, 20, 16, tzinfo=UTC)
    cutoff = overdue_cutoff(at, 7)
    assert cutoff == at - timedelta(days=7)
    assert overdue(received_at=cutoff, done_at=None, now=at, remind_after_days=7)
    assert not overdue(received_at=cutoff + US, done_at=None, now=at, remind_after_days=7)
    assert not overdue(received_at=cutoff, done_at=at, now=at, remind_after_days=7)
