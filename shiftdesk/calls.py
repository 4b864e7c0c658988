"""Calls and visits (来电来访, domain §3): log, validate, search, edit.

``log_call`` is the one way a call is recorded, from the F2 form and from
``shiftdesk calls log`` alike. In the same transaction it opens what the category asks for:

- ``repair``: a work order through ``workorders.create_order`` (C-4, R-1), on the dispatch
  board at once; an emergency (R-14, a burst pipe) has priority ``emergency`` and the board
  puts it first;
- ``complaint``: a complaint classified under the site's scheme (C-5, CP-1..CP-11) with its
  clocks running from the time received.

A call received in the night hours (``calls.night_start``-``night_end``) is marked as taken
by the security control room (R-5 / C-8), and so is its work order.

Validation collects every problem at once, each on its form field (``CallErrors``), so the
form can show them all next to their fields and the command line can print them on one line.
Edits check the record's version (optimistic locking) and are audited with before/after by
the storage layer; a changed time received marks the call late-entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from shiftdesk import audit
from shiftdesk.clocks.workorders import OPEN_STAGES, is_night
from shiftdesk.complaints import ComplaintInput, check_input, open_complaint
from shiftdesk.config import Settings
from shiftdesk.db import actor_id
from shiftdesk.errors import ConflictError, NotFound, ValidationError
from shiftdesk.i18n import t
from shiftdesk.lookup import find_unit, normalise_phone, phone_digits
from shiftdesk.models import (
    Call,
    CallStatus,
    Category,
    Channel,
    Complaint,
    Parcel,
    ParcelStatus,
    Priority,
    Resident,
    Unit,
    WorkOrder,
)
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import as_utc, local_day_bounds, utcnow

#: stable keys on the command line, whatever the locale
CHANNELS = tuple(c.value for c in Channel)
CATEGORIES = tuple(c.value for c in Category)
PRIORITIES = tuple(p.value for p in Priority)
#: categories that need to know where: a unit, or a place outside / unknown
NEEDS_WHERE = ("repair", "complaint")
#: an event time may be this far ahead of this terminal's clock (clock skew between PCs)
FUTURE_SLACK = timedelta(minutes=2)
LOCATION_MAX = 120
ACTION_MAX = 1000


class CallErrors(ValidationError):
    """Several validation problems at once; ``errors`` holds one ValidationError per field."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("; ".join(e.message for e in errors), field=errors[0].field)
        self.errors = errors

    def by_field(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for err in self.errors:
            out.setdefault(err.field or "", err.message)
        return out


@dataclass
class RepairInput:
    trade: str = ""
    priority: str = "normal"
    #: in the home (户内) or a public area
    in_home: bool = True
    paid: bool = False
    spare_key_ok: bool = False
    leak: bool = False


@dataclass
class CallInput:
    """One call or visit as typed on the form or given on the command line."""

    channel: str
    category: str
    summary: str
    #: None: now. Earlier than the moment the form was opened: a late entry.
    received_at: datetime | None = None
    caller_name: str = ""
    caller_phone: str = ""
    #: a chosen unit (the lookup) or a unit code typed on the command line
    unit_id: int | None = None
    unit_code: str = ""
    resident_id: int | None = None
    #: the caller's unit is outside the estate or unknown; ``location`` says where, if known
    outside: bool = False
    location: str = ""
    action_taken: str = ""
    repair: RepairInput = field(default_factory=RepairInput)
    complaint: ComplaintInput = field(default_factory=ComplaintInput)
    #: True: entered after the fact (the form's time was edited); None: decided by the gap
    late_entry: bool | None = None


@dataclass
class LoggedCall:
    call: Call
    work_order: WorkOrder | None = None
    complaint: Complaint | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"call_id": self.call.id}
        if self.work_order is not None:
            out["work_order_id"] = self.work_order.id
        if self.complaint is not None:
            out["complaint_id"] = self.complaint.id
        return out


# ------------------------------------------------------------------------------ validation


def _err(key: str, fld: str, **values: Any) -> ValidationError:
    return ValidationError(t(key, **values), field=fld)


