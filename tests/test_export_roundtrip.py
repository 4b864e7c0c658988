"""Restore: export -> import into an empty database -> export gives the same bytes.

On SQLite and on PostgreSQL (the ``engine`` fixture runs each test on both), and across
them. A restore is all or nothing, refuses a database that has data unless ``--merge``,
and leaves PostgreSQL's id sequences past the restored ids.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk import archive
from shiftdesk.cli import app
from shiftdesk.db import make_engine, transact
from shiftdesk.migrate import upgrade
from shiftdesk.models import AuditEvent, Call
from tests.conftest import FROZEN
from tests.export_helpers import TZ, add_activity, base_site, counts, export, members, repack

runner = CliRunner()
_names = itertools.count()


@pytest.fixture
def target_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend as ``engine``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    import psycopg

    server = request.getfixturevalue("pg_server")
    name = f"r_{os.getpid()}_{next(_names)}"
    admin = server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full archive (with personal data) of the base site and two days of activity."""
    folder = tmp_path_factory.mktemp("seed")
    eng = make_engine(f"sqlite:///{folder / 'seed.db'}")
    upgrade(eng)
    base_site(eng)
    add_activity(eng, FROZEN - timedelta(days=1), n=4, tag="a")
    add_activity(eng, FROZEN, n=3, tag="b")
    path = export(eng, folder, include_pii=True).path
    eng.dispose()
    return path


@pytest.fixture
def filled(engine: Engine, seed: Path) -> Engine:
    """``engine`` (each backend) holding the seed data, restored in bulk (fast)."""
    archive.import_archive(engine, seed)
    return engine


@pytest.fixture
def written(engine: Engine) -> Engine:
    """``engine`` (each backend) filled the slow way: through the ORM, as the desk writes."""
    base_site(engine)
    add_activity(engine, FROZEN - timedelta(days=1), n=4, tag="a")
    add_activity(engine, FROZEN, n=3, tag="b")
    return engine


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_round_trip_is_byte_identical(written: Engine, target_url: str, tmp_path: Path) -> None:
    for pii in (False, True):  # masked (the default) and a full backup
        first = export(written, tmp_path / f"first-{pii}", include_pii=pii)
        restored = runner.invoke(app, ["import", "archive", str(first.path), "--db", target_url])
        assert restored.exit_code == 0, restored.output
        assert f"Restored {first.rows:,} rows" in restored.output
        assert ("masked" in restored.output) is not pii
        target = make_engine(target_url)
        try:
            assert counts(target) == {t.name: t.rows for t in first.tables}
            second = export(target, tmp_path / f"second-{pii}", include_pii=pii)
            if pii:  # the desk carries on: new records number on from the restored ones
                last = counts(target)["call"]
                new = add_activity(target, FROZEN + timedelta(days=1), n=2, tag="new")
                assert new == [last + 1, last + 2]  # PostgreSQL: the sequence was moved on
            _empty(target)
        finally:
            target.dispose()
        assert second.path.read_bytes() == first.path.read_bytes()


def _empty(engine: Engine) -> None:
    """Delete every row (children first), so the same database can take a restore again."""
    with engine.begin() as conn:
        for table in reversed(archive.tables()):
            conn.execute(table.delete())


def test_a_day_archive_restores_on_its_own_and_round_trips(
    filled: Engine, target_url: str, tmp_path: Path
) -> None:
    day = archive.one_day(date(2026, 11, 21), TZ)
    first = export(filled, tmp_path / "first", day, fmt="zip")
    result = runner.invoke(app, ["import", "archive", str(first.path), "--db", target_url])
    assert result.exit_code == 0, result.output
    target = make_engine(target_url)
    try:
        second = export(target, tmp_path / "second", day, fmt="zip")
    finally:
        target.dispose()
    assert second.path.read_bytes() == first.path.read_bytes()


