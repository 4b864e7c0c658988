"""The customer file (客户档案, §11): who may view, enter and change it (A-4, roles in
``[customers]``), the read log of who opened a file or revealed a phone, when and why (A-6),
the file's own fields (emergency contact, P-8 preference, H-17 instructions) and the
history on one page (A-2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor
from shiftdesk.errors import ConfigError, ConflictError, NotFound, ValidationError
from shiftdesk.i18n import t
from shiftdesk.lookup import find_unit, format_phone, normalise_phone
from shiftdesk.models import (
    Building,
    Call,
    Callback,
    Complaint,
    CustomerFile,
    FileAccess,
    NotifyChannel,
    Parcel,
    Resident,
    Role,
    Unit,
    WorkOrder,
)
from shiftdesk.names import search_keys
from shiftdesk.privacy import mask_text
from shiftdesk.security import require_role
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import utcnow

#: what is permitted by role (A-4): the config key is ``<action>_role``; ``approver``
#: approves a borrowed or exported file and reads the read log (A-6)
ACTIONS = ("view", "enter", "change", "approver")


def role_for(settings: Settings, action: str) -> Role:
    value = getattr(settings.customers, f"{action}_role")
    try:
        return Role(value)
    except ValueError:
        raise ConfigError(
            t(
                "estate.error.bad_role",
                key=f"customers.{action}_role",
                value=value,
                allowed=", ".join(r.value for r in Role),
            )
        ) from None


def require(session: Session, settings: Settings, action: str) -> Actor:
    """Refuse unless the session's actor may ``action`` customer data (A-4)."""
    actor: Actor = session.info.get("actor", SYSTEM)
    require_role(actor, role_for(settings, action))
    return actor


# ------------------------------------------------------------------------------ records


def get_resident(session: Session, site_id: int, resident_id: int) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or resident.site_id != site_id:
        raise NotFound(t("estate.error.no_resident", id=resident_id))
    return resident


def get_unit(session: Session, site_id: int, code: str, *, pattern: str = "") -> Unit:
    """The unit as typed: ``1-1-402``, or with the site's ``pattern`` ``1栋1单元402`` too."""
    from shiftdesk.estate.columns import canonical_code

    unit = find_unit(session, site_id, (pattern and canonical_code(code, pattern)) or code)
    if unit is None:
        raise NotFound(t("estate.error.no_unit", unit=code))
    return unit


def mask_phone(digits: str) -> str:
    """``138****8000``: what a file shows until the phone is revealed (and logged)."""
    return mask_text(digits) if len(digits) >= 7 else digits


def _log_access(
    session: Session,
    resident: Resident,
    action: str,
    *,
    reason: str,
    now: datetime,
    approved_by: int | None = None,
) -> FileAccess:
    actor: Actor = session.info.get("actor", SYSTEM)
    assert resident.id is not None
    entry = FileAccess(
        site_id=resident.site_id,
        resident_id=resident.id,
        at=now,
        operator_id=actor.id,
        operator_name=actor.name,
        action=action,
        reason=reason[:200],
        approved_by_id=approved_by,
    )
    session.add(entry)
    session.flush()
    return entry


def _reason(reason: str) -> str:
    text = strip_controls(reason)
    if not text:
        raise ValidationError(t("estate.error.reason_required"), field="reason")
    return text


