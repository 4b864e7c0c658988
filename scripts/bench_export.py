"""Export and restore speed against the raw baselines (issue 8; docs/performance.md).

    python scripts/bench_export.py                 # SQLite, ~1,000,000 rows
    python scripts/bench_export.py --pg            # also PostgreSQL (a throwaway server)
    python scripts/bench_export.py --calls 60000   # a quick run

The data is a year of a busy site from scripts/bigdata.py (calls with their work orders,
complaints and callbacks: about 1.6 rows per call, so 600,000 calls are ~1,000,000 rows).

- Export: ``shiftdesk export archive`` (every table as CSV and JSON Lines, masking,
  hashing, tar.gz) against the raw baseline: each table read with the DBAPI cursor and
  written with ``csv.writer`` into a ``.csv.gz`` at the same gzip level. Target: at least
  half the baseline's rows per second.
- Restore: ``shiftdesk import archive`` into a new database against the raw baseline: the
  same rows, already in memory, inserted with the driver's ``executemany`` in one
  transaction. Target: at least 0.3 times the baseline's rows per second.

Each figure is the best of ``--repeat`` runs, baseline and shiftdesk alternating, so a
busy machine hurts both alike. Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.engine import Engine

from shiftdesk import archive
from shiftdesk.db import make_engine
from shiftdesk.migrate import upgrade

TODAY = date(2026, 11, 22)


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock seconds and this process's CPU seconds (all its threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def raw_connection(engine: Engine) -> Any:
    return engine.raw_connection()


def count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(
            conn.exec_driver_sql(f"SELECT COUNT(*) FROM {_q(engine, t.name)}").scalar_one()
            for t in archive.tables()
        )


def _q(engine: Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def baseline_export(engine: Engine, out: Path, level: int) -> None:
    """Every table, ``SELECT *`` by primary key, csv.writer into gzip: no processing."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    raw = raw_connection(engine)
    try:
        for table in archive.tables():
            pk = ", ".join(_q(engine, c.name) for c in table.primary_key.columns)
            sql = f"SELECT * FROM {_q(engine, table.name)} ORDER BY {pk}"
            if engine.dialect.name == "sqlite":
                cur = raw.cursor()
            else:
                cur = raw.driver_connection.cursor(name=f"bench_{table.name}")
            cur.execute(sql)
            path = out / f"{table.name}.csv.gz"
            with gzip.open(path, "wt", compresslevel=level, encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow([c.name for c in table.columns])
                while rows := cur.fetchmany(5000):
                    writer.writerows(rows)
            cur.close()
        raw.commit()
    finally:
        raw.close()


def shiftdesk_export(engine: Engine, out: Path, level: int, site: str) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    result = archive.export_archive(
        engine,
        site,
        archive.everything("Asia/Shanghai"),
        archive.ExportOptions(out_dir=out, compress_level=level),
        today=TODAY,
    )
    return result.path


def fresh(url_for: Callable[[str], str], name: str) -> Engine:
    engine = make_engine(url_for(name))
    upgrade(engine)
    return engine


def baseline_import(source: Engine, target: Engine) -> float:
    """executemany of every table's rows (read beforehand, untimed) in one transaction."""
    mark = "?" if target.dialect.name == "sqlite" else "%s"
    loaded: list[tuple[str, list[tuple[Any, ...]]]] = []
    raw = raw_connection(source)
    try:
        for table in archive.tables():
            cur = raw.cursor()
            cur.execute(f"SELECT * FROM {_q(source, table.name)}")
            loaded.append((table.name, [tuple(r) for r in cur.fetchall()]))
            cur.close()
    finally:
        raw.close()
    raw = raw_connection(target)
    try:
        started = time.perf_counter()
        cur = raw.cursor()
        if target.dialect.name == "sqlite":
            cur.execute("BEGIN")  # one transaction, as the restore uses
        for name, rows in loaded:
            if not rows:
                continue
            cols = len(rows[0])
            sql = f"INSERT INTO {_q(target, name)} VALUES ({', '.join([mark] * cols)})"
            cur.executemany(sql, rows)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def run(label: str, url_for: Callable[[str], str], args: argparse.Namespace, work: Path) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bigdata

    started = time.perf_counter()
    summary = bigdata.generate(
        url_for("source"),
        calls=args.calls,
        parcels=0,
        open_orders=args.calls // 100,
        residents=5000,
        seed=7,
        site="BENCH",
        quiet=True,
    )
    source = make_engine(url_for("source"))
    rows = count_rows(source)
    print(
        f"[{label}] {rows:,} rows generated in {time.perf_counter() - started:.0f} s "
        f"({', '.join(f'{k} {v:,}' for k, v in summary.counts.items())})",
        file=sys.stderr,
    )

    made: dict[str, Path] = {}
    base_runs: list[tuple[float, float]] = []
    our_runs: list[tuple[float, float]] = []
    for _ in range(args.repeat):
        base_runs.append(timed(lambda: baseline_export(source, work / "baseline", args.level)))
        our_runs.append(
            timed(
                lambda: made.__setitem__(
                    "path", shiftdesk_export(source, work / "archive", args.level, "BENCH")
                )
            )
        )
    t_base_export, cpu_base_export = min(base_runs)
    t_export, cpu_export = min(our_runs)
    print(
        f"[{label}] export: baseline {t_base_export:.1f} s (CPU {cpu_base_export:.1f} s), "
        f"shiftdesk {t_export:.1f} s (CPU {cpu_export:.1f} s)",
        file=sys.stderr,
    )

    t_base_import = t_import = float("inf")
    for i in range(args.repeat):
        target = fresh(url_for, f"raw{i}")
        t_base_import = min(t_base_import, baseline_import(source, target))
        target.dispose()
        target = fresh(url_for, f"restore{i}")
        started = time.perf_counter()
        archive.import_archive(target, made["path"])
        t_import = min(t_import, time.perf_counter() - started)
        target.dispose()
    print(
        f"[{label}] import: baseline {t_base_import:.1f} s, shiftdesk {t_import:.1f} s",
        file=sys.stderr,
    )
    source.dispose()
    return {
        "label": label,
        "rows": rows,
        "export": (t_base_export, t_export),
        "export_cpu": (cpu_base_export, cpu_export),
        "import": (t_base_import, t_import),
        "archive_mb": made["path"].stat().st_size / 1e6,
        "baseline_mb": sum(p.stat().st_size for p in (work / "baseline").iterdir()) / 1e6,
    }


def markdown(results: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"Measured with `python scripts/bench_export.py{' --pg' if args.pg else ''}` "
        f"(best of {args.repeat}, gzip level {args.level}, data from scripts/bigdata.py, "
        "personal data masked as by default).",
        "",
        "| Backend | Rows | Step | Raw baseline | shiftdesk | Ratio | Target |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        rows = r["rows"]
        for step, target, what in (
            ("export", 0.5, "csv.writer + gzip"),
            ("import", 0.3, "executemany"),
        ):
            base, ours = r[step]
            lines.append(
                f"| {r['label']} | {rows:,} | {step} vs {what} | {base:.1f} s "
                f"({rows / base:,.0f} rows/s) | {ours:.1f} s ({rows / ours:,.0f} rows/s) "
                f"| {base / ours:.2f}× | ≥ {target}× |"
            )
    lines.append("")
    for r in results:
        base_cpu, our_cpu = r["export_cpu"]
        lines.append(
            f"{r['label']}: export CPU time (all threads of the process) {base_cpu:.1f} s for "
            f"the baseline, {our_cpu:.1f} s for shiftdesk, which compresses on a second "
            "core while the first encodes rows."
        )
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines.append(f"Load average when the run ended: {load} (1 / 5 / 15 min).")
    lines.append("")
    for r in results:
        lines.append(
            f"{r['label']}: the archive (CSV and JSON Lines of every table, tar.gz) is "
            f"{r['archive_mb']:.0f} MB; the baseline's CSV-only .csv.gz files "
            f"{r['baseline_mb']:.0f} MB."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--calls",
        type=int,
        default=600_000,
        help="Calls to generate (~1.6 rows each with their orders).",
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--level", type=int, default=6, help="gzip level for both sides.")
    parser.add_argument("--pg", action="store_true", help="Also on a throwaway PostgreSQL.")
    parser.add_argument("--keep", action="store_true", help="Keep the work directory.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shiftdesk-bench-export-"))
    results = []
    try:
        results.append(run("SQLite", lambda name: f"sqlite:///{work / name}.db", args, work))
        if args.pg:
            from tests import pg

            bindir = pg.find_bindir()
            if bindir is None:
                sys.exit("PostgreSQL binaries not found")
            server = pg.PgServer(bindir)
            server.start()
            try:
                pg.wait_ready(server.url())
                import psycopg

                admin = server.url().replace("postgresql+psycopg://", "postgresql://")

                def pg_url(name: str) -> str:
                    with psycopg.connect(admin, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                        conn.execute(f'CREATE DATABASE "{name}"')
                    return server.url(name)

                made: dict[str, str] = {}

                def url_for(name: str) -> str:
                    if name not in made:
                        made[name] = pg_url(name)
                    return made[name]

                results.append(run("PostgreSQL", url_for, args, work))
            finally:
                server.stop()
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(results, args))


if __name__ == "__main__":
    main()
