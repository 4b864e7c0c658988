"""Subprocess probes for scripts/bench.py: the terminal app headless, and its bare baseline.

Each probe runs in a fresh interpreter, so start-up and peak memory are the process's own.
It prints one line ``BENCH {json}`` on stdout and exits at once (``os._exit``: no teardown
is measured). Times in the JSON are ``CLOCK_MONOTONIC`` stamps, one clock for every process
on the machine that no clock step (NTP, a moved wall clock) can bend; the parent subtracts
the moment it started the process.

    python scripts/bench_probe.py start         # shiftdesk: sign-in ready + board's first read
    python scripts/bench_probe.py bare-start    # a bare Textual app importing the same modules
    python scripts/bench_probe.py session       # shiftdesk: sign in, F3, cursor moves, RSS
    python scripts/bench_probe.py bare-session  # the bare app: cursor moves in an OptionList

The shiftdesk probes open the app exactly as ``shiftdesk`` does (``cli.launch_tui``, the
database from ``SHIFTDESK_DB`` / ``SHIFTDESK_CONFIG``), except that the App runs headless with
Textual's auto-pilot instead of on a terminal. Headless Textual does not turn screen updates
into bytes, so the probes do it (``render_segments``): a frame is counted once its terminal
output exists. This file imports only the standard library at the top, for a fair start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

STAMPS: dict[str, float] = {"probe": time.clock_gettime(time.CLOCK_MONOTONIC)}
#: CPU seconds of the process (all threads) at the same moments: robust on a loaded machine
CPU: dict[str, float] = {"probe": time.process_time()}
#: BENCH_PROFILE=file.prof: profile the probe (cProfile) and dump the stats when it finishes
_PROFILE_TO = os.environ.get("BENCH_PROFILE")
if _PROFILE_TO:
    import cProfile

    _PROFILER: Any = cProfile.Profile()
    _PROFILER.enable()
ROOT = Path(__file__).resolve().parent.parent
OURS = ("shiftdesk", "screens", "__main__", "bench_probe", "bench")


def peak_rss_mb() -> float:
    """Peak resident set size of this process: VmHWM from /proc (Linux).

    Not ``ru_maxrss``: after fork + exec Linux carries the parent's high-water mark over, so
    a probe started from a big benchmark process would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stamp(name: str) -> None:
    STAMPS.setdefault(name, time.clock_gettime(time.CLOCK_MONOTONIC))
    CPU.setdefault(name, time.process_time())


def finish(payload: dict[str, Any]) -> None:
    if _PROFILE_TO:
        _PROFILER.disable()
        _PROFILER.dump_stats(_PROFILE_TO)
    stamp("done")
    payload["stamps"] = STAMPS
    payload["cpu"] = {k: round(v, 3) for k, v in CPU.items()}
    payload["peak_rss_mb"] = round(peak_rss_mb(), 1)
    sys.stdout.write("BENCH " + json.dumps(payload) + "\n")
    sys.stdout.flush()
    os._exit(0)


def fail(message: str) -> None:
    sys.stdout.write("BENCH " + json.dumps({"error": message}) + "\n")
    sys.stdout.flush()
    os._exit(1)


def library_modules() -> list[str]:
    """Every module loaded now that is not shiftdesk's own code, in import order."""
    out = []
    for name in list(sys.modules):
        if name.split(".")[0] in OURS:
            continue
        out.append(name)
    return out


class FrameWatch:
    """Wraps ``App._display``: renders each update to terminal bytes and stamps it."""

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate

        self.app = app
        self.frames = 0
        self.last = 0.0
        self.waiters: list[tuple[Any, asyncio.Event]] = []
        self.render_seconds: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            started = time.perf_counter()
            original(screen, renderable)
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)  # the bytes a terminal would get
                self.frames += 1
                self.last = time.perf_counter()
                self.render_seconds.append(self.last - started)
                for check, event in list(self.waiters):
                    if check():
                        event.set()

        app._display = display

    async def until(self, check: Any, timeout: float = 30.0) -> float:
        """Wait for the first frame after which ``check()`` holds; its perf_counter time."""
        event = asyncio.Event()
        entry = (check, event)
        self.waiters.append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        finally:
            self.waiters.remove(entry)
        return self.last


# ------------------------------------------------------------------------------ shiftdesk


def _launch(auto_pilot: Any) -> None:
    """``shiftdesk`` with no command: cli.launch_tui, with the App headless."""
    sys.path.insert(0, str(ROOT))
    import screens.app as app_module

    stamp("ui_imported")

    def run_headless(settings: Any, engine: Any, site: Any = None) -> None:
        stamp("db_ready")
        app = app_module.make_app(settings, engine, site)
        app.run(headless=True, size=(100, 30), auto_pilot=auto_pilot)

    app_module.run_app = run_headless
    from shiftdesk.cli import launch_tui
    from shiftdesk.cli.common import AppState

    launch_tui(AppState(), demo=False)
    fail("the app exited before the probe finished")