def history(session: Session, resident: Resident) -> dict[str, list[dict[str, Any]]]:
    """A-2: the resident's calls, work orders, complaints, callbacks and parcels, newest
    first (orders and complaints are the ones their calls raised)."""
    calls = session.exec(
        select(Call).where(Call.resident_id == resident.id).order_by(col(Call.received_at).desc())
    ).all()
    call_ids = [c.id for c in calls]
    orders = (
        session.exec(
            select(WorkOrder)
            .where(col(WorkOrder.call_id).in_(call_ids))
            .order_by(col(WorkOrder.reported_at).desc())
        ).all()
        if call_ids
        else []
    )
    complaints = (
        session.exec(
            select(Complaint)
            .where(col(Complaint.call_id).in_(call_ids))
            .order_by(col(Complaint.received_at).desc())
        ).all()
        if call_ids
        else []
    )
    order_ids = [o.id for o in orders]
    complaint_ids = [c.id for c in complaints]
    callbacks = (
        session.exec(
            select(Callback)
            .where(
                or_(
                    col(Callback.work_order_id).in_(order_ids),
                    col(Callback.complaint_id).in_(complaint_ids),
                )
            )
            .order_by(col(Callback.id).desc())
        ).all()
        if order_ids or complaint_ids
        else []
    )
    parcels = session.exec(
        select(Parcel)
        .where(Parcel.resident_id == resident.id)
        .order_by(col(Parcel.received_at).desc())
    ).all()
    return {
        "calls": [
            {"id": c.id, "at": c.received_at, "category": c.category, "summary": c.summary}
            for c in calls
        ],
        "orders": [
            {"id": o.id, "at": o.reported_at, "stage": o.stage, "summary": o.summary}
            for o in orders
        ],
        "complaints": [
            {"id": c.id, "at": c.received_at, "level": c.level, "status": c.status}
            for c in complaints
        ],
        "callbacks": [
            {"id": c.id, "kind": c.kind, "due_at": c.due_at, "done_at": c.done_at}
            for c in callbacks
        ],
        "parcels": [
            {"id": p.id, "at": p.received_at, "tracking": p.tracking, "status": p.status}
            for p in parcels
        ],
    }


