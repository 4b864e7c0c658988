"""``shiftdesk estate``: load the site's buildings, units and residents from the roster it
already keeps (业主信息表 / 房产台账, issue 18), and write the empty template.

Exit codes: 0 ok (and a dry run); 2 a file that cannot be read, a roster with errors (every
error printed, row and column named, nothing written), a role that may not enter customer
data; 1 failure (database).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from shiftdesk.cli.common import check_format, emit, fail, state

app = typer.Typer(
    help="The estate (房产台账): import the roster, write its template.",
    no_args_is_help=True,
)


def _columns(maps: list[str]) -> dict[str, str]:
    from shiftdesk.estate.columns import FIELDS
    from shiftdesk.i18n import t

    out: dict[str, str] = {}
    for item in maps:
        header, sep, name = item.rpartition("=")
        if not sep or not header.strip() or name.strip() not in FIELDS:
            fail(t("estate.cli.bad_map", value=item, allowed=", ".join(FIELDS)))
        out[header.strip()] = name.strip()
    return out


@app.command("template")
def template(
    ctx: typer.Context,
    path: Path | None = typer.Argument(None, help="Where to write (default: roster.xlsx)."),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx (default) or csv (UTF-8 with BOM)."),
    locale: str | None = typer.Option(
        None, "--locale", help="Headers in en or zh_CN (default: the site's locale)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write an empty roster with the headers, one example row and a sheet explaining them."""
    from shiftdesk.estate.template import write_template
    from shiftdesk.i18n import t

    st = state(ctx)
    check_format(fmt, ("xlsx", "csv"))
    lang = locale or st.settings.locale
    check_format(lang, ("en", "zh_CN"))
    target = path or Path(f"roster.{fmt}")
    if target.exists() and not force:
        fail(t("estate.cli.exists", path=target))
    write_template(target, fmt=fmt, locale=lang)
    typer.echo(t("estate.cli.template_written", path=target))


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The roster: .xlsx or .csv."),
    sheet: str | None = typer.Option(None, "--sheet", help="Sheet name (default: the first)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check and say what would change; write nothing."
    ),
    fmt: str = typer.Option("table", "--format", help="table (default) or json."),
    encoding: str | None = typer.Option(
        None, "--encoding", help="CSV encoding (default: detect UTF-8, UTF-8-BOM, GB18030/GBK)."
    ),
    maps: list[str] = typer.Option(
        [], "--map", help="A header the names do not know: 'Room No.=unit' (repeatable)."
    ),
    moved_out_on: str | None = typer.Option(
        None, "--date", help="Move-out date for people gone from the roster (default: today)."
    ),
) -> None:
    """Import (or re-import) the roster: all or nothing; the same file twice changes nothing."""
    from dataclasses import replace

    from shiftdesk.db import read_session
    from shiftdesk.estate.reader import read_table
    from shiftdesk.estate.roster import RosterInvalid, import_table
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import to_local, utcnow

    st = state(ctx)
    check_format(fmt, ("table", "json"))
    now = utcnow()  # the CLI reads the clock once, at the edge
    settings = st.settings
    extra = _columns(maps)
    if extra:
        settings = replace(
            settings, estate=replace(settings.estate, columns={**settings.estate.columns, **extra})
        )
    day = _day(moved_out_on) if moved_out_on else to_local(now, settings.site.timezone).date()
    table = read_table(path, sheet=sheet, encoding=encoding)
    site_id = st.site_id()

    def run(session: Any) -> Any:
        return import_table(
            session, settings, site_id, table, move_out_on=day, dry_run=dry_run, now=now
        )

    try:
        if dry_run:
            with read_session(st.engine(), st.actor()) as session:
                plan = run(session)
        else:
            plan = st.write(run)
    except RosterInvalid as err:
        for line in err.errors:
            typer.echo(str(line), err=True)
        fail(t("estate.cli.invalid", count=len(err.errors), path=path))
    _report(plan, fmt, path, dry_run)


def _report(plan: Any, fmt: str, path: Path, dry_run: bool) -> None:
    from shiftdesk.i18n import t

    summary = plan.summary()
    if fmt == "json":
        import json

        out = {
            "dry_run": dry_run,
            "read_as": plan.read_as,
            **summary,
            "new_buildings": plan.new_buildings,
            "new_units": plan.new_units,
            "changes": [c.as_dict() for c in plan.changes],
            "ignored_columns": plan.ignored_columns,
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    if plan.changes:
        emit(
            [
                {
                    "action": t(f"estate.action.{c.action}"),
                    "unit": c.unit,
                    "name": c.name,
                    "fields": ", ".join(
                        f"{k}: {a or ''} → {b or ''}" for k, (a, b) in c.fields.items()
                    ),
                }
                for c in plan.changes[:200]
            ],
            "table",
        )
    typer.echo(t("estate.cli.counts", **summary))
    if plan.ignored_columns:
        typer.echo(t("estate.cli.ignored", columns=", ".join(plan.ignored_columns)))
    typer.echo(t("estate.cli.dry_run") if dry_run else t("estate.cli.imported", path=path))


def _day(text: str) -> date:
    from shiftdesk.i18n import t

    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(t("estate.error.date", value=text))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="estate")
