"""``shiftdesk db``: schema upgrades, the current revision, online backups, moving up."""

from __future__ import annotations

from pathlib import Path

import typer

from shiftdesk.cli.common import fail, state
from shiftdesk.errors import EXIT_FAILURE

app = typer.Typer(help="Database schema and backups.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Upgrade the schema to this program's version (a newer database is refused)."""
    from shiftdesk import migrate

    engine = state(ctx).engine(check_schema=False)
    typer.echo(f"schema at {migrate.upgrade(engine)}")


@app.command()
def optimize(ctx: typer.Context) -> None:
    """Refresh the query planner's statistics (the nightly job runs it; safe while in use)."""
    from shiftdesk import migrate

    engine = state(ctx).engine()
    migrate.refresh_statistics(engine)
    typer.echo("statistics refreshed")


@app.command()
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision and this program's."""
    from shiftdesk import migrate

    engine = state(ctx).engine(check_schema=False)
    rev = migrate.check_not_newer(engine)
    head = migrate.head_revision()
    typer.echo(f"database: {rev or '(empty)'}  program: {head}")


@app.command()
def backup(
    ctx: typer.Context, path: Path = typer.Argument(..., help="File to write the backup to.")
) -> None:
    """Copy the SQLite database with the online backup API, safe while terminals write."""
    from shiftdesk.backup import backup_sqlite
    from shiftdesk.db import is_sqlite
    from shiftdesk.i18n import t

    engine = state(ctx).engine(check_schema=False)
    if not is_sqlite(engine):
        fail(t("cli.backup.postgres"))
    if path.exists():
        fail(t("cli.backup.exists", path=path), EXIT_FAILURE)
    size = backup_sqlite(engine, path)
    typer.echo(t("cli.backup.done", path=path, size=size))


@app.command("migrate-to")
def migrate_to(
    ctx: typer.Context,
    url: str = typer.Argument(
        ...,
        help="The new, empty database, e.g. postgresql://shiftdesk:SECRET@dbhost/shiftdesk.",
        show_default=False,
    ),
    as_system: bool = typer.Option(
        False,
        "--as-system",
        help="Move as the built-in system identity, without an operator's PIN (the server's "
        "administrator, who owns the database file). Recorded in the audit trail.",
    ),
    archive_dir: Path | None = typer.Option(
        None,
        "--archive-dir",
        help="Keep the archives the move goes through in this folder (they hold personal "
        "data). Default: a private temporary folder, removed afterwards.",
        show_default=False,
    ),
    fmt: str = typer.Option("table", "--format", help="table (default) or json."),
) -> None:
    """Copy this database, every site and record, into a new empty database (SQLite to
    PostgreSQL when a desk grows), then check every table's row count on both sides.

    Residents' personal data moves too, so it needs --operator NAME with the manager or
    admin role and their PIN, or --as-system. The target's schema is created first; a
    target that already holds shiftdesk records is refused. Stop the terminals first.
    Exit codes: 0 moved and verified, 1 the counts differ or the copy failed, 2 usage
    (no authority, same or non-empty target).
    """
    import shutil
    import tempfile

    from shiftdesk import audit, deploy
    from shiftdesk.cli.common import check_format, emit
    from shiftdesk.cli.export_cmd import _progress
    from shiftdesk.db import SYSTEM, transact
    from shiftdesk.errors import PermissionDenied
    from shiftdesk.i18n import t
    from shiftdesk.models import Role

    check_format(fmt, ("table", "json"))
    st = state(ctx)
    source = st.engine()
    deploy.check_target(source, url)  # before asking anyone's PIN
    if st.operator:
        candidate = st.actor()
        try:
            actor, via = st.authenticated_actor(Role.MANAGER), "PIN"
        except PermissionDenied:
            # an attempt to take customer data elsewhere is logged even when refused
            transact(
                source,
                lambda s: audit.record(s, "migrate_denied", "database", note=deploy.safe_url(url)),
                actor=candidate,
            )
            raise
    elif as_system:
        actor, via = SYSTEM, "--as-system"
    else:
        fail(t("deploy.migrate.who"))
    work = archive_dir or Path(tempfile.mkdtemp(prefix="shiftdesk-move-"))
    try:
        with _progress(fmt == "json", t("deploy.migrate.progress")) as progress:
            result = deploy.move_database(
                source, url, actor=actor, work_dir=work, authorised_by=via, progress=progress
            )
    finally:
        if archive_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    if fmt == "json":
        import json

        payload = {
            "ok": result.ok,
            "target": result.target,
            "revision": result.revision,
            "sites": result.sites,
            "rows": result.rows,
            "archives": [str(p) for p in result.archives] if archive_dir else [],
            "tables": deploy.summary_rows(result),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        rows = [
            {
                **r,
                "source": f"{r['source']:,}",
                "target": f"{r['target']:,}",
                "ok": t("deploy.migrate.same_count" if r["ok"] else "deploy.migrate.differs"),
            }
            for r in deploy.summary_rows(result)
        ]
        headers = {c: t(f"deploy.migrate.col.{c}") for c in ("table", "source", "target", "ok")}
        emit(rows, "table", columns=list(headers), headers=headers)
    if not result.ok:
        tables = ", ".join(f"{tb.name} ({tb.source} → {tb.target})" for tb in result.mismatched)
        fail(t("deploy.migrate.mismatch", tables=tables), EXIT_FAILURE)
    if fmt != "json":
        typer.echo(
            t(
                "deploy.migrate.done",
                rows=f"{result.rows:,}",
                sites=", ".join(result.sites),
                url=result.target,
            )
        )
        if archive_dir:
            for path in result.archives:
                typer.echo(f"  {path}")
        hidden = "***" in result.target  # the password is not printed: say where it goes
        key = "deploy.migrate.next_password" if hidden else "deploy.migrate.next"
        typer.echo(t(key, url=result.target))
