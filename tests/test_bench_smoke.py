"""The benchmark suite's smoke mode: every figure is still produced, and docs merge safely.

No timing is asserted (the machine running the tests may be busy): this guards the suite
against rot when screens, services or the schema change under it (issue 10).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402

AREA_TEXT = "## Dispatch board\n\nThe dispatch engineer's own figures stay here.\n"


def test_smoke_run_produces_every_figure_and_keeps_other_sections(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\nIntro.\n\n" + AREA_TEXT, encoding="utf-8")
    out = tmp_path / "run.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--smoke", "--quiet",
         "--cache", str(tmp_path / "cache"), "--docs", str(docs), "--json", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    run = json.loads(out.read_text(encoding="utf-8"))
    figures = {f["key"]: f for f in run["figures"]}
    assert sorted(figures) == sorted(bench.KEYS)
    for key, fig in figures.items():
        assert not fig["error"], f"{key}: {fig['error']}"
        assert isinstance(fig["value"], int | float), key
        assert isinstance(fig["baseline"], int | float) and fig["baseline"] > 0, key
        assert fig["ratio"] is not None, key
        assert fig["met"] in (True, False) or fig["target"] == "-", key
    # the live refresh re-reads only the order another terminal changed
    live = figures["board_live"]["detail"]
    assert live["changed"] == [live["order_id"]] and live["rows_read"] == 1
    # `--help` loads no database or UI library (design.md §1)
    assert figures["cli_help"]["detail"]["heavy_modules"] == []
    text = docs.read_text(encoding="utf-8")
    assert text.count(bench.BEGIN) == 1 and text.count(bench.END) == 1
    assert AREA_TEXT in text and text.index(bench.END) < text.index("## Dispatch board")
    for fig in figures.values():
        assert fig["title"] in text
    assert "python scripts/bench.py --smoke" in text


def test_docs_block_is_replaced_not_duplicated(tmp_path: Path) -> None:
    docs = tmp_path / "performance.md"
    docs.write_text("# Performance\n\n" + AREA_TEXT, encoding="utf-8")
    bench.write_docs(docs, f"{bench.BEGIN}\nfirst\n{bench.END}")
    bench.write_docs(docs, f"{bench.BEGIN}\nsecond\n{bench.END}")
    text = docs.read_text(encoding="utf-8")
    assert "second" in text and "first" not in text
    assert text.count(bench.BEGIN) == 1 and AREA_TEXT in text


def test_figure_ratio_and_verdicts() -> None:
    time_fig = bench.Figure("x", "x", "s", value=3.0, baseline=2.0, limit=1.5)
    assert time_fig.ratio == 1.5 and time_fig.met is True and time_fig.target == "≤ 1.5×"
    slow = bench.Figure("x", "x", "s", value=3.1, baseline=2.0, limit=1.5)
    assert slow.met is False
    rate = bench.Figure("x", "x", "rows/s", value=40.0, baseline=100.0, better="higher", limit=0.5)
    assert rate.met is False and rate.target == "≥ 0.5×"
    absolute = bench.Figure("x", "x", "ms", value=4.0, baseline=0.1, kind="absolute", limit=5.0)
    assert absolute.met is True and absolute.target == "≤ 5.00 ms"
    assert bench.pct(list(range(1, 101)), 99) == 99
    assert bench.pct([5.0], 50) == 5.0
