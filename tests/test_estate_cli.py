"""``shiftdesk estate template|import`` on both backends: a site's first day from an empty
database to ``calls log`` and ``parcels checkin`` on its real units (issue 18), the exit
codes and the one line a bad file gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.config import load_settings
from shiftdesk.db import make_engine, read_session
from shiftdesk.models import Call, Parcel
from tests.data.estate.make_corpus import ENCRYPTED_XLSX, GB18030_CSV, real_roster
from tests.estate_helpers import make_desk, residents

runner = CliRunner()


def run(url: str, *args: str, operator: str | None = None) -> tuple[int, str, str]:
    pre = ["--db", url] + (["--operator", operator] if operator else [])
    result = runner.invoke(app, [*pre, *args])
    return result.exit_code, result.stdout, result.stderr


def log_call(url: str, *extra: str) -> tuple[int, str, str]:
    """``calls log`` of a repair at 1-1-402, as the desk would."""
    args = ["--channel", "phone", "--category", "repair", "--unit", "1-1-402", "--summary", "漏水"]
    return run(url, "calls", "log", *args, *extra, operator="wangfang")


@pytest.fixture
def site(db_url: str) -> Engine:
    """``shiftdesk init`` on an empty database, and the desk's operators."""
    code, _, err = run(db_url, "init")
    assert code == 0, err
    engine = make_engine(db_url)
    make_desk(engine, load_settings())
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_a_sites_first_day_template_import_then_calls_and_parcels(
    db_url: str, site: Engine, tmp_path: Path
) -> None:
    # before: a real site cannot start
    code, _, err = log_call(db_url)
    assert code == 2 and "1-1-402" in err
    template = tmp_path / "roster.xlsx"
    code, out, _ = run(db_url, "estate", "template", str(template), "--locale", "zh_CN")
    assert code == 0 and str(template) in out
    sheet = load_workbook(template).worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "楼栋",
        "单元",
        "房号",
        "面积",
        "姓名",
        "身份",
        "电话",
        "证件后四位",
        "入住日期",
        "备注",
    ]
    sheet.append(["1", "1", "403", "", "李娜", "租户", "13900139000", "", "", ""])
    sheet.parent.save(template)
    code, out, err = run(db_url, "estate", "import", str(template), "--dry-run", "--format", "json")
    assert code == 0, err
    assert (json.loads(out)["added"], json.loads(out)["dry_run"]) == (2, True)
    assert residents(site) == {}
    code, out, err = run(db_url, "estate", "import", str(template))
    assert code == 0, err
    assert "2 rows: 2 added, 0 changed, 0 moved out" in out
    assert sorted(residents(site)) == [("1-1-402", "张伟"), ("1-1-403", "李娜")]

    code, _, err = log_call(db_url, "--phone", "13800138000")
    assert code == 0, err
    code, out, err = run(
        db_url,
        "parcels",
        "checkin",
        "--tracking",
        "SF1234567890123",
        "--unit",
        "1-1-403",
        "--format",
        "json",
        operator="wangfang",
    )
    assert code == 0, err
    assert json.loads(out)[0]["recipient"] == "李娜"
    with read_session(site) as session:
        call = session.exec(select(Call)).one()
        parcel = session.exec(select(Parcel)).one()
    zhang, li = residents(site)[("1-1-402", "张伟")], residents(site)[("1-1-403", "李娜")]
    assert call.unit_id == zhang.unit_id
    assert (parcel.unit_id, parcel.resident_id) == (li.unit_id, li.id)


def test_the_csv_template_in_english_reads_back(db_url: str, site: Engine, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    code, _, _ = run(db_url, "estate", "template", str(path), "--format", "csv", "--locale", "en")
    assert code == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfbuilding,entrance,unit,area,name,role,phone,")
    code, _, err = run(db_url, "estate", "import", str(path))
    assert code == 0, err
    person = residents(site)[("1-1-402", "张伟")]
    assert (person.phone, person.phone2, person.id_last4) == ("13800138000", "13900139000", "123X")
    code, _, _ = run(db_url, "estate", "template", str(path), "--format", "csv")
    assert code == 2  # it exists: not overwritten without --force


def test_row_errors_print_every_line_and_exit_2(db_url: str, site: Engine, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("房号,姓名,电话\n1-1-402,张伟,1380013800\n1-1-403,,\n", encoding="utf-8")
    code, out, err = run(db_url, "estate", "import", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "row 2, 电话: '1380013800' is not a phone number",
        "row 3, 姓名: the name is empty",
        f"shiftdesk: 2 error(s) in {path}; nothing was imported",
    ]
    assert residents(site) == {}


def test_map_option_names_a_header(db_url: str, site: Engine, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Room No.,姓名\n1-1-402,张伟\n", encoding="utf-8")
    code, _, err = run(db_url, "estate", "import", str(path), "--map", "Room No.=unit")
    assert code == 0, err
    assert list(residents(site)) == [("1-1-402", "张伟")]
    code, _, err = run(db_url, "estate", "import", str(path), "--map", "Room No.=room")
    assert code == 2
    assert err.startswith("shiftdesk: --map 'Room No.=room': write it as 'Header=column'")


def test_bad_files_are_one_line_and_exit_2(db_url: str, site: Engine, tmp_path: Path) -> None:
    not_sheet = tmp_path / "photo.png"
    not_sheet.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000))
    roster = real_roster(tmp_path / "roster.xlsx")
    text = tmp_path / "notes.txt"
    text.write_text("交接班注意事项\n夜班巡查两次\n", encoding="utf-8")
    cases = [
        ([str(not_sheet)], f"{not_sheet} is not a spreadsheet (.xlsx or .csv)"),
        (
            [str(ENCRYPTED_XLSX)],
            f"{ENCRYPTED_XLSX} is password-protected: save it without a password and import again",
        ),
        ([str(empty)], f"{empty} is empty"),
        ([str(old)], f"{old} is an old .xls workbook: save it as .xlsx or .csv"),
        (
            [str(roster), "--sheet", "Sheet9"],
            "no sheet 'Sheet9' (the workbook has: 业主信息表、统计)",
        ),
        (
            [str(tmp_path / "missing.xlsx")],
            f"cannot read {tmp_path / 'missing.xlsx'}: No such file or directory",
        ),
        ([str(GB18030_CSV), "--encoding", "latin-9x"], "unknown encoding 'latin-9x'"),
        (
            [str(text)],
            "no roster columns in the header row (房号/unit, 姓名/name, 电话/phone ...): "
            "is this the roster?",
        ),
    ]
    for args, message in cases:
        code, out, err = run(db_url, "estate", "import", *args)
        assert (code, out, err) == (2, "", f"shiftdesk: {message}\n"), args
    assert residents(site) == {}


def test_an_operator_may_not_enter_customer_data(db_url: str, site: Engine) -> None:
    code, _, err = run(db_url, "estate", "import", str(GB18030_CSV), operator="wangfang")
    assert code == 2 and "wangfang" in err and len(err.splitlines()) == 1
    code, out, err = run(db_url, "estate", "import", str(GB18030_CSV), operator="zhaoli")
    assert code == 0, err
    assert "11 rows: 11 added" in out
    code, out, err = run(db_url, "estate", "import", str(GB18030_CSV), operator="zhaoli")
    assert "0 added, 0 changed, 0 moved out, 0 moved back in, 11 unchanged" in out
