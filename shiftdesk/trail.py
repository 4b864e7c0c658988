"""Reading the audit trail: a record's history, who read a resident's file, who signed in.

``shiftdesk.audit`` writes the trail (every insert and update, sign-ins, sign-offs, reads of
personal data); this module reads it back for ``shiftdesk audit``. Personal data in the
before/after snapshots is masked unless the caller asks for it (a manager, A-4), and asking
is itself recorded (A-6: access is logged).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, and_, col, or_, select

from shiftdesk import audit
from shiftdesk.errors import UsageError
from shiftdesk.i18n import t
from shiftdesk.models import AuditEvent

#: audit events that are not row changes, besides the tables' own names
OTHER_ENTITIES = ("resident", "operator", "archive_run", "audit_event")


@dataclass
class TrailRow:
    id: int
    at: datetime
    actor: str
    is_system: bool
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str

    def changes(self) -> str:
        """One readable line: ``stage: dispatched → accepted; version: 2 → 3``."""
        if self.action == "update" and self.after:
            before = self.before or {}
            return "; ".join(
                f"{key}: {_short(before.get(key))} → {_short(value)}"
                for key, value in sorted(self.after.items())
            )
        if self.action == "insert" and self.after:
            return t("reliability.audit.created", fields=len(self.after))
        if self.action == "delete":
            return t("reliability.audit.deleted")
        return ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "system": self.is_system,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
            "note": self.note,
        }


def _short(value: Any) -> str:
    text = "∅" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def known_entities(session: Session) -> list[str]:
    """Every table name, and every entity the trail already mentions."""
    names = set(SQLModel.metadata.tables) | set(OTHER_ENTITIES)
    names.update(session.exec(select(AuditEvent.entity).distinct()).all())
    return sorted(names)


def _snapshot(text: str | None, entity: str, include_pii: bool) -> dict[str, Any] | None:
    if text is None:
        return None
    if not include_pii:
        from shiftdesk.archive import pii

        text = pii.mask_snapshot(text, SQLModel.metadata.tables.get(entity))
    try:
        data = json.loads(text)
    except ValueError:
        return {"text": text}
    return data if isinstance(data, dict) else {"value": data}


def history(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    include_pii: bool = False,
    site_id: int | None = None,
) -> list[TrailRow]:
    """The newest ``limit`` matching events, oldest first (a record's story in order).

    ``site_id``: only that site's events, and those that belong to no site (a failed
    sign-in under an unknown name); None: every site's (the company view). One database
    may hold many sites, and a terminal sees its own (issue 11).
    """
    if entity_id is not None and not entity:
        raise UsageError(t("reliability.audit.id_needs_entity"))
    if entity and entity not in known_entities(session):
        raise UsageError(
            t(
                "reliability.audit.unknown_entity",
                entity=entity,
                known=", ".join(known_entities(session)),
            )
        )
    if limit < 1:
        raise UsageError(t("reliability.audit.bad_limit"))
    query = select(AuditEvent)
    if site_id is not None:
        query = query.where(same_site(site_id))
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    events = session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all()
    rows = []
    for ev in reversed(events):
        assert ev.id is not None
        note = ev.note if include_pii else _masked_note(ev.note)
        rows.append(
            TrailRow(
                id=ev.id,
                at=ev.at,
                actor=ev.actor,
                is_system=ev.is_system,
                action=ev.action,
                entity=ev.entity,
                entity_id=ev.entity_id,
                before=_snapshot(ev.before, ev.entity, include_pii),
                after=_snapshot(ev.after, ev.entity, include_pii),
                note=note,
            )
        )
    return rows


def same_site(site_id: int) -> Any:
    """Events of ``site_id``, or of no site (except another site's own row being made)."""
    site_col = col(AuditEvent.site_id)
    return or_(
        site_col == site_id,
        and_(
            site_col.is_(None),
            or_(AuditEvent.entity != "site", col(AuditEvent.entity_id) == site_id),
        ),
    )


def _masked_note(note: str) -> str:
    from shiftdesk.privacy import mask_text

    return mask_text(note)


def record_pii_read(
    session: Session, *, entity: str | None, entity_id: int | None, rows: int
) -> None:
    """A-6: reading the trail with personal data unmasked is itself on the trail."""
    audit.record(
        session,
        "read",
        entity or "audit_event",
        entity_id,
        note=f"audit trail with personal data ({rows} events)",
    )


def record_resident_read(
    session: Session, resident_id: int, *, site_id: int | None, where: str
) -> None:
    """A-6: an operator opened a resident's full record (history, contacts, parcels).

    Call it in a write transaction from the place that shows the record; ``where`` names
    that place ("caller history", "parcel pickup"). ``shiftdesk audit --action read
    --entity resident`` lists who looked at whom.
    """
    audit.record(session, "read", "resident", resident_id, site_id=site_id, note=where[:200])
