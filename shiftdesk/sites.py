"""Sites and the records that every other service looks up by code."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, or_, select

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor
from shiftdesk.errors import NotFound, ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import Operator, Role, Site
from shiftdesk.security import check_pin_format, hash_pin, require_role
from shiftdesk.textclean import clean_text, control_characters


def ensure_site(session: Session, settings: Settings) -> Site:
    """The configured site, created on first use (``shiftdesk init``)."""
    site = session.exec(select(Site).where(Site.code == settings.site.code)).first()
    if site is None:
        site = Site(
            code=settings.site.code, name=settings.site.name, timezone=settings.site.timezone
        )
        session.add(site)
        session.flush()
    return site


def site_if_ready(session: Session, settings: Settings) -> Site | None:
    """The configured site when it and the ``system`` identity both exist (every start but
    the first), else None: a start can then read instead of taking the write lock."""
    site = session.exec(select(Site).where(Site.code == settings.site.code)).first()
    if site is None:
        return None
    system = session.exec(select(Operator.id).where(Operator.name == "system")).first()
    return site if system is not None else None


def operator_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Operators' labels by id (names on records, reports and the duty log)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Operator).where(col(Operator.id).in_(wanted)))
    return {op.id: op.label for op in rows if op.id is not None}


def get_site(session: Session, code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        raise NotFound(t("cli.unknown_site", code=code))
    return site


def ensure_system_operator(session: Session) -> Operator:
    """The built-in ``system`` identity scripted writes are recorded under; it cannot sign in."""
    op = session.exec(select(Operator).where(Operator.name == "system")).first()
    if op is None:
        op = Operator(name="system", display_name="system", role=Role.ADMIN.value, active=False)
        session.add(op)
        session.flush()
    return op


def add_operator(
    session: Session,
    *,
    name: str,
    pin: str,
    role: Role,
    site_id: int | None,
    display_name: str = "",
) -> Operator:
    """Add an operator. Only a manager or admin manages operators (domain §1), whoever calls:
    the session's actor is checked here, not only in the command line."""
    _require_manager(session)
    name = name.strip()
    if not name or len(name) > 40 or name == "system" or control_characters(name):
        raise ValidationError(t("reliability.operator.bad_name", name=name), field="name")
    display_name = clean_text(display_name, max_length=40, field="display_name")
    check_pin_format(pin)
    if session.exec(select(Operator).where(Operator.name == name)).first() is not None:
        raise ValidationError(t("cli.operators.exists", name=name), field="name")
    op = Operator(
        name=name,
        display_name=display_name or name,
        role=role.value,
        pin_hash=hash_pin(pin),
        site_id=site_id,
    )
    session.add(op)
    session.flush()
    return op


def find_operator(session: Session, name: str) -> Operator:
    op = session.exec(select(Operator).where(Operator.name == name)).first()
    if op is None:
        raise NotFound(t("cli.operators.unknown", name=name))
    return op


def list_operators(session: Session, site_id: int | None = None) -> list[Operator]:
    """Operators by name; with ``site_id`` only that site's (and any of no site): one
    database may hold many sites, and a terminal lists its own (issue 11)."""
    query = select(Operator).where(Operator.name != "system")
    if site_id is not None:
        query = query.where(or_(Operator.site_id == site_id, col(Operator.site_id).is_(None)))
    return list(session.exec(query.order_by(Operator.name)))


def _require_manager(session: Session) -> None:
    actor: Actor = session.info.get("actor", SYSTEM)
    require_role(actor, Role.MANAGER)


def set_operator_active(session: Session, name: str, active: bool) -> Operator:
    """Disable (or enable again) an operator: managers and admins only. Records stay theirs."""
    _require_manager(session)
    op = find_operator(session, name)
    if op.name == "system":
        raise ValidationError(t("reliability.operator.bad_name", name=name), field="name")
    op.active = active
    session.add(op)
    session.flush()
    return op
