"""Work-order services on SQLite and PostgreSQL: optimistic locking, change detection, acks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine

from shiftdesk import workorders as wo
from shiftdesk.changes import ANY, ChangeWatcher
from shiftdesk.config import Settings
from shiftdesk.db import Actor, read_session, transact
from shiftdesk.errors import ConflictError, ValidationError
from shiftdesk.models import Role, WorkOrder
from shiftdesk.sites import add_operator, ensure_site
from tests.conftest import FROZEN


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def site_id(engine: Engine, settings: Settings) -> int:
    return int(transact(engine, lambda s: ensure_site(s, settings).id))


@pytest.fixture
def actors(engine: Engine, site_id: int) -> tuple[Actor, Actor]:
    def add(session):  # type: ignore[no-untyped-def]
        ops = [
            add_operator(session, name=n, pin="1234", role=Role.OPERATOR, site_id=site_id)
            for n in ("wangfang", "lina")
        ]
        return [Actor(name=o.name, id=o.id) for o in ops]

    a, b = transact(engine, add)
    return a, b


def make(engine: Engine, site_id: int, **kw: object) -> WorkOrder:
    args: dict[str, object] = {
        "site_id": site_id,
        "reported_at": FROZEN - timedelta(minutes=1),
        "trade": "electrical",
        "priority": "normal",
        "summary": "大堂灯不亮",
        "location": "2号楼大堂",
        "in_home": False,
    }
    args.update(kw)
    return transact(engine, lambda s: wo.create_order(s, **args))  # type: ignore[arg-type]


def test_create_order_validates_what_the_call_form_sends(
    engine: Engine, site_id: int, settings: Settings
) -> None:
    with pytest.raises(ValidationError) as err:
        make(engine, site_id, priority="asap")
    assert err.value.field == "priority"
    with pytest.raises(ValidationError) as err:
        transact(
            engine,
            lambda s: wo.create_order(
                s, site_id=site_id, reported_at=FROZEN, trade="magic", priority="normal",
                summary="x", location="y", trades=settings.workorders.trades,
            ),
        )  # fmt: skip
    assert err.value.field == "trade"
    with pytest.raises(ValidationError) as err:
        make(engine, site_id, location="")
    assert err.value.field == "location"
    order = make(engine, site_id, night=True, paid=True, spare_key_ok=True)
    assert (order.stage, order.version, order.night, order.paid) == ("reported", 1, True, True)


def test_second_terminal_on_a_stale_copy_gets_a_conflict_and_nothing_is_written(
    engine: Engine, site_id: int, actors: tuple[Actor, Actor], frozen: time_machine.Traveller
) -> None:
    order = make(engine, site_id)
    seen_by_both = order.version
    a, b = actors
    transact(
        engine,
        lambda s: wo.dispatch(
            s, order.id, team="engineering", assignee="老张", expected_version=seen_by_both
        ),
        actor=a,
    )
    with pytest.raises(ConflictError) as err:
        transact(
            engine,
            lambda s: wo.dispatch(
                s, order.id, team="security", assignee="小李", expected_version=seen_by_both
            ),
            actor=b,
        )
    assert "another terminal" in err.value.message and "dispatched" in err.value.message
    with read_session(engine) as session:
        current = session.get(WorkOrder, order.id)
    assert current is not None
    assert (current.team, current.assignee, current.dispatched_by) == ("engineering", "老张", a.id)
    assert current.version == seen_by_both + 1


def test_concurrent_writers_one_wins(
    engine: Engine, site_id: int, actors: tuple[Actor, Actor], frozen: time_machine.Traveller
) -> None:
    """Two terminals press "accept" at the same moment on the same version."""
    order = make(engine, site_id)
    transact(engine, lambda s: wo.dispatch(s, order.id, team="engineering"))
    version = order.version + 1
    results: list[str] = []
    start = threading.Barrier(2)

    def press(actor: Actor) -> None:
        start.wait()
        try:
            transact(
                engine, lambda s: wo.accept(s, order.id, expected_version=version), actor=actor
            )
            results.append("ok")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=press, args=(a,)) for a in actors]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["conflict", "ok"]


def test_any_update_bumps_the_version(engine: Engine, site_id: int) -> None:
    order = make(engine, site_id)

    def edit(session):  # type: ignore[no-untyped-def]
        row = session.get(WorkOrder, order.id)
        row.summary = "大堂和走廊灯不亮"
        session.add(row)

    transact(engine, edit)
    with read_session(engine) as session:
        assert session.get(WorkOrder, order.id).version == 2  # type: ignore[union-attr]


def test_board_rows_and_versions(
    engine: Engine, site_id: int, frozen: time_machine.Traveller
) -> None:
    a = make(engine, site_id)
    b = make(engine, site_id, location="地下车库B2")
    transact(engine, lambda s: wo.cancel(s, b.id, reason="重复报修"))
    with read_session(engine) as session:
        versions = wo.open_versions(session, site_id=site_id)
        rows = wo.load_rows(session, site_id=site_id)
        both = wo.load_rows(session, site_id=site_id, ids=[a.id, b.id], open_only=False)
    assert versions == {a.id: 1}
    assert [(r.id, r.where, r.stage) for r in rows] == [(a.id, "2号楼大堂", "reported")]
    assert rows[0].reported_at == FROZEN - timedelta(minutes=1)
    assert {r.stage for r in both} == {"reported", "cancelled"}


def test_acknowledged_breach_records_who_and_when(
    engine: Engine, site_id: int, actors: tuple[Actor, Actor], settings: Settings,
    frozen: time_machine.Traveller,
) -> None:  # fmt: skip
    order = make(engine, site_id, reported_at=FROZEN - timedelta(minutes=10))
    with read_session(engine) as session:
        full = session.get(WorkOrder, order.id)
        assert full is not None
        breaches = wo.breaches_of(full, settings, FROZEN)
    assert [(b[0], b[1]) for b in breaches] == [(order.id, "dispatch")]
    a, b = actors
    added = transact(
        engine, lambda s: wo.acknowledge_breaches(s, site_id=site_id, breaches=breaches), actor=a
    )
    again = transact(
        engine, lambda s: wo.acknowledge_breaches(s, site_id=site_id, breaches=breaches), actor=b
    )
    assert (added, again) == (1, 0)
    with read_session(engine) as session:
        acked = wo.acked_breaches(session, site_id=site_id)
    assert acked == {wo.breach_key(*breaches[0]): ("wangfang", FROZEN)}


def test_watcher_sees_a_commit_from_another_connection(engine: Engine, site_id: int) -> None:
    watcher = ChangeWatcher(engine)
    watcher.start()
    try:
        assert watcher.wait(0.3) is None
        make(engine, site_id)
        changed = watcher.wait(2.0)
        assert changed is not None
        assert changed == ANY or "work_order" in changed
        assert watcher.wait(0.3) is None
    finally:
        watcher.close()


def test_watcher_ignores_a_rolled_back_write(engine: Engine, site_id: int) -> None:
    watcher = ChangeWatcher(engine)
    watcher.start()
    try:
        with pytest.raises(ValidationError):
            transact(
                engine,
                lambda s: (
                    wo.create_order(
                        s, site_id=site_id, reported_at=FROZEN, trade="other", priority="normal",
                        summary="x", location="y",
                    ),
                    wo.create_order(
                        s, site_id=site_id, reported_at=FROZEN, trade="other", priority="bad",
                        summary="x", location="y",
                    ),
                ),
            )  # fmt: skip
        assert watcher.wait(0.5) is None
    finally:
        watcher.close()


def test_mark_rained_only_touches_leaks_completed_before_the_rain(
    engine: Engine, site_id: int, settings: Settings, frozen: time_machine.Traveller
) -> None:
    def finish(order_id: int) -> None:
        for step in (
            lambda s: wo.dispatch(s, order_id, team="engineering"),
            lambda s: wo.accept(s, order_id),
            lambda s: wo.arrive(s, order_id),
            lambda s: wo.complete(s, order_id, result="ok", settings=settings),
        ):
            transact(engine, step)

    leak = make(engine, site_id, leak=True)
    plain = make(engine, site_id)
    finish(leak.id)  # type: ignore[arg-type]
    finish(plain.id)  # type: ignore[arg-type]
    frozen.shift(timedelta(hours=1))
    count = transact(engine, lambda s: wo.mark_rained(s, site_id=site_id, settings=settings))
    assert count == 1
    with read_session(engine) as session:
        assert session.get(WorkOrder, leak.id).rained_at == FROZEN + timedelta(hours=1)  # type: ignore[union-attr]
        assert session.get(WorkOrder, plain.id).rained_at is None  # type: ignore[union-attr]


def test_watcher_sees_a_write_from_another_process(
    engine: Engine, site_id: int, settings: Settings
) -> None:
    """What a second terminal or `shiftdesk orders ...` from cron looks like, on both backends."""
    import os
    import subprocess
    import sys

    order = make(engine, site_id)
    url = engine.url.render_as_string(hide_password=False)
    watcher = ChangeWatcher(engine)
    watcher.start()
    try:
        assert watcher.wait(0.3) is None
        done = subprocess.run(
            [sys.executable, "-m", "shiftdesk", "--db", url, "orders", "cancel", str(order.id),
             "--note", "重复报修"],
            env={**os.environ}, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        changed = watcher.wait(5.0)
        assert changed is not None
        assert changed == ANY or "work_order" in changed
    finally:
        watcher.close()


def test_pasted_control_characters_never_reach_an_order(
    engine: Engine, site_id: int, actors: tuple[Actor, Actor], frozen: time_machine.Traveller
) -> None:
    """A NUL or a colour escape in pasted text is removed, on PostgreSQL too (issue 9)."""
    order = make(
        engine, site_id, summary="卫生间\x00漏水 \x1b[1mURGENT\x1b[0m", location="3-2\x07-1502"
    )
    done = transact(
        engine,
        lambda s: wo.dispatch(s, order.id, team="engineering", note="带\x00工具", at=None),
        actor=actors[0],
    )
    with read_session(engine) as session:
        stored = session.get(WorkOrder, order.id)
        assert stored is not None
        assert stored.summary == "卫生间漏水 URGENT"
        assert stored.location == "3-2-1502"
    assert done is not None
