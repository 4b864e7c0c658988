"""Benchmark: the nightly report's query work against a raw SQL GROUP BY, same data, same run.

    python scripts/bigdata.py --db sqlite:///data/big.db --end 2026-11-22   # once (~1 GB)
    python scripts/bench_stats.py --db sqlite:///data/big.db --date 2026-11-21
    python scripts/bench_stats.py --db sqlite:///data/big.db --date 2026-11-21 --write-docs

"Query work" is ``stats.build.fetch``: every SQL statement the nightly report runs (counts,
group-bys, and the timestamp rows of the day's orders, complaints and callbacks that the
clock functions judge), through SQLAlchemy Core, rows fetched. "Baseline" is what a
hand-written report would at least have to run: one raw DB-API ``GROUP BY`` per table the
report reads (calls, complaints, work orders, callbacks, parcels, notifications), over the
same day, through the driver alone. Target (issue 7): query work <= 2x baseline. The whole
report (query work + the clock verdicts from the shared clock functions + the layout, as
``stats nightly`` runs it) and the monthly report are timed too. Everything warm (a first
run is discarded), ``--repeat`` times, medians. ``--write-docs`` rewrites the
"Statistics" section of docs/performance.md with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shiftdesk.config import load_settings
from shiftdesk.db import make_engine
from shiftdesk.stats import build
from shiftdesk.stats.build import fetch
from shiftdesk.stats.periods import make_period

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = fn()  # warm-up, discarded
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


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
    week_before = stamp(start - timedelta(days=7))
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
        # sent_at has no index: narrowed by the indexed not_before, as the report does
        (f"SELECT kind, status, COUNT(*) FROM notification WHERE {day.format(col='not_before')}"
         f" AND sent_at >= {mark} AND sent_at < {mark} GROUP BY kind, status",
         (site_id, week_before, e, s, e)),
    ]  # fmt: skip
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
    day_text = args.date
    full_time, reports = timed(
        lambda: build(engine, settings, "nightly", site=args.site, date_text=day_text, now=now),
        args.repeat,
    )
    report = reports[0]
    day = date.fromisoformat(report["date"])
    period = make_period("day", day, day, tz)

    def query_work() -> Any:
        with engine.connect() as conn:
            return fetch(conn, site_id, period)

    query_time, _ = timed(query_work, args.repeat)
    base_time, _ = timed(baseline_queries(engine, site_id, period.start, period.end), args.repeat)
    month_time, _ = timed(
        lambda: build(engine, settings, "monthly", site=args.site, now=now),
        max(1, args.repeat // 3),
    )
    ratio = query_time / base_time
    rows = [
        ("nightly report: query work (every SQL statement, rows fetched)", query_time),
        ("baseline: one raw GROUP BY per table", base_time),
        ("nightly report: whole (query work + clock verdicts + layout)", full_time),
        ("monthly report (last month), whole", month_time),
    ]
    wo = report["work_orders"]
    lines = [
        f"Database: {engine.dialect.name}, {counts['call']:,} calls, {counts['work_order']:,} "
        f"work orders ({open_orders:,} open), {counts['complaint']:,} complaints, "
        f"{counts['callback']:,} callbacks, {counts['parcel']:,} parcels, "
        f"{counts['notification']:,} notifications.",
        f"Day {report['date']}: {report['calls']['total']:,} calls, {wo['created']:,} orders, "
        f"{report['parcels']['received']:,} parcels, {len(report['breaches']):,} breaches.",
        "",
        "| Measure | Median |",
        "| --- | --- |",
        *(f"| {name} | {secs * 1000:.1f} ms |" for name, secs in rows),
        f"| **ratio query work / baseline** | **{ratio:.2f}x** (target <= 2x) |",
        f"| ratio whole report / baseline | {full_time / base_time:.2f}x |",
    ]
    print("\n".join(lines))
    if args.write_docs:
        write_docs(lines, args, engine.dialect.name)


def write_docs(lines: list[str], args: argparse.Namespace, backend: str) -> None:
    """Replace the body of "## Statistics" in docs/performance.md (other sections untouched)."""
    text = DOC.read_text(encoding="utf-8")
    head, marker, rest = text.partition("## Statistics\n")
    if not marker:
        raise SystemExit("docs/performance.md has no '## Statistics' section")
    nxt = rest.find("\n## ")
    tail = rest[nxt + 1 :] if nxt != -1 else ""
    cpu = os.cpu_count()
    body = [
        "",
        f"Measured {datetime.now().astimezone():%Y-%m-%d} on {platform.machine()}, {cpu} cores, "
        f"Python {platform.python_version()}, {backend}; medians of {args.repeat} warm runs.",
        "",
        *lines,
        "",
        "Reproduce:",
        "",
        "```",
        "python scripts/bigdata.py --db sqlite:///data/big.db --end 2026-11-22",
        "python scripts/bench_stats.py --db sqlite:///data/big.db "
        f"--date {args.date or '<yesterday>'} --write-docs",
        "```",
        "",
    ]
    DOC.write_text(head + marker + "\n".join(body) + "\n" + tail, encoding="utf-8")
    print(f"updated {DOC}")


if __name__ == "__main__":
    main()
