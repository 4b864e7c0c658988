"""``shiftdesk config``: show, locate, read and change settings."""

from __future__ import annotations

import json

import typer

from shiftdesk.cli.common import state

app = typer.Typer(help="Show and change configuration.", no_args_is_help=True)


@app.command()
def show(
    ctx: typer.Context,
    fmt: str = typer.Option("toml", "--format", help="toml or json."),
) -> None:
    """Print the settings in force (file, environment and flags applied)."""
    from shiftdesk.config import as_dict

    data = as_dict(state(ctx).settings)
    if fmt == "json":
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        import tomli_w

        typer.echo(tomli_w.dumps(data))


@app.command()
def path(ctx: typer.Context) -> None:
    """Print the config file in use (it may not exist yet: `shiftdesk init` writes it)."""
    from shiftdesk.config import config_path_in_use

    typer.echo(str(config_path_in_use(state(ctx).config_path)))


@app.command()
def get(
    ctx: typer.Context, key: str = typer.Argument(..., help="Dotted key, e.g. site.code.")
) -> None:
    """Print one setting's value in force."""
    from shiftdesk.config import get_value

    value = get_value(state(ctx).settings, key)
    typer.echo(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)


@app.command("set")
def set_(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Dotted key, e.g. workorders.dispatch_minutes."),
    value: str = typer.Argument(..., help="New value; lists comma-separated."),
) -> None:
    """Change one setting in the config file (checked, then written atomically)."""
    from shiftdesk.config import config_path_in_use, set_in_file
    from shiftdesk.i18n import t

    st = state(ctx)
    target = config_path_in_use(st.config_path)
    written = set_in_file(target, key, value)
    st.settings  # noqa: B018  (sets the locale for the message)
    typer.echo(
        t("cli.config.set", key=key, value=json.dumps(written, ensure_ascii=False), path=target)
    )


@app.command()
def keys() -> None:
    """List every key the config file understands."""
    from shiftdesk.config import all_keys

    for key in all_keys():
        typer.echo(key)
