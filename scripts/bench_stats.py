"""Benchmark: the nightly report's query work against raw SQL over the same data, same run.

    python scripts/bigdata.py --db sqlite:///data/big.db --end 2026-11-22   # once
    python scripts/bench_stats.py --db sqlite:///data/big.db --date 2026-11-21
    python scripts/bench_stats.py --db sqlite:///data/big.db --date 2026-11-21 --write-docs

Measured, for the nightly report of one day:

- **query work**: ``stats.build.fetch`` — every SQL statement the report runs (one SELECT of
  all the counts, the group-bys, and the timestamp rows of the day's orders, complaints,
  callbacks and waiting parcels that the clock functions judge), through SQLAlchemy Core,
  rows fetched and decoded into aware datetimes.
- **baseline, GROUP BYs** (the issue's comparison): one raw DB-API ``GROUP BY`` per table the
  report reads (calls, complaints, work orders, callbacks, parcels, notifications), same day,
  the driver alone. It computes no clock verdict, so it needs none of the timestamp rows.
- **baseline, same SQL raw**: the exact statements and parameters ``fetch`` sent (captured
  from the engine), replayed through the DB-API cursor with ``fetchall``: what the report's
  queries cost with no SQLAlchemy and no value decoding.
- **whole report**: ``stats.build`` as ``stats nightly`` runs it (query work + the clock
  verdicts from the shared clock functions + the layout); and the monthly report.

The query work and both baselines run in turn, one run of each per round, so they share the
machine's load of the moment. Everything warm (a first run is discarded), ``--repeat`` runs,
medians of wall-clock and of process CPU time (on a machine shared with other work the CPU
time is the steadier figure; on PostgreSQL it is the client's only).
Target (issue 7): query work <= 2x the GROUP BY baseline. ``bench_stats.baseline_queries``
is also used by scripts/bench.py. ``--write-docs`` rewrites the "Statistics" section of
docs/performance.md with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from shiftdesk.config import load_settings
from shiftdesk.db import make_engine
from shiftdesk.stats import build
from shiftdesk.stats.build import fetch
from shiftdesk.stats.periods import make_period

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median wall seconds, median CPU seconds, last result); one warm-up run first."""
    result = fn()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), result


def interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[tuple[float, float, Any]]:
    """``timed`` for several functions run in turn, one run of each per round: a figure and
    its baseline see the same moments of a shared machine's load, so their ratio holds."""
    results = [fn() for fn in fns]
    walls: list[list[float]] = [[] for _ in fns]
    cpus: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            wall, cpu = time.perf_counter(), time.process_time()
            results[i] = fn()
            cpus[i].append(time.process_time() - cpu)
            walls[i].append(time.perf_counter() - wall)
    return [
        (statistics.median(w), statistics.median(c), r)
        for w, c, r in zip(walls, cpus, results, strict=True)
    ]


def baseline_queries(
    engine: Any, site_id: int, start: datetime, end: datetime
) -> Callable[[], Any]:
    """One GROUP BY per table the report reads, through the raw driver connection."""
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"

    def stamp(value: datetime) -> Any:
        if sqlite:  # the text SQLAlchemy stores for UTC datetimes on SQLite
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    s, e = stamp(start), stamp(end)
    day = f"site_id = {mark} AND {{col}} >= {mark} AND {{col}} < {mark}"
    same_day = (site_id, s, e)
    statements = [
        ("SELECT category, channel, night, COUNT(*) FROM call WHERE "
         f"{day.format(col='received_at')} GROUP BY category, channel, night", same_day),
        (f"SELECT level, status, COUNT(*) FROM complaint WHERE {day.format(col='received_at')}"
         " GROUP BY level, status", same_day),
        (f"SELECT trade, priority, stage, COUNT(*) FROM work_order WHERE "
         f"{day.format(col='reported_at')} GROUP BY trade, priority, stage", same_day),
        (f"SELECT kind, outcome, COUNT(*) FROM callback WHERE {day.format(col='due_at')}"
         " GROUP BY kind, outcome", same_day),
        (f"SELECT status, COUNT(*) FROM parcel WHERE {day.format(col='received_at')}"
         " GROUP BY status", same_day),
        (f"SELECT kind, status, COUNT(*) FROM notification WHERE {day.format(col='sent_at')}"
         " GROUP BY kind, status", same_day),
    ]  # fmt: skip
    return _replay(engine, statements)


def _replay(engine: Any, statements: list[tuple[str, Any]]) -> Callable[[], Any]:
    raw = engine.raw_connection()

    def run() -> list[Any]:
        cur = raw.cursor()
        out = []
        for sql, params in statements:
            cur.execute(sql, params)
            out.append(cur.fetchall())
        cur.close()
        raw.rollback()
        return out

    return run


