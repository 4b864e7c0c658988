"""The shift handover (交接班, domain §2): shifts, the duty log, the digest, signatures.

A shift belongs to one desk (site + ``site.desk``) and one configured period (day
08:00–20:00, night 20:00–08:00); one shift per desk is open at a time. Everything that
happens in it is a ``HandoverEntry`` appended to the site's hash chain (``shiftdesk.chain``):

* the duty log: notes, H-8 events, H-9 special-incident reports (E-* categories) and
  corrections (a correction is a new entry pointing at the one it corrects: entries are
  never edited or deleted);
* the handover (H-5): the digest, built from live data with no typing, plus the outgoing
  operator's special instructions (特别交待). Important unfinished work blocks it (H-6)
  unless a supervisor overrides, with a reason;
* the incoming operator's acknowledgements (one per digest item), questions (H-2, H-4)
  and the outgoing operator's answers, and the mandatory parcel count (H-12);
* the two PIN signatures (H-6), which close the shift and open the next, and the
  supervisor's daily countersign (H-7).

Roles and identities are checked here, not only in the screens: a script cannot do what
the screen would refuse. Callers authenticate operators (``security.sign_in``) and pass
their ``Actor``. Every function takes a session (use ``db.transact`` for writes) and
reads "now" only through ``timeutil.utcnow``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from shiftdesk import audit, chain
from shiftdesk.clocks import Clock, ClockState
from shiftdesk.clocks import complaints as complaint_clocks
from shiftdesk.clocks import workorders as wo_clocks
from shiftdesk.config import Settings
from shiftdesk.db import Actor
from shiftdesk.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from shiftdesk.i18n import has, t
from shiftdesk.models import (
    Call,
    Callback,
    Complaint,
    ComplaintStatus,
    HandoverEntry,
    Parcel,
    Role,
    Shift,
    ShiftStatus,
    Unit,
    WorkOrder,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.security import require_role
from shiftdesk.sites import operator_names
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import local_day_bounds, parse_hhmm, to_local, utcnow, zone

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

#: digest sections, in the order they are shown
SECTIONS = (
    "breached",
    "orders",
    "complaints",
    "callbacks",
    "parcels",
    "deposits",
    "incidents",
    "instructions",
)

#: open orders, as the dispatch board counts them (completed ones wait for the callback)
OPEN_STAGES = wo_clocks.OPEN_STAGES
#: H-6: an important order stops blocking once the work is done
DONE_STAGES = ("completed", "closed", "cancelled")
#: digest sections list at most this many records each; the rest is one summary item
SECTION_LIMIT = 200
PARCELS_KEY = "parcels"
INSTRUCTIONS_KEY = "instructions"


# ---------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """One occurrence of a configured shift period, in UTC."""

    name: str
    start: datetime
    end: datetime


def period_instances(settings: Settings, around: datetime) -> list[Period]:
    """The configured periods starting on the local day before, of, and after ``around``."""
    tz = zone(settings.site.timezone)
    today = to_local(around, tz).date()
    out: list[Period] = []
    for offset in (-1, 0, 1, 2):
        day = today + timedelta(days=offset)
        for name, spec in settings.shifts.periods.items():
            first, last = spec.split("-")
            start = datetime.combine(day, parse_hhmm(first), tzinfo=tz)
            end = datetime.combine(day, parse_hhmm(last), tzinfo=tz)
            if end <= start:
                end = datetime.combine(day + timedelta(days=1), parse_hhmm(last), tzinfo=tz)
            out.append(Period(name, start.astimezone(UTC), end.astimezone(UTC)))
    return sorted(out, key=lambda p: (p.start, p.name))


def period_for_opening(settings: Settings, now: datetime) -> Period:
    """The period a shift opened at ``now`` belongs to (H-1).

    A period starting within ``handover.early_open_minutes`` is opened early; otherwise the
    period running now is opened (late, if after its start); between periods, the nearest.
    """
    early = timedelta(minutes=settings.handover.early_open_minutes)
    periods = period_instances(settings, now)
    upcoming = [p for p in periods if now < p.start <= now + early]
    if upcoming:
        return upcoming[0]
    running = [p for p in periods if p.start <= now < p.end]
    if running:
        return running[-1]
    return min(periods, key=lambda p: abs((p.start - now).total_seconds()))


def period_after(settings: Settings, shift: Shift, now: datetime) -> Period:
    """The period that follows ``shift`` (night after day); if it is already over, now's."""
    periods = period_instances(settings, shift.period_start)
    later = [p for p in periods if p.start > shift.period_start]
    following = later[0] if later else period_for_opening(settings, now)
    if following.end <= now:
        return period_for_opening(settings, now)
    return following


def off_by_minutes(opened_at: datetime, period_start: datetime) -> int:
    """Negative: opened early; positive: late (whole minutes, rounded toward zero)."""
    return int((opened_at - period_start).total_seconds() / 60)


def period_label(name: str) -> str:
    key = f"shift.{name}"
    return t(key) if has(key) else name


def shift_label(shift: Shift, tz: str) -> str:
    """What the status bar shows: "Day 11-22 08:00–20:00"."""
    start = to_local(shift.period_start, tz)
    end = to_local(shift.period_end, tz)
    return f"{period_label(shift.name)} {start:%m-%d %H:%M}–{end:%H:%M}"


def shift_day(shift: Shift, tz: str) -> date:
    """The day a shift belongs to for the daily countersign (H-7): its start's local date."""
    return to_local(shift.period_start, tz).date()


# ---------------------------------------------------------------------------- shifts


def current_shift(session: Session, site_id: int, desk: str) -> Shift | None:
    """The open (or prepared) shift of a desk, if any."""
    return session.exec(
        select(Shift)
        .where(
            Shift.site_id == site_id,
            Shift.desk == desk,
            col(Shift.status).in_((ShiftStatus.OPEN.value, ShiftStatus.PREPARED.value)),
        )
        .order_by(col(Shift.id).desc())
    ).first()


def get_shift(session: Session, shift_id: int, site_id: int | None = None) -> Shift:
    shift = session.get(Shift, shift_id)
    if shift is None or (site_id is not None and shift.site_id != site_id):
        raise NotFound(t("handover.error.no_such_shift", id=shift_id))
    return shift


