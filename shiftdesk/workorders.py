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
from datetime import datetime

from sqlmodel import Session

from shiftdesk.errors import ValidationError
from shiftdesk.i18n import t
from shiftdesk.models.workorders import Priority, Stage, WorkOrder
from shiftdesk.timeutil import as_utc, utcnow

#: Callback outcomes (CB-*), stable keys on the command line whatever the locale.
PRIORITIES = tuple(p.value for p in Priority)


def _actor_id(session: Session) -> int | None:
    actor = session.info.get("actor")
    return getattr(actor, "id", None)


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
    summary = (summary or "").strip()
    if not summary:
        # the content of the repair is always recorded
        raise ValidationError(t("dispatch.error.summary_required"), field="summary")
    location = (location or "").strip()
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
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        spare_key_ok=spare_key_ok,
        night=night,
        leak=leak,
        stage=Stage.REPORTED.value,
        reported_at=as_utc(reported_at or utcnow()),
        reported_by=_actor_id(session),
    )
    session.add(order)
    session.flush()
    return order
