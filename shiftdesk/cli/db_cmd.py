"""``shiftdesk db``: schema upgrades, the current revision, online backups."""

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
        fail(f"{path} exists; choose a new file name", EXIT_FAILURE)
    size = backup_sqlite(engine, path)
    typer.echo(t("cli.backup.done", path=path, size=size))