def _new_entry(shift: Shift, author: Actor | None, kind: EntryKind, **fields: Any) -> HandoverEntry:
    assert shift.id is not None
    return HandoverEntry(
        site_id=shift.site_id,
        shift_id=shift.id,
        at=fields.pop("at", None) or utcnow(),
        author_id=author.id if author else None,
        kind=kind.value,
        **fields,
    )


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def open_shift(
    session: Session,
    settings: Settings,
    *,
    site_id: int,
    holder: Actor,
    now: datetime | None = None,
    period: Period | None = None,
) -> Shift:
    """Open the desk's shift for ``holder``; refuse if one is already open (one per desk)."""
    now = now or utcnow()
    if holder.id is None or holder.is_system:
        raise ValidationError(t("handover.error.needs_operator"))
    chain._lock_site(session, site_id)  # no second terminal opens one at the same moment
    desk = settings.site.desk
    existing = current_shift(session, site_id, desk)
    if existing is not None:
        raise ConflictError(
            t(
                "handover.error.already_open",
                desk=desk,
                shift=shift_label(existing, settings.site.timezone),
            )
        )
    period = period or period_for_opening(settings, now)
    shift = Shift(
        site_id=site_id,
        desk=desk,
        name=period.name,
        period_start=period.start,
        period_end=period.end,
        opened_at=now,
        opened_off_by_minutes=off_by_minutes(now, period.start),
        status=ShiftStatus.OPEN.value,
        outgoing_id=holder.id,
    )
    session.add(shift)
    session.flush()
    body = {
        "desk": shift.desk,
        "name": shift.name,
        "period_start": chain._plain(shift.period_start),
        "period_end": chain._plain(shift.period_end),
        "opened_off_by_minutes": shift.opened_off_by_minutes,
    }
    chain.append(session, _new_entry(shift, holder, EntryKind.OPEN, at=now, body=_dump(body)))
    return shift


def ensure_shift(
    session: Session,
    settings: Settings,
    *,
    site_id: int,
    holder: Actor,
    now: datetime | None = None,
) -> tuple[Shift, bool]:
    """The desk's open shift, opened for ``holder`` if none is (signing in opens a shift)."""
    existing = current_shift(session, site_id, settings.site.desk)
    if existing is not None:
        return existing, False
    return open_shift(session, settings, site_id=site_id, holder=holder, now=now), True


def _require_open(shift: Shift) -> None:
    if shift.status == ShiftStatus.CLOSED.value:
        raise ValidationError(t("handover.error.shift_closed"))


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


def shift_entries(session: Session, shift_id: int) -> list[HandoverEntry]:
    return list(
        session.exec(
            select(HandoverEntry)
            .where(HandoverEntry.shift_id == shift_id)
            .order_by(col(HandoverEntry.seq))
        )
    )


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


def kind_label(entry: HandoverEntry) -> str:
    """ "Note", "Event: owner complaint", "Incident: fire" ... in the current locale."""
    base = t(f"handover.kind.{entry.kind}")
    if entry.kind == EntryKind.EVENT.value and entry.category:
        return f"{base}: {t(f'handover.event.{entry.category}')}"
    if entry.kind == EntryKind.INCIDENT.value and entry.category:
        return f"{base}: {t(f'handover.incident.{entry.category}')}"
    return base


def entry_text(entry: HandoverEntry, seq_of: dict[int, int] | None = None) -> str:
    """The human text of an entry (for a log line; structured kinds are summarised)."""
    kind = entry.kind
    data: dict[str, Any] = {}
    if kind in (
        EntryKind.OPEN.value,
        EntryKind.HANDOVER.value,
        EntryKind.OVERRIDE.value,
        EntryKind.PARCEL_COUNT.value,
        EntryKind.SIGNATURE.value,
        EntryKind.COUNTERSIGN.value,
    ):
        try:
            data = json.loads(entry.body or "{}")
        except ValueError:
            data = {}
    if kind == EntryKind.OPEN.value:
        off = int(data.get("opened_off_by_minutes", 0))
        if off < 0:
            return t("handover.text.opened_early", minutes=-off)
        if off > 0:
            return t("handover.text.opened_late", minutes=off)
        return t("handover.text.opened_on_time")
    if kind == EntryKind.HANDOVER.value:
        return t(
            "handover.text.prepared",
            items=data.get("items", 0),
            blocking=len(data.get("blocking", [])),
        )
    if kind == EntryKind.OVERRIDE.value:
        return t(
            "handover.text.override",
            reason=data.get("reason", ""),
            items=len(data.get("items", [])),
        )
    if kind == EntryKind.PARCEL_COUNT.value:
        if entry.category == "confirmed":
            return t("handover.text.parcels_confirmed", total=data.get("expected_total", 0))
        return t(
            "handover.text.parcels_discrepancy",
            expected=data.get("expected_total", 0),
            counted=data.get("counted_total", 0),
            note=data.get("note", ""),
        )
    if kind == EntryKind.SIGNATURE.value:
        return t(f"handover.text.signed_{entry.category}")
    if kind == EntryKind.COUNTERSIGN.value:
        return t("handover.text.countersigned", day=data.get("day", ""))
    if kind == EntryKind.ACK.value:
        return t("handover.text.ack", item=entry.body)
    if kind == EntryKind.ANSWER.value and entry.reply_to_id is not None:
        ref = (seq_of or {}).get(entry.reply_to_id, entry.reply_to_id)
        return t("handover.text.answer", ref=ref, text=entry.body)
    parts = [entry.body]
    if entry.location:
        parts.append(f"{t('handover.field.location')}: {entry.location}")
    if entry.actions:
        parts.append(f"{t('handover.field.actions')}: {entry.actions}")
    if entry.notified:
        parts.append(f"{t('handover.field.notified')}: {entry.notified}")
    if entry.photos:
        parts.append(f"{t('handover.field.photos')}: {entry.photos.replace(chr(10), ', ')}")
    if entry.corrects_id is not None:
        ref = (seq_of or {}).get(entry.corrects_id, entry.corrects_id)
        parts.insert(0, t("handover.text.corrects", ref=ref))
    return " · ".join(p for p in parts if p)


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


def _category_label(category: str) -> str:
    key = f"handover.call_category.{category}"
    return t(key) if has(key) else category


def _trade_label(trade: str) -> str:
    key = f"dispatch.trade.{trade}"  # the dispatch board's names for the trades
    return t(key) if has(key) else trade


