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

    bar = _progress_bar(len(table.rows))

    def run(session: Any) -> Any:
        return import_table(
            session,
            settings,
            site_id,
            table,
            move_out_on=day,
            dry_run=dry_run,
            now=now,
            progress=bar.update if bar else None,
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
        if bar:
            bar.close()
        fail(t("estate.cli.invalid", count=len(err.errors), path=path))
    if bar:
        bar.close()
    _report(plan, fmt, path, dry_run)


class _Bar:
    """Rich's progress bar on stderr while the rows are checked (a terminal, a long file)."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import Progress

        from shiftdesk.i18n import t

        self.progress = Progress(console=Console(stderr=True), transient=True)
        self.task = self.progress.add_task(t("estate.cli.checking"), total=total)
        self.progress.start()

    def update(self, done: int, _total: int) -> None:
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        self.progress.stop()


def _progress_bar(rows: int) -> _Bar | None:
    import sys

    if rows < 2000 or not sys.stderr.isatty():
        return None
    return _Bar(rows)


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
            headers=_headers("action", "unit", "name", "fields"),
        )
    typer.echo(t("estate.cli.counts", **summary))
    if plan.ignored_columns:
        typer.echo(t("estate.cli.ignored", columns=", ".join(plan.ignored_columns)))
    typer.echo(t("estate.cli.dry_run") if dry_run else t("estate.cli.imported", path=path))


def _headers(*columns: str) -> dict[str, str]:
    """Table headings in the operator's language (json and csv keep the stable keys)."""
    from shiftdesk.i18n import t

    return {c: t(f"estate.heading.{c}") for c in columns}


def _day(text: str) -> date:
    from shiftdesk.i18n import t

    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(t("estate.error.date", value=text))


# ------------------------------------------------------------------ residents and units

residents_app = typer.Typer(
    help="Residents' customer files (客户档案): show, add, edit, move in, move out.",
    no_args_is_help=True,
)
units_app = typer.Typer(help="Units (房号): add, list.", no_args_is_help=True)


def _print_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@residents_app.command("show")
def residents_show(
    ctx: typer.Context,
    resident_id: int = typer.Argument(..., help="Resident id."),
    reason: str = typer.Option("", "--reason", help="Why you open the file (logged, A-6)."),
    reveal: bool = typer.Option(False, "--reveal", help="Show phones in full (logged)."),
    fmt: str = typer.Option("table", "--format", help="table (default) or json."),
) -> None:
    """The customer file on one page: unit, role, phones, contacts, preferences, history."""
    from shiftdesk.estate.customers import open_file
    from shiftdesk.timeutil import utcnow

    st = state(ctx)
    check_format(fmt, ("table", "json"))
    now = utcnow()
    site_id = st.site_id()
    data = st.write(
        lambda s: open_file(
            s, st.settings, site_id, resident_id, reason=reason, reveal=reveal, now=now
        )
    )
    if fmt == "json":
        _print_json(data)
        return
    history = data.pop("history")
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(f"{v['label']}: {v['phone']}" for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items() if v)
        typer.echo(f"{key:<22} {'' if value is None else value}")
    for section, rows in history.items():
        typer.echo(f"{section:<22} {len(rows)}")
        for row in rows[:20]:
            typer.echo("    " + "  ".join(str(v) for v in row.values() if v is not None))


def _save(st: Any, fn: Any, yes: bool) -> Any:
    """Run ``fn(session, confirmed)``; a shared phone asks before saving (it does not refuse)."""
    from shiftdesk.estate.customers import SharedPhone
    from shiftdesk.i18n import t

    try:
        return st.write(lambda s: fn(s, yes))
    except SharedPhone as err:
        if not typer.confirm(f"{err.message}. {t('estate.cli.save_anyway')}", default=False):
            fail(t("estate.cli.not_saved"), 1)
        return st.write(lambda s: fn(s, True))


@residents_app.command("add")
def residents_add(
    ctx: typer.Context,
    unit: str = typer.Option(..., "--unit", help="Unit code (must exist: see units add)."),
    name: str = typer.Option(..., "--name", help="The resident's name."),
    phones: list[str] = typer.Option([], "--phone", help="A phone (twice for two)."),
    role: str = typer.Option("owner", "--role", help="owner|tenant|family|other."),
    moved_in_on: str | None = typer.Option(None, "--date", help="Move-in date (YYYY-MM-DD)."),
    yes: bool = typer.Option(False, "--yes", help="Save even if the unit shares the phone."),
) -> None:
    """Add a resident (a move-in, logged in the duty log: needs --operator)."""
    from shiftdesk.estate.customers import add_resident
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import utcnow

    st = state(ctx)
    now = utcnow()
    site_id = st.site_id()
    day = _day(moved_in_on) if moved_in_on else None
    resident = _save(
        st,
        lambda s, ok: add_resident(
            s,
            st.settings,
            site_id,
            unit_code=unit,
            name=name,
            phones=phones,
            role=role,
            moved_in_on=day,
            confirmed=ok,
            now=now,
        ),
        yes,
    )
    typer.echo(t("estate.cli.resident_saved", id=resident.id, unit=unit, name=resident.name))


@residents_app.command("edit")
def residents_edit(
    ctx: typer.Context,
    resident_id: int = typer.Argument(..., help="Resident id."),
    name: str | None = typer.Option(None, "--name"),
    phones: list[str] = typer.Option([], "--phone", help="Replaces the phones (twice for two)."),
    role: str | None = typer.Option(None, "--role", help="owner|tenant|family|other."),
    id_last4: str | None = typer.Option(None, "--id-last4"),
    note: str | None = typer.Option(None, "--note"),
    emergency_name: str | None = typer.Option(None, "--emergency-name"),
    emergency_relation: str | None = typer.Option(None, "--emergency-relation"),
    emergency_phone: str | None = typer.Option(None, "--emergency-phone"),
    channel: str | None = typer.Option(None, "--notify", help="P-8: sms|phone|wechat|none."),
    no_notify_note: str | None = typer.Option(
        None, "--notify-note", help="P-8: why not to notify."
    ),
    instructions: str | None = typer.Option(
        None, "--instructions", help="H-17: special instructions for the desk."
    ),
    yes: bool = typer.Option(False, "--yes", help="Save even if the unit shares the phone."),
) -> None:
    """Change a resident's record and file, with the import's checks."""
    from shiftdesk.db import read_session
    from shiftdesk.estate.customers import edit_resident
    from shiftdesk.i18n import t
    from shiftdesk.models import Unit
    from shiftdesk.timeutil import utcnow

    st = state(ctx)
    given = {
        "name": name,
        "role": role,
        "id_last4": id_last4,
        "note": note,
        "emergency_name": emergency_name,
        "emergency_relation": emergency_relation,
        "emergency_phone": emergency_phone,
        "notify_channel": channel,
        "do_not_notify_note": no_notify_note,
        "special_instructions": instructions,
    }
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if phones:
        changes["phones"] = phones
    if not changes:
        fail(t("estate.cli.nothing_to_change"))
    now = utcnow()
    site_id = st.site_id()
    resident = _save(
        st,
        lambda s, ok: edit_resident(
            s, st.settings, site_id, resident_id, changes=changes, confirmed=ok, now=now
        ),
        yes,
    )
    with read_session(st.engine()) as session:
        unit = session.get(Unit, resident.unit_id)
    unit_code = unit.code if unit else ""
    typer.echo(t("estate.cli.resident_saved", id=resident.id, unit=unit_code, name=resident.name))


@residents_app.command("move-out")
def residents_move_out(
    ctx: typer.Context,
    resident_id: int = typer.Argument(..., help="Resident id."),
    on: str | None = typer.Option(None, "--date", help="Move-out date (default: today)."),
) -> None:
    """Mark a resident moved out (kept; out of lookups; in the duty log, H-8)."""
    from shiftdesk.estate.customers import get_resident, require
    from shiftdesk.estate.occupancy import move_out
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import to_local, utcnow

    st = state(ctx)
    now = utcnow()
    day = _day(on) if on else to_local(now, st.settings.site.timezone).date()
    site_id = st.site_id()

    def run(session: Any) -> tuple[str, int]:
        require(session, st.settings, "change")
        resident = get_resident(session, site_id, resident_id)
        return resident.name, move_out(session, st.settings, resident, on=day, now=now)

    name, waiting = st.write(run)
    typer.echo(t("estate.cli.moved_out", name=name, date=day.isoformat()))
    if waiting:
        typer.echo(t("estate.cli.parcels_flag", count=waiting))


@residents_app.command("move-in")
def residents_move_in(
    ctx: typer.Context,
    resident_id: int = typer.Argument(..., help="Resident id (moved out before)."),
    on: str | None = typer.Option(None, "--date", help="Move-in date (default: today)."),
) -> None:
    """Move a resident (back) in: active again, in the duty log (H-8)."""
    from shiftdesk.estate.customers import get_resident, require
    from shiftdesk.estate.occupancy import move_in
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import to_local, utcnow

    st = state(ctx)
    now = utcnow()
    day = _day(on) if on else to_local(now, st.settings.site.timezone).date()
    site_id = st.site_id()

    def run(session: Any) -> str:
        require(session, st.settings, "change")
        resident = get_resident(session, site_id, resident_id)
        return move_in(session, st.settings, resident, on=day, now=now).name

    typer.echo(t("estate.cli.moved_in", name=st.write(run)))


@residents_app.command("reads")
def residents_reads(
    ctx: typer.Context,
    resident_id: int | None = typer.Argument(None, help="One resident (default: all)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """A-6: who read which customer file or revealed a phone, when and why."""
    from shiftdesk.db import read_session
    from shiftdesk.estate.customers import access_log, require

    st = state(ctx)
    check_format(fmt)
    site_id = st.site_id()
    with read_session(st.engine(), st.actor()) as session:
        require(session, st.settings, "approver")  # the read log is the approver's
        rows = [
            {
                "at": a.at.isoformat(),
                "resident_id": a.resident_id,
                "operator": a.operator_name,
                "action": a.action,
                "reason": a.reason,
            }
            for a in access_log(session, site_id, resident_id)
        ]
    columns = ["at", "resident_id", "operator", "action", "reason"]
    emit(rows, fmt, columns=columns, headers=_headers(*columns))


@units_app.command("add")
def units_add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Unit code in the site's form (3-2-1502, 3栋2单元1502)."),
    area: str = typer.Option("", "--area", help="Floor area in square metres."),
) -> None:
    """Add a unit (its building too, if new)."""
    from shiftdesk.estate.customers import add_unit
    from shiftdesk.i18n import t

    st = state(ctx)
    site_id = st.site_id()
    unit = st.write(lambda s: add_unit(s, st.settings, site_id, code, area=area))
    typer.echo(t("estate.cli.unit_added", unit=unit.code))


@units_app.command("list")
def units_list(
    ctx: typer.Context,
    prefix: str = typer.Option("", "--prefix", help="Only units whose code starts so (3-2-)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """Units in building, floor and room order (A-7), with how many live in each."""
    from shiftdesk.db import read_session
    from shiftdesk.estate.customers import list_units

    st = state(ctx)
    check_format(fmt)
    site_id = st.site_id()
    with read_session(st.engine()) as session:
        rows = list_units(session, site_id, prefix)
    columns = ["unit", "floor", "area", "residents"]
    emit(rows, fmt, columns=columns, headers=_headers(*columns))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="estate")
    root.add_typer(residents_app, name="residents")
    root.add_typer(units_app, name="units")
