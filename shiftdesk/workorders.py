"""Work orders (维修单 / 派工单, domain §5): creation and the stage machine.

Stages: reported → dispatched → accepted → arrived → completed → closed (called back), with
``unfinished`` (reason required, R-13) and ``cancelled`` as exits and a re-repair (返修) as a
new order linked to the old one. Every transition stamps its time and operator, is audited
by the storage layer, and checks the order's ``version`` (optimistic locking): a terminal
acting on a stale copy gets a ``ConflictError`` and nothing is written.

All functions take an open write session (use ``db.transact``); none reads the wall clock
except through ``timeutil.utcnow``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from shiftdesk import audit
from shiftdesk.clocks.callbacks import callback_due, callback_kind, in_quiet_period
from shiftdesk.clocks.workorders import OPEN_STAGES, order_clocks
from shiftdesk.config import Settings
from shiftdesk.db import actor_id
from shiftdesk.errors import ConflictError, NotFound, UsageError, ValidationError
from shiftdesk.i18n import t
from shiftdesk.models.people import Unit
from shiftdesk.models.workorders import (
    BreachAck,
    Callback,
    CallbackOutcome,
    Priority,
    Stage,
    WorkOrder,
)
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import as_utc, utcnow

#: stable keys on the command line whatever the locale
PRIORITIES = tuple(p.value for p in Priority)
OUTCOMES = tuple(o.value for o in CallbackOutcome)

#: action -> the stages it may start from. Anything else is an illegal transition.
LEGAL: dict[str, tuple[str, ...]] = {
    "dispatch": ("reported", "dispatched", "unfinished"),
    "accept": ("dispatched",),
    "arrive": ("accepted",),
    "complete": ("arrived",),
    "unfinished": ("dispatched", "accepted", "arrived"),
    "callback": ("completed",),
    "cancel": ("reported", "dispatched", "accepted", "arrived", "unfinished"),
    "rework": ("completed", "closed"),
}
ACTIONS = tuple(LEGAL)
#: an event time may be this far ahead of this terminal's clock (clock skew between PCs)
_FUTURE_SLACK = timedelta(minutes=2)


def create_order(
    session: Session,
    *,
    site_id: int,
    reported_at: datetime,
    trade: str,
    priority: str,
    summary: str,
    unit_id: int | None = None,
    location: str = "",
    in_home: bool = True,
    paid: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
    call_id: int | None = None,
    night: bool = False,
    spare_key_ok: bool = False,
    leak: bool = False,
    trades: Iterable[str] | None = None,
) -> WorkOrder:
    """Open a work order in stage ``reported`` (R-1, R-7) and return it, flushed (id set).

    ``trades`` (normally ``settings.workorders.trades``) restricts ``trade`` when given.
    ``night`` marks an order taken at night, routed to the control room (R-5).
    ``leak`` makes its callback wait for the first rain (CB-3).
    """
    priority = (priority or "").strip()
    if priority not in PRIORITIES:
        raise ValidationError(
            t("dispatch.error.priority", value=priority, allowed="|".join(PRIORITIES)),
            field="priority",
        )
    trade = (trade or "").strip()
    allowed = list(trades) if trades is not None else None
    if not trade or (allowed is not None and trade not in allowed):
        raise ValidationError(
            t("dispatch.error.trade", value=trade, allowed="|".join(allowed or [])),
            field="trade",
        )
    summary = strip_controls(summary, multiline=True)
    if not summary:
        # the content of the repair is always recorded
        raise ValidationError(t("dispatch.error.summary_required"), field="summary")
    location = strip_controls(location)
    if unit_id is None and not location:
        # a unit in the home, or the location of a public-area fault
        raise ValidationError(t("dispatch.error.where_required"), field="location")
    order = WorkOrder(
        site_id=site_id,
        call_id=call_id,
        unit_id=unit_id,
        location=location,
        in_home=in_home,
        trade=trade,
        priority=priority,
        paid=paid,
        summary=summary,
        reporter_name=strip_controls(reporter_name),
        reporter_phone=strip_controls(reporter_phone),
        spare_key_ok=spare_key_ok,
        night=night,
        leak=leak,
        stage=Stage.REPORTED.value,
        reported_at=as_utc(reported_at or utcnow()),
        reported_by=actor_id(session),
    )
    session.add(order)
    session.flush()
    return order


# ---------------------------------------------------------------------------- lookups


def allowed_actions(stage: str) -> list[str]:
    """The actions the board offers for an order in ``stage``."""
    return [action for action, stages in LEGAL.items() if stage in stages]


def get_order(session: Session, order_id: int, *, site_id: int | None = None) -> WorkOrder:
    order = session.get(WorkOrder, order_id)
    if order is None or (site_id is not None and order.site_id != site_id):
        raise NotFound(t("dispatch.error.not_found", id=order_id))
    return order


def _load_for_change(
    session: Session,
    order_id: int,
    action: str,
    *,
    site_id: int | None,
    expected_version: int | None,
) -> WorkOrder:
    """The order, locked for this transaction, checked for version and stage."""
    order = session.exec(
        select(WorkOrder).where(WorkOrder.id == order_id).with_for_update()
    ).first()
    if order is None or (site_id is not None and order.site_id != site_id):
        raise NotFound(t("dispatch.error.not_found", id=order_id))
    if expected_version is not None and order.version != expected_version:
        # optimistic locking: another terminal changed the order since this one read it
        raise ConflictError(
            t("dispatch.error.conflict", id=order_id, stage=t(f"dispatch.stage.{order.stage}"))
        )
    if order.stage not in LEGAL[action]:
        raise UsageError(
            t(
                "dispatch.error.illegal",
                id=order_id,
                action=t(f"dispatch.action.{action}"),
                stage=t(f"dispatch.stage.{order.stage}"),
            )
        )
    return order


def _when(
    at: datetime | None,
    *,
    now: datetime | None,
    not_before: datetime | None,
    field: str = "at",
) -> datetime:
    """The event time: ``now`` by default; never before the previous stage, never after ``now``.

    ``now`` is the caller's clock (the screen or command reads it once); the wall clock is
    read here only when no caller passed one.
    """
    now = as_utc(now) if now is not None else utcnow()
    when = as_utc(at) if at is not None else now
    if when > now + _FUTURE_SLACK:
        raise ValidationError(t("dispatch.error.future"), field=field)
    if not_before is not None and when < not_before:
        if at is None:
            # the previous stage was stamped by a PC whose clock runs ahead: keep the order
            return not_before
        raise ValidationError(t("dispatch.error.before_previous"), field=field)
    return when


def _bump(order: WorkOrder) -> None:
    order.version = (order.version or 0) + 1


def _save(session: Session, order: WorkOrder, stage: Stage) -> WorkOrder:
    """Move ``order`` to ``stage`` and flush, bumping its version for the other terminals."""
    order.stage = stage.value
    _bump(order)
    session.add(order)
    session.flush()
    return order


def _required_reason(text: str) -> str:
    """Unfinished, cancelled and re-repaired orders always say why (R-11, R-13)."""
    reason = strip_controls(text, multiline=True)
    if not reason:
        raise ValidationError(t("dispatch.error.reason_required"), field="reason")
    return reason


def _note(session: Session, order: WorkOrder, action: str, note: str) -> None:
    note = strip_controls(note, multiline=True)
    if note:
        audit.record(
            session,
            f"workorder.{action}",
            "work_order",
            order.id,
            site_id=order.site_id,
            note=note,
        )


# ---------------------------------------------------------------------------- transitions


def dispatch(
    session: Session,
    order_id: int,
    *,
    team: str,
    assignee: str = "",
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
    teams: Iterable[str] | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Pass the order to a team (R-2; at night the control room, R-5), or re-dispatch it.

    A re-dispatch of an unfinished order (R-11) restarts its arrival and return clocks.
    """
    order = _load_for_change(
        session, order_id, "dispatch", site_id=site_id, expected_version=expected_version
    )
    team = (team or "").strip()
    allowed = list(teams) if teams is not None else None
    if not team or (allowed is not None and team not in allowed):
        raise ValidationError(
            t("dispatch.error.team", value=team, allowed="|".join(allowed or [])), field="team"
        )
    when = _when(at, now=now, not_before=order.reported_at)
    resume = order.stage == Stage.UNFINISHED.value
    order.team = team
    order.assignee = strip_controls(assignee)[:40]
    if order.stage == Stage.DISPATCHED.value:
        # a reassignment keeps the dispatch time: the arrival clock is not restarted
        pass
    else:
        order.dispatched_at = when
        order.dispatched_by = actor_id(session)
        if order.first_dispatched_at is None:
            order.first_dispatched_at = when
    if resume:
        order.accepted_at = order.arrived_at = None
        order.accepted_by = order.arrived_by = None
    order.stage = Stage.DISPATCHED.value
    _bump(order)
    session.add(order)
    _note(session, order, "dispatch", note)
    session.flush()
    return order