def _priority_label(priority: str) -> str:
    key = f"handover.priority.{priority}"
    return t(key) if has(key) else priority


# ---------------------------------------------------------------------------- the digest


@dataclass
class DigestItem:
    """One thing handed over, acknowledged by the incoming operator by its ``key``."""

    key: str
    section: str
    ref: str
    text: str
    #: section-specific data: stage, priority, level, status, clock (kind/rule/due_at/state)
    detail: dict[str, Any] = field(default_factory=dict)
    blocking: bool = False


@dataclass
class Digest:
    shift_id: int
    built_at: str
    items: list[DigestItem]
    #: section -> True if the data exists in this installation (deposits do not, yet)
    available: dict[str, bool]
    parcels_by_shelf: dict[str, int]
    parcels_total: int
    special_instructions: str = ""
    #: per section: how many records exist beyond those listed
    more: dict[str, int] = field(default_factory=dict)

    @property
    def blocking(self) -> list[DigestItem]:
        return [i for i in self.items if i.blocking]

    def item_keys(self) -> list[str]:
        return [i.key for i in self.items]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        data = json.loads(text)
        data["items"] = [DigestItem(**i) for i in data["items"]]
        return cls(**data)

    def section(self, name: str) -> list[DigestItem]:
        return [i for i in self.items if i.section == name]


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _clock_detail(clock: Clock | None, now: datetime, warn: timedelta) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {
        "kind": clock.kind,
        "rule": clock.rule,
        "due_at": _iso(clock.due_at),
        "state": clock.state(now, warn).value,
    }


def order_next_clock(order: WorkOrder, settings: Settings, now: datetime) -> Clock | None:
    """The clock the dispatch board counts down on an order (R-2, R-3, R-5, R-13, R-14, CB-3).

    The board's own rule (``clocks.workorders``), so the board and the handover agree.
    """
    return wo_clocks.next_clock(order, settings, now)


def complaint_clock(complaint: Any, settings: Settings, now: datetime) -> Clock | None:
    """The deadline an open complaint runs against (CP-1..CP-4, CP-11).

    The call form's own rule (``clocks.complaints``), so the complaint list and the
    handover agree. ``now`` is accepted for symmetry; the earliest due time does not use it.
    """
    del now
    return complaint_clocks.next_clock(complaint, settings)


def waiting_parcels_by_shelf(session: Session, site_id: int) -> dict[str, int]:
    """H-12: items waiting at the desk, by shelf (the parcels area's own count)."""
    from shiftdesk.parcels import waiting_by_shelf

    return waiting_by_shelf(session, site_id)


def _snapshot_as_of(obj: Any, as_of: datetime) -> SimpleNamespace:
    """A copy of a record as it stood at ``as_of``: later timestamps are not known yet."""
    data = {name: getattr(obj, name) for name in type(obj).model_fields}
    for name, value in data.items():
        if isinstance(value, datetime) and value > as_of:
            data[name] = None
    return SimpleNamespace(**data)


def _order_as_of(order: WorkOrder, as_of: datetime) -> Any:
    snap = _snapshot_as_of(order, as_of)
    stage = "reported"
    for name in ("dispatched", "accepted", "arrived", "unfinished"):
        if getattr(snap, f"{name}_at") is not None:
            stage = name
    snap.stage = stage
    return snap


def _complaint_as_of(complaint: Complaint, as_of: datetime) -> Any:
    snap = _snapshot_as_of(complaint, as_of)
    snap.status = (
        ComplaintStatus.ANSWERED.value
        if snap.answered_at is not None
        else ComplaintStatus.OPEN.value
    )
    return snap


def _parcels_waiting_at(session: Session, site_id: int, as_of: datetime) -> dict[str, int]:
    rows = session.exec(
        select(Parcel.shelf, func.count())
        .where(
            Parcel.site_id == site_id,
            Parcel.received_at <= as_of,
            or_(col(Parcel.picked_up_at).is_(None), col(Parcel.picked_up_at) > as_of),
            or_(col(Parcel.returned_at).is_(None), col(Parcel.returned_at) > as_of),
        )
        .group_by(Parcel.shelf)
    ).all()
    return {shelf or "": int(n) for shelf, n in rows}


