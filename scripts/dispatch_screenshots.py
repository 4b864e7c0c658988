"""Write the operator guide's pictures of the dispatch board (English and Chinese) as SVG.

    python scripts/dispatch_screenshots.py      # -> docs/img/dispatch-*-{en,zh}.svg

Data: the demo site's base and the work-order demo (``shiftdesk.demo.workorders``) in a
temporary SQLite file, at a fixed Monday 10:00 with time frozen, so the countdowns in the
pictures do not change from one run to the next.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screens.app import make_app
from screens.dispatch.board import OrderList
from shiftdesk.config import load_settings
from shiftdesk.db import make_engine
from shiftdesk.demo import base
from shiftdesk.demo import workorders as demo_workorders
from shiftdesk.migrate import upgrade

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
#: Monday 23 November 2026, 10:00 in Shanghai
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def shoot(url: str, locale: str, suffix: str) -> None:
    settings = load_settings(env={})
    settings.locale = locale
    engine = make_engine(url)
    app = make_app(settings, engine)

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
        await pilot.press("f3")
        await settle()
        await asyncio.wait_for(app.dispatch_feed.refreshed(), 30)
        app.clear_notifications()  # the welcome and the emergency toasts
        app.dispatch_feed._alarm_note = None  # let the breach alarm show again
        app.dispatch_feed._alarm_text = ""
        app.dispatch_feed.tick()
        await settle()
        board = app.screen.query_one(OrderList)
        app.save_screenshot(filename=f"dispatch-board-{suffix}.svg", path=str(OUT))
        # the first order still waiting for dispatch: the dispatch dialog
        waiting = next(i for i in board.ids if board.rows[i].row.stage == "reported")
        board.select_id(waiting)
        await pilot.press("d")
        await settle()
        await pilot.press(*("老张" if locale == "zh_CN" else "Zhang"))
        await settle()
        app.save_screenshot(filename=f"dispatch-dialog-{suffix}.svg", path=str(OUT))
        await pilot.press("escape")
        await settle()
        arrived = next(i for i in board.ids if board.rows[i].row.stage == "arrived")
        board.select_id(arrived)
        await pilot.press("enter")
        await settle()
        app.save_screenshot(filename=f"dispatch-clocks-{suffix}.svg", path=str(OUT))
    engine.dispose()
    for name in ("board", "dialog", "clocks"):
        print(f"wrote {OUT / f'dispatch-{name}-{suffix}.svg'}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, time_machine.travel(NOW, tick=False):
        url = f"sqlite:///{Path(tmp) / 'shots.db'}"
        engine = make_engine(url)
        upgrade(engine)
        settings = load_settings(env={})
        ctx = base.generate(engine, settings, random.Random(7), NOW)
        demo_workorders.generate(ctx)
        engine.dispose()
        for locale, suffix in (("en", "en"), ("zh_CN", "zh")):
            asyncio.run(shoot(url, locale, suffix))


if __name__ == "__main__":
    main()