def open_file(
    session: Session,
    settings: Settings,
    site_id: int,
    resident_id: int,
    *,
    reason: str,
    reveal: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The customer file on one page (A-2), phones masked unless ``reveal``; the read (and
    a reveal) goes in the read log with who, when and why (A-6). The screen's file view
    calls this with the reason the operator typed."""
    now = now or utcnow()
    require(session, settings, "view")
    why = _reason(reason)
    resident = get_resident(session, site_id, resident_id)
    _log_access(session, resident, "reveal" if reveal else "view", reason=why, now=now)
    unit = session.get(Unit, resident.unit_id)
    file = file_of(session, resident)

    def phone(digits: str) -> str:
        return digits if reveal else mask_phone(digits)

    return {
        "id": resident.id,
        "unit": unit.code if unit else "",
        "area": unit.area if unit else "",
        "name": resident.name,
        "role": resident.kind,
        "phones": [
            {"label": label, "phone": phone(p)}
            for label, p in (("phone", resident.phone), ("phone2", resident.phone2))
            if p
        ],
        "id_last4": resident.id_last4,
        "active": resident.active,
        "moved_in_on": resident.moved_in_on,
        "moved_out_on": resident.moved_out_on,
        "note": resident.note,
        "emergency": {
            "name": file.emergency_name if file else "",
            "relation": file.emergency_relation if file else "",
            "phone": phone(file.emergency_phone) if file else "",
        },
        "notify": {
            "channel": NotifyChannel.NONE.value
            if resident.do_not_notify
            else (file.notify_channel if file else NotifyChannel.SMS.value),
            "do_not_notify_note": resident.do_not_notify_note,
        },
        "special_instructions": file.special_instructions if file else "",
        "history": history(session, resident),
    }


def file_of(session: Session, resident: Resident) -> CustomerFile | None:
    return session.exec(select(CustomerFile).where(CustomerFile.resident_id == resident.id)).first()


def access_log(session: Session, site_id: int, resident_id: int | None = None) -> list[FileAccess]:
    """A-6: who read which file, when and why, newest first."""
    query = select(FileAccess).where(FileAccess.site_id == site_id)
    if resident_id is not None:
        query = query.where(FileAccess.resident_id == resident_id)
    return list(session.exec(query.order_by(col(FileAccess.at).desc())).all())


# ------------------------------------------------------------------------------ editing


class SharedPhone(ConflictError):
    """Another resident of the same unit has this phone: the caller asks, then confirms."""


def _phones(values: list[str]) -> list[str]:
    out = []
    for value in values:
        if value.strip():
            out.append(normalise_phone(value))
    if len(out) > 2:
        raise ValidationError(t("estate.error.phones_max"), field="phone")
    return list(dict.fromkeys(out))


def _check_shared(
    session: Session, resident: Resident, phones: list[str], *, confirmed: bool
) -> None:
    if confirmed or not phones:
        return
    others = session.exec(
        select(Resident).where(
            Resident.unit_id == resident.unit_id,
            col(Resident.active).is_(True),
            or_(col(Resident.phone).in_(phones), col(Resident.phone2).in_(phones)),
        )
    ).all()
    for other in others:
        if other.id != resident.id:
            unit = session.get(Unit, resident.unit_id)
            shared = other.phone if other.phone in phones else other.phone2
            raise SharedPhone(
                t(
                    "estate.error.shared_phone",
                    phone=format_phone(shared),
                    name=other.name,
                    unit=unit.code if unit else "",
                )
            )


def _name(text: str) -> str:
    name = strip_controls(text)
    if not name:
        raise ValidationError(t("estate.error.name_empty"), field="name")
    if len(name) > 40:
        raise ValidationError(t("estate.error.too_long", max=40), field="name")
    return name


def _kind(text: str) -> str:
    from shiftdesk.estate.roster import ROLES

    kind = ROLES.get(text.strip().lower(), "")
    if not kind:
        raise ValidationError(
            t("estate.error.role", value=text, allowed="owner, tenant, family, other"),
            field="role",
        )
    return kind


def add_resident(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    unit_code: str,
    name: str,
    phones: Sequence[str] = (),
    role: str = "owner",
    moved_in_on: date | None = None,
    confirmed: bool = False,
    now: datetime | None = None,
) -> Resident:
    """A new resident at an existing unit, with the import's checks; logged as a move-in."""
    from shiftdesk.estate.occupancy import move_in

    require(session, settings, "enter")
    unit = get_unit(session, site_id, unit_code, pattern=settings.estate.unit_pattern)
    assert unit.id is not None
    clean = _phones(list(phones))
    pinyin, initials = search_keys(_name(name))
    resident = Resident(
        site_id=site_id,
        unit_id=unit.id,
        name=_name(name),
        pinyin=pinyin,
        initials=initials,
        phone=clean[0] if clean else "",
        phone2=clean[1] if len(clean) > 1 else "",
        kind=_kind(role),
        created_at=now or utcnow(),
    )
    _check_shared(session, resident, clean, confirmed=confirmed)
    return move_in(session, settings, resident, on=moved_in_on, now=now)


#: what ``edit_resident`` changes, and where it is kept
RESIDENT_FIELDS = ("name", "phones", "role", "id_last4", "note", "do_not_notify_note")
FILE_FIELDS = (
    "emergency_name",
    "emergency_relation",
    "emergency_phone",
    "notify_channel",
    "special_instructions",
)


def edit_resident(
    session: Session,
    settings: Settings,
    site_id: int,
    resident_id: int,
    *,
    changes: dict[str, Any],
    confirmed: bool = False,
    now: datetime | None = None,
) -> Resident:
    """Change a resident and their file, with the import's checks; a phone another resident
    of the unit already has raises ``SharedPhone`` unless ``confirmed`` (it asks, it does
    not refuse). Every change is on the audit trail (the storage layer writes it)."""
    now = now or utcnow()
    require(session, settings, "change")
    resident = get_resident(session, site_id, resident_id)
    if "name" in changes:
        resident.name = _name(changes["name"])
        resident.pinyin, resident.initials = search_keys(resident.name)
    if "phones" in changes:
        clean = _phones(list(changes["phones"]))
        _check_shared(session, resident, clean, confirmed=confirmed)
        resident.phone = clean[0] if clean else ""
        resident.phone2 = clean[1] if len(clean) > 1 else ""
    if "role" in changes:
        resident.kind = _kind(changes["role"])
    if "id_last4" in changes:
        from shiftdesk.estate.roster import _id_last4

        try:
            resident.id_last4 = _id_last4(changes["id_last4"])
        except ValueError:
            raise ValidationError(
                t("estate.error.id_last4", value=changes["id_last4"]), field="id_last4"
            ) from None
    if "note" in changes:
        resident.note = strip_controls(changes["note"])[:500]
    file_changes = {k: v for k, v in changes.items() if k in FILE_FIELDS}
    if "notify_channel" in file_changes:
        channel = file_changes["notify_channel"]
        if channel not in {c.value for c in NotifyChannel}:
            raise ValidationError(
                t(
                    "estate.error.channel",
                    value=channel,
                    allowed=", ".join(c.value for c in NotifyChannel),
                ),
                field="notify_channel",
            )
        # P-8: "do not notify" is the resident's own flag, which the parcel desk reads
        resident.do_not_notify = channel == NotifyChannel.NONE.value
    if "do_not_notify_note" in changes:
        resident.do_not_notify_note = strip_controls(changes["do_not_notify_note"])[:200]
    if file_changes:
        file = file_of(session, resident)
        if file is None:
            assert resident.id is not None
            file = CustomerFile(site_id=resident.site_id, resident_id=resident.id)
            session.add(file)
        if "emergency_phone" in file_changes:
            file_changes["emergency_phone"] = normalise_phone(file_changes["emergency_phone"])
        if "special_instructions" in file_changes:
            file_changes["special_instructions"] = strip_controls(
                file_changes["special_instructions"], multiline=True
            )[:2000]
        for key, value in file_changes.items():
            setattr(file, key, value if key != "emergency_name" else strip_controls(value)[:40])
        file.updated_at = now
    session.add(resident)
    session.flush()
    return resident


# ------------------------------------------------------------------------------ units


def add_unit(
    session: Session, settings: Settings, site_id: int, code: str, *, area: str = ""
) -> Unit:
    """A unit in the site's own form (``[estate] unit_pattern``), its building created if new."""
    from decimal import InvalidOperation

    from shiftdesk.estate.columns import UnitFormError, parse_unit
    from shiftdesk.estate.roster import _area

    require(session, settings, "enter")
    try:
        parsed = parse_unit(code, pattern=settings.estate.unit_pattern)
    except UnitFormError as err:
        raise ValidationError(
            t(err.key, value=code, pattern=settings.estate.unit_pattern), field="unit"
        ) from None
    if find_unit(session, site_id, parsed.code) is not None:
        raise ValidationError(t("estate.error.unit_exists", unit=parsed.code), field="unit")
    try:
        clean_area = _area(area)
    except (InvalidOperation, ValueError):
        raise ValidationError(t("estate.error.area", value=area), field="area") from None
    building = session.exec(
        select(Building).where(Building.site_id == site_id, Building.code == parsed.building)
    ).first()
    if building is None:
        building = Building(site_id=site_id, code=parsed.building, name=parsed.building)
        session.add(building)
        session.flush()
    assert building.id is not None
    unit = Unit(
        site_id=site_id,
        building_id=building.id,
        code=parsed.code,
        entrance=parsed.entrance,
        floor=parsed.floor,
        room=parsed.room,
        area=clean_area,
    )
    session.add(unit)
    session.flush()
    return unit


def list_units(session: Session, site_id: int, prefix: str = "") -> list[dict[str, Any]]:
    """Units in the A-7 order (building, floor, room), with how many live there now."""
    query = select(Unit).where(Unit.site_id == site_id)
    if prefix:
        query = query.where(col(Unit.code).startswith(prefix))
    units = session.exec(query).all()
    counts: dict[int, int] = {}
    for unit_id in session.exec(
        select(Resident.unit_id).where(Resident.site_id == site_id, col(Resident.active).is_(True))
    ).all():
        counts[unit_id] = counts.get(unit_id, 0) + 1

    def order(u: Unit) -> tuple[Any, ...]:
        b = building_sort(u.code.split("-")[0])
        return (b, u.entrance, u.floor, u.room)

    return [
        {
            "unit": u.code,
            "floor": u.floor,
            "area": u.area,
            "residents": counts.get(u.id or 0, 0),
        }
        for u in sorted(units, key=order)
    ]


def building_sort(code: str) -> tuple[int, str]:
    return (int(code), "") if code.isdigit() else (10**9, code)