def build_digest(
    session: Session,
    settings: Settings,
    shift: Shift,
    *,
    now: datetime | None = None,
    special_instructions: str = "",
    as_of: datetime | None = None,
) -> Digest:
    """The handover digest from live data (H-5, H-6, H-10..H-12, H-16): nothing is typed.

    ``as_of`` rebuilds the digest as it stood at a past instant from the records' own
    timestamps (what was reported and not yet done by then); the demo's history uses it.
    """
    now = as_of or now or utcnow()
    assert shift.id is not None
    site_id = shift.site_id
    warn = timedelta(seconds=settings.workorders.warn_seconds)
    hcfg = settings.handover
    items: list[DigestItem] = []
    more: dict[str, int] = {}

    # open work orders by stage with their next clock (H-16); important ones block (H-6)
    if as_of is None:
        open_orders: Any = col(WorkOrder.stage).in_(OPEN_STAGES)
    else:
        open_orders = and_(
            col(WorkOrder.reported_at) <= as_of,
            *(
                or_(col(c).is_(None), col(c) > as_of)
                for c in (WorkOrder.completed_at, WorkOrder.closed_at, WorkOrder.cancelled_at)
            ),
        )
    order_total = session.exec(
        select(func.count()).select_from(WorkOrder).where(WorkOrder.site_id == site_id, open_orders)
    ).one()
    stage_rank = {s: i for i, s in enumerate(wo_clocks.STAGE_ORDER)}
    orders = session.exec(
        select(WorkOrder, Unit)
        .join(Unit, col(Unit.id) == WorkOrder.unit_id, isouter=True)
        .where(WorkOrder.site_id == site_id, open_orders)
        .order_by(col(WorkOrder.reported_at))
        .limit(SECTION_LIMIT)
    ).all()
    order_items: list[DigestItem] = []
    for row, unit in orders:
        order = row if as_of is None else _order_as_of(row, as_of)
        clock = order_next_clock(order, settings, now)
        detail = {
            "stage": order.stage,
            "priority": order.priority,
            "trade": order.trade,
            "assignee": order.assignee or order.team,
            "reported_at": _iso(order.reported_at),
            "clock": _clock_detail(clock, now, warn),
        }
        breached = clock is not None and clock.state(now, warn) is ClockState.BREACHED
        order_items.append(
            DigestItem(
                key=f"wo:{order.id}",
                section="breached" if breached else "orders",
                ref=unit.code if unit else order.location,
                text=order.summary[:200],
                detail=detail,
                blocking=hcfg.block_on_emergency_orders
                and order.priority in hcfg.block_order_priorities
                and order.stage not in DONE_STAGES,
            )
        )
    order_items.sort(key=lambda i: (stage_rank.get(i.detail["stage"], 9), i.key))
    if order_total > len(orders):
        more["orders"] = order_total - len(orders)

    # open complaints with their deadlines; major/hot not yet answered block (H-6)
    open_complaint_states = (ComplaintStatus.OPEN.value, ComplaintStatus.ANSWERED.value)
    if as_of is None:
        open_complaints: Any = col(Complaint.status).in_(open_complaint_states)
    else:
        open_complaints = and_(
            col(Complaint.received_at) <= as_of,
            *(
                or_(col(c).is_(None), col(c) > as_of)
                for c in (Complaint.resolved_at, Complaint.closed_at)
            ),
        )
    complaint_total = session.exec(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.site_id == site_id, open_complaints)
    ).one()
    complaints = session.exec(
        select(Complaint, Call, Unit)
        .join(Call, col(Call.id) == Complaint.call_id, isouter=True)
        .join(Unit, col(Unit.id) == Call.unit_id, isouter=True)
        .where(Complaint.site_id == site_id, open_complaints)
        .order_by(col(Complaint.received_at))
        .limit(SECTION_LIMIT)
    ).all()
    complaint_items: list[DigestItem] = []
    for c_row, call, unit in complaints:
        complaint = c_row if as_of is None else _complaint_as_of(c_row, as_of)
        clock = complaint_clock(complaint, settings, now)
        breached = clock is not None and clock.state(now, warn) is ClockState.BREACHED
        complaint_items.append(
            DigestItem(
                key=f"complaint:{complaint.id}",
                section="breached" if breached else "complaints",
                ref=unit.code if unit else "",
                text=(call.summary if call else complaint.department)[:200],
                detail={
                    "level": complaint.level,
                    "scheme": complaint.scheme,
                    "status": complaint.status,
                    "department": complaint.department,
                    "received_at": _iso(complaint.received_at),
                    "clock": _clock_detail(clock, now, warn),
                },
                blocking=hcfg.block_on_major_complaints
                and complaint.level in hcfg.block_complaint_levels
                and complaint.status == ComplaintStatus.OPEN.value,
            )
        )
    if complaint_total > len(complaints):
        more["complaints"] = complaint_total - len(complaints)

    items.extend(i for i in order_items + complaint_items if i.section == "breached")
    items.extend(i for i in order_items if i.section == "orders")
    items.extend(i for i in complaint_items if i.section == "complaints")

    # callbacks due before the next shift ends, overdue ones included (CB-3, CB-6)
    horizon = shift.period_end + (shift.period_end - shift.period_start)
    # a repair's callback names its order's unit; a complaint's, its call's (CB-1)
    complaint_call = aliased(Call)
    callbacks = session.exec(
        select(Callback, WorkOrder, Unit, complaint_call)
        .join(WorkOrder, col(WorkOrder.id) == Callback.work_order_id, isouter=True)
        .join(Complaint, col(Complaint.id) == Callback.complaint_id, isouter=True)
        .join(complaint_call, col(complaint_call.id) == col(Complaint.call_id), isouter=True)
        .join(
            Unit,
            col(Unit.id) == func.coalesce(WorkOrder.unit_id, complaint_call.unit_id),
            isouter=True,
        )
        .where(
            Callback.site_id == site_id,
            col(Callback.done_at).is_(None)
            if as_of is None
            else or_(col(Callback.done_at).is_(None), col(Callback.done_at) > as_of),
            col(Callback.due_at).is_not(None),
            col(Callback.due_at) <= horizon,
        )
        .order_by(col(Callback.due_at))
        .limit(SECTION_LIMIT + 1)
    ).all()
    for callback, order, unit, call in callbacks[:SECTION_LIMIT]:
        assert callback.due_at is not None
        clock = Clock("callback", "CB-3", callback.due_at, callback.due_at)
        about = order.summary if order else (call.summary if call else callback.note)
        items.append(
            DigestItem(
                key=f"callback:{callback.id}",
                section="callbacks",
                ref=unit.code if unit else "",
                text=about[:200],
                detail={
                    "kind": callback.kind,
                    "order_id": callback.work_order_id,
                    "complaint_id": callback.complaint_id,
                    "due_at": _iso(callback.due_at),
                    "clock": _clock_detail(clock, now, warn),
                },
            )
        )
    if len(callbacks) > SECTION_LIMIT:
        more["callbacks"] = len(callbacks) - SECTION_LIMIT

    # H-12: the parcel count is mandatory; one item, confirmed by counting
    by_shelf = (
        waiting_parcels_by_shelf(session, site_id)
        if as_of is None
        else _parcels_waiting_at(session, site_id, as_of)
    )
    total = sum(by_shelf.values())
    items.append(
        DigestItem(
            key=PARCELS_KEY,
            section="parcels",
            ref="",
            text=", ".join(f"{shelf or '-'}: {n}" for shelf, n in sorted(by_shelf.items())),
            detail={"total": total, "by_shelf": by_shelf},
        )
    )

    # the shift's incidents and H-8 events (corrections shown with what they correct)
    for entry in shift_entries(session, shift.id):
        if entry.kind in (EntryKind.INCIDENT.value, EntryKind.EVENT.value):
            items.append(
                DigestItem(
                    key=f"entry:{entry.id}",
                    section="incidents",
                    ref=f"#{entry.seq}",
                    text=entry.body[:200],
                    detail={
                        "kind": entry.kind,
                        "category": entry.category,
                        "location": entry.location,
                        "at": _iso(entry.at),
                    },
                )
            )

    special_instructions = strip_controls(special_instructions, multiline=True)
    if special_instructions:
        items.append(
            DigestItem(
                key=INSTRUCTIONS_KEY,
                section="instructions",
                ref="",
                text=special_instructions,
            )
        )
    return Digest(
        shift_id=shift.id,
        built_at=_iso(now) or "",
        items=items,
        available={s: s != "deposits" for s in SECTIONS},
        parcels_by_shelf=by_shelf,
        parcels_total=total,
        special_instructions=special_instructions,
        more=more,
    )


