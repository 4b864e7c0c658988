"""Parcels and mail at the desk (§6): check-in, notification, reminders, pickup, return.

Services take a Session and plain arguments and return models; the screens and the
``shiftdesk parcels`` commands call them. Every write goes through ``transact`` in the
caller, so a refusal (duplicate, not a resident, already released) leaves nothing behind.

Lifecycle: ``waiting`` (checked in, notified) -> ``picked_up`` (self or proxy, P-4/P-5) or
``returned`` (to sender, P-20). An item for someone who is not a resident is recorded as
``refused`` (P-1) and never enters the desk's count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from shiftdesk import notify
from shiftdesk.carriers import CARRIERS, normalise, recognise
from shiftdesk.clocks import Clock
from shiftdesk.clocks.parcels import overdue, reminder_clock, reminder_due, waiting_days
from shiftdesk.config import Settings
from shiftdesk.db import actor_id
from shiftdesk.errors import NotFound, ValidationError
from shiftdesk.i18n import t, t_in
from shiftdesk.models import (
    Notification,
    NotificationStatus,
    Operator,
    Parcel,
    ParcelKind,
    ParcelStatus,
    Resident,
    Unit,
)
from shiftdesk.textclean import clean_text
from shiftdesk.timeutil import to_local, utcnow

#: P-10: kinds to be delivered as soon as the owner is reached
URGENT_KINDS = frozenset({"parcel", "registered", "ems", "parcel_slip", "remittance_slip"})
#: P-11: kinds received at the desk and stamped with the mail stamp (邮件收发章)
STAMP_KINDS = frozenset({"ems", "parcel_slip", "remittance_slip"})
#: identity documents accepted at pickup; only their last four characters are kept
ID_TYPES: tuple[str, ...] = (
    "id_card",
    "passport",
    "hk_macau_permit",
    "taiwan_permit",
    "residence_permit",
    "driver_license",
    "other",
)
PICKUP_BY = ("self", "proxy")
CONTACT_METHODS = ("phone", "visit", "notice")
MAX_PIECES = 99

_TRACKING = re.compile(r"^[0-9A-Z]{4,64}$")
_LAST4 = re.compile(r"^[0-9A-Z]{4}$")
#: a resident ID card (GB 11643) ends in three digits and a check character, 0-9 or X
_LAST4_ID_CARD = re.compile(r"^[0-9]{3}[0-9X]$")


class DuplicateParcel(ValidationError):
    """The tracking number is already at the desk (or was): "already checked in at 14:02"."""

    def __init__(self, message: str, existing_id: int | None) -> None:
        super().__init__(message, field="tracking")
        self.existing_id = existing_id


class NotAResident(ValidationError):
    """P-1: the addressee is not a resident of this estate; refuse or return the item."""


class AlreadyReleased(ValidationError):
    """The item has already left the desk; it cannot be released (or returned) again."""


# ---------------------------------------------------------------------------- helpers


def kinds() -> list[str]:
    return [k.value for k in ParcelKind]


#: carriers whose items are the post's: P-10 speaks of the postal service's items
POSTAL_CARRIERS = frozenset({"china_post", "ems"})


def is_urgent(kind: str, carrier: str | None = None) -> bool:
    """P-10: registered letters, express mail, parcels and parcel/remittance slips of the
    post go to the owner as soon as they are reached.

    The rule lists the post's item kinds; a "parcel" is the post's parcel (包裹), so an
    ordinary SF or JD courier parcel is not urgent, nor is the empty form's default kind
    (#17 finding 12). Registered letters, EMS and the slips are postal by nature.
    """
    if kind not in URGENT_KINDS:
        return False
    return kind != "parcel" or carrier in POSTAL_CARRIERS


def kind_label(kind: str, locale: str | None = None) -> str:
    key = f"parcels.kind.{kind}"
    return t_in(locale, key) if locale else t(key)


def carrier_label(carrier: str, locale: str | None = None) -> str:
    key = f"parcels.carrier.{carrier}"
    return t_in(locale, key) if locale else t(key)


def _operator_label(session: Session, operator_id: int | None) -> str:
    if operator_id is None:
        return "system"
    op = session.get(Operator, operator_id)
    return op.label if op is not None else "?"


def _when(moment: datetime, now: datetime, tz: str) -> str:
    """14:02 today, 11-20 14:02 another day this year, else the full date."""
    local, today = to_local(moment, tz), to_local(now, tz)
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------- recipients


def find_unit(session: Session, site_id: int, code: str) -> Unit | None:
    """The unit with exactly this code (``3 2 1502`` and ``3-2-1502`` alike)."""
    norm = re.sub(r"[\s./\\_－—–]+", "-", code.strip()).strip("-")
    if not norm:
        return None
    return session.exec(select(Unit).where(Unit.site_id == site_id, Unit.code == norm)).first()


def unit_residents(session: Session, unit_id: int) -> list[Resident]:
    """Active residents of a unit, owners first (the default recipient is the first)."""
    rows = session.exec(
        select(Resident)
        .where(Resident.unit_id == unit_id, col(Resident.active).is_(True))
        .order_by(col(Resident.id))
    ).all()
    order = {"owner": 0, "tenant": 1}
    return sorted(rows, key=lambda r: (order.get(r.kind, 2), r.id or 0))


def resolve_recipient(
    session: Session,
    site_id: int,
    *,
    unit: str = "",
    unit_id: int | None = None,
    resident_id: int | None = None,
    name: str = "",
) -> tuple[Unit, Resident]:
    """P-1: the unit and the resident the item is for, or ``NotAResident``.

    With a name, it must be an active resident of that unit (by name, pinyin or
    initials); without one, the item is for the unit's first resident (owners first).
    """
    found = session.get(Unit, unit_id) if unit_id is not None else find_unit(session, site_id, unit)
    if found is None or found.site_id != site_id:
        raise NotAResident(t("parcels.err.unit_unknown", unit=unit or unit_id), field="unit")
    assert found.id is not None
    residents = unit_residents(session, found.id)
    if resident_id is not None:
        match = [r for r in residents if r.id == resident_id]
        if not match:
            raise NotAResident(
                t("parcels.err.not_resident", name=name or resident_id, unit=found.code),
                field="recipient",
            )
        return found, match[0]
    if name.strip():
        wanted = name.strip()
        low = re.sub(r"[\s']+", "", wanted).lower()
        match = [r for r in residents if r.name == wanted] or [
            r for r in residents if low and low in (r.pinyin, r.initials)
        ]
        if not match:
            raise NotAResident(
                t("parcels.err.not_resident", name=wanted, unit=found.code), field="recipient"
            )
        return found, match[0]
    if not residents:
        raise NotAResident(t("parcels.err.unit_vacant", unit=found.code), field="unit")
    return found, residents[0]


def set_do_not_notify(session: Session, resident_id: int, *, on: bool, note: str = "") -> Resident:
    """P-8: the resident asked not to be notified (or asked again to be); recorded."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(t("parcels.err.resident_unknown", id=resident_id))
    resident.do_not_notify = on
    resident.do_not_notify_note = note.strip()[:200] if on else ""
    session.add(resident)
    session.flush()
    return resident


# ---------------------------------------------------------------------------- check-in


@dataclass
class CheckInRequest:
    """What the desk types or scans for one item; empty fields take sensible defaults."""

    tracking: str
    unit: str = ""
    unit_id: int | None = None
    resident_id: int | None = None
    recipient_name: str = ""
    carrier: str | None = None
    kind: str | None = None
    shelf: str = ""
    pieces: int = 1
    damaged: bool = False
    damage_note: str = ""
    received_at: datetime | None = None
    #: False: no message (the resident is standing at the desk); default: notify
    notify: bool = True


@dataclass
class CheckInResult:
    parcel: Parcel
    unit_code: str
    recipient: str
    #: queued messages (one per channel); empty when suppressed or no channel configured
    notifications: list[Notification] = field(default_factory=list)
    #: P-8: not notified at the resident's request
    suppressed: bool = False


def clean_tracking(text: str) -> str:
    number = normalise(text)
    if not number:
        raise ValidationError(t("parcels.err.tracking_empty"), field="tracking")
    if not _TRACKING.match(number):
        raise ValidationError(t("parcels.err.tracking_invalid", tracking=text), field="tracking")
    return number


def find_duplicate(session: Session, site_id: int, tracking: str) -> Parcel | None:
    """The earlier record of this tracking number (refusals do not count)."""
    return session.exec(
        select(Parcel)
        .where(
            Parcel.site_id == site_id,
            Parcel.tracking == tracking,
            Parcel.status != ParcelStatus.REFUSED.value,
        )
        .order_by(col(Parcel.received_at).desc())
    ).first()


def duplicate_message(session: Session, parcel: Parcel, settings: Settings, now: datetime) -> str:
    return t(
        "parcels.err.duplicate",
        tracking=parcel.tracking,
        time=_when(parcel.received_at, now, settings.site.timezone),
        operator=_operator_label(session, parcel.received_by),
    )


def _check_fields(req: CheckInRequest, settings: Settings, now: datetime) -> tuple[str, str, str]:
    tracking = clean_tracking(req.tracking)
    guess = recognise(tracking)
    carrier = (req.carrier or guess.carrier).strip().lower()
    if carrier not in CARRIERS:
        raise ValidationError(t("parcels.err.carrier_unknown", carrier=carrier), field="carrier")
    kind = (req.kind or guess.kind or ("ems" if carrier == "ems" else "parcel")).strip().lower()
    if kind not in kinds():
        raise ValidationError(
            t("parcels.err.kind_unknown", kind=kind, kinds=", ".join(kinds())), field="kind"
        )
    if not 1 <= req.pieces <= MAX_PIECES:
        raise ValidationError(t("parcels.err.pieces", max=MAX_PIECES), field="pieces")
    req.damage_note = clean_text(
        req.damage_note, max_length=200, field="damage_note", label=t("parcels.field.damage_note")
    )
    if req.damaged and not req.damage_note:
        raise ValidationError(t("parcels.err.damage_note"), field="damage_note")
    if req.received_at is not None and req.received_at > now + timedelta(minutes=5):
        raise ValidationError(t("parcels.err.future"), field="received_at")
    return tracking, carrier, kind


def _shelf(req: CheckInRequest, settings: Settings) -> str:
    shelves = settings.parcels.shelves
    shelf = req.shelf.strip().upper() or (shelves[0] if shelves else "")
    if shelves and shelf not in shelves:
        raise ValidationError(
            t("parcels.err.shelf_unknown", shelf=shelf, shelves=", ".join(shelves)), field="shelf"
        )
    return shelf[:16]


def check_in(
    session: Session,
    settings: Settings,
    site_id: int,
    req: CheckInRequest,
    *,
    now: datetime | None = None,
) -> CheckInResult:
    """Record one item at the desk and queue its notification (sent later, off this thread).

    Raises ``DuplicateParcel`` (already checked in at 14:02 by 王芳), ``NotAResident``
    (P-1: refuse it with ``refuse``), or ``ValidationError`` for a bad field.
    """
    now = now or utcnow()
    tracking, carrier, kind = _check_fields(req, settings, now)
    existing = find_duplicate(session, site_id, tracking)
    if existing is not None:
        raise DuplicateParcel(duplicate_message(session, existing, settings, now), existing.id)
    unit, resident = resolve_recipient(
        session,
        site_id,
        unit=req.unit,
        unit_id=req.unit_id,
        resident_id=req.resident_id,
        name=req.recipient_name,
    )
    parcel = Parcel(
        site_id=site_id,
        tracking=tracking,
        carrier=carrier,
        kind=kind,
        unit_id=unit.id,
        resident_id=resident.id,
        recipient_name=resident.name,
        shelf=_shelf(req, settings),
        pieces=req.pieces,
        damaged=req.damaged,
        damage_note=req.damage_note if req.damaged else "",
        status=ParcelStatus.WAITING.value,
        received_at=req.received_at or now,
        received_by=actor_id(session),
    )
    session.add(parcel)
    session.flush()
    result = CheckInResult(parcel=parcel, unit_code=unit.code, recipient=resident.name)
    if not req.notify:
        return result
    title, body = _message(settings, "parcels.notify.checkin", parcel, unit.code, resident, now)
    assert parcel.id is not None
    if resident.do_not_notify:
        # P-8: honour the request, and record that we did
        parcel.notify_suppressed = True
        session.add(parcel)
        notify.record_suppressed(
            session,
            site_id=site_id,
            kind="checkin",
            title=title,
            body=body,
            note=resident.do_not_notify_note or t("parcels.dnd_default_note"),
            parcel_id=parcel.id,
            resident_id=resident.id,
            now=now,
        )
        result.suppressed = True
    else:
        result.notifications = notify.enqueue(
            session,
            settings,
            site_id=site_id,
            kind="checkin",
            title=title,
            body=body,
            urls=settings.notifications.urls,
            parcel_id=parcel.id,
            resident_id=resident.id,
            address=resident.phone,
            now=now,
        )
    session.flush()
    return result


def _message(
    settings: Settings,
    key: str,
    parcel: Parcel,
    unit_code: str,
    resident: Resident | None,
    now: datetime,
) -> tuple[str, str]:
    """The resident's message in the notification locale: item, carrier, shelf, desk hours."""
    locale = notify.notification_locale(settings)
    return notify.template(
        key,
        locale,
        site=settings.site.name,
        name=resident.name if resident else parcel.recipient_name,
        unit=unit_code,
        item=kind_label(parcel.kind, locale),
        carrier=carrier_label(parcel.carrier, locale),
        tracking=parcel.tracking,
        shelf=parcel.shelf or "-",
        pieces=parcel.pieces,
        hours=settings.parcels.desk_hours,
        days=waiting_days(parcel.received_at, now),
        received=to_local(parcel.received_at, settings.site.timezone).strftime("%m-%d %H:%M"),
    )


def refuse(
    session: Session,
    settings: Settings,
    site_id: int,
    req: CheckInRequest,
    reason: str,
    *,
    now: datetime | None = None,
) -> Parcel:
    """P-1: record an item refused at the door (the courier takes it back), with the reason."""
    now = now or utcnow()
    tracking = clean_tracking(req.tracking)
    reason = _reason(reason)
    unit = (
        session.get(Unit, req.unit_id)
        if req.unit_id is not None
        else find_unit(session, site_id, req.unit)
    )
    carrier = req.carrier if req.carrier in CARRIERS else recognise(tracking).carrier
    parcel = Parcel(
        site_id=site_id,
        tracking=tracking,
        carrier=carrier,
        kind=req.kind if req.kind in kinds() else ParcelKind.PARCEL.value,
        unit_id=unit.id if unit is not None else None,
        recipient_name=clean_text(req.recipient_name, max_length=40, field="recipient"),
        shelf="",
        pieces=max(1, min(req.pieces, MAX_PIECES)),
        status=ParcelStatus.REFUSED.value,
        received_at=now,
        received_by=actor_id(session),
        returned_at=now,
        returned_by=actor_id(session),
        return_reason=reason,
    )
    session.add(parcel)
    session.flush()
    return parcel


# ---------------------------------------------------------------------------- leaving the desk


def _reason(text: str) -> str:
    return clean_text(
        text, max_length=200, required=True, field="reason", label=t("parcels.field.reason")
    )


def _lock_waiting(
    session: Session, settings: Settings, site_id: int, ids: Sequence[int], now: datetime
) -> list[Parcel]:
    """The parcels, locked for this transaction; refuse the lot if any has already left."""
    if not ids:
        raise ValidationError(t("parcels.err.none_selected"), field="parcels")
    rows = list(
        session.exec(
            select(Parcel)
            .where(Parcel.site_id == site_id, col(Parcel.id).in_(list(ids)))
            .order_by(col(Parcel.id))
            .with_for_update()
        )
    )
    found = {p.id for p in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(t("parcels.err.not_found", id=missing[0]))
    for p in rows:
        if p.status != ParcelStatus.WAITING.value:
            when = p.picked_up_at or p.returned_at
            who = p.released_by if p.status == ParcelStatus.PICKED_UP.value else p.returned_by
            raise AlreadyReleased(
                t(
                    "parcels.err.already_left",
                    tracking=p.tracking,
                    status=t(f"parcels.status.{p.status}"),
                    time=_when(when, now, settings.site.timezone) if when else "?",
                    operator=_operator_label(session, who),
                ),
                field="parcels",
            )
    return rows


@dataclass
class Pickup:
    """Who collects and how they were identified (P-4). Only the ID's last 4 are kept."""

    by: str = "self"
    id_type: str = "id_card"
    id_last4: str = ""
    proxy_name: str = ""
    proxy_phone: str = ""

    def check(self) -> Pickup:
        by = self.by.strip().lower()
        if by not in PICKUP_BY:
            raise ValidationError(t("parcels.err.pickup_by", by=self.by), field="by")
        id_type = self.id_type.strip().lower()
        if id_type not in ID_TYPES:
            raise ValidationError(
                t("parcels.err.id_type", id_type=self.id_type, types=", ".join(ID_TYPES)),
                field="id_type",
            )
        last4 = normalise(self.id_last4)
        shape = _LAST4_ID_CARD if id_type == "id_card" else _LAST4
        if not shape.match(last4):
            # never the whole ID number, never a cut one: exactly its last four (P-4, A-4)
            key = "parcels.err.id_last4_card" if id_type == "id_card" else "parcels.err.id_last4"
            raise ValidationError(t(key), field="id_last4")
        name = clean_text(
            self.proxy_name,
            max_length=40,
            field="proxy_name",
            on_control="refuse",
            label=t("parcels.field.proxy_name"),
        )
        phone = re.sub(r"[\s\-()+]", "", self.proxy_phone)
        if by == "proxy":
            if not name:
                raise ValidationError(t("parcels.err.proxy_name"), field="proxy_name")
            if not (phone.isdigit() and 7 <= len(phone) <= 15):
                raise ValidationError(t("parcels.err.proxy_phone"), field="proxy_phone")
        else:
            name, phone = "", ""
        return Pickup(
            by=by, id_type=id_type, id_last4=last4, proxy_name=name[:40], proxy_phone=phone[:20]
        )


def proxy_liability(pickup: Pickup, locale: str | None = None) -> str:
    """P-5: the statement a proxy accepts, stored on the record as shown."""
    values = {"name": pickup.proxy_name, "phone": pickup.proxy_phone, "last4": pickup.id_last4}
    if locale:
        return t_in(locale, "parcels.proxy_liability", **values)
    return t("parcels.proxy_liability", **values)


def release(
    session: Session,
    settings: Settings,
    site_id: int,
    parcel_ids: Sequence[int],
    pickup: Pickup,
    *,
    now: datetime | None = None,
) -> list[Parcel]:
    """Hand items over (P-4, P-5): all of them or none; records operator, time and ID check.

    Raises ``AlreadyReleased`` if any has left the desk: an item is released once.
    """
    now = now or utcnow()
    checked = pickup.check()
    rows = _lock_waiting(session, settings, site_id, parcel_ids, now)
    note = proxy_liability(checked) if checked.by == "proxy" else ""
    for p in rows:
        p.status = ParcelStatus.PICKED_UP.value
        p.picked_up_at = now
        p.released_by = actor_id(session)
        p.pickup_by = checked.by
        p.id_type = checked.id_type
        p.id_last4 = checked.id_last4
        p.proxy_name = checked.proxy_name
        p.proxy_phone = checked.proxy_phone
        p.pickup_note = note[:300]
        p.version += 1
        session.add(p)
    session.flush()
    return rows


def return_to_sender(
    session: Session,
    settings: Settings,
    site_id: int,
    parcel_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> Parcel:
    """P-20: the item goes back to the sender (postman / courier), with the reason."""
    now = now or utcnow()
    reason = _reason(reason)
    (p,) = _lock_waiting(session, settings, site_id, [parcel_id], now)
    p.status = ParcelStatus.RETURNED.value
    p.returned_at = now
    p.returned_by = actor_id(session)
    p.return_reason = reason
    p.version += 1
    session.add(p)
    session.flush()
    return p


# ---------------------------------------------------------------------------- reminders


def clock_for(parcel: Parcel, settings: Settings) -> Clock:
    """The P-9 reminder clock of one item."""
    p = settings.parcels
    done = parcel.picked_up_at or parcel.returned_at
    return reminder_clock(
        received_at=parcel.received_at,
        last_reminded_at=parcel.last_reminded_at,
        done_at=done,
        remind_after_days=p.remind_after_days,
        remind_every_days=p.remind_every_days,
    )


@dataclass
class ReminderOutcome:
    parcel_id: int
    tracking: str
    unit: str
    recipient: str
    days: int
    reminder: int
    #: queued | suppressed | no_channel | due (dry run)
    action: str
    methods: list[str] = field(default_factory=list)


def due_reminders(
    session: Session, settings: Settings, site_id: int, now: datetime
) -> list[Parcel]:
    """Waiting items whose P-9 reminder clock is due, oldest first."""
    earliest = now - timedelta(
        days=min(settings.parcels.remind_after_days, settings.parcels.remind_every_days)
    )
    rows = session.exec(
        select(Parcel)
        .where(
            Parcel.site_id == site_id,
            Parcel.status == ParcelStatus.WAITING.value,
            col(Parcel.received_at) <= earliest,
        )
        .order_by(col(Parcel.received_at), col(Parcel.id))
    ).all()
    return [p for p in rows if reminder_due(clock_for(p, settings), now)]


def send_reminders(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[ReminderOutcome]:
    """P-9: queue a reminder for every item unclaimed past its clock; idempotent.

    Each reminder moves the item's clock a week on, so a second run the same day finds
    nothing. Without any channel configured nothing is recorded and the item stays due:
    the desk contacts the resident by hand (``record_contact``).
    """
    now = now or utcnow()
    outcomes: list[ReminderOutcome] = []
    for parcel in due_reminders(session, settings, site_id, now):
        assert parcel.id is not None
        unit = session.get(Unit, parcel.unit_id) if parcel.unit_id else None
        resident = session.get(Resident, parcel.resident_id) if parcel.resident_id else None
        unit_code = unit.code if unit else ""
        outcome = ReminderOutcome(
            parcel_id=parcel.id,
            tracking=parcel.tracking,
            unit=unit_code,
            recipient=parcel.recipient_name,
            days=waiting_days(parcel.received_at, now),
            reminder=parcel.reminders + 1,
            action="due",
        )
        outcomes.append(outcome)
        if dry_run:
            continue
        title, body = _message(
            settings, "parcels.notify.reminder", parcel, unit_code, resident, now
        )
        if resident is not None and resident.do_not_notify:
            notify.record_suppressed(
                session,
                site_id=site_id,
                kind="reminder",
                title=title,
                body=body,
                note=resident.do_not_notify_note or t("parcels.dnd_default_note"),
                parcel_id=parcel.id,
                resident_id=resident.id,
                now=now,
            )
            outcome.action = "suppressed"
        else:
            rows = notify.enqueue(
                session,
                settings,
                site_id=site_id,
                kind="reminder",
                title=title,
                body=body,
                urls=settings.notifications.urls,
                parcel_id=parcel.id,
                resident_id=parcel.resident_id,
                address=resident.phone if resident else "",
                now=now,
            )
            if not rows:
                outcome.action = "no_channel"
                continue
            outcome.action = "queued"
            outcome.methods = [r.method for r in rows]
        parcel.reminders += 1
        parcel.last_reminded_at = now
        session.add(parcel)
    session.flush()
    return outcomes


def record_contact(
    session: Session,
    settings: Settings,
    site_id: int,
    parcel_id: int,
    *,
    method: str,
    note: str = "",
    slip: int | None = None,
    now: datetime | None = None,
) -> Parcel:
    """P-9 / P-13: the desk phoned, visited or left a note; recorded as a reminder.

    A ``notice`` uses the next numbered notice slip (P-15, ``shiftdesk.slips``); ``slip``
    is the serial read off the pad, checked to be that one.
    """
    now = now or utcnow()
    if method not in CONTACT_METHODS:
        raise ValidationError(
            t("parcels.err.method", method=method, methods=", ".join(CONTACT_METHODS)),
            field="method",
        )
    (parcel,) = _lock_waiting(session, settings, site_id, [parcel_id], now)
    assert parcel.id is not None
    text = clean_text(note, max_length=200, field="note", label=t("parcels.field.note"))
    if method == "notice":
        from shiftdesk import slips

        used = slips.issue(session, settings, parcel, serial=slip, now=now)
        text = f"No. {used.serial}" + (f" {text}" if text else "")
    notify.record_contact(
        session,
        site_id=site_id,
        kind="reminder",
        method=method,
        note=text,
        parcel_id=parcel.id,
        resident_id=parcel.resident_id,
        operator_id=actor_id(session),
        now=now,
    )
    parcel.reminders += 1
    parcel.last_reminded_at = now
    session.add(parcel)
    session.flush()
    return parcel


# ---------------------------------------------------------------------------- reading


@dataclass
class ParcelRow:
    """One line of the parcel lists (screen, ``parcels list``)."""

    id: int
    tracking: str
    carrier: str
    kind: str
    unit: str
    unit_id: int | None
    recipient: str
    shelf: str
    pieces: int
    damaged: bool
    damage_note: str
    status: str
    received_at: datetime
    received_by: str
    age_days: int
    reminders: int
    last_reminded_at: datetime | None
    next_reminder_at: datetime | None
    overdue: bool
    urgent: bool
    notice: str
    picked_up_at: datetime | None
    pickup_by: str
    proxy_name: str
    returned_at: datetime | None
    return_reason: str

    def as_json(self) -> dict[str, object]:
        data = dict(self.__dict__)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data["parcel_id"] = data.pop("id")
        return data


def notice_status(session: Session, parcel_ids: Sequence[int]) -> dict[int, str]:
    """Per parcel, the state of its notifications: failed/gave_up win, then pending ..."""
    if not parcel_ids:
        return {}
    rows = session.exec(
        select(Notification.parcel_id, Notification.status).where(
            col(Notification.parcel_id).in_(list(parcel_ids))
        )
    ).all()
    rank = {
        NotificationStatus.GAVE_UP.value: 0,
        NotificationStatus.FAILED.value: 1,
        NotificationStatus.SENDING.value: 2,
        NotificationStatus.PENDING.value: 3,
        NotificationStatus.SENT.value: 4,
        NotificationStatus.SUPPRESSED.value: 5,
    }
    out: dict[int, str] = {}
    for pid, status in rows:
        if pid is None:
            continue
        if pid not in out or rank.get(status, 9) < rank.get(out[pid], 9):
            out[pid] = status
    return out


def list_parcels(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    waiting: bool = False,
    overdue_only: bool = False,
    unit_ids: Sequence[int] | None = None,
    status: str | None = None,
    now: datetime | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> list[ParcelRow]:
    """Parcels newest first (overdue: oldest first), with everything the lists show."""
    now = now or utcnow()
    stmt = (
        select(Parcel, Unit.code)
        .join(Unit, col(Unit.id) == col(Parcel.unit_id), isouter=True)
        .where(Parcel.site_id == site_id)
    )
    if waiting or overdue_only:
        stmt = stmt.where(Parcel.status == ParcelStatus.WAITING.value)
    if status:
        stmt = stmt.where(Parcel.status == status)
    if overdue_only:
        cutoff = now - timedelta(days=settings.parcels.remind_after_days)
        stmt = stmt.where(col(Parcel.received_at) <= cutoff)
        stmt = stmt.order_by(col(Parcel.received_at), col(Parcel.id))
    else:
        stmt = stmt.order_by(col(Parcel.received_at).desc(), col(Parcel.id).desc())
    if unit_ids is not None:
        stmt = stmt.where(col(Parcel.unit_id).in_(list(unit_ids)))
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.exec(stmt).all()
    ids = [p.id for p, _ in rows if p.id is not None]
    notices = notice_status(session, ids)
    labels: dict[int | None, str] = {}
    out: list[ParcelRow] = []
    for p, code in rows:
        assert p.id is not None
        if p.received_by not in labels:
            labels[p.received_by] = _operator_label(session, p.received_by)
        clock = clock_for(p, settings)
        is_waiting = p.status == ParcelStatus.WAITING.value
        out.append(
            ParcelRow(
                id=p.id,
                tracking=p.tracking,
                carrier=p.carrier,
                kind=p.kind,
                unit=code or "",
                unit_id=p.unit_id,
                recipient=p.recipient_name,
                shelf=p.shelf,
                pieces=p.pieces,
                damaged=p.damaged,
                damage_note=p.damage_note,
                status=p.status,
                received_at=p.received_at,
                received_by=labels[p.received_by],
                age_days=waiting_days(p.received_at, p.picked_up_at or p.returned_at or now),
                reminders=p.reminders,
                last_reminded_at=p.last_reminded_at,
                next_reminder_at=clock.due_at if is_waiting else None,
                overdue=is_waiting
                and overdue(
                    received_at=p.received_at,
                    done_at=None,
                    now=now,
                    remind_after_days=settings.parcels.remind_after_days,
                ),
                urgent=is_urgent(p.kind, p.carrier),
                notice="suppressed" if p.notify_suppressed else notices.get(p.id, ""),
                picked_up_at=p.picked_up_at,
                pickup_by=p.pickup_by,
                proxy_name=p.proxy_name,
                returned_at=p.returned_at,
                return_reason=p.return_reason,
            )
        )
    return out


def find_for_pickup(
    session: Session, settings: Settings, site_id: int, query: str, *, now: datetime | None = None
) -> tuple[list[ParcelRow], int | None]:
    """Waiting items for a scanned tracking number, a unit, a name or a phone.

    A tracking number brings up every waiting item of that parcel's unit (they are usually
    collected together) and returns that parcel's id as the second value, to pre-select it.
    """
    query = query.strip()
    if not query:
        return [], None
    number = normalise(query)
    hit = session.exec(
        select(Parcel).where(
            Parcel.site_id == site_id,
            Parcel.tracking == number,
            Parcel.status == ParcelStatus.WAITING.value,
        )
    ).first()
    if hit is not None:
        units = [hit.unit_id] if hit.unit_id is not None else []
        rows = list_parcels(session, settings, site_id, waiting=True, unit_ids=units, now=now)
        return rows, hit.id
    unit = find_unit(session, site_id, query)
    if unit is not None and unit.id is not None:
        return list_parcels(
            session, settings, site_id, waiting=True, unit_ids=[unit.id], now=now
        ), None
    from shiftdesk.lookup import lookup

    unit_ids = list(
        dict.fromkeys(
            h.unit_id for h in lookup(session, site_id, query, limit=20) if h.unit_id is not None
        )
    )
    if not unit_ids:
        return [], None
    return list_parcels(session, settings, site_id, waiting=True, unit_ids=unit_ids, now=now), None


def record_pickup_reads(session: Session, site_id: int, rows: Sequence[ParcelRow]) -> list[int]:
    """A-6: the pickup list shows each addressee's name and unit so the desk can check the
    collector's identity: a read of their record, logged once per resident shown.

    Call it in a write transaction from the screen that shows ``rows``; returns the ids of
    the residents recorded.
    """
    from shiftdesk.trail import record_resident_read

    ids = [r.id for r in rows]
    if not ids:
        return []
    resident_ids = sorted(
        {
            rid
            for rid in session.exec(
                select(Parcel.resident_id).where(Parcel.site_id == site_id, col(Parcel.id).in_(ids))
            ).all()
            if rid is not None
        }
    )
    for rid in resident_ids:
        record_resident_read(session, rid, site_id=site_id, where="parcel pickup")
    return resident_ids


def waiting_by_shelf(session: Session, site_id: int) -> dict[str, int]:
    """H-12: items waiting at the desk, counted by shelf (for the handover digest).

    Counts items (records), not pieces; an item without a shelf is under ``""``.
    """
    rows = session.exec(
        select(Parcel.shelf, func.count())
        .where(Parcel.site_id == site_id, Parcel.status == ParcelStatus.WAITING.value)
        .group_by(Parcel.shelf)
        .order_by(Parcel.shelf)
    ).all()
    return {shelf or "": int(n) for shelf, n in rows}


def get_parcel(session: Session, site_id: int, parcel_id: int) -> Parcel:
    parcel = session.get(Parcel, parcel_id)
    if parcel is None or parcel.site_id != site_id:
        raise NotFound(t("parcels.err.not_found", id=parcel_id))
    return parcel
