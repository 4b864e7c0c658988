"""The CLI's table format past a screenful: streamed, fitted, every row (issue #24)."""

from __future__ import annotations

import io

from rich.cells import cell_len

from shiftdesk.cli.tables import STREAM_AFTER, fit, print_table, stream_table


def test_a_long_table_has_every_row_once_and_one_header() -> None:
    rows = [{"id": i, "unit": f"1-1-{i:04d}", "name": "吴俊国"} for i in range(STREAM_AFTER + 7)]
    out = io.StringIO()
    print_table(rows, ["id", "unit", "name"], headers={"id": "No."}, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["No.", "unit", "name"]
    body = lines[2:]
    assert [int(line.split()[0]) for line in body] == list(range(STREAM_AFTER + 7))
    assert all(line.split()[2] == "吴俊国" for line in body)


def test_a_streamed_table_fits_80_columns_with_double_width_text() -> None:
    """Finding 21: `orders list --breached` was unreadable at 80 columns."""
    cells = [["35", "1-1-2302", "家里跳闸，全屋没电，需要电工马上上门查看" * 2, "urgent"]]
    out = io.StringIO()
    stream_table(cells, ["id", "unit", "summary", "priority"], out=out, width=80)
    lines = out.getvalue().splitlines()
    assert all(cell_len(line) <= 80 for line in lines)
    assert lines[2].startswith("35  1-1-2302") and lines[2].endswith("urgent")
    assert "…" in lines[2]  # the long summary gave way, the short columns kept their text


def test_fit_narrows_the_widest_first_and_never_below_the_minimum() -> None:
    assert fit([10, 50, 8], 40) == [10, 22, 8]
    assert fit([10, 10], 4) == [6, 6]
