"""``shiftdesk parcels``: check items in, release them, remind, return (快递包裹, §6).

The same services as the F4 screen, for scripts and cron. Values on the command line are
stable English keys whatever the locale (kinds: parcel|registered|ems|document|
parcel_slip|remittance_slip|other; carriers: sf|jd|ems|china_post|zto|yto|sto|yunda|jt|
dhl|fedex|ups|other). Exit codes: 0 ok; 2 refused (duplicate, not a resident, already
released, bad value); 1 failure (database, notifications that could not be sent by
``remind``). Cron: ``shiftdesk parcels remind`` once a day sends the P-9 reminders that
are due and retries any notification still waiting; running it twice sends nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from shiftdesk.cli.common import FORMAT_HELP, check_format, emit, fail, state

if TYPE_CHECKING:
    from sqlmodel import Session

    from shiftdesk.models import Parcel, Resident

app = typer.Typer(
    help="Parcels and mail (快递包裹): check in, pick up, list, remind, return.",
    no_args_is_help=True,
)

KINDS = "parcel|registered|ems|document|parcel_slip|remittance_slip|other"
CARRIERS = "sf|jd|ems|china_post|zto|yto|sto|yunda|jt|dhl|fedex|ups|other (default: recognised)"
ID_TYPES = "id_card|passport|hk_macau_permit|taiwan_permit|residence_permit|driver_license|other"

#: the terminal table keeps to what fits 80 columns; csv and json carry every field
TABLE_COLUMNS = [
    "parcel_id",
    "tracking",
    "unit",
    "recipient",
    "shelf",
    "status",
    "received_at",
    "age_days",
    "notice",
]
LIST_COLUMNS = [
    "parcel_id",
    "tracking",
    "carrier",
    "kind",
    "unit",
    "recipient",
    "shelf",
    "pieces",
    "status",
    "received_at",
    "age_days",
    "reminders",
    "notice",
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="parcels")


def _local(value: Any, tz: str) -> str:
    from shiftdesk.timeutil import to_local

    return to_local(value, tz).strftime("%Y-%m-%d %H:%M") if value else ""


@app.command("checkin")
def checkin(
    ctx: typer.Context,
    tracking: str = typer.Option(..., "--tracking", help="Tracking number as scanned."),
    unit: str = typer.Option(..., "--unit", help="Unit code such as 3-2-1502."),
    name: str = typer.Option(
        "", "--name", help="Addressee (name, pinyin or initials); default: the unit's owner."
    ),
    kind: str = typer.Option("", "--kind", help=f"{KINDS} (default: from the number)."),
    carrier: str = typer.Option("", "--carrier", help=CARRIERS),
    shelf: str = typer.Option("", "--shelf", help="Shelf (default: the first in config)."),
    pieces: int = typer.Option(1, "--pieces", help="Number of pieces (P-2)."),
    damaged: str = typer.Option(
        "", "--damaged", help="The item is damaged: say how (P-2).", show_default=False
    ),
    at: str | None = typer.Option(
        None, "--at", help="Time received (ISO; site time unless it has an offset). Default now."
    ),
    no_notify: bool = typer.Option(
        False, "--no-notify", help="Do not notify (the resident is at the desk)."
    ),
    reason: str = typer.Option(
        "", "--refuse-reason", help="Reason recorded if the addressee is refused (P-1)."
    ),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Check one item in and notify the resident; a duplicate or non-resident exits 2.

    An addressee who is not a resident is refused (P-1): the refusal is recorded with the
    reason, and the command exits 2 so a script knows the courier must take it back.
    """
    from shiftdesk import parcels
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import parse_instant

    check_format(fmt, ("table", "json"))
    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    received = parse_instant(at, settings.site.timezone) if at else None
    req = parcels.CheckInRequest(
        tracking=tracking,
        unit=unit,
        recipient_name=name,
        kind=kind or None,
        carrier=carrier or None,
        shelf=shelf,
        pieces=pieces,
        damaged=bool(damaged.strip()),
        damage_note=damaged,
        received_at=received,
        notify=not no_notify,
    )
    try:
        result = st.write(lambda s: parcels.check_in(s, settings, site_id, req))
    except parcels.NotAResident as err:
        why = reason.strip() or f"{t('parcels.refused_default_reason')}: {err.message}"
        refused = st.write(lambda s: parcels.refuse(s, settings, site_id, req, why[:200]))
        fail(t("parcels.cli.refused", message=err.message, id=refused.id))
    p = result.parcel
    notice = "suppressed" if result.suppressed else ("queued" if result.notifications else "none")
    if result.notifications:
        report = st.deliver(site_id)
        if report.sent:
            notice = "sent"
        elif report.failed or report.gave_up:
            notice = "failed"
    row = {
        "parcel_id": p.id,
        "tracking": p.tracking,
        "carrier": p.carrier,
        "kind": p.kind,
        "urgent": parcels.is_urgent(p.kind, p.carrier),
        "unit": result.unit_code,
        "recipient": result.recipient,
        "shelf": p.shelf,
        "pieces": p.pieces,
        "damaged": p.damaged,
        "received_at": p.received_at.isoformat(),
        "notification": notice,
    }
    if fmt == "json":
        emit([row], "json")
        return
    typer.echo(
        t(
            "parcels.cli.checked_in",
            id=p.id,
            tracking=p.tracking,
            carrier=parcels.carrier_label(p.carrier),
            unit=result.unit_code,
            recipient=result.recipient,
            shelf=p.shelf,
        )
    )
    typer.echo(t(f"parcels.cli.notice.{notice}"))


