"""``stats monthly`` (S-3, S-4, callbacks) and ``stats range`` (weekly S-4, quarterly S-6).

The hand-built day of tests/stats_day.py plus a few later records in November, reported on
the 1st of December (when S-3's monthly analysis is due).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook
from typer.testing import CliRunner

from shiftdesk.cli import app
from tests.stats_day import FIRST_OF_DECEMBER, Day, shared_day

runner = CliRunner()


def run(day: Day, *args: str, code: int = 0, base: list[str] | None = None) -> Any:
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        result = runner.invoke(app, [*(base or day.base), *args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def month(request: pytest.FixtureRequest) -> Day:
    return shared_day(request, request.param)


_reports: dict[tuple[str, tuple[str, ...]], str] = {}


def monthly(day: Day, *extra: str) -> dict[str, Any]:
    """The JSON report, run once per database and arguments (the data never changes)."""
    key = (day.url, extra)
    if key not in _reports:
        _reports[key] = run(day, "stats", "monthly", "--format", "json", *extra).stdout
    return dict(json.loads(_reports[key]))


def test_monthly_defaults_to_last_month(month: Day) -> None:
    report = monthly(month)
    assert (report["period"], report["from"], report["to"]) == (
        "2026-11",
        "2026-11-01",
        "2026-11-30",
    )
    assert report["generated_at"] == "2026-12-01T09:00:00+08:00"


def test_monthly_orders_by_trade_and_assignee_with_unfinished_and_rework(month: Day) -> None:
    orders = monthly(month, "--month", "2026-11")["work_orders"]
    # O0 OX O1..O7: completed O0 OX O1 O3 O6 O7, cancelled O5, uncompleted O2 O4
    assert (orders["created"], orders["completed"], orders["cancelled"], orders["uncompleted"]) == (
        9,
        6,
        1,
        2,
    )
    assert (orders["dispatch_on_time"], orders["dispatch_late"]) == (7, 1)
    assert (orders["arrival_on_time"], orders["arrival_late"]) == (4, 4)
    trades = {t["trade"]: t for t in orders["by_trade"]}
    assert trades["plumbing"] == {
        "trade": "plumbing",
        "created": 7,
        "completed": 5,
        "uncompleted": 1,
        "cancelled": 1,
        "rework": 1,
    }
    assert trades["electrical"]["created"] == 2 and trades["electrical"]["uncompleted"] == 1
    people = {a["assignee"]: a["created"] for a in orders["by_assignee"]}
    assert people == {"老张": 6, "小李": 2, "": 1}
    assert {u["id"] for u in orders["unfinished"]} == {month.ids["O2"], month.ids["O4"]}
    (rework,) = orders["rework_orders"]
    assert (rework["id"], rework["rework_of"]) == (month.ids["O6"], month.ids["O0"])
    assert rework["original_result"] == "fixed"
    assert rework["original_completed_at"] == "2026-11-13T11:00:00+08:00"


def test_monthly_complaint_summary(month: Day) -> None:
    complaints = monthly(month, "--month", "2026-11")["complaints"]
    assert complaints["total"] == 5  # C0 C1 C2 C3 C5
    assert complaints["by_class"] == {"general": 3, "important": 1, "major": 1}
    assert complaints["by_department"] == {"engineering": 5}
    assert complaints["open"] == 3  # all but C1 (resolved) and C0 (called back, closed)
    notable = {c["id"] for c in complaints["notable"]}
    assert notable == {month.ids[n] for n in ("C0", "C2", "C3", "C5")}


def test_monthly_callback_outcomes(month: Day) -> None:
    callbacks = monthly(month, "--month", "2026-11")["callbacks"]
    # due in November: O0 OX O7 O1 O6 O3, and the complaints' (CB-1, a week after they were
    # resolved): C0's (done on time) and C1's (resolved 11-20 11:00); done: O0
    # (unsatisfied), O1 and C0 (satisfied); on 1 December C1's is late too
    assert (callbacks["due"], callbacks["done"]) == (8, 3)
    assert (callbacks["on_time"], callbacks["late"], callbacks["pending"]) == (3, 5, 0)
    assert callbacks["rate"] == round(3 / 8, 4)
    assert callbacks["by_outcome"] == {"satisfied": 2, "unsatisfied": 1, "unreachable": 1}
    (bad,) = callbacks["unsatisfied"]
    assert (bad["work_order_id"], bad["note"], bad["unit"]) == (
        month.ids["O0"],
        "still dripping",
        "1-1-101",
    )


def test_monthly_daily_series_and_flags(month: Day) -> None:
    report = monthly(month, "--month", "2026-11")
    daily = {d["date"]: d for d in report["daily"]}
    assert len(daily) == 30
    assert daily["2026-11-20"] == {
        "date": "2026-11-20",
        "calls": 12,
        "complaints": 3,
        "orders_created": 7,
        "orders_completed": 4,
    }
    assert daily["2026-11-13"]["orders_created"] == 1
    assert daily["2026-11-25"]["complaints"] == 1
    assert (
        sum(d["calls"] for d in report["daily"]) == report["calls"]["total"] == 18
    )  # 12 on the 20th + C0 O0 OX 23:59:59 00:00 C5
    flags = report["flags"]
    assert flags["unsatisfied_callbacks"] == 1
    assert [(r["unit"], r["department"], r["complaints"]) for r in flags["repeat_complaints"]] == [
        ("1-1-101", "engineering", 2)
    ]
    assert [(r["unit"], r["trade"], r["orders"]) for r in flags["repeat_repairs"]] == [
        ("1-1-101", "plumbing", 4)
    ]
    assert report["breaches_total"] == sum(report["breaches_by_rule"].values())


def test_weekly_range_s4_and_the_third_repair_boundary(month: Day) -> None:
    report = json.loads(
        run(
            month, "stats", "range", "--from", "2026-11-16", "--to", "2026-11-22", "-f", "json"
        ).stdout
    )
    assert (report["report"], report["period"]) == ("range", "2026-11-16..2026-11-22")
    assert report["complaints"]["total"] == 3
    assert report["flags"]["repeat_complaints"] == []  # C5 is the week after
    # O1 O3 O6 on 1-1-101: exactly three plumbing repairs in the week -> flagged (S-6)
    assert [(r["unit"], r["orders"]) for r in report["flags"]["repeat_repairs"]] == [("1-1-101", 3)]


def test_quarter_range_xlsx_and_markdown(month: Day, tmp_path: Path) -> None:
    target = tmp_path / "q4.xlsx"
    run(
        month,
        "stats",
        "range",
        "--from",
        "2026-10-01",
        "--to",
        "2026-12-31",
        "-f",
        "xlsx",
        "--out",
        str(target),
    )
    wb = load_workbook(target)
    for sheet in (
        "Orders by trade",
        "Orders by assignee",
        "Re-repairs",
        "Callbacks",
        "Unsatisfactory callbacks",
        "Same matter complained about 2+ tim",
        "Same repair 3+ times",
        "Per day",
    ):
        assert any(name.startswith(sheet[:31]) for name in wb.sheetnames), sheet
    per_day = list(wb["Per day"].iter_rows(min_row=2, values_only=True))
    assert len(per_day) == 92
    assert wb["Per day"]._charts
    md = run(
        month, "stats", "range", "--from", "2026-10-01", "--to", "2026-12-31", "-f", "md"
    ).stdout
    assert "## Same repair 3+ times" in md and "| 1-1-101 | Plumbing | 4 |" in md


@pytest.mark.parametrize(
    "args",
    [
        ["monthly", "--month", "2026-13"],
        ["monthly", "--month", "Nov"],
        ["range", "--from", "2026-11-22", "--to", "2026-11-16"],
        ["range", "--from", "2025-01-01", "--to", "2026-12-31"],
        ["range", "--from", "2026-11-01"],
    ],
)
def test_bad_periods_exit_2(month: Day, args: list[str]) -> None:
    run(month, "stats", *args, code=2)


# ------------------------------------------------------------------------------- e-mail


class _Receiver:
    """A local HTTP endpoint for Apprise's json:// URLs, collecting what arrives."""

    def __init__(self) -> None:
        import http.server
        import threading

        received = self.received = []  # type: list[dict[str, Any]]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _config_with(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "mail.toml"
    quoted = ", ".join(f'"{u}"' for u in urls)
    path.write_text(f'locale = "en"\n[notifications]\nmanager_urls = [{quoted}]\n', "utf-8")
    return path


