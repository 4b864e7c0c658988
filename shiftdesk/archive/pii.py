"""Residents' personal data in archives: masked unless a manager exports it on purpose.

A-4: customer data never leaves the company without the CS manager's signature; A-5:
nothing is disclosed without the customer's consent. An archive is a file that travels
(offsite copies, e-mail to quality), so by default it carries names as ``张*``, phones as
``138****8000`` and ID digits as ``****``, and no operator's PIN hash (a 4-digit PIN is
guessed from its hash in minutes). ``--include-pii`` (manager or admin, recorded in the
audit trail) writes them as they are: that is the archive to restore from.

Which columns are personal data: the foundation's columns are listed below; a column
another area adds is recognised by its name (``*phone*``, ``caller_name``, ``id_last4``...)
or declared explicitly with ``sa_column_kwargs={"info": {"pii": "name"}}`` ("name",
"phone" or "secret"). Free text (summaries, notes, audit snapshots) cannot be searched for
names, but mobile numbers and ID-card numbers written in it are masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, String, Table

from shiftdesk.archive.codec import base_type

NAME = "name"
PHONE = "phone"
SECRET = "secret"
#: a sign-in secret (PIN hash): left out entirely; a 4-digit PIN's hash is quickly guessed
CREDENTIAL = "credential"

#: table -> column -> kind, for the columns of the foundation's models
KNOWN: dict[str, dict[str, str]] = {
    "operator": {"pin_hash": CREDENTIAL},
    "resident": {
        "name": NAME,
        # pinyin spells the name out: masked like it
        "pinyin": NAME,
        "initials": NAME,
        "phone": PHONE,
        "phone2": PHONE,
    },
    "call": {"caller_name": NAME, "caller_phone": PHONE},
    "work_order": {"reporter_name": NAME, "reporter_phone": PHONE},
    "parcel": {
        "recipient_name": NAME,
        "proxy_name": NAME,
        "proxy_phone": PHONE,
        "id_last4": SECRET,
    },
}

#: "<who>_name" columns that name a resident or a member of the public, not staff
_PERSON_PREFIXES = (
    "caller",
    "reporter",
    "recipient",
    "proxy",
    "complainant",
    "contact",
    "visitor",
    "owner",
    "resident",
    "tenant",
    "pickup",
    "borrower",
    "claimant",
    "sender",
    "customer",
)
#: tables of staff and places: their names are not residents' personal data
_NOT_PERSONAL = {"site", "building", "unit", "operator", "archive_run"}
#: free text this long or longer (or unbounded) is scanned for numbers
FREE_TEXT_MIN_LENGTH = 200

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)([- ]?)\d{4}([- ]?)(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<!\d)\d{14}(\d{3}[\dXx])(?![\dXx])")


def pii_kind(table: Table, column: Column[Any]) -> str | None:
    """name, phone, secret, or None when the column is not personal data."""
    declared = column.info.get("pii")
    if declared in (NAME, PHONE, SECRET, CREDENTIAL):
        return str(declared)
    known = KNOWN.get(table.name, {}).get(column.name)
    if known is not None:
        return known
    if table.name in _NOT_PERSONAL or not isinstance(base_type(column.type), String):
        return None
    name = column.name
    if "phone" in name or "mobile" in name:
        return PHONE
    if name.startswith("id_") and name not in ("id_type",):
        return SECRET
    if name.endswith("_name") and name.split("_", 1)[0] in _PERSON_PREFIXES:
        return NAME
    return None


def is_free_text(column: Column[Any]) -> bool:
    col_type = base_type(column.type)
    if not isinstance(col_type, String):
        return False
    length = col_type.length
    return length is None or length >= FREE_TEXT_MIN_LENGTH


# ----------------------------------------------------------------------------- masks


def mask_name(value: str) -> str:
    """张伟 -> 张*: the first character stays, so a desk can still tell records apart."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str) -> str:
    """13800138000 -> 138****8000; short numbers keep only their last four digits."""
    if not value:
        return value
    size = len(value)
    if size >= 11:
        return value[:3] + "*" * (size - 7) + value[-4:]
    if size >= 7:
        return "*" * (size - 4) + value[-4:]
    return "*" * size


def mask_secret(value: str) -> str:
    return "*" * len(value) if value else value


def _mobile_repl(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}****{match.group(3)}{match.group(4)}"


_MAYBE_NUMBER = re.compile(r"\d{3}[- ]?\d{4}[- ]?\d{4}")


def may_hold_numbers(text: str) -> bool:
    """Whether ``scrub_text`` could change anything in ``text`` (one quick search)."""
    return _MAYBE_NUMBER.search(text) is not None


def scrub_text(value: str) -> str:
    """Mask mobile numbers and 18-digit ID-card numbers written inside free text."""
    if not value or len(value) < 11:
        return value
    value = _ID_CARD.sub(lambda m: "*" * 14 + m.group(1), value)
    return _MOBILE.sub(_mobile_repl, value)


def drop_credential(value: str) -> str:
    return ""


MASKS: dict[str, Callable[[str], str]] = {
    NAME: mask_name,
    PHONE: mask_phone,
    SECRET: mask_secret,
    CREDENTIAL: drop_credential,
}


class _Memo(dict[Any, Any]):
    """value -> masked value; a hit is a C-level dict lookup, a miss computes once."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        super().__init__()
        self.mask = mask

    def __missing__(self, value: Any) -> Any:
        masked = self.mask(value) if isinstance(value, str) and value else value
        if len(self) >= 200_000:  # callers' phones may be many: memory stays bounded
            self.clear()
        self[value] = masked
        return masked


def memoised(mask: Callable[[str], str]) -> Callable[[Any], Any]:
    """A column's mask with a cache: names and phones repeat across a million rows."""
    return _Memo(mask).__getitem__


def free_text_mask(value: Any) -> Any:
    return scrub_text(value) if isinstance(value, str) else value


def mask_snapshot(text: Any, table: Table | None) -> Any:
    """An audit snapshot (JSON of a row): mask the row's personal columns, then scrub.

    Re-serialised only when something was masked, the way ``shiftdesk.audit`` writes it,
    so masking an already masked archive changes nothing (restore round trips stay exact).
    """
    if not isinstance(text, str) or not text:
        return text
    if table is not None and text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            changed = False
            for key, value in data.items():
                if key not in table.c or not isinstance(value, str):
                    continue
                kind = pii_kind(table, table.c[key])
                if kind is not None:
                    masked = MASKS[kind](value)
                    if masked != value:
                        data[key] = masked
                        changed = True
            if changed:
                text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return scrub_text(text)


def masked_columns(table: Table) -> dict[str, str]:
    """column -> kind for the manifest ("free_text" for scanned columns)."""
    out: dict[str, str] = {}
    for column in table.columns:
        kind = pii_kind(table, column)
        if kind is not None:
            out[column.name] = kind
        elif is_free_text(column):
            out[column.name] = "free_text"
    return out
