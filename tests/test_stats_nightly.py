"""``shiftdesk stats nightly`` against a hand-built day: every figure, every format.

The day (tests/stats_day.py) is built once per backend (SQLite and PostgreSQL) through the
``orders ... --at`` commands and records with known times; each test reads its report.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from openpyxl import load_workbook
from typer.testing import CliRunner

from shiftdesk.cli import app
from tests.conftest import FROZEN
from tests.stats_day import DAY, EXPECTED, EXPECTED_BREACHES, Day, shared_day

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def day(request: pytest.FixtureRequest) -> Day:
    return shared_day(request, request.param)


def stats(day: Day, *args: str, code: int = 0) -> Any:
    with time_machine.travel(FROZEN, tick=False):
        result = runner.invoke(app, [*day.base, "stats", *args])
    assert result.exit_code == code, result.output
    return result


_reports: dict[tuple[str, str], str] = {}


def nightly_json(day: Day, date: str = DAY) -> dict[str, Any]:
    """The JSON report, run once per database and date (the data never changes)."""
    key = (day.url, date)
    if key not in _reports:
        _reports[key] = stats(day, "nightly", "--date", date, "--format", "json").stdout
    return dict(json.loads(_reports[key]))


# ------------------------------------------------------------------------------- figures


def test_header_names_the_site_the_local_day_and_its_utc_bounds(day: Day) -> None:
    report = nightly_json(day)
    assert report["site"] == "DEMO"
    assert report["date"] == DAY
    assert report["timezone"] == "Asia/Shanghai"
    # Asia/Shanghai has no daylight saving: the day is exactly 00:00..24:00 at +08:00
    assert report["start"] == "2026-11-20T00:00:00+08:00"
    assert report["end"] == "2026-11-21T00:00:00+08:00"
    assert report["generated_at"] == "2026-11-22T10:00:00+08:00"


def test_calls(day: Day) -> None:
    calls = nightly_json(day)["calls"]
    want = EXPECTED["calls"]
    for key in ("total", "by_category", "by_channel", "night_calls"):
        assert calls[key] == want[key], key
    # 24 local hours, the first instant of the day in 00:00, the last calls in 23:00
    assert [h["hour"] for h in calls["by_hour"]] == [f"{h:02d}:00" for h in range(24)]
    assert {h["hour"]: h["calls"] for h in calls["by_hour"] if h["calls"]} == want["hours"]


def test_complaints(day: Day) -> None:
    complaints = nightly_json(day)["complaints"]
    for key, value in EXPECTED["complaints"].items():
        assert complaints[key] == value, key


def test_work_orders(day: Day) -> None:
    orders = nightly_json(day)["work_orders"]
    for key, value in EXPECTED["work_orders"].items():
        assert orders[key] == value, key


def test_unfinished_list_gives_the_reasons(day: Day) -> None:
    unfinished = nightly_json(day)["work_orders"]["unfinished"]
    by_id = {u["id"]: u for u in unfinished}
    assert set(by_id) == {day.ids["O2"], day.ids["O4"]}
    assert by_id[day.ids["O2"]]["reason"] == "waiting for parts"
    assert by_id[day.ids["O2"]]["stage"] == "unfinished"
    assert by_id[day.ids["O2"]]["unit"] == "1-1-102"
    assert by_id[day.ids["O4"]]["stage"] == "accepted"
    assert by_id[day.ids["O4"]]["reported_at"] == "2026-11-20T23:59:00+08:00"


def test_order_reported_at_2359_dispatched_at_0002_counts_on_its_day_and_on_time(
    day: Day,
) -> None:
    report = nightly_json(day)
    o4 = day.ids["O4"]
    assert o4 in {u["id"] for u in report["work_orders"]["unfinished"]}
    assert ("work_order", o4, "dispatch") not in {
        (b["record"], b["id"], b["clock"]) for b in report["breaches"]
    }
    # the next day does not count it again, and its arrival breach stays on its own day;
    # the 21st's only breach is O7's urgent callback (completed 16:40 the day before, 24 h)
    nxt = nightly_json(day, "2026-11-21")
    assert nxt["work_orders"]["created"] == 0
    assert nxt["work_orders"]["dispatch_on_time"] == 0
    assert [(b["record"], b["clock"], b["due"]) for b in nxt["breaches"]] == [
        ("callback", "callback", "2026-11-21T16:40:00+08:00")
    ]


def test_parcels(day: Day) -> None:
    assert nightly_json(day)["parcels"] == EXPECTED["parcels"]


def test_breaches_list_every_breached_clock_with_due_and_actual(day: Day) -> None:
    breaches = nightly_json(day)["breaches"]
    names = {v: k for k, v in day.ids.items() if k.startswith("O")}
    complaint_names = {v: k for k, v in day.ids.items() if k.startswith("C")}
    got = {
        (
            (names if b["record"] in ("work_order", "callback") else complaint_names).get(
                b["id"], b["id"]
            ),
            b["clock"],
            b["rule"],
        )
        for b in breaches
        if b["record"] != "callback"
    }
    callbacks = [b for b in breaches if b["record"] == "callback"]
    assert got | {("OX", "callback", "CB-3")} == EXPECTED_BREACHES
    assert len(callbacks) == 1 and callbacks[0]["actual"] is None
    assert callbacks[0]["due"] == "2026-11-20T09:00:00+08:00"
    by_key = {(b["record"], b["id"], b["clock"]): b for b in breaches}
    o2 = by_key[("work_order", day.ids["O2"], "dispatch")]
    assert (o2["due"], o2["actual"], o2["late_seconds"]) == (
        "2026-11-20T10:03:00+08:00",
        "2026-11-20T10:05:00+08:00",
        120,
    )
    o4 = by_key[("work_order", day.ids["O4"], "arrival")]
    assert o4["due"] == "2026-11-21T00:17:00+08:00" and o4["actual"] is None
    # ordered by due time
    assert [b["due"] for b in breaches] == sorted(b["due"] for b in breaches)


# ------------------------------------------------------------------------------- edges


def test_empty_day_is_a_valid_report_with_zeros(day: Day) -> None:
    report = nightly_json(day, "2026-10-01")
    assert report["calls"]["total"] == 0
    assert sum(h["calls"] for h in report["calls"]["by_hour"]) == 0
    assert report["work_orders"]["created"] == 0
    assert report["work_orders"]["median_dispatch_seconds"] is None
    assert report["work_orders"]["callback_rate"] is None
    assert report["work_orders"]["unfinished"] == []
    assert report["breaches"] == []
    assert report["parcels"]["received"] == 0
    for fmt in ("table", "csv", "md"):
        stats(day, "nightly", "--date", "2026-10-01", "--format", fmt)


def test_default_day_is_yesterday_in_the_site_zone(day: Day) -> None:
    # frozen at Sunday 22 Nov 10:00 in Shanghai: yesterday is Saturday 21 Nov
    assert json.loads(stats(day, "nightly", "--format", "json").stdout)["date"] == "2026-11-21"


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026-02-30", ""])
def test_bad_date_exits_2_with_one_line(day: Day, bad: str) -> None:
    result = stats(day, "nightly", "--date", bad, code=2)
    assert "YYYY-MM-DD" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unknown_site_and_format_exit_2(day: Day) -> None:
    assert "NOPE" in stats(day, "nightly", "--date", DAY, "--site", "NOPE", code=2).output
    stats(day, "nightly", "--date", DAY, "--format", "pdf", code=2)


def test_site_all_gives_a_list_of_reports_one_per_site(day: Day) -> None:
    reports = json.loads(
        stats(day, "nightly", "--date", DAY, "--site", "all", "--format", "json").stdout
    )
    assert isinstance(reports, list)
    assert [(r["site"], r["calls"]["total"]) for r in reports] == [
        ("DEMO", EXPECTED["calls"]["total"]),
        ("EAST", 2),
    ]
    east = json.loads(stats(day, "nightly", "--date", DAY, "--site", "EAST", "-f", "json").stdout)
    assert east["calls"]["by_hour"][19]["calls"] == 1
    assert east["work_orders"]["created"] == 0


def test_site_all_xlsx_puts_sites_side_by_side(day: Day, tmp_path: Path) -> None:
    target = tmp_path / "all.xlsx"
    stats(day, "nightly", "--date", DAY, "--site", "all", "-f", "xlsx", "--out", str(target))
    wb = load_workbook(target)
    calls = list(wb["Calls & visits"].iter_rows(values_only=True))
    assert calls[0] == ("Item", "DEMO", "EAST")
    assert ("Total", 12, 2) in calls
    unfinished = list(wb["Unfinished orders"].iter_rows(values_only=True))
    assert unfinished[0][0] == "Site" and {r[0] for r in unfinished[1:]} == {"DEMO"}


# ------------------------------------------------------------------------------- formats


def test_table_shows_the_figures_and_the_hourly_chart(day: Day) -> None:
    out = stats(day, "nightly", "--date", DAY).stdout
    assert "Nightly report" in out and "Demo Garden" in out
    assert "Dispatched late" in out
    assert "waiting" in out  # the reason O2 is unfinished
    assert "2:30" in out  # the median dispatch time, 150 s
    assert "50.0%" in out  # the callback rate
    assert "█" in out  # calls per hour


def test_csv_is_long_format_with_stable_keys(day: Day) -> None:
    text = stats(day, "nightly", "--date", DAY, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and set(rows[0]) == {"site", "period", "section", "metric", "value"}
    values = {(r["section"], r["metric"]): r["value"] for r in rows}
    assert values[("calls", "total")] == "12"
    assert values[("calls", "by_category.repair")] == "6"
    assert values[("work_orders", "dispatch_late")] == "1"
    assert values[("work_orders", "callback_rate")] == "0.5"
    assert values[("parcels", "overdue_7d")] == "3"
    assert values[("parcels", "reminders_sent")] == "3"
    assert values[("calls_by_hour", "10:00.calls")] == "2"


def test_markdown_for_email(day: Day) -> None:
    md = stats(day, "nightly", "--date", DAY, "--format", "md").stdout
    assert md.startswith("# Nightly report — Demo Garden (DEMO), 2026-11-20")
    assert "## Work orders" in md
    assert "| Dispatched late | 1 |" in md
    assert "| Uncompleted | 2 |" in md
    assert "waiting for parts" in md
    assert "```" in md  # the calls-per-hour chart


def test_out_writes_a_file(day: Day, tmp_path: Path) -> None:
    target = tmp_path / "night.json"
    stats(day, "nightly", "--date", DAY, "--format", "json", "--out", str(target))
    assert json.loads(target.read_text(encoding="utf-8"))["calls"]["total"] == 12


def _sheet_values(ws: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True)}


def test_xlsx_one_sheet_per_section_read_back(day: Day, tmp_path: Path) -> None:
    target = tmp_path / "night.xlsx"
    stats(day, "nightly", "--date", DAY, "--format", "xlsx", "--out", str(target))
    wb = load_workbook(target)
    assert wb.sheetnames == [
        "Report",
        "Calls & visits",
        "Calls per hour",
        "Complaints",
        "Work orders",
        "Unfinished orders",
        "Parcels & mail",
        "Breached clocks",
    ]
    calls = _sheet_values(wb["Calls & visits"])
    assert calls["Total"] == 12
    assert calls["Category: Repair request"] == 6
    orders = _sheet_values(wb["Work orders"])
    assert orders["Reported"] == 7
    assert orders["Dispatched late"] == 1
    assert orders["Median time to dispatch"] == 150
    assert orders["Callback rate"] == 0.5
    assert _sheet_values(wb["Parcels & mail"])["Waiting over a week"] == 3
    unfinished = list(wb["Unfinished orders"].iter_rows(values_only=True))
    assert unfinished[0][:3] == ("No.", "Unit", "Location")
    assert {r[0] for r in unfinished[1:]} == {day.ids["O2"], day.ids["O4"]}
    assert len(list(wb["Breached clocks"].iter_rows(min_row=2))) == len(EXPECTED_BREACHES)
    hourly = wb["Calls per hour"]
    assert hourly._charts, "calls per hour has a bar chart"
    assert [r[1] for r in hourly.iter_rows(min_row=2, values_only=True)][10] == 2


def test_xlsx_headers_in_chinese_for_zh_cn(day: Day, tmp_path: Path) -> None:
    target = tmp_path / "night-zh.xlsx"
    with time_machine.travel(FROZEN, tick=False):
        result = runner.invoke(
            app,
            [
                *day.base,
                "--locale",
                "zh_CN",
                "stats",
                "nightly",
                "--date",
                DAY,
                "--format",
                "xlsx",
                "--out",
                str(target),
            ],
        )
    assert result.exit_code == 0, result.output
    wb = load_workbook(target)
    assert "维修单" in wb.sheetnames and "未完成工程维修记录" in wb.sheetnames
    orders = wb["维修单"]
    assert next(orders.iter_rows(max_row=1, values_only=True))[:2] == ("项目", "数值")
    assert _sheet_values(orders)["派工超时"] == 1
    stages = [r[7] for r in wb["未完成工程维修记录"].iter_rows(min_row=2, values_only=True)]
    assert sorted(stages) == sorted(["已接单", "未完成"])


def test_xlsx_default_name(day: Day, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stats(day, "nightly", "--date", DAY, "--format", "xlsx")
    assert (tmp_path / "stats-nightly-DEMO-2026-11-20.xlsx").is_file()


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_figure_and_column_is_labelled_in_both_languages(day: Day, locale: str) -> None:
    from shiftdesk.i18n import set_locale
    from shiftdesk.stats import render

    report = nightly_json(day)
    set_locale(locale)
    try:
        for sheet in render.sheets(report):
            assert not sheet.title.startswith("stats."), sheet.key
            if sheet.metrics:
                for key, _ in sheet.rows:
                    label = (
                        render.metric_label(key)
                        if sheet.key == "summary"
                        else (render._label_key(key))
                    )
                    assert label != key and "stats." not in label, key
            else:
                assert not any(h.startswith("stats.") for h in sheet.headers), sheet.key
    finally:
        set_locale("en")
