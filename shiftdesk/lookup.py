"""Resident and unit lookup as the operator types (来电来访 form, parcel recipients).

One query string is read every way it can mean something, and the answers are merged:

- a unit number prefix: ``3-2-15`` finds 3-2-1501, 3-2-1502 ... (spaces, dots, slashes and
  full-width dashes count as ``-``);
- a Chinese name: ``张伟``, or its beginning ``张``;
- full pinyin or initials, without tones or spaces: ``zhangw`` and ``zw`` find 张伟;
- phone digits with any separators, with or without +86 / 0086: ``138 0013-8000``,
  ``+86 138``; a prefix of the national number is enough.

Every query is a prefix ``LIKE`` on an indexed column with a ``LIMIT``, so a keystroke costs
a few milliseconds on a site of 5,000 residents (see docs/performance.md). Nothing here
imports Textual: the screens' lookup widget (``screens/widgets/lookup.py``) calls ``lookup``
from a worker thread.

Phones are stored as national digits (``13800138000``); ``normalise_phone`` turns what an
operator or a caller-ID hook gives into that form, with the ``phonenumbers`` library.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from shiftdesk.errors import ValidationError
from shiftdesk.i18n import t
from shiftdesk.models import Resident, Unit

#: the region a number without a country code belongs to
DEFAULT_REGION = "CN"
DEFAULT_LIMIT = 10

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_UNIT_SEPARATORS = re.compile(r"[\s./\\_－—–‐]+")
_UNIT_QUERY = re.compile(r"^[0-9A-Za-z]+(?:-[0-9A-Za-z]*)*$")
_PHONE_QUERY = re.compile(r"^[+0-9()\s\-.－]+$")
_LETTERS = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class LookupHit:
    """One line of lookup results: a resident (with their unit) or a unit on its own.

    ``resident_id`` is None for a unit without a chosen resident (a caller from that unit
    who is not on file, or a vacant unit). ``match`` says how the query matched: unit,
    name, pinyin, initials or phone.
    """

    unit_id: int | None
    unit_code: str
    resident_id: int | None = None
    name: str = ""
    phone: str = ""
    kind: str = ""
    match: str = ""

    @property
    def is_unit_only(self) -> bool:
        return self.resident_id is None

    def label(self) -> str:
        """``3-2-1502  张伟  138 0013 8000`` (unit only: the unit code)."""
        parts = [self.unit_code]
        if self.name:
            parts.append(self.name)
        if self.phone:
            parts.append(format_phone(self.phone))
        return "  ".join(parts)


# ------------------------------------------------------------------------------ phones


def phone_digits(text: str) -> str:
    """The national-number digits typed so far, for a prefix search (may be partial).

    Separators go; a leading ``+86`` / ``0086`` country code goes, and so does the trunk
    ``0`` of a landline (phonenumbers stores ``021-1234 5678`` as ``2112345678``).
    """
    raw = unicodedata.normalize("NFKC", text).strip().lstrip("( ")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        digits = digits[2:] if digits.startswith("86") else ""
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits.lstrip("0")


def normalise_phone(text: str, *, region: str = DEFAULT_REGION) -> str:
    """A whole phone number as stored: national digits for China, ``+<cc><number>`` abroad.

    Raises ``ValidationError(field="phone")`` when the text is not a plausible number.
    An empty text gives ``""`` (the phone is optional on most records).
    """
    import phonenumbers

    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        return ""
    if re.search(r"[A-Za-z]", raw):
        raise ValidationError(t("lookup.phone_invalid", phone=text), field="phone")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(t("lookup.phone_invalid", phone=text), field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(t("lookup.phone_invalid", phone=text), field="phone")
    if number.country_code == phonenumbers.country_code_for_region(region):
        return str(number.national_number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(digits: str) -> str:
    """Show a stored phone readably: ``138 0013 8000``; other forms unchanged."""
    if len(digits) == 11 and digits.isdigit() and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return digits


# ------------------------------------------------------------------------------ query kinds


def unit_prefix(text: str) -> str | None:
    """The unit-code prefix a query stands for (``3 2 15`` -> ``3-2-15``), or None."""
    q = unicodedata.normalize("NFKC", text).strip()
    q = _UNIT_SEPARATORS.sub("-", q).strip("-") if q else q
    if not q or not _UNIT_QUERY.match(q):
        return None
    if not any(ch.isdigit() for ch in q):
        return None  # plain letters are a pinyin query
    return q


def pinyin_query(text: str) -> str | None:
    """Lowercase letters with spaces and apostrophes removed (``Zhang Wei`` -> ``zhangwei``)."""
    q = re.sub(r"[\s'’]+", "", unicodedata.normalize("NFKC", text)).lower()
    if q and _LETTERS.match(q):
        return q
    return None


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


# ------------------------------------------------------------------------------ the lookup


def lookup(
    session: Session, site_id: int, text: str, *, limit: int = DEFAULT_LIMIT
) -> list[LookupHit]:
    """Residents and units matching ``text``, best first, at most ``limit`` lines.

    Empty or one-character queries (other than one Chinese character) give nothing: they
    would match half the estate. Only active residents are offered.
    """
    query = text.strip()
    if not query or limit <= 0:
        return []
    hits: list[LookupHit] = []
    seen: set[tuple[int | None, int | None]] = set()

    def add(found: list[LookupHit]) -> None:
        for hit in found:
            key = (hit.unit_id, hit.resident_id)
            if key not in seen and len(hits) < limit:
                seen.add(key)
                hits.append(hit)

    if _CJK.search(query):
        add(_by_name(session, site_id, query, limit))
        return hits
    if len(query) < 2:
        return []
    unit = unit_prefix(query)
    if unit is not None and "-" in unit:
        add(_by_unit(session, site_id, unit, limit))
    if _PHONE_QUERY.match(query):
        digits = phone_digits(query)
        if len(digits) >= 3:
            add(_by_phone(session, site_id, digits, limit))
    if unit is not None and "-" not in unit:
        # a bare number: a building or a room code after the phones (1502, 12)
        add(_by_unit(session, site_id, unit, limit))
    pinyin = pinyin_query(query)
    if pinyin is not None:
        add(_by_pinyin(session, site_id, pinyin, limit))
    return hits


def _resident_hit(resident: Resident, unit_code: str, match: str) -> LookupHit:
    return LookupHit(
        unit_id=resident.unit_id,
        unit_code=unit_code,
        resident_id=resident.id,
        name=resident.name,
        phone=resident.phone,
        kind=resident.kind,
        match=match,
    )


def _residents_query(site_id: int) -> Any:
    """Active residents of the site with their unit code: rows of (Resident, code)."""
    return (
        select(Resident, Unit.code)
        .join(Unit, col(Unit.id) == col(Resident.unit_id))
        .where(Resident.site_id == site_id, col(Resident.active).is_(True))
    )


def _by_unit(session: Session, site_id: int, prefix: str, limit: int) -> list[LookupHit]:
    """Units whose code starts with ``prefix``: each unit, then the residents living there."""
    units = session.exec(
        select(Unit)
        .where(Unit.site_id == site_id, col(Unit.code).like(_like_prefix(prefix), escape="\\"))
        .order_by(func.length(Unit.code), col(Unit.code))
        .limit(limit)
    ).all()
    if not units:
        return []
    ids = [u.id for u in units]
    residents = session.exec(
        select(Resident)
        .where(col(Resident.unit_id).in_(ids), col(Resident.active).is_(True))
        .order_by(col(Resident.id))
    ).all()
    by_unit: dict[int | None, list[Resident]] = {}
    for r in residents:
        by_unit.setdefault(r.unit_id, []).append(r)
    exact = [u for u in units if u.code == prefix]
    out: list[LookupHit] = []
    for unit in exact + [u for u in units if u not in exact]:
        out.append(LookupHit(unit_id=unit.id, unit_code=unit.code, match="unit"))
        out.extend(_resident_hit(r, unit.code, "unit") for r in by_unit.get(unit.id, []))
    return out


def _by_name(session: Session, site_id: int, name: str, limit: int) -> list[LookupHit]:
    """A Chinese name: prefix first (张伟, 张), then names containing it (伟)."""
    rows = list(
        session.exec(
            _residents_query(site_id)
            .where(col(Resident.name).like(_like_prefix(name), escape="\\"))
            .order_by(col(Resident.name), col(Unit.code))
            .limit(limit)
        ).all()
    )
    if len(rows) < limit:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        more = session.exec(
            _residents_query(site_id)
            .where(
                col(Resident.name).like(f"_%{escaped}%", escape="\\"),
            )
            .order_by(col(Resident.name), col(Unit.code))
            .limit(limit)
        ).all()
        rows += list(more)
    return [_resident_hit(r, code, "name") for r, code in rows]


def _by_pinyin(session: Session, site_id: int, q: str, limit: int) -> list[LookupHit]:
    """Initials that match exactly come first (``zw``: 张伟 before 张文华), then prefixes."""
    like = _like_prefix(q)
    rows = session.exec(
        _residents_query(site_id)
        .where(
            or_(
                col(Resident.initials).like(like, escape="\\"),
                col(Resident.pinyin).like(like, escape="\\"),
            )
        )
        .order_by(col(Resident.pinyin), col(Unit.code))
        .limit(limit * 3)
    ).all()

    def rank(row: tuple[Resident, str]) -> tuple[int, str, str]:
        r = row[0]
        if r.initials == q or r.pinyin == q:
            return (0, r.pinyin, row[1])
        if r.pinyin.startswith(q):
            return (1, r.pinyin, row[1])
        return (2, r.pinyin, row[1])

    ordered = sorted(rows, key=rank)[:limit]
    return [
        _resident_hit(r, code, "pinyin" if r.pinyin.startswith(q) else "initials")
        for r, code in ordered
    ]


def _by_phone(session: Session, site_id: int, digits: str, limit: int) -> list[LookupHit]:
    like = _like_prefix(digits)
    rows = session.exec(
        _residents_query(site_id)
        .where(
            or_(
                col(Resident.phone).like(like, escape="\\"),
                col(Resident.phone2).like(like, escape="\\"),
            )
        )
        .order_by(col(Resident.phone), col(Unit.code))
        .limit(limit)
    ).all()
    return [_resident_hit(r, code, "phone") for r, code in rows]


def resident_by_phone(session: Session, site_id: int, phone: str) -> LookupHit | None:
    """The one active resident whose stored phone is exactly ``phone`` (caller ID), if unique."""
    if not phone:
        return None
    rows = session.exec(
        _residents_query(site_id)
        .where(or_(col(Resident.phone) == phone, col(Resident.phone2) == phone))
        .limit(2)
    ).all()
    if len(rows) != 1:
        return None
    resident, code = rows[0]
    return _resident_hit(resident, code, "phone")


def find_unit(session: Session, site_id: int, code: str) -> Unit | None:
    """The unit with exactly this code (separators normalised), or None."""
    prefix = unit_prefix(code)
    if prefix is None:
        return None
    return session.exec(
        select(Unit).where(Unit.site_id == site_id, col(Unit.code) == prefix)
    ).first()
