"""One translation function for every operator-facing string.

Catalogs are TOML files in this folder, one per area (core.toml, calls.toml, ...), so
each area owns its strings. Each key is a table holding every locale::

    ["calls.saved"]
    en = "Call {id} saved"
    zh_CN = "来电 {id} 已保存"

A test fails when any key lacks a locale, so the catalogs stay complete.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = ("en", "zh_CN")
_HERE = Path(__file__).parent
_state = {"locale": "en"}


_TABLE = re.compile(r'\["([^"\\]+)"\]')
_ENTRY = re.compile(r'([A-Za-z_]+) = ("(?:[^"\\]|\\["\\bfnrt/]|\\u[0-9A-Fa-f]{4})*")')


def _parse(text: str) -> dict[str, dict[str, str]] | None:
    """The catalogs' own shape of TOML, read fast: ``["key"]`` tables of one-line
    ``locale = "text"`` entries, comments and blank lines. Anything else: None, and
    ``tomllib`` reads the file (tomllib costs ~45 ms at every start for ~1,200 keys; this
    reading ~5 ms; tests/test_i18n_catalog_speed.py checks both agree on every catalog)."""
    out: dict[str, dict[str, str]] = {}
    table: dict[str, str] | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _TABLE.fullmatch(line)
        if match is not None:
            if match[1] in out:
                return None  # tomllib names the duplicate
            table = out[match[1]] = {}
            continue
        match = _ENTRY.fullmatch(line)
        if match is None or table is None or match[1] in table:
            return None
        value = match[2]
        # TOML's basic-string escapes that the pattern lets through are JSON's
        table[match[1]] = json.loads(value) if "\\" in value else value[1:-1]
    return out


@cache
def catalog() -> dict[str, dict[str, str]]:
    """key -> {locale: text}, merged from every catalog file."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_HERE.glob("*.toml")):
        data: dict[str, Any] | None = _parse(path.read_text(encoding="utf-8"))
        if data is None:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        for key, texts in data.items():
            if key in merged:
                raise ValueError(f"{path.name}: key {key!r} is defined twice")
            merged[key] = texts
    return merged


def set_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    _state["locale"] = locale


def get_locale() -> str:
    return _state["locale"]


def t(key: str, /, **values: Any) -> str:
    """Translate ``key`` into the current locale, formatting ``{name}`` fields.

    An unknown key comes back as the key itself, visibly, rather than crashing a screen.
    """
    texts = catalog().get(key)
    if texts is None:
        return key
    text = texts.get(_state["locale"]) or texts.get("en") or key
    return text.format(**values) if values else text


def t_in(locale: str, key: str, /, **values: Any) -> str:
    """Translate into a given locale (e.g. a notification in the resident's language)."""
    texts = catalog().get(key, {})
    text = texts.get(locale) or texts.get("en") or key
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in catalog()