def accept(
    session: Session,
    order_id: int,
    *,
    assignee: str = "",
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Engineering signed for the order (接单, R-8); ``assignee`` names who took it."""
    order = _load_for_change(
        session, order_id, "accept", site_id=site_id, expected_version=expected_version
    )
    order.accepted_at = _when(at, now=now, not_before=order.dispatched_at)
    order.accepted_by = actor_id(session)
    if strip_controls(assignee):
        order.assignee = strip_controls(assignee)[:40]
    order.stage = Stage.ACCEPTED.value
    _bump(order)
    session.add(order)
    _note(session, order, "accept", note)
    session.flush()
    return order


def arrive(
    session: Session,
    order_id: int,
    *,
    price_confirmed: bool = False,
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """The engineer is on site (到场, R-3). A paid repair starts only once the material price
    was confirmed with the resident (R-15)."""
    order = _load_for_change(
        session, order_id, "arrive", site_id=site_id, expected_version=expected_version
    )
    if order.paid and not (price_confirmed or order.price_confirmed):
        raise ValidationError(t("dispatch.error.price_unconfirmed"), field="price_confirmed")
    order.arrived_at = _when(at, now=now, not_before=order.accepted_at)
    order.arrived_by = actor_id(session)
    if order.paid:
        order.price_confirmed = True
    order.stage = Stage.ARRIVED.value
    _bump(order)
    session.add(order)
    _note(session, order, "arrive", note)
    session.flush()
    return order


def complete(
    session: Session,
    order_id: int,
    *,
    result: str,
    settings: Settings,
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """The work is done (完工, R-10): the result is recorded and a callback falls due (CB-1)."""
    order = _load_for_change(
        session, order_id, "complete", site_id=site_id, expected_version=expected_version
    )
    result = strip_controls(result, multiline=True)
    if not result:
        raise ValidationError(t("dispatch.error.result_required"), field="result")
    when = _when(at, now=now, not_before=order.arrived_at)
    order.completed_at = when
    order.completed_by = actor_id(session)
    order.result = result[:1000]
    order.stage = Stage.COMPLETED.value
    _bump(order)
    session.add(order)
    kind = callback_kind(order.priority, order.leak)
    session.add(
        Callback(
            site_id=order.site_id,
            work_order_id=order.id,
            kind=kind.value,
            due_at=callback_due(kind, when, settings, rained_at=order.rained_at),
        )
    )
    session.flush()
    return order


def mark_unfinished(
    session: Session,
    order_id: int,
    *,
    reason: str,
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Not finished, with the reason (R-11, R-13): it goes on the unfinished-order list."""
    order = _load_for_change(
        session, order_id, "unfinished", site_id=site_id, expected_version=expected_version
    )
    reason = _required_reason(reason)
    order.unfinished_at = _when(at, now=now, not_before=order.dispatched_at)
    order.unfinished_by = actor_id(session)
    order.unfinished_reason = reason[:500]
    return _save(session, order, Stage.UNFINISHED)


def _open_callback(session: Session, order: WorkOrder) -> Callback | None:
    return session.exec(
        select(Callback)
        .where(Callback.work_order_id == order.id, Callback.done_at.is_(None))  # type: ignore[union-attr]
        .order_by(Callback.id.desc())  # type: ignore[union-attr]
    ).first()


def check_outcome(outcome: str) -> str:
    """A callback outcome key (satisfied | unsatisfied | unreachable), or a clear refusal."""
    outcome = (outcome or "").strip()
    if outcome not in OUTCOMES:
        raise ValidationError(
            t("dispatch.error.outcome", value=outcome, allowed="|".join(OUTCOMES)),
            field="outcome",
        )
    return outcome


def quiet_period_message(when: datetime, settings: Settings) -> str:
    """CB-2's refusal, saying when calls may be made again (#17 finding 23: a night
    operator was only refused; the callback waits in the handover for the day shift)."""
    from shiftdesk.clocks.callbacks import next_allowed_at_or_after
    from shiftdesk.timeutil import zone

    cb = settings.callbacks
    opens = next_allowed_at_or_after(when, settings).astimezone(zone(settings.site.timezone))
    local = as_utc(when).astimezone(opens.tzinfo)
    return t(
        "dispatch.error.quiet",
        lunch_start=cb.lunch_start,
        lunch_end=cb.lunch_end,
        latest=cb.latest,
        day_start=cb.day_start,
        opens=opens.strftime("%H:%M" if opens.date() == local.date() else "%m-%d %H:%M"),
    )


def refuse_quiet_period(when: datetime, settings: Settings) -> None:
    """CB-2: nobody is called in the lunch break, after ``latest`` or before ``day_start``."""
    if in_quiet_period(when, settings):
        raise ValidationError(quiet_period_message(when, settings), field="at")


def record_callback(
    session: Session,
    order_id: int,
    *,
    outcome: str,
    settings: Settings,
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """The callback (回访, CB-1): satisfied or unsatisfied closes the order; unreachable is
    recorded as an attempt and the callback stays due. Never in the lunch break or after
    21:00 (CB-2)."""
    outcome = check_outcome(outcome)
    order = _load_for_change(
        session, order_id, "callback", site_id=site_id, expected_version=expected_version
    )
    when = _when(at, now=now, not_before=order.completed_at)
    refuse_quiet_period(when, settings)
    callback = _open_callback(session, order)
    if callback is None:  # an order completed before callbacks were recorded
        kind = callback_kind(order.priority, order.leak)
        callback = Callback(
            site_id=order.site_id,
            work_order_id=order.id,
            kind=kind.value,
            due_at=callback_due(
                kind, order.completed_at or when, settings, rained_at=order.rained_at
            ),
        )
    note = strip_controls(note, multiline=True)[:500]
    callback.operator_id = actor_id(session)
    if outcome == CallbackOutcome.UNREACHABLE.value:
        callback.attempts += 1
        callback.last_attempt_at = when
        callback.outcome = outcome
        if note:
            callback.note = note
        session.add(callback)
        _note(session, order, "callback", note or outcome)
        _bump(order)
        session.add(order)
        session.flush()
        return order
    callback.done_at = when
    callback.outcome = outcome
    callback.note = note
    session.add(callback)
    order.closed_at = when
    order.closed_by = actor_id(session)
    return _save(session, order, Stage.CLOSED)


def cancel(
    session: Session,
    order_id: int,
    *,
    reason: str,
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Cancel an order, with the reason (the resident fixed it, a duplicate report ...)."""
    order = _load_for_change(
        session, order_id, "cancel", site_id=site_id, expected_version=expected_version
    )
    reason = _required_reason(reason)
    order.cancelled_at = _when(at, now=now, not_before=order.reported_at)
    order.cancelled_by = actor_id(session)
    order.cancel_reason = reason[:500]
    return _save(session, order, Stage.CANCELLED)


def rework(
    session: Session,
    order_id: int,
    *,
    reason: str,
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Re-repair (返修): a new order for the same fault, linked to the old one (S-3, S-6).

    The old order keeps its history; the new one starts at ``reported`` with fresh clocks.
    """
    old = _load_for_change(
        session, order_id, "rework", site_id=site_id, expected_version=expected_version
    )
    reason = _required_reason(reason)
    when = _when(at, now=now, not_before=old.completed_at)
    new = create_order(
        session,
        site_id=old.site_id,
        reported_at=when,
        trade=old.trade,
        priority=old.priority,
        summary=t("dispatch.rework_summary", id=old.id, reason=reason)[:2000],
        unit_id=old.unit_id,
        location=old.location,
        in_home=old.in_home,
        paid=False,  # a re-repair of our own work is not charged again (inferred)
        reporter_name=old.reporter_name,
        reporter_phone=old.reporter_phone,
        call_id=old.call_id,
        spare_key_ok=old.spare_key_ok,
        leak=old.leak,
    )
    new.rework_of_id = old.id
    session.add(new)
    # touching the old order tells every board that it changed (version bump)
    _bump(old)
    session.add(old)
    session.flush()
    return new


def mark_rained(
    session: Session,
    *,
    site_id: int,
    settings: Settings,
    at: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """It rained (CB-3): completed leak repairs waiting for rain become due for a callback.

    Returns how many orders it concerned.
    """
    when = _when(at, now=now, not_before=None)
    orders = session.exec(
        select(WorkOrder).where(
            WorkOrder.site_id == site_id,
            WorkOrder.stage == Stage.COMPLETED.value,
            WorkOrder.leak.is_(True),  # type: ignore[attr-defined]
            WorkOrder.rained_at.is_(None),  # type: ignore[union-attr]
            WorkOrder.completed_at <= when,  # type: ignore[operator]
        )
    ).all()
    for order in orders:
        order.rained_at = when
        _bump(order)
        session.add(order)
        callback = _open_callback(session, order)
        if callback is not None:
            callback.due_at = callback_due(
                callback.kind, order.completed_at or when, settings, rained_at=when
            )
            session.add(callback)
    audit.record(
        session, "workorder.rained", "work_order", None, site_id=site_id, note=str(len(orders))
    )
    session.flush()
    return len(orders)


# ---------------------------------------------------------------------------- breaches


#: a breach: (order id, clock kind, due time in whole seconds since the epoch)
BreachKey = tuple[int, str, int]


def breach_key(order_id: int, kind: str, due_at: datetime) -> BreachKey:
    """How a breach is identified (and acknowledged): order, clock kind, due time (to the
    second; a number, not text: the board makes one for each of 10,000 open clocks)."""
    return (order_id, kind, int(as_utc(due_at).timestamp()))


def breaches_of(
    order: WorkOrder, settings: Settings, now: datetime
) -> list[tuple[int, str, datetime]]:
    """The breached open clocks of an order as (order id, kind, due)."""
    if order.stage not in OPEN_STAGES or order.id is None:
        return []
    return [
        (order.id, c.kind, c.due_at)
        for c in order_clocks(order, settings)
        if c.done_at is None and now > c.due_at
    ]


def acknowledge_breaches(
    session: Session,
    *,
    site_id: int,
    breaches: Iterable[tuple[int, str, datetime]],
    at: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """Record that the signed-in operator acknowledged these breach alarms (who, when).

    Breaches already acknowledged (by anyone) are skipped; returns how many were new.
    """
    wanted = {breach_key(*b): b for b in breaches}
    if not wanted:
        return 0
    ids = sorted({b[0] for b in wanted.values()})
    existing = {
        breach_key(a.work_order_id, a.kind, a.due_at)
        for a in session.exec(
            select(BreachAck).where(BreachAck.work_order_id.in_(ids))  # type: ignore[attr-defined]
        ).all()
    }
    actor = session.info.get("actor")
    when = as_utc(at) if at is not None else (as_utc(now) if now is not None else utcnow())
    added = 0
    for key, (order_id, kind, due_at) in sorted(wanted.items()):
        if key in existing:
            continue
        session.add(
            BreachAck(
                site_id=site_id,
                work_order_id=order_id,
                kind=kind,
                due_at=due_at,
                acked_at=when,
                acked_by=getattr(actor, "id", None),
                acked_name=str(getattr(actor, "name", ""))[:40],
            )
        )
        added += 1
    session.flush()
    return added


# ---------------------------------------------------------------------------- board rows


@dataclass
class BoardRow:
    """What the board and ``orders list`` show of one order: light, no ORM identity.

    It has the work order's attribute names, so the clock functions take it directly.
    """

    id: int
    version: int
    stage: str
    priority: str
    trade: str
    team: str
    assignee: str
    unit_code: str
    location: str
    summary: str
    reporter_name: str
    reporter_phone: str
    night: bool
    leak: bool
    paid: bool
    price_confirmed: bool
    rework_of_id: int | None
    reported_at: datetime
    dispatched_at: datetime | None
    first_dispatched_at: datetime | None
    accepted_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    unfinished_at: datetime | None
    closed_at: datetime | None
    rained_at: datetime | None
    unfinished_reason: str

    @property
    def where(self) -> str:
        """The unit (3-2-1502) or, for a public area, the location."""
        return self.unit_code or self.location


_ROW_COLUMNS: list[Any] = [
    WorkOrder.id, WorkOrder.version, WorkOrder.stage, WorkOrder.priority, WorkOrder.trade,
    WorkOrder.team, WorkOrder.assignee, Unit.code, WorkOrder.location, WorkOrder.summary,
    WorkOrder.reporter_name, WorkOrder.reporter_phone, WorkOrder.night, WorkOrder.leak,
    WorkOrder.paid, WorkOrder.price_confirmed, WorkOrder.rework_of_id, WorkOrder.reported_at,
    WorkOrder.dispatched_at, WorkOrder.first_dispatched_at, WorkOrder.accepted_at,
    WorkOrder.arrived_at, WorkOrder.completed_at, WorkOrder.unfinished_at, WorkOrder.closed_at,
    WorkOrder.rained_at, WorkOrder.unfinished_reason,
]  # fmt: skip


def _row(values: Iterable[object]) -> BoardRow:
    v = list(values)
    v[7] = v[7] or ""  # no unit: a public area
    return BoardRow(*v)  # type: ignore[arg-type]


#: positions of the date-time columns in ``_ROW_COLUMNS``
_TIMES = tuple(i for i, c in enumerate(_ROW_COLUMNS) if c.key.endswith("_at"))


def _text_rows(rows: Iterable[Any]) -> list[BoardRow]:
    """SQLite rows read raw, date-times as stored (UTC text): parsed by the C
    ``datetime.fromisoformat`` into the same aware UTC values ``UTCDateTime`` gives. The
    board reads 10,000 open orders at start-up; SQLAlchemy's row and type processing was
    half of that read (docs/performance.md)."""
    parse = datetime.fromisoformat
    times = _TIMES
    out = []
    for raw in rows:
        v = list(raw)
        for i in times:
            if v[i] is not None:
                v[i] = parse(v[i] + "+00:00")
        v[7] = v[7] or ""
        out.append(BoardRow(*v))
    return out


def open_stage() -> Any:
    """``work_order.stage IN (<open stages>)`` with the values inline, not bound: only then
    can SQLite (and PostgreSQL) prove the query fits the partial index ``ix_work_order_open``
    (models/workorders.py), which holds only the open orders."""
    from sqlalchemy import bindparam

    stages: Any = bindparam("open_stages", list(OPEN_STAGES), expanding=True, literal_execute=True)
    return WorkOrder.stage.in_(stages)  # type: ignore[attr-defined]


def load_rows(
    session: Session,
    *,
    site_id: int,
    ids: Iterable[int] | None = None,
    open_only: bool = True,
    chunk: int = 500,
) -> list[BoardRow]:
    """Board rows of a site's orders (open ones by default), or of the given ids only."""
    from sqlalchemy import String, type_coerce
    from sqlalchemy import select as core_select

    conn = session.connection()
    raw = conn.dialect.name == "sqlite"
    columns = _ROW_COLUMNS
    if raw:  # date-times as their stored text, parsed in _text_rows
        columns = [
            type_coerce(c, String).label(c.key) if i in _TIMES else c
            for i, c in enumerate(_ROW_COLUMNS)
        ]
    base = (
        core_select(*columns)
        .select_from(WorkOrder)
        .outerjoin(Unit, col(Unit.id) == col(WorkOrder.unit_id))
        .where(col(WorkOrder.site_id) == site_id)
    )
    if open_only:
        base = base.where(open_stage())

    def run(query: Any) -> list[BoardRow]:
        result = conn.execute(query)
        if raw:
            return _text_rows(result.cursor.fetchall())  # the DB-API rows, unprocessed
        return [_row(r) for r in result]

    if ids is None:
        return run(base.order_by(col(WorkOrder.id)))
    wanted = sorted(set(ids))
    rows: list[BoardRow] = []
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        rows += run(base.where(WorkOrder.id.in_(part)))  # type: ignore[union-attr]
    return rows


def open_versions(session: Session, *, site_id: int) -> dict[int, int]:
    """id -> version of every open order: the cheap half of the board's keyed diff."""
    from sqlalchemy import select as core_select

    query = core_select(WorkOrder.id, WorkOrder.version).where(  # type: ignore[call-overload]
        WorkOrder.site_id == site_id,
        open_stage(),
    )
    return {int(i): int(v) for i, v in session.connection().execute(query)}


def acked_breaches(session: Session, *, site_id: int) -> dict[BreachKey, tuple[str, datetime]]:
    """Acknowledged breaches of the site's open orders: key -> (who, when)."""
    from sqlalchemy import select as core_select

    query = (
        core_select(
            BreachAck.work_order_id,
            BreachAck.kind,
            BreachAck.due_at,
            BreachAck.acked_name,
            BreachAck.acked_at,
        )  # type: ignore[call-overload]
        .join(WorkOrder, WorkOrder.id == BreachAck.work_order_id)
        .where(
            BreachAck.site_id == site_id,
            WorkOrder.stage.in_(OPEN_STAGES),  # type: ignore[attr-defined]
        )
    )
    return {
        breach_key(oid, kind, due): (name, at)
        for oid, kind, due, name, at in session.connection().execute(query)
    }
