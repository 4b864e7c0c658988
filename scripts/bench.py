"""The benchmark suite: every performance figure of issue 10, each next to its baseline.

    python scripts/bench.py            # full: a busy year (1M calls), writes docs/performance.md
    python scripts/bench.py --quick    # 100k calls over 60 days, still 10k open orders
    python scripts/bench.py --smoke    # a tiny site, seconds (tests/test_bench_smoke.py)

Data comes from ``scripts/bigdata.py`` (bulk inserts, not the ORM) and is cached under
``--cache`` (default ``data/bench/``), keyed by its sizes and the schema, so a second run
starts measuring at once; ``--rebuild`` makes it again. Every run works on a fresh copy of
the cached database, so the cache stays as generated.

Each figure is measured in the same run as its baseline and printed as figure / baseline /
ratio / target / met:

- ``shiftdesk --help`` and ``shiftdesk version`` vs a bare Typer app (subprocess, median);
- the terminal app's start on the big database until the sign-in dialog is up and the
  board's first read is done, vs a bare Textual app importing the same modules
  (``scripts/bench_probe.py``, headless);
- saving a call through ``calls.log_call`` in ``transact`` (p50 / p99) vs a raw sqlite3
  insert + commit, SQLite WAL;
- the dispatch board with its open orders: one cursor move processed and rendered, and what
  a live refresh re-reads when another terminal changes one order;
- lookup as you type (unit, pinyin, initials, phone, Chinese name) per keystroke vs a raw
  indexed ``LIKE`` query;
- ``stats nightly`` on the last full day vs raw SQL GROUP BYs over the same rows;
- ``export archive`` vs raw csv.writer + gzip, ``import archive`` vs raw executemany;
- peak RSS of the terminal app with the board loaded, vs the bare app.

The area scripts (``bench_board.py``, ``bench_stats.py``, ``bench_export.py``) go deeper on
their own subject; this suite is the one command for every figure and writes the summary
block of docs/performance.md (between its ``bench`` markers; the other sections stay).
Timings are never asserted by the tests: the smoke test only checks every figure is produced.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import math
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

#: data sizes per mode (bigdata.generate keywords)
SIZES: dict[str, dict[str, int]] = {
    "full": {"calls": 1_000_000, "parcels": 300_000, "open_orders": 10_000,
             "residents": 5_000, "days": 365},
    # a shorter history, but the same open-order load on the board and the same residents
    "quick": {"calls": 100_000, "parcels": 30_000, "open_orders": 10_000,
              "residents": 5_000, "days": 60},
    "smoke": {"calls": 1_500, "parcels": 200, "open_orders": 60, "residents": 200, "days": 10},
}  # fmt: skip
#: repetitions per mode
REPEATS: dict[str, dict[str, int]] = {
    "full": {"cli": 15, "start": 7, "moves": 300, "saves": 1000, "typing": 5, "stats": 7,
             "export": 1},
    "quick": {"cli": 7, "start": 3, "moves": 150, "saves": 300, "typing": 2, "stats": 3,
              "export": 1},
    "smoke": {"cli": 1, "start": 1, "moves": 5, "saves": 10, "typing": 1, "stats": 1,
              "export": 1},
}  # fmt: skip

#: modules a CLI that prints help must not load (design.md §1)
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "textual", "alembic", "openpyxl", "apprise",
         "pypinyin", "phonenumbers", "psycopg")  # fmt: skip

BARE_TYPER = '''
import typer

app = typer.Typer(help="A bare Typer app: the baseline for shiftdesk's CLI.", add_completion=False)


@app.callback(invoke_without_command=True)
def root(
    config: str = typer.Option(None, "--config", help="Config file."),
    db: str = typer.Option(None, "--db", help="Database URL."),
) -> None:
    """Run without a command to do nothing."""


@app.command()
def version() -> None:
    """Print the program version."""
    typer.echo("bare 1.0")


@app.command()
def init() -> None:
    """Create the database."""


sub = typer.Typer(help="A sub-app.")


@sub.command("list")
def list_() -> None:
    """List things."""


app.add_typer(sub, name="things")
app()
'''


# ------------------------------------------------------------------------------ figures


@dataclass
class Figure:
    """One line of the table. ``better`` is "lower" (times, memory) or "higher" (throughput).

    ``ratio`` is figure / baseline, so for times below 1 is faster than the baseline and for
    throughputs above 1 is faster. ``limit`` is the target: a ratio (``kind="ratio"``) or an
    absolute value in ``unit`` (``kind="absolute"``).
    """

    key: str
    title: str
    unit: str
    value: float | None = None
    baseline: float | None = None
    baseline_title: str = ""
    better: str = "lower"
    kind: str = "ratio"
    limit: float | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def target(self) -> str:
        if self.limit is None:
            return "-"
        sign = "≤" if self.better == "lower" else "≥"
        if self.kind == "ratio":
            return f"{sign} {self.limit:g}×"
        return f"{sign} {fmt_value(self.limit, self.unit)}"

    @property
    def met(self) -> bool | None:
        if self.limit is None or self.value is None:
            return None
        measured = self.ratio if self.kind == "ratio" else self.value
        if measured is None:
            return None
        return measured <= self.limit if self.better == "lower" else measured >= self.limit

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(ratio=self.ratio, target=self.target, met=self.met)
        return out


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "rows/s":
        return f"{value:,.0f} rows/s"
    if unit == "rows":
        return f"{value:g} row" + ("" if value == 1 else "s")
    return f"{value:g} {unit}".strip()


def fmt_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}×"


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank: p99 of 1,000 values is the 990th."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


# ------------------------------------------------------------------------------ context


@dataclass
class Bench:
    mode: str
    cache: Path
    work: Path
    rebuild: bool = False
    only: set[str] | None = None
    verbose: bool = True
    db_path: Path | None = None
    config_path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)

    @property
    def sizes(self) -> dict[str, int]:
        return SIZES[self.mode]

    @property
    def repeats(self) -> dict[str, int]:
        return REPEATS[self.mode]

    @property
    def url(self) -> str:
        assert self.db_path is not None
        return f"sqlite:///{self.db_path}"

    def say(self, text: str) -> None:
        if self.verbose:
            print(f"[bench] {text}", file=sys.stderr, flush=True)

    def env(self) -> dict[str, str]:
        """The environment of every subprocess: this run's database and config only."""
        env = {k: v for k, v in os.environ.items() if not _theirs(k)}
        env["SHIFTDESK_DB"] = self.url
        env["SHIFTDESK_CONFIG"] = str(self.config_path)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.pop("TEXTUAL", None)  # no devtools
        # Bytecode as an installed program has it: with PYTHONDONTWRITEBYTECODE (set in the
        # development environment this was written in) shiftdesk's own modules would be
        # compiled from source at every start, about as long as importing them. Without it,
        # Python keeps their bytecode in __pycache__ (git-ignored), as after `pip install`.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("PYTHONPYCACHEPREFIX", None)
        return env

    def wanted(self, key: str) -> bool:
        return self.only is None or key in self.only

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        self.say(
            f"{figure.title}: {fmt_value(figure.value, figure.unit)}"
            f" (baseline {fmt_value(figure.baseline, figure.unit)}, {fmt_ratio(figure.ratio)})"
            + (f" ERROR {figure.error}" if figure.error else "")
        )
        return figure


