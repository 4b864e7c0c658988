"""``shiftdesk calls log|list`` and ``shiftdesk complaints list|mark|escalate``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.db import read_session
from shiftdesk.models import AuditEvent, Call, Complaint, Resident, Unit, WorkOrder
from tests.conftest import FROZEN

runner = CliRunner()


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def url(base_engine: Engine, frozen: time_machine.Traveller) -> str:
    return base_engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str, operator: str = "wangfang"):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--db", url, "--operator", operator, *args])


def log(url: str, *args: str):  # type: ignore[no-untyped-def]
    return run(url, "calls", "log", *args)


def zhang(engine: Engine) -> tuple[Resident, str]:
    with read_session(engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == "张伟")).one()
        unit = session.get(Unit, resident.unit_id)
    assert unit is not None
    return resident, unit.code


def test_log_an_inquiry_prints_the_call_number(url: str, base_engine: Engine) -> None:
    result = log(url, "--channel", "walk_in", "--category", "inquiry", "--summary", "停水时间")
    assert result.exit_code == 0, result.output
    with read_session(base_engine) as session:
        call = session.exec(select(Call)).one()
    assert result.output.strip() == f"Call {call.id} saved"
    assert (call.channel, call.category, call.received_at) == ("walk_in", "inquiry", FROZEN)


def test_repair_prints_both_ids_as_json(url: str, base_engine: Engine) -> None:
    _resident, unit = zhang(base_engine)
    result = log(
        url,
        "--channel",
        "phone",
        "--category",
        "repair",
        "--phone",
        "13800138000",
        "--unit",
        unit,
        "--summary",
        "水管爆裂",
        "--priority",
        "emergency",
        "--trade",
        "plumbing",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    ids = json.loads(result.output)
    assert set(ids) == {"call_id", "work_order_id"}
    with read_session(base_engine) as session:
        order = session.get(WorkOrder, ids["work_order_id"])
    assert order is not None
    assert (order.call_id, order.priority, order.trade) == (ids["call_id"], "emergency", "plumbing")
    # without --trade a repair from a caller-ID hook is filed under "other"
    result = log(
        url,
        "--channel",
        "phone",
        "--category",
        "repair",
        "--unit",
        unit,
        "--summary",
        "门坏了",
        "--format",
        "json",
    )
    with read_session(base_engine) as session:
        order = session.get(WorkOrder, json.loads(result.output)["work_order_id"])
    assert order is not None and order.trade == "other"


def test_caller_id_fills_name_and_unit(url: str, base_engine: Engine) -> None:
    resident, _unit = zhang(base_engine)
    spaced = f"+86 {resident.phone[:3]} {resident.phone[3:7]} {resident.phone[7:]}"
    result = log(
        url,
        "--channel",
        "phone",
        "--category",
        "inquiry",
        "--phone",
        spaced,
        "--summary",
        "物业费",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    with read_session(base_engine) as session:
        call = session.get(Call, json.loads(result.output)["call_id"])
    assert call is not None
    assert (call.caller_name, call.unit_id, call.resident_id, call.caller_phone) == (
        "张伟",
        resident.unit_id,
        resident.id,
        resident.phone,
    )


def test_complaint_under_each_scheme(
    url: str, base_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _resident, unit = zhang(base_engine)
    common = [
        "--channel",
        "phone",
        "--category",
        "complaint",
        "--name",
        "张先生",
        "--unit",
        unit,
        "--summary",
        "噪音",
        "--format",
        "json",
    ]
    a = json.loads(log(url, *common, "--level", "major").output)
    monkeypatch.setenv("SHIFTDESK_COMPLAINTS__SCHEME", "B")
    refused = log(url, *common)
    assert refused.exit_code == 2
    assert "class" in refused.output
    b = json.loads(log(url, *common, "--class", "3", "--complainants", "12").output)
    with read_session(base_engine) as session:
        first = session.get(Complaint, a["complaint_id"])
        second = session.get(Complaint, b["complaint_id"])
    assert first is not None and second is not None
    assert (first.scheme, first.level) == ("A", "major")
    # CP-9: twelve people is a collective complaint: major
    assert (second.scheme, second.cause_class, second.level) == ("B", "3", "major")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--channel", "fax", "--category", "inquiry", "--summary", "x"], "channel"),
        (["--channel", "phone", "--category", "gossip", "--summary", "x"], "category"),
        (
            ["--channel", "phone", "--category", "inquiry", "--summary", "x", "--unit", "9-9-9"],
            "9-9-9",
        ),
        (
            ["--channel", "phone", "--category", "inquiry", "--summary", "x", "--phone", "123"],
            "phone",
        ),
        (
            ["--channel", "phone", "--category", "inquiry", "--summary", "x", "--at", "yesterday"],
            "ISO",
        ),
        (
            [
                "--channel",
                "phone",
                "--category",
                "repair",
                "--summary",
                "x",
                "--unit",
                "1-1-101",
                "--priority",
                "asap",
            ],
            "priority",
        ),
        (["--channel", "phone", "--category", "inquiry"], "Write down"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    url: str, base_engine: Engine, args: list[str], expected: str
) -> None:
    result = log(url, *args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.output
    with read_session(base_engine) as session:
        assert session.exec(select(Call)).all() == []


def test_late_entry_with_at(url: str, base_engine: Engine) -> None:
    result = log(
        url,
        "--channel",
        "walk_in",
        "--category",
        "help",
        "--summary",
        "钥匙",
        "--at",
        "2026-11-22T09:30",
        "--format",
        "json",
    )
    with read_session(base_engine) as session:
        call = session.get(Call, json.loads(result.output)["call_id"])
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "late_entry")).one()
    assert call is not None and call.late_entry is True
    assert call.received_at == FROZEN - timedelta(minutes=30)
    assert event.entity_id == call.id and event.actor == "wangfang"


def test_list_a_day_and_search(url: str, base_engine: Engine) -> None:
    _resident, unit = zhang(base_engine)
    log(url, "--channel", "phone", "--category", "inquiry", "--summary", "停车月卡", "--unit", unit)
    log(
        url,
        "--channel",
        "phone",
        "--category",
        "praise",
        "--summary",
        "表扬保安",
        "--at",
        "2026-11-21T15:00",
    )
    today = json.loads(run(url, "calls", "list", "--format", "json").output)
    assert [r["summary"] for r in today] == ["停车月卡"]
    assert today[0]["unit"] == unit and today[0]["received_at"] == "2026-11-22T10:00:00+08:00"
    yesterday = run(url, "calls", "list", "--date", "2026-11-21", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(yesterday)))
    assert [r["category"] for r in rows] == ["praise"]
    found = json.loads(run(url, "calls", "list", "--search", "保安", "--format", "json").output)
    assert [r["summary"] for r in found] == ["表扬保安"]
    table = run(url, "calls", "list")
    assert table.exit_code == 0 and "停车月卡" in table.output
    assert run(url, "calls", "list", "--date", "22/11").exit_code == 2


def test_complaints_list_mark_and_escalate(
    url: str, base_engine: Engine, frozen: time_machine.Traveller
) -> None:
    _resident, unit = zhang(base_engine)
    made = json.loads(
        log(
            url,
            "--channel",
            "phone",
            "--category",
            "complaint",
            "--name",
            "王先生",
            "--unit",
            unit,
            "--summary",
            "垃圾",
            "--format",
            "json",
        ).output
    )
    cid = made["complaint_id"]
    listed = json.loads(run(url, "complaints", "list", "--open", "--format", "json").output)
    assert [(r["id"], r["next_clock"], r["rule"], r["state"]) for r in listed] == [
        (cid, "department", "CP-1", "running")
    ]
    assert listed[0]["due_at"] == "2026-11-22T10:20:00+08:00"
    frozen.shift(timedelta(minutes=21))
    late = json.loads(run(url, "complaints", "list", "--format", "json").output)
    assert late[0]["state"] == "breached"
    marked = run(url, "complaints", "mark", str(cid), "answered")
    assert marked.exit_code == 0 and "answered" in marked.output
    assert run(url, "complaints", "mark", str(cid), "fixed").exit_code == 2
    assert run(url, "complaints", "mark", "999", "answered").exit_code == 2
    # a month unresolved: CP-3 (c) makes it major
    frozen.shift(timedelta(days=31))
    escalated = run(url, "complaints", "escalate")
    assert escalated.exit_code == 0
    assert f"Complaint {cid} raised to major" in escalated.output
    again = run(url, "complaints", "escalate", "--site", "all")
    assert again.exit_code == 0 and "0 complaint(s) escalated" in again.output
    assert run(url, "complaints", "escalate", "--site", "NOPE").exit_code == 2
    # CB-1: resolved, it is called back; the list counts the callback down
    assert run(url, "complaints", "callback", str(cid), "--outcome", "satisfied").exit_code == 2
    assert run(url, "complaints", "mark", str(cid), "resolved").exit_code == 0
    owed = json.loads(run(url, "complaints", "list", "--format", "json").output)[0]
    assert (owed["next_clock"], owed["state"]) == ("callback", "running")
    assert run(url, "complaints", "callback", str(cid), "--outcome", "maybe").exit_code == 2
    called = run(url, "complaints", "callback", str(cid), "--outcome", "satisfied")
    assert called.exit_code == 0 and "closed" in called.output, called.output
    closed = run(url, "complaints", "mark", str(cid), "closed")
    assert closed.exit_code == 0
    assert json.loads(run(url, "complaints", "list", "--open", "--format", "json").output) == []