def _record_ref(key: str, detail: dict[str, Any]) -> str:
    """ "Order 12" / "维修单 12" for a digest key, in the current locale."""
    prefix, _, ident = key.partition(":")
    if prefix == "wo":
        return t("handover.ref.order", id=ident)
    if prefix == "complaint":
        return t("handover.ref.complaint", id=ident)
    if prefix == "callback":
        if detail.get("order_id"):
            return t("handover.ref.order", id=detail["order_id"])
        if detail.get("complaint_id"):
            return t("handover.ref.complaint", id=detail["complaint_id"])
    return ""


def describe_item(item: DigestItem, tz: str, now: datetime | None = None) -> tuple[str, str]:
    """(title, detail) of a digest item in the current locale."""
    d = item.detail
    clock = d.get("clock")
    clock_text = ""
    if clock:
        due = datetime.fromisoformat(clock["due_at"])
        state = clock["state"]
        if now is not None:
            state = Clock(clock["kind"], clock["rule"], due, due).state(now).value
        clock_text = t(
            "handover.digest.clock",
            rule=clock["rule"],
            due=f"{to_local(due, tz):%m-%d %H:%M}",
            state=t(f"handover.clock.{state}"),
        )
    head = " ".join(x for x in (_record_ref(item.key, d), item.ref) if x)
    if item.key.startswith("wo:"):
        stage = t(f"handover.stage.{d.get('stage')}")
        priority = _priority_label(d.get("priority", ""))
        return f"{head} · {stage}", " · ".join(x for x in (priority, item.text, clock_text) if x)
    if item.key.startswith("complaint:"):
        level_key = f"handover.level.{d.get('level')}"
        level = t(level_key) if has(level_key) else d.get("level", "")
        status = t(f"handover.complaint_status.{d.get('status')}")
        return f"{head} · {level}", " · ".join(x for x in (status, item.text, clock_text) if x)
    if item.section == "callbacks":
        return head, " · ".join(x for x in (item.text, clock_text) if x)
    if item.section == "parcels":
        return (
            t("handover.digest.parcels_total", total=d.get("total", 0)),
            item.text or t("handover.digest.parcels_none"),
        )
    if item.section == "incidents":
        fake = HandoverEntry(site_id=0, kind=d.get("kind", ""), category=d.get("category", ""))
        return f"{item.ref} · {kind_label(fake)}", " · ".join(
            x for x in (d.get("location", ""), item.text) if x
        )
    if item.section == "instructions":
        return t("handover.section.instructions"), item.text
    return item.ref, item.text


# ---------------------------------------------------------------------------- handover


class HandoverBlocked(ValidationError):
    """H-6: important unfinished work; resolve it or have a supervisor override."""

    def __init__(self, items: list[DigestItem]) -> None:
        super().__init__(t("handover.error.blocked", count=len(items)))
        self.items = items


def _latest(entries: Sequence[HandoverEntry], kind: EntryKind) -> HandoverEntry | None:
    found = [e for e in entries if e.kind == kind.value]
    return found[-1] if found else None


def overridden_keys(entries: Sequence[HandoverEntry]) -> set[str]:
    keys: set[str] = set()
    for e in entries:
        if e.kind == EntryKind.OVERRIDE.value:
            keys.update(json.loads(e.body or "{}").get("items", []))
    return keys


def prepare_handover(
    session: Session,
    settings: Settings,
    shift: Shift,
    *,
    author: Actor,
    special_instructions: str = "",
    now: datetime | None = None,
    history: bool = False,
) -> Digest:
    """H-5: build and keep the digest; refuse while important work is unresolved (H-6).

    ``history`` builds it as of ``now`` from the records' timestamps (a past handover).
    """
    now = now or utcnow()
    _require_open(shift)
    assert shift.id is not None
    if author.id != shift.outgoing_id:
        raise PermissionDenied(t("handover.error.not_holder"))
    if len(special_instructions.strip()) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="instructions")
    entries = shift_entries(session, shift.id)
    if any(e.kind in (EntryKind.ACK.value, EntryKind.PARCEL_COUNT.value) for e in entries):
        latest = _latest(entries, EntryKind.HANDOVER)
        acked = latest is not None and any(
            e.reply_to_id == latest.id for e in entries if e.kind == EntryKind.ACK.value
        )
        if acked:
            raise ConflictError(t("handover.error.already_receiving"))
    digest = build_digest(
        session,
        settings,
        shift,
        now=now,
        special_instructions=special_instructions,
        as_of=now if history else None,
    )
    uncovered = [i for i in digest.blocking if i.key not in overridden_keys(entries)]
    if uncovered:
        raise HandoverBlocked(uncovered)
    text = digest.to_json()
    shift.digest = text
    shift.special_instructions = digest.special_instructions
    shift.prepared_at = now
    shift.status = ShiftStatus.PREPARED.value
    shift.incoming_id = None
    session.add(shift)
    body = {
        "digest_sha256": chain.text_hash(text),
        "special_instructions_sha256": chain.text_hash(digest.special_instructions),
        "items": len(digest.items),
        "blocking": [i.key for i in digest.blocking],
        "parcels_total": digest.parcels_total,
    }
    chain.append(session, _new_entry(shift, author, EntryKind.HANDOVER, at=now, body=_dump(body)))
    return digest


def override_block(
    session: Session,
    shift: Shift,
    *,
    supervisor: Actor,
    reason: str,
    keys: Sequence[str],
    now: datetime | None = None,
) -> HandoverEntry:
    """H-6: a supervisor lets listed important work be handed over unfinished, with a reason."""
    require_role(supervisor, Role.SUPERVISOR)
    _require_open(shift)
    reason = strip_controls(reason, multiline=True)
    if not reason:
        raise ValidationError(t("handover.error.reason_required"), field="reason")
    if len(reason) > 500:
        raise ValidationError(t("handover.error.too_long", max=500), field="reason")
    if not keys:
        raise ValidationError(t("handover.error.nothing_to_override"))
    shift.override_by = supervisor.id
    shift.override_reason = reason
    session.add(shift)
    body = {"reason": reason, "items": sorted(set(keys))}
    entry = _new_entry(shift, supervisor, EntryKind.OVERRIDE, at=now or utcnow(), body=_dump(body))
    return chain.append(session, entry)


