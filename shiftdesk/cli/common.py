"""What every command shares: resolved settings, the engine, the acting operator, errors.

Kept light on imports: ``shiftdesk --help`` must not load SQLAlchemy or Textual, so the
engine and the models are imported only when a command asks for them.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from shiftdesk.errors import EXIT_USAGE, ShiftdeskError
from shiftdesk.i18n import set_locale

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from shiftdesk.config import Settings
    from shiftdesk.db import Actor
    from shiftdesk.models import Role, Site
    from shiftdesk.notify import DeliveryReport

T = TypeVar("T")


SITE_HELP = "Site code, or 'all' for every site (default: the configured site)."


def site_option() -> Any:
    """``--site CODE|all``, as every command that can work on several sites spells it."""
    return typer.Option(None, "--site", help=SITE_HELP, show_default=False)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr and a documented exit code: 1 failure, 2 usage/config."""
    typer.echo(f"shiftdesk: {message}", err=True)
    raise typer.Exit(code)


def _usage_failure(ctx: Any, err: Exception, args: list[str] | None = None) -> NoReturn:
    """A mistyped command line: one translated line and exit 2 (not Typer's English box)."""
    from shiftdesk.cli.usage import sniff_option, usage_message

    root = ctx.find_root()
    if not isinstance(root.obj, AppState):  # the error came before the root options ran
        params = root.params or {}
        raw = args or []
        config = params.get("config") or sniff_option(raw, "--config")
        root.obj = AppState(
            config_path=Path(config) if config else None,
            db_url=params.get("db"),
            locale=params.get("locale") or sniff_option(raw, "--locale"),
        )
    with contextlib.suppress(Exception):
        # the site's locale (--locale, SHIFTDESK_LOCALE or the config file) when readable
        root.obj.settings  # noqa: B018
    fail(usage_message(err), EXIT_USAGE)


class ShiftdeskGroup(TyperGroup):
    """Turns ShiftdeskError (and an unusable database) into one line and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from typer._click.exceptions import NoArgsIsHelpError, UsageError

        raw = list(args)  # the parser consumes ``args``
        try:
            return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise
        except UsageError as err:
            _usage_failure(ctx, err, raw)

    def invoke(self, ctx: Any) -> Any:
        from typer._click.exceptions import NoArgsIsHelpError, UsageError

        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise
        except UsageError as err:
            _usage_failure(ctx, err)
        except ShiftdeskError as err:
            fail(err.message, err.exit_code)
        except Exception as err:  # database unreachable, disk full: one line, not a traceback
            # shiftdesk.failures looks SQLAlchemy's errors up in sys.modules, so `--help`
            # (click's Exit is an Exception too) does not import it.
            from shiftdesk.failures import describe

            failure = describe(err)
            if failure is None:
                raise
            fail(failure.message, failure.code)


@dataclass
class AppState:
    """The root options, resolved lazily so that `--help` costs nothing."""

    config_path: Path | None = None
    db_url: str | None = None
    locale: str | None = None
    operator: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from shiftdesk.config import load_settings

            self._settings = load_settings(self.config_path, db_url=self.db_url, locale=self.locale)
            set_locale(self._settings.locale)
        return self._settings

    def engine(self, *, migrate_if_empty: bool = False, check_schema: bool = True) -> Engine:
        """The engine; the schema must be current (or is created when asked and empty)."""
        if self._engine is None:
            from shiftdesk import migrate
            from shiftdesk.db import make_engine

            settings = self.settings
            engine = make_engine(settings.db_url, busy_timeout_ms=settings.database.busy_timeout_ms)
            if migrate_if_empty and migrate.check_not_newer(engine) is None:
                migrate.upgrade(engine)
            if check_schema:
                migrate.ensure_current(engine)
            self._engine = engine
        return self._engine

    def site(self) -> Site:
        from shiftdesk.db import read_session
        from shiftdesk.sites import get_site

        with read_session(self.engine()) as session:
            return get_site(session, self.settings.site.code)

    def site_id(self) -> int:
        """The configured site's id (an unknown site code is a usage error, exit 2)."""
        site = self.site()
        assert site.id is not None
        return site.id

    def write(self, fn: Callable[[Session], T]) -> T:
        """``fn(session)`` as one audited transaction under the scripted actor (``actor``)."""
        from shiftdesk.db import transact

        return transact(self.engine(), fn, actor=self.actor())

    def deliver(self, site_id: int) -> DeliveryReport:
        """Send this site's notifications that are due now (the CLI is its own worker: it
        may block on the network); what fails stays in the outbox for retry."""
        from shiftdesk import notify

        return notify.deliver_due(self.engine(), self.settings, site_id=site_id, actor=self.actor())

    def actor(self) -> Actor:
        """Who a scripted write is recorded under: --operator / SHIFTDESK_OPERATOR or system."""
        from shiftdesk.db import SYSTEM, read_session
        from shiftdesk.security import actor_for
        from shiftdesk.sites import find_operator

        if not self.operator:
            return SYSTEM
        with read_session(self.engine()) as session:
            op = find_operator(session, self.operator)
        if not op.active:
            from shiftdesk.i18n import t

            fail(t("cli.operator_disabled", name=op.name))
        return actor_for(op)

    def authenticated_actor(self, needed: Role, *, pin: str | None = None) -> Actor:
        """A real operator holding ``needed``, proven by PIN (asked without echo)."""
        from shiftdesk.i18n import t
        from shiftdesk.security import actor_for, authenticate, require_role

        if not self.operator:
            fail(t("cli.needs_operator", role=t(f"role.{needed.value}")))
        if pin is None:
            pin = typer.prompt(t("cli.pin_prompt"), hide_input=True)
        sec = self.settings.security
        op = authenticate(
            self.engine(),
            self.operator or "",
            pin or "",
            lockout_attempts=sec.lockout_attempts,
            lockout_minutes=sec.lockout_minutes,
            site_code=self.settings.site.code,  # an operator of this site only (§1)
        )
        actor = actor_for(op)
        require_role(actor, needed)
        return actor


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):
        obj = AppState()
        ctx.find_root().obj = obj
    return obj


FORMAT_HELP = "Output format: table (default), json or csv."


def emit(
    rows: list[dict[str, Any]],
    fmt: str,
    *,
    columns: list[str] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Print rows as a Rich table, JSON (a list of objects) or CSV with a header row."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        import json

        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    elif fmt == "table":
        from shiftdesk.cli.tables import print_table

        print_table(rows, columns, title=title, headers=headers)
    else:
        check_format(fmt)


def check_format(fmt: str, allowed: tuple[str, ...] = ("table", "json", "csv")) -> str:
    if fmt not in allowed:
        from shiftdesk.i18n import t

        fail(t("cli.unknown_format", value=fmt, allowed=", ".join(allowed)))
    return fmt
