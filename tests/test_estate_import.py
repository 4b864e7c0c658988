"""Loading the estate from a site's roster (issue 18), on both backends: every column form,
every encoding, every row error (nothing written), idempotence, next month's roster, and
move-ins/outs in the duty log (H-8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk.config import Settings, load_settings
from shiftdesk.db import read_session
from shiftdesk.errors import PermissionDenied, ValidationError
from shiftdesk.estate.reader import RosterFileError
from shiftdesk.estate.roster import RosterInvalid
from shiftdesk.lookup import lookup
from shiftdesk.models import Building, HandoverEntry, Unit
from shiftdesk.names import search_keys
from tests.data.estate.make_corpus import GB18030_CSV, GB_ROWS, REAL_ROWS, real_roster
from tests.estate_helpers import (
    NOW,
    TODAY,
    Desk,
    audit_count,
    load,
    make_desk,
    residents,
    waiting_parcel,
    write_csv,
)


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def desk(engine: Engine, settings: Settings) -> Desk:
    return make_desk(engine, settings)


def two_part(settings: Settings) -> Settings:
    return replace(settings, estate=replace(settings.estate, unit_pattern="building-room"))


# ------------------------------------------------------------------------ column forms


def test_the_real_shaped_xlsx_loads_every_field(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    plan = load(engine, settings, desk, real_roster(tmp_path / "roster.xlsx"))
    assert plan.summary()["added"] == len(REAL_ROWS) == 6
    assert plan.ignored_columns == ["序号"]
    people = residents(engine)
    zhang = people[("1-1-101", "张伟")]
    assert (zhang.phone, zhang.phone2, zhang.kind) == ("13800138000", "13900139000", "owner")
    assert zhang.id_last4 == "0123"  # Excel's 123 is the ID's 0123
    assert zhang.moved_in_on == date(2021, 5, 1)
    assert people[("1-1-101", "李娜")].kind == "occupant"  # 家属
    assert people[("1-1-102", "王芳")].id_last4 == "456X"
    assert people[("1-1-201", "刘洋")].kind == "tenant"
    assert people[("1-1-201", "刘洋")].note == "租期至2025年"
    assert people[("2-1-101", "杨帆")].phone2 == "13400134000"  # ; separates phones too
    assert (zhang.pinyin, zhang.initials) == ("zhangwei", "zw")
    with read_session(engine) as session:
        units = {u.code: u for u in session.exec(select(Unit)).all()}
        buildings = sorted(b.code for b in session.exec(select(Building)).all())
    assert buildings == ["1", "2"]
    assert sorted(units) == ["1-1-101", "1-1-102", "1-1-201", "1-2-1502", "2-1-101"]
    assert (units["1-2-1502"].floor, units["1-2-1502"].room) == (15, "1502")
    assert units["1-1-102"].area == "120.25"
    assert units["1-2-1502"].area == "143"


@pytest.mark.parametrize(
    ("header", "row", "code"),
    [
        ("房号,姓名", "1-1-402,张伟", "1-1-402"),
        ("房号,姓名", "1栋1单元402,张伟", "1-1-402"),
        ("房号,姓名", "1号楼1单元402室,张伟", "1-1-402"),
        ("房号,姓名", "１－１－４０２,张伟", "1-1-402"),  # full-width, as an IME types it
        ("楼栋,单元,房号,姓名", "1栋,1单元,402,张伟", "1-1-402"),
        ("楼栋,单元,房号,姓名", "1,1,1-1-402,张伟", "1-1-402"),
        ("name,unit,entrance,building", "张伟,402,1,1", "1-1-402"),  # English, any order
        ("Building, Entrance ,Room No.,Name", "3,2,1502,张伟", "3-2-1502"),
    ],
)
def test_each_unit_form_of_a_three_part_site(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path, header: str, row: str, code: str
) -> None:
    load(engine, settings, desk, write_csv(tmp_path / "r.csv", f"{header}\n{row}\n"))
    assert list(residents(engine)) == [(code, "张伟")]


@pytest.mark.parametrize(
    ("row", "code"),
    [("A座1502,张伟", "A-1502"), ("B1-1502,张伟", "B1-1502"), ("a 1502,张伟", "A-1502")],
)
def test_each_unit_form_of_a_two_part_site(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path, row: str, code: str
) -> None:
    load(engine, two_part(settings), desk, write_csv(tmp_path / "r.csv", f"房号,姓名\n{row}\n"))
    assert list(residents(engine)) == [(code, "张伟")]


def test_a_header_the_names_do_not_know_is_mapped_in_config(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        "Flat Ref,Occupant,Mobile 1,Mobile 2\n1-1-402,张伟,13800138000,13900139000\n",
    )
    with pytest.raises(RosterInvalid) as err:
        load(engine, settings, desk, path)
    assert [str(e) for e in err.value.errors] == [
        "row 1, 房号/unit: required column missing (name it in the header, or map it with "
        "--map 'Header=unit')",
        "row 1, 姓名/name: required column missing (name it in the header, or map it with "
        "--map 'Header=name')",
    ]
    mapped = replace(
        settings,
        estate=replace(settings.estate, columns={"Flat Ref": "unit", "occupant": "name"}),
    )
    load(engine, mapped, desk, path)
    person = residents(engine)[("1-1-402", "张伟")]
    assert (person.phone, person.phone2) == ("13800138000", "13900139000")


# ------------------------------------------------------------------------ encodings

ROSTER = "房号,姓名,电话\n1-1-402,张伟,13800138000\n1-1-403,曾国强,13900139000\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_chinese_excel_writes(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path, encoding: str
) -> None:
    plan = load(engine, settings, desk, write_csv(tmp_path / "r.csv", ROSTER, encoding))
    assert sorted(residents(engine)) == [("1-1-402", "张伟"), ("1-1-403", "曾国强")]
    assert plan.read_as == ("gb18030" if encoding in ("gbk", "gb18030") else "utf-8-sig")


def test_the_gb18030_file_keeps_polyphonic_and_rare_surnames(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    load(engine, settings, desk, GB18030_CSV)
    people = residents(engine)
    assert sorted(name for _, name in people) == sorted(row[1] for row in GB_ROWS)
    # characters outside GBK come through as the characters they are
    liu = people[("2-2-501", "刘䶮")]
    assert "\u4dae" in liu.name and "\U00020bb7" in people[("2-2-502", "𠮷田文")].name
    xie = people[("1-1-101", "解晓东")]
    assert (xie.phone, xie.phone2, xie.kind, xie.note) == (
        "13900139001",
        "13700137001",
        "occupant",
        "钥匙寄存前台",
    )
    assert people[("2-1-302", "查良镛")].phone == "2164321234"  # a landline with its area code
    for resident in people.values():  # the lookup's own keys, so the screens find them
        assert (resident.pinyin, resident.initials) == search_keys(resident.name)
    with read_session(engine) as session:
        hits = lookup(session, desk.site_id, "尉迟")
    assert [h.unit_code for h in hits] == ["2-1-401"]


def test_a_wrong_encoding_given_is_one_error(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    with pytest.raises(RosterFileError) as err:
        load(engine, settings, desk, GB18030_CSV, encoding="utf-8")
    assert "is not text in UTF-8 or GB18030/GBK" in err.value.message


# ------------------------------------------------------------------------ row errors


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        (
            "房号,姓名,电话\n1-1-401,李娜,13800138000\n1-1-402,张伟,1380013800\n",
            None,
            ["row 3, 电话: '1380013800' is not a phone number"],
        ),
        (
            "房号,姓名,电话\n1-1-402,张伟,\n1-1-402,张伟,\n",
            None,
            ["row 3, 房号: 张伟 at 1-1-402 is already on row 2"],
        ),
        (
            "房号,姓名\nA座1502,张伟\n",
            None,
            [
                "row 2, 房号: 'A座1502' is not in this site's unit form "
                "(building-entrance-room, [estate] unit_pattern)"
            ],
        ),
        (
            "房号,姓名\n3-2-1502,张伟\n",
            "building-room",
            [
                "row 2, 房号: '3-2-1502' is not in this site's unit form "
                "(building-room, [estate] unit_pattern)"
            ],
        ),
        ("房号,姓名\n1-1-402,\n", None, ["row 2, 姓名: the name is empty"]),
        (
            "房号,姓名\n402楼,张伟\n",
            None,
            ["row 2, 房号: '402楼' is not a unit code (3-2-1502, 3栋2单元1502, A座1502)"],
        ),
        (
            "楼栋,房号,姓名\n2,1-1-402,张伟\n",
            None,
            ["row 2, 房号: '1-1-402' names another building than the 楼栋/building column"],
        ),
        (
            "房号,姓名,身份\n1-1-402,张伟,房东\n",
            None,
            ["row 2, 身份: '房东' is not a role (业主/owner, 租户/tenant, 家属/family, other)"],
        ),
        (
            "房号,姓名,面积\n1-1-402,张伟,大\n",
            None,
            ["row 2, 面积: '大' is not an area in square metres"],
        ),
        (
            "房号,姓名,入住日期\n1-1-402,张伟,去年\n",
            None,
            ["row 2, 入住日期: '去年' is not a date (2024-03-01)"],
        ),
        (
            "房号,姓名,证件后四位\n1-1-402,张伟,12345\n",
            None,
            [
                "row 2, 证件后四位: '12345' is not the last four characters of an ID "
                "(digits, or X last)"
            ],
        ),
        (
            "房号,姓名,电话\n1-1-402,张伟,13800138000/13900139000/13700137000\n",
            None,
            ["row 2, 电话: at most two phones per resident"],
        ),
        ("房号,姓名,姓名\n1-1-402,张伟,张伟\n", None, ["row 1, 姓名: this column appears twice"]),
        (
            "姓名,电话\n张伟,13800138000\n",
            None,
            [
                "row 1, 房号/unit: required column missing (name it in the header, or map it "
                "with --map 'Header=unit')"
            ],
        ),
    ],
)
def test_every_row_error_names_row_and_column_and_writes_nothing(
    engine: Engine,
    settings: Settings,
    desk: Desk,
    tmp_path: Path,
    text: str,
    pattern: str | None,
    expected: list[str],
) -> None:
    if pattern:
        settings = replace(settings, estate=replace(settings.estate, unit_pattern=pattern))
    before = audit_count(engine)
    with pytest.raises(RosterInvalid) as err:
        load(engine, settings, desk, write_csv(tmp_path / "r.csv", text))
    assert [str(e) for e in err.value.errors] == expected
    assert residents(engine) == {}
    assert audit_count(engine) == before


def test_all_errors_are_reported_at_once_and_good_rows_are_not_written(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    good = "\n".join(f"1-1-{100 + i},住户{i},1380013{8000 + i}" for i in range(200))
    text = f"房号,姓名,电话\n{good}\n1-1-999,张伟,1380013800\n1-1-998,,\n"
    with pytest.raises(RosterInvalid) as err:
        load(engine, settings, desk, write_csv(tmp_path / "r.csv", text))
    assert [str(e) for e in err.value.errors] == [
        "row 202, 电话: '1380013800' is not a phone number",
        "row 203, 姓名: the name is empty",
    ]
    assert residents(engine) == {}
    with read_session(engine) as session:
        assert session.exec(select(Unit)).all() == []


def test_merged_cells_below_the_header_are_an_error(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    path = real_roster(tmp_path / "roster.xlsx")
    book = load_workbook(path)
    book.active.merge_cells("B3:B5")  # type: ignore[union-attr]  # 楼栋 for three rows
    book.save(path)
    with pytest.raises(RosterInvalid) as err:
        load(engine, settings, desk, path)
    assert [str(e) for e in err.value.errors] == [
        "row 3, 楼栋: merged cells: unmerge them so every row says its own value"
    ]
    assert residents(engine) == {}


def test_bad_files_are_one_error(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    png = tmp_path / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    broken_zip = tmp_path / "broken.xlsx"
    broken_zip.write_bytes(b"PK\x03\x04" + bytes(100))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\xef\xbb\xbf\r\n , ,\r\n")
    cases = {
        png: f"{png} is not a spreadsheet (.xlsx or .csv)",
        broken_zip: f"{broken_zip} is not a spreadsheet (.xlsx or .csv)",
        empty: f"{empty} is empty",
        blank: f"{blank} is empty",
    }
    for path, message in cases.items():
        with pytest.raises(RosterFileError) as err:
            load(engine, settings, desk, path)
        assert err.value.message == message
    with pytest.raises(RosterFileError) as err:
        load(engine, settings, desk, real_roster(tmp_path / "r.xlsx"), sheet="2024年")
    assert err.value.message == "no sheet '2024年' (the workbook has: 业主信息表、统计)"
    assert residents(engine) == {}


# ------------------------------------------------------------------------ idempotence


def test_the_same_file_twice_changes_nothing(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    path = real_roster(tmp_path / "roster.xlsx")
    load(engine, settings, desk, path)
    first = {k: (r.id, r.phone, r.phone2, r.kind, r.active) for k, r in residents(engine).items()}
    events = audit_count(engine)
    plan = load(engine, settings, desk, path, actor=desk.supervisor)
    assert plan.changes_nothing and plan.summary()["unchanged"] == 6
    assert audit_count(engine) == events  # not one row touched
    assert {
        k: (r.id, r.phone, r.phone2, r.kind, r.active) for k, r in residents(engine).items()
    } == first


def test_a_dry_run_reports_and_writes_nothing(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    events = audit_count(engine)
    plan = load(engine, settings, desk, real_roster(tmp_path / "r.xlsx"), dry_run=True)
    assert plan.summary() == {
        "rows": 6,
        "buildings_added": 2,
        "units_added": 5,
        "added": 6,
        "changed": 0,
        "moved_out": 0,
        "returned": 0,
        "unchanged": 0,
        "areas_changed": 0,
    }
    assert residents(engine) == {} and audit_count(engine) == events


def _next_month(tmp_path: Path) -> Path:
    rows = [list(r) for r in REAL_ROWS]
    rows[0][6] = "13800138999"  # 张伟 changed phones
    rows[2][3] = 120.5  # 1-1-102 re-measured
    del rows[3]  # 刘洋 the tenant left
    rows.append(["2栋", "1单元", "102", 76.0, "周杰", "租户", "13300133000", "", None, ""])
    return real_roster(tmp_path / "december.xlsx", [tuple(r) for r in rows])


def test_next_months_roster_updates_adds_and_moves_out_into_the_duty_log(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    load(engine, settings, desk, real_roster(tmp_path / "roster.xlsx"))
    with read_session(engine) as session:
        assert session.exec(select(HandoverEntry)).all() == []  # a first load moves nobody in
    liu = residents(engine)[("1-1-201", "刘洋")]

    waiting_parcel(engine, desk, liu, "SF1")
    plan = load(engine, settings, desk, _next_month(tmp_path), actor=desk.supervisor)
    assert plan.summary()["added"] == 1 and plan.summary()["changed"] == 1
    assert plan.summary()["moved_out"] == 1 and plan.summary()["unchanged"] == 4
    assert plan.areas == {"1-1-102": ("120.25", "120.5")}
    people = residents(engine)
    assert people[("1-1-101", "张伟")].phone == "13800138999"
    with read_session(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "1-1-102")).one()
    assert unit.area == "120.5"
    gone = people[("1-1-201", "刘洋")]
    assert (gone.active, gone.moved_out_on) == (False, TODAY)  # kept, never deleted
    with read_session(engine) as session:
        log = session.exec(select(HandoverEntry).where(HandoverEntry.kind == "event")).all()
        assert not lookup(session, desk.site_id, "刘洋")  # out of lookups by default
    assert sorted((e.category, e.body, e.author_id, e.at) for e in log) == sorted(
        [
            ("occupancy_change", "Moved in: 周杰, 2-1-102", desk.supervisor.id, NOW),
            (
                "occupancy_change",
                "Moved out: 刘洋, 1-1-201 1 parcel(s) still waiting at the desk (P-21).",
                desk.supervisor.id,
                NOW,
            ),
        ]
    )
    # and back again: the same person returns, the record is reused
    plan = load(engine, settings, desk, real_roster(tmp_path / "r.xlsx"), actor=desk.supervisor)
    assert plan.summary()["returned"] == 1
    back = residents(engine)[("1-1-201", "刘洋")]
    assert (back.id, back.active, back.moved_out_on) == (gone.id, True, None)


def test_a_move_out_needs_an_operator_for_the_duty_log_and_the_change_role(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    load(engine, settings, desk, real_roster(tmp_path / "roster.xlsx"))
    before = {k: r.active for k, r in residents(engine).items()}
    with pytest.raises(ValidationError) as err:  # system: the log has no author
        load(engine, settings, desk, _next_month(tmp_path))
    assert "--operator" in err.value.message
    with pytest.raises(PermissionDenied):  # an operator may not change customer data
        load(engine, settings, desk, _next_month(tmp_path), actor=desk.operator)
    assert {k: r.active for k, r in residents(engine).items()} == before


def test_every_row_the_import_adds_is_on_the_audit_trail_under_its_operator(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    import json

    from shiftdesk.models import AuditEvent

    load(engine, settings, desk, real_roster(tmp_path / "roster.xlsx"), actor=desk.supervisor)
    people = residents(engine)
    with read_session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "insert", AuditEvent.entity == "resident")
        ).all()
        unit_events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "insert", AuditEvent.entity == "unit")
        ).all()
    assert sorted(e.entity_id for e in events) == sorted(r.id for r in people.values())
    assert {(e.actor, e.actor_id, e.at) for e in events} == {("zhaoli", desk.supervisor.id, NOW)}
    after = next(
        json.loads(e.after) for e in events if e.entity_id == people[("1-1-101", "张伟")].id
    )
    assert (after["phone"], after["id_last4"], after["moved_in_on"]) == (
        "13800138000",
        "0123",
        "2021-05-01",
    )
    assert len(unit_events) == 5


def test_semicolons_between_phones_do_not_split_a_comma_csv(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "r.csv", "房号,姓名,电话\n1-1-402,张伟,13800138000;13900139000\n")
    load(engine, settings, desk, path)
    person = residents(engine)[("1-1-402", "张伟")]
    assert (person.phone, person.phone2) == ("13800138000", "13900139000")
    tabbed = write_csv(tmp_path / "t.csv", "房号\t姓名\n2-1-403\t李娜\n", "utf-8-sig")
    load(engine, settings, desk, tabbed, actor=desk.supervisor)  # building 1 is left alone
    assert sorted(residents(engine)) == [("1-1-402", "张伟"), ("2-1-403", "李娜")]
    assert residents(engine)[("1-1-402", "张伟")].active


def test_the_spellings_a_lookup_may_accept() -> None:
    from shiftdesk.estate.columns import canonical_code

    three = "building-entrance-room"
    assert canonical_code("3栋2单元1502", three) == "3-2-1502"
    assert canonical_code("3号楼2单元1502室", three) == "3-2-1502"
    assert canonical_code("3 2 1502", three) == "3-2-1502"
    assert canonical_code("A座1502", three) is None
    assert canonical_code("a座1502", "building-room") == "A-1502"


def test_a_mapping_to_no_column_is_a_config_error(
    engine: Engine, settings: Settings, desk: Desk, tmp_path: Path
) -> None:
    from shiftdesk.errors import ConfigError

    bad = replace(settings, estate=replace(settings.estate, columns={"Room No.": "rooom"}))
    with pytest.raises(ConfigError) as err:
        load(engine, bad, desk, write_csv(tmp_path / "r.csv", "Room No.,姓名\n1-1-402,张伟\n"))
    assert err.value.message.startswith("[estate.columns] 'Room No.' = 'rooom': the column must")