@app.command("pickup")
def pickup(
    ctx: typer.Context,
    ids: list[int] = typer.Argument(..., help="Parcel id(s): all are released, or none."),
    by: str = typer.Option(..., "--by", help="self or proxy (P-5)."),
    id_type: str = typer.Option("id_card", "--id-type", help=ID_TYPES),
    id_last4: str = typer.Option(
        ..., "--id-last4", help="Last 4 characters of the ID shown (never the whole number)."
    ),
    proxy_name: str = typer.Option("", "--proxy-name", help="Proxy's name (required for proxy)."),
    proxy_phone: str = typer.Option("", "--proxy-phone", help="Proxy's phone (for proxy)."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Release items to the resident or a proxy; an item already released exits 2."""
    from shiftdesk import parcels
    from shiftdesk.i18n import t

    check_format(fmt, ("table", "json"))
    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    who = parcels.Pickup(
        by=by, id_type=id_type, id_last4=id_last4, proxy_name=proxy_name, proxy_phone=proxy_phone
    )
    rows: list[Parcel] = st.write(lambda s: parcels.release(s, settings, site_id, ids, who))
    out = [
        {
            "parcel_id": p.id,
            "tracking": p.tracking,
            "status": p.status,
            "picked_up_at": p.picked_up_at.isoformat() if p.picked_up_at else None,
            "pickup_by": p.pickup_by,
            "id_type": p.id_type,
            "id_last4": p.id_last4,
            "proxy_name": p.proxy_name,
            "proxy_phone": p.proxy_phone,
            "liability": p.pickup_note,
        }
        for p in rows
    ]
    if fmt == "json":
        emit(out, "json")
        return
    for p in rows:
        typer.echo(
            t(
                "parcels.cli.released",
                id=p.id,
                tracking=p.tracking,
                by=t(f"parcels.by.{p.pickup_by}"),
            )
        )
    if rows and rows[0].pickup_note:
        typer.echo(rows[0].pickup_note)


@app.command("return")
def return_(
    ctx: typer.Context,
    parcel_id: int = typer.Argument(..., help="Parcel id."),
    reason: str = typer.Option(..., "--reason", help="Why it goes back (P-20)."),
) -> None:
    """Return an item to the sender (P-20), with the reason."""
    from shiftdesk import parcels
    from shiftdesk.i18n import t

    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    p = st.write(lambda s: parcels.return_to_sender(s, settings, site_id, parcel_id, reason))
    typer.echo(t("parcels.cli.returned", id=p.id, tracking=p.tracking))


@app.command("list")
def list_(
    ctx: typer.Context,
    waiting: bool = typer.Option(False, "--waiting", help="Only items still at the desk."),
    overdue: bool = typer.Option(
        False, "--overdue", help="Only items waiting longer than parcels.remind_after_days."
    ),
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    limit: int = typer.Option(200, "--limit", help="At most this many rows."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """List parcels, newest first (overdue: oldest first), with age and notification state."""
    from shiftdesk import parcels
    from shiftdesk.db import read_session
    from shiftdesk.i18n import t

    check_format(fmt)
    st = state(ctx)
    settings = st.settings
    site = st.site()
    assert site.id is not None
    with read_session(st.engine()) as session:
        unit_ids = None
        if unit:
            found = parcels.find_unit(session, site.id, unit)
            if found is None or found.id is None:
                fail(t("parcels.err.unit_unknown", unit=unit))
            unit_ids = [found.id]
        rows = parcels.list_parcels(
            session,
            settings,
            site.id,
            waiting=waiting,
            overdue_only=overdue,
            unit_ids=unit_ids,
            limit=limit,
        )
    if fmt == "json":
        emit([r.as_json() for r in rows], "json")
        return
    tz = settings.site.timezone
    out = []
    for r in rows:
        data = r.as_json()
        received = _local(r.received_at, tz)
        data["received_at"] = received
        if fmt == "table":
            data["received_at"] = received[5:]  # MM-DD HH:MM fits the table
            data["carrier"] = parcels.carrier_label(r.carrier)
            data["kind"] = parcels.kind_label(r.kind)
            data["status"] = t(f"parcels.status.{r.status}")
            data["notice"] = t(f"parcels.notice.{r.notice or 'none'}")
        out.append(data)
    if fmt == "table":
        headers = {c: t(f"parcels.col.{c}") for c in TABLE_COLUMNS}
        emit(out, fmt, columns=TABLE_COLUMNS, headers=headers)
    else:
        emit(out, fmt, columns=LIST_COLUMNS)


@app.command("remind")
def remind(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what is due; send nothing."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Send the P-9 reminders that are due, then retry waiting notifications (for cron).

    Idempotent: a reminder moves the item's clock a week on, so a second run the same day
    sends nothing. Exits 1 if a notification failed (it stays queued and is retried).
    """
    from shiftdesk import parcels
    from shiftdesk.i18n import t

    check_format(fmt, ("table", "json"))
    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    outcomes = st.write(lambda s: parcels.send_reminders(s, settings, site_id, dry_run=dry_run))
    report = None if dry_run else st.deliver(site_id)
    rows = [
        {
            "parcel_id": o.parcel_id,
            "tracking": o.tracking,
            "unit": o.unit,
            "recipient": o.recipient,
            "days": o.days,
            "reminder": o.reminder,
            "action": o.action,
            "methods": o.methods,
        }
        for o in outcomes
    ]
    if fmt == "json":
        import json

        payload = {
            "dry_run": dry_run,
            "reminders": rows,
            "sent": report.sent if report else 0,
            "failed": (report.failed + report.gave_up) if report else 0,
            "errors": report.errors if report else [],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            typer.echo(
                t(
                    f"parcels.cli.remind.{row['action']}",
                    tracking=row["tracking"],
                    unit=row["unit"],
                    recipient=row["recipient"],
                    days=row["days"],
                    n=row["reminder"],
                )
            )
        typer.echo(
            t(
                "parcels.cli.remind.summary",
                due=len(rows),
                sent=report.sent if report else 0,
                failed=(report.failed + report.gave_up) if report else 0,
            )
        )
    if report is not None and (report.failed or report.gave_up):
        raise typer.Exit(1)


@app.command("contact")
def contact(
    ctx: typer.Context,
    parcel_id: int = typer.Argument(..., help="Parcel id."),
    method: str = typer.Option(..., "--method", help="phone, visit or notice (P-9, P-13)."),
    note: str = typer.Option("", "--note", help="What was said or agreed."),
    slip: int | None = typer.Option(
        None, "--slip", help="notice: the serial on the slip used (checked to be the next, P-15)."
    ),
) -> None:
    """Record a contact made by hand (phone call, home visit, notice slip under the door)."""
    from shiftdesk import parcels, slips
    from shiftdesk.i18n import t

    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()

    def work(s: Session) -> tuple[Parcel, int | None]:
        p = parcels.record_contact(
            s, settings, site_id, parcel_id, method=method, note=note, slip=slip
        )
        used = slips.latest_for(s, parcel_id) if method == "notice" else None
        return p, used.serial if used else None

    p, serial = st.write(work)
    typer.echo(t("parcels.cli.contacted", tracking=p.tracking, n=p.reminders))
    if serial is not None:
        typer.echo(t("parcels.slip.issued", serial=serial))


def _slip_dict(row: Any, tz: str, now: Any) -> dict[str, Any]:
    from shiftdesk.clocks import format_remaining

    call = row.call
    return {
        "serial": row.serial,
        "issued_at": _local(row.issued_at, tz),
        "issued_by": row.issued_by,
        "parcel_id": row.parcel_id,
        "tracking": row.tracking,
        "unit": row.unit,
        "recipient": row.recipient,
        "status": row.status,
        "left_at": _local(row.left_at, tz),
        "call_due": _local(call.due_at, tz) if call else "",
        "call": call.state(now).value if call else "",
        "call_left": format_remaining(call.remaining(now)) if call and not call.done_at else "",
        "void_reason": row.void_reason,
        "reviewed_at": _local(row.reviewed_at, tz),
        "reviewed_by": row.reviewed_by,
    }


@app.command("slips")
def slips_list(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD (site time)."),
    end: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (site time)."),
    waiting: bool = typer.Option(False, "--waiting", help="Only slips whose item still waits."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """The notice-slip usage record (P-15), newest serial first as they are bound (P-18),
    with the P-17 phone call each waiting item owes 72 h after its slip."""
    from shiftdesk import slips
    from shiftdesk.db import read_session
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import local_day_bounds, parse_day, utcnow

    check_format(fmt)
    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    tz = settings.site.timezone
    lo = local_day_bounds(parse_day(start), tz)[0] if start else None
    hi = local_day_bounds(parse_day(end), tz)[1] if end else None
    with read_session(st.engine()) as session:
        rows = slips.usage(session, settings, site_id, start=lo, end=hi, waiting_only=waiting)
    now = utcnow()
    out = [_slip_dict(r, tz, now) for r in rows]
    if fmt == "table":
        columns = ["serial", "issued_at", "unit", "recipient", "status", "call", "reviewed_by"]
        for row in out:
            row["status"] = t(f"parcels.slip.status.{row['status']}")
            if row["call"]:
                row["call"] = t(f"parcels.slip.call.{row['call']}", due=row["call_due"][5:])
        emit(out, fmt, columns=columns, headers={c: t(f"parcels.slip.col.{c}") for c in columns})
    else:
        emit(out, fmt, columns=list(out[0]) if out else ["serial"])


@app.command("slip-void")
def slip_void(
    ctx: typer.Context,
    reason: str = typer.Option(..., "--reason", help="Why the slip was not used (spoiled, lost)."),
    serial: int | None = typer.Option(None, "--slip", help="Its serial (checked to be the next)."),
) -> None:
    """Record a spoiled or lost notice slip: it keeps its serial in the record (P-15)."""
    from shiftdesk import slips
    from shiftdesk.i18n import t

    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    slip = st.write(lambda s: slips.void(s, settings, site_id, reason=reason, serial=serial))
    typer.echo(t("parcels.slip.voided", serial=slip.serial))


@app.command("slips-review")
def slips_review(
    ctx: typer.Context,
    serial: list[int] = typer.Option([], "--slip", help="Only these serials (repeatable)."),
    pin: str | None = typer.Option(None, "--pin", hidden=True),
) -> None:
    """P-18: the duty manager (supervisor or above, PIN asked) reviews the completed slips."""
    from shiftdesk import slips
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.models import Role

    st = state(ctx)
    settings = st.settings
    site_id = st.site_id()
    reviewer = st.authenticated_actor(Role.SUPERVISOR, pin=pin)
    done = transact(
        st.engine(),
        lambda s: slips.review(s, settings, site_id, serials=serial),
        actor=reviewer,
    )
    typer.echo(t("parcels.slip.reviewed", count=len(done), serials=", ".join(map(str, done))))


@app.command("outbox")
def outbox(
    ctx: typer.Context,
    retry: bool = typer.Option(
        False, "--retry", help="Re-queue failed and given-up notifications, then send."
    ),
    send: bool = typer.Option(False, "--send", help="Send what is due now."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """Notifications by status, and the ones that failed (with their error)."""
    from sqlmodel import col, select

    from shiftdesk import notify
    from shiftdesk.db import read_session
    from shiftdesk.models import Notification

    check_format(fmt)
    st = state(ctx)
    site_id = st.site_id()
    if retry:
        st.write(lambda s: notify.requeue(s, site_id))
    if retry or send:
        st.deliver(site_id)
    with read_session(st.engine()) as session:
        counts = notify.outbox_counts(session, site_id)
        failed = session.exec(
            select(Notification)
            .where(
                Notification.site_id == site_id,
                col(Notification.status).in_(["failed", "gave_up"]),
            )
            .order_by(col(Notification.id))
        ).all()
    tz = st.settings.site.timezone
    rows = [
        {
            "id": n.id,
            "parcel_id": n.parcel_id,
            "kind": n.kind,
            "method": n.method,
            "status": n.status,
            "attempts": n.attempts,
            "next_try": _local(n.not_before, tz) if n.not_before else "",
            "error": n.error,
        }
        for n in failed
    ]
    if fmt == "json":
        import json

        typer.echo(json.dumps({"counts": counts, "failed": rows}, ensure_ascii=False, indent=2))
        return
    typer.echo("  ".join(f"{k}: {v}" for k, v in counts.items()))
    if rows:
        emit(rows, fmt, columns=list(rows[0]))


@app.command("do-not-notify")
def do_not_notify(
    ctx: typer.Context,
    unit: str = typer.Option(..., "--unit", help="Unit code."),
    name: str = typer.Option("", "--name", help="Resident (default: the unit's owner)."),
    off: bool = typer.Option(False, "--off", help="Notify this resident again."),
    note: str = typer.Option("", "--note", help="What the resident said (P-8)."),
) -> None:
    """P-8: stop (or resume) notifying a resident; the request is recorded."""
    from shiftdesk import parcels
    from shiftdesk.i18n import t

    st = state(ctx)
    site_id = st.site_id()

    def _set(session: Session) -> Resident:
        _, resident = parcels.resolve_recipient(session, site_id, unit=unit, name=name)
        assert resident.id is not None
        return parcels.set_do_not_notify(session, resident.id, on=not off, note=note)

    resident = st.write(_set)
    key = "parcels.cli.dnd_off" if off else "parcels.cli.dnd_on"
    typer.echo(t(key, name=resident.name))


@app.command("notify-test")
def notify_test(
    ctx: typer.Context,
    url: list[str] = typer.Option(
        [], "--url", help="Apprise URL to try (default: every URL in notifications.urls)."
    ),
    phone: str = typer.Option("", "--phone", help="Number for URLs with {phone}."),
) -> None:
    """Send a test message through each channel now (no outbox); exit 1 if one failed."""
    from shiftdesk import notify
    from shiftdesk.i18n import t

    st = state(ctx)
    urls = list(url) or list(st.settings.notifications.urls)
    if not urls:
        fail(t("parcels.cli.notice.none"))
    title = t("parcels.cli.test.title")
    body = t("parcels.cli.test.body", site=st.settings.site.name)
    failed = 0
    for template in urls:
        if "{phone}" in template and not phone:
            typer.echo(f"{notify.redact(template)}: {t('parcels.cli.test.needs_phone')}")
            failed += 1
            continue
        result = notify.send_now([notify.render_url(template, phone)], title, body)
        status = t("parcels.cli.test.ok") if result.sent else "; ".join(result.errors)
        typer.echo(f"{notify.redact(template)}: {status}")
        failed += result.failed
    if failed:
        raise typer.Exit(1)
