"""``shiftdesk calls`` and ``shiftdesk complaints``: the call form for scripts and hooks.

``calls log`` creates exactly what the F2 form creates (the call, and its work order or
complaint) with the same validation; a phone system's caller-ID hook can call it with just
``--phone``: a resident on file with that number fills in the name and unit. Values on the
command line are stable English keys whatever the locale. Bad input: one line, exit 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from shiftdesk.cli.common import FORMAT_HELP, check_format, emit, site_option, state

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from shiftdesk.cli.common import AppState
    from shiftdesk.config import Settings

app = typer.Typer(
    help="Calls and visits (来电来访): log one, list a day's, search.", no_args_is_help=True
)
complaints_app = typer.Typer(
    help="Complaints (投诉): list them with their clocks, record progress and callbacks, escalate.",
    no_args_is_help=True,
)

CHANNEL_KEYS = "phone|walk_in|letter|online|intercom|internal"
CATEGORY_KEYS = "inquiry|repair|complaint|suggestion|praise|help|other"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="calls")
    root.add_typer(complaints_app, name="complaints")


@app.command("log")
def log(
    ctx: typer.Context,
    channel: str = typer.Option(..., "--channel", help=CHANNEL_KEYS),
    category: str = typer.Option(..., "--category", help=CATEGORY_KEYS),
    summary: str = typer.Option("", "--summary", help="What the caller said or asked."),
    phone: str = typer.Option("", "--phone", help="Caller's phone, any format (+86 optional)."),
    unit: str = typer.Option("", "--unit", help="Unit code such as 3-2-1502 (must exist)."),
    name: str = typer.Option("", "--name", help="Caller's name (e.g. 张先生)."),
    outside: bool = typer.Option(
        False, "--outside", help="The caller's unit is outside the estate or unknown."
    ),
    location: str = typer.Option(
        "", "--location", help="Where, when not a unit (e.g. 'east gate'); implies --outside."
    ),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Time received (ISO, site time unless it has an offset); "
        "default now. Much earlier than now: a late entry.",
    ),
    action: str = typer.Option("", "--action", help="Action taken at the desk."),
    trade: str = typer.Option(
        "",
        "--trade",
        help="Repair: trade from config (default: other). "
        "Defaults: plumbing|electrical|civil|lift|doors_locks|hvac|cleaning|other.",
    ),
    priority: str = typer.Option("normal", "--priority", help="Repair: normal|urgent|emergency."),
    public: bool = typer.Option(False, "--public", help="Repair: in a public area, not a home."),
    paid: bool = typer.Option(False, "--paid", help="Repair: a paid repair (R-15)."),
    spare_key: bool = typer.Option(
        False, "--spare-key", help="Repair: the spare key may be used if nobody is home (R-7)."
    ),
    leak: bool = typer.Option(False, "--leak", help="Repair: a leak (called back after rain)."),
    level: str = typer.Option(
        "",
        "--level",
        help="Complaint: scheme A general|important|major; "
        "scheme B severity general|hot|major (default general).",
    ),
    cause_class: str = typer.Option("", "--class", help="Complaint, scheme B: cause class 1|2|3."),
    complainants: int = typer.Option(1, "--complainants", help="Complaint: number of people."),
    repeat: bool = typer.Option(False, "--repeat", help="Complaint: complained about before."),
    department: str = typer.Option("", "--department", help="Complaint: department concerned."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Log a call or visit; a repair opens a work order, a complaint a complaint. Prints ids."""
    from shiftdesk.calls import CallInput, RepairInput, log_call
    from shiftdesk.complaints import ComplaintInput
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.lookup import normalise_phone, resident_by_phone
    from shiftdesk.timeutil import parse_instant

    check_format(fmt, ("table", "json"))
    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    received = parse_instant(at, settings.site.timezone) if at else None
    trades = settings.workorders.trades
    default_trade = "other" if "other" in trades else (trades[0] if trades else "")
    data = CallInput(
        channel=channel.strip(),
        category=category.strip(),
        summary=summary,
        received_at=received,
        caller_name=name,
        caller_phone=phone,
        unit_code=unit,
        outside=outside or bool(location.strip()),
        location=location,
        action_taken=action,
        repair=RepairInput(
            trade=trade.strip() or default_trade,
            priority=priority.strip(),
            in_home=not public,
            paid=paid,
            spare_key_ok=spare_key,
            leak=leak,
        ),
        complaint=ComplaintInput(
            level=level.strip(),
            cause_class=cause_class.strip(),
            complainants=complainants,
            repeat=repeat,
            department=department,
        ),
    )

    def work(session: Any) -> Any:
        if phone and not name and not unit and not outside:
            # caller ID: a known number fills in who and where
            try:
                hit = resident_by_phone(session, site_id, normalise_phone(phone))
            except Exception:
                hit = None
            if hit is not None:
                data.caller_name = hit.name
                data.resident_id = hit.resident_id
                data.unit_id = hit.unit_id
        logged = log_call(session, site_id, data, settings)
        return logged.as_dict()

    result = transact(st.engine(), work, actor=st.actor())
    alarm = None
    if "work_order_id" in result and data.repair.priority == "emergency":
        alarm = _send_emergency(st, site_id)
        if alarm is not None:
            result["alarm"] = alarm
    if fmt == "json":
        import json

        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(t("calls.cli.saved", id=result["call_id"]))
    if "work_order_id" in result:
        typer.echo(t("calls.cli.order_opened", id=result["work_order_id"]))
    if alarm is not None:
        typer.echo(t("calls.cli.emergency_sent", **alarm))
    if "complaint_id" in result:
        typer.echo(t("calls.cli.complaint_opened", id=result["complaint_id"]))


