"""A broken environment (issue 9): one clear line and a documented exit code from the command
line, a dialog (never a traceback) in the terminal app.

Read-only and full disks are simulated inside SQLite (``PRAGMA query_only`` gives SQLite's
own "attempt to write a readonly database", ``PRAGMA max_page_count`` its "database or disk
is full"), since the tests run as root, for whom file permissions do not apply.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk import db as dbmod
from shiftdesk.cli import app
from shiftdesk.config import Settings
from shiftdesk.db import make_engine, transact
from shiftdesk.failures import EnvironmentFailure, describe
from shiftdesk.models import Site

runner = CliRunner()


def run(*args: str, locale: str | None = None) -> Any:
    extra = ["--locale", locale] if locale else []
    return runner.invoke(app, [*extra, *args])


def one_line(result: Any) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("shiftdesk: "), lines[0]
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def initialised() -> str:
    assert run("init").exit_code == 0
    return os.environ["SHIFTDESK_DB"]


@pytest.fixture
def sqlite_pragma(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Pragmas added to every SQLite connection the program opens from now on."""
    extra: list[str] = []
    original = dbmod._install_sqlite_pragmas

    def install(engine: Engine, busy_timeout_ms: int) -> None:
        original(engine, busy_timeout_ms)

        @event.listens_for(engine, "connect")
        def _more(dbapi_conn: Any, _record: Any) -> None:
            for pragma in extra:
                dbapi_conn.execute(pragma)

    monkeypatch.setattr(dbmod, "_install_sqlite_pragmas", install)
    yield extra


# ------------------------------------------------------------------------ command line


def test_a_missing_database_says_run_init(tmp_path: Path) -> None:
    result = run("--db", f"sqlite:///{tmp_path / 'none.db'}", "operators", "list")
    assert result.exit_code == 1
    assert "shiftdesk init" in one_line(result)
    result = run("--db", f"sqlite:///{tmp_path / 'none.db'}", "operators", "list", locale="zh_CN")
    assert "还没有" in one_line(result) and result.exit_code == 1


@pytest.mark.parametrize("url", ["nonsense://x", "garbage", "mysql+nosuchdriver://h/db"])
def test_a_bad_database_url_is_a_configuration_error(url: str) -> None:
    result = run("--db", url, "operators", "list")
    assert result.exit_code == 2
    assert "database.url" in one_line(result)
    assert "数据库地址" in one_line(run("--db", url, "operators", "list", locale="zh_CN"))


def test_a_read_only_database_saves_nothing_and_says_so(
    initialised: str, sqlite_pragma: list[str]
) -> None:
    sqlite_pragma.append("PRAGMA query_only = ON")
    result = run("operators", "add", "lina", "--pin", "2222")
    assert result.exit_code == 1
    line = one_line(result)
    assert "read-only" in line and "nothing was saved" in line
    assert "只读" in one_line(run("operators", "add", "lina", "--pin", "2222", locale="zh_CN"))
    sqlite_pragma.clear()
    listed = run("operators", "list", "--format", "json")
    assert "lina" not in listed.stdout


def test_a_full_disk_saves_nothing_and_says_so(initialised: str, sqlite_pragma: list[str]) -> None:
    with sqlite3.connect(initialised.removeprefix("sqlite:///")) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    sqlite_pragma.append(f"PRAGMA max_page_count = {pages}")  # not one page more
    result = run("demo")  # thousands of rows: it cannot fit
    assert result.exit_code == 1, result.output
    line = one_line(result)
    assert "disk is full" in line and "nothing was saved" in line
    assert "磁盘已满" in one_line(run("demo", locale="zh_CN"))
    sqlite_pragma.clear()
    listed = run("operators", "list", "--format", "json")
    assert listed.exit_code == 0 and "wangfang" not in listed.stdout  # all or nothing


