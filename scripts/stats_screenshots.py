"""Write the docs' pictures of ``shiftdesk stats nightly`` (English and Chinese) as SVG.

    python scripts/stats_screenshots.py            # -> docs/img/stats-nightly-{en,zh}.svg

Data: a month of a busy site from scripts/bigdata.py in a temporary SQLite file, reported
for its last full day with the terminal tables (100 columns), as an operator would see them
(the unfinished-order and breach lists cut to their first rows to keep the pictures small).
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bigdata
from rich.console import Console

from shiftdesk.config import load_settings
from shiftdesk.db import make_engine
from shiftdesk.i18n import set_locale
from shiftdesk.stats import build, render

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
END = date(2026, 11, 22)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'shots.db'}"
        bigdata.generate(
            url, calls=60_000, parcels=25_000, open_orders=400, residents=1_000, days=30,
            end=END, quiet=True,
        )  # fmt: skip
        engine = make_engine(url)
        settings = load_settings(env={})
        OUT.mkdir(parents=True, exist_ok=True)
        for locale, suffix in (("en", "en"), ("zh_CN", "zh")):
            set_locale(locale)
            reports = build(engine, settings, "nightly", site="DEMO", date_text="2026-11-21")
            # the picture shows the layout: the long lists are cut to their first rows
            for report in reports:
                report["work_orders"]["unfinished"] = report["work_orders"]["unfinished"][:4]
                report["breaches"] = report["breaches"][:6]
            console = Console(record=True, width=100, file=io.StringIO())
            render.print_tables(reports, console)
            path = OUT / f"stats-nightly-{suffix}.svg"
            console.save_svg(str(path), title="shiftdesk stats nightly")
            print(f"wrote {path}")
        engine.dispose()


if __name__ == "__main__":
    main()
