"""Write the docs' pictures of what an operator sees when something goes wrong (SVG).

    python3 scripts/reliability_screenshots.py   # -> docs/img/reliability-*-{en,zh}.svg

- ``startup``: shiftdesk cannot start (here: a mistyped config value);
- ``diskfull``: a save fails because the disk is full, over the dispatch board;
- ``idle``: the terminal locked itself after 15 idle minutes.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from shiftdesk.config import Settings  # noqa: E402
from shiftdesk.db import make_engine  # noqa: E402
from shiftdesk.i18n import set_locale, t  # noqa: E402

OUT = ROOT / "docs" / "img"
SIZE = (100, 30)


async def startup(locale: str, suffix: str) -> None:
    from screens.errors import StartupErrorApp
    from shiftdesk.failures import Failure

    set_locale(locale)
    message = t(
        "reliability.config.expected",
        origin="/etc/shiftdesk/config.toml",
        key="security.lockout_attempts",
        expected=t("reliability.config.type.int"),
        value="'five'",
    )
    app = StartupErrorApp(Failure(message, 2, "config"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.save_screenshot(filename=f"reliability-startup-{suffix}.svg", path=str(OUT))


async def _signed_in(app: Any, pilot: Any) -> None:
    await pilot.pause()
    app.screen.query_one("#name").value = "wangfang"
    app.screen.query_one("#pin").value = "1111"
    app.screen.query_one("#pin").focus()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def diskfull(url: str, locale: str, suffix: str) -> None:
    from screens.app import make_app
    from shiftdesk.models import Site

    settings = Settings(locale=locale)
    engine = make_engine(url)
    app = make_app(settings, engine)
    async with app.run_test(size=SIZE) as pilot:
        await _signed_in(app, pilot)
        await pilot.press("f3")
        await pilot.pause()

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA max_page_count = 1")

        engine.dispose()
        app.run_db(
            lambda s: s.add_all([Site(code=f"N{i}", name="x" * 100) for i in range(500)]),
            write=True,
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.save_screenshot(filename=f"reliability-diskfull-{suffix}.svg", path=str(OUT))
        event.remove(engine, "connect", _full)
    engine.dispose()


async def idle(url: str, locale: str, suffix: str) -> None:
    import screens.app as shell

    class FakeTime:
        now = 1000.0

        def monotonic(self) -> float:
            return self.now

    fake = FakeTime()
    real = shell.time
    shell.time = fake  # type: ignore[assignment]
    try:
        settings = Settings(locale=locale)
        engine = make_engine(url)
        app = shell.make_app(settings, engine)
        async with app.run_test(size=SIZE) as pilot:
            await _signed_in(app, pilot)
            await pilot.press("f4")
            await pilot.pause()
            fake.now += settings.security.idle_lock_minutes * 60 + 1
            app._check_idle()
            await pilot.pause()
            app.save_screenshot(filename=f"reliability-idle-{suffix}.svg", path=str(OUT))
        engine.dispose()
    finally:
        shell.time = real  # type: ignore[assignment]


async def main() -> None:
    from datetime import UTC, datetime

    from shiftdesk.demo import base
    from shiftdesk.migrate import upgrade

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'shots.db'}"
        engine = make_engine(url)
        upgrade(engine)
        base.generate(engine, Settings(), random.Random(7), datetime(2026, 11, 22, 2, tzinfo=UTC))
        engine.dispose()
        for locale, suffix in (("en", "en"), ("zh_CN", "zh")):
            await startup(locale, suffix)
            await diskfull(url, locale, suffix)
            await idle(url, locale, suffix)
            print(f"wrote docs/img/reliability-*-{suffix}.svg")


if __name__ == "__main__":
    asyncio.run(main())
