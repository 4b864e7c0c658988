"""Write the operator guide's pictures of the parcel screen (English and Chinese) as SVG.

    python scripts/parcels_screenshots.py      # -> docs/img/parcels-*-{en,zh}.svg

Data: the demo site's base and its parcels (``shiftdesk.demo``) in a temporary SQLite
file; the app is driven by Pilot as an operator would: a scan, the unit, the pickup dialog,
the overdue list.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screens.app import make_app
from shiftdesk.config import load_settings
from shiftdesk.db import make_engine
from shiftdesk.demo import base
from shiftdesk.demo import parcels as demo_parcels
from shiftdesk.migrate import upgrade
from shiftdesk.timeutil import utcnow

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


async def shoot(url: str, locale: str, suffix: str) -> None:
    settings = load_settings(env={})
    settings.locale = locale
    engine = make_engine(url)
    app = make_app(settings, engine)
    ticks = iter(range(10**9))
    app.scan_detector.clock = lambda: next(ticks) * 0.005  # play a scanner
    app.scan_detector.hold_seconds = 60

    async def settle() -> None:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#name").value = "wangfang"  # type: ignore[attr-defined]
        app.screen.query_one("#pin").value = "1111"  # type: ignore[attr-defined]
        app.screen.query_one("#pin").focus()
        await pilot.press("enter")
        await settle()
        await pilot.press("f4")
        await settle()
        await pilot.press(*"SF1428571428573", "enter")
        await settle()
        unit = "1-1-101"  # the demo base always has it, owner first
        app.scan_detector.clock = lambda: next(ticks) * 0.5  # the operator types the unit
        await pilot.press(*unit)
        await settle()
        await pilot.press("enter")
        await settle()
        app.save_screenshot(filename=f"parcels-checkin-{suffix}.svg", path=str(OUT))
        await pilot.press("enter")
        await settle()
        await pilot.press("ctrl+f", *unit, "enter")
        await settle()
        await pilot.press("space", "ctrl+s")
        await settle()
        await pilot.press(*"5678")
        await settle()
        app.save_screenshot(filename=f"parcels-pickup-{suffix}.svg", path=str(OUT))
        await pilot.press("escape")
        await settle()
        await pilot.press("ctrl+o")
        await settle()
        app.save_screenshot(filename=f"parcels-overdue-{suffix}.svg", path=str(OUT))
    engine.dispose()
    for name in ("checkin", "pickup", "overdue"):
        print(f"wrote {OUT / f'parcels-{name}-{suffix}.svg'}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shots.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        ctx = base.generate(engine, load_settings(env={}), random.Random(7), utcnow())
        demo_parcels.generate(ctx)
        engine.dispose()
        for locale, suffix in (("en", "en"), ("zh_CN", "zh")):
            asyncio.run(shoot(f"sqlite:///{path}", locale, suffix))


if __name__ == "__main__":
    main()
