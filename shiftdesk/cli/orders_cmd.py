"""``shiftdesk orders``: the dispatch board's actions for scripts, with the same rules and audit.

Writes are recorded under ``--operator`` (or ``SHIFTDESK_OPERATOR``), else ``system``.
An illegal transition (complete before dispatch ...) is one line on stderr and exit 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from shiftdesk.cli.common import FORMAT_HELP, check_format, emit, state

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from shiftdesk.cli.common import AppState

app = typer.Typer(
    help="Work orders (维修单): list them and move them through their stages.",
    no_args_is_help=True,
)

ORDER_ID = typer.Argument(..., help="Work order number.", min=1)
AT_HELP = "When it happened (ISO date-time, site time unless it has an offset); default now."


def _at(st: AppState, at: str | None) -> datetime | None:
    from shiftdesk.timeutil import parse_instant

    return parse_instant(at, st.settings.site.timezone) if at else None


def _apply(ctx: typer.Context, order_id: int, fn: Any) -> None:
    """Run ``fn(session, site_id)`` as the acting operator and report the order's new stage."""
    from shiftdesk.db import transact
    from shiftdesk.i18n import t

    st = state(ctx)
    site = st.site()
    order = transact(st.engine(), lambda s: fn(s, site.id), actor=st.actor())
    typer.echo(t("dispatch.cli.done", id=order.id, stage=t(f"dispatch.stage.{order.stage}")))


# ---------------------------------------------------------------------------- reading


def _row_dict(row: Any, settings: Any, now: datetime) -> dict[str, Any]:
    from shiftdesk.clocks import format_remaining
    from shiftdesk.clocks.workorders import next_clock, warn_delta
    from shiftdesk.timeutil import to_local

    clock = next_clock(row, settings, now)
    tz = settings.site.timezone
    return {
        "id": row.id,
        "where": row.where,
        "trade": row.trade,
        "priority": row.priority,
        "team": row.team,
        "assignee": row.assignee,
        "stage": row.stage,
        "reported_at": to_local(row.reported_at, tz).isoformat(timespec="seconds"),
        "next_clock": clock.kind if clock else "",
        "rule": clock.rule if clock else "",
        "due_at": to_local(clock.due_at, tz).isoformat(timespec="seconds") if clock else "",
        "remaining": format_remaining(clock.remaining(now)) if clock else "",
        "state": clock.state(now, warn_delta(settings)).value if clock else "",
        "rework_of": row.rework_of_id,
        "summary": row.summary,
    }


