"""``shiftdesk orders ...``: every transition, legal and illegal, with the board's rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.db import read_session, transact
from shiftdesk.models import AuditEvent, Callback, Unit, WorkOrder
from shiftdesk.sites import get_site
from shiftdesk.timeutil import utcnow
from shiftdesk.workorders import create_order
from tests.conftest import FROZEN

runner = CliRunner()


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def url(base_engine: Engine) -> str:
    return base_engine.url.render_as_string(hide_password=False)


def new_order(engine: Engine, minutes_ago: int = 1, **kw: object) -> int:
    """An order reported `minutes_ago` before the frozen now (use the fixture `frozen`)."""

    def make(session):  # type: ignore[no-untyped-def]
        site = get_site(session, "DEMO")
        unit = session.exec(select(Unit).where(Unit.site_id == site.id)).first()
        args = {
            "site_id": site.id,
            "reported_at": utcnow() - timedelta(minutes=minutes_ago),
            "trade": "plumbing",
            "priority": "normal",
            "summary": "厨房水龙头漏水",
            "unit_id": unit.id,
        }
        args.update(kw)
        return create_order(session, **args).id  # type: ignore[arg-type]

    return int(transact(engine, make))


def run(url: str, *args: str, operator: str = "wangfang"):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--operator", operator, "orders", *args])


def order(engine: Engine, order_id: int) -> WorkOrder:
    with read_session(engine) as session:
        found = session.get(WorkOrder, order_id)
        assert found is not None
        return found


def test_full_lifecycle_is_recorded_with_operator_and_audit(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine)
    steps = [
        (["dispatch", str(oid), "--to", "engineering", "--assignee", "老张"], "dispatched"),
        (["accept", str(oid)], "accepted"),
        (["arrive", str(oid)], "on site"),
        (["complete", str(oid), "--note", "换了阀芯"], "completed"),
        (["callback", str(oid), "--outcome", "satisfied", "--note", "业主满意"], "called back"),
    ]
    for args, stage in steps:
        frozen.shift(timedelta(minutes=1))
        result = run(url, *args)
        assert result.exit_code == 0, result.output
        assert f"Work order {oid}: {stage}" in result.stdout
    wo = order(base_engine, oid)
    assert wo.stage == "closed"
    assert (wo.team, wo.assignee, wo.result) == ("engineering", "老张", "换了阀芯")
    assert wo.dispatched_at == FROZEN + timedelta(minutes=1)
    assert wo.completed_at == FROZEN + timedelta(minutes=4)
    with read_session(base_engine) as session:
        cb = session.exec(select(Callback).where(Callback.work_order_id == oid)).one()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "work_order", AuditEvent.entity_id == oid)
        ).all()
    assert (cb.outcome, cb.note, cb.done_at) == (
        "satisfied",
        "业主满意",
        FROZEN + timedelta(minutes=5),
    )
    assert {e.actor for e in events if e.action == "update"} == {"wangfang"}
    assert len([e for e in events if e.action == "update"]) == 5


@pytest.mark.parametrize(
    ("stage_args", "args", "stage_word"),
    [
        ([], ["complete", "{id}", "--note", "done"], "reported"),
        ([], ["accept", "{id}"], "reported"),
        ([], ["arrive", "{id}"], "reported"),
        ([], ["unfinished", "{id}", "--note", "no parts"], "reported"),
        ([], ["callback", "{id}", "--outcome", "satisfied"], "reported"),
        ([], ["rework", "{id}", "--note", "again"], "reported"),
        ([["dispatch", "{id}"]], ["arrive", "{id}"], "dispatched"),
        ([["dispatch", "{id}"]], ["complete", "{id}", "--note", "x"], "dispatched"),
        ([["dispatch", "{id}"], ["accept", "{id}"]], ["accept", "{id}"], "accepted"),
        ([["dispatch", "{id}"], ["cancel", "{id}", "--note", "dup"]], ["dispatch", "{id}"],
         "cancelled"),
        ([["dispatch", "{id}"], ["cancel", "{id}", "--note", "dup"]], ["cancel", "{id}", "--note",
         "again"], "cancelled"),
    ],
)  # fmt: skip
def test_illegal_transition_is_one_line_and_exit_2(
    base_engine: Engine,
    url: str,
    frozen: time_machine.Traveller,
    stage_args: list[list[str]],
    args: list[str],
    stage_word: str,
) -> None:
    oid = new_order(base_engine)
    for before in stage_args:
        assert run(url, *[a.format(id=oid) for a in before]).exit_code == 0
    version = order(base_engine, oid).version
    result = run(url, *[a.format(id=oid) for a in args])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"is {stage_word}" in result.stderr
    assert order(base_engine, oid).version == version  # nothing written


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["dispatch", "{id}", "--to", "plumbers"], "team 'plumbers'"),
        (["cancel", "{id}"], "reason is required"),
        (["dispatch", "999999"], "not found"),
        (["dispatch", "{id}", "--at", "2026-11-22T11:00"], "future"),
        (["dispatch", "{id}", "--at", "2026-11-22T09:00"], "before the previous stage"),
        (["dispatch", "{id}", "--at", "yesterday"], "ISO date-time"),
    ],
)
def test_bad_input_is_refused_with_exit_2(
    base_engine: Engine, url: str, frozen: time_machine.Traveller, args: list[str], needle: str
) -> None:
    oid = new_order(base_engine)
    result = run(url, *[a.format(id=oid) for a in args])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert order(base_engine, oid).stage == "reported"


def test_complete_needs_a_result_and_unfinished_a_reason(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine)
    for args in (["dispatch"], ["accept"], ["arrive"]):
        assert run(url, args[0], str(oid)).exit_code == 0
    assert run(url, "complete", str(oid)).exit_code == 2
    assert run(url, "unfinished", str(oid)).exit_code == 2
    result = run(url, "unfinished", str(oid), "--reason", "等配件")
    assert result.exit_code == 0, result.output
    wo = order(base_engine, oid)
    assert (wo.stage, wo.unfinished_reason) == ("unfinished", "等配件")


def test_unfinished_order_is_redispatched_with_fresh_arrival_clock(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine)
    for args in (["dispatch"], ["accept"], ["unfinished", "--note", "no parts"]):
        assert run(url, args[0], str(oid), *args[1:]).exit_code == 0
    frozen.shift(timedelta(hours=2))
    assert run(url, "dispatch", str(oid), "--to", "engineering").exit_code == 0
    wo = order(base_engine, oid)
    assert wo.stage == "dispatched" and wo.accepted_at is None
    assert wo.first_dispatched_at == FROZEN and wo.dispatched_at == FROZEN + timedelta(hours=2)


def test_cancel_records_the_reason(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine)
    result = run(url, "cancel", str(oid), "--note", "业主自行修好")
    assert result.exit_code == 0
    wo = order(base_engine, oid)
    assert (wo.stage, wo.cancel_reason, wo.cancelled_at) == ("cancelled", "业主自行修好", FROZEN)


def test_callback_unreachable_keeps_it_due(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine, priority="urgent")
    for args in (["dispatch"], ["accept"], ["arrive"], ["complete", "--note", "ok"]):
        assert run(url, args[0], str(oid), *args[1:]).exit_code == 0
    result = run(url, "callback", str(oid), "--outcome", "unreachable", "--note", "无人接听")
    assert result.exit_code == 0
    assert order(base_engine, oid).stage == "completed"
    with read_session(base_engine) as session:
        cb = session.exec(select(Callback).where(Callback.work_order_id == oid)).one()
    assert (cb.attempts, cb.done_at, cb.kind) == (1, None, "urgent")
    assert run(url, "callback", str(oid), "--outcome", "nobody").exit_code == 2


def test_callback_refused_in_the_lunch_break_cb2(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine, minutes_ago=60)
    for args in (["dispatch"], ["accept"], ["arrive"], ["complete", "--note", "ok"]):
        assert run(url, args[0], str(oid), *args[1:], "--at", "2026-11-22T09:30").exit_code == 0
    frozen.move_to(FROZEN + timedelta(hours=2, minutes=30))  # 12:30 in Shanghai
    result = run(url, "callback", str(oid), "--outcome", "satisfied")
    assert result.exit_code == 2 and "CB-2" in result.stderr
    assert "Calls may be made from 14:00" in result.stderr  # #17 finding 23: when, not only no
    frozen.move_to(FROZEN + timedelta(hours=13))  # 23:00: the window opens tomorrow morning
    result = run(url, "callback", str(oid), "--outcome", "satisfied")
    assert result.exit_code == 2 and "from 11-23 08:00" in result.stderr
    frozen.move_to(FROZEN + timedelta(hours=4))  # 14:00: allowed again
    assert run(url, "callback", str(oid), "--outcome", "satisfied").exit_code == 0


def test_paid_repair_needs_price_confirmed_before_work_r15(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine, paid=True)
    assert run(url, "dispatch", str(oid)).exit_code == 0
    assert run(url, "accept", str(oid)).exit_code == 0
    refused = run(url, "arrive", str(oid))
    assert refused.exit_code == 2 and "R-15" in refused.stderr
    assert run(url, "arrive", str(oid), "--price-confirmed").exit_code == 0
    assert order(base_engine, oid).price_confirmed


def test_rework_opens_a_linked_order(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine)
    for args in (["dispatch"], ["accept"], ["arrive"], ["complete", "--note", "ok"]):
        assert run(url, args[0], str(oid), *args[1:]).exit_code == 0
    result = run(url, "rework", str(oid), "--note", "又漏了")
    assert result.exit_code == 0, result.output
    with read_session(base_engine) as session:
        new = session.exec(select(WorkOrder).where(WorkOrder.rework_of_id == oid)).one()
    assert new.stage == "reported" and "又漏了" in new.summary and new.trade == "plumbing"
    assert f"Work order {new.id}: reported" in result.stdout


def test_dispatch_defaults_to_the_control_room_at_night_r5(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    day = new_order(base_engine)  # 09:59 in Shanghai
    assert run(url, "dispatch", str(day)).exit_code == 0
    assert order(base_engine, day).team == "engineering"
    frozen.move_to(FROZEN + timedelta(hours=12))  # 22:00 in Shanghai
    night = new_order(base_engine, minutes_ago=1)
    assert run(url, "dispatch", str(night)).exit_code == 0
    assert order(base_engine, night).team == "security"


def test_list_open_breached_json(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    late = new_order(base_engine, minutes_ago=10)
    fresh = new_order(base_engine, minutes_ago=1)
    done = new_order(base_engine, minutes_ago=1)
    assert run(url, "cancel", str(done), "--note", "dup").exit_code == 0
    result = run(url, "list", "--open", "--format", "json")
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [late, fresh]  # breached first
    assert rows[0]["state"] == "breached" and rows[0]["rule"] == "R-2"
    assert rows[1]["remaining"] == "02:00"
    breached = json.loads(run(url, "list", "--breached", "--format", "json").stdout)
    assert [r["id"] for r in breached] == [late]
    everything = json.loads(run(url, "list", "--format", "json").stdout)
    assert {r["id"] for r in everything} == {late, fresh, done}
    csv_out = run(url, "list", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("id,where,trade")


def test_show_lists_all_clocks(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine, priority="urgent")
    assert run(url, "dispatch", str(oid)).exit_code == 0
    data = json.loads(run(url, "show", str(oid), "--format", "json").stdout)
    assert [c["clock"] for c in data["clocks"]] == ["dispatch", "arrival", "return"]
    assert data["clocks"][1]["due_at"].startswith("2026-11-22T10:10")


def test_rained_makes_leak_callbacks_due_cb3(
    base_engine: Engine, url: str, frozen: time_machine.Traveller
) -> None:
    oid = new_order(base_engine, leak=True)
    for args in (["dispatch"], ["accept"], ["arrive"], ["complete", "--note", "补了防水"]):
        assert run(url, args[0], str(oid), *args[1:]).exit_code == 0
    with read_session(base_engine) as session:
        assert (
            session.exec(select(Callback).where(Callback.work_order_id == oid)).one().due_at is None
        )
    frozen.shift(timedelta(hours=3))
    result = run(url, "rained")
    assert result.exit_code == 0 and "1 leak" in result.stdout
    with read_session(base_engine) as session:
        due = session.exec(select(Callback).where(Callback.work_order_id == oid)).one().due_at
    # rained on Sunday the 22nd: due by 21:00 on Monday the 23rd (13:00 UTC)
    assert due is not None and due.isoformat() == "2026-11-23T13:00:00+00:00"
