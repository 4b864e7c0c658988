"""The CLI's table format against JSON for the same rows, measured in one run (issue #24).

    python scripts/bench_cli_table.py [ROWS ...]      # default: 10000 50000

Rows shaped like ``orders list --open`` (ten columns, Chinese summaries) are printed to
/dev/null as the streamed table, as JSON, and (up to 10,000 rows) as Rich's table, the
format used before; each figure is the best of three, with peak memory of the process.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shiftdesk.cli.tables import stream_table


def rows(n: int) -> list[dict[str, object]]:
    return [
        {
            "id": i,
            "unit": f"{i % 5 + 1}-{i % 3 + 1}-{i % 26 + 1:02d}02",
            "trade": "plumbing",
            "priority": "urgent" if i % 7 == 0 else "normal",
            "stage": "dispatched",
            "assignee": "孙师傅",
            "reported_at": "2026-11-22T10:00:00+08:00",
            "due": "2026-11-22T10:30:00+08:00",
            "clock": "breached" if i % 11 == 0 else "running",
            "summary": "厨房水槽下水管漏水，楼下天花板有水渍" if i % 2 else "卧室灯不亮",
        }
        for i in range(n)
    ]


def timed(fn: object) -> tuple[float, float]:
    best = float("inf")
    peak = 0
    for _ in range(3):
        tracemalloc.start()
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return best, peak / 1e6


def measure(n: int, sink: TextIO) -> list[tuple[str, float, float]]:
    """(format, seconds, peak MB) for ``n`` rows; JSON first, the baseline."""
    data = rows(n)
    columns = list(data[0])

    def as_json() -> None:
        sink.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))

    def streamed() -> None:
        cells = [[str(r[c]) for c in columns] for r in data]
        stream_table(cells, columns, out=sink, width=160)

    def rich_table() -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for c in columns:
            table.add_column(c)
        for r in data:
            table.add_row(*(str(r[c]) for c in columns))
        Console(file=io.StringIO(), width=160).print(table)

    figures = [("json (baseline)", *timed(as_json)), ("table, streamed", *timed(streamed))]
    if n <= 10_000:  # Rich's table, the format used before, takes minutes beyond
        figures.append(("table, Rich", *timed(rich_table)))
    return figures


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 50_000]
    print(f"{'rows':>7}  {'format':<16} {'seconds':>8}  {'peak MB':>8}  vs JSON")
    with open(os.devnull, "w", encoding="utf-8") as sink:
        for n in sizes:
            figures = measure(n, sink)
            base = figures[0][1]
            for name, secs, mb in figures:
                print(f"{n:>7}  {name:<16} {secs:>8.3f}  {mb:>8.1f}  {secs / base:>5.2f}×")


if __name__ == "__main__":
    main()
