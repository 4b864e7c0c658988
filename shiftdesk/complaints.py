"""Complaints (投诉, domain §4): classification under the site's scheme, progress, escalation.

A complaint is opened by a call of category ``complaint`` (``calls.log_call``) in the same
transaction. The scheme is the site's ``complaints.scheme`` at that moment and stays with the
complaint (a later change of scheme does not rewrite history):

- scheme A (000): level 一般 general / 重要 important / 重大 major (CP-1..CP-3);
- scheme B (002): cause class 一类 1 / 二类 2 / 三类 3 (CP-8) x severity 一般 general /
  热点 hot / 重大 major (CP-9).

Clocks and escalation rules are pure functions in ``shiftdesk.clocks.complaints``; this
module only applies them to rows. Resolving a complaint puts its callback (回访) on the books
(CB-1, CB-3/CB-4: ``callbacks.complaint_days``); recording a satisfied or unsatisfied
callback closes the complaint (CP-25: register, handle, track, record the outcome). Every
change goes through the session, so the audit trail records it (before and after) under the
acting operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shiftdesk import audit
from shiftdesk.clocks.callbacks import CallbackKind, callback_due
from shiftdesk.clocks.complaints import (
    CAUSE_CLASSES,
    LEVELS,
    OPEN_STATUSES,
    escalation,
    initial_level,
)
from shiftdesk.config import Settings
from shiftdesk.db import actor_id
from shiftdesk.errors import ConflictError, NotFound, ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import Call, Callback, CallbackOutcome, Complaint, ComplaintStatus, Unit
from shiftdesk.textclean import clean_text
from shiftdesk.timeutil import as_utc, utcnow

#: progress steps an operator records, and the column each one stamps
STEPS: dict[str, str] = {
    "reported": "department_reported_at",  # CP-1: the department reported the fix
    "answered": "answered_at",  # the customer was answered / told how it is handled
    "resolved": "resolved_at",  # fixed (CP-2), handled (CP-4)
    "closed": "closed_at",  # called back and closed (CP-25)
}
_FUTURE_SLACK = timedelta(minutes=2)


@dataclass
class ComplaintInput:
    """What the call form / ``calls log`` give for a complaint."""

    #: scheme A level, or scheme B severity; "" means general
    level: str = ""
    #: scheme B cause class "1" | "2" | "3"
    cause_class: str = ""
    complainants: int = 1
    repeat: bool = False
    #: the department complained about / responsible (CP-1, CP-10)
    department: str = ""


def check_input(data: ComplaintInput, scheme: str) -> list[ValidationError]:
    """Every problem with the classification, each on its own field."""
    errors: list[ValidationError] = []
    level = data.level or "general"
    if level not in LEVELS[scheme]:
        errors.append(
            ValidationError(
                t("complaints.error.level", value=level, allowed="|".join(LEVELS[scheme])),
                field="level",
            )
        )
    if scheme == "B" and data.cause_class not in CAUSE_CLASSES:
        errors.append(
            ValidationError(
                t("complaints.error.cause_class", value=data.cause_class or "-"),
                field="cause_class",
            )
        )
    if not 1 <= data.complainants <= 9999:
        errors.append(
            ValidationError(
                t("complaints.error.complainants", value=data.complainants), field="complainants"
            )
        )
    if len(data.department) > 40:
        errors.append(ValidationError(t("calls.error.too_long", max=40), field="department"))
    return errors


def open_complaint(
    session: Session, *, call: Call, data: ComplaintInput, settings: Settings
) -> Complaint:
    """Open the complaint of ``call`` (flushed), raised at once if CP-9 / CP-3 say so."""
    scheme = settings.complaints.scheme
    errors = check_input(data, scheme)
    if errors:
        raise errors[0]
    level, reason = initial_level(
        scheme, data.level or "general", data.complainants, data.repeat, settings
    )
    complaint = Complaint(
        site_id=call.site_id,
        call_id=call.id,
        received_at=call.received_at,
        scheme=scheme,
        level=level,
        cause_class=data.cause_class if scheme == "B" else "",
        complainants=data.complainants,
        repeat=data.repeat,
        department=clean_text(data.department, max_length=40),
        operator_id=call.operator_id,
    )
    if reason:
        complaint.escalated_at = call.received_at
        complaint.escalation_reason = reason
    session.add(complaint)
    session.flush()
    return complaint


def get_complaint(session: Session, complaint_id: int, *, site_id: int | None = None) -> Complaint:
    found = session.get(Complaint, complaint_id)
    if found is None or (site_id is not None and found.site_id != site_id):
        raise NotFound(t("complaints.error.not_found", id=complaint_id))
    return found


def _for_change(
    session: Session, complaint_id: int, site_id: int | None, expected_version: int | None
) -> Complaint:
    """The complaint, refused if another terminal changed it since ``expected_version``."""
    complaint = get_complaint(session, complaint_id, site_id=site_id)
    if expected_version is not None and complaint.version != expected_version:
        raise ConflictError(t("calls.error.conflict", id=complaint_id))
    return complaint


def step_time(
    at: datetime | None,
    *,
    now: datetime | None = None,
    not_before: datetime | None = None,
    too_early: str = "",
) -> datetime:
    """When a step happened (default ``now``): not after ``now``, not before ``not_before``.

    ``now`` is the caller's clock; the wall clock is read only when no caller passed one.
    """
    now = as_utc(now) if now is not None else utcnow()
    when = as_utc(at) if at is not None else now
    if when > now + _FUTURE_SLACK:
        raise ValidationError(t("calls.error.future"), field="at")
    if not_before is not None and when < as_utc(not_before):
        raise ValidationError(t(too_early), field="at")
    return when


def mark(
    session: Session,
    complaint_id: int,
    step: str,
    *,
    settings: Settings,
    site_id: int | None = None,
    at: datetime | None = None,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Record a step (reported / answered / resolved / closed) at ``at`` (default now).

    A step already recorded keeps its first time (the clocks judge the first answer, not a
    later one); the status follows the furthest step recorded. ``expected_version`` guards
    against a terminal acting on a stale copy (ConflictError, nothing written). The first
    resolution puts the complaint's callback on the books (CB-1).
    """
    if step not in STEPS:
        raise ValidationError(
            t("complaints.error.step", value=step, allowed="|".join(STEPS)), field="step"
        )
    complaint = _for_change(session, complaint_id, site_id, expected_version)
    when = step_time(
        at, now=now, not_before=complaint.received_at, too_early="complaints.error.before_received"
    )
    column = STEPS[step]
    if getattr(complaint, column) is None:
        setattr(complaint, column, when)
        if step == "resolved":
            _book_callback(session, complaint, when, settings)
    if complaint.closed_at is not None:
        complaint.status = ComplaintStatus.CLOSED.value
    elif complaint.resolved_at is not None:
        complaint.status = ComplaintStatus.RESOLVED.value
    elif complaint.answered_at is not None:
        complaint.status = ComplaintStatus.ANSWERED.value
    complaint.version += 1
    session.add(complaint)
    session.flush()
    return complaint


