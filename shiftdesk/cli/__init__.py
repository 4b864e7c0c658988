"""The ``shiftdesk`` command: bare, it opens the terminal app; with a command, it scripts.

Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shiftdesk import __version__
from shiftdesk.cli import config_cmd, db_cmd, operators_cmd, serve_cmd, stats_cmd
from shiftdesk.cli.common import AppState, ShiftdeskGroup, fail, state

app = typer.Typer(
    cls=ShiftdeskGroup,
    help=(
        "shiftdesk: the front desk and night control room in one terminal app.\n\n"
        "Run without a command to open the app. Exit codes: 0 ok, 1 failure, "
        "2 usage or configuration error."
    ),
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        help="Config file (default: data/config.toml in a checkout). Env: SHIFTDESK_CONFIG.",
        show_default=False,
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database URL (sqlite:///... or postgresql://...). Env: SHIFTDESK_DB.",
        show_default=False,
    ),
    locale: str | None = typer.Option(
        None, "--locale", help="en or zh_CN. Env: SHIFTDESK_LOCALE.", show_default=False
    ),
    operator: str | None = typer.Option(
        None,
        "--operator",
        envvar="SHIFTDESK_OPERATOR",
        help="Operator that writes are recorded under (default: the built-in system identity).",
        show_default=False,
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Open the app, loading the demo site first if the database is empty."
    ),
) -> None:
    from shiftdesk.privacy import install_log_masking

    install_log_masking()  # no resident's phone number in a log line (issue 9)
    ctx.obj = AppState(config_path=config, db_url=db, locale=locale, operator=operator)
    if ctx.invoked_subcommand is None:
        launch_tui(ctx.obj, demo=demo)


def launch_tui(st: AppState, *, demo: bool) -> None:
    """Open the terminal app: the only place the CLI imports Textual.

    If it cannot start (bad config, database missing, read-only or newer), a person at the
    terminal sees a dialog first, then the one line and exit code a script would (issue 9).
    """
    try:
        engine, site = _prepare_tui(st, demo=demo)
    except Exception as err:
        import sys

        from shiftdesk.failures import describe

        failure = describe(err)
        if failure is None:
            raise
        if sys.stdin.isatty() and sys.stdout.isatty():
            from screens.errors import show_startup_error

            show_startup_error(failure)
        fail(failure.message, failure.code)
    import gc

    from screens.app import run_app

    # What start-up loaded (modules, settings, the engine: ~120,000 objects) lives as long
    # as the process: frozen, the cycle collector no longer walks it on every full
    # collection, which the board's first read of 10,000 orders and a save each trigger
    # (docs/performance.md). Objects are still freed by reference counting as before.
    gc.freeze()
    run_app(st.settings, engine, site)


def _prepare_tui(st: AppState, *, demo: bool) -> tuple[Any, Any]:
    """The engine, schema checked, and the site, created if need be (the demo loaded if
    asked and the database is empty); the app starts with the site already known."""
    engine = st.engine(migrate_if_empty=True, check_schema=False)
    from shiftdesk import migrate

    migrate.ensure_current(engine)
    from shiftdesk.db import read_session, transact
    from shiftdesk.sites import ensure_site, ensure_system_operator, site_if_ready

    if demo:
        from shiftdesk.demo import database_is_empty, load_demo

        if database_is_empty(engine):
            load_demo(engine, st.settings)
    with read_session(engine) as session:
        site = site_if_ready(session, st.settings)
    if site is None and not demo:  # the first start: create them (under the write lock)
        site = transact(
            engine, lambda s: (ensure_site(s, st.settings), ensure_system_operator(s))[0]
        )
    return engine, site


@app.command()
def version() -> None:
    """Print the program version."""
    typer.echo(f"shiftdesk {__version__}")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create or upgrade the database, create the site, and write a config file if none exists."""
    from shiftdesk import migrate
    from shiftdesk.config import config_path_in_use, write_default_config
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.sites import ensure_site, ensure_system_operator

    st = state(ctx)
    path = config_path_in_use(st.config_path)
    if write_default_config(path):
        typer.echo(t("cli.init.config_written", path=path))
    engine = st.engine(check_schema=False)
    revision = migrate.upgrade(engine)
    transact(engine, lambda s: (ensure_site(s, st.settings), ensure_system_operator(s)))
    url = engine.url.render_as_string(hide_password=True)
    typer.echo(t("cli.init.created", url=url, revision=revision))


@app.command()
def demo(
    ctx: typer.Context,
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives the same data."),
) -> None:
    """Fill an empty database with a realistic demo site and print its operators and PINs."""
    from shiftdesk.demo import DEMO_OPERATORS, database_is_empty, load_demo
    from shiftdesk.i18n import t

    st = state(ctx)
    engine = st.engine(migrate_if_empty=True)
    if not database_is_empty(engine):
        typer.echo(t("cli.demo.not_empty"), err=True)
    else:
        summary = load_demo(engine, st.settings, seed=seed)
        typer.echo(
            t(
                "cli.demo.loaded",
                site=summary.site,
                buildings=summary.buildings,
                units=summary.units,
                residents=summary.residents,
            )
        )
        for line in summary.extra:
            typer.echo(f"  {line}")
    typer.echo(t("cli.demo.operators"))
    for name, display, pin, role in DEMO_OPERATORS:
        typer.echo(f"  {name:<10} {pin:<6} {role:<11} {display}")


app.add_typer(db_cmd.app, name="db")
app.add_typer(config_cmd.app, name="config")
app.add_typer(operators_cmd.app, name="operators")
# --- area commands: each area registers its sub-app or commands below -------------------
from shiftdesk.cli import handover_cmd  # noqa: E402  (handover log and verify, issue 6)

handover_cmd.register(app)
app.command("serve")(serve_cmd.serve)

from shiftdesk.cli import orders_cmd  # noqa: E402  (work orders, issue 4)

app.add_typer(orders_cmd.app, name="orders")
app.add_typer(stats_cmd.app, name="stats")
from shiftdesk.cli import calls_cmd  # noqa: E402  (calls and complaints, issue 3)

calls_cmd.register(app)
from shiftdesk.cli import parcels_cmd  # noqa: E402  (parcels and mail, issue 5)

parcels_cmd.register(app)
from shiftdesk.cli import export_cmd  # noqa: E402  (export/import archives, issue 8)

export_cmd.register(app)
from shiftdesk.cli import audit_cmd  # noqa: E402  (the audit trail, issue 9)

app.command("audit")(audit_cmd.audit)
from shiftdesk.cli import estate_cmd  # noqa: E402  (the estate and customer files, issue 18)

estate_cmd.register(app)


def main() -> None:
    app()