def captured_fetch(
    engine: Any, site_id: int, period: Any, settings: Any = None
) -> list[tuple[str, Any]]:
    """The statements and parameters ``fetch`` sends to the driver, in order."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            fetch(conn, site_id, period, settings)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [(sql, params) for sql, params in sent if not sql.startswith("BEGIN")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--date", default=None, help="The day to report (default: yesterday).")
    parser.add_argument("--site", default="DEMO")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    settings = load_settings(env={})
    engine = make_engine(args.db)
    with engine.connect() as conn:
        site_id, tz = conn.exec_driver_sql(
            f"SELECT id, timezone FROM site WHERE code = '{args.site}'"
        ).one()
        counts = {
            t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar()
            for t in ("call", "work_order", "complaint", "callback", "parcel", "notification")
        }
        open_orders = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM work_order WHERE stage IN "
            "('reported','dispatched','accepted','arrived','unfinished','completed')"
        ).scalar()
    now = datetime.now(UTC)
    whole = timed(
        lambda: build(engine, settings, "nightly", site=args.site, date_text=args.date, now=now),
        args.repeat,
    )
    report = whole[2][0]
    day = date.fromisoformat(report["date"])
    period = make_period("day", day, day, tz)

    def query_work() -> Any:
        with engine.connect() as conn:
            return fetch(conn, site_id, period, settings)

    captured = captured_fetch(engine, site_id, period, settings)
    query, groupbys, same_sql = interleaved(
        [
            query_work,
            baseline_queries(engine, site_id, period.start, period.end),
            _replay(engine, captured),
        ],
        args.repeat,
    )
    month = timed(
        lambda: build(engine, settings, "monthly", site=args.site, now=now),
        max(1, args.repeat // 3),
    )
    rows = [
        ("nightly report: query work (`stats.build.fetch`)", query),
        ("baseline: one raw GROUP BY per table", groupbys),
        ("baseline: the report's own SQL, raw driver", same_sql),
        ("nightly report: whole (query work + clock verdicts + layout)", whole),
        ("monthly report (last month): whole", month),
    ]
    wo = report["work_orders"]
    lines = [
        f"Database: {engine.dialect.name}, {counts['call']:,} calls, {counts['work_order']:,} "
        f"work orders ({open_orders:,} open), {counts['complaint']:,} complaints, "
        f"{counts['callback']:,} callbacks, {counts['parcel']:,} parcels, "
        f"{counts['notification']:,} notifications.",
        f"Day {report['date']}: {report['calls']['total']:,} calls, {wo['created']:,} orders, "
        f"{wo['callbacks_due']:,} callbacks due, {report['parcels']['received']:,} parcels, "
        f"{report['parcels']['waiting']:,} waiting, {len(report['breaches']):,} breaches.",
        "",
        "| Measure | Wall (median) | CPU (median) |",
        "| --- | --- | --- |",
        *(f"| {name} | {w * 1000:.1f} ms | {c * 1000:.1f} ms |" for name, (w, c, _) in rows),
        f"| **query work / GROUP BY baseline** | **{query[0] / groupbys[0]:.2f}x** | "
        f"**{query[1] / groupbys[1]:.2f}x** |",
        f"| query work / same SQL raw | {query[0] / same_sql[0]:.2f}x | "
        f"{query[1] / same_sql[1]:.2f}x |",
        f"| same SQL raw / GROUP BY baseline (what the report reads beyond the GROUP BYs) | "
        f"{same_sql[0] / groupbys[0]:.2f}x | {same_sql[1] / groupbys[1]:.2f}x |",
        f"| whole report / GROUP BY baseline | {whole[0] / groupbys[0]:.2f}x | "
        f"{whole[1] / groupbys[1]:.2f}x |",
    ]
    print("\n".join(lines))
    if args.write_docs:
        write_docs(lines, args, engine.dialect.name)


def write_docs(lines: list[str], args: argparse.Namespace, backend: str) -> None:
    """Replace the body of "## Statistics" in docs/performance.md (other sections untouched).

    The text between the figures and the next section (the analysis) is kept as written.
    """
    text = DOC.read_text(encoding="utf-8")
    head, marker, rest = text.partition("## Statistics\n")
    if not marker:
        raise SystemExit("docs/performance.md has no '## Statistics' section")
    nxt = rest.find("\n## ")
    tail = rest[nxt + 1 :] if nxt != -1 else ""
    body = rest[: nxt + 1] if nxt != -1 else rest
    begin, end = "<!-- stats-bench:begin -->", "<!-- stats-bench:end -->"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures = [
        begin,
        f"Measured {datetime.now().astimezone():%Y-%m-%d} on {platform.machine()}, "
        f"{os.cpu_count()} cores (load average {load:.1f} at the start), Python "
        f"{platform.python_version()}, {backend}; medians of {args.repeat} warm runs.",
        "",
        *lines,
        "",
        "```",
        "python scripts/bigdata.py --db sqlite:///data/big.db --end 2026-11-22",
        "python scripts/bench_stats.py --db sqlite:///data/big.db "
        f"--date {args.date or '<yesterday>'} --write-docs",
        "```",
        end,
    ]
    if begin in body and end in body:
        before, _, after = body.partition(begin)
        _, _, after = after.partition(end)
        body = before + "\n".join(figures) + after
    else:
        body = "\n" + "\n".join(figures) + "\n"
    DOC.write_text(head + marker + body + ("\n" if not body.endswith("\n") else "") + tail,
                   encoding="utf-8")  # fmt: skip
    print(f"updated {DOC}")


if __name__ == "__main__":
    main()