def test_a_backup_onto_a_full_disk_leaves_no_half_file(
    initialised: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shiftdesk.backup as backup

    class FullDisk:
        def __init__(self, real: Any) -> None:
            self.real = real

        def backup(self, *_a: Any, **_k: Any) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        def close(self) -> None:
            self.real.close()

    real_connect = sqlite3.connect
    monkeypatch.setattr(backup.sqlite3, "connect", lambda *a, **k: FullDisk(real_connect(*a, **k)))
    target = tmp_path / "b.db"
    result = run("db", "backup", str(target))
    assert result.exit_code == 1
    assert "disk is full" in one_line(result)
    assert not target.exists()


def test_a_newer_database_is_refused_and_left_alone(initialised: str) -> None:
    engine = make_engine(initialised)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    for args in (["operators", "list"], ["db", "upgrade"], ["init"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert "newer than this program" in one_line(result)
    assert "比本程序新" in one_line(run("operators", "list", locale="zh_CN"))
    with engine.connect() as conn:
        stamped = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert stamped == "9999_future"
    engine.dispose()


def test_a_database_from_an_earlier_build_gets_its_new_tables_from_db_upgrade(
    initialised: str,
) -> None:
    """Until the first release the schema is one revision: a database made before a table was
    added is at the head revision yet lacks it. It is refused with one line, and
    ``db upgrade`` adds the table (data kept)."""
    engine = make_engine(initialised)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE notice_slip"))
    refused = run("parcels", "slips")
    assert refused.exit_code == 1
    assert "lacks the tables notice_slip; run `shiftdesk db upgrade`" in one_line(refused)
    assert run("db", "upgrade").exit_code == 0
    assert run("parcels", "slips").exit_code == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM site")).scalar() == 1
    engine.dispose()


def test_a_damaged_database_file_points_to_the_backup(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database, it is a shopping list" * 200)
    result = run("--db", f"sqlite:///{path}", "operators", "list")
    assert result.exit_code == 1
    assert "backup" in one_line(result)


@pytest.mark.postgres
def test_an_unreachable_server_is_one_line(pg_url: str) -> None:
    url = pg_url.rsplit("@", 1)[0] + "@127.0.0.1:1/none"
    result = run("--db", url, "operators", "list")
    assert result.exit_code == 1
    assert "cannot be reached" in one_line(result)


def test_malformed_config_in_the_sites_language(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('locale = "zh_CN"\n[security]\nlockout_attempts = "five"\n', encoding="utf-8")
    result = runner.invoke(app, ["--config", str(cfg), "operators", "list"])
    assert result.exit_code == 2
    line = one_line(result)
    assert "security.lockout_attempts" in line and "应为整数" in line


def test_the_app_does_not_start_on_a_broken_environment(tmp_path: Path) -> None:
    """Bare `shiftdesk` (the terminal app) with a broken config or a newer database: no
    traceback; outside a terminal, the line and the exit code (a dialog inside one)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text("[workorders]\ndispatch_minutes = true\n", encoding="utf-8")
    result = runner.invoke(app, ["--config", str(cfg)])
    assert result.exit_code == 2
    assert "workorders.dispatch_minutes" in one_line(result)


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (OSError(28, "No space left on device", "/backups/x.db"), "disk_full", 1),
        (OSError(30, "Read-only file system", "/mnt/ro/x.db"), "read_only", 1),
        (OSError(13, "Permission denied", "/var/lib/shiftdesk.db"), "read_only", 1),
        (sqlite3.OperationalError("unable to open database file"), "cannot_open", 1),
        (sqlite3.DatabaseError("file is not a database"), "corrupt", 1),
        (sqlite3.IntegrityError("UNIQUE constraint failed: site.code"), "data", 1),
        (ValueError("a bug"), None, None),
    ],
)
def test_failures_are_classified(exc: BaseException, kind: str | None, code: int | None) -> None:
    failure = describe(exc)
    if kind is None:
        assert failure is None  # a bug is not dressed up as an environment problem
    else:
        assert failure is not None and failure.kind == kind and failure.code == code
        assert "\n" not in failure.message


# ------------------------------------------------------------------------ the terminal app


async def test_the_start_up_dialog_shows_the_failure_and_exits_with_its_code() -> None:
    from screens.errors import ErrorScreen, StartupErrorApp
    from shiftdesk.failures import Failure

    failure = Failure("c.toml: key 'locale' expected one of en, zh_CN, got 'fr'", 2, "config")
    dialog_app = StartupErrorApp(failure)
    async with dialog_app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(dialog_app.screen, ErrorScreen)
        shown = str(dialog_app.screen.query_one("#error-message").render())
        assert "key 'locale'" in shown
        await pilot.press("enter")
        await pilot.pause()
    assert dialog_app.return_code == 2


async def test_a_failed_save_in_the_app_is_a_dialog_and_the_screen_keeps_its_input(
    base_engine: Engine, settings: Settings
) -> None:
    """Disk full while the app runs: a dialog, no traceback; the screen's handler gets the
    readable message (its form keeps what was typed)."""
    from screens.errors import ErrorScreen
    from tests.pilot import build_app, sign_in

    app_ = build_app(base_engine, settings)
    seen: list[Exception] = []
    async with app_.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)

        @event.listens_for(base_engine, "connect")
        def _full(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA max_page_count = 1")

        base_engine.dispose()  # new connections get the limit
        app_.run_db(
            lambda s: s.add_all([Site(code=f"N{i}", name="x" * 100) for i in range(500)]),
            write=True,
            error=seen.append,
        )
        await app_.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app_.screen, ErrorScreen)
        message = str(app_.screen.query_one("#error-message").render())
        assert "disk is full" in message
        assert seen and isinstance(seen[0], EnvironmentFailure)
        assert "disk is full" in seen[0].message
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app_.screen, ErrorScreen)
        event.remove(base_engine, "connect", _full)
    base_engine.dispose()
    assert transact(base_engine, lambda s: s.get(Site, 1)) is not None
