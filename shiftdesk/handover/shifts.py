"""Shift periods and shifts (H-1, H-7): which period a shift belongs to, the open one.

A shift belongs to one desk (site + ``site.desk``) and one configured period (day
08:00–20:00, night 20:00–08:00); one shift per desk is open at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from shiftdesk import chain
from shiftdesk.config import Settings
from shiftdesk.db import Actor
from shiftdesk.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from shiftdesk.handover.text import shift_label
from shiftdesk.i18n import t
from shiftdesk.models import (
    HandoverEntry,
    Role,
    Shift,
    ShiftStatus,
)
from shiftdesk.models.handover import EntryKind
from shiftdesk.security import require_role
from shiftdesk.timeutil import local_day_bounds, parse_hhmm, to_local, utcnow, zone

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


def shift_entries(session: Session, shift_id: int) -> list[HandoverEntry]:
    return list(
        session.exec(
            select(HandoverEntry)
            .where(HandoverEntry.shift_id == shift_id)
            .order_by(col(HandoverEntry.seq))
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