def _book_callback(
    session: Session, complaint: Complaint, resolved_at: datetime, settings: Settings
) -> None:
    """CB-1: every complaint is called back; due ``callbacks.complaint_days`` after it was
    resolved, moved out of CB-2's quiet hours (the shared callback clock)."""
    if callback_for(session, complaint) is not None:
        return
    session.add(
        Callback(
            site_id=complaint.site_id,
            complaint_id=complaint.id,
            kind=CallbackKind.COMPLAINT.value,
            due_at=callback_due(CallbackKind.COMPLAINT, resolved_at, settings),
        )
    )


def callback_for(session: Session, complaint: Complaint) -> Callback | None:
    """The complaint's callback (one per complaint), or None before it was resolved."""
    return session.exec(
        select(Callback).where(Callback.complaint_id == complaint.id).order_by(col(Callback.id))
    ).first()


def record_callback(
    session: Session,
    complaint_id: int,
    *,
    outcome: str,
    settings: Settings,
    note: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
    site_id: int | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """The complaint's callback (回访, CB-1): satisfied or unsatisfied is recorded and closes
    the complaint; unreachable counts an attempt and the callback stays due (CB-6 chases it).

    Only after the complaint was resolved, never in CB-2's quiet hours, and an unsatisfied
    callback needs a note saying what is done about it (CB-6).
    """
    from shiftdesk.workorders import check_outcome, refuse_quiet_period

    outcome = check_outcome(outcome)
    complaint = _for_change(session, complaint_id, site_id, expected_version)
    if complaint.resolved_at is None:
        raise ValidationError(t("complaints.error.not_resolved", id=complaint_id), field="step")
    when = step_time(
        at,
        now=now,
        not_before=complaint.resolved_at,
        too_early="complaints.error.callback_before_resolved",
    )
    refuse_quiet_period(when, settings)
    note = clean_text(note, max_length=500, multiline=True, field="note")
    if outcome == CallbackOutcome.UNSATISFIED.value and not note:
        raise ValidationError(t("complaints.error.unsatisfied_note"), field="note")
    _book_callback(session, complaint, as_utc(complaint.resolved_at), settings)
    session.flush()
    callback = callback_for(session, complaint)
    assert callback is not None
    if callback.done_at is not None:
        raise ValidationError(t("complaints.error.called_back", id=complaint_id), field="step")
    callback.outcome = outcome
    callback.note = note or callback.note
    callback.operator_id = actor_id(session)
    if outcome == CallbackOutcome.UNREACHABLE.value:
        callback.attempts += 1
        callback.last_attempt_at = when
    else:
        callback.done_at = when
        if complaint.closed_at is None:
            complaint.closed_at = when
        complaint.status = ComplaintStatus.CLOSED.value
    session.add(callback)
    complaint.version += 1
    session.add(complaint)
    session.flush()
    return complaint


def apply_escalations(
    session: Session, site_id: int, settings: Settings, now: datetime
) -> list[Complaint]:
    """Raise every open complaint CP-9 / CP-3 says must go up (audited); return those raised.

    Safe to run as often as wanted (the nightly job, the screens): a level only goes up.
    """
    raised: list[Complaint] = []
    rows = session.exec(
        select(Complaint).where(
            Complaint.site_id == site_id, col(Complaint.status).in_(OPEN_STATUSES)
        )
    ).all()
    for complaint in rows:
        change = escalation(complaint, settings, now)
        if change is None:
            continue
        level, reason = change
        complaint.level = level
        complaint.escalated_at = as_utc(now)
        complaint.escalation_reason = reason
        complaint.version += 1
        session.add(complaint)
        raised.append(complaint)
    if raised:
        session.flush()
        for complaint in raised:
            audit.record(
                session,
                "escalate",
                "complaint",
                complaint.id,
                site_id=site_id,
                note=f"{complaint.level}: {complaint.escalation_reason}",
            )
    return raised


@dataclass
class ComplaintRow:
    """A complaint with what the list shows beside it (caller, unit, the call's summary)."""

    complaint: Complaint
    caller_name: str
    caller_phone: str
    unit_code: str
    summary: str
    #: its callback once resolved (CB-1), None before
    callback: Callback | None = None


def list_complaints(
    session: Session, site_id: int, *, open_only: bool = False, limit: int = 500
) -> list[ComplaintRow]:
    stmt: Any = (
        sa_select(
            Complaint,
            col(Call.caller_name),
            col(Call.caller_phone),
            col(Unit.code),
            col(Call.summary),
            Callback,
        )
        .join(Call, col(Call.id) == col(Complaint.call_id), isouter=True)
        .join(Unit, col(Unit.id) == col(Call.unit_id), isouter=True)
        .join(Callback, col(Callback.complaint_id) == col(Complaint.id), isouter=True)
        .where(col(Complaint.site_id) == site_id)
    )
    if open_only:
        stmt = stmt.where(col(Complaint.status).in_(OPEN_STATUSES))
    stmt = stmt.order_by(col(Complaint.received_at).desc(), col(Complaint.id).desc()).limit(limit)
    return [
        ComplaintRow(c, name or "", phone or "", code or "", summary or "", callback)
        for c, name, phone, code, summary, callback in session.exec(stmt).all()
    ]


def complaint_for_call(session: Session, call_id: int) -> Complaint | None:
    return session.exec(select(Complaint).where(Complaint.call_id == call_id)).first()


def level_label(scheme: str, level: str, cause_class: str = "") -> str:
    """一般 / 重要 / 重大 (scheme A), 一类·热点 (scheme B), translated."""
    name = t(f"complaints.level.{scheme.lower()}.{level}") if level else ""
    if scheme == "B" and cause_class:
        return f"{t(f'complaints.class.{cause_class}')} · {name}"
    return name
