"""``shiftdesk handover show|pending|countersign``: the shift's log as a document."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk import handover
from shiftdesk.cli import app as cli
from shiftdesk.config import Settings
from tests.conftest import FROZEN
from tests.handover_support import on_shift, open_shift, seed_other_areas, site_and_people


@pytest.fixture
def closed_day(base_engine: Engine, settings: Settings) -> tuple[str, int]:
    """A day shift with a note, an incident, a correction, handed over to 李娜 at 19:50."""
    site_id, people = site_and_people(base_engine, settings)
    wang, lina, chen = people["wangfang"], people["lina"], people["chenjing"]
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, wang)
        assert shift.id is not None
        shift_id = shift.id
        ids = seed_other_areas(base_engine, site_id, FROZEN + timedelta(minutes=5))

        def log(session, sh):  # type: ignore[no-untyped-def]
            note = handover.add_entry(session, sh, author=wang, kind="note", body="电梯维保 | 9点")
            handover.add_entry(
                session,
                sh,
                author=wang,
                kind="incident",
                category="lift_entrapment",
                body="2号梯困人",
                location="2号楼2号电梯",
                actions="15:42解困",
                notified="客服主管",
            )
            handover.add_entry(
                session,
                sh,
                author=wang,
                kind="correction",
                body="维保改到10点",
                corrects_id=note.id,
            )

        on_shift(base_engine, shift_id, log, wang)
    keys = [f"wo:{ids['emergency']}", f"complaint:{ids['major']}"]
    with time_machine.travel(FROZEN + timedelta(hours=9, minutes=35), tick=False):
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.override_block(
                s, sh, supervisor=chen, reason="engineering on site", keys=keys
            ),
            chen,
        )
        digest = on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.prepare_handover(
                s, settings, sh, author=wang, special_instructions="钥匙在2号柜"
            ),
            wang,
        )
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.record_parcel_count(
                s, sh, incoming=lina, counted={"A": 2, "B": 1}
            ),
            lina,
        )
        q = on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.ask(s, sh, incoming=lina, text="钥匙柜密码？"),
            lina,
        )
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.answer(s, sh, outgoing=wang, question_id=q.id, text="问主管"),
            wang,
        )
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.acknowledge(
                s,
                sh,
                incoming=lina,
                keys=[k for k in digest.item_keys() if k != handover.PARCELS_KEY],
            ),
            lina,
        )
        on_shift(
            base_engine,
            shift_id,
            lambda s, sh: handover.sign_handover(s, settings, sh, outgoing=wang, incoming=lina),
            lina,
        )
    return str(base_engine.url), shift_id


def run(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args])
    return result.exit_code, result.output


def test_show_text_is_the_whole_log_and_handover(closed_day: tuple[str, int]) -> None:
    url, shift_id = closed_day
    code, out = run(url, "handover", "show", "--shift", str(shift_id))
    assert code == 0, out
    assert "Day 11-22 08:00–20:00" in out and "Shift opened 120 min late" in out
    assert "Incident: lift entrapment" in out and "2号楼2号电梯" in out
    assert "[corrected by #" in out and "Corrects #2" in out
    assert "Open work orders" in out and "Parcels waiting" in out
    assert "not available" in out  # deposits: honest
    assert "Parcel count confirmed: 3" in out
    assert "钥匙柜密码？" in out and "问主管" in out
    assert "Supervisor override by 陈静: engineering on site" in out
    assert "[ ]" not in out  # every item was acknowledged


def test_show_markdown_for_printing(closed_day: tuple[str, int]) -> None:
    url, shift_id = closed_day
    code, out = run(
        url, "--locale", "zh_CN", "handover", "show", "--shift", str(shift_id), "--format", "md"
    )
    assert code == 0, out
    assert out.startswith("# 交接班 / 值班记录")
    assert "## 值班记录" in out and "| # | 时间 | 记录人 | 类型 | 内容 |" in out
    assert "电梯维保 \\| 9点" in out  # a pipe in the text does not break the table
    assert "### 特别交待" in out and "钥匙在2号柜" in out
    assert "| 交班人 |" in out and "| 接班人 |" in out
    assert "**重要**" in out  # the overridden important work stays marked


def test_show_json_and_by_date(closed_day: tuple[str, int]) -> None:
    url, shift_id = closed_day
    code, out = run(url, "handover", "show", "--shift", str(shift_id), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["shift"]["status"] == "closed" and doc["shift"]["incoming"] == "李娜"
    # by 19:35 every open order and complaint has run out of time: all under "breached"
    assert {i["section"] for i in doc["digest"]["items"]} == {
        "breached",
        "callbacks",
        "parcels",
        "incidents",
        "instructions",
    }
    assert all(i["acknowledged"] for i in doc["digest"]["items"])
    code, out = run(url, "handover", "show", "--date", "2026-11-22", "--format", "json")
    assert code == 0
    days = json.loads(out)
    assert [d["shift"]["name"] for d in days] == ["day", "night"]
    code, out = run(url, "handover", "show")  # default: the desk's open shift
    assert code == 0 and "Night 11-22 20:00–08:00" in out


def test_show_usage_errors(closed_day: tuple[str, int]) -> None:
    url, shift_id = closed_day
    assert run(url, "handover", "show", "--shift", "999")[0] == 2
    assert run(url, "handover", "show", "--shift", str(shift_id), "--date", "2026-11-22")[0] == 2
    assert run(url, "handover", "show", "--format", "pdf")[0] == 2
    code, out = run(url, "handover", "show", "--date", "2026-01-01")
    assert code == 1 and "no shift found" in out


def test_pending_and_countersign_from_the_command_line(closed_day: tuple[str, int]) -> None:
    url, shift_id = closed_day
    code, out = run(url, "handover", "pending", "--format", "json")
    assert code == 0
    assert [r["id"] for r in json.loads(out)] == [shift_id]
    assert json.loads(out)[0]["override"] is True
    code, out = run(
        url,
        "--operator",
        "lina",
        "handover",
        "countersign",
        "--date",
        "2026-11-22",
        "--pin",
        "2222",
    )
    assert code == 2 and "supervisor" in out  # an operator may not countersign (H-7)
    code, out = run(
        url,
        "--operator",
        "chenjing",
        "handover",
        "countersign",
        "--date",
        "2026-11-22",
        "--pin",
        "0000",
    )
    assert code == 2  # wrong PIN
    code, out = run(
        url,
        "--operator",
        "chenjing",
        "handover",
        "countersign",
        "--date",
        "2026-11-22",
        "--pin",
        "8888",
    )
    assert code == 0 and "countersigned: Day 11-22" in out
    code, out = run(url, "handover", "pending", "--format", "json")
    assert json.loads(out) == []
    code, out = run(url, "verify")
    assert code == 0, out
