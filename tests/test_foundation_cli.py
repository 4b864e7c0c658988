"""The command line: init, demo, operators, db, and the import-hygiene rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.db import make_engine, read_session
from shiftdesk.models import AuditEvent, Operator, Resident, Site, Unit
from shiftdesk.security import verify_pin

runner = CliRunner()


def db_url() -> str:
    return os.environ["SHIFTDESK_DB"]


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "demo", "db", "config", "operators", "version"):
        assert command in result.stdout


def test_help_does_not_import_textual_or_sqlalchemy() -> None:
    """design.md: the CLI never loads Textual (nor the ORM) just to print help."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from shiftdesk.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "names = ('textual', 'sqlalchemy', 'sqlmodel', 'screens')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_core_never_imports_textual() -> None:
    """Importing every core module (what a cron job loads) leaves Textual unloaded."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import shiftdesk\n"
        "for m in pkgutil.walk_packages(shiftdesk.__path__, 'shiftdesk.'):\n"
        "    if '.migrations' in m.name or m.name == 'shiftdesk.__main__':\n"
        "        continue\n"
        "    importlib.import_module(m.name)\n"
        "print('textual' in sys.modules, 'screens' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_init_creates_database_site_and_config(tmp_path: Path) -> None:
    cfg = tmp_path / "new" / "config.toml"
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = runner.invoke(app, ["--config", str(cfg), "--db", url, "init"])
    assert result.exit_code == 0, result.output
    assert cfg.is_file() and "dispatch_minutes" in cfg.read_text()
    with read_session(make_engine(url)) as session:
        assert session.exec(select(Site)).one().code == "DEMO"
    # again: upgrades nothing, keeps the config
    cfg.write_text('[site]\ncode = "DEMO"\n')
    assert runner.invoke(app, ["--config", str(cfg), "--db", url, "init"]).exit_code == 0
    assert cfg.read_text() == '[site]\ncode = "DEMO"\n'


def test_commands_refuse_a_database_without_schema(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "operators", "list"])
    assert result.exit_code == 1
    assert "shiftdesk init" in result.stderr


def test_db_current_and_upgrade() -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0 and "(empty)" in result.stdout
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "current"])
    assert "database: 0001" in result.stdout


def test_db_backup(tmp_path: Path) -> None:
    runner.invoke(app, ["init"])
    target = tmp_path / "b" / "backup.db"
    result = runner.invoke(app, ["db", "backup", str(target)])
    assert result.exit_code == 0, result.output
    with read_session(make_engine(f"sqlite:///{target}")) as session:
        assert session.exec(select(Site)).one().code == "DEMO"
    again = runner.invoke(app, ["db", "backup", str(target)])
    assert again.exit_code == 1 and "exists" in again.stderr


def test_db_backup_on_postgresql_points_to_pg_dump(pg_url: str) -> None:
    runner.invoke(app, ["--db", pg_url, "init"])
    result = runner.invoke(app, ["--db", pg_url, "db", "backup", "/tmp/never.db"])
    assert result.exit_code == 2 and "pg_dump" in result.stderr


def test_demo_prints_operators_and_fills_the_site() -> None:
    result = runner.invoke(app, ["demo", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "wangfang" in result.stdout and "1111" in result.stdout and "supervisor" in result.stdout
    with read_session(make_engine(db_url())) as session:
        units = session.exec(select(Unit)).all()
        residents = session.exec(select(Resident)).all()
        wang = session.exec(select(Operator).where(Operator.name == "wangfang")).one()
    assert len(residents) >= 100 and len(units) >= 60
    assert all(u.code.count("-") == 2 for u in units)
    assert all(r.pinyin and r.initials and len(r.phone) == 11 for r in residents)
    assert verify_pin("1111", wang.pin_hash) and not verify_pin("1112", wang.pin_hash)
    # a second run leaves the data alone
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0 and "already holds data" in again.stderr


def test_operators_add_list_disable() -> None:
    runner.invoke(app, ["init"])
    # the first operator on a new database needs no PIN of another admin
    result = runner.invoke(
        app, ["operators", "add", "boss", "--role", "admin"], input="4321\n4321\n"
    )
    assert result.exit_code == 0, result.output
    # from now on, managing operators needs a manager's PIN
    result = runner.invoke(
        app,
        [
            "--operator",
            "boss",
            "operators",
            "add",
            "xiaoli",
            "--role",
            "operator",
            "--display-name",
            "小李",
        ],
        input="4321\n2468\n2468\n",
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["operators", "list", "--format", "csv"]).stdout
    assert "xiaoli,小李,operator,True" in listed
    # a plain operator cannot manage operators
    denied = runner.invoke(
        app, ["--operator", "xiaoli", "operators", "disable", "boss"], input="2468\n"
    )
    assert denied.exit_code == 2 and "manager" in denied.stderr
    ok = runner.invoke(
        app, ["--operator", "boss", "operators", "disable", "xiaoli"], input="4321\n"
    )
    assert ok.exit_code == 0, ok.output
    with read_session(make_engine(db_url())) as session:
        xiaoli = session.exec(select(Operator).where(Operator.name == "xiaoli")).one()
        assert not xiaoli.active
        assert xiaoli.pin_hash.startswith("scrypt$") and "2468" not in xiaoli.pin_hash
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "operator", AuditEvent.action == "update")
        ).all()
        assert any(a.actor == "boss" for a in audit)
        assert all("scrypt" not in (a.after or "") for a in audit)


def test_operators_add_rejects_mismatched_and_weak_pins() -> None:
    runner.invoke(app, ["init"])
    mismatch = runner.invoke(app, ["operators", "add", "a1"], input="1234\n1235\n")
    assert mismatch.exit_code == 2 and "differ" in mismatch.stderr
    weak = runner.invoke(app, ["operators", "add", "a1"], input="12\n12\n")
    assert weak.exit_code == 2 and "4 to 12 digits" in weak.stderr
    bad_role = runner.invoke(
        app, ["operators", "add", "a1", "--role", "king"], input="1234\n1234\n"
    )
    assert bad_role.exit_code == 2


def test_messages_follow_the_locale() -> None:
    runner.invoke(app, ["init"])
    result = runner.invoke(app, ["--locale", "zh_CN", "operators", "add", "a1"], input="1\n1\n")
    assert result.exit_code == 2 and "位数字" in result.stderr


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0 and result.stdout.startswith("shiftdesk ")
