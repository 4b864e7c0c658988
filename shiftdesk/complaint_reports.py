"""CP-16 / S-7: the paperwork of a 重大 (major) or 热点 (hot) complaint.

Within one working day of a complaint becoming major or hot, its handling form
(《客户诉求处理表》) goes to quality and the leader in charge; within a week of its
completion, a special report follows: what the complaint was, its cause, the handling and
result, the lessons learned and the corrective actions. The deadlines are the pure clocks
``clocks.complaints.report_clocks``; this module records what was sent, renders both
documents as Markdown (for e-mail or print) and queues them for the managers' channels
(``notifications.manager_urls``) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from shiftdesk import notify
from shiftdesk.clocks import Clock
from shiftdesk.clocks.complaints import REPORTED_LEVELS, needs_special_report, report_clocks
from shiftdesk.complaints import get_complaint, level_label, step_time
from shiftdesk.config import Settings
from shiftdesk.errors import ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import Call, Complaint, ComplaintReport, Role, Unit
from shiftdesk.security import require_role
from shiftdesk.textclean import clean_text
from shiftdesk.timeutil import to_local

#: the special report's parts (CP-16), in the order the report lists them
PARTS = ("cause", "handling", "lessons", "actions")


def report_for(session: Session, complaint: Complaint) -> ComplaintReport | None:
    return session.exec(
        select(ComplaintReport).where(ComplaintReport.complaint_id == complaint.id)
    ).first()


def _reported(session: Session, complaint_id: int, site_id: int | None) -> tuple[
    Complaint, ComplaintReport
]:  # fmt: skip
    """The complaint (major or hot only, CP-16) and its report row, made on first use."""
    complaint = get_complaint(session, complaint_id, site_id=site_id)
    if not needs_special_report(complaint):
        raise ValidationError(t("complaints.report.err.level", id=complaint_id), field="level")
    report = report_for(session, complaint)
    if report is None:
        assert complaint.id is not None
        report = ComplaintReport(site_id=complaint.site_id, complaint_id=complaint.id)
        session.add(report)
    return complaint, report


def send_form(
    session: Session,
    settings: Settings,
    complaint_id: int,
    *,
    site_id: int | None = None,
    at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ComplaintReport, str]:
    """Record the handling form as sent (its first time stays) and queue it for the
    managers' channels; returns the report row and the form's text."""
    complaint, report = _reported(session, complaint_id, site_id)
    when = step_time(at, now=now)
    if report.form_sent_at is None:
        report.form_sent_at = when
    report.version += 1
    session.add(report)
    session.flush()
    text = render_form(session, settings, complaint)
    _queue(session, settings, complaint, t("complaints.report.form_title", id=complaint.id), text)
    return report, text


def write_report(
    session: Session, complaint_id: int, *, site_id: int | None = None, **parts: str | None
) -> ComplaintReport:
    """Save the special report's parts given (``cause``, ``handling``, ``lessons``,
    ``actions``); the others keep what they had."""
    _, report = _reported(session, complaint_id, site_id)
    for part in PARTS:
        value = parts.get(part)
        if value is not None:
            setattr(report, part, clean_text(value, max_length=1000, multiline=True, field=part))
    report.version += 1
    session.add(report)
    session.flush()
    return report


def send_report(
    session: Session,
    settings: Settings,
    complaint_id: int,
    *,
    site_id: int | None = None,
    at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ComplaintReport, str]:
    """Send the special report (a supervisor or above, CP-16): only once the complaint is
    resolved and every part is written; queued for the managers' channels."""
    actor = session.info.get("actor")
    if actor is not None:
        require_role(actor, Role.SUPERVISOR)
    complaint, report = _reported(session, complaint_id, site_id)
    if complaint.resolved_at is None:
        raise ValidationError(t("complaints.report.err.open", id=complaint_id), field="step")
    missing = [t(f"complaints.report.part.{p}") for p in PARTS if not getattr(report, p)]
    if missing:
        raise ValidationError(
            t("complaints.report.err.missing", parts=", ".join(missing)), field=PARTS[0]
        )
    when = step_time(at, now=now)
    if report.report_sent_at is None:
        report.report_sent_at = when
    report.version += 1
    session.add(report)
    session.flush()
    text = render_report(session, settings, complaint, report)
    _queue(session, settings, complaint, t("complaints.report.title", id=complaint.id), text)
    return report, text


def _queue(
    session: Session, settings: Settings, complaint: Complaint, title: str, body: str
) -> None:
    notify.enqueue(
        session,
        settings,
        site_id=complaint.site_id,
        kind="report",
        title=title,
        body=body,
        urls=settings.notifications.manager_urls,
    )


# ---------------------------------------------------------------------------- documents


def _facts(session: Session, settings: Settings, complaint: Complaint) -> list[str]:
    call = session.get(Call, complaint.call_id) if complaint.call_id is not None else None
    unit = session.get(Unit, call.unit_id) if call is not None and call.unit_id else None
    tz = settings.site.timezone
    who = " ".join(x for x in (call.caller_name, call.caller_phone) if x) if call else ""

    def when(moment: datetime | None) -> str:
        return to_local(moment, tz).strftime("%Y-%m-%d %H:%M") if moment else "—"

    return [
        f"- {t('complaints.report.site')}: {settings.site.name}",
        f"- {t('complaints.report.level')}: "
        + level_label(complaint.scheme, complaint.level, complaint.cause_class),
        f"- {t('complaints.report.received')}: {when(complaint.received_at)}",
        f"- {t('complaints.report.complainant')}: {who or '—'}"
        + (f" ({unit.code})" if unit else ""),
        f"- {t('complaints.report.people')}: {complaint.complainants}",
        f"- {t('complaints.report.department')}: {complaint.department or '—'}",
        f"- {t('complaints.report.what')}: {call.summary if call else '—'}",
        f"- {t('complaints.report.resolved')}: {when(complaint.resolved_at)}",
    ]


def render_form(session: Session, settings: Settings, complaint: Complaint) -> str:
    """《客户诉求处理表》 as Markdown: the facts of the complaint as they stand."""
    lines = [f"# {t('complaints.report.form_title', id=complaint.id)}", ""]
    return "\n".join([*lines, *_facts(session, settings, complaint), ""])


def render_report(
    session: Session, settings: Settings, complaint: Complaint, report: ComplaintReport
) -> str:
    """The special report as Markdown: the facts, then each part CP-16 asks for."""
    lines = [f"# {t('complaints.report.title', id=complaint.id)}", ""]
    lines += _facts(session, settings, complaint)
    for part in PARTS:
        lines += ["", f"## {t(f'complaints.report.part.{part}')}", "", getattr(report, part)]
    return "\n".join([*lines, ""])


# ---------------------------------------------------------------------------- the list


@dataclass
class ReportRow:
    complaint: Complaint
    report: ComplaintReport | None
    clocks: list[Clock]


def reports(session: Session, settings: Settings, site_id: int) -> list[ReportRow]:
    """Every major or hot complaint with its CP-16 clocks, newest first."""
    rows = session.exec(
        select(Complaint, ComplaintReport)
        .join(
            ComplaintReport,
            col(ComplaintReport.complaint_id) == col(Complaint.id),
            isouter=True,
        )
        .where(Complaint.site_id == site_id, col(Complaint.level).in_(REPORTED_LEVELS))
        .order_by(col(Complaint.received_at).desc())
    ).all()
    return [ReportRow(c, r, report_clocks(c, settings, r)) for c, r in rows]