def test_email_sends_the_markdown_report_to_the_manager(month: Day, tmp_path: Path) -> None:
    receiver = _Receiver()
    try:
        config = _config_with(tmp_path, [f"json://127.0.0.1:{receiver.port}/report"])
        result = run(
            month,
            "stats",
            "nightly",
            "--date",
            "2026-11-20",
            "--email",
            "-f",
            "json",
            base=["--config", str(config), "--db", month.url],
        )
    finally:
        receiver.close()
    assert json.loads(result.stdout)["date"] == "2026-11-20"  # the report is still printed
    (message,) = receiver.received
    assert "Nightly report" in message["title"] and "2026-11-20" in message["title"]
    assert "| Dispatched late | 1 |" in message["message"]
    assert "| Uncompleted | 2 |" in message["message"]


def test_email_failure_exits_1_and_missing_config_exits_2(month: Day, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    config = _config_with(tmp_path, [f"json://127.0.0.1:{dead}/report"])
    failed = run(
        month,
        "stats",
        "nightly",
        "--date",
        "2026-11-20",
        "--email",
        "-f",
        "md",
        base=["--config", str(config), "--db", month.url],
        code=1,
    )
    assert "not sent" in failed.output
    empty = _config_with(tmp_path, [])
    missing = run(
        month,
        "stats",
        "nightly",
        "--email",
        base=["--config", str(empty), "--db", month.url],
        code=2,
    )
    assert "manager_urls" in missing.output
