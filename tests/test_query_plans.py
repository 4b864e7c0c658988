"""The hot queries use their intended index whatever statistics SQLite has (issue #24).

A database made by ``shiftdesk init`` has no planner statistics until the app makes them,
or has the statistics of its empty first day. Without them SQLite used to choose the
``site_id`` index, which holds every row of the site, over the timestamp and partial
indexes: one day's report read the whole history. These tests read the plans SQLite
makes (``EXPLAIN QUERY PLAN``) for the nightly report's statements and the board's
per-change read, with no statistics, with an empty day's, and with current ones.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shiftdesk import migrate, workorders
from shiftdesk.config import Settings
from shiftdesk.stats.build import fetch
from shiftdesk.stats.periods import day_period
from tests.conftest import FROZEN


def _statements(engine: Engine) -> list[tuple[str, Any]]:
    """Every SELECT of the nightly report for the frozen day, then the board's change read."""
    sent: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            day = FROZEN.astimezone(UTC).date().isoformat()
            fetch(conn, 1, day_period(day, "Asia/Shanghai", FROZEN), Settings())
        with Session(engine) as session:
            workorders.open_versions(session, site_id=1)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def _plans(engine: Engine) -> list[str]:
    statements = _statements(engine)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        plans = []
        for statement, params in statements:
            rows = cur.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            plans.append("\n".join(str(r[3]) for r in rows))
        return plans
    finally:
        raw.close()


def _forget_statistics(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        conn.exec_driver_sql("ANALYZE sqlite_schema")  # reload: no statistics now
    engine.dispose()


@pytest.fixture
def year(sqlite_engine: Engine, settings: Settings) -> Engine:
    """`init`, then the demo's history written with no nightly job since: the statistics
    are those of the empty first day."""
    from shiftdesk.demo import load_demo

    load_demo(sqlite_engine, settings, seed=7, now=FROZEN)
    sqlite_engine.dispose()
    return sqlite_engine


@pytest.mark.parametrize("statistics", ["none", "empty first day", "current"])
def test_report_and_board_use_their_indexes(year: Engine, statistics: str) -> None:
    if statistics == "none":
        _forget_statistics(year)
    elif statistics == "current":
        migrate.refresh_statistics(year)
        year.dispose()
    plans = _plans(year)
    whole = "\n".join(plans)
    assert len(plans) == 7, whole  # six report statements and the board's read
    assert "_site_id" not in whole  # no plan walks a site's every row
    scans = {line.split()[1] for line in whole.splitlines() if line.startswith("SCAN ")}
    assert not scans & {"call", "complaint", "parcel", "work_order", "callback"}, whole
    calls = next(p for p, s in zip(plans, _statements(year), strict=True) if "FROM call" in s[0])
    assert "ix_call_received_at" in calls
    assert "ix_work_order_open" in plans[-1]  # the board: the open orders' partial index


def test_an_upgrade_and_the_nightly_command_leave_statistics(year: Engine) -> None:
    from typer.testing import CliRunner

    from shiftdesk.cli import app

    _forget_statistics(year)
    url = year.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(app, ["--db", url, "db", "optimize"])
    assert done.exit_code == 0, done.output
    with year.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
    assert {"call", "work_order", "parcel", "complaint"} <= tables
