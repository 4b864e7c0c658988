"""Move-ins and move-outs (H-8): the resident record and the duty log's occupancy event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor
from shiftdesk.errors import ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import Resident
from shiftdesk.timeutil import utcnow


def duty_log_writer(
    settings: Settings, site_id: int, *, now: datetime | None = None
) -> Callable[[Session, Resident, str, str, int], None]:
    """A function that logs one move-in or move-out as an H-8 ``occupancy_change`` event in
    the desk's open shift (opened for the acting operator if none is: signing in does the
    same). The duty log names its author, so a script must run as an operator."""
    from shiftdesk import handover

    when = now or utcnow()

    def log(session: Session, resident: Resident, unit: str, action: str, waiting: int) -> None:
        actor: Actor = session.info.get("actor", SYSTEM)
        if actor.id is None:
            raise ValidationError(t("estate.error.needs_operator"))
        shift = handover.current_shift(session, site_id, settings.site.desk)
        if shift is None:
            shift, _ = handover.ensure_shift(
                session, settings, site_id=site_id, holder=actor, now=when
            )
        body = t(f"estate.log.{action}", unit=unit, name=resident.name)
        if waiting:
            body += " " + t("estate.log.parcels_waiting", count=waiting)  # P-21
        handover.add_entry(
            session,
            shift,
            author=actor,
            kind="event",
            category="occupancy_change",
            body=body,
            at=when,
        )

    return log


def _log(
    session: Session,
    settings: Settings,
    resident: Resident,
    action: str,
    waiting: int,
    now: datetime | None,
) -> None:
    from shiftdesk.models import Unit

    unit = session.get(Unit, resident.unit_id)
    duty_log_writer(settings, resident.site_id, now=now)(
        session, resident, unit.code if unit else "", action, waiting
    )


def move_out(
    session: Session,
    settings: Settings,
    resident: Resident,
    *,
    on: date,
    now: datetime | None = None,
) -> int:
    """Mark ``resident`` moved out on ``on`` (kept, out of lookups); returns the parcels
    still waiting for them at the desk (P-21: flagged in the duty log)."""
    from shiftdesk.estate.roster import _waiting_parcels

    if not resident.active:
        raise ValidationError(t("estate.error.already_moved_out", name=resident.name))
    assert resident.id is not None
    waiting = _waiting_parcels(session, [resident.id]).get(resident.id, 0)
    resident.active = False
    resident.moved_out_on = on
    _log(session, settings, resident, "move_out", waiting, now)
    session.flush()
    return waiting


def move_in(
    session: Session,
    settings: Settings,
    resident: Resident,
    *,
    on: date | None = None,
    now: datetime | None = None,
) -> Resident:
    """Log ``resident`` (new, or back after a move-out) as moved in on ``on``."""

    resident.active = True
    resident.moved_out_on = None
    if on is not None:
        resident.moved_in_on = on
    session.add(resident)
    session.flush()
    _log(session, settings, resident, "move_in", 0, now)
    return resident