def validate(
    session: Session, site_id: int, data: CallInput, settings: Settings, *, now: datetime
) -> CallInput:
    """Check everything; return the input cleaned (phone normalised, unit resolved).

    Raises ``CallErrors`` listing every problem, each on its field.
    """
    cfg = settings.calls
    errors: list[ValidationError] = []
    clean = replace(
        data,
        summary=strip_controls(data.summary, multiline=True),
        caller_name=strip_controls(data.caller_name),
        location=strip_controls(data.location),
        action_taken=strip_controls(data.action_taken, multiline=True),
        unit_code=strip_controls(data.unit_code),
    )
    if clean.channel not in CHANNELS:
        errors.append(
            _err("calls.error.channel", "channel", value=clean.channel, allowed="|".join(CHANNELS))
        )
    if clean.category not in CATEGORIES:
        errors.append(
            _err(
                "calls.error.category",
                "category",
                value=clean.category,
                allowed="|".join(CATEGORIES),
            )
        )
    received = as_utc(clean.received_at) if clean.received_at is not None else now
    if received > now + FUTURE_SLACK:
        errors.append(_err("calls.error.future", "received_at"))
    clean.received_at = received
    # text
    if not clean.summary:
        errors.append(
            _err(f"calls.error.summary_required.{_summary_kind(clean.category)}", "summary")
        )
    elif len(clean.summary) > cfg.summary_max_length:
        errors.append(_err("calls.error.too_long", "summary", max=cfg.summary_max_length))
    if len(clean.caller_name) > cfg.name_max_length:
        errors.append(_err("calls.error.too_long", "caller_name", max=cfg.name_max_length))
    if len(clean.location) > LOCATION_MAX:
        errors.append(_err("calls.error.too_long", "location", max=LOCATION_MAX))
    if len(clean.action_taken) > ACTION_MAX:
        errors.append(_err("calls.error.too_long", "action_taken", max=ACTION_MAX))
    # phone
    try:
        clean.caller_phone = normalise_phone(clean.caller_phone)
    except ValidationError as exc:
        errors.append(ValidationError(exc.message, field="caller_phone"))
    # where
    chosen_unit = clean.unit_id  # picked in the lookup (an id), not typed as a code
    if clean.unit_id is None and clean.unit_code and not clean.outside:
        unit = find_unit(session, site_id, clean.unit_code)
        if unit is None:
            errors.append(_err("calls.error.unit_unknown", "unit", code=clean.unit_code))
        else:
            clean.unit_id = unit.id
    unit_site = resident_site = resident_unit = None
    if chosen_unit is not None or clean.resident_id is not None:
        # the sites of the chosen unit and resident: one small statement, no ORM objects
        # (a save is measured from Ctrl+S to the commit: docs/performance.md)
        unit_site, resident_site, resident_unit = (
            session.connection()
            .execute(_owners_query(), {"unit": chosen_unit, "resident": clean.resident_id})
            .one()
        )
    if chosen_unit is not None and unit_site != site_id:
        errors.append(_err("calls.error.unit_unknown", "unit", code=str(chosen_unit)))
    if clean.outside:
        clean.unit_id = None
        if clean.unit_code and not clean.location:
            clean.location = clean.unit_code
    if clean.resident_id is not None:
        if resident_site != site_id:
            clean.resident_id = None
        elif clean.unit_id is None and not clean.outside:
            clean.unit_id = resident_unit
    if clean.category in NEEDS_WHERE and clean.unit_id is None and not clean.outside:
        errors.append(_err("calls.error.where_required", "unit"))
    if (
        clean.category == "repair"
        and clean.unit_id is None
        and clean.outside
        and not (clean.location)
    ):
        errors.append(_err("calls.error.location_required", "location"))
    # what the category asks for
    if clean.category == "repair":
        rep = clean.repair
        if rep.trade not in settings.workorders.trades:
            errors.append(
                _err(
                    "calls.error.trade",
                    "trade",
                    value=rep.trade or "-",
                    allowed="|".join(settings.workorders.trades),
                )
            )
        if rep.priority not in PRIORITIES:
            errors.append(
                _err(
                    "calls.error.priority",
                    "priority",
                    value=rep.priority or "-",
                    allowed="|".join(PRIORITIES),
                )
            )
    if clean.category == "complaint":
        if not clean.caller_name and not clean.caller_phone and clean.resident_id is None:
            # CP records: the complainant's name and contact, so the reply can reach them
            errors.append(_err("calls.error.complainant_contact", "caller_name"))
        errors.extend(check_input(clean.complaint, settings.complaints.scheme))
    if errors:
        raise CallErrors(errors)
    return clean