def _send_emergency(st: AppState, site_id: int) -> dict[str, int] | None:
    """R-14: send the emergency just queued (and anything else due) now; None when the site
    sends emergencies nowhere. What fails stays in the outbox and is retried."""
    if not st.settings.notifications.emergency_urls:
        return None
    report = st.deliver(site_id)
    return {"sent": report.sent, "failed": report.failed + report.gave_up}


def _call_dict(row: Any, settings: Settings) -> dict[str, Any]:
    from shiftdesk.timeutil import to_local

    call = row.call
    return {
        "id": call.id,
        "received_at": to_local(call.received_at, settings.site.timezone).isoformat(
            timespec="seconds"
        ),
        "channel": call.channel,
        "category": call.category,
        "name": call.caller_name,
        "phone": call.caller_phone,
        "unit": row.unit_code or call.location,
        "summary": call.summary,
        "night": call.night,
        "late_entry": call.late_entry,
        "status": call.status,
        "work_order_id": row.work_order_id,
        "complaint_id": row.complaint_id,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    day: str | None = typer.Option(
        None, "--date", help="Day (YYYY-MM-DD, site time); default today."
    ),
    text: str = typer.Option(
        "", "--search", help="Only calls whose text, name, phone or unit contains this."
    ),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """List a day's calls (newest first); with --search, over all days unless --date is given."""
    from shiftdesk.calls import calls_on, search
    from shiftdesk.db import read_session
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import parse_day, to_local, utcnow

    check_format(fmt)
    st = state(ctx)
    settings = st.settings
    tz = settings.site.timezone
    site_id = st.site_id()
    with read_session(st.engine()) as session:
        if text:
            chosen = parse_day(day) if day else None
            rows = search(session, site_id, text=text, day=chosen, tz=tz)
        else:
            chosen = parse_day(day) if day else to_local(utcnow(), tz).date()
            rows = calls_on(session, site_id, chosen, tz)
    out = [_call_dict(r, settings) for r in rows]
    title = t("calls.cli.list_title", count=len(out))
    if fmt != "table":
        emit(out, fmt, title=title)
        return
    # a terminal is narrow: the fields an operator scans, with the links shortened
    compact = []
    for r in out:
        links = []
        if r["work_order_id"]:
            links.append(t("calls.list.order_link", id=r["work_order_id"]))
        if r["complaint_id"]:
            links.append(t("calls.list.complaint_link", id=r["complaint_id"]))
        compact.append(
            {
                "id": r["id"],
                "time": r["received_at"][5:16].replace("T", " "),
                "category": t(f"calls.category.{r['category']}"),
                "name": r["name"],
                "unit": r["unit"],
                "summary": r["summary"],
                "links": " ".join(links),
            }
        )
    headers = {
        "id": "no",
        "time": "time",
        "category": "category",
        "name": "caller",
        "unit": "unit",
        "summary": "summary",
        "links": "links",
    }
    emit(
        compact,
        fmt,
        headers={k: t(f"calls.list.col.{v}") for k, v in headers.items()},
        title=title,
    )


# ------------------------------------------------------------------------------ complaints


def _complaint_dict(row: Any, settings: Settings, now: datetime) -> dict[str, Any]:
    from shiftdesk.clocks import format_remaining
    from shiftdesk.clocks.complaints import escalation, next_due
    from shiftdesk.clocks.workorders import warn_delta
    from shiftdesk.timeutil import to_local

    c = row.complaint
    tz = settings.site.timezone
    clock = next_due(c, settings, row.callback)
    pending = escalation(c, settings, now)
    return {
        "id": c.id,
        "call_id": c.call_id,
        "received_at": to_local(c.received_at, tz).isoformat(timespec="seconds"),
        "scheme": c.scheme,
        "level": c.level,
        "class": c.cause_class,
        "complainants": c.complainants,
        "repeat": c.repeat,
        "status": c.status,
        "name": row.caller_name,
        "unit": row.unit_code,
        "next_clock": clock.kind if clock else "",
        "rule": clock.rule if clock else "",
        "due_at": to_local(clock.due_at, tz).isoformat(timespec="seconds") if clock else "",
        "remaining": format_remaining(clock.remaining(now)) if clock else "",
        "state": clock.state(now, warn_delta(settings)).value if clock else "",
        "escalate_to": pending[0] if pending else "",
        "summary": row.summary,
    }


@complaints_app.command("list")
def complaints_list(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only complaints still open."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """List complaints, newest first, with the clock due next and any escalation due (CP-9)."""
    from shiftdesk.complaints import list_complaints
    from shiftdesk.db import read_session
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import utcnow

    check_format(fmt)
    st = state(ctx)
    site_id = st.site_id()
    now = utcnow()
    with read_session(st.engine()) as session:
        rows = list_complaints(session, site_id, open_only=open_only)
    out = [_complaint_dict(r, st.settings, now) for r in rows]
    title = t("complaints.cli.list_title", count=len(out))
    if fmt != "table":
        emit(out, fmt, title=title)
        return
    compact = [
        {
            "id": r["id"],
            "time": r["received_at"][5:16].replace("T", " "),
            "level": (f"{r['scheme']}{r['class']} " if r["class"] else f"{r['scheme']} ")
            + r["level"],
            "status": r["status"],
            "unit": r["unit"] or r["name"],
            "next": f"{r['rule']} {r['due_at'][5:16].replace('T', ' ')}" if r["rule"] else "",
            "state": f"{r['state']} {r['remaining']}".strip(),
            "up": r["escalate_to"],
        }
        for r in out
    ]
    emit(compact, fmt, title=title)


@complaints_app.command("mark")
def complaints_mark(
    ctx: typer.Context,
    complaint_id: int = typer.Argument(..., help="Complaint number.", min=1),
    step: str = typer.Argument(..., help="reported|answered|resolved|closed"),
    at: str | None = typer.Option(None, "--at", help="When (ISO, site time); default now."),
) -> None:
    """Record progress: the department reported, the customer answered, resolved, closed."""
    from shiftdesk.complaints import mark
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import parse_instant

    st = state(ctx)
    site_id = st.site_id()
    when = parse_instant(at, st.settings.site.timezone) if at else None
    complaint = st.write(
        lambda s: mark(
            s, complaint_id, step.strip(), settings=st.settings, site_id=site_id, at=when
        )
    )
    typer.echo(
        t(
            "complaints.cli.marked",
            id=complaint.id,
            status=t(f"complaints.status.{complaint.status}"),
        )
    )


@complaints_app.command("callback")
def complaints_callback(
    ctx: typer.Context,
    complaint_id: int = typer.Argument(..., help="Complaint number.", min=1),
    outcome: str = typer.Option(..., "--outcome", help="satisfied, unsatisfied or unreachable."),
    note: str = typer.Option("", "--note", help="What was said; required if unsatisfied."),
    at: str | None = typer.Option(None, "--at", help="When (ISO, site time); default now."),
) -> None:
    """Record the callback of a resolved complaint (CB-1); it closes the complaint unless the
    complainant could not be reached (CB-6: then it stays due and is chased)."""
    from shiftdesk.complaints import record_callback
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import parse_instant

    st = state(ctx)
    site_id = st.site_id()
    when = parse_instant(at, st.settings.site.timezone) if at else None
    complaint = st.write(
        lambda s: record_callback(
            s,
            complaint_id,
            outcome=outcome,
            note=note,
            settings=st.settings,
            site_id=site_id,
            at=when,
        )
    )
    typer.echo(
        t(
            "complaints.cli.called_back",
            id=complaint.id,
            outcome=t(f"dispatch.outcome.{outcome.strip()}"),
            status=t(f"complaints.status.{complaint.status}"),
        )
    )


def _deliver_to_managers(st: AppState, site_id: int) -> None:
    """Send what was just queued for the managers (the CLI is its own worker)."""
    from shiftdesk.i18n import t

    if not st.settings.notifications.manager_urls:
        return
    report = st.deliver(site_id)
    failed = report.failed + report.gave_up
    typer.echo(t("complaints.report.cli.delivered", sent=report.sent, failed=failed))


@complaints_app.command("reports")
def complaints_reports(
    ctx: typer.Context,
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """Major and hot complaints with their CP-16 clocks: the handling form within a working
    day, the special report within a week of completion."""
    from shiftdesk.clocks import format_remaining
    from shiftdesk.clocks.workorders import warn_delta
    from shiftdesk.complaint_reports import reports
    from shiftdesk.db import read_session
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import to_local, utcnow

    check_format(fmt)
    st = state(ctx)
    site_id = st.site_id()
    settings = st.settings
    now = utcnow()
    with read_session(st.engine()) as session:
        rows = reports(session, settings, site_id)
    out = []
    for row in rows:
        for clock in row.clocks:
            state_ = clock.state(now, warn_delta(settings))
            out.append(
                {
                    "id": row.complaint.id,
                    "level": row.complaint.level,
                    "clock": clock.kind,
                    "rule": clock.rule,
                    "due_at": to_local(clock.due_at, settings.site.timezone).isoformat(
                        timespec="minutes"
                    ),
                    "state": state_.value,
                    "remaining": "" if clock.done_at else format_remaining(clock.remaining(now)),
                }
            )
    if fmt == "table":
        for line in out:
            line["clock"] = t(f"complaints.clock.{line['clock']}")
            line["state"] = t(f"complaints.clock.state.{line['state']}", left=line["remaining"])
        columns = ["id", "level", "clock", "rule", "due_at", "state"]
        emit(out, fmt, columns=columns)
    else:
        emit(out, fmt, columns=list(out[0]) if out else ["id"])


@complaints_app.command("form")
def complaints_form(
    ctx: typer.Context,
    complaint_id: int = typer.Argument(..., help="Complaint number.", min=1),
    at: str | None = typer.Option(None, "--at", help="When it was sent (ISO, site time)."),
) -> None:
    """CP-16: print a major or hot complaint's handling form (Markdown), record it as sent
    to quality and the leader in charge, and send it to the managers' channels."""
    from shiftdesk.complaint_reports import send_form
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import parse_instant

    st = state(ctx)
    site_id = st.site_id()
    when = parse_instant(at, st.settings.site.timezone) if at else None
    _, text = st.write(lambda s: send_form(s, st.settings, complaint_id, site_id=site_id, at=when))
    typer.echo(text)
    typer.echo(t("complaints.report.cli.form_sent", id=complaint_id))
    _deliver_to_managers(st, site_id)


@complaints_app.command("report")
def complaints_report(
    ctx: typer.Context,
    complaint_id: int = typer.Argument(..., help="Complaint number.", min=1),
    cause: str | None = typer.Option(None, "--cause", help="Its cause."),
    handling: str | None = typer.Option(None, "--handling", help="The handling and result."),
    lessons: str | None = typer.Option(None, "--lessons", help="The lessons learned."),
    actions: str | None = typer.Option(None, "--actions", help="The corrective actions."),
    send: bool = typer.Option(False, "--send", help="Send it (supervisor or above, PIN)."),
    at: str | None = typer.Option(None, "--at", help="When it was sent (ISO, site time)."),
    pin: str | None = typer.Option(None, "--pin", hidden=True),
) -> None:
    """CP-16 / S-7: write a major or hot complaint's special report, part by part, and send
    it within a week of its completion."""
    from shiftdesk.complaint_reports import send_report, write_report
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.models import Role
    from shiftdesk.timeutil import parse_instant

    st = state(ctx)
    site_id = st.site_id()
    parts = {"cause": cause, "handling": handling, "lessons": lessons, "actions": actions}
    if any(v is not None for v in parts.values()) or not send:
        st.write(lambda s: write_report(s, complaint_id, site_id=site_id, **parts))
        typer.echo(t("complaints.report.cli.saved", id=complaint_id))
    if not send:
        return
    sender = st.authenticated_actor(Role.SUPERVISOR, pin=pin)
    when = parse_instant(at, st.settings.site.timezone) if at else None
    _, text = transact(
        st.engine(),
        lambda s: send_report(s, st.settings, complaint_id, site_id=site_id, at=when),
        actor=sender,
    )
    typer.echo(text)
    typer.echo(t("complaints.report.cli.sent", id=complaint_id))
    _deliver_to_managers(st, site_id)


@complaints_app.command("escalate")
def complaints_escalate(
    ctx: typer.Context,
    site: str | None = site_option(),
) -> None:
    """Raise every open complaint the rules say must go up (CP-9, CP-3); for the nightly job."""
    from sqlmodel import select

    from shiftdesk.complaints import apply_escalations
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.models import Site
    from shiftdesk.sites import get_site
    from shiftdesk.timeutil import utcnow

    st = state(ctx)
    now = utcnow()

    def escalate(s: Session) -> list[tuple[int | None, str, str | None]]:
        if site == "all":
            sites = list(s.exec(select(Site).order_by(Site.code)).all())
        else:
            sites = [get_site(s, site or st.settings.site.code)]
        return [
            (c.id, c.level, c.escalation_reason)
            for one in sites
            if one.id is not None
            for c in apply_escalations(s, one.id, st.settings, now)
        ]

    raised = transact(st.engine(), escalate, actor=st.actor())
    for cid, level, reason in raised:
        typer.echo(
            t(
                "complaints.cli.escalated",
                id=cid,
                level=level,
                reason=t(f"complaints.reason.{reason}"),
            )
        )
    typer.echo(t("complaints.cli.escalated_count", count=len(raised)))
