"""``shiftdesk parcels``: checkin, pickup, list, remind, return, outbox, exit codes."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.config import load_settings
from shiftdesk.db import make_engine, read_session
from shiftdesk.models import Notification, Parcel
from tests.parcels_helpers import Estate, HttpReceiver, make_estate

#: Monday 23 Nov 2026, 14:02 in Shanghai
T0 = datetime(2026, 11, 23, 6, 2, tzinfo=UTC)

runner = CliRunner()


@pytest.fixture
def db() -> Iterator[tuple[Engine, Estate]]:
    assert runner.invoke(app, ["init"]).exit_code == 0
    engine = make_engine(os.environ["SHIFTDESK_DB"])
    estate = make_estate(engine, load_settings())
    yield engine, estate
    engine.dispose()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def checkin(*extra: str, tracking: str = "SF1234567890123", unit: str = "1-1-101") -> dict:
    code, out, err = run(
        "--operator",
        "wangfang",
        "parcels",
        "checkin",
        "--tracking",
        tracking,
        "--unit",
        unit,
        "--format",
        "json",
        *extra,
    )
    assert code == 0, err
    (row,) = json.loads(out)
    return row


def test_checkin_json_and_duplicate_exit_2(db: tuple[Engine, Estate]) -> None:
    with time_machine.travel(T0, tick=False):
        row = checkin("--shelf", "c", "--pieces", "2")
        assert (
            row["carrier"] == "sf" and row["kind"] == "parcel" and row["urgent"] is False
        )  # P-10 is the post's items (#17 finding 12)
        assert (row["unit"], row["recipient"], row["shelf"], row["pieces"]) == (
            "1-1-101",
            "张伟",
            "C",
            2,
        )
        assert row["notification"] == "none"  # no channel configured
        assert isinstance(row["parcel_id"], int)
        code, _, err = run(
            "parcels", "checkin", "--tracking", "SF 1234 5678 90123", "--unit", "1-1-101"
        )
    assert code == 2
    assert err.strip() == "shiftdesk: SF1234567890123 is already checked in: at 14:02 by 王芳."


def test_checkin_with_kind_carrier_and_backdated_time(db: tuple[Engine, Estate]) -> None:
    with time_machine.travel(T0, tick=False):
        row = checkin(
            "--kind",
            "remittance_slip",
            "--carrier",
            "china_post",
            "--at",
            "2026-11-23T09:15",
            tracking="12345678",
        )
    assert (row["kind"], row["carrier"]) == ("remittance_slip", "china_post")
    assert row["received_at"] == "2026-11-23T01:15:00+00:00"  # 09:15 Shanghai


def test_non_resident_refused_exit_2_and_recorded(db: tuple[Engine, Estate]) -> None:
    engine, _ = db
    code, _, err = run(
        "parcels",
        "checkin",
        "--tracking",
        "YT1234567890123",
        "--unit",
        "1-1-101",
        "--name",
        "赵六",
        "--refuse-reason",
        "courier took it back",
    )
    assert code == 2
    assert "赵六 is not a resident of 1-1-101" in err and "Refusal recorded" in err
    with read_session(engine) as s:
        p = s.exec(select(Parcel)).one()
    assert (p.status, p.return_reason, p.recipient_name) == (
        "refused",
        "courier took it back",
        "赵六",
    )


def test_bad_values_exit_2(db: tuple[Engine, Estate]) -> None:
    assert (
        run("parcels", "checkin", "--tracking", "SF1", "--unit", "1-1-101", "--kind", "piano")[0]
        == 2
    )
    assert (
        run(
            "parcels",
            "checkin",
            "--tracking",
            "SF1234567890123",
            "--unit",
            "1-1-101",
            "--shelf",
            "Q",
        )[0]
        == 2
    )
    assert run("parcels", "list", "--format", "xml")[0] == 2


def test_pickup_self_then_twice_refused(db: tuple[Engine, Estate]) -> None:
    pid = str(checkin()["parcel_id"])
    code, out, err = run(
        "--operator",
        "lina",
        "parcels",
        "pickup",
        pid,
        "--by",
        "self",
        "--id-type",
        "passport",
        "--id-last4",
        "E123",
        "--format",
        "json",
    )
    assert code == 0, err
    (row,) = json.loads(out)
    assert (row["status"], row["pickup_by"], row["id_type"], row["id_last4"]) == (
        "picked_up",
        "self",
        "passport",
        "E123",
    )
    code, _, err = run("parcels", "pickup", pid, "--by", "self", "--id-last4", "1234")
    assert code == 2 and "already left the desk" in err and "李娜" in err


def test_pickup_by_proxy_states_liability(db: tuple[Engine, Estate]) -> None:
    pid = str(checkin()["parcel_id"])
    code, _, err = run("parcels", "pickup", pid, "--by", "proxy", "--id-last4", "5678")
    assert code == 2 and "proxy's name" in err
    code, out, err = run(
        "parcels",
        "pickup",
        pid,
        "--by",
        "proxy",
        "--id-last4",
        "5678",
        "--proxy-name",
        "刘强",
        "--proxy-phone",
        "13900139001",
    )
    assert code == 0, err
    assert "full responsibility for loss or swapping" in out
    code, _, err = run("parcels", "pickup", pid, "--by", "self", "--id-last4", "110101199003071234")
    assert code == 2


def test_return_to_sender(db: tuple[Engine, Estate]) -> None:
    pid = str(checkin()["parcel_id"])
    code, out, _ = run("parcels", "return", pid, "--reason", "moved out (P-20)")
    assert code == 0 and "returned to sender" in out
    assert run("parcels", "return", pid, "--reason", "again")[0] == 2


def test_list_waiting_overdue_formats(db: tuple[Engine, Estate]) -> None:
    with time_machine.travel(T0, tick=False):
        old = checkin(tracking="YT1234567890123")["parcel_id"]
    with time_machine.travel(datetime(2026, 11, 29, 6, 0, tzinfo=UTC), tick=False):
        new = checkin(tracking="YT1234567890124", unit="1-1-102")["parcel_id"]
    with time_machine.travel(datetime(2026, 11, 30, 7, 0, tzinfo=UTC), tick=False):
        _, out, _ = run("parcels", "list", "--overdue", "--format", "json")
        assert [r["parcel_id"] for r in json.loads(out)] == [old]
        assert json.loads(out)[0]["age_days"] == 7
        _, out, _ = run("parcels", "list", "--waiting", "--format", "csv")
        lines = out.strip().splitlines()
        assert lines[0].startswith("parcel_id,tracking,carrier")
        assert len(lines) == 3 and lines[1].startswith(f"{new},")
        code, out, _ = run("--locale", "zh_CN", "parcels", "list", "--unit", "1-1-102")
        assert code == 0 and "待领取" in out


def test_remind_sends_to_receiver_and_is_idempotent(
    db: tuple[Engine, Estate], http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIFTDESK_NOTIFICATIONS__URLS", http_receiver.url())
    with time_machine.travel(T0, tick=False):
        checkin()
    assert len(http_receiver.received) == 1  # the check-in message
    week = datetime(2026, 11, 30, 6, 2, tzinfo=UTC)
    with time_machine.travel(week, tick=False):
        code, out, _ = run("parcels", "remind", "--dry-run", "--format", "json")
        assert code == 0
        dry = json.loads(out)
        assert dry["dry_run"] and dry["reminders"][0]["action"] == "due"
        assert len(http_receiver.received) == 1
        code, out, _ = run("parcels", "remind", "--format", "json")
        first = json.loads(out)
        code2, out2, _ = run("parcels", "remind", "--format", "json")
    assert code == 0 and code2 == 0
    assert [r["action"] for r in first["reminders"]] == ["queued"] and first["sent"] == 1
    assert json.loads(out2)["reminders"] == []  # cron ran twice: nothing twice
    assert len(http_receiver.received) == 2
    assert "waiting 7 days" in http_receiver.received[1]["message"]


def test_failed_notification_is_visible_retried_by_remind_and_outbox(
    db: tuple[Engine, Estate], http_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIFTDESK_NOTIFICATIONS__URLS", http_receiver.url())
    http_receiver.fail_next = 2
    with time_machine.travel(T0, tick=False):
        assert checkin()["notification"] == "failed"
    with time_machine.travel(datetime(2026, 11, 23, 6, 3, tzinfo=UTC), tick=False):
        code, out, _ = run("parcels", "remind")  # the retry is due, and fails again
        assert code == 1 and "1 failed" in out
        code, out, _ = run("parcels", "outbox", "--format", "json")
        data = json.loads(out)
        assert data["counts"]["failed"] == 1 and "500" in data["failed"][0]["error"]
        code, out, _ = run("parcels", "outbox", "--retry", "--format", "json")
        assert json.loads(out)["counts"]["sent"] == 1
    assert len(http_receiver.received) == 1


def test_contact_and_do_not_notify(db: tuple[Engine, Estate]) -> None:
    engine, _ = db
    pid = str(checkin()["parcel_id"])
    code, out, _ = run("parcels", "contact", pid, "--method", "phone", "--note", "Saturday")
    assert code == 0 and "reminder 1" in out
    assert run("parcels", "contact", pid, "--method", "pigeon")[0] == 2
    code, out, _ = run(
        "parcels",
        "do-not-notify",
        "--unit",
        "1-1-101",
        "--name",
        "zw",
        "--note",
        "abroad until May",
    )
    assert code == 0 and "张伟" in out
    row = checkin(tracking="YT1234567890123")
    assert row["notification"] == "suppressed"
    with read_session(engine) as s:
        notes = [n.note for n in s.exec(select(Notification)).all()]
    assert notes == ["Saturday", "abroad until May"]


def test_notify_test_reports_each_channel(
    db: tuple[Engine, Estate], http_receiver: HttpReceiver
) -> None:
    from tests.parcels_helpers import free_port

    dead = f"json://127.0.0.1:{free_port()}/nobody"
    code, out, _ = run("parcels", "notify-test", "--url", http_receiver.url(), "--url", dead)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0].endswith(": sent") and "127.0.0.1" in lines[1]
    assert http_receiver.received[0]["title"] == "shiftdesk test message"
    code, out, _ = run(
        "parcels",
        "notify-test",
        "--url",
        http_receiver.url("sms", "?:to={phone}"),
        "--phone",
        "13800138000",
    )
    assert code == 0 and http_receiver.received[1]["to"] == "13800138000"
