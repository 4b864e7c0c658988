"""Write the operator guide's pictures of the handover screen (English and Chinese) as SVG.

    python scripts/handover_screenshots.py      # -> docs/img/handover-*-{en,zh}.svg

Data: the full demo (every area) in a temporary SQLite file, at 18:40 on a Sunday, near
the end of the day shift. The app is driven by Pilot as the two operators and the
supervisor would: the log, an incident report, preparing the handover (blocked by
important work, then a supervisor's override), the digest being acknowledged, the two
signatures, and the countersign list.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time_machine
from sqlmodel import select

from screens.app import make_app
from shiftdesk import handover
from shiftdesk.config import load_settings
from shiftdesk.db import make_engine, read_session
from shiftdesk.demo import DEMO_OPERATORS, load_demo
from shiftdesk.migrate import upgrade
from shiftdesk.models import Operator

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"
#: Sunday 22 November 2026, 18:40 in Shanghai
NOW = datetime(2026, 11, 22, 10, 40, tzinfo=UTC)
PINS = {name: pin for name, _display, pin, _role in DEMO_OPERATORS}


def people_on_duty(url: str) -> tuple[str, str]:
    """(holder, another operator) of the demo's open shift."""
    settings = load_settings(env={})
    engine = make_engine(url)
    with read_session(engine) as session:
        site_id = session.exec(select(Operator.site_id).where(Operator.name == "wangfang")).one()
        shift = handover.current_shift(session, site_id or 0, settings.site.desk)
        assert shift is not None
        holder = session.get(Operator, shift.outgoing_id)
        assert holder is not None
    engine.dispose()
    other = "lina" if holder.name != "lina" else "wangfang"
    return holder.name, other


async def shoot(url: str, locale: str, suffix: str, *, full: bool) -> list[str]:
    settings = load_settings(env={})
    settings.locale = locale
    engine = make_engine(url)
    app: Any = make_app(settings, engine)
    holder, incoming = people_on_duty(url)
    written: list[str] = []

    async def settle() -> None:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()

    def shot(name: str) -> None:
        filename = f"handover-{name}-{suffix}.svg"
        app.save_screenshot(filename=filename, path=str(OUT))
        written.append(filename)

    async def fill(values: dict[str, str], submit: str = "ctrl+s") -> None:
        for key, value in values.items():
            app.screen.query_one(f"#{key}").value = value
        await pilot.press(submit)
        await settle()

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#pin").focus()
        await fill({"name": holder, "pin": PINS[holder]}, submit="enter")
        await settle()
        shot("log")
        if full:
            await pilot.press("i")
            await settle()
            app.screen.query_one("#category").value = "lift_entrapment"
            for key, value in {
                "body": "2号楼2号电梯困人（2人），18:32解困",
                "location": "2号楼2号电梯",
                "actions": "对讲安抚，工程部8分钟到场",
                "notified": "客服主管、工程部、维保单位",
            }.items():
                app.screen.query_one(f"#{key}").value = value
            await settle()
            shot("incident")
            await pilot.press("ctrl+s")
            await settle()
        await pilot.press("p")
        await settle()
        app.screen.query_one("#instructions").text = "5号楼渗水待明早更换管件，请跟进并回访业主。"
        await pilot.press("ctrl+s")
        await settle()
        if full:
            shot("blocked")
        if type(app.screen).__name__ == "BlockedDialog":
            await pilot.press("o")
            await settle()
            await fill(
                {
                    "name": "chenjing",
                    "pin": PINS["chenjing"],
                    "reason": "工程部已在现场处理，已告知业主",
                }
            )
        table = app.screen.query_one("#digest")
        table.focus()
        keys = [str(k.value) for k in table.rows]
        first = next(i for i, k in enumerate(keys) if ":" in k and not k.startswith("sec:"))
        table.move_cursor(row=first)
        await pilot.press("space")
        await settle()
        await fill({"name": incoming, "pin": PINS[incoming]})
        for _ in range(3):
            await pilot.press("space")
            await settle()
        shot("digest")
        if full:
            await pilot.press("s")
            await settle()
            shot("sign")
            await pilot.press("escape")
            await settle()
            await pilot.press("3")
            await settle()
            shot("countersign")
    engine.dispose()
    return written


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, time_machine.travel(NOW, tick=True):
        for locale, suffix in (("en", "en"), ("zh_CN", "zh")):
            url = f"sqlite:///{Path(tmp) / f'{suffix}.db'}"
            engine = make_engine(url)
            upgrade(engine)
            load_demo(engine, load_settings(env={}), now=NOW)
            engine.dispose()
            for name in asyncio.run(shoot(url, locale, suffix, full=True)):
                print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
