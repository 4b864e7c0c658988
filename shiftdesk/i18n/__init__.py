"""One translation function for every operator-facing string.

Catalogs are TOML files in this folder, one per area (core.toml, calls.toml, ...), so
each area owns its strings. Each key is a table holding every locale::

    ["calls.saved"]
    en = "Call {id} saved"
    zh_CN = "来电 {id} 已保存"

A test fails when any key lacks a locale, so the catalogs stay complete.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = ("en", "zh_CN")
_HERE = Path(__file__).parent
_state = {"locale": "en"}


@cache
def catalog() -> dict[str, dict[str, str]]:
    """key -> {locale: text}, merged from every catalog file."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_HERE.glob("*.toml")):
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
