"""Numbered pickup notice slips (P-15..P-18): used in order, void kept, the 72 h phone call
(P-17), reviewed by a supervisor and listed in reverse serial order for binding (P-18)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk import parcels, slips
from shiftdesk.cli import app as cli
from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor, read_session, transact
from shiftdesk.errors import PermissionDenied, ValidationError
from shiftdesk.models import Role
from shiftdesk.sites import add_operator
from tests.parcels_helpers import Estate, make_estate

#: Monday 23 Nov 2026, 14:02 in Shanghai
T0 = datetime(2026, 11, 23, 6, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def estate(engine: Engine, settings: Settings) -> Estate:
    settings.parcels.slip_first_serial = 501  # the pad in the drawer starts at No. 501
    return make_estate(engine, settings)


def check_in(engine: Engine, settings: Settings, estate: Estate, tracking: str) -> int:
    req = parcels.CheckInRequest(tracking=tracking, unit=estate.unit_a)
    done = transact(
        engine,
        lambda s: parcels.check_in(s, settings, estate.site_id, req, now=T0),
        actor=estate.wangfang,
    )
    assert done.parcel.id is not None
    return done.parcel.id


def contact(
    engine: Engine, settings: Settings, estate: Estate, pid: int, method: str, at: datetime,
    slip: int | None = None,
) -> None:  # fmt: skip
    transact(
        engine,
        lambda s: parcels.record_contact(
            s, settings, estate.site_id, pid, method=method, slip=slip, now=at
        ),
        actor=estate.wangfang,
    )


def usage(engine: Engine, settings: Settings, estate: Estate) -> dict[int, slips.SlipRow]:
    with read_session(engine) as s:
        return {r.serial: r for r in slips.usage(s, settings, estate.site_id)}


def test_slips_are_used_in_order_and_a_spoiled_one_keeps_its_serial(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    first = check_in(engine, settings, estate, "SF1000000000001")
    second = check_in(engine, settings, estate, "SF1000000000002")
    contact(engine, settings, estate, first, "notice", T0 + HOUR)
    with pytest.raises(ValidationError, match=r"the next is No\. 502, not 503"):
        contact(engine, settings, estate, second, "notice", T0 + HOUR, slip=503)
    with pytest.raises(ValidationError, match=r"No\. 501 is already in the record"):
        contact(engine, settings, estate, second, "notice", T0 + HOUR, slip=501)
    with pytest.raises(ValidationError):
        transact(engine, lambda s: slips.void(s, settings, estate.site_id, reason=" "))
    transact(
        engine,
        lambda s: slips.void(s, settings, estate.site_id, reason="torn", serial=502),
        actor=estate.wangfang,
    )
    contact(engine, settings, estate, second, "notice", T0 + HOUR, slip=503)
    rows = usage(engine, settings, estate)
    assert list(rows) == [503, 502, 501]  # newest first: the binding order (P-18)
    assert (rows[502].status, rows[502].void_reason, rows[502].parcel_id) == ("void", "torn", None)
    assert (rows[501].parcel_id, rows[501].issued_by) == (first, "王芳")
    with read_session(engine) as s:
        assert slips.latest_for(s, second).serial == 503  # type: ignore[union-attr]


def test_the_72_hour_phone_call_p17(engine: Engine, settings: Settings, estate: Estate) -> None:
    waiting = check_in(engine, settings, estate, "SF2000000000001")
    collected = check_in(engine, settings, estate, "SF2000000000002")
    contact(engine, settings, estate, waiting, "notice", T0)
    contact(engine, settings, estate, collected, "notice", T0)
    who = parcels.Pickup(by="self", id_type="id_card", id_last4="1234")
    transact(
        engine,
        lambda s: parcels.release(
            s, settings, estate.site_id, [collected], who, now=T0 + 10 * HOUR
        ),
        actor=estate.wangfang,
    )
    rows = usage(engine, settings, estate)
    call, gone = rows[501].call, rows[502].call
    assert call is not None and gone is not None
    assert call.due_at == T0 + 72 * HOUR
    assert call.state(T0 + 72 * HOUR).value == "warning"  # exactly at the due time: on time
    assert call.state(T0 + 72 * HOUR + timedelta(seconds=1)).value == "breached"
    assert gone.state(T0 + 100 * HOUR).value == "met"  # collected before the call was due
    # a slip left at 23:00 is not phoned about at 23:00 three days on: at 08:00 (P-13)
    evening = check_in(engine, settings, estate, "SF2000000000003")
    contact(engine, settings, estate, evening, "notice", T0 + 9 * HOUR)  # 23:02 site time
    night = usage(engine, settings, estate)[503].call
    assert night is not None and night.due_at == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    contact(engine, settings, estate, waiting, "phone", T0 + 74 * HOUR)
    late = usage(engine, settings, estate)[501].call
    assert late is not None and late.done_at == T0 + 74 * HOUR
    assert late.state(T0 + 80 * HOUR).value == "missed"


def test_review_by_a_supervisor_only_of_completed_slips(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    waiting = check_in(engine, settings, estate, "SF3000000000001")
    contact(engine, settings, estate, waiting, "notice", T0)
    transact(engine, lambda s: slips.void(s, settings, estate.site_id, reason="blotted"))
    sup = transact(
        engine,
        lambda s: add_operator(
            s, name="chen", pin="8888", role=Role.SUPERVISOR, site_id=estate.site_id
        ),
    )
    boss = Actor(name="chen", id=sup.id, role="supervisor")
    with pytest.raises(PermissionDenied):
        transact(engine, lambda s: slips.review(s, settings, estate.site_id), actor=estate.wangfang)
    with pytest.raises(ValidationError, match=r"No\. 501: its item is still at the desk"):
        transact(
            engine, lambda s: slips.review(s, settings, estate.site_id, serials=[501]), actor=boss
        )
    assert transact(engine, lambda s: slips.review(s, settings, estate.site_id), actor=boss) == [
        502
    ]
    assert transact(engine, lambda s: slips.review(s, settings, estate.site_id), actor=SYSTEM) == []
    rows = usage(engine, settings, estate)
    assert (rows[502].reviewed_by, rows[501].reviewed_at) == ("chen", None)


def test_the_commands(base_engine: Engine) -> None:
    url = base_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--db", url, "--operator", "wangfang", *args])
        assert result.exit_code == code, result.output
        return result.output

    with time_machine.travel(T0, tick=False):
        out = run(
            "parcels",
            "checkin",
            "--tracking",
            "SF4000000000001",
            "--unit",
            "1-1-101",
            "--format",
            "json",
        )
        (checked,) = json.loads(out)
        pid = checked["parcel_id"]
        said = run("parcels", "contact", str(pid), "--method", "notice", "--slip", "1")
        assert "Notice slip No. 1: white copy under the door" in said
        assert "the next is No. 2" in run(
            "parcels", "slip-void", "--slip", "3", "--reason", "x", code=2
        )
        assert "No. 2 recorded as void" in run("parcels", "slip-void", "--reason", "spoiled")
    with time_machine.travel(T0 + 73 * HOUR, tick=False):
        table = run("parcels", "slips")
        assert "PHONE NOW" in table and "void" in table
        listed = json.loads(run("parcels", "slips", "--format", "json"))
        assert [r["serial"] for r in listed] == [2, 1]
        assert listed[1]["call"] == "breached"
        assert "supervisor" in run("parcels", "slips-review", "--pin", "1111", code=2)
        reviewed = runner.invoke(
            cli, ["--db", url, "--operator", "chenjing", "parcels", "slips-review", "--pin", "8888"]
        )
        assert reviewed.exit_code == 0 and "1 notice slip(s) reviewed: 2" in reviewed.output
