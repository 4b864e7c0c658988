#!/usr/bin/env python3
"""Benchmark the dispatch board with many open work orders (docs/performance.md).

Builds a throw-away SQLite database with the demo site and N open orders in every stage
(default 10,000), runs the app headless, signs in, opens the board (F3) and measures:

- the feed's first read of all open orders (thread) and the first frame of the board;
- keypress-to-render for cursor moves (down, page down): from before the key is sent
  until the board has drawn its last line for it;
- a search keystroke (filters all N rows), a countdown tick, and a change committed by
  another connection until it shows on the board (includes the 0.25 s poll).

    python3 scripts/bench_board.py [--orders 10000] [--moves 200] [--size 160x50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRADES = ["plumbing", "electrical", "civil", "lift", "doors_locks", "hvac", "cleaning", "other"]
SUMMARIES = ["厨房水龙头漏水", "卫生间下水道堵塞", "客厅插座没电", "楼道灯不亮", "电梯按钮失灵",
             "入户门锁芯损坏", "空调不制冷", "卧室墙面渗水起皮"]  # fmt: skip


def build_db(path: Path, orders: int) -> str:
    from sqlmodel import select

    from shiftdesk.config import load_settings
    from shiftdesk.db import make_engine, read_session
    from shiftdesk.demo import base
    from shiftdesk.migrate import upgrade
    from shiftdesk.models import Unit, WorkOrder
    from shiftdesk.timeutil import utcnow

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    settings = load_settings(env={})
    now = utcnow()
    base.generate(engine, settings, random.Random(7), now)
    with read_session(engine) as session:
        units = session.exec(select(Unit)).all()
        site_id = units[0].site_id
    rng = random.Random(11)
    rows = []
    stages = ["reported", "dispatched", "accepted", "arrived", "completed", "unfinished"]
    for i in range(orders):
        stage = rng.choices(stages, weights=[10, 15, 10, 15, 45, 5])[0]
        reported = now - timedelta(minutes=rng.randint(1, 60 * 24 * 6))
        order = WorkOrder(
            site_id=site_id, unit_id=rng.choice(units).id, trade=rng.choice(TRADES),
            priority=rng.choices(["normal", "urgent", "emergency"], weights=[85, 13, 2])[0],
            summary=f"{rng.choice(SUMMARIES)} #{i}", stage=stage, reported_at=reported,
            reporter_name="业主", reporter_phone="13800138000",
        )  # fmt: skip
        if stage != "reported":
            order.team = "engineering"
            order.assignee = rng.choice(["李师傅", "王师傅", "赵师傅"])
            order.dispatched_at = order.first_dispatched_at = reported + timedelta(minutes=2)
        if stage in ("accepted", "arrived", "completed"):
            order.accepted_at = reported + timedelta(minutes=4)
        if stage in ("arrived", "completed"):
            order.arrived_at = reported + timedelta(minutes=12)
        if stage == "completed":
            order.completed_at = reported + timedelta(minutes=70)
        if stage == "unfinished":
            order.unfinished_at = reported + timedelta(hours=2)
            order.unfinished_reason = "等配件"
        rows.append(order.model_dump(exclude={"id"}))
    with engine.begin() as conn:
        conn.execute(WorkOrder.__table__.insert(), rows)  # type: ignore[attr-defined]
    engine.dispose()
    return url


def figures(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    return f"median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms"


async def run(url: str, orders: int, moves: int, size: tuple[int, int]) -> None:
    from sqlmodel import select
    from textual import events

    from screens.app import make_app
    from screens.dispatch.board import OrderList
    from shiftdesk.config import load_settings
    from shiftdesk.db import make_engine, transact
    from shiftdesk.models import WorkOrder

    settings = load_settings(env={})
    engine = make_engine(url)
    app = make_app(settings, engine)
    last_render = [0.0]
    render_time = [0.0]
    render_lines = [0]
    original = OrderList.render_line

    def timed_render(self: OrderList, y: int):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        strip = original(self, y)
        last_render[0] = time.perf_counter()
        render_time[0] += last_render[0] - start
        render_lines[0] += 1
        return strip

    OrderList.render_line = timed_render  # type: ignore[method-assign]

    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#name").value = "wangfang"  # type: ignore[attr-defined]
        screen.query_one("#pin").value = "1111"  # type: ignore[attr-defined]
        screen.query_one("#pin").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        feed = app.dispatch_feed
        while not feed.loaded:
            await pilot.pause(0.01)
        t0 = time.perf_counter()
        await pilot.press("f3")
        await pilot.pause()
        board = app.screen.query_one(OrderList)
        t_frame = time.perf_counter() - t0
        print(f"open orders on the board: {len(board.ids)} (of {orders} created)")
        print(f"feed: first read of all open orders (thread) {feed.read_seconds[0] * 1000:6.0f} ms")
        print(f"feed: merging them on the UI thread        {feed.apply_seconds[0] * 1000:8.0f} ms")
        print(f"F3: board's first frame (after the read)    {t_frame * 1000:8.0f} ms")
        t0 = time.perf_counter()
        await pilot.press("f4")
        await pilot.pause()
        t_f4 = time.perf_counter() - t0
        print(f"  baseline: F4, the parcels screen's first frame {t_f4 * 1000:4.0f} ms")
        await pilot.press("f3")
        await pilot.pause()

        key_at = [0.0]
        original_on_event = app.on_event

        async def on_event(event: events.Event) -> None:
            if isinstance(event, events.Key):
                key_at[0] = time.perf_counter()  # the key reaches the app
            await original_on_event(event)

        app.on_event = on_event  # type: ignore[method-assign]

        async def key_to_render(key: str) -> float:
            """From the key reaching the app to the board's last line drawn for it."""
            last_render[0] = 0.0
            await pilot.press(key)
            await pilot.pause()
            return max(last_render[0] - key_at[0], 0.0)

        round_trips = []
        for _ in range(moves // 2):
            start = time.perf_counter()
            await pilot.pause()  # no key at all: the harness's own round trip
            round_trips.append(time.perf_counter() - start)
        print(f"for scale: a Pilot round trip, no key:     {figures(round_trips)}")
        render_time[0] = 0.0
        render_lines[0] = 0
        board.action_jump(0)
        await pilot.pause()
        steps = min(moves, len(board.ids) - 1)
        downs = [await key_to_render("down") for _ in range(steps)]
        print(f"cursor down, keypress to render ({steps}x):    {figures(downs)}")
        per_line = render_time[0] / max(render_lines[0], 1) * 1e6
        print(
            f"  of which drawing board lines, per move:  {render_time[0] / steps * 1000:6.2f} ms"
            f" ({render_lines[0] / steps:.1f} lines, {per_line:.0f} µs each)"
        )
        board.action_jump(0)
        await pilot.pause()
        pages = [await key_to_render("pagedown") for _ in range(10)]
        print(f"page down, keypress to render:             {figures(pages)}")
        ends = [await key_to_render(k) for k in ("end", "home") * 5]
        print(f"end/home (jump over all rows):             {figures(ends)}")

        ticks = []
        for _ in range(20):
            start = time.perf_counter()
            feed.tick()
            await pilot.pause()
            ticks.append(time.perf_counter() - start)
        print(f"countdown tick (count, alarm, repaint):    {figures(ticks)}")

        searches = []
        await pilot.press("slash")
        for ch in "厨房":
            searches.append(await key_to_render(ch))
        for _ in range(2):
            searches.append(await key_to_render("backspace"))
        await pilot.press("enter")
        await pilot.pause()
        print(f"search keystroke (filters all rows):       {figures(searches)}")

        target = board.ids[len(board.ids) // 2]
        updates = []
        for i in range(5):
            start = time.perf_counter()

            def edit(session, n=i):  # type: ignore[no-untyped-def]
                order = session.exec(select(WorkOrder).where(WorkOrder.id == target)).one()
                order.assignee = f"师傅{n}"
                session.add(order)

            transact(engine, edit)
            while feed.rows[target].row.assignee != f"师傅{i}":
                await pilot.pause(0.005)
            updates.append(time.perf_counter() - start)
        print(f"another terminal's change until shown:     {figures(updates)}")
        print(f"  of which merging one changed row:        {figures(feed.apply_seconds[-5:])}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--size", default="160x50")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        url = build_db(Path(tmp) / "bench.db", args.orders)
        print(f"built {args.orders} open orders in {time.perf_counter() - start:.1f} s")
        asyncio.run(run(url, args.orders, args.moves, (width, height)))


if __name__ == "__main__":
    main()
