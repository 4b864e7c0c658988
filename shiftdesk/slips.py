"""Numbered pickup notice slips (邮件接收通知单, P-15..P-18): their usage record.

A desk that cannot reach an owner puts a notice slip under the door (white copy) and tapes
the green copy to the item. Slips are pre-printed with a red serial and used in order
(P-15), so shiftdesk hands out the next serial when an operator records a ``notice``
contact, refuses one out of order, and keeps a spoiled slip as void with its reason. 72 h
after a slip an item still uncollected means phoning the owner (P-17: the clock is
``clocks.parcels.slip_call_clock``; a phone contact stops it). Completed slips (the item
collected or returned, or the slip voided) are reviewed by the duty manager and bound in
reverse serial order (P-18): ``usage`` lists them in that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from shiftdesk.clocks import Clock
from shiftdesk.clocks.parcels import slip_call_clock
from shiftdesk.config import Settings
from shiftdesk.db import actor_id
from shiftdesk.errors import NotFound, ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import NoticeSlip, Notification, Parcel, Role, Site, Unit
from shiftdesk.security import require_role
from shiftdesk.sites import operator_names
from shiftdesk.textclean import clean_text
from shiftdesk.timeutil import as_utc, parse_hhmm, utcnow


def next_serial(session: Session, settings: Settings, site_id: int) -> int:
    """The serial the next slip must carry: the one after the last used, or the configured
    first serial of the pad (``parcels.slip_first_serial``) when that is higher."""
    last = session.exec(
        select(func.max(NoticeSlip.serial)).where(NoticeSlip.site_id == site_id)
    ).one()
    first = settings.parcels.slip_first_serial
    return first if last is None else max(first, int(last) + 1)


def _take_serial(session: Session, settings: Settings, site_id: int, serial: int | None) -> int:
    """P-15: slips are used in order. Two terminals numbering at once are serialised on
    the site row (SQLite's write lock does the same); the unique constraint is the guard."""
    session.exec(select(Site).where(Site.id == site_id).with_for_update()).one()
    expected = next_serial(session, settings, site_id)
    if serial is None or serial == expected:
        return expected
    key = "parcels.slip.err.used" if serial < expected else "parcels.slip.err.order"
    raise ValidationError(t(key, serial=serial, expected=expected), field="slip")


def issue(
    session: Session,
    settings: Settings,
    parcel: Parcel,
    *,
    serial: int | None = None,
    now: datetime | None = None,
) -> NoticeSlip:
    """Record the use of the next slip for ``parcel`` (or check the serial the operator
    read off the pad is that one)."""
    slip = NoticeSlip(
        site_id=parcel.site_id,
        serial=_take_serial(session, settings, parcel.site_id, serial),
        parcel_id=parcel.id,
        issued_at=now or utcnow(),
        issued_by=actor_id(session),
    )
    session.add(slip)
    session.flush()
    return slip


def void(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    reason: str,
    serial: int | None = None,
    now: datetime | None = None,
) -> NoticeSlip:
    """A spoiled or lost slip keeps its serial in the record, with why (P-15)."""
    why = clean_text(reason, max_length=200, required=True, field="reason")
    slip = NoticeSlip(
        site_id=site_id,
        serial=_take_serial(session, settings, site_id, serial),
        issued_at=now or utcnow(),
        issued_by=actor_id(session),
        void_reason=why,
    )
    session.add(slip)
    session.flush()
    return slip


def latest_for(session: Session, parcel_id: int) -> NoticeSlip | None:
    return session.exec(
        select(NoticeSlip)
        .where(NoticeSlip.parcel_id == parcel_id)
        .order_by(col(NoticeSlip.serial).desc())
    ).first()


# ---------------------------------------------------------------------------- the record


@dataclass
class SlipRow:
    """One line of the usage record (《邮件接收通知单使用记录》)."""

    serial: int
    issued_at: datetime
    issued_by: str
    parcel_id: int | None
    tracking: str
    unit: str
    recipient: str
    #: waiting | picked_up | returned (the item's), or void
    status: str
    left_at: datetime | None
    void_reason: str
    #: P-17 (None for a void slip)
    call: Clock | None
    reviewed_at: datetime | None
    reviewed_by: str

    @property
    def completed(self) -> bool:
        """P-18: ready for review once the item left the desk or the slip was voided."""
        return self.status != "waiting"


def usage(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    waiting_only: bool = False,
) -> list[SlipRow]:
    """Slips issued in [start, end), newest serial first (P-18's binding order)."""
    stmt = (
        select(NoticeSlip, Parcel, Unit)
        .join(Parcel, col(Parcel.id) == col(NoticeSlip.parcel_id), isouter=True)
        .join(Unit, col(Unit.id) == col(Parcel.unit_id), isouter=True)
        .where(NoticeSlip.site_id == site_id)
        .order_by(col(NoticeSlip.serial).desc())
    )
    if start is not None:
        stmt = stmt.where(col(NoticeSlip.issued_at) >= start)
    if end is not None:
        stmt = stmt.where(col(NoticeSlip.issued_at) < end)
    if waiting_only:
        stmt = stmt.where(Parcel.status == "waiting")
    rows = session.exec(stmt).all()
    parcel_ids = [p.id for _, p, _ in rows if p is not None]
    phoned: dict[int, list[datetime]] = {}
    if parcel_ids:
        for pid, at in session.exec(
            select(Notification.parcel_id, Notification.created_at).where(
                col(Notification.parcel_id).in_(parcel_ids), Notification.method == "phone"
            )
        ):
            if pid is not None:
                phoned.setdefault(pid, []).append(as_utc(at))
    names = operator_names(session, [x for s, _, _ in rows for x in (s.issued_by, s.reviewed_by)])
    quiet_start = parse_hhmm(settings.parcels.quiet_start)
    quiet_end = parse_hhmm(settings.parcels.quiet_end)
    out: list[SlipRow] = []
    for slip, parcel, unit in rows:
        issued = as_utc(slip.issued_at)
        call = None
        left = None
        if parcel is not None:
            left = parcel.picked_up_at or parcel.returned_at
            after = sorted(a for a in phoned.get(parcel.id or 0, []) if a >= issued)
            call = slip_call_clock(
                issued_at=issued,
                phoned_at=after[0] if after else None,
                done_at=left,
                hours=settings.parcels.slip_call_hours,
                quiet_start=quiet_start,
                quiet_end=quiet_end,
                tz=settings.site.timezone,
            )
        out.append(
            SlipRow(
                serial=slip.serial,
                issued_at=issued,
                issued_by=names.get(slip.issued_by or 0, "system"),
                parcel_id=slip.parcel_id,
                tracking=parcel.tracking if parcel else "",
                unit=unit.code if unit else "",
                recipient=parcel.recipient_name if parcel else "",
                status=parcel.status if parcel else "void",
                left_at=left,
                void_reason=slip.void_reason,
                call=call,
                reviewed_at=slip.reviewed_at,
                reviewed_by=names.get(slip.reviewed_by, "") if slip.reviewed_by else "",
            )
        )
    return out


def review(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    serials: Sequence[int] = (),
    now: datetime | None = None,
) -> list[int]:
    """P-18: the duty manager (a supervisor or above, §1) reviews completed slips, all those
    not yet reviewed or the ``serials`` named; returns the serials reviewed. A slip whose
    item is still at the desk is refused by name."""
    actor = session.info.get("actor")
    if actor is None:
        raise ValidationError(t("parcels.slip.err.no_actor"), field="operator")
    require_role(actor, Role.SUPERVISOR)
    now = now or utcnow()
    rows = {r.serial: r for r in usage(session, settings, site_id)}
    for serial in serials:
        row = rows.get(serial)
        if row is None:
            raise NotFound(t("parcels.slip.err.unknown", serial=serial))
        if not row.completed:
            raise ValidationError(t("parcels.slip.err.open", serial=serial), field="slip")
    chosen = set(serials) or {s for s, r in rows.items() if r.completed}
    slips = session.exec(
        select(NoticeSlip).where(
            NoticeSlip.site_id == site_id,
            col(NoticeSlip.serial).in_(sorted(chosen)),
            col(NoticeSlip.reviewed_at).is_(None),
        )
    ).all()
    for slip in slips:
        slip.reviewed_at = now
        slip.reviewed_by = actor.id
        session.add(slip)
    session.flush()
    return sorted((s.serial for s in slips), reverse=True)