@dataclass
class Question:
    entry: HandoverEntry
    answer: HandoverEntry | None


@dataclass
class HandoverState:
    """Where a prepared handover stands: what is acknowledged, asked, counted, signed."""

    shift: Shift
    digest: Digest | None
    handover_entry: HandoverEntry | None
    acked: set[str]
    questions: list[Question]
    parcel_count: HandoverEntry | None
    signatures: dict[str, HandoverEntry]
    countersign: HandoverEntry | None

    @property
    def unacked(self) -> list[DigestItem]:
        if self.digest is None:
            return []
        return [i for i in self.digest.items if i.key not in self.acked]

    @property
    def unanswered(self) -> list[Question]:
        return [q for q in self.questions if q.answer is None]

    def missing(self) -> list[str]:
        """What still stops the signatures, as translated sentences (empty: ready)."""
        out: list[str] = []
        if self.digest is None:
            out.append(t("handover.missing.not_prepared"))
            return out
        if self.shift.incoming_id is None:
            out.append(t("handover.missing.no_incoming"))
        if self.parcel_count is None:
            out.append(t("handover.missing.parcel_count"))
        items = [i for i in self.unacked if i.key != PARCELS_KEY]
        if items:
            out.append(t("handover.missing.unacked", count=len(items)))
        if self.unanswered:
            out.append(t("handover.missing.unanswered", count=len(self.unanswered)))
        return out


def handover_state(session: Session, shift: Shift) -> HandoverState:
    assert shift.id is not None
    entries = shift_entries(session, shift.id)
    latest = _latest(entries, EntryKind.HANDOVER)
    digest = Digest.from_json(shift.digest) if shift.digest and latest else None
    acked: set[str] = set()
    parcel_count = None
    questions: dict[int, Question] = {}
    signatures: dict[str, HandoverEntry] = {}
    for e in entries:
        after_latest = latest is not None and e.seq > latest.seq
        if e.kind == EntryKind.ACK.value and latest is not None and e.reply_to_id == latest.id:
            acked.add(e.category)
        elif e.kind == EntryKind.PARCEL_COUNT.value and after_latest:
            parcel_count = e
        elif e.kind == EntryKind.QUESTION.value and e.id is not None:
            questions[e.id] = Question(e, None)
        elif e.kind == EntryKind.ANSWER.value and e.reply_to_id in questions:
            questions[e.reply_to_id].answer = e
        elif e.kind == EntryKind.SIGNATURE.value:
            signatures[e.category] = e
    return HandoverState(
        shift=shift,
        digest=digest,
        handover_entry=latest,
        acked=acked,
        questions=list(questions.values()),
        parcel_count=parcel_count,
        signatures=signatures,
        countersign=_latest(entries, EntryKind.COUNTERSIGN),
    )


def _require_prepared(shift: Shift) -> None:
    if shift.status != ShiftStatus.PREPARED.value:
        raise ValidationError(t("handover.error.not_prepared"))


def _require_incoming(shift: Shift, incoming: Actor) -> None:
    if incoming.id is None or incoming.is_system:
        raise ValidationError(t("handover.error.needs_operator"))
    if incoming.id == shift.outgoing_id:
        raise ValidationError(t("handover.error.same_operator"))
    if shift.incoming_id is not None and shift.incoming_id != incoming.id:
        raise PermissionDenied(t("handover.error.not_incoming"))


def receive_handover(session: Session, shift: Shift, *, incoming: Actor) -> Shift:
    """The incoming operator (proven by PIN by the caller) starts going through the digest."""
    _require_prepared(shift)
    if incoming.id is None or incoming.is_system:
        raise ValidationError(t("handover.error.needs_operator"))
    if incoming.id == shift.outgoing_id:
        raise ValidationError(t("handover.error.same_operator"))
    if shift.incoming_id not in (None, incoming.id):
        state = handover_state(session, shift)
        if state.acked or state.questions or state.parcel_count:
            raise ConflictError(t("handover.error.other_incoming"))
    shift.incoming_id = incoming.id
    session.add(shift)
    session.flush()
    return shift


def acknowledge(
    session: Session,
    shift: Shift,
    *,
    incoming: Actor,
    keys: Sequence[str],
    now: datetime | None = None,
) -> list[HandoverEntry]:
    """Acknowledge digest items, one entry per item (already acknowledged ones are skipped)."""
    _require_prepared(shift)
    _require_incoming(shift, incoming)
    state = handover_state(session, shift)
    assert state.digest is not None and state.handover_entry is not None
    by_key = {i.key: i for i in state.digest.items}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValidationError(t("handover.error.unknown_item", key=unknown[0]))
    if PARCELS_KEY in keys and state.parcel_count is None:
        raise ValidationError(t("handover.missing.parcel_count"))
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    made = []
    now = now or utcnow()
    for key in dict.fromkeys(keys):
        if key in state.acked:
            continue
        item = by_key[key]
        title = f"{item.ref} {item.text}".strip()[:200] or key
        made.append(
            chain.append(
                session,
                _new_entry(
                    shift,
                    incoming,
                    EntryKind.ACK,
                    at=now,
                    category=key[:32],
                    body=title,
                    reply_to_id=state.handover_entry.id,
                ),
                flush=False,
            )
        )
    session.flush()
    return made


def ask(
    session: Session, shift: Shift, *, incoming: Actor, text: str, now: datetime | None = None
) -> HandoverEntry:
    """H-2 / H-4: the incoming operator asks about a discrepancy; it must be answered."""
    _require_prepared(shift)
    _require_incoming(shift, incoming)
    text = strip_controls(text, multiline=True)
    if not text:
        raise ValidationError(t("handover.error.body_required"), field="body")
    if len(text) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="body")
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    return chain.append(
        session, _new_entry(shift, incoming, EntryKind.QUESTION, at=now or utcnow(), body=text)
    )


