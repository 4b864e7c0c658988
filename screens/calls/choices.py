"""The call form's choices: channels, categories, priorities, levels, the fields the
service names and where their errors show."""

from __future__ import annotations

import re

from shiftdesk.i18n import has, t

#: (value, key) of the single-key choosers; labels come from the catalog
CHANNEL_KEYS = [
    ("phone", "p"),
    ("walk_in", "w"),
    ("letter", "l"),
    ("online", "o"),
    ("intercom", "i"),
    ("internal", "d"),
]
CATEGORY_KEYS = [
    ("inquiry", "i"),
    ("repair", "r"),
    ("complaint", "c"),
    ("suggestion", "s"),
    ("praise", "p"),
    ("help", "h"),
    ("other", "o"),
]
PRIORITY_KEYS = [("normal", "n"), ("urgent", "u"), ("emergency", "e")]
LEVEL_KEYS = {"general": "g", "important": "i", "major": "m", "hot": "h"}
TIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_PREFIX = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(.*)$")

#: form field (as the service names it) -> (widget id to focus, row whose error line shows it)
FIELDS: dict[str, tuple[str, str]] = {
    "channel": ("channel", "channel"),
    "category": ("category", "category"),
    "summary": ("summary", "summary"),
    "unit": ("caller", "caller"),
    "caller_name": ("name", "contact"),
    "caller_phone": ("phone", "contact"),
    "location": ("location", "where"),
    "trade": ("trade", "trade"),
    "priority": ("priority", "priority"),
    "level": ("level", "level"),
    "cause_class": ("cause_class", "level"),
    "complainants": ("complainants", "people"),
    "department": ("department", "people"),
    "action_taken": ("action", "action"),
    "received_at": ("received", "received"),
}


def trade_label(trade: str) -> str:
    key = f"calls.trade.{trade}"
    return t(key) if has(key) else trade


def options(pairs: list[tuple[str, str]], prefix: str) -> list[tuple[str, str, str]]:
    return [(value, key, t(f"{prefix}.{value}")) for value, key in pairs]
