"""The handover digest (H-5, H-6, H-10..H-12, H-16), built from live data: nothing is typed.

One reader per area (orders, complaints, callbacks, parcels, the log); ``build_digest``
puts their items in section order.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from shiftdesk.clocks import Clock, ClockState
from shiftdesk.clocks import complaints as complaint_clocks
from shiftdesk.clocks import workorders as wo_clocks
from shiftdesk.config import Settings
from shiftdesk.handover.shifts import shift_entries
from shiftdesk.models import (
    Call,
    Callback,
    Complaint,
    ComplaintStatus,
    Parcel,
    Shift,
    Unit,
    WorkOrder,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import utcnow

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


@dataclass(frozen=True)
class _Reading:
    """What every area reader needs: where, when, and the warning margin."""

    session: Session
    settings: Settings
    site_id: int
    now: datetime
    warn: timedelta
    #: rebuild as the records stood at this past instant (the demo's history)
    as_of: datetime | None


def _order_items(r: _Reading, more: dict[str, int]) -> list[DigestItem]:
    """Open work orders by stage with their next clock (H-16); important ones block (H-6)."""
    hcfg = r.settings.handover
    if r.as_of is None:
        open_orders: Any = col(WorkOrder.stage).in_(OPEN_STAGES)
    else:
        open_orders = and_(
            col(WorkOrder.reported_at) <= r.as_of,
            *(
                or_(col(c).is_(None), col(c) > r.as_of)
                for c in (WorkOrder.completed_at, WorkOrder.closed_at, WorkOrder.cancelled_at)
            ),
        )
    order_total = r.session.exec(
        select(func.count())
        .select_from(WorkOrder)
        .where(WorkOrder.site_id == r.site_id, open_orders)
    ).one()
    stage_rank = {s: i for i, s in enumerate(wo_clocks.STAGE_ORDER)}
    orders = r.session.exec(
        select(WorkOrder, Unit)
        .join(Unit, col(Unit.id) == WorkOrder.unit_id, isouter=True)
        .where(WorkOrder.site_id == r.site_id, open_orders)
        .order_by(col(WorkOrder.reported_at))
        .limit(SECTION_LIMIT)
    ).all()
    order_items: list[DigestItem] = []
    for row, unit in orders:
        order = row if r.as_of is None else _order_as_of(row, r.as_of)
        clock = order_next_clock(order, r.settings, r.now)
        detail = {
            "stage": order.stage,
            "priority": order.priority,
            "trade": order.trade,
            "assignee": order.assignee or order.team,
            "reported_at": _iso(order.reported_at),
            "clock": _clock_detail(clock, r.now, r.warn),
        }
        breached = clock is not None and clock.state(r.now, r.warn) is ClockState.BREACHED
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
    return order_items


def _complaint_items(r: _Reading, more: dict[str, int]) -> list[DigestItem]:
    """Open complaints with their deadlines; major/hot not yet answered block (H-6)."""
    hcfg = r.settings.handover
    open_complaint_states = (ComplaintStatus.OPEN.value, ComplaintStatus.ANSWERED.value)
    if r.as_of is None:
        open_complaints: Any = col(Complaint.status).in_(open_complaint_states)
    else:
        open_complaints = and_(
            col(Complaint.received_at) <= r.as_of,
            *(
                or_(col(c).is_(None), col(c) > r.as_of)
                for c in (Complaint.resolved_at, Complaint.closed_at)
            ),
        )
    complaint_total = r.session.exec(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.site_id == r.site_id, open_complaints)
    ).one()
    complaints = r.session.exec(
        select(Complaint, Call, Unit)
        .join(Call, col(Call.id) == Complaint.call_id, isouter=True)
        .join(Unit, col(Unit.id) == Call.unit_id, isouter=True)
        .where(Complaint.site_id == r.site_id, open_complaints)
        .order_by(col(Complaint.received_at))
        .limit(SECTION_LIMIT)
    ).all()
    complaint_items: list[DigestItem] = []
    for c_row, call, unit in complaints:
        complaint = c_row if r.as_of is None else _complaint_as_of(c_row, r.as_of)
        clock = complaint_clock(complaint, r.settings, r.now)
        breached = clock is not None and clock.state(r.now, r.warn) is ClockState.BREACHED
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
                    "clock": _clock_detail(clock, r.now, r.warn),
                },
                blocking=hcfg.block_on_major_complaints
                and complaint.level in hcfg.block_complaint_levels
                and complaint.status == ComplaintStatus.OPEN.value,
            )
        )
    if complaint_total > len(complaints):
        more["complaints"] = complaint_total - len(complaints)
    return complaint_items


def _callback_items(r: _Reading, shift: Shift, more: dict[str, int]) -> list[DigestItem]:
    """Callbacks due before the next shift ends, overdue ones included (CB-3, CB-6)."""
    horizon = shift.period_end + (shift.period_end - shift.period_start)
    # a repair's callback names its order's unit; a complaint's, its call's (CB-1)
    complaint_call = aliased(Call)
    callbacks = r.session.exec(
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
            Callback.site_id == r.site_id,
            col(Callback.done_at).is_(None)
            if r.as_of is None
            else or_(col(Callback.done_at).is_(None), col(Callback.done_at) > r.as_of),
            col(Callback.due_at).is_not(None),
            col(Callback.due_at) <= horizon,
        )
        .order_by(col(Callback.due_at))
        .limit(SECTION_LIMIT + 1)
    ).all()
    items: list[DigestItem] = []
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
                    "clock": _clock_detail(clock, r.now, r.warn),
                },
            )
        )
    if len(callbacks) > SECTION_LIMIT:
        more["callbacks"] = len(callbacks) - SECTION_LIMIT
    return items


def _parcel_count(r: _Reading) -> dict[str, int]:
    """H-12: what waits at the desk, by shelf (the count the incoming operator confirms)."""
    if r.as_of is None:
        return waiting_parcels_by_shelf(r.session, r.site_id)
    return _parcels_waiting_at(r.session, r.site_id, r.as_of)


def _parcel_item(by_shelf: dict[str, int]) -> DigestItem:
    """H-12: the parcel count is mandatory; one item, confirmed by counting."""
    return DigestItem(
        key=PARCELS_KEY,
        section="parcels",
        ref="",
        text=", ".join(f"{shelf or '-'}: {n}" for shelf, n in sorted(by_shelf.items())),
        detail={"total": sum(by_shelf.values()), "by_shelf": by_shelf},
    )


def _incident_items(session: Session, shift_id: int) -> list[DigestItem]:
    """The shift's incidents and H-8 events (corrections shown with what they correct)."""
    return [
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
        for entry in shift_entries(session, shift_id)
        if entry.kind in (EntryKind.INCIDENT.value, EntryKind.EVENT.value)
    ]


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
    reading = _Reading(
        session,
        settings,
        shift.site_id,
        now,
        timedelta(seconds=settings.workorders.warn_seconds),
        as_of,
    )
    more: dict[str, int] = {}
    order_items = _order_items(reading, more)
    complaint_items = _complaint_items(reading, more)
    items = [i for i in order_items + complaint_items if i.section == "breached"]
    items.extend(i for i in order_items if i.section == "orders")
    items.extend(i for i in complaint_items if i.section == "complaints")
    items.extend(_callback_items(reading, shift, more))
    by_shelf = _parcel_count(reading)
    items.append(_parcel_item(by_shelf))
    items.extend(_incident_items(session, shift.id))
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
        parcels_total=sum(by_shelf.values()),
        special_instructions=special_instructions,
        more=more,
    )
