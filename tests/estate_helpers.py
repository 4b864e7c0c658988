"""Shared by the estate tests: a site with its operators, and one import call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor, read_session, transact
from shiftdesk.estate.reader import read_table
from shiftdesk.estate.roster import Plan, import_table
from shiftdesk.models import AuditEvent, Parcel, Resident, Role, Unit
from shiftdesk.security import actor_for
from shiftdesk.sites import add_operator, ensure_site, ensure_system_operator

#: Sunday 22 Nov 2026, 10:00 in Shanghai
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)


@dataclass
class Desk:
    site_id: int
    supervisor: Actor
    operator: Actor


def make_desk(engine: Engine, settings: Settings) -> Desk:
    def build(session: Session) -> Desk:
        site = ensure_site(session, settings)
        ensure_system_operator(session)
        assert site.id is not None
        sup = add_operator(
            session, name="zhaoli", pin="3333", role=Role.SUPERVISOR, site_id=site.id
        )
        op = add_operator(session, name="wangfang", pin="1111", role=Role.OPERATOR, site_id=site.id)
        return Desk(site.id, actor_for(sup), actor_for(op))

    return transact(engine, build)


def load(
    engine: Engine,
    settings: Settings,
    desk: Desk,
    path: Path,
    *,
    actor: Actor = SYSTEM,
    dry_run: bool = False,
    sheet: str | None = None,
    encoding: str | None = None,
) -> Plan:
    table = read_table(path, sheet=sheet, encoding=encoding)
    return transact(
        engine,
        lambda s: import_table(
            s, settings, desk.site_id, table, move_out_on=TODAY, dry_run=dry_run, now=NOW
        ),
        actor=actor,
    )


def residents(engine: Engine) -> dict[tuple[str, str], Resident]:
    """(unit code, name) -> resident, moved-out ones included."""
    with read_session(engine) as session:
        rows = session.exec(
            select(Resident, Unit.code).join(Unit, Unit.id == Resident.unit_id)  # type: ignore[arg-type]
        ).all()
    return {(code, r.name): r for r, code in rows}


def audit_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def waiting_parcel(engine: Engine, desk: Desk, resident: Resident, tracking: str) -> None:
    """A parcel for ``resident`` waiting at the desk (P-21 flags it at a move-out)."""
    parcel = Parcel(
        site_id=desk.site_id,
        tracking=tracking,
        unit_id=resident.unit_id,
        resident_id=resident.id,
        received_at=NOW,
    )
    transact(engine, lambda s: s.add(parcel))
