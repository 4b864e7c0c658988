"""``shiftdesk serve``: the app in a browser, for desks without a terminal habit.

Each browser tab runs its own ``shiftdesk`` process (textual-serve), with the same config,
database and locale as this command. Bound to loopback by default: anything else exposes
residents' personal data to the network, so it needs a reverse proxy with TLS in front
(docs/admin.md) and an explicit acknowledgement.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys

import typer

from shiftdesk.cli.common import fail, state

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def child_command(config: str | None, db: str | None, locale: str | None) -> str:
    """The command each browser session runs: this Python, this package, same options."""
    parts = [sys.executable, "-m", "shiftdesk"]
    if config:
        parts += ["--config", config]
    if db:
        parts += ["--db", db]
    if locale:
        parts += ["--locale", locale]
    return shlex.join(parts)


def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (loopback by default)."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    public_url: str | None = typer.Option(
        None, "--public-url", help="The URL browsers use, when behind a reverse proxy."
    ),
    i_have_tls: bool = typer.Option(
        False,
        "--i-have-a-tls-proxy",
        help="Required to listen on a non-loopback address: confirms a TLS reverse proxy "
        "with authentication sits in front (see docs/admin.md).",
    ),
) -> None:
    """Serve the app to a web browser (textual-serve), on 127.0.0.1:8000 by default."""
    st = state(ctx)
    st.engine(migrate_if_empty=True)  # fail here, once, rather than in every browser tab
    if not is_loopback(host):
        typer.echo(
            "WARNING: serving on a non-loopback address. Anyone who can reach "
            f"{host}:{port} can reach the sign-in screen and, after it, residents' personal "
            "data. Put a TLS reverse proxy with authentication in front (docs/admin.md).",
            err=True,
        )
        if not i_have_tls:
            fail("refusing to listen on a non-loopback address without --i-have-a-tls-proxy")
    from textual_serve.server import Server

    command = child_command(str(st.config_path) if st.config_path else None, st.db_url, st.locale)
    server = Server(command, host=host, port=port, title="shiftdesk", public_url=public_url)
    typer.echo(f"shiftdesk serving on http://{host}:{port} (Ctrl+C stops)")
    server.serve()
