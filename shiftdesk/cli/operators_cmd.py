"""``shiftdesk operators``: who may sign in, with which role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from shiftdesk.cli.common import FORMAT_HELP, check_format, emit, fail, site_option, state

if TYPE_CHECKING:
    from shiftdesk.db import Actor

app = typer.Typer(help="Manage operators (admin or manager with PIN).", no_args_is_help=True)


def _admin(ctx: typer.Context) -> Actor:
    """Managing operators needs a manager/admin with their PIN, except on a new database."""
    from sqlmodel import select

    from shiftdesk.db import read_session
    from shiftdesk.models import Operator, Role

    st = state(ctx)
    with read_session(st.engine()) as session:
        first = (
            session.exec(
                select(Operator).where(Operator.name != "system", Operator.pin_hash != "")
            ).first()
            is None
        )
    if first:
        return st.actor()
    return st.authenticated_actor(Role.MANAGER)


@app.command()
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Sign-in name (e.g. wangfang)."),
    role: str = typer.Option("operator", "--role", help="operator, supervisor, manager or admin."),
    display_name: str = typer.Option("", "--display-name", help="Name shown on screen (王芳)."),
    pin: str | None = typer.Option(None, "--pin", hidden=True, help="For tests and provisioning."),
) -> None:
    """Add an operator; the PIN is asked twice without echo."""
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.models import Role
    from shiftdesk.sites import add_operator, ensure_site

    st = state(ctx)
    try:
        role_enum = Role(role)
    except ValueError:
        from shiftdesk.i18n import t

        fail(t("cli.unknown_role", value=role))
    actor = _admin(ctx)
    if pin is None:
        pin = typer.prompt(t("cli.pin_prompt"), hide_input=True)
        again = typer.prompt(t("cli.pin_repeat"), hide_input=True)
        if pin != again:
            fail(t("cli.operators.pin_mismatch"))
    settings = st.settings

    def _add(session):
        site = ensure_site(session, settings)
        return add_operator(
            session,
            name=name,
            pin=pin or "",
            role=role_enum,
            site_id=site.id,
            display_name=display_name,
        )

    transact(st.engine(), _add, actor=actor)
    typer.echo(t("cli.operators.added", name=name, role=role_enum.value))


@app.command("list")
def list_(
    ctx: typer.Context,
    site: str | None = site_option(),
    fmt: str = typer.Option("table", "--format", help=FORMAT_HELP),
) -> None:
    """List this site's operators with their roles and whether they are active."""
    from shiftdesk.db import read_session
    from shiftdesk.sites import get_site, list_operators

    check_format(fmt)
    st = state(ctx)
    with read_session(st.engine()) as session:
        site_id = None if site == "all" else get_site(session, site or st.settings.site.code).id
        rows = [
            {
                "name": op.name,
                "display_name": op.display_name,
                "role": op.role,
                "active": op.active,
                "locked_until": op.locked_until.isoformat() if op.locked_until else None,
            }
            for op in list_operators(session, site_id)
        ]
    emit(rows, fmt, columns=["name", "display_name", "role", "active", "locked_until"])


@app.command()
def disable(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Disable an operator: they can no longer sign in; their records stay theirs."""
    from shiftdesk.db import transact
    from shiftdesk.i18n import t
    from shiftdesk.sites import set_operator_active

    st = state(ctx)
    actor = _admin(ctx)
    transact(st.engine(), lambda s: set_operator_active(s, name, False), actor=actor)
    typer.echo(t("cli.operators.disabled", name=name))