def _theirs(var: str) -> bool:
    """A SHIFTDESK_* setting of the caller's shell (kept out); the test harness's own
    SHIFTDESK_TEST_* (a moved clock, issue #15) passes through."""
    return var.startswith("SHIFTDESK_") and not var.startswith("SHIFTDESK_TEST_")


def schema_fingerprint() -> str:
    import hashlib

    versions = ROOT / "shiftdesk" / "migrations" / "versions"
    digest = hashlib.sha256()
    for path in sorted(versions.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def prepare_data(b: Bench) -> None:
    """Generate (or reuse) the cached database, then copy it into this run's work folder."""
    s = b.sizes
    name = "bench-{calls}c-{parcels}p-{open_orders}o-{residents}r-{days}d".format(**s)
    cached = b.cache / f"{name}.db"
    meta_path = b.cache / f"{name}.json"
    fingerprint = schema_fingerprint()
    meta: dict[str, Any] | None = None
    if meta_path.exists() and cached.exists() and not b.rebuild:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("schema") != fingerprint:
            b.say("cached data was made for another schema: generating it again")
            meta = None
    if meta is None:
        b.cache.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cached}{suffix}").unlink(missing_ok=True)
        meta_path.unlink(missing_ok=True)
        bigdata = _load_script("bigdata")
        b.say(f"generating {name} with scripts/bigdata.py ...")
        started = time.perf_counter()
        summary = bigdata.generate(f"sqlite:///{cached}", quiet=not b.verbose, **s)
        meta = {
            "schema": fingerprint,
            "sizes": s,
            "counts": dict(summary.counts),
            "open_orders": summary.open_orders,
            "first_day": summary.first_day.isoformat(),
            "last_day": summary.last_day.isoformat(),
            "site": summary.site,
            "seconds": round(time.perf_counter() - started, 1),
            "made": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    b.data = meta
    b.work.mkdir(parents=True, exist_ok=True)
    b.db_path = b.work / "work.db"
    started = time.perf_counter()
    src = sqlite3.connect(f"file:{cached}?mode=ro", uri=True)
    dst = sqlite3.connect(b.db_path)
    with dst:
        src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    os.chmod(b.db_path, 0o600)
    b.say(f"working copy of {cached.name} in {time.perf_counter() - started:.1f} s")
    from shiftdesk.config import write_default_config

    b.config_path = b.work / "config.toml"
    write_default_config(b.config_path)


def _load_script(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------ processes


def shiftdesk_command() -> list[str]:
    """The installed ``shiftdesk`` console script (what an operator runs), else ``-m``."""
    script = Path(sys.executable).parent / "shiftdesk"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "shiftdesk"]


#: CPU seconds (user + system) of the last process run_timed waited for
LAST_CPU: list[float] = [0.0]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run; its CPU seconds go to LAST_CPU (robust under load)."""
    cpu0 = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - started
    LAST_CPU[0] = children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} exited {proc.returncode}: {proc.stderr[-400:]!r}")
    return elapsed


def alternate(
    runs: int, ours: Callable[[], float], base: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Interleave the two so load changes on a shared machine hit both alike."""
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(ours())
        theirs.append(base())
    return mine, theirs


def probe(b: Bench, *args: str, timeout: float = 300) -> tuple[float, dict[str, Any]]:
    """Run scripts/bench_probe.py; (seconds from start to its BENCH line, its payload)."""
    cmd = [sys.executable, str(SCRIPTS / "bench_probe.py"), *args]
    wall0 = time.clock_gettime(time.CLOCK_MONOTONIC)  # the probe stamps with this clock too
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=b.env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    payload: dict[str, Any] | None = None
    elapsed = 0.0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("BENCH "):
                elapsed = time.perf_counter() - started
                payload = json.loads(line[6:])
                break
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if payload is None or "error" in payload:
        err = proc.stderr.read() if proc.stderr else ""
        why = (payload or {}).get("error") or err.strip().splitlines()[-1:] or "no output"
        raise RuntimeError(f"probe {args[0]} failed: {why}")
    stamps = payload.get("stamps", {})
    payload["phases"] = {k: round(v - wall0, 3) for k, v in stamps.items()}
    return elapsed, payload


# ------------------------------------------------------------------------------ CLI figures


def bench_cli(b: Bench) -> None:
    env = b.env()
    ours = shiftdesk_command()
    bare = [sys.executable, "-c", BARE_TYPER]
    n = b.repeats["cli"]
    heavy = heavy_modules_for_help(env)
    for key, title, args in (
        ("cli_help", "shiftdesk --help", ["--help"]),
        ("cli_version", "shiftdesk version", ["version"]),
    ):
        if not b.wanted(key):
            continue
        fig = Figure(key, title, "s", baseline_title=f"bare Typer app {' '.join(args)}",
                     limit=1.5)  # fmt: skip
        try:
            if b.mode != "smoke":
                run_timed(ours + args, env)  # warm the file cache and the bytecode cache
                run_timed(bare + args, env)
            cpu_mine: list[float] = []
            cpu_theirs: list[float] = []

            def timed(cmd: list[str], into: list[float]) -> float:
                elapsed = run_timed(cmd, env)
                into.append(LAST_CPU[0])
                return elapsed

            mine, theirs = alternate(
                n,
                lambda a=args, c=cpu_mine: timed(ours + a, c),  # type: ignore[misc]
                lambda a=args, c=cpu_theirs: timed(bare + a, c),  # type: ignore[misc]
            )
            fig.value, fig.baseline = statistics.median(mine), statistics.median(theirs)
            cpu, cpu_base = statistics.median(cpu_mine), statistics.median(cpu_theirs)
            fig.detail.update(cpu_s=cpu, baseline_cpu_s=cpu_base)
            fig.note = (
                f"median of {n} runs each, interleaved; CPU time {cpu:.3f} s vs {cpu_base:.3f} s "
                f"({cpu / cpu_base:.2f}×)"
            )
            if key == "cli_help":
                fig.note += "; heavy modules loaded: " + (", ".join(heavy) or "none")
                fig.detail["heavy_modules"] = heavy
        except Exception as exc:
            fig.error = str(exc)
        b.add(fig)


def heavy_modules_for_help(env: dict[str, str]) -> list[str]:
    """Which of HEAVY ``shiftdesk --help`` loads (it should load none of them)."""
    code = (
        "import atexit, sys\n"
        f"heavy = {HEAVY!r}\n"
        "atexit.register(lambda: sys.stderr.write('HEAVY ' + ','.join("
        "m for m in heavy if m in sys.modules) + '\\n'))\n"
        "sys.argv = ['shiftdesk', '--help']\n"
        "from shiftdesk.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT,
        check=False,
    )  # fmt: skip
    for line in proc.stderr.splitlines():
        if line.startswith("HEAVY "):
            return [m for m in line[6:].split(",") if m]
    return ["(unknown: the probe failed)"]


# ------------------------------------------------------------------------------ TUI figures


def bench_tui(b: Bench) -> None:
    modules = b.work / "modules.txt"
    warm = b.mode != "smoke"
    base_runs: list[tuple[float, dict[str, Any]]] = []
    if b.wanted("tui_start") or b.wanted("tui_start_read"):
        # The figure ends when the sign-in dialog is ready and the board's first
        # query is done; the stricter one also waits for that read's clocks to be judged and
        # merged into the board (what the operator sees after signing in). Both from the same
        # runs, by the probes' own stamps (seconds from the process's start).
        query = Figure(
            "tui_start", "TUI: start to sign-in ready + board's first query", "s",
            baseline_title="bare Textual app, same modules imported", limit=1.5,
        )  # fmt: skip
        fig = Figure(
            "tui_start_read", "TUI: start to sign-in ready + board's first read judged", "s",
            baseline_title="bare Textual app, same modules imported", limit=1.5,
        )  # fmt: skip
        try:
            runs_ours: list[tuple[float, dict[str, Any]]] = []
            first = probe(b, "start", "--modules-out", str(modules))  # fills the bytecode cache
            if not warm:
                runs_ours.append(first)
            else:
                probe(b, "bare-start", "--modules", str(modules))
            n = b.repeats["start"]
            for _ in range(n):
                if warm:
                    runs_ours.append(probe(b, "start"))
                base_runs.append(probe(b, "bare-start", "--modules", str(modules)))
            fig.value = statistics.median(r[0] for r in runs_ours)
            fig.baseline = statistics.median(r[0] for r in base_runs)
            mid = sorted(runs_ours, key=lambda r: r[0])[len(runs_ours) // 2][1]
            mid_base = sorted(base_runs, key=lambda r: r[0])[len(base_runs) // 2][1]
            cpu = statistics.median(r[1]["cpu"]["done"] for r in runs_ours)
            cpu_base = statistics.median(r[1]["cpu"]["done"] for r in base_runs)
            fig.detail = {
                "phases_s": mid["phases"],
                "phases_cpu_s": mid["cpu"],
                "baseline_phases_s": mid_base["phases"],
                "baseline_phases_cpu_s": mid_base["cpu"],
                "cpu_s": cpu,
                "baseline_cpu_s": cpu_base,
                "open_orders": mid.get("open_orders"),
                "modules_imported_by_baseline": mid_base.get("modules"),
            }
            c = mid["cpu"]
            fig.note = (
                f"median of {len(runs_ours)}; {mid.get('open_orders'):,} open orders read; CPU "
                f"time {cpu:.2f} s vs {cpu_base:.2f} s ({cpu / cpu_base:.2f}×), by phase (CPU s): "
                f"interpreter {c['probe']:.2f}, imports {c['ui_imported'] - c['probe']:.2f}, "
                f"settings + database + schema check {c['db_ready'] - c['ui_imported']:.2f}, "
                f"app to sign-in ready {c['signin_ready'] - c['db_ready']:.2f}, "
                f"board's first read {c['feed_loaded'] - c['signin_ready']:.2f}"
            )

            def ready(run: dict[str, Any]) -> float:
                phases = run["phases"]
                return max(phases["signin_ready"], phases.get("feed_queried", phases["done"]))

            query.value = statistics.median(ready(r[1]) for r in runs_ours)
            query.baseline = statistics.median(r[1]["phases"]["done"] for r in base_runs)
            queried = statistics.median(r[1]["phases"].get("feed_queried", 0.0) for r in runs_ours)
            signed = statistics.median(r[1]["phases"]["signin_ready"] for r in runs_ours)
            query.note = (
                f"median of {len(runs_ours)}, the same runs as the next line; from the process's "
                f"start: sign-in dialog ready {signed:.2f} s, the board's first query returned "
                f"its {mid.get('open_orders'):,} rows {queried:.2f} s; the bare app's dialog "
                f"ready {query.baseline:.2f} s"
            )
        except Exception as exc:
            fig.error = query.error = str(exc)
        if b.wanted("tui_start"):
            b.add(query)
        if b.wanted("tui_start_read"):
            b.add(fig)

    if not (b.wanted("board_cursor") or b.wanted("board_live") or b.wanted("tui_rss")):
        return
    cursor = Figure("board_cursor", "Board: one cursor move, processed and rendered (median)",
                    "ms", baseline_title="a cursor move in a bare app's OptionList",
                    kind="absolute", limit=16.0)  # fmt: skip
    live = Figure("board_live", "Board: rows re-read when another terminal changes one order",
                  "rows", baseline_title="the one changed order", kind="absolute",
                  limit=1)  # fmt: skip
    rss = Figure("tui_rss", "TUI peak RSS, board loaded", "MB",
                 baseline_title="bare Textual app, same modules imported", kind="absolute",
                 limit=150.0)  # fmt: skip
    try:
        if not modules.exists():
            probe(b, "start", "--modules-out", str(modules))
        if not base_runs:
            base_runs.append(probe(b, "bare-start", "--modules", str(modules)))
        _, session = probe(b, "session", "--moves", str(b.repeats["moves"]))
        _, bare = probe(
            b, "bare-session", "--modules", str(modules), "--moves", str(b.repeats["moves"])
        )
        moves = session["cursor_ms"]
        cursor.value = statistics.median(moves)
        cursor.baseline = statistics.median(bare["cursor_ms"])
        cursor.detail = {
            "moves": len(moves),
            "p95_ms": pct(moves, 95),
            "max_ms": max(moves),
            "render_ms_median": statistics.median(session["frame_render_ms"] or [0]),
            "open_orders": session.get("open_orders"),
        }
        cursor.note = (
            f"{len(moves)} moves (down then up, scrolling) over {session.get('open_orders'):,} "
            f"open orders, 100×30 headless, from the key event to the frame turned into terminal "
            f"bytes; p95 {pct(moves, 95):.1f} ms, max {max(moves):.1f} ms; turning a frame into "
            f"bytes {cursor.detail['render_ms_median']:.2f} ms (median); Textual paces frames at "
            "60 fps, so a move waits for the next frame slot; baseline: the same timing on "
            "Textual's own OptionList (1,000 rows) in the bare app, same run"
        )
        area = bench_board_script(b)
        if area:
            cursor.detail["bench_board"] = area
            cursor.note += f"; scripts/bench_board.py (own data, pilot timing): {area}"
        info = session["live"]
        live.value = float(info["rows_read"]) if isinstance(info["rows_read"], int) else None
        live.baseline = 1
        live.detail = info
        live.note = (
            f"order #{info['order_id']} changed by another connection: the feed re-read "
            f"{info['rows_read']} row(s), changed ids {info['changed']}, applied "
            f"{info['latency_ms']:.0f} ms after the commit (the watcher polls every 0.25 s); "
            f"the board then redrew {info['lines_rendered']} line(s) of its window"
        )
        rss.value = session["peak_rss_mb"]
        rss.baseline = statistics.median(r[1]["peak_rss_mb"] for r in base_runs)
        rss.detail = {"open_orders": session.get("open_orders")}
        rss.note = (
            f"signed in, F3 board with {session.get('open_orders'):,} open orders, "
            f"{len(moves)} cursor moves, a live refresh; VmHWM of the process"
        )
    except Exception as exc:
        cursor.error = live.error = rss.error = str(exc)
    for fig in (cursor, live, rss):
        if b.wanted(fig.key):
            b.add(fig)


def bench_board_script(b: Bench) -> str:
    """Run the dispatch engineer's scripts/bench_board.py and quote its cursor figure."""
    script = SCRIPTS / "bench_board.py"
    if b.mode == "smoke" or not script.exists():
        return ""
    orders = b.data.get("open_orders") or 10_000
    cmd = [sys.executable, str(script), "--orders", str(orders), "--moves", "100",
           "--size", "100x30"]  # fmt: skip
    proc = subprocess.run(cmd, env=b.env(), capture_output=True, text=True, cwd=ROOT,
                          check=False, timeout=900)  # fmt: skip
    for line in proc.stdout.splitlines():
        if line.startswith("cursor down"):
            return " ".join(line.split(":", 1)[1].split())
    return f"(no cursor figure: exit {proc.returncode})"


# ------------------------------------------------------------------------------ in-process


@contextlib.contextmanager
def app_env(b: Bench) -> Iterator[tuple[Any, Any, Any]]:
    """(settings, engine, site) for this run's working copy, as the CLI would build them."""
    from shiftdesk.config import load_settings
    from shiftdesk.db import make_engine, read_session
    from shiftdesk.i18n import set_locale
    from shiftdesk.sites import get_site

    settings = load_settings(b.config_path, db_url=b.url, env={})
    set_locale(settings.locale)
    engine = make_engine(settings.db_url, busy_timeout_ms=settings.database.busy_timeout_ms)
    with read_session(engine) as session:
        site = get_site(session, b.data.get("site", settings.site.code))
    try:
        yield settings, engine, site
    finally:
        engine.dispose()


def bench_save_call(b: Bench) -> None:
    if not (b.wanted("save_p50") or b.wanted("save_p99")):
        return
    p50 = Figure("save_p50", "Save a call form (p50)", "ms",
                 baseline_title="raw sqlite3 insert + commit, p50", kind="absolute")  # fmt: skip
    p99 = Figure("save_p99", "Save a call form (p99)", "ms",
                 baseline_title="raw sqlite3 insert + commit, p99", kind="absolute",
                 limit=5.0)  # fmt: skip
    try:
        _save_call(b, p50, p99)
    except Exception as exc:
        p50.error = p99.error = f"{type(exc).__name__}: {exc}"
    b.add(p50)
    b.add(p99)


def _save_call(b: Bench, p50: Figure, p99: Figure) -> None:
    from sqlalchemy import event
    from sqlmodel import select

    from shiftdesk.calls import CallInput, RepairInput
    from shiftdesk.db import read_session, transact
    from shiftdesk.models import Resident, Unit
    from shiftdesk.security import actor_for
    from shiftdesk.sites import find_operator

    rng = random.Random(11)
    n = b.repeats["saves"]
    with app_env(b) as (settings, engine, site):
        with read_session(engine) as session:
            actor = actor_for(find_operator(session, "wangfang"))
            units = session.exec(select(Unit.id).where(Unit.site_id == site.id)).all()
            people = session.exec(
                select(Resident.id, Resident.unit_id, Resident.name, Resident.phone)
                .where(Resident.site_id == site.id)
                .limit(2000)
            ).all()
        trades = list(settings.workorders.trades)
        forms = []
        for i in range(n):
            rid, unit_id, name, phone = rng.choice(people)
            if i % 10 < 3:  # a repair: the call and its work order, in one transaction
                forms.append(CallInput(
                    channel="phone", category="repair", summary=f"卫生间漏水 bench {i}",
                    caller_name=name, caller_phone=phone, unit_id=unit_id, resident_id=rid,
                    repair=RepairInput(trade=rng.choice(trades),
                                       priority=rng.choice(("normal", "normal", "urgent"))),
                ))  # fmt: skip
            else:
                forms.append(CallInput(
                    channel=rng.choice(("phone", "walk_in")), category="inquiry",
                    summary=f"询问物业费缴纳 bench {i}", caller_name=name, caller_phone=phone,
                    unit_id=rng.choice(units) if i % 2 else unit_id,
                ))  # fmt: skip
        # the terminal app's connection settings: WAL checkpoints off the saves (shiftdesk.db)
        from shiftdesk import db as db_module

        checkpointer = None
        if hasattr(db_module, "Checkpointer"):
            db_module.defer_checkpoints(engine)
            checkpointer = db_module.Checkpointer(engine).start()
        commit_started: list[float] = []
        event.listen(engine, "commit", lambda conn: commit_started.append(time.perf_counter()))
        saves: list[float] = []
        commits: list[float] = []
        site_id = int(site.id)
        cpu: list[float] = []
        by_kind: dict[str, list[float]] = {}
        for form in forms:
            cpu0 = time.process_time()
            started = time.perf_counter()
            transact(engine, partial(_log, site_id=site_id, form=form, settings=settings),
                     actor=actor)  # fmt: skip
            done = time.perf_counter()
            cpu.append((time.process_time() - cpu0) * 1000)
            saves.append((done - started) * 1000)
            by_kind.setdefault(form.category, []).append(saves[-1])
            if commit_started:
                commits.append((done - commit_started[-1]) * 1000)
        if checkpointer is not None:
            checkpointer.stop()
        raw = _raw_inserts(b.db_path, n)
    p50.value, p99.value = pct(saves, 50), pct(saves, 99)
    p50.baseline, p99.baseline = pct(raw, 50), pct(raw, 99)
    detail: dict[str, Any] = {
        "saves": n,
        "repairs_share": 0.3,
        "commit_only_p50_ms": pct(commits, 50) if commits else None,
        "commit_only_p99_ms": pct(commits, 99) if commits else None,
        "max_ms": max(saves),
        "cpu_p50_ms": pct(cpu, 50),
        "cpu_p99_ms": pct(cpu, 99),
        "by_category_ms": {
            k: {"p50": pct(v, 50), "p90": pct(v, 90), "p99": pct(v, 99)} for k, v in by_kind.items()
        },
    }
    p50.detail = p99.detail = detail
    p50.note = "the same 1,000 saves as the p99 line"
    p99.note = (
        f"{n} saves through calls.log_call in transact (validate, insert the call, 3 in 10 with "
        "a work order, audit rows, COMMIT), SQLite WAL + synchronous=NORMAL with the app's "
        "background checkpointer, on the big database; the COMMIT alone p50 "
        f"{detail['commit_only_p50_ms'] or 0:.2f} ms, p99 "
        f"{detail['commit_only_p99_ms'] or 0:.2f} ms; worst save {max(saves):.1f} ms; CPU time "
        f"per save p50 {detail['cpu_p50_ms']:.2f} ms, p99 {detail['cpu_p99_ms']:.2f} ms; by "
        "category (p50 / p99): "
        + ", ".join(
            f"{k} {v['p50']:.2f} / {v['p99']:.2f} ms" for k, v in detail["by_category_ms"].items()
        )
    )


def _log(session: Any, *, site_id: int, form: Any, settings: Any) -> Any:
    from shiftdesk.calls import log_call

    return log_call(session, site_id, form, settings)


def _raw_inserts(db: Path | None, n: int) -> list[float]:
    """One row per transaction with plain sqlite3: a call row copied under a new id."""
    from shiftdesk import db as db_module

    conn = sqlite3.connect(str(db), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    pages = getattr(db_module, "DEFERRED_CHECKPOINT_PAGES", 1000)
    conn.execute(f"PRAGMA wal_autocheckpoint={pages}")  # as the app's connections
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cols = [r[1] for r in conn.execute("PRAGMA table_info(call)") if r[1] != "id"]
    names = ", ".join(cols)
    top = conn.execute("SELECT MAX(id) FROM call").fetchone()[0]
    sql = f"INSERT INTO call ({names}) SELECT {names} FROM call WHERE id = ?"
    out = []
    for i in range(n):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, (top - i % 1000,))
        conn.execute("COMMIT")
        out.append((time.perf_counter() - started) * 1000)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return out


def bench_lookup(b: Bench) -> None:
    if not b.wanted("lookup"):
        return
    fig = Figure("lookup", "Lookup as you type, per keystroke (p99)", "ms",
                 baseline_title="raw indexed prefix query, p99", kind="absolute",
                 limit=30.0)  # fmt: skip
    try:
        _lookup(b, fig)
    except Exception as exc:
        fig.error = f"{type(exc).__name__}: {exc}"
    b.add(fig)


def _lookup(b: Bench, fig: Figure) -> None:
    from sqlmodel import select

    from shiftdesk.db import read_session
    from shiftdesk.lookup import lookup
    from shiftdesk.models import Resident, Unit

    rng = random.Random(5)
    with app_env(b) as (_settings, engine, site):
        with read_session(engine) as session:
            query: Any = select(  # type: ignore[call-overload]
                Resident.name, Resident.pinyin, Resident.initials, Resident.phone, Unit.code
            )
            people = session.exec(
                query.join(Unit, Unit.id == Resident.unit_id).where(Resident.site_id == site.id)
            ).all()
        residents = len(people)
        sample = rng.sample(list(people), min(2 if b.mode == "smoke" else 8, len(people)))
        typed: list[tuple[str, str]] = []  # (kind, full text)
        for name, pinyin, initials, phone, code in sample:
            typed += [("unit", code), ("pinyin", pinyin), ("initials", initials),
                      ("phone", phone), ("phone spaced", f"{phone[:3]} {phone[3:7]} {phone[7:]}"),
                      ("name", name)]  # fmt: skip
        keystrokes = [(kind, text[:i]) for kind, text in typed for i in range(1, len(text) + 1)]
        times: dict[str, list[float]] = {}
        hits = 0
        for _kind, text in typed:  # warm: the first query of a kind loads what it needs
            with read_session(engine) as session:
                lookup(session, int(site.id), text)
        for _ in range(b.repeats["typing"]):
            for kind, text in keystrokes:
                started = time.perf_counter()
                with read_session(engine) as session:
                    found = lookup(session, int(site.id), text)
                times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
                hits += bool(found)
        raw = _raw_lookup(b.db_path, int(site.id), keystrokes, b.repeats["typing"])
    every = [t for ts in times.values() for t in ts]
    fig.value, fig.baseline = pct(every, 99), pct(raw, 99)
    fig.detail = {
        "residents": residents,
        "keystrokes": len(every),
        "p50_ms": pct(every, 50),
        "max_ms": max(every),
        "by_kind_p99_ms": {k: round(pct(v, 99), 2) for k, v in times.items()},
        "raw_p50_ms": pct(raw, 50),
    }
    fig.note = (
        f"{len(every)} keystrokes typing unit codes, pinyin, initials, phones (plain and "
        f"spaced) and Chinese names of {len(sample)} of {residents:,} residents, a session each "
        f"as the widget's worker does; p50 {pct(every, 50):.2f} ms, worst {max(every):.1f} ms; "
        "p99 by kind: " + ", ".join(f"{k} {v:.1f}" for k, v in fig.detail["by_kind_p99_ms"].items())
    )


def _raw_lookup(
    db: Path | None, site_id: int, keystrokes: list[tuple[str, str]], rounds: int
) -> list[float]:
    """The floor: one indexed prefix query (a range: SQLite's LIKE cannot use a BINARY
    index) per keystroke, on the column it targets, with the site as a plain filter."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    column = {"unit": "u.code", "pinyin": "r.pinyin", "initials": "r.initials",
              "phone": "r.phone", "phone spaced": "r.phone", "name": "r.name"}  # fmt: skip
    out = []
    for _ in range(rounds):
        for kind, text in keystrokes:
            low = text.replace(" ", "")
            started = time.perf_counter()
            conn.execute(
                "SELECT r.id, r.name, r.phone, u.code FROM resident r JOIN unit u ON u.id = "
                f"r.unit_id WHERE r.site_id + 0 = ? AND {column[kind]} >= ? "
                f"AND {column[kind]} < ? LIMIT 10",
                (site_id, low, low + "\U0010ffff"),
            ).fetchall()
            out.append((time.perf_counter() - started) * 1000)
    conn.close()
    return out


# ------------------------------------------------------------------------------ stats


def bench_stats(b: Bench) -> None:
    if not b.wanted("stats_nightly"):
        return
    fig = Figure("stats_nightly", "stats nightly: the report's query work", "s",
                 baseline_title="raw SQL GROUP BYs over the same day", limit=2.0)  # fmt: skip
    try:
        _stats(b, fig)
    except Exception as exc:
        fig.error = f"{type(exc).__name__}: {exc}"
    b.add(fig)


def _stats(b: Bench, fig: Figure) -> None:
    import shiftdesk.stats.build as _build_module  # noqa: F401  (loads the submodule)
    from shiftdesk.stats import build
    from shiftdesk.stats.periods import day_period

    # the report's SQL alone, as scripts/bench_stats.py times it (older code: the whole report)
    fetch: Any = getattr(sys.modules["shiftdesk.stats.build"], "fetch", None)
    day = b.data["last_day"]
    n = b.repeats["stats"]
    with app_env(b) as (settings, engine, site):
        now = datetime.now(UTC)
        period = day_period(day, site.timezone, now)
        site_id = int(site.id)

        def query_work() -> Any:
            if fetch is None:
                return build(engine, settings, "nightly", site=site.code, date_text=day, now=now)
            with engine.connect() as conn:
                return fetch(conn, site_id, period)

        # the statistics engineer's baseline (scripts/bench_stats.py) when it is there
        baseline: Callable[[], float] = partial(
            _raw_groupby, b.db_path, site_id, period.start, period.end
        )
        source = "bench.py"
        if (SCRIPTS / "bench_stats.py").exists():
            run = _load_script("bench_stats").baseline_queries(
                engine, site_id, period.start, period.end
            )
            baseline = partial(_timed, run)
            source = "scripts/bench_stats.py"
        query_work(), baseline()  # warm
        mine, raw, whole = [], [], []
        reports: list[dict[str, Any]] = []
        for _ in range(n):
            mine.append(_timed(query_work))
            raw.append(baseline())
            started = time.perf_counter()
            reports = build(engine, settings, "nightly", site=site.code, date_text=day, now=now)
            whole.append(time.perf_counter() - started)
    calls = reports[0].get("calls", {}).get("total") if reports else None
    fig.value, fig.baseline = statistics.median(mine), statistics.median(raw)
    fig.detail = {
        "day": day,
        "calls_that_day": calls,
        "runs": n,
        "whole_report_s": statistics.median(whole),
        "baseline_source": source,
    }
    what = "stats.build.fetch (every SQL statement of the report)" if fetch else "stats.build"
    fig.note = (
        f"the last full day ({day}, {calls or 0:,} calls) of "
        f"{b.data['counts'].get('call', 0):,}; {what}, median of {n} warm runs; baseline "
        f"({source}): one raw DB-API GROUP BY per table the report reads, same day bounds; "
        f"the whole report with its clock verdicts {statistics.median(whole):.3f} s"
    )


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _raw_groupby(db: Path | None, site_id: int, start: datetime, end: datetime) -> float:
    """Counts by group for one day, straight SQL: the floor for the report's query work."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    lo, hi = start.astimezone(UTC).strftime(fmt), end.astimezone(UTC).strftime(fmt)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    queries = [
        "SELECT category, channel, night, COUNT(*) FROM call WHERE site_id = ? AND "
        "received_at >= ? AND received_at < ? GROUP BY category, channel, night",
        "SELECT CAST((julianday(received_at) - julianday(?)) * 24 AS INTEGER) AS h, COUNT(*) "
        "FROM call WHERE site_id = ? AND received_at >= ? AND received_at < ? GROUP BY h",
        "SELECT level, status, COUNT(*) FROM complaint WHERE site_id = ? AND received_at >= ? "
        "AND received_at < ? GROUP BY level, status",
        "SELECT stage, trade, priority, COUNT(*) FROM work_order WHERE site_id = ? AND "
        "reported_at >= ? AND reported_at < ? GROUP BY stage, trade, priority",
        "SELECT stage, COUNT(*) FROM work_order WHERE site_id = ? AND completed_at >= ? AND "
        "completed_at < ? GROUP BY stage",
        "SELECT kind, outcome, COUNT(*) FROM callback WHERE site_id = ? AND due_at >= ? AND "
        "due_at < ? GROUP BY kind, outcome",
        "SELECT status, COUNT(*) FROM parcel WHERE site_id = ? AND received_at >= ? AND "
        "received_at < ? GROUP BY status",
    ]
    started = time.perf_counter()
    for sql in queries:
        params: tuple[Any, ...] = (site_id, lo, hi)
        if sql.count("?") == 4:
            params = (lo, site_id, lo, hi)
        conn.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


# ------------------------------------------------------------------------------ export/import


def bench_archive(b: Bench) -> None:
    if not (b.wanted("export") or b.wanted("import")):
        return
    exp = Figure("export", "export archive: throughput", "rows/s",
                 baseline_title="raw csv.writer + gzip of the same rows", better="higher",
                 limit=0.5)  # fmt: skip
    imp = Figure("import", "import archive: throughput", "rows/s",
                 baseline_title="raw sqlite3 executemany of the same rows", better="higher",
                 limit=0.3)  # fmt: skip
    try:
        _archive(b, exp, imp)
    except Exception as exc:
        exp.error = imp.error = f"{type(exc).__name__}: {exc}"
    for fig in (exp, imp):
        if b.wanted(fig.key):
            b.add(fig)


def _archive(b: Bench, exp: Figure, imp: Figure) -> None:
    from shiftdesk.archive import ExportOptions, everything, export_archive, import_archive
    from shiftdesk.db import make_engine
    from shiftdesk.migrate import upgrade

    # the export engineer's baselines (scripts/bench_export.py) when they are there
    area = _load_script("bench_export") if (SCRIPTS / "bench_export.py").exists() else None
    if area is not None and not hasattr(area, "baseline_import"):
        area = None
    source = "scripts/bench_export.py" if area is not None else "bench.py"

    def fresh(name: str) -> Any:
        path = b.work / name
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        return engine

    out = b.work / "archives"
    with app_env(b) as (settings, engine, site):
        level = settings.archive.compress_level if hasattr(settings, "archive") else 6
        cpu = [time.process_time()]
        started = time.perf_counter()
        result = export_archive(
            engine, site.code, everything(site.timezone),
            ExportOptions(out_dir=out, fmt="tar.gz", compress_level=level), today=date.today(),
        )  # fmt: skip
        export_s = time.perf_counter() - started
        cpu.append(time.process_time())
        rows = result.rows
        if area is not None:
            started = time.perf_counter()
            area.baseline_export(engine, out / "raw", level)
            raw_export_s, raw_rows = time.perf_counter() - started, rows
        else:
            raw_export_s, raw_rows = _raw_export(b.db_path, out / "raw", result)
        cpu.append(time.process_time())
        restore_engine = fresh("restore.db")
        cpu.append(time.process_time())
        started = time.perf_counter()
        restored = import_archive(restore_engine, result.path)
        import_s = time.perf_counter() - started
        cpu.append(time.process_time())
        restore_engine.dispose()
        if area is not None:
            raw_target = fresh("raw-import.db")
            cpu.append(time.process_time())  # the baseline reads its rows first, untimed
            raw_import_s, raw_import_rows = area.baseline_import(engine, raw_target), rows
            cpu.append(time.process_time())
            raw_target.dispose()
        else:
            cpu.append(time.process_time())
            raw_import_s, raw_import_rows = _raw_import(b.db_path, b.work / "raw-import.db")
            cpu.append(time.process_time())
    exp.value, exp.baseline = rows / export_s, raw_rows / raw_export_s
    restored_rows = sum(getattr(t, "rows", 0) for t in getattr(restored, "tables", []))
    imp.value = (restored_rows or rows) / import_s
    imp.baseline = raw_import_rows / raw_import_s
    size_mb = result.size / 1e6
    export_cpu, raw_export_cpu = cpu[1] - cpu[0], cpu[2] - cpu[1]
    import_cpu = cpu[4] - cpu[3]
    exp.detail["cpu_ratio"] = raw_export_cpu / export_cpu if export_cpu else None
    imp.detail["cpu_import_s"] = import_cpu
    exp.detail.update(rows=rows, seconds=export_s, archive_mb=size_mb, cpu_s=export_cpu,
                      raw_seconds=raw_export_s, raw_cpu_s=raw_export_cpu,
                      baseline_source=source)  # fmt: skip
    imp.detail.update(rows=restored_rows or rows, seconds=import_s,
                      raw_seconds=raw_import_s, baseline_source=source)  # fmt: skip
    exp.note = (
        f"{rows:,} rows of every table in {export_s:.1f} s into a {size_mb:.0f} MB tar.gz "
        f"(JSON Lines + CSV copies, PII masked, SHA-256 manifest, gzip level {level}); "
        f"baseline ({source}): each table read with the DB-API cursor into csv.writer + gzip "
        f"at the same level, {raw_export_s:.1f} s; in CPU time {export_cpu:.0f} s vs "
        f"{raw_export_cpu:.0f} s ({raw_export_cpu / export_cpu:.2f}× the baseline's throughput)"
    )
    imp.note = (
        f"{restored_rows or rows:,} rows restored into a new migrated database in "
        f"{import_s:.1f} s (hash-checked, FK order); baseline ({source}): the same rows, "
        f"already in memory, executemany into a migrated database, {raw_import_s:.1f} s; the "
        f"import's CPU time {import_cpu:.0f} s"
    )


def _raw_export(db: Path | None, out: Path, result: Any) -> tuple[float, int]:
    """csv.writer + gzip (level 6) over every exported table, one file each: the floor."""
    import csv
    import io

    out.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = 0
    started = time.perf_counter()
    for table in result.tables:
        with gzip.open(out / f"{table.name}.csv.gz", "wb", compresslevel=6) as gz:
            text = io.TextIOWrapper(gz, encoding="utf-8", newline="")
            writer = csv.writer(text)
            cur = conn.execute(f'SELECT * FROM "{table.name}" ORDER BY 1')
            writer.writerow([d[0] for d in cur.description])
            while batch := cur.fetchmany(10_000):
                writer.writerows(batch)
                rows += len(batch)
            text.flush()
            text.detach()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed, rows


def _raw_import(db: Path | None, target: Path) -> tuple[float, int]:
    """Rows read into memory first (not timed), then executemany into the same schema."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    tables = [
        (name, sql)
        for name, sql in src.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite_%'"
        )
    ]
    data = {}
    for name, sql in tables:
        dst.execute(sql)
        data[name] = src.execute(f'SELECT * FROM "{name}"').fetchall()
    for (sql,) in src.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall():
        dst.execute(sql)
    src.close()
    rows = 0
    started = time.perf_counter()
    dst.execute("BEGIN")
    for name, values in data.items():
        if not values:
            continue
        marks = ", ".join("?" for _ in values[0])
        dst.executemany(f'INSERT INTO "{name}" VALUES ({marks})', values)
        rows += len(values)
    dst.execute("COMMIT")
    elapsed = time.perf_counter() - started
    dst.close()
    return elapsed, rows


# ------------------------------------------------------------------------------ report


def machine() -> dict[str, Any]:
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    versions = {}
    for dist in ("textual", "sqlalchemy", "sqlmodel", "typer", "rich"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "versions": versions,
    }


def table_lines(figures: list[Figure]) -> list[str]:
    rows = [("figure", "measured", "baseline", "ratio", "target", "met")]
    for f in figures:
        met = "ERROR" if f.error else {True: "yes", False: "NO", None: "-"}[f.met]
        rows.append((f.title, fmt_value(f.value, f.unit), fmt_value(f.baseline, f.unit),
                     fmt_ratio(f.ratio), f.target, met))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(c.ljust(widths[j]) if j == 0 else c.rjust(widths[j])
                             for j, c in enumerate(r)))  # fmt: skip
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def markdown_block(b: Bench, run: dict[str, Any]) -> str:
    m = run["machine"]
    s = b.data
    counts = s.get("counts", {})
    lines = [
        BEGIN,
        "## Summary: every figure against its baseline",
        "",
        f"Measured {run['date']} with `{run['command']}` "
        f"(mode **{b.mode}**, {run['seconds']:.0f} s).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, {m['os']}, Python "
        f"{m['python']}, SQLite {m['sqlite']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + ".",
        f"Load average (1 min) at the start {run['load'][0]:.2f}, at the end "
        f"{run['load'][1]:.2f}, on {m['cores']} cores"
        + (
            " — the machine was shared with other work, so absolute times are inflated; "
            "ratios to a baseline measured in the same run are the robust figures."
            if max(run["load"]) > (m["cores"] or 1) * 0.5
            else "."
        ),
        "",
        f"Data: `scripts/bigdata.py`, {counts.get('call', 0):,} calls, "
        f"{counts.get('work_order', 0):,} work orders ({s.get('open_orders', 0):,} open), "
        f"{counts.get('parcel', 0):,} parcels, {counts.get('resident', 0):,} residents, "
        f"{s.get('first_day')} .. {s.get('last_day')} (SQLite file, WAL).",
        "",
        "| Figure | Measured | Baseline (same run) | Ratio | Target | Met |",
        "|---|---:|---|---:|---:|:---:|",
    ]
    for f in b.figures:
        met = "error" if f.error else {True: "yes", False: "**no**", None: "-"}[f.met]
        base = f"{fmt_value(f.baseline, f.unit)} ({f.baseline_title})" if f.baseline else "-"
        lines.append(
            f"| {f.title} | {fmt_value(f.value, f.unit)} | {base} | {fmt_ratio(f.ratio)} "
            f"| {f.target} | {met} |"
        )
    lines += ["", "How each figure was taken:", ""]
    for f in b.figures:
        text = f"failed: {f.error}" if f.error else (f.note or "-")
        lines.append(f"- **{f.title}**: {text}.")
    lines += [
        "",
        "Reproduce: `python scripts/bench.py` (add `--quick` for a shorter history, `--smoke` "
        "for seconds); `--json out.json` keeps every sample summary.",
        END,
    ]
    return "\n".join(lines)


def write_docs(path: Path, block: str) -> None:
    """Replace the block between the markers; the sections other people wrote stay."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        lines = text.splitlines(keepends=True)
        at = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
        text = "".join(lines[:at]) + block + "\n\n" + "".join(lines[at:])
    path.write_text(text, encoding="utf-8")


def render_saved(path: Path, docs: Path) -> int:
    """Rewrite the docs block from a run saved with --json (wording changes, no re-run)."""
    import dataclasses

    run = json.loads(path.read_text(encoding="utf-8"))
    names = {f.name for f in dataclasses.fields(Figure)}
    b = Bench(mode=run["mode"], cache=Path(), work=Path(), data=run["data"])
    b.figures = [Figure(**{k: v for k, v in f.items() if k in names}) for f in run["figures"]]
    write_docs(docs, markdown_block(b, run))
    print(f"wrote {docs} from {path}")
    return 0


# ------------------------------------------------------------------------------ main


STEPS: list[tuple[str, Callable[[Bench], None]]] = [
    ("cli", bench_cli),
    ("tui", bench_tui),
    ("save", bench_save_call),
    ("lookup", bench_lookup),
    ("stats", bench_stats),
    ("archive", bench_archive),
]
KEYS = ["cli_help", "cli_version", "tui_start", "tui_start_read", "board_cursor", "board_live",
        "tui_rss", "save_p50", "save_p99", "lookup", "stats_nightly", "export",
        "import"]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="100k calls, 10k open orders")
    size.add_argument("--smoke", action="store_true", help="a tiny site: seconds, for tests")
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / "data" / "bench",
        help="where generated databases are kept (default data/bench/)",
    )
    parser.add_argument("--rebuild", action="store_true", help="generate the data again")
    parser.add_argument("--only", help=f"comma-separated figures: {', '.join(KEYS)}")
    parser.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="write the summary into this Markdown file (full mode: "
        "docs/performance.md unless --no-docs)",
    )
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="RUN.json",
        help="measure nothing: rewrite the docs block from a saved --json run",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)  # fmt: skip
    if args.render:
        return render_saved(args.render, args.docs or DOCS)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    only = {k.strip() for k in args.only.split(",")} if args.only else None
    if only and only - set(KEYS):
        parser.error(f"unknown figure(s): {', '.join(sorted(only - set(KEYS)))}")
    work = Path(tempfile.mkdtemp(prefix="shiftdesk-bench-"))
    b = Bench(mode=mode, cache=args.cache, work=work, rebuild=args.rebuild, only=only,
              verbose=not args.quiet)  # fmt: skip
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    when = datetime.now(UTC)
    try:
        prepare_data(b)
        for name, step in STEPS:
            step_started, cpu0 = time.perf_counter(), time.process_time() + children_cpu()
            step(b)
            b.say(
                f"step {name}: {time.perf_counter() - step_started:.1f} s, CPU "
                f"{time.process_time() + children_cpu() - cpu0:.1f} s"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            b.say(f"work folder kept: {work}")
    load_end = os.getloadavg()[0]
    command = (
        "python scripts/bench.py" + {"full": "", "quick": " --quick", "smoke": " --smoke"}[mode]
    )
    run: dict[str, Any] = {
        "mode": mode,
        "date": when.strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "seconds": time.perf_counter() - started,
        "load": [load_start, load_end],
        "machine": machine(),
        "data": b.data,
        "figures": [f.as_dict() for f in b.figures],
    }
    print("\n".join(table_lines(b.figures)))
    print(
        f"\n{mode} run, {run['seconds']:.0f} s, load average {load_start:.2f} -> {load_end:.2f} "
        f"on {run['machine']['cores']} cores"
    )
    if args.json:
        args.json.write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    docs = args.docs or (DOCS if mode == "full" and not args.no_docs else None)
    if docs is not None and not args.no_docs:
        write_docs(docs, markdown_block(b, run))
        print(f"wrote {docs}")
    return 1 if any(f.error for f in b.figures) else 0


if __name__ == "__main__":
    sys.exit(main())