@cache
def _owners_query() -> Any:
    """(site of unit :unit, site of resident :resident, unit of resident :resident); NULL
    for an id that is not there. Built once: SQLAlchemy caches its compiled form."""
    from sqlalchemy import bindparam
    from sqlalchemy import select as core_select

    def one(column: Any, model: Any, name: str) -> Any:
        return core_select(column).where(model.id == bindparam(name)).scalar_subquery()

    return core_select(
        one(Unit.site_id, Unit, "unit"),
        one(Resident.site_id, Resident, "resident"),
        one(Resident.unit_id, Resident, "resident"),
    )


def _summary_kind(category: str) -> str:
    return category if category in ("repair", "complaint") else "other"


# ------------------------------------------------------------------------------ logging


def log_call(
    session: Session,
    site_id: int,
    data: CallInput,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> LoggedCall:
    """Validate and record a call, with its work order or complaint, in this transaction."""
    now = as_utc(now) if now is not None else utcnow()
    clean = validate(session, site_id, data, settings, now=now)
    received = clean.received_at or now
    late = clean.late_entry
    if late is None:
        late = now - received > timedelta(minutes=settings.calls.late_entry_minutes)
    night = is_night(received, settings)
    call = Call(
        site_id=site_id,
        received_at=received,
        entered_at=now,
        late_entry=late,
        channel=clean.channel,
        category=clean.category,
        caller_name=clean.caller_name,
        caller_phone=clean.caller_phone,
        unit_id=clean.unit_id,
        resident_id=clean.resident_id,
        location=clean.location,
        summary=clean.summary,
        action_taken=clean.action_taken,
        night=night,
        operator_id=actor_id(session),
    )
    session.add(call)
    session.flush()
    assert call.id is not None
    if late:
        audit.record(
            session,
            "late_entry",
            "call",
            call.id,
            site_id=site_id,
            note=f"received {received.isoformat()}, entered {now.isoformat()}",
        )
    logged = LoggedCall(call)
    if clean.category == "repair":
        from shiftdesk.workorders import create_order

        rep = clean.repair
        logged.work_order = create_order(
            session,
            site_id=site_id,
            reported_at=received,
            trade=rep.trade,
            priority=rep.priority,
            summary=clean.summary,
            unit_id=clean.unit_id,
            location=clean.location,
            in_home=rep.in_home and clean.unit_id is not None,
            paid=rep.paid,
            reporter_name=clean.caller_name,
            reporter_phone=clean.caller_phone,
            call_id=call.id,
            night=night,
            spare_key_ok=rep.spare_key_ok,
            leak=rep.leak,
            trades=settings.workorders.trades,
        )
        if rep.priority == "emergency":  # out of the building at once, if configured
            from shiftdesk.alarms import queue_emergency

            unit = session.get(Unit, clean.unit_id) if clean.unit_id is not None else None
            queue_emergency(session, settings, logged.work_order, unit.code if unit else "")
    elif clean.category == "complaint":
        logged.complaint = open_complaint(
            session, call=call, data=clean.complaint, settings=settings
        )
    return logged


# ------------------------------------------------------------------------------ reading


def get_call(session: Session, call_id: int, *, site_id: int | None = None) -> Call:
    call = session.get(Call, call_id)
    if call is None or (site_id is not None and call.site_id != site_id):
        raise NotFound(t("calls.error.not_found", id=call_id))
    return call


@dataclass
class CallRow:
    """A call with the names the list shows (unit code, linked order / complaint ids)."""

    call: Call
    unit_code: str = ""
    work_order_id: int | None = None
    complaint_id: int | None = None


def _rows(session: Session, calls: list[Call]) -> list[CallRow]:
    if not calls:
        return []
    ids = [c.id for c in calls]
    unit_ids = {c.unit_id for c in calls if c.unit_id is not None}
    codes = (
        dict(session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(unit_ids))).all())
        if unit_ids
        else {}
    )
    orders = dict(
        session.exec(
            select(WorkOrder.call_id, WorkOrder.id).where(col(WorkOrder.call_id).in_(ids))
        ).all()
    )
    complaints = dict(
        session.exec(
            select(Complaint.call_id, Complaint.id).where(col(Complaint.call_id).in_(ids))
        ).all()
    )
    return [
        CallRow(
            call=c,
            unit_code=codes.get(c.unit_id, "") if c.unit_id is not None else "",
            work_order_id=orders.get(c.id),
            complaint_id=complaints.get(c.id),
        )
        for c in calls
    ]