def answer(
    session: Session,
    shift: Shift,
    *,
    outgoing: Actor,
    question_id: int,
    text: str,
    now: datetime | None = None,
) -> HandoverEntry:
    """The outgoing operator answers a question before leaving (H-2, H-4, H-10)."""
    _require_prepared(shift)
    if outgoing.id != shift.outgoing_id:
        raise PermissionDenied(t("handover.error.not_holder"))
    text = strip_controls(text, multiline=True)
    if not text:
        raise ValidationError(t("handover.error.body_required"), field="body")
    if len(text) > 4000:
        raise ValidationError(t("handover.error.too_long", max=4000), field="body")
    state = handover_state(session, shift)
    question = next((q for q in state.questions if q.entry.id == question_id), None)
    if question is None:
        raise NotFound(t("handover.error.no_such_question", id=question_id))
    if question.answer is not None:
        raise ConflictError(t("handover.error.already_answered"))
    return chain.append(
        session,
        _new_entry(
            shift,
            outgoing,
            EntryKind.ANSWER,
            at=now or utcnow(),
            body=text,
            reply_to_id=question_id,
        ),
    )


def record_parcel_count(
    session: Session,
    shift: Shift,
    *,
    incoming: Actor,
    counted: dict[str, int],
    note: str = "",
    now: datetime | None = None,
) -> HandoverEntry:
    """H-12: the incoming operator counts the waiting items by shelf.

    A count that differs from the digest needs a note; it is recorded as a discrepancy,
    reported to the supervisor (audit event ``parcel_discrepancy`` and the countersign list).
    """
    _require_prepared(shift)
    _require_incoming(shift, incoming)
    state = handover_state(session, shift)
    assert state.digest is not None and state.handover_entry is not None
    if any(n < 0 for n in counted.values()):
        raise ValidationError(t("handover.error.bad_count"), field="counted")
    expected = {k: v for k, v in state.digest.parcels_by_shelf.items() if v}
    clean = {k: v for k, v in counted.items() if v}
    note = strip_controls(note, multiline=True)
    discrepancy = clean != expected
    if discrepancy and not note:
        raise ValidationError(t("handover.error.discrepancy_note"), field="note")
    if len(note) > 1000:
        raise ValidationError(t("handover.error.too_long", max=1000), field="note")
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    now = now or utcnow()
    body = {
        "expected": expected,
        "counted": clean,
        "note": note,
        "expected_total": sum(expected.values()),
        "counted_total": sum(clean.values()),
    }
    entry = chain.append(
        session,
        _new_entry(
            shift,
            incoming,
            EntryKind.PARCEL_COUNT,
            at=now,
            category="discrepancy" if discrepancy else "confirmed",
            body=_dump(body),
            reply_to_id=state.handover_entry.id,
        ),
    )
    if discrepancy:
        audit.record(
            session,
            "parcel_discrepancy",
            "shift",
            shift.id,
            site_id=shift.site_id,
            note=t(
                "handover.text.parcels_discrepancy",
                expected=body["expected_total"],
                counted=body["counted_total"],
                note=note,
            ),
        )
    if PARCELS_KEY not in state.acked:
        chain.append(
            session,
            _new_entry(
                shift,
                incoming,
                EntryKind.ACK,
                at=now,
                category=PARCELS_KEY,
                body=t("handover.digest.parcels_total", total=body["counted_total"]),
                reply_to_id=state.handover_entry.id,
            ),
        )
    return entry


def sign_handover(
    session: Session,
    settings: Settings,
    shift: Shift,
    *,
    outgoing: Actor,
    incoming: Actor,
    now: datetime | None = None,
) -> Shift:
    """H-6: both operators sign (the caller proved each PIN); the shift closes, the next opens.

    Returns the new shift, held by the incoming operator.
    """
    now = now or utcnow()
    _require_prepared(shift)
    if outgoing.id != shift.outgoing_id:
        raise PermissionDenied(t("handover.error.not_holder"))
    _require_incoming(shift, incoming)
    if shift.incoming_id is None:
        receive_handover(session, shift, incoming=incoming)
    state = handover_state(session, shift)
    missing = state.missing()
    if missing:
        raise ValidationError(t("handover.error.not_ready", missing="; ".join(missing)))
    assert state.handover_entry is not None
    signed = {"handover_seq": state.handover_entry.seq, "handover_hash": state.handover_entry.hash}
    out_entry = chain.append(
        session,
        _new_entry(
            shift, outgoing, EntryKind.SIGNATURE, at=now, category="outgoing", body=_dump(signed)
        ),
    )
    in_entry = chain.append(
        session,
        _new_entry(
            shift, incoming, EntryKind.SIGNATURE, at=now, category="incoming", body=_dump(signed)
        ),
    )
    shift.outgoing_signed_at = out_entry.at
    shift.incoming_signed_at = in_entry.at
    shift.incoming_id = incoming.id
    shift.closed_at = now
    shift.status = ShiftStatus.CLOSED.value
    session.add(shift)
    session.flush()
    following = period_after(settings, shift, now)
    return open_shift(
        session, settings, site_id=shift.site_id, holder=incoming, now=now, period=following
    )


# ---------------------------------------------------------------------------- countersign


def awaiting_countersign(session: Session, site_id: int) -> list[Shift]:
    """H-7: closed shifts the supervisor has not countersigned yet, oldest first."""
    return list(
        session.exec(
            select(Shift)
            .where(
                Shift.site_id == site_id,
                Shift.status == ShiftStatus.CLOSED.value,
                col(Shift.countersigned_at).is_(None),
            )
            .order_by(col(Shift.period_start))
        )
    )


def shifts_on(session: Session, site_id: int, day: date, tz: str) -> list[Shift]:
    """The shifts whose period starts on ``day`` (site time), in order."""
    start, end = local_day_bounds(day, tz)
    return list(
        session.exec(
            select(Shift)
            .where(Shift.site_id == site_id, Shift.period_start >= start, Shift.period_start < end)
            .order_by(col(Shift.period_start), col(Shift.id))
        )
    )


