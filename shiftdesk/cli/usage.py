"""Command-line usage errors as one translated line, not an English box.

Typer (with its vendored Click) reports a mistyped command line as a framed English panel.
A front-desk operator running ``shiftdesk`` in Chinese gets the same facts, in Chinese, on
one line, with the exit code scripts rely on (2). Messages come from the exception's
structured fields where Typer keeps them (option name, parameter, possibilities) and fall
back to Typer's own words inside a translated frame.
"""

from __future__ import annotations

import re
from typing import Any

from shiftdesk.i18n import t

_NO_COMMAND = re.compile(r"No such command '(.*)'\.?$", re.S)
_EXTRA = re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", re.S)
_NEEDS_VALUE = re.compile(r"Option '(.*)' requires (?:an argument|(\d+) arguments)\.?$", re.S)
_NO_VALUE = re.compile(r"Option '(.*)' does not take a value\.?$", re.S)


def _hint(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        try:
            hint = param.get_error_hint(getattr(exc, "ctx", None))
        except TypeError:
            hint = param.get_error_hint()
        except Exception:
            hint = getattr(param, "name", None)
    if hint is None:
        return ""
    if not isinstance(hint, str):
        hint = " / ".join(str(h) for h in hint)
    return hint.strip("'\"") if hint.count("'") == 2 else hint


def _value_detail(message: str) -> str:
    """Typer's (pydantic's) reason a value was refused, in the operator's language."""
    low = message.lower()
    if "valid integer" in low:
        return t("reliability.cli.expected_int")
    if "valid number" in low or "valid float" in low:
        return t("reliability.cli.expected_number")
    if "valid boolean" in low:
        return t("reliability.cli.expected_bool")
    return message


def usage_message(exc: Any) -> str:
    """One line describing a Typer/Click ``UsageError``, with where to get help."""
    name = type(exc).__name__
    message = str(getattr(exc, "message", "") or "").strip()
    if name == "NoSuchOption":
        text = t("reliability.cli.no_such_option", option=exc.option_name)
        possible = list(getattr(exc, "possibilities", None) or [])
        if possible:
            text += t("reliability.cli.did_you_mean", options=", ".join(sorted(possible)))
    elif name == "MissingParameter":
        text = t("reliability.cli.missing", name=_hint(exc) or "?")
    elif name == "BadParameter":
        text = t("reliability.cli.bad_value", name=_hint(exc) or "?", detail=_value_detail(message))
    elif m := _NO_COMMAND.match(message):
        text = t("reliability.cli.no_such_command", command=m.group(1))
    elif m := _EXTRA.match(message):
        text = t("reliability.cli.extra_arguments", args=m.group(1))
    elif m := _NEEDS_VALUE.match(message):
        text = t("reliability.cli.needs_value", option=m.group(1))
    elif m := _NO_VALUE.match(message):
        text = t("reliability.cli.takes_no_value", option=m.group(1))
    elif message == "Missing command.":
        text = t("reliability.cli.missing_command")
    else:
        text = t("reliability.cli.usage", detail=message or name)
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") if ctx is not None else ""
    if path:
        text += t("reliability.cli.try_help", command=f"{path} -h")
    return " ".join(text.splitlines())


def sniff_option(args: list[str], option: str) -> str | None:
    """The value of ``option`` in raw arguments that failed to parse (for the locale)."""
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None
