"""``shiftdesk stats``: the nightly, monthly and range reports (domain §12, S-1..S-6).

Exit codes: 0 ok (an empty day is a valid, empty report), 1 failure (the e-mail could not
be sent), 2 usage (a bad date, month or format, an unknown site, no manager e-mail set).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shiftdesk.cli.common import fail, site_option, state

app = typer.Typer(
    help=(
        "Reports for the managers: nightly (S-1, S-2), monthly (S-3, S-4, callbacks) and any "
        "range (weekly S-4, quarterly S-6). Formats: table, json, csv, md, xlsx."
    ),
    no_args_is_help=True,
)

FORMATS = ("table", "json", "csv", "md", "xlsx")
FORMAT_HELP = "table (default), json (documented schema), csv, md (Markdown) or xlsx."
OUT_HELP = (
    "Write to this file instead of the terminal "
    "(xlsx: default ./stats-<report>-<site>-<period>.xlsx)."
)
EMAIL_HELP = "Also send the Markdown report to notifications.manager_urls (Apprise)."


def _run(
    ctx: typer.Context,
    kind: str,
    *,
    site: str | None,
    fmt: str,
    out: Path | None,
    email: bool,
    date_text: str | None = None,
    month_text: str | None = None,
    from_text: str | None = None,
    to_text: str | None = None,
) -> None:
    from shiftdesk.i18n import t

    if fmt not in FORMATS:
        fail(t("stats.err.format", value=fmt, allowed=", ".join(FORMATS)))
    st = state(ctx)
    settings = st.settings
    if email and not settings.notifications.manager_urls:
        fail(t("stats.err.no_manager_urls"))
    from shiftdesk.stats import build, render

    code = None if site == "all" else (site or settings.site.code)
    engine = st.engine()
    reports = build(
        engine,
        settings,
        kind,
        site=code,
        date_text=date_text,
        month_text=month_text,
        from_text=from_text,
        to_text=to_text,
    )
    many = code is None
    if not reports:
        if fmt == "json":
            typer.echo("[]")
        else:
            typer.echo(t("stats.no_sites"), err=True)
        return
    if fmt == "xlsx":
        path = out or Path(_default_name(kind, reports, many))
        render.write_xlsx(reports, path)
        typer.echo(t("stats.written", path=path))
    elif fmt == "table" and out is None:
        render.print_tables(reports)
    else:
        if fmt == "json":
            text = render.to_json(reports, many=many)
        elif fmt == "csv":
            text = render.to_csv(reports)
        elif fmt == "md":
            text = render.to_markdown(reports)
        else:  # table into a file: the same tables as plain text
            text = _tables_as_text(reports)
        if out is None:
            typer.echo(text, nl=False)
        else:
            from shiftdesk.config import write_atomically

            write_atomically(out, text)
            typer.echo(t("stats.written", path=out))
    if email:
        _send(st, reports, kind)


def _default_name(kind: str, reports: list[dict[str, Any]], many: bool) -> str:
    first = reports[0]
    site = "all" if many else first["site"]
    when = first.get("date") or first.get("period")
    return f"stats-{kind}-{site}-{when}.xlsx".replace("..", "_")


def _tables_as_text(reports: list[dict[str, Any]]) -> str:
    import io

    from rich.console import Console

    from shiftdesk.stats import render

    console = Console(record=True, width=120, file=io.StringIO())
    render.print_tables(reports, console)
    return console.export_text()


def _send(st: Any, reports: list[dict[str, Any]], kind: str) -> None:
    """S-1: the figures to the CS manager, at once (not through the residents' outbox)."""
    from shiftdesk import audit
    from shiftdesk.db import transact
    from shiftdesk.errors import EXIT_FAILURE
    from shiftdesk.i18n import t
    from shiftdesk.stats import render

    settings = st.settings
    body = render.to_markdown(reports)
    title = "; ".join(render.report_title(r) for r in reports)
    from shiftdesk.notify import send_now

    # The whole report at once: the outbox keeps 2,000 characters of a body, and a cron job
    # that fails to send exits 1 so its log shows it (the report is written regardless).
    result = send_now(settings.notifications.manager_urls, title, body)
    sent, errors = result.sent, result.errors

    def _record(session: Any) -> None:
        for report in reports:
            audit.record(
                session,
                "stats.email",
                "stats",
                None,
                note=f"{kind} {report['site']} {report.get('date') or report.get('period')}: "
                f"sent {sent}, failed {len(errors)}",
            )

    transact(st.engine(), _record, actor=st.actor())
    if errors:
        for error in errors:
            typer.echo(t("stats.email.failed", error=error), err=True)
        raise typer.Exit(EXIT_FAILURE)
    typer.echo(t("stats.email.sent", count=sent), err=True)


@app.command()
def nightly(
    ctx: typer.Context,
    date: str | None = typer.Option(
        None,
        "--date",
        help="The day, YYYY-MM-DD, in the site's time zone (default: yesterday).",
        show_default=False,
    ),
    site: str | None = site_option(),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP, show_default=False),
    email: bool = typer.Option(False, "--email", help=EMAIL_HELP),
) -> None:
    """One day: calls, complaints, work orders (S-1, S-2), parcels and every breach.

    The day is a calendar day in the site's time zone, yesterday by default (run it after
    midnight from cron). Exit 0 with an empty report for a day without records.
    """
    _run(ctx, "nightly", site=site, fmt=fmt, out=out, email=email, date_text=date)


@app.command()
def monthly(
    ctx: typer.Context,
    month: str | None = typer.Option(
        None,
        "--month",
        help="The month, YYYY-MM (default: last month, due by the 1st, S-3).",
        show_default=False,
    ),
    site: str | None = site_option(),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP, show_default=False),
    email: bool = typer.Option(False, "--email", help=EMAIL_HELP),
) -> None:
    """Last month: unfinished and re-repaired orders (S-3), complaints (S-4), callbacks.

    Orders by trade and assignee, the unfinished and re-repaired ones with reasons; the
    complaint summary by class and department; callback outcomes and the S-6 flags.
    """
    _run(ctx, "monthly", site=site, fmt=fmt, out=out, email=email, month_text=month)


@app.command(name="range")
def range_(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (included)."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (included)."),
    site: str | None = site_option(),
    fmt: str = typer.Option("table", "--format", "-f", help=FORMAT_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help=OUT_HELP, show_default=False),
    email: bool = typer.Option(False, "--email", help=EMAIL_HELP),
) -> None:
    """Any period: a week's complaints (S-4), a quarter's callback statistics (S-6).

    S-6 flags unsatisfactory callbacks, the same matter complained about 2+ times (same unit
    and department) and the same repair 3+ times (same unit and trade).
    """
    _run(ctx, "range", site=site, fmt=fmt, out=out, email=email, from_text=start, to_text=end)
