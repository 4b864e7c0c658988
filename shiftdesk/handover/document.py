"""A shift's log and handover as plain data (``handover show``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from shiftdesk.config import Settings
from shiftdesk.handover.log import timeline
from shiftdesk.handover.shifts import current_shift, get_shift, shift_entries, shifts_on
from shiftdesk.handover.signoff import handover_state
from shiftdesk.handover.text import describe_item, entry_text, kind_label, shift_label
from shiftdesk.i18n import t
from shiftdesk.models import (
    Shift,
    ShiftStatus,
)
from shiftdesk.sites import operator_names
from shiftdesk.timeutil import to_local, utcnow

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
