"""The duty log (H-8, H-9): notes, events, incident reports, corrections, the timeline.

Entries are appended to the site's hash chain (``shiftdesk.chain``) and never edited or
deleted: a correction is a new entry pointing at the one it corrects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from shiftdesk import chain
from shiftdesk.config import Settings
from shiftdesk.db import Actor
from shiftdesk.errors import ValidationError
from shiftdesk.handover.shifts import _new_entry, _require_open, shift_entries
from shiftdesk.handover.text import (
    _category_label,
    _priority_label,
    _trade_label,
    entry_text,
    kind_label,
)
from shiftdesk.i18n import t
from shiftdesk.models import (
    Call,
    HandoverEntry,
    Parcel,
    Shift,
    Unit,
    WorkOrder,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.sites import operator_names
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import utcnow

#: H-8: what must be logged (stable keys; the screens translate them)
EVENT_KINDS = (
    "owner_complaint",
    "public_order",
    "accident",  # wind, fire, water or electricity
    "staff_violation",
    "occupancy_change",  # move-in, change of occupants
    "other",
)

#: H-9 / E-*: special-incident categories and the rule each one comes from
INCIDENT_CATEGORIES: dict[str, str] = {
    "fire": "E-2",
    "power_cut": "E-3",
    "water_cut": "E-3",
    "lift_entrapment": "E-4",
    "flooding": "E-5",
    "severe_weather": "E-6",
    "injury": "E-7",
    "lost_property": "E-9",
    "other": "E-8",
}

#: entry kinds an operator writes in the duty log
LOG_KINDS = (EntryKind.NOTE, EntryKind.EVENT, EntryKind.INCIDENT, EntryKind.CORRECTION)


# ---------------------------------------------------------------------------- the log


def _check_photos(photos: Iterable[str]) -> list[str]:
    paths = [p.strip() for p in photos if p and p.strip()]
    for path in paths:
        if not Path(path).expanduser().is_file():
            raise ValidationError(t("handover.error.photo_missing", path=path), field="photos")
    return paths


def split_photos(text: str) -> list[str]:
    """Photo paths as typed: separated by newlines, commas or semicolons."""
    for sep in (",", ";"):
        text = text.replace(sep, "\n")
    return [p.strip() for p in text.splitlines() if p.strip()]


def add_entry(
    session: Session,
    shift: Shift,
    *,
    author: Actor,
    kind: str,
    body: str,
    category: str = "",
    location: str = "",
    actions: str = "",
    notified: str = "",
    photos: Sequence[str] = (),
    corrects_id: int | None = None,
    at: datetime | None = None,
) -> HandoverEntry:
    """Add a note, an H-8 event, an H-9 incident report or a correction to the duty log.

    ``at`` is for importing a past log (the demo); the screens always stamp "now".
    """
    _require_open(shift)
    if author.id is None:
        raise ValidationError(t("handover.error.needs_operator"))
    try:
        entry_kind = EntryKind(kind)
    except ValueError:
        entry_kind = None
    if entry_kind not in LOG_KINDS:
        raise ValidationError(
            t("handover.error.bad_kind", kind=kind, allowed=", ".join(k.value for k in LOG_KINDS)),
            field="kind",
        )
    body = strip_controls(body, multiline=True)
    if not body:
        raise ValidationError(t("handover.error.body_required"), field="body")
    if len(body) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="body")
    category = category.strip()
    location = strip_controls(location)
    actions = strip_controls(actions, multiline=True)
    notified = strip_controls(notified)
    if entry_kind is EntryKind.EVENT:
        if category not in EVENT_KINDS:
            raise ValidationError(
                t("handover.error.bad_event", kind=category, allowed=", ".join(EVENT_KINDS)),
                field="category",
            )
    elif entry_kind is EntryKind.INCIDENT:
        # H-9: a special-incident report says what, where, what was done and who was told
        if category not in INCIDENT_CATEGORIES:
            raise ValidationError(
                t(
                    "handover.error.bad_incident",
                    kind=category,
                    allowed=", ".join(INCIDENT_CATEGORIES),
                ),
                field="category",
            )
        if not location:
            raise ValidationError(t("handover.error.location_required"), field="location")
        if not actions:
            raise ValidationError(t("handover.error.actions_required"), field="actions")
    else:
        category = ""
    if len(location) > 120:
        raise ValidationError(t("handover.error.too_long", max=120), field="location")
    if len(actions) > 2000:
        raise ValidationError(t("handover.error.too_long", max=2000), field="actions")
    if len(notified) > 500:
        raise ValidationError(t("handover.error.too_long", max=500), field="notified")
    paths = _check_photos(photos) if entry_kind is EntryKind.INCIDENT else []
    photo_text = "\n".join(paths)
    if len(photo_text) > 2000:
        raise ValidationError(t("handover.error.too_long", max=2000), field="photos")
    if entry_kind is EntryKind.CORRECTION:
        if corrects_id is None:
            raise ValidationError(t("handover.error.correction_target"), field="corrects_id")
        target = session.get(HandoverEntry, corrects_id)
        if (
            target is None
            or target.site_id != shift.site_id
            or target.kind not in {k.value for k in LOG_KINDS}
        ):
            raise ValidationError(t("handover.error.correction_target"), field="corrects_id")
    elif corrects_id is not None:
        raise ValidationError(t("handover.error.correction_target"), field="corrects_id")
    entry = _new_entry(
        shift,
        author,
        entry_kind,
        at=at or utcnow(),
        category=category,
        body=body,
        location=location,
        actions=actions,
        notified=notified,
        photos=photo_text,
        corrects_id=corrects_id,
    )
    return chain.append(session, entry)


@dataclass
class TimelineRow:
    """One line of a shift's timeline: a log entry or a record made on another screen."""

    at: datetime
    source: str  # log | call | order | parcel | pickup
    ref: str  # "#12" for an entry, "Call 5", "Order 7", a tracking number ...
    kind: str  # translated kind / category
    text: str
    author: str = ""
    entry_id: int | None = None
    #: the log entry's kind (note, event, incident ...); empty for other records
    entry_kind: str = ""
    #: ids of entries correcting this one, and the entry this one corrects
    corrected_by: list[int] = field(default_factory=list)
    corrects_id: int | None = None


