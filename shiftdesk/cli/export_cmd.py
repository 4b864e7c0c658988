"""``shiftdesk export`` and ``shiftdesk import``: archives for safekeeping and restore (issue 8).

Exit codes: 0 ok (also when --since-last finds no new complete day), 1 failure (an archive
that does not verify, a damaged archive, a database error), 2 usage or configuration (bad
dates or options, unknown site, missing role or wrong PIN for --include-pii or --merge, a
non-empty database without --merge, an archive of another schema).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from shiftdesk.cli.common import AppState, fail, state
from shiftdesk.errors import EXIT_FAILURE

if TYPE_CHECKING:
    from shiftdesk.config import Settings
    from shiftdesk.db import Actor

export_app = typer.Typer(
    help=(
        "Archives of the database for safekeeping (A-7): CSV and JSON Lines per table, a "
        "manifest with SHA-256 hashes; deterministic, verifiable, restorable. "
        "Exit codes: 0 ok, 1 failure, 2 usage or configuration error."
    ),
    no_args_is_help=True,
)
import_app = typer.Typer(
    help="Restore an export archive into a database. Exit codes: 0 ok, 1 failure, 2 usage.",
    no_args_is_help=True,
)

ProgressFn = Callable[[str, int, "int | None"], None]


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")


@contextmanager
def _progress(quiet: bool, label: str) -> Iterator[ProgressFn | None]:
    """A Rich progress bar on stderr, one line per table (none with --quiet or no terminal)."""
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(table: str, done: int, total: int | None) -> None:
            task = tasks.get(table)
            if task is None:
                for old in tasks.values():
                    bar.update(old, visible=False)
                task = tasks[table] = bar.add_task(f"{label} {table}", total=total)
            bar.update(task, completed=done, total=total)

        yield update


def _pii_actor(st: AppState, settings: Settings) -> tuple[Actor, str]:
    """Who may take personal data out (A-4): a manager or admin, by PIN or by config."""
    from shiftdesk import audit
    from shiftdesk.db import read_session, transact
    from shiftdesk.errors import PermissionDenied
    from shiftdesk.i18n import t
    from shiftdesk.models import Role
    from shiftdesk.security import actor_for, require_role
    from shiftdesk.sites import find_operator

    engine = st.engine()
    cron = settings.security.pii_export_operator.strip()
    use_cron = bool(cron) and st.operator in (None, "", cron)
    if use_cron:
        with read_session(engine) as session:
            op = find_operator(session, cron)
        if not op.active and op.name != "system":
            fail(t("export.pii.cron_disabled", name=op.name))
        candidate = actor_for(op)
    else:
        candidate = st.actor()  # the operator named on the command line, before the PIN
    try:
        if use_cron:
            require_role(candidate, Role.MANAGER)
            actor, via = candidate, "security.pii_export_operator"
        else:
            actor, via = st.authenticated_actor(Role.MANAGER), "PIN"
    except PermissionDenied:
        # an attempt to take customer files out is logged even when refused
        transact(
            engine,
            lambda s: audit.record(s, "export_denied", "archive_run", note="--include-pii"),
            actor=candidate,
        )
        raise
    return actor, via


def _merge_actor(st: AppState, as_system: bool) -> tuple[Actor, str]:
    """Who may merge an archive into a live database (§1): a manager or admin of that
    database by PIN, or the system identity (--as-system, the server's administrator)."""
    from shiftdesk import audit
    from shiftdesk.db import SYSTEM, transact
    from shiftdesk.errors import PermissionDenied
    from shiftdesk.i18n import t
    from shiftdesk.models import Role

    if not st.operator:
        if as_system:
            return SYSTEM, "--as-system"
        fail(t("reliability.merge.who"))
    candidate = st.actor()  # the operator named on the command line, before the PIN
    try:
        return st.authenticated_actor(Role.MANAGER), "PIN"
    except PermissionDenied:
        # an attempt to write an archive into the live database is logged when refused
        transact(
            st.engine(),
            lambda s: audit.record(s, "import_denied", "database", note="--merge"),
            actor=candidate,
        )
        raise


def _period(
    st: AppState,
    site: Any,
    *,
    date_text: str | None,
    from_text: str | None,
    to_text: str | None,
    since: bool,
) -> Any:
    from shiftdesk import archive
    from shiftdesk.timeutil import parse_day, utcnow

    tz = site.timezone
    if since:
        from shiftdesk.db import read_session

        with read_session(st.engine()) as session:
            cursor = archive.last_cursor(session.connection(), site.id)
        start = parse_day(from_text) if from_text else None
        return archive.since_last(cursor, utcnow(), tz, start_day=start)
    if date_text:
        return archive.one_day(parse_day(date_text), tz)
    if from_text and to_text:
        return archive.day_range(parse_day(from_text), parse_day(to_text), tz)
    return archive.everything(tz)


@export_app.command("archive")
def archive_cmd(
    ctx: typer.Context,
    date_text: str | None = typer.Option(
        None, "--date", help="One day, YYYY-MM-DD in the site's time zone.", show_default=False
    ),
    from_text: str | None = typer.Option(
        None,
        "--from",
        show_default=False,
        help="First day of a range (with --to). With --since-last: where the very first "
        "archive starts (default: everything).",
    ),
    to_text: str | None = typer.Option(
        None, "--to", help="Last day of a range, included.", show_default=False
    ),
    since: bool = typer.Option(
        False,
        "--since-last",
        help="Every complete day since the previous --since-last archive (the database "
        "remembers it): a nightly job never misses or repeats a day.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder to write to (default: archive.out_dir, else data/archives).",
        show_default=False,
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="tar.gz or zip (default: archive.format).", show_default=False
    ),
    include_pii: bool = typer.Option(
        False,
        "--include-pii",
        help="Write residents' names, phones and ID digits unmasked. Needs --operator with the "
        "manager or admin role and their PIN, or security.pii_export_operator for cron. "
        "Recorded in the audit trail.",
    ),
    site_code: str | None = typer.Option(
        None,
        "--site",
        help="Site code, or 'all' for one archive per site (default: the configured site).",
        show_default=False,
    ),
    bom: bool | None = typer.Option(
        None,
        "--bom/--no-bom",
        help="Start CSV files with a UTF-8 byte-order mark for Excel (default: archive.csv_bom).",
        show_default=False,
    ),
    keep_days: int | None = typer.Option(
        None,
        "--keep-days",
        min=0,
        show_default=False,
        help="Afterwards delete archives older than N days from the output folder (never "
        "the database). Default: archive.keep_days; 0 keeps all.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="For cron: no progress bar; print only the archive's path."
    ),
) -> None:
    """Write an archive of the whole database, one day, a range, or everything since the last.

    Without --date, --from/--to or --since-last the archive holds every record. A period
    archive holds the records created or changed in it plus the records they refer to,
    so each archive restores on its own. Personal data is masked unless --include-pii.
    With --site all, every site of the database gets its own archive (one path per line
    with --quiet).
    """
    from shiftdesk import archive
    from shiftdesk.archive.container import FORMATS
    from shiftdesk.config import data_dir
    from shiftdesk.i18n import t
    from shiftdesk.timeutil import to_local, utcnow

    if since and (date_text or to_text):
        fail(t("export.err.since_last_conflict"))
    if date_text and (from_text or to_text):
        fail(t("export.err.date_conflict"))
    if not since and bool(from_text) != bool(to_text):
        fail(t("export.err.range_incomplete"))
    st = state(ctx)
    settings = st.settings
    fmt = fmt or settings.archive.format
    if fmt not in FORMATS:
        fail(t("export.err.format", value=fmt))
    engine = st.engine()
    from shiftdesk.db import read_session
    from shiftdesk.sites import get_site

    with read_session(engine) as session:
        if site_code == "all":
            # the company view (issue 11): each site's own archive, period and cursor
            from sqlmodel import col, select

            from shiftdesk.models import Site

            sites = list(session.exec(select(Site).order_by(col(Site.code))))
        else:
            sites = [get_site(session, site_code or settings.site.code)]
    if include_pii:
        actor, via = _pii_actor(st, settings)
    else:
        actor, via = st.actor(), ""
    out_dir = out or (Path(settings.archive.out_dir) if settings.archive.out_dir else None)
    out_dir = out_dir or data_dir() / "archives"
    keep = settings.archive.keep_days if keep_days is None else keep_days
    for site in sites:
        today = to_local(utcnow(), site.timezone).date()
        period = _period(
            st, site, date_text=date_text, from_text=from_text, to_text=to_text, since=since
        )
        if period is None:
            pruned = archive.prune_archives(out_dir, keep, today)
            if not quiet:
                typer.echo(t("export.nothing_new", today=today), err=True)
                _report_pruned(pruned, keep)
            continue
        opts = archive.ExportOptions(
            out_dir=out_dir,
            fmt=fmt,
            include_pii=include_pii,
            csv_bom=settings.archive.csv_bom if bom is None else bom,
            compress_level=settings.archive.compress_level,
        )
        with _progress(quiet, t("export.progress.export")) as progress:
            result = archive.export_archive(
                engine, site.code, period, opts, today=today, progress=progress, actor=actor
            )
        archive.record_export(engine, result, actor=actor, fmt=fmt, pii_via=via)
        pruned = archive.prune_archives(out_dir, keep, today, keep=frozenset({result.path.name}))
        if quiet:
            typer.echo(str(result.path))
            continue
        typer.echo(t("export.done", path=result.path))
        typer.echo(
            "  "
            + t(
                "export.summary",
                period=_describe_period(period),
                tables=len(result.tables),
                rows=f"{result.rows:,}",
                pii=t("export.pii.included" if result.pii_included else "export.pii.masked"),
            )
        )
        typer.echo(f"  SHA-256 {result.sha256}")
        _report_pruned(pruned, keep)


def _describe_period(period: Any) -> str:
    from shiftdesk.i18n import t

    if period.mode == "all":
        return t("export.period.all")
    first = period.first_day.isoformat() if period.first_day else t("export.period.start")
    last = period.last_day.isoformat() if period.last_day else ""
    text = first if first == last else f"{first} – {last}"
    return f"{text} ({period.timezone})"


def _report_pruned(pruned: list[Path], keep: int) -> None:
    from shiftdesk.i18n import t

    if pruned:
        typer.echo(t("export.pruned", count=len(pruned), days=keep))
        for path in pruned:
            typer.echo(f"  - {path.name}")


@export_app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., help="The archive file (.tar.gz or .zip).", show_default=False
    ),
    fmt: str = typer.Option("text", "--format", help="text or json (for scripts)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing when it verifies."),
) -> None:
    """Check every file's SHA-256, size and row count; exit 1 naming each file that fails."""
    import json

    from shiftdesk.archive import verify_archive
    from shiftdesk.i18n import t

    state(ctx).settings  # noqa: B018  (the configured locale for the messages)
    if fmt not in ("text", "json"):
        fail(t("export.err.verify_format", value=fmt))
    if not path.is_file():
        fail(t("export.err.no_file", path=path))
    with _progress(quiet or fmt == "json", t("export.progress.verify")) as progress:
        report = verify_archive(path, progress=progress)
    if fmt == "json":
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.ok:
        if not quiet:
            typer.echo(
                t(
                    "export.verify.ok",
                    path=path,
                    files=report.files,
                    tables=report.tables,
                    rows=f"{report.rows:,}",
                )
            )
    else:
        for problem in report.problems:
            typer.echo(f"shiftdesk: {problem}", err=True)
        typer.echo(t("export.verify.failed", path=path, count=len(report.problems)), err=True)
    if not report.ok:
        raise typer.Exit(EXIT_FAILURE)