def _watch_feed(app: Any) -> asyncio.Event:
    """An event set when the dispatch feed has applied its first read (the board's query)."""
    feed = app.dispatch_feed
    loaded = asyncio.Event()
    original = feed._apply

    def apply(diff: Any) -> None:
        original(diff)
        stamp("feed_loaded")
        loaded.set()

    feed._apply = apply
    return loaded


def _watch_query() -> None:
    """Stamp ``feed_queried`` when the feed's first query has returned its rows (before
    their clocks are judged and the board's structures merged: ``feed_loaded``)."""
    import shiftdesk.board as live

    original = live.load_rows

    def load_rows(*args: Any, **kwargs: Any) -> Any:
        rows = original(*args, **kwargs)
        stamp("feed_queried")
        return rows

    live.load_rows = load_rows


def probe_start(args: argparse.Namespace) -> None:
    async def pilot_fn(pilot: Any) -> None:
        from screens.signin import SignInScreen

        app = pilot.app
        stamp("app_running")
        frames = FrameWatch(app)
        loaded = _watch_feed(app)
        _watch_query()
        # The board's first query: the feed that fills it starts at sign-in in the app; here
        # it starts with the dialog, so "ready" means both the dialog and the data are there.
        app.dispatch_feed.start()

        def signin_ready() -> bool:
            screen = app.screen
            return isinstance(screen, SignInScreen) and screen.query_one("#name").has_focus

        if not signin_ready():
            await frames.until(signin_ready)
        stamp("signin_ready")
        await asyncio.wait_for(loaded.wait(), 120)
        if args.modules_out:
            Path(args.modules_out).write_text("\n".join(library_modules()), encoding="utf-8")
        finish({"open_orders": len(app.dispatch_feed.rows)})

    _launch(pilot_fn)


