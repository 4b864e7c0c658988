"""``shiftdesk db migrate-to``: a desk that grows moves its SQLite database into PostgreSQL.

The move goes through the export archive format with personal data included, creates the
target's schema first, refuses a target that already holds records, and checks every
table's row count on both sides (issue 11).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from shiftdesk.cli import app
from shiftdesk.config import Settings
from shiftdesk.db import make_engine, read_session, transact
from shiftdesk.deploy import count_rows
from shiftdesk.models import AuditEvent, Call, Resident, Site
from shiftdesk.security import authenticate
from tests.conftest import FROZEN

runner = CliRunner()


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def move(
    source: str, target: str, *options: str, operator: str = "", pin: str | None = None
) -> Result:
    root = ["--db", source] + (["--operator", operator] if operator else [])
    return runner.invoke(
        app, [*root, "db", "migrate-to", target, *options], input=f"{pin}\n" if pin else None
    )


def events(engine: Engine, action: str) -> list[AuditEvent]:
    with read_session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


@pytest.fixture(scope="module")
def _demo_template(_base_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole demo site (every table in use), built once for this module: the area
    generators run on a copy of the suite's cached demo base."""
    import random

    from shiftdesk.demo import DemoContext, area_generators
    from shiftdesk.models import Operator, Unit

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(_base_template, path)
    eng = make_engine(f"sqlite:///{path}")
    with read_session(eng) as session:
        site = session.exec(select(Site)).one()
        units = list(session.exec(select(Unit).order_by(col(Unit.id))))
        residents = list(session.exec(select(Resident).order_by(col(Resident.id))))
        operators = {op.name: op for op in session.exec(select(Operator))}
    ctx = DemoContext(eng, Settings(), random.Random(7), FROZEN, site, units, residents, operators)
    for generate in area_generators():
        generate(ctx)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def demo_file(_demo_template: Path, tmp_path: Path) -> Iterator[Engine]:
    target = tmp_path / "desk.db"
    shutil.copyfile(_demo_template, target)
    eng = make_engine(f"sqlite:///{target}")
    yield eng
    eng.dispose()


@pytest.mark.postgres
def test_a_whole_site_moves_into_postgresql_and_keeps_working(
    demo_file: Engine, pg_url: str
) -> None:
    before = count_rows(demo_file)
    result = move(url_of(demo_file), pg_url, operator="liuyang", pin="9999")
    assert result.exit_code == 0, result.stderr
    assert "Moved" in result.stdout and "DIFFERS" not in result.stdout
    target = make_engine(pg_url)
    try:
        after = count_rows(target)
        # every table arrived whole; the source's trail gained the PIN sign-in and the
        # move (copied along), the target's also where its data came from
        source_now = count_rows(demo_file)
        assert source_now["audit_event"] == before["audit_event"] + 2
        assert after == {**source_now, "audit_event": source_now["audit_event"] + 1}
        assert all(before[k] > 0 for k in ("call", "parcel", "handover_entry", "callback"))
        with read_session(demo_file) as a, read_session(target) as b:
            # a move, not an export: residents' names and phones arrive unmasked
            names = [(r.id, r.name, r.phone) for r in a.exec(select(Resident).order_by("id"))]
            assert names == [
                (r.id, r.name, r.phone) for r in b.exec(select(Resident).order_by("id"))
            ]
        (moved_to,) = events(target, "migrate_to")
        assert moved_to.actor == "liuyang" and "PIN" in moved_to.note
        assert "SECRET" not in moved_to.note
        (moved_from,) = events(target, "migrate_from")
        assert "counts checked" in moved_from.note
        # the duty log's hash chain is intact, and the operators sign in with their PINs
        assert runner.invoke(app, ["--db", pg_url, "verify"]).exit_code == 0
        assert authenticate(target, "wangfang", "1111").name == "wangfang"
        # new records continue after the moved ones (PostgreSQL's id sequences moved on)
        logged = runner.invoke(
            app,
            ["--db", pg_url, "calls", "log", "--channel", "phone", "--category", "inquiry",
             "--summary", "first call after the move", "--format", "json"],
        )  # fmt: skip
        assert logged.exit_code == 0, logged.stderr
        with read_session(target) as session:
            newest = session.exec(select(Call).order_by(Call.id.desc())).first()  # type: ignore[union-attr]
            assert newest is not None and newest.summary == "first call after the move"
            assert newest.id == before["call"] + 1
    finally:
        target.dispose()


@pytest.mark.postgres
def test_a_target_in_use_is_refused_and_left_alone(base_engine: Engine, pg_url: str) -> None:
    assert runner.invoke(app, ["--db", pg_url, "init"]).exit_code == 0
    target = make_engine(pg_url)
    try:
        before = count_rows(target)
        result = move(url_of(base_engine), pg_url, "--as-system")
        assert result.exit_code == 2
        assert "already holds shiftdesk records" in result.stderr
        assert "createdb" in result.stderr
        assert count_rows(target) == before
    finally:
        target.dispose()
    assert events(base_engine, "migrate_to") == []


def test_moving_personal_data_needs_a_managers_pin_or_the_explicit_system_flag(
    base_engine: Engine, tmp_path: Path
) -> None:
    source = url_of(base_engine)
    target = f"sqlite:///{tmp_path / 'new.db'}"
    nobody = move(source, target)
    assert nobody.exit_code == 2 and "--as-system" in nobody.stderr
    operator = move(source, target, operator="wangfang", pin="1111")
    assert operator.exit_code == 2
    wrong_pin = move(source, target, operator="liuyang", pin="0001")
    assert wrong_pin.exit_code == 2
    # the refused attempt is on the trail; nothing reached the target
    (denied,) = events(base_engine, "migrate_denied")
    assert denied.actor == "wangfang"
    assert not (tmp_path / "new.db").exists() or count_rows(make_engine(target))["site"] == 0
    ok = move(source, target, "--as-system", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert '"ok": true' in ok.stdout
    (moved,) = events(base_engine, "migrate_to")
    assert moved.actor == "system" and "--as-system" in moved.note


def test_the_same_database_is_refused(base_engine: Engine) -> None:
    path = base_engine.url.database
    result = move(url_of(base_engine), f"sqlite:///{path}", "--as-system")
    assert result.exit_code == 2 and "already uses" in result.stderr


def test_a_database_with_two_sites_moves_whole_and_archives_can_be_kept(
    base_engine: Engine, tmp_path: Path
) -> None:
    transact(
        base_engine, lambda s: s.add(Site(code="ANNEX", name="Annex", timezone="Asia/Shanghai"))
    )
    runner.invoke(
        app,
        ["--db", url_of(base_engine), "calls", "log", "--channel", "phone", "--category",
         "inquiry", "--summary", "at the annex", "--format", "json"],
        env={"SHIFTDESK_SITE": "ANNEX"},
    )  # fmt: skip
    target = f"sqlite:///{tmp_path / 'company.db'}"
    keep = tmp_path / "moved"
    result = move(url_of(base_engine), target, "--as-system", "--archive-dir", str(keep))
    assert result.exit_code == 0, result.stderr
    assert count_rows(make_engine(target)) == {
        **count_rows(base_engine),
        "audit_event": count_rows(base_engine)["audit_event"] + 1,
    }
    kept = sorted(p.name for p in keep.iterdir())
    assert len(kept) == 2 and any("ANNEX" in name for name in kept)
    assert runner.invoke(app, ["export", "verify", str(keep / kept[0])]).exit_code == 0