def test_restore_is_all_or_nothing_and_merges_only_when_asked(
    filled: Engine, target_url: str, tmp_path: Path
) -> None:
    import json

    full = export(filled, tmp_path / "full")
    day = export(filled, tmp_path / "day", archive.one_day(date(2026, 11, 21), TZ))
    contents = members(full.path)

    def restore(path: Path, *extra: str) -> tuple[int, str]:
        result = runner.invoke(app, ["import", "archive", str(path), "--db", target_url, *extra])
        return result.exit_code, result.output

    # another schema: refused before anything is read
    other = dict(contents)
    manifest = json.loads(other["manifest.json"])
    manifest["schema_version"] = "0099"
    other["manifest.json"] = json.dumps(manifest).encode()
    code, out = restore(repack(full.path, tmp_path / "other.tar.gz", other, tmp_path))
    assert code == 2 and "0099" in out

    # one changed byte late in the archive: the tables before it are rolled back too
    damaged = dict(contents)
    data = bytearray(damaged["jsonl/work_order.jsonl"])
    data[-10] ^= 0x01
    damaged["jsonl/work_order.jsonl"] = bytes(data)
    code, out = restore(repack(full.path, tmp_path / "bad.tar.gz", damaged, tmp_path))
    assert code == 1
    assert "jsonl/work_order.jsonl" in out and "nothing was restored" in out
    target = make_engine(target_url)
    try:
        assert not any(counts(target).values())
    finally:
        target.dispose()

    # a day, then the whole archive: refused on a database with data, unless --merge
    assert restore(day.path)[0] == 0
    code, out = restore(full.path)
    assert code == 2 and "not empty" in out and "resident" in out
    code, out = restore(full.path, "--merge")  # issue 9: a merge needs a manager or admin
    assert code == 2 and "--as-system" in out
    code, out = restore(full.path, "--merge", "--as-system")
    assert code == 0, out
    assert f"{full.rows - day.rows:,} rows added, {day.rows:,} already present (skipped)" in out
    target = make_engine(target_url)
    try:
        # the merge is on the trail; without that one event, the same archive again
        audit_t = AuditEvent.__table__  # type: ignore[attr-defined]
        with target.begin() as conn:
            merged = conn.execute(audit_t.delete().where(audit_t.c.action == "import_merge"))
            assert merged.rowcount == 1
        again = export(target, tmp_path / "again")
    finally:
        target.dispose()
    assert again.path.read_bytes() == full.path.read_bytes()


@pytest.mark.postgres
def test_sqlite_archive_restores_into_postgresql_byte_for_byte(
    base_engine: Engine, pg_url: str, tmp_path: Path
) -> None:
    add_activity(base_engine, FROZEN - timedelta(days=1), n=4)
    made = export(base_engine, tmp_path / "sqlite", include_pii=True)
    result = runner.invoke(app, ["import", "archive", str(made.path), "--db", pg_url])
    assert result.exit_code == 0, result.output
    pg = make_engine(pg_url)
    try:
        again = export(pg, tmp_path / "pg", include_pii=True)
    finally:
        pg.dispose()
    assert again.path.read_bytes() == made.path.read_bytes()


def test_whole_demo_site_round_trips(demo_engine: Engine, tmp_path: Path) -> None:
    """Every area's tables, as the demo fills them (generic over the metadata)."""
    made = export(demo_engine, tmp_path / "demo", include_pii=True)
    assert sum(1 for t in made.tables if t.rows) >= 8
    target_url = f"sqlite:///{tmp_path / 'copy.db'}"
    target = make_engine(target_url)
    upgrade(target)
    try:
        restored = archive.import_archive(target, made.path)
        assert restored.inserted == made.rows
        again = export(target, tmp_path / "again", include_pii=True)
    finally:
        target.dispose()
    assert again.path.read_bytes() == made.path.read_bytes()


def test_import_into_the_configured_database_by_default(
    base_engine: Engine, tmp_path: Path
) -> None:
    """No --db: the configured database (SHIFTDESK_DB), created and migrated if new."""
    made = export(base_engine, tmp_path / "out")
    result = runner.invoke(app, ["import", "archive", str(made.path), "--quiet"])
    assert result.exit_code == 0, result.output
    restored = make_engine(os.environ["SHIFTDESK_DB"])
    try:
        assert counts(restored)["resident"] == counts(base_engine)["resident"]
        transact(
            restored,
            lambda s: s.add(
                Call(site_id=1, received_at=FROZEN, channel="phone", category="inquiry")
            ),
        )
    finally:
        restored.dispose()