@app.command("list")
def list_(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only open orders."),
    breached: bool = typer.Option(False, "--breached", help="Only orders with a breached clock."),
    stage: str | None = typer.Option(None, "--stage", help="Only orders in this stage."),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """List work orders, most urgent first, with the clock that runs next."""
    from shiftdesk.clocks.workorders import urgency_key
    from shiftdesk.db import read_session
    from shiftdesk.timeutil import utcnow
    from shiftdesk.workorders import load_rows

    check_format(fmt)
    st = state(ctx)
    site = st.site()
    settings = st.settings
    now = utcnow()
    with read_session(st.engine()) as session:
        rows = load_rows(session, site_id=site.id or 0, open_only=open_only or breached)
    if stage:
        rows = [r for r in rows if r.stage == stage]
    rows.sort(key=lambda r: urgency_key(r, settings, now))
    out = [_row_dict(r, settings, now) for r in rows]
    if breached:
        out = [r for r in out if r["state"] == "breached"]
    columns = ["id", "where", "trade", "priority", "team", "assignee", "stage", "next_clock",
               "remaining", "state", "summary"]  # fmt: skip
    if fmt == "table":
        for r in out:
            r["summary"] = r["summary"][:30]
    emit(out, fmt, columns=None if fmt != "table" else columns)


@app.command()
def show(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """Show one order with all its clocks."""
    from shiftdesk.clocks import format_remaining
    from shiftdesk.clocks.workorders import order_clocks, warn_delta
    from shiftdesk.db import read_session
    from shiftdesk.errors import NotFound
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import to_local, utcnow
    from shiftdesk.workorders import load_rows

    check_format(fmt)
    st = state(ctx)
    site = st.site()
    settings = st.settings
    now = utcnow()
    tz = settings.site.timezone
    with read_session(st.engine()) as session:
        rows = load_rows(session, site_id=site.id or 0, ids=[order_id], open_only=False)
    if not rows:
        raise NotFound(t("dispatch.error.not_found", id=order_id))
    row = rows[0]

    def fmt_time(value: datetime | None) -> str:
        return to_local(value, tz).isoformat(timespec="seconds") if value else ""

    clocks = [
        {
            "clock": c.kind,
            "rule": c.rule,
            "started_at": fmt_time(c.started_at),
            "due_at": fmt_time(c.due_at),
            "done_at": fmt_time(c.done_at),
            "remaining": format_remaining(c.remaining(now)),
            "state": c.state(now, warn_delta(settings)).value,
        }
        for c in order_clocks(row, settings)
    ]
    if fmt == "json":
        import json

        detail = {k: (fmt_time(v) if k.endswith("_at") else v) for k, v in vars(row).items()}
        typer.echo(json.dumps({"order": detail, "clocks": clocks}, ensure_ascii=False, indent=2))
        return
    if fmt == "table":
        typer.echo(
            f"#{row.id} {row.where}  {row.trade}/{row.priority}  "
            f"{t(f'dispatch.stage.{row.stage}')}  {row.team} {row.assignee}".rstrip()
        )
        typer.echo(row.summary)
    emit(clocks, fmt)


# ---------------------------------------------------------------------------- transitions


@app.command()
def dispatch(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    to: str | None = typer.Option(
        None, "--to", help="Team (from config). Default: engineering, the control room at night."
    ),
    assignee: str = typer.Option("", "--assignee", help="Technician's name."),
    note: str = typer.Option("", "--note", help="Special requirements passed on."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """Dispatch an order to a team (R-2, night R-5), or re-dispatch an unfinished one."""
    from shiftdesk import workorders as wo
    from shiftdesk.clocks.workorders import route_team
    from shiftdesk.timeutil import utcnow

    st = state(ctx)
    settings = st.settings
    when = _at(st, at)

    def go(session: Session, site_id: int) -> Any:
        team = to
        if not team:
            order = wo.get_order(session, order_id, site_id=site_id)
            team = route_team(order, settings, now=when or utcnow())
        return wo.dispatch(
            session, order_id, team=team, assignee=assignee, note=note, at=when,
            teams=settings.workorders.teams, site_id=site_id,
        )  # fmt: skip

    _apply(ctx, order_id, go)


@app.command()
def accept(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    assignee: str = typer.Option("", "--assignee", help="Who signed for it."),
    note: str = typer.Option("", "--note"),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """Engineering accepted (signed for) the order (R-8)."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.accept(s, order_id, assignee=assignee, note=note, at=when, site_id=site),
    )


@app.command()
def arrive(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    price_confirmed: bool = typer.Option(
        False, "--price-confirmed", help="R-15: the resident agreed the material price."
    ),
    note: str = typer.Option("", "--note"),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """The engineer is on site (R-3; R-14 for emergencies)."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.arrive(
            s, order_id, price_confirmed=price_confirmed, note=note, at=when, site_id=site
        ),
    )


@app.command()
def complete(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    note: str = typer.Option("", "--note", "--result", help="The result of the repair."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """The repair is done; its callback falls due (CB-1, CB-3)."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    settings = st.settings
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.complete(
            s, order_id, result=note, settings=settings, at=when, site_id=site
        ),
    )


@app.command()
def unfinished(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    note: str = typer.Option("", "--note", "--reason", help="Why it is not finished (required)."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """Not finished, with the reason: it goes on the 17:00 unfinished list (R-13)."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.mark_unfinished(s, order_id, reason=note, at=when, site_id=site),
    )


@app.command()
def callback(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    outcome: str = typer.Option(..., "--outcome", help="satisfied, unsatisfied or unreachable."),
    note: str = typer.Option("", "--note"),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """Record the callback (CB-1); never in the lunch break or after 21:00 (CB-2)."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    settings = st.settings
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.record_callback(
            s, order_id, outcome=outcome, note=note, settings=settings, at=when, site_id=site
        ),
    )


@app.command()
def cancel(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    note: str = typer.Option("", "--note", "--reason", help="Why it is cancelled (required)."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """Cancel an order, with the reason."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.cancel(s, order_id, reason=note, at=when, site_id=site),
    )


@app.command()
def rework(
    ctx: typer.Context,
    order_id: int = ORDER_ID,
    note: str = typer.Option("", "--note", "--reason", help="What is wrong again (required)."),
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """Reopen a completed order as a re-repair (返修): a new order linked to it."""
    from shiftdesk import workorders as wo

    st = state(ctx)
    when = _at(st, at)
    _apply(
        ctx,
        order_id,
        lambda s, site: wo.rework(s, order_id, reason=note, at=when, site_id=site),
    )


@app.command()
def rained(
    ctx: typer.Context,
    at: str | None = typer.Option(None, "--at", help=AT_HELP),
) -> None:
    """It rained: leak repairs waiting for rain fall due for their callback (CB-3)."""
    from shiftdesk import workorders as wo
    from shiftdesk.db import transact
    from shiftdesk.i18n import t

    st = state(ctx)
    site = st.site()
    settings = st.settings
    when = _at(st, at)
    count = transact(
        st.engine(),
        lambda s: wo.mark_rained(s, site_id=site.id or 0, settings=settings, at=when),
        actor=st.actor(),
    )
    typer.echo(t("dispatch.cli.rained", count=count))
