"""The audit trail, written by the storage layer itself so no service can forget it.

Every insert, update and delete flushed through a session becomes an ``AuditEvent`` in the
same transaction, stamped with the session's actor. Events that are not row changes
(sign-in, export, reading a resident's full record) go through ``record``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, SQLModel

from shiftdesk.db import SYSTEM, Actor
from shiftdesk.models.audit import AuditEvent
from shiftdesk.timeutil import utcnow

#: columns whose values never enter the trail
_SECRET = {"pin_hash"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: SQLModel) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {
        col.key: ("***" if col.key in _SECRET else _plain(getattr(obj, col.key)))
        for col in mapper.column_attrs
    }


def _changes(obj: SQLModel) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            secret = attr.key in _SECRET
            before[attr.key] = "***" if secret else _plain(old)
            after[attr.key] = "***" if secret else _plain(new)
    return before, after


def _dump(data: dict[str, Any] | None) -> str | None:
    return None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True)


def _row(actor: Actor, action: str, obj: SQLModel, before: Any, after: Any) -> dict[str, Any]:
    return {
        "site_id": getattr(obj, "site_id", None),
        "at": utcnow(),
        "actor": actor.name,
        "actor_id": actor.id,
        "is_system": actor.is_system,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": getattr(obj, "id", None),
        "before": _dump(before),
        "after": _dump(after),
        "note": "",
    }


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _ctx: Any) -> None:
    actor: Actor = session.info.get("actor", SYSTEM)
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, SQLModel) and not isinstance(obj, AuditEvent):
            rows.append(_row(actor, "insert", obj, None, snapshot(obj)))
    for obj in session.dirty:
        if isinstance(obj, SQLModel) and not isinstance(obj, AuditEvent):
            before, after = _changes(obj)
            if after:
                rows.append(_row(actor, "update", obj, before, after))
    for obj in session.deleted:
        if isinstance(obj, SQLModel) and not isinstance(obj, AuditEvent):
            rows.append(_row(actor, "delete", obj, snapshot(obj), None))
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), rows)  # type: ignore[attr-defined]


def record(
    session: Session,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    site_id: int | None = None,
    note: str = "",
    after: dict[str, Any] | None = None,
) -> None:
    """Record an event that is not a row change (sign-in, export, a read of PII)."""
    actor: Actor = session.info.get("actor", SYSTEM)
    session.connection().execute(
        AuditEvent.__table__.insert(),  # type: ignore[attr-defined]
        [
            {
                "site_id": site_id,
                "at": utcnow(),
                "actor": actor.name,
                "actor_id": actor.id,
                "is_system": actor.is_system,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": None,
                "after": _dump(after),
                "note": note[:500],
            }
        ],
    )