def _window(shift: Shift, now: datetime) -> tuple[datetime, datetime]:
    return shift.opened_at, shift.closed_at or now


def timeline(
    session: Session,
    settings: Settings,
    shift: Shift,
    *,
    now: datetime | None = None,
    limit: int = 500,
) -> list[TimelineRow]:
    """The shift's log plus the calls, orders and parcels recorded during it, oldest first."""
    now = now or utcnow()
    assert shift.id is not None
    entries = shift_entries(session, shift.id)
    names = operator_names(session, (e.author_id for e in entries))
    seq_of = {e.id: e.seq for e in entries if e.id is not None}
    corrected: dict[int, list[int]] = defaultdict(list)
    for e in entries:
        if e.corrects_id is not None:
            corrected[e.corrects_id].append(e.seq)
    rows = [
        TimelineRow(
            at=e.at,
            source="log",
            ref=f"#{e.seq}",
            kind=kind_label(e),
            text=entry_text(e, seq_of),
            author=names.get(e.author_id or -1, ""),
            entry_id=e.id,
            entry_kind=e.kind,
            corrected_by=corrected.get(e.id or -1, []),
            corrects_id=e.corrects_id,
        )
        for e in entries
        if e.kind != EntryKind.ACK.value
    ]
    start, end = _window(shift, now)
    site = shift.site_id
    for call, unit in session.exec(
        select(Call, Unit)
        .join(Unit, col(Unit.id) == Call.unit_id, isouter=True)
        .where(Call.site_id == site, Call.received_at >= start, Call.received_at < end)
        .order_by(col(Call.received_at).desc())
        .limit(limit)
    ):
        where = unit.code if unit else call.location
        rows.append(
            TimelineRow(
                at=call.received_at,
                source="call",
                ref=t("handover.ref.call", id=call.id),
                kind=f"{t('handover.source.call')}: {_category_label(call.category)}",
                text=" · ".join(x for x in (where, call.caller_name, call.summary) if x),
            )
        )
    for order, unit in session.exec(
        select(WorkOrder, Unit)
        .join(Unit, col(Unit.id) == WorkOrder.unit_id, isouter=True)
        .where(
            WorkOrder.site_id == site, WorkOrder.reported_at >= start, WorkOrder.reported_at < end
        )
        .order_by(col(WorkOrder.reported_at).desc())
        .limit(limit)
    ):
        where = unit.code if unit else order.location
        rows.append(
            TimelineRow(
                at=order.reported_at,
                source="order",
                ref=t("handover.ref.order", id=order.id),
                kind=f"{t('handover.source.order')}: {_priority_label(order.priority)}",
                text=" · ".join(x for x in (where, _trade_label(order.trade), order.summary) if x),
            )
        )
    for parcel, unit in session.exec(
        select(Parcel, Unit)
        .join(Unit, col(Unit.id) == Parcel.unit_id, isouter=True)
        .where(Parcel.site_id == site, Parcel.received_at >= start, Parcel.received_at < end)
        .order_by(col(Parcel.received_at).desc())
        .limit(limit)
    ):
        rows.append(
            TimelineRow(
                at=parcel.received_at,
                source="parcel",
                ref=parcel.tracking,
                kind=t("handover.source.parcel"),
                text=" · ".join(
                    x
                    for x in (
                        unit.code if unit else "",
                        parcel.recipient_name,
                        f"{t('handover.field.shelf')} {parcel.shelf}" if parcel.shelf else "",
                    )
                    if x
                ),
            )
        )
    for parcel, unit in session.exec(
        select(Parcel, Unit)
        .join(Unit, col(Unit.id) == Parcel.unit_id, isouter=True)
        .where(
            Parcel.site_id == site,
            col(Parcel.picked_up_at).is_not(None),
            col(Parcel.picked_up_at) >= start,
            col(Parcel.picked_up_at) < end,
        )
        .order_by(col(Parcel.picked_up_at).desc())
        .limit(limit)
    ):
        assert parcel.picked_up_at is not None
        rows.append(
            TimelineRow(
                at=parcel.picked_up_at,
                source="pickup",
                ref=parcel.tracking,
                kind=t("handover.source.pickup"),
                text=" · ".join(x for x in (unit.code if unit else "", parcel.recipient_name) if x),
            )
        )
    rows.sort(key=lambda r: (r.at, r.source != "log"))
    return rows
