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

from sqlalchemy import and_, case, func, or_
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


def starts_with(session: Session, column: Any, prefix: str) -> Any:
    """``column`` starts with ``prefix``, in a form the database can answer from an index.

    SQLite's LIKE is case-insensitive and so never uses a (BINARY) index; a range
    ``prefix <= column < prefix+1`` does, and with BINARY collation it means exactly "starts
    with". PostgreSQL's range would follow the database's collation (which may ignore
    hyphens), so it keeps an exact LIKE; it scans 5,000 rows in about a millisecond anyway.
    """
    if session.get_bind().dialect.name == "sqlite":
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return and_(column >= prefix, column < upper)
    return column.like(_like_prefix(prefix), escape="\\")


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


def same_site(session: Session, column: Any, site_id: int) -> Any:
    """``column == site_id``, kept away from SQLite's index choice.

    Without ANALYZE statistics SQLite prefers the site_id index, which holds every resident
    of the site, over the index on the column being searched; ``+ 0`` makes the site test a
    plain filter so the search column's index is used (19 ms -> well under 1 ms at 5,000).
    """
    if session.get_bind().dialect.name == "sqlite":
        return column + 0 == site_id
    return column == site_id


def _residents_query(session: Session, site_id: int) -> Any:
    """Active residents of the site with their unit code: rows of (Resident, code)."""
    return (
        select(Resident, Unit.code)
        .join(Unit, col(Unit.id) == col(Resident.unit_id))
        .where(same_site(session, col(Resident.site_id), site_id), col(Resident.active).is_(True))
    )


def _by_unit(session: Session, site_id: int, prefix: str, limit: int) -> list[LookupHit]:
    """Units whose code starts with ``prefix``: each unit, then the residents living there."""
    units = session.exec(
        select(Unit)
        .where(
            same_site(session, col(Unit.site_id), site_id),
            starts_with(session, col(Unit.code), prefix),
        )
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
    """A Chinese name: names starting with it (张伟, 张), then names containing it (伟).

    The prefix search goes through the indexed pinyin of what was typed (the stored pinyin is
    made by the same function), with the characters themselves checked on the few rows that
    match. The rest (names containing the text, and any prefix a polyphonic character made
    the pinyin miss) is a scan of the resident table alone, joined to the units of the at
    most ``limit`` rows found.
    """
    from shiftdesk.names import search_keys

    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    full, _initials = search_keys(name)
    prefix_query = _residents_query(session, site_id).where(
        col(Resident.name).like(escaped + "%", escape="\\")
    )
    if full:
        prefix_query = prefix_query.where(starts_with(session, col(Resident.pinyin), full))
    rows = list(
        session.exec(prefix_query.order_by(col(Resident.name), col(Unit.code)).limit(limit)).all()
    )
    if len(rows) < limit:
        found = session.exec(
            select(Resident)
            .where(
                same_site(session, col(Resident.site_id), site_id),
                col(Resident.active).is_(True),
                # "%x%", not "_%x%": also catches a prefix the pinyin read differently
                col(Resident.name).like(f"%{escaped}%", escape="\\"),
                col(Resident.id).not_in([r.id for r, _code in rows]),
            )
            .order_by(col(Resident.name))
            .limit(limit - len(rows))
        ).all()
        if found:
            codes = dict(
                session.exec(
                    select(Unit.id, Unit.code).where(col(Unit.id).in_({r.unit_id for r in found}))
                ).all()
            )
            rows += [(r, codes.get(r.unit_id, "")) for r in found]
    return [_resident_hit(r, code, "name") for r, code in rows]


def _by_pinyin(session: Session, site_id: int, q: str, limit: int) -> list[LookupHit]:
    """Exact initials or pinyin first (``zw``: 张伟 before 张文华), then pinyin prefixes, then
    initials prefixes: one query, each branch of the OR answered from its own index."""
    pinyin_prefix = starts_with(session, col(Resident.pinyin), q)
    initials_prefix = starts_with(session, col(Resident.initials), q)
    rank = case(
        (or_(col(Resident.initials) == q, col(Resident.pinyin) == q), 0),
        (pinyin_prefix, 1),
        else_=2,
    )
    rows = session.exec(
        _residents_query(session, site_id)
        .where(or_(pinyin_prefix, initials_prefix))
        .order_by(rank, col(Resident.pinyin), col(Unit.code))
        .limit(limit)
    ).all()
    return [
        _resident_hit(r, code, "pinyin" if r.pinyin.startswith(q) else "initials")
        for r, code in rows
    ]


def _by_phone(session: Session, site_id: int, digits: str, limit: int) -> list[LookupHit]:
    """The main phone by index; a second phone once the number is long enough to be rare."""
    rows = list(
        session.exec(
            _residents_query(session, site_id)
            .where(starts_with(session, col(Resident.phone), digits))
            .order_by(col(Resident.phone), col(Unit.code))
            .limit(limit)
        ).all()
    )
    if len(rows) < limit and len(digits) >= 5:
        rows += session.exec(
            _residents_query(session, site_id)
            .where(starts_with(session, col(Resident.phone2), digits))
            .order_by(col(Resident.phone2), col(Unit.code))
            .limit(limit - len(rows))
        ).all()
    return [_resident_hit(r, code, "phone") for r, code in rows]


def resident_by_phone(session: Session, site_id: int, phone: str) -> LookupHit | None:
    """The one active resident whose stored phone is exactly ``phone`` (caller ID), if unique."""
    if not phone:
        return None
    rows = session.exec(
        _residents_query(session, site_id)
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