def calls_on(
    session: Session, site_id: int, day: date, tz: str, *, limit: int = 1000
) -> list[CallRow]:
    """The calls received on a calendar day of the site, newest first."""
    start, end = local_day_bounds(day, tz)
    calls = session.exec(
        select(Call)
        .where(Call.site_id == site_id, col(Call.received_at) >= start, col(Call.received_at) < end)
        .order_by(col(Call.received_at).desc(), col(Call.id).desc())
        .limit(limit)
    ).all()
    return _rows(session, list(calls))


def search(
    session: Session,
    site_id: int,
    *,
    text: str = "",
    day: date | None = None,
    tz: str = "UTC",
    limit: int = 200,
) -> list[CallRow]:
    """Calls whose summary, caller name, phone or unit code contain ``text``, on ``day``.

    Phone digits match with any separators (``138-0013`` finds 13800138000).
    """
    stmt = select(Call).where(Call.site_id == site_id)
    words = text.strip()
    if words:
        like = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions: list[Any] = [
            col(Call.summary).like(like, escape="\\"),
            col(Call.caller_name).like(like, escape="\\"),
            col(Call.location).like(like, escape="\\"),
            col(Call.action_taken).like(like, escape="\\"),
        ]
        digits = phone_digits(words)
        if len(digits) >= 3 and sum(ch.isdigit() for ch in words) >= len(words) / 2:
            conditions.append(col(Call.caller_phone).like(f"%{digits}%"))
        unit_ids = select(Unit.id).where(
            Unit.site_id == site_id, col(Unit.code).like(like, escape="\\")
        )
        conditions.append(col(Call.unit_id).in_(unit_ids))
        stmt = stmt.where(or_(*conditions))
    if day is not None:
        start, end = local_day_bounds(day, tz)
        stmt = stmt.where(col(Call.received_at) >= start, col(Call.received_at) < end)
    stmt = stmt.order_by(col(Call.received_at).desc(), col(Call.id).desc()).limit(limit)
    return _rows(session, list(session.exec(stmt).all()))


@dataclass
class History:
    """What the operator sees beside the form once a caller is chosen."""

    calls: list[CallRow]
    open_orders: list[WorkOrder]
    waiting_parcels: list[Parcel]
    open_complaints: list[Complaint]


def caller_history(
    session: Session,
    site_id: int,
    *,
    resident_id: int | None = None,
    unit_id: int | None = None,
    phone: str = "",
    limit: int = 5,
) -> History:
    """Last calls, open work orders, unclaimed parcels and open complaints of a caller/unit."""
    who: list[Any] = []
    if resident_id is not None:
        who.append(col(Call.resident_id) == resident_id)
    if unit_id is not None:
        who.append(col(Call.unit_id) == unit_id)
    if phone:
        who.append(col(Call.caller_phone) == phone)
    if not who:
        return History([], [], [], [])
    calls = session.exec(
        select(Call)
        .where(Call.site_id == site_id, or_(*who))
        .order_by(col(Call.received_at).desc())
        .limit(limit)
    ).all()
    orders: list[WorkOrder] = []
    parcels: list[Parcel] = []
    if unit_id is not None:
        orders = list(
            session.exec(
                select(WorkOrder)
                .where(
                    WorkOrder.site_id == site_id,
                    WorkOrder.unit_id == unit_id,
                    col(WorkOrder.stage).in_(OPEN_STAGES),
                )
                .order_by(col(WorkOrder.reported_at).desc())
                .limit(limit)
            ).all()
        )
    parcel_who: list[Any] = []
    if unit_id is not None:
        parcel_who.append(col(Parcel.unit_id) == unit_id)
    if resident_id is not None:
        parcel_who.append(col(Parcel.resident_id) == resident_id)
    if parcel_who:
        parcels = list(
            session.exec(
                select(Parcel)
                .where(
                    Parcel.site_id == site_id,
                    Parcel.status == ParcelStatus.WAITING.value,
                    or_(*parcel_who),
                )
                .order_by(col(Parcel.received_at).desc())
                .limit(limit)
            ).all()
        )
    complaint_calls = select(Call.id).where(Call.site_id == site_id, or_(*who))
    complaints = list(
        session.exec(
            select(Complaint)
            .where(
                col(Complaint.call_id).in_(complaint_calls),
                col(Complaint.status).in_(("open", "answered")),
            )
            .order_by(col(Complaint.received_at).desc())
            .limit(limit)
        ).all()
    )
    return History(_rows(session, list(calls)), orders, parcels, complaints)


