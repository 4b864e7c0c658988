"""Fixtures: a fresh database and config per test, on SQLite and on PostgreSQL.

An autouse fixture keeps a developer's own config and environment out of every test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine

from shiftdesk.config import Settings, load_settings
from shiftdesk.db import make_engine
from shiftdesk.i18n import set_locale
from tests import pg
from tests.clockshift import sitecustomize as clockshift


def pytest_configure(config: pytest.Config) -> None:
    """Move the wall clock for the whole run when SHIFTDESK_TEST_CLOCK_SHIFT asks (issue #15).

    The suite must pass on any date; CI runs it with the clock moved. The shift is started
    here (and in every xdist worker, which loads this file too), and the directory holding
    ``sitecustomize.py`` goes on PYTHONPATH so subprocesses the tests start move theirs.
    """
    if not os.environ.get(clockshift.ENV):
        return
    clockshift.start()  # no-op if importing sitecustomize already started it
    here = str(Path(clockshift.__file__).parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if here not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([here, *paths])


def pytest_report_header() -> str | None:
    shift = os.environ.get(clockshift.ENV)
    return f"wall clock moved by {shift} ({clockshift.ENV})" if shift else None


if TYPE_CHECKING:
    from tests.parcels_helpers import HttpReceiver, SmtpReceiver

#: a fixed instant for frozen-time tests: Sunday 22 Nov 2026, 10:00 in Shanghai
FROZEN = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in list(os.environ):
        if var.startswith("SHIFTDESK_") and not var.startswith("SHIFTDESK_TEST_"):
            monkeypatch.delenv(var)
    config = tmp_path / "config.toml"
    config.write_text('# test config: defaults apply\nlocale = "en"\n', encoding="utf-8")
    monkeypatch.setenv("SHIFTDESK_CONFIG", str(config))
    monkeypatch.setenv("SHIFTDESK_DB", f"sqlite:///{tmp_path / 'shiftdesk.db'}")
    set_locale("en")
    yield
    set_locale("en")


# ------------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PgServer]:
    bindir = pg.find_bindir()
    if bindir is None:
        if pg.required():
            pytest.fail(pg.HOW_TO_ENABLE)
        pytest.skip(pg.HOW_TO_ENABLE)
    server = pg.PgServer(bindir)
    try:
        server.start()
        pg.wait_ready(server.url())
    except Exception as exc:
        server.stop()
        if pg.required():
            pytest.fail(f"could not start PostgreSQL: {exc}")
        pytest.skip(f"could not start PostgreSQL: {exc}")
    yield server
    server.stop()


_db_counter = itertools.count()


@pytest.fixture
def pg_url(pg_server: pg.PgServer) -> Iterator[str]:
    """A new empty database on the session's server."""
    import psycopg

    name = f"t_{os.getpid()}_{next(_db_counter)}"
    admin = pg_server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------------------ engines


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend (storage tests run on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A migrated database on each backend."""
    from shiftdesk.migrate import upgrade

    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database (for tests that need only the embedded default)."""
    from shiftdesk.migrate import upgrade

    eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def demo_engine(sqlite_engine: Engine, settings: Settings) -> Engine:
    """The SQLite database filled with the demo site at the frozen instant."""
    from shiftdesk.demo import load_demo

    load_demo(sqlite_engine, settings, seed=7, now=FROZEN)
    return sqlite_engine


@pytest.fixture(scope="session")
def _base_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo site's base (no area data), built once."""
    import random

    from shiftdesk.demo import base
    from shiftdesk.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "base.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    base.generate(eng, Settings(), random.Random(7), FROZEN)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def base_engine(_base_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A fresh copy of the base demo site (site DEMO, units, residents, the demo operators).

    Operators and PINs are those of ``shiftdesk.demo.DEMO_OPERATORS`` (wangfang/1111 ...).
    """
    import shutil

    target = tmp_path / "base.db"
    shutil.copyfile(_base_template, target)
    eng = make_engine(f"sqlite:///{target}")
    yield eng
    eng.dispose()


# ---------------------------------------------------------------------------- receivers
# Notification endpoints on loopback (parcels, emergencies). Here rather than as a
# ``pytest_plugins`` module, which pytest could not assert-rewrite once imported.


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    from tests.parcels_helpers import HttpReceiver

    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    from aiosmtpd.controller import Controller

    from tests.parcels_helpers import SmtpReceiver

    receiver = SmtpReceiver()
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    yield receiver
    controller.stop()
