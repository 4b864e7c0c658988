"""What the handover screen shows, loaded in one read off the UI thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import Session, select

from shiftdesk import handover
from shiftdesk.db import Actor
from shiftdesk.models import Operator, Shift
from shiftdesk.sites import get_site

T = TypeVar("T")

#: log entries an operator may correct (with a new entry, H-* / issue: never edited)
CORRECTABLE = {k.value for k in handover.LOG_KINDS}


@dataclass
class View:
    """Everything the screen shows, loaded in one read off the UI thread."""

    site_id: int
    shift: Shift | None = None
    label: str = ""
    holder_name: str = ""
    holder_login: str = ""
    incoming_name: str = ""
    incoming_login: str = ""
    rows: list[handover.TimelineRow] = field(default_factory=list)
    state: handover.HandoverState | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    opened_now: bool = False


def load_view(session: Session, settings: Any, *, open_for: Actor | None = None) -> View:
    """Read the desk's shift, its timeline and handover state, and the countersign list."""
    site = get_site(session, settings.site.code)
    assert site.id is not None
    view = View(site_id=site.id)
    shift = handover.current_shift(session, site.id, settings.site.desk)
    if shift is None and open_for is not None:
        shift = handover.open_shift(session, settings, site_id=site.id, holder=open_for)
        view.opened_now = True
    tz = settings.site.timezone
    if shift is not None:
        view.shift = shift
        view.label = handover.shift_label(shift, tz)
        ops = {
            op.id: op
            for op in session.exec(
                select(Operator).where(
                    Operator.id.in_([x for x in (shift.outgoing_id, shift.incoming_id) if x])  # type: ignore[union-attr]
                )
            )
        }
        holder = ops.get(shift.outgoing_id)
        incoming = ops.get(shift.incoming_id)
        view.holder_name = holder.label if holder else ""
        view.holder_login = holder.name if holder else ""
        view.incoming_name = incoming.label if incoming else ""
        view.incoming_login = incoming.name if incoming else ""
        view.rows = handover.timeline(session, settings, shift)
        view.state = handover.handover_state(session, shift)
    pending = handover.awaiting_countersign(session, site.id)
    names = handover.operator_names(
        session, [x for s in pending for x in (s.outgoing_id, s.incoming_id)]
    )
    view.pending = [
        {
            "id": s.id,
            "day": handover.shift_day(s, tz).isoformat(),
            "label": handover.shift_label(s, tz),
            "outgoing": names.get(s.outgoing_id or -1, ""),
            "incoming": names.get(s.incoming_id or -1, ""),
            "discrepancy": handover.has_discrepancy(session, s.id or 0),
            "override": s.override_by is not None,
        }
        for s in pending
    ]
    return view
