"""Screenshots of the call form (F2) for docs/operator-guide.md, in English and Chinese.

Builds the demo site in a temporary SQLite file at a fixed moment (Sunday 22 Nov 2026,
10:00 in Shanghai), signs in as wangfang, and saves SVGs in docs/img/:

- calls-form-<en|zh>.svg: a repair call being typed, the caller chosen, history beside it;
- calls-list-<en|zh>.svg: today's calls (Ctrl+F).

Run: python scripts/screenshots_calls.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import time_machine

from screens.app import make_app
from shiftdesk.config import Settings
from shiftdesk.db import make_engine
from shiftdesk.demo import load_demo
from shiftdesk.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.calls_ui, the Pilot helpers

MOMENT = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
OUT = ROOT / "docs" / "img"


async def shoot(db: Path, locale: str) -> None:
    from tests.calls_ui import settle, sign_in, type_text

    settings = Settings()
    settings.locale = locale
    tag = "zh" if locale == "zh_CN" else "en"
    app = make_app(settings, make_engine(f"sqlite:///{db}"))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f9")  # acknowledge the demo's breach alarms: a clean picture
        await pilot.press("f2")
        await settle(pilot)
        app.clear_notifications()
        await pilot.press("p", "r")
        app.screen.query_one("#summary").value = "厨房水管漏水，地面有积水"  # an IME types it
        await pilot.press("tab")
        await type_text(pilot, "zw")
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#trade").focus()
        await pilot.press("1", "u")
        await settle(pilot)
        app.clear_notifications()
        app.save_screenshot(filename=f"calls-form-{tag}.svg", path=str(OUT))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(filename=f"calls-list-{tag}.svg", path=str(OUT))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, time_machine.travel(MOMENT, tick=False):
        db = Path(tmp) / "demo.db"
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        load_demo(engine, Settings(), seed=7, now=MOMENT)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        for locale in ("en", "zh_CN"):
            copy = Path(tmp) / f"{locale}.db"
            copy.write_bytes(db.read_bytes())
            asyncio.run(shoot(copy, locale))
            print(f"wrote the {locale} screenshots in {OUT}")


if __name__ == "__main__":
    main()