# ------------------------------------------------------------------------------ editing

#: fields an edit may change (category and channel define the linked records: not editable)
EDITABLE = (
    "received_at",
    "caller_name",
    "caller_phone",
    "unit_id",
    "location",
    "summary",
    "action_taken",
    "result",
    "status",
)


def edit_call(
    session: Session,
    call_id: int,
    changes: dict[str, Any],
    settings: Settings,
    *,
    site_id: int | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Call:
    """Change a call; refuse if someone else changed it first (``ConflictError``).

    The storage layer audits the before/after values. Moving the time received marks the
    call late-entered and records that in the audit trail too.
    """
    call = get_call(session, call_id, site_id=site_id)
    if expected_version is not None and call.version != expected_version:
        raise ConflictError(t("calls.error.conflict", id=call_id))
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            t("calls.error.not_editable", fields=", ".join(unknown)), field=unknown[0]
        )
    cfg = settings.calls
    errors: list[ValidationError] = []
    values = dict(changes)
    now = as_utc(now) if now is not None else utcnow()  # the caller's clock by default
    for name, limit in (
        ("summary", cfg.summary_max_length),
        ("caller_name", cfg.name_max_length),
        ("location", LOCATION_MAX),
        ("action_taken", ACTION_MAX),
        ("result", ACTION_MAX),
    ):
        if name in values:
            values[name] = strip_controls(
                str(values[name]), multiline=name in ("summary", "action_taken", "result")
            )
            if len(values[name]) > limit:
                errors.append(_err("calls.error.too_long", name, max=limit))
    if "summary" in values and not values["summary"]:
        errors.append(_err("calls.error.summary_required.other", "summary"))
    if "caller_phone" in values:
        try:
            values["caller_phone"] = normalise_phone(str(values["caller_phone"]))
        except ValidationError as exc:
            errors.append(ValidationError(exc.message, field="caller_phone"))
    if "received_at" in values:
        values["received_at"] = as_utc(values["received_at"])
        if values["received_at"] > now + FUTURE_SLACK:
            errors.append(_err("calls.error.future", "received_at"))
    if values.get("unit_id") is not None:
        unit = session.get(Unit, values["unit_id"])
        if unit is None or unit.site_id != call.site_id:
            errors.append(_err("calls.error.unit_unknown", "unit", code=str(values["unit_id"])))
    if "status" in values and values["status"] not in tuple(s.value for s in CallStatus):
        errors.append(_err("calls.error.status", "status", value=values["status"]))
    if errors:
        raise CallErrors(errors)
    changed = {k: v for k, v in values.items() if getattr(call, k) != v}
    if not changed:
        return call
    for name, value in changed.items():
        setattr(call, name, value)
    if "received_at" in changed:
        call.late_entry = True
        call.night = is_night(call.received_at, settings)
    call.version += 1
    session.add(call)
    session.flush()
    if "received_at" in changed:
        audit.record(
            session,
            "late_entry",
            "call",
            call.id,
            site_id=call.site_id,
            note=f"time received changed to {call.received_at.isoformat()}",
        )
    return call
