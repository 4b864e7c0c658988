"""Storage on both backends: migrations, UTC timestamps, the audit trail, schema checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from shiftdesk import migrate
from shiftdesk.config import Settings
from shiftdesk.db import Actor, make_engine, read_session, transact
from shiftdesk.errors import SchemaError
from shiftdesk.models import AuditEvent, Building, Call, Site, Unit
from shiftdesk.sites import ensure_site


def test_migrations_create_every_table_from_empty(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    revision = migrate.upgrade(empty_engine)
    assert revision == migrate.head_revision()
    tables = set(inspect(empty_engine).get_table_names())
    for expected in (
        "site",
        "building",
        "unit",
        "resident",
        "operator",
        "shift",
        "handover_entry",
        "call",
        "complaint",
        "work_order",
        "callback",
        "parcel",
        "notification",
        "audit_event",
    ):
        assert expected in tables
    # running it again is a no-op, not an error
    assert migrate.upgrade(empty_engine) == revision


def test_models_and_migration_agree(engine: Engine) -> None:
    """The migration creates exactly what the models describe (no forgotten regen)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], (
        f"models differ from migrations: run scripts/regen_initial_migration.py: {diff}"
    )


def test_timestamps_come_back_aware_utc(engine: Engine, settings: Settings) -> None:
    shanghai = timezone(timedelta(hours=8))
    received = datetime(2026, 11, 22, 9, 30, tzinfo=shanghai)

    def _save(session):  # type: ignore[no-untyped-def]
        site = ensure_site(session, settings)
        call = Call(site_id=site.id, received_at=received, channel="phone", category="inquiry")
        session.add(call)
        session.flush()
        return call.id

    call_id = transact(engine, _save)
    with read_session(engine) as session:
        call = session.get(Call, call_id)
        assert call is not None
        assert call.received_at.tzinfo is not None
        assert call.received_at == received
        assert call.received_at.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused(engine: Engine, settings: Settings) -> None:
    def _save(session):  # type: ignore[no-untyped-def]
        site = ensure_site(session, settings)
        session.add(
            Call(
                site_id=site.id,
                received_at=datetime(2026, 1, 1),
                channel="phone",
                category="inquiry",
            )
        )
        session.flush()

    with pytest.raises(Exception, match="naive"):
        transact(engine, _save)


def test_every_insert_and_update_is_audited(engine: Engine, settings: Settings) -> None:
    actor = Actor(name="wangfang", id=None, role="operator")

    def _create(session):  # type: ignore[no-untyped-def]
        site = ensure_site(session, settings)
        b = Building(site_id=site.id, code="9")
        session.add(b)
        session.flush()
        unit = Unit(site_id=site.id, building_id=b.id, code="9-1-101")
        session.add(unit)
        session.flush()
        return unit.id

    unit_id = transact(engine, _create, actor=actor)

    def _rename(session):  # type: ignore[no-untyped-def]
        unit = session.get(Unit, unit_id)
        unit.room = "101"
        session.add(unit)

    transact(engine, _rename, actor=actor)
    with read_session(engine) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "unit", AuditEvent.entity_id == unit_id)
            .order_by(AuditEvent.id)
        ).all()
    assert [e.action for e in events] == ["insert", "update"]
    assert all(e.actor == "wangfang" and not e.is_system for e in events)
    assert json.loads(events[0].after or "{}")["code"] == "9-1-101"
    assert json.loads(events[1].before or "{}") == {"room": ""}
    assert json.loads(events[1].after or "{}") == {"room": "101"}


def test_system_writes_are_marked(engine: Engine, settings: Settings) -> None:
    transact(engine, lambda s: ensure_site(s, settings))
    with read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.entity == "site")).one()
    assert event.actor == "system" and event.is_system


def test_newer_schema_is_refused_and_left_alone(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(SchemaError, match="newer than this program"):
        migrate.upgrade(engine)
    with pytest.raises(SchemaError, match="newer"):
        migrate.ensure_current(engine)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"
        )


def test_sqlite_connections_get_the_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path / 'p.db'}", busy_timeout_ms=4321)
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    assert (tmp_path / "p.db").stat().st_mode & 0o777 == 0o600


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    def _orphan(session):  # type: ignore[no-untyped-def]
        session.add(Unit(site_id=424242, building_id=424242, code="x"))
        session.flush()

    with pytest.raises(IntegrityError):
        transact(engine, _orphan)


def test_site_code_is_unique_per_database(engine: Engine, settings: Settings) -> None:
    first = transact(engine, lambda s: ensure_site(s, settings).id)
    second = transact(engine, lambda s: ensure_site(s, settings).id)
    assert first == second
    with read_session(engine) as session:
        assert len(session.exec(select(Site)).all()) == 1


def test_backup_while_open(sqlite_engine: Engine, settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shiftdesk.backup import backup_sqlite

    transact(sqlite_engine, lambda s: ensure_site(s, settings))
    target = tmp_path / "backup.db"
    backup_sqlite(sqlite_engine, target)
    copy = make_engine(f"sqlite:///{target}")
    with read_session(copy) as session:
        assert session.exec(select(Site)).one().code == "DEMO"
    assert target.stat().st_mode & 0o777 == 0o600
    with copy.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_aware_utc_now_is_used_for_defaults(engine: Engine, settings: Settings) -> None:
    site_id = transact(engine, lambda s: ensure_site(s, settings).id)
    with read_session(engine) as session:
        site = session.get(Site, site_id)
        assert site is not None
        assert abs(site.created_at - datetime.now(UTC)) < timedelta(minutes=1)
