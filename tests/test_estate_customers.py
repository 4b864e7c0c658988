"""The customer file (§11) on both backends: permissions by role (A-4), the read log (A-6),
the file's fields (P-8, H-17), the history on one page (A-2), a shared phone that asks,
and move-out (kept, out of lookups, waiting parcels flagged, in the duty log)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.config import Settings, load_settings
from shiftdesk.db import SYSTEM, Actor, make_engine, read_session, transact
from shiftdesk.errors import NotFound, PermissionDenied, ValidationError
from shiftdesk.estate import customers
from shiftdesk.estate.occupancy import move_out
from shiftdesk.lookup import lookup
from shiftdesk.models import Call, CustomerFile, FileAccess, HandoverEntry, Resident
from tests.data.estate.make_corpus import real_roster
from tests.estate_helpers import NOW, Desk, load, make_desk, residents, waiting_parcel

runner = CliRunner()


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def desk(engine: Engine, settings: Settings, tmp_path: Path) -> Desk:
    desk = make_desk(engine, settings)
    load(engine, settings, desk, real_roster(tmp_path / "roster.xlsx"))
    return desk


def as_(engine: Engine, actor: Actor, fn):  # type: ignore[no-untyped-def]
    return transact(engine, fn, actor=actor)


def zhang(engine: Engine) -> Resident:
    return residents(engine)[("1-1-101", "张伟")]


def test_reading_a_file_is_logged_with_who_when_and_why(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    rid = zhang(engine).id
    assert rid is not None

    def read(reveal: bool, reason: str = "来电核实身份"):  # type: ignore[no-untyped-def]
        return as_(
            engine,
            desk.operator,
            lambda s: customers.open_file(
                s, settings, desk.site_id, rid, reason=reason, reveal=reveal, now=NOW
            ),
        )

    with pytest.raises(ValidationError):  # no reason, no read
        read(False, reason="  ")
    masked = read(False)
    assert [p["phone"] for p in masked["phones"]] == ["138****8000", "139****9000"]
    full = read(True)
    assert [p["phone"] for p in full["phones"]] == ["13800138000", "13900139000"]
    with read_session(engine) as session:
        log = session.exec(select(FileAccess).order_by(FileAccess.id)).all()  # type: ignore[arg-type]
    assert [(a.operator_name, a.operator_id, a.action, a.reason, a.at) for a in log] == [
        ("wangfang", desk.operator.id, "view", "来电核实身份", NOW),
        ("wangfang", desk.operator.id, "reveal", "来电核实身份", NOW),
    ]


def test_view_enter_and_change_are_by_role_in_config(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    rid = zhang(engine).id
    assert rid is not None

    def edit(actor: Actor, cfg: Settings) -> Resident:
        return as_(
            engine,
            actor,
            lambda s: customers.edit_resident(
                s, cfg, desk.site_id, rid, changes={"note": "已核实"}, now=NOW
            ),
        )

    with pytest.raises(PermissionDenied):  # change_role = supervisor by default
        edit(desk.operator, settings)
    assert edit(desk.supervisor, settings).note == "已核实"
    strict = replace(settings, customers=replace(settings.customers, view_role="supervisor"))
    with pytest.raises(PermissionDenied):
        as_(
            engine,
            desk.operator,
            lambda s: customers.open_file(s, strict, desk.site_id, rid, reason="x", now=NOW),
        )
    with read_session(engine) as session:  # the refused read left no trace but the refusal
        assert session.exec(select(FileAccess)).all() == []


def test_the_files_fields_and_the_history_on_one_page(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    person = zhang(engine)
    assert person.id is not None
    as_(
        engine,
        desk.supervisor,
        lambda s: customers.edit_resident(
            s,
            settings,
            desk.site_id,
            person.id,  # type: ignore[arg-type]
            changes={
                "emergency_name": "李娜",
                "emergency_relation": "妻子",
                "emergency_phone": "137 0013 7000",
                "notify_channel": "none",
                "do_not_notify_note": "出差至月底",
                "special_instructions": "房屋交付：李工\n钥匙寄存前台，返修用",
            },
            now=NOW,
        ),
    )

    def history(s):  # type: ignore[no-untyped-def]
        s.add(
            Call(
                site_id=desk.site_id,
                received_at=NOW,
                channel="phone",
                category="repair",
                unit_id=person.unit_id,
                resident_id=person.id,
                summary="漏水",
            )
        )

    transact(engine, history)
    waiting_parcel(engine, desk, person, "SF9")
    page = as_(
        engine,
        desk.operator,
        lambda s: customers.open_file(s, settings, desk.site_id, person.id, reason="派工", now=NOW),
    )
    assert page["emergency"] == {"name": "李娜", "relation": "妻子", "phone": "137****7000"}
    assert page["notify"] == {"channel": "none", "do_not_notify_note": "出差至月底"}
    assert page["special_instructions"] == "房屋交付：李工\n钥匙寄存前台，返修用"
    assert [c["summary"] for c in page["history"]["calls"]] == ["漏水"]
    assert [p["tracking"] for p in page["history"]["parcels"]] == ["SF9"]
    with read_session(engine) as session:
        stored = session.exec(select(CustomerFile)).one()
        resident = session.get(Resident, person.id)
    assert stored.emergency_phone == "13700137000"
    assert resident is not None and resident.do_not_notify is True  # P-8, read by parcels


def test_a_phone_the_unit_already_has_asks_and_is_saved_when_confirmed(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    li = residents(engine)[("1-1-101", "李娜")]
    assert li.id is not None

    def edit(confirmed: bool) -> Resident:
        return as_(
            engine,
            desk.supervisor,
            lambda s: customers.edit_resident(
                s,
                settings,
                desk.site_id,
                li.id,
                changes={"phones": ["13800138000"]},  # type: ignore[arg-type]
                confirmed=confirmed,
                now=NOW,
            ),
        )

    with pytest.raises(customers.SharedPhone) as err:
        edit(False)
    assert err.value.message == "138 0013 8000 is already the phone of 张伟 at 1-1-101"
    assert residents(engine)[("1-1-101", "李娜")].phone == "13700137000"
    assert edit(True).phone == "13800138000"


def test_move_out_keeps_the_resident_flags_parcels_and_logs_it(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    person = zhang(engine)
    waiting_parcel(engine, desk, person, "SF7")

    def out(s):  # type: ignore[no-untyped-def]
        resident = customers.get_resident(s, desk.site_id, person.id)  # type: ignore[arg-type]
        return move_out(s, settings, resident, on=date(2026, 11, 30), now=NOW)

    with pytest.raises(ValidationError):  # the duty log needs an author
        as_(engine, SYSTEM, out)
    assert as_(engine, desk.supervisor, out) == 1
    gone = zhang(engine)
    assert (gone.active, gone.moved_out_on) == (False, date(2026, 11, 30))
    with read_session(engine) as session:
        assert [h.name for h in lookup(session, desk.site_id, "张伟")] == []
        (entry,) = session.exec(select(HandoverEntry).where(HandoverEntry.kind == "event")).all()
    assert (entry.category, entry.body) == (
        "occupancy_change",
        "Moved out: 张伟, 1-1-101 1 parcel(s) still waiting at the desk (P-21).",
    )


def test_units_add_in_the_sites_form_and_list_in_building_floor_room_order(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    unit = as_(
        engine,
        desk.supervisor,
        lambda s: customers.add_unit(s, settings, desk.site_id, "10栋1单元301", area="88.00"),
    )
    assert (unit.code, unit.floor, unit.area) == ("10-1-301", 3, "88")
    with pytest.raises(ValidationError):
        as_(
            engine,
            desk.supervisor,
            lambda s: customers.add_unit(s, settings, desk.site_id, "A座1502"),
        )
    with pytest.raises(ValidationError):
        as_(
            engine,
            desk.supervisor,
            lambda s: customers.add_unit(s, settings, desk.site_id, "1-1-101"),
        )
    with read_session(engine) as session:
        rows = customers.list_units(session, desk.site_id)
    assert [(r["unit"], r["residents"]) for r in rows] == [
        ("1-1-101", 2),
        ("1-1-102", 1),
        ("1-1-201", 1),
        ("1-2-1502", 1),
        ("2-1-101", 1),
        ("10-1-301", 0),
    ]


def test_residents_cli_show_edit_move_out_and_reads(db_url: str, tmp_path: Path) -> None:
    def run(*args: str, operator: str | None = None, stdin: str | None = None):  # type: ignore[no-untyped-def]
        pre = ["--db", db_url] + (["--operator", operator] if operator else [])
        result = runner.invoke(app, [*pre, *args], input=stdin)
        return result.exit_code, result.stdout, result.stderr

    assert run("init")[0] == 0
    engine = make_engine(db_url)
    make_desk(engine, load_settings())
    assert run("estate", "import", str(real_roster(tmp_path / "r.xlsx")))[0] == 0
    rid = str(zhang(engine).id)
    code, _, err = run("residents", "show", rid, operator="wangfang")
    assert (code, err) == (
        2,
        "shiftdesk: say why you open this file (--reason): the read is logged (A-6)\n",
    )
    code, out, _ = run("residents", "show", rid, "--reason", "核实", operator="wangfang")
    assert code == 0 and "138****8000" in out and "13800138000" not in out
    li = str(residents(engine)[("1-1-101", "李娜")].id)
    code, _, err = run(
        "residents", "edit", li, "--phone", "13800138000", operator="zhaoli", stdin="n\n"
    )
    assert code == 1 and "Not saved." in err
    code, out, _ = run(
        "residents", "edit", li, "--phone", "13800138000", "--yes", operator="zhaoli"
    )
    assert (code, out.strip()) == (0, f"Resident {li} saved: 1-1-101 李娜")
    code, out, _ = run("residents", "move-out", rid, "--date", "2026-11-30", operator="zhaoli")
    assert (code, out.strip()) == (0, "张伟 moved out on 2026-11-30")
    code, out, _ = run("residents", "reads", "--format", "json")
    assert code == 0 and '"reason": "核实"' in out
    code, _, err = run("residents", "reads", operator="zhaoli")
    assert code == 2  # the read log is the approver's (manager by default)
    engine.dispose()


def test_add_a_resident_at_a_unit_as_the_desk_spells_it(
    engine: Engine, settings: Settings, desk: Desk
) -> None:
    def add(unit: str, name: str, actor: Actor = desk.supervisor) -> Resident:
        return as_(
            engine,
            actor,
            lambda s: customers.add_resident(
                s, settings, desk.site_id, unit_code=unit, name=name,
                phones=["139 0013 9999"], role="tenant", now=NOW,
            ),
        )  # fmt: skip

    resident = add("1栋1单元102", "周杰")
    assert (resident.phone, resident.kind, resident.active) == ("13900139999", "tenant", True)
    assert residents(engine)[("1-1-102", "周杰")].id == resident.id
    with read_session(engine) as session:
        (entry,) = session.exec(select(HandoverEntry).where(HandoverEntry.kind == "event")).all()
    assert entry.body == "Moved in: 周杰, 1-1-102"
    with pytest.raises(NotFound) as err:
        add("9-9-909", "吴磊")
    assert err.value.message == "unit 9-9-909 does not exist"
    with pytest.raises(PermissionDenied):  # enter_role = supervisor
        add("1-1-102", "吴磊", desk.operator)