def probe_session(args: argparse.Namespace) -> None:
    async def pilot_fn(pilot: Any) -> None:
        from textual import events

        from screens.dispatch.board import OrderList
        from screens.signin import SignInScreen

        app = pilot.app
        frames = FrameWatch(app)
        loaded = _watch_feed(app)
        while not isinstance(app.screen, SignInScreen):
            await asyncio.sleep(0.01)
        screen = app.screen
        from textual.widgets import Input

        screen.query_one("#name", Input).value = args.operator
        screen.query_one("#pin", Input).value = args.pin
        screen.query_one("#pin", Input).focus()
        await pilot.press("enter")
        while app.operator is None:
            await asyncio.sleep(0.01)
        stamp("signed_in")
        await asyncio.wait_for(loaded.wait(), 120)
        await pilot.press("f3")
        board = app.screen.query_one(OrderList)
        while not board.ids:
            await asyncio.sleep(0.01)
        await pilot.pause()
        stamp("board_shown")
        result: dict[str, Any] = {"open_orders": len(app.dispatch_feed.rows)}

        # one cursor move: key event sent -> the frame showing the new cursor is rendered
        moves: list[float] = []
        driver = app._driver
        for i in range(args.moves):
            await pilot.pause()
            key = "down" if (i // 60) % 2 == 0 else "up"
            target = board.cursor + (1 if key == "down" else -1)
            sent = time.perf_counter()
            driver.send_message(events.Key(key, None))
            done = await frames.until(lambda target=target: board.cursor == target, timeout=10)
            moves.append(done - sent)
        result["cursor_ms"] = [round(m * 1000, 3) for m in moves]
        result["frame_render_ms"] = [
            round(s * 1000, 3) for s in frames.render_seconds[-len(moves) :]
        ]

        # live refresh: another terminal changes one order; what does this one re-read?
        result["live"] = await _live_refresh(app, board, frames)
        result["board_lines_per_frame"] = board.size.height
        finish(result)

    _launch(pilot_fn)


async def _live_refresh(app: Any, board: Any, frames: Any) -> dict[str, Any]:
    import shiftdesk.board as live
    from shiftdesk.board import FeedUpdate

    read_sizes: list[Any] = []
    original = live.load_rows

    def load_rows(session: Any, *, site_id: int, ids: Any = None) -> Any:
        read_sizes.append("all" if ids is None else len(ids))
        return original(session, site_id=site_id, ids=ids)

    live.load_rows = load_rows  # type: ignore[assignment]
    updates: list[FeedUpdate] = []
    got = asyncio.Event()

    def listener(update: FeedUpdate) -> None:
        if update.changed or update.removed:
            updates.append(update)
            lines.clear()  # the board has just taken the update; count its next frame
            got.set()

    app.dispatch_feed.subscribe(listener)
    lines: list[int] = []
    original_render = board.render_line

    def render_line(y: int) -> Any:
        lines.append(y)
        return original_render(y)

    order_id = board.ids[min(3, len(board.ids) - 1)]
    await asyncio.sleep(0.3)  # let the feed settle on its idle wait
    board.render_line = render_line
    started = time.perf_counter()
    await asyncio.to_thread(_touch_order, app.engine.url, order_id)
    await asyncio.wait_for(got.wait(), 10)
    applied = time.perf_counter()
    await frames.until(lambda: True, timeout=5)
    board.render_line = original_render
    live.load_rows = original
    update = updates[0]
    return {
        "order_id": order_id,
        "rows_read": read_sizes[-1] if read_sizes else None,
        "changed": sorted(update.changed),
        "removed": sorted(update.removed),
        "latency_ms": round((applied - started) * 1000, 1),
        "lines_rendered": len(lines),
    }


def _touch_order(url: Any, order_id: int) -> None:
    """Another terminal's edit: a new summary and version on one order, committed."""
    from shiftdesk.db import make_engine

    engine = make_engine(url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE work_order SET summary = summary || ' ·', version = version + 1 WHERE id = "
            + str(int(order_id))
        )
    engine.dispose()


# ------------------------------------------------------------------------------ bare baseline


def _bare(args: argparse.Namespace, session: bool = False) -> None:
    """A bare Textual app that imports what shiftdesk imports, and shows a sign-in-like dialog."""
    import importlib

    names = Path(args.modules).read_text(encoding="utf-8").split() if args.modules else []
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # platform-only or import-order-dependent modules
            continue
    stamp("ui_imported")
    from textual import events
    from textual.app import App, ComposeResult
    from textual.containers import Vertical
    from textual.screen import ModalScreen
    from textual.widgets import Button, Footer, Input, Label, OptionList, Static

    class Dialog(ModalScreen[None]):
        DEFAULT_CSS = (
            "Dialog { align: center middle; } Dialog > Vertical { width: 56; height: auto; }"
        )

        def compose(self) -> ComposeResult:
            with Vertical():
                yield Static("Sign in", classes="title")
                yield Label("Operator")
                yield Input(id="name")
                yield Label("PIN")
                yield Input(id="pin", password=True)
                yield Button("Sign in", variant="primary")

        def on_mount(self) -> None:
            self.query_one("#name", Input).focus()

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("bare")
            if session:  # for cursor moves: Textual's own line-based list, 1,000 rows
                yield OptionList(*(f"order {i:05d}  3-2-1502  plumbing  漏水" for i in range(1000)))
            yield Footer()

        def on_mount(self) -> None:
            self.push_screen(Dialog())

    async def pilot_fn(pilot: Any) -> None:
        app = pilot.app
        stamp("app_running")
        frames = FrameWatch(app)

        def ready() -> bool:
            screen = app.screen
            return isinstance(screen, Dialog) and screen.query_one("#name").has_focus

        if not ready():
            await frames.until(ready)
        stamp("signin_ready")
        result: dict[str, Any] = {"modules": len(names)}
        if session:
            # the same key-to-frame timing as the board, on Textual's OptionList
            app.pop_screen()
            options = app.query_one(OptionList)
            options.focus()
            options.highlighted = 0
            await pilot.pause()
            moves = []
            for i in range(args.moves):
                await pilot.pause()
                key = "down" if (i // 60) % 2 == 0 else "up"
                current = options.highlighted or 0
                target = current + (1 if key == "down" else -1)
                sent = time.perf_counter()
                app._driver.send_message(events.Key(key, None))
                done = await frames.until(
                    lambda target=target: options.highlighted == target, timeout=10
                )
                moves.append(done - sent)
            result["cursor_ms"] = [round(m * 1000, 3) for m in moves]
        finish(result)

    stamp("db_ready")
    Bare().run(headless=True, size=(100, 30), auto_pilot=pilot_fn)
    fail("the bare app exited before the probe finished")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("probe", choices=("start", "session", "bare-start", "bare-session"))
    parser.add_argument("--modules", help="bare probes: file listing the modules to import")
    parser.add_argument("--modules-out", help="start probe: write the loaded modules here")
    parser.add_argument("--moves", type=int, default=200, help="session: cursor moves to time")
    parser.add_argument("--operator", default="wangfang")
    parser.add_argument("--pin", default="1111")
    args = parser.parse_args()
    if args.probe == "start":
        probe_start(args)
    elif args.probe == "session":
        probe_session(args)
    else:
        _bare(args, session=args.probe == "bare-session")


if __name__ == "__main__":
    main()