def countersign(
    session: Session,
    settings: Settings,
    *,
    site_id: int,
    supervisor: Actor,
    day: date | None = None,
    shift_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> list[Shift]:
    """H-7: the supervisor (or manager) countersigns a day's closed shifts, or chosen ones."""
    require_role(supervisor, Role.SUPERVISOR)
    if supervisor.id is None or supervisor.is_system:
        raise PermissionDenied(t("handover.error.needs_operator"))
    tz = settings.site.timezone
    pending = awaiting_countersign(session, site_id)
    if shift_ids:
        wanted = set(shift_ids)
        chosen = [s for s in pending if s.id in wanted]
        if len(chosen) != len(wanted):
            raise ValidationError(t("handover.error.not_awaiting"))
    elif day is not None:
        chosen = [s for s in pending if shift_day(s, tz) == day]
    else:
        raise ValidationError(t("handover.error.countersign_what"))
    if not chosen:
        raise ValidationError(
            t("handover.error.nothing_to_countersign", day=day.isoformat() if day else "")
        )
    now = now or utcnow()
    for shift in chosen:
        assert shift.id is not None
        entries = shift_entries(session, shift.id)
        signatures = [e.hash for e in entries if e.kind == EntryKind.SIGNATURE.value]
        body = {"day": shift_day(shift, tz).isoformat(), "signatures": signatures}
        entry = chain.append(
            session, _new_entry(shift, supervisor, EntryKind.COUNTERSIGN, at=now, body=_dump(body))
        )
        shift.countersigned_at = entry.at
        shift.countersigned_by = supervisor.id
        session.add(shift)
    session.flush()
    return chosen


def has_discrepancy(session: Session, shift_id: int) -> bool:
    return (
        session.exec(
            select(func.count())
            .select_from(HandoverEntry)
            .where(
                HandoverEntry.shift_id == shift_id,
                HandoverEntry.kind == EntryKind.PARCEL_COUNT.value,
                HandoverEntry.category == "discrepancy",
            )
        ).one()
        > 0
    )


# ---------------------------------------------------------------------------- documents


def find_shifts(
    session: Session,
    settings: Settings,
    site_id: int,
    *,
    shift_id: int | None = None,
    day: date | None = None,
) -> list[Shift]:
    """``handover show``: one shift, a day's shifts, or the desk's current (else latest) one."""
    if shift_id is not None:
        return [get_shift(session, shift_id, site_id)]
    if day is not None:
        return shifts_on(session, site_id, day, settings.site.timezone)
    current = current_shift(session, site_id, settings.site.desk)
    if current is not None:
        return [current]
    latest = session.exec(
        select(Shift).where(Shift.site_id == site_id).order_by(col(Shift.id).desc())
    ).first()
    return [latest] if latest else []


def shift_document(
    session: Session, settings: Settings, shift: Shift, *, now: datetime | None = None
) -> dict[str, Any]:
    """A shift's log and handover as plain data (``handover show --format json``)."""
    now = now or utcnow()
    tz = settings.site.timezone
    assert shift.id is not None
    state = handover_state(session, shift)
    entries = shift_entries(session, shift.id)
    names = operator_names(
        session,
        [
            shift.outgoing_id,
            shift.incoming_id,
            shift.countersigned_by,
            shift.override_by,
            *(e.author_id for e in entries),
        ],
    )

    def local(value: datetime | None) -> str | None:
        return to_local(value, tz).strftime("%Y-%m-%d %H:%M") if value else None

    seq_of = {e.id: e.seq for e in entries if e.id is not None}
    log = [
        {
            "seq": e.seq,
            "at": local(e.at),
            "author": names.get(e.author_id or -1, ""),
            "kind": e.kind,
            "category": e.category,
            "label": kind_label(e),
            "text": entry_text(e, seq_of),
            "body": e.body,
            "location": e.location,
            "actions": e.actions,
            "notified": e.notified,
            "photos": [p for p in e.photos.splitlines() if p],
            "corrects": seq_of.get(e.corrects_id) if e.corrects_id else None,
            "corrected_by": [x.seq for x in entries if x.corrects_id == e.id],
            "hash": e.hash,
        }
        for e in entries
    ]
    others = [
        {"at": local(r.at), "source": r.source, "ref": r.ref, "kind": r.kind, "text": r.text}
        for r in timeline(session, settings, shift, now=now)
        if r.source != "log"
    ]
    digest: dict[str, Any] | None = None
    if state.digest is not None:
        digest = {
            "built_at": local(datetime.fromisoformat(state.digest.built_at)),
            "special_instructions": state.digest.special_instructions,
            "parcels_by_shelf": state.digest.parcels_by_shelf,
            "parcels_total": state.digest.parcels_total,
            "deposits_available": state.digest.available.get("deposits", False),
            "more": state.digest.more,
            "items": [
                {
                    "key": i.key,
                    "section": i.section,
                    "section_label": t(f"handover.section.{i.section}"),
                    "title": describe_item(i, tz)[0],
                    "detail": describe_item(i, tz)[1],
                    "blocking": i.blocking,
                    "acknowledged": i.key in state.acked,
                }
                for i in state.digest.items
            ],
        }
    return {
        "shift": {
            "id": shift.id,
            "site_id": shift.site_id,
            "desk": shift.desk,
            "name": shift.name,
            "label": shift_label(shift, tz),
            "status": shift.status,
            "period_start": local(shift.period_start),
            "period_end": local(shift.period_end),
            "opened_at": local(shift.opened_at),
            "opened_off_by_minutes": shift.opened_off_by_minutes,
            "outgoing": names.get(shift.outgoing_id or -1, ""),
            "incoming": names.get(shift.incoming_id or -1, ""),
            "prepared_at": local(shift.prepared_at),
            "outgoing_signed_at": local(shift.outgoing_signed_at),
            "incoming_signed_at": local(shift.incoming_signed_at),
            "closed_at": local(shift.closed_at),
            "countersigned_at": local(shift.countersigned_at),
            "countersigned_by": names.get(shift.countersigned_by or -1, ""),
            "override_by": names.get(shift.override_by or -1, ""),
            "override_reason": shift.override_reason,
        },
        "log": log,
        "other_records": others,
        "digest": digest,
        "questions": [
            {
                "seq": q.entry.seq,
                "asked_by": names.get(q.entry.author_id or -1, ""),
                "at": local(q.entry.at),
                "question": q.entry.body,
                "answer": q.answer.body if q.answer else None,
                "answered_by": names.get(q.answer.author_id or -1, "") if q.answer else None,
            }
            for q in state.questions
        ],
        "parcel_count": json.loads(state.parcel_count.body)
        | {"result": state.parcel_count.category}
        if state.parcel_count
        else None,
        "missing": state.missing() if shift.status == ShiftStatus.PREPARED.value else [],
    }