@import_app.command("archive")
def import_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., help="The archive file (.tar.gz or .zip).", show_default=False
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database to restore into (default: the configured one); an empty "
        "new database is created and migrated first.",
        show_default=False,
    ),
    merge: bool = typer.Option(
        False,
        "--merge",
        help="Add to a database that has data: records whose id is already there are skipped "
        "and counted. Needs --operator NAME with the manager or admin role and their PIN "
        "(asked), or --as-system; recorded in the audit trail.",
    ),
    as_system: bool = typer.Option(
        False,
        "--as-system",
        help="Merge as the built-in system identity, without an operator's PIN (the server's "
        "administrator, who owns the database file). Recorded in the audit trail.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no per-table lines."),
) -> None:
    """Restore an archive into an empty database (or --merge it), all or nothing."""
    from shiftdesk.archive import import_archive
    from shiftdesk.i18n import t

    st = state(ctx)
    if db:
        st.db_url = db  # read by the settings, which no earlier step has loaded
    if not path.is_file():
        st.settings  # noqa: B018  (the configured locale for the message)
        fail(t("export.err.no_file", path=path))
    engine = st.engine(migrate_if_empty=True)
    actor, via = _merge_actor(st, as_system) if merge else (None, "")
    with _progress(quiet, t("export.progress.import")) as progress:
        result = import_archive(engine, path, merge=merge, progress=progress, actor=actor)
    if actor is not None:
        from shiftdesk.archive.restore import record_merge

        record_merge(engine, result, actor=actor, via=via)
    if not quiet:
        for table in result.tables:
            if table.inserted or table.skipped:
                line = f"  {table.name:<20} {table.inserted:>10,}"
                if merge:
                    line += "  " + t("export.import.skipped_count", skipped=f"{table.skipped:,}")
                typer.echo(line)
    url = engine.url.render_as_string(hide_password=True)
    if merge:
        typer.echo(
            t(
                "export.import.merged",
                path=path.name,
                url=url,
                inserted=f"{result.inserted:,}",
                skipped=f"{result.skipped:,}",
            )
        )
    else:
        typer.echo(t("export.import.done", path=path.name, url=url, rows=f"{result.inserted:,}"))
    if result.pii != "included":
        typer.echo(t("export.import.masked_warning"), err=True)
