"""The roster's columns, found by header in either language, and unit codes as sites write
them (``3-2-1502``, ``3栋2单元1502``, ``A座1502``, ``B1-1502``, or building, entrance and
room in separate columns)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: the roster's columns, in template order, with the header each language writes
FIELDS: tuple[str, ...] = (
    "building",
    "entrance",
    "unit",
    "area",
    "name",
    "role",
    "phone",
    "id_last4",
    "move_in",
    "note",
)
ZH_HEADERS: dict[str, str] = {
    "building": "楼栋",
    "entrance": "单元",
    "unit": "房号",
    "area": "面积",
    "name": "姓名",
    "role": "身份",
    "phone": "电话",
    "id_last4": "证件后四位",
    "move_in": "入住日期",
    "note": "备注",
}
REQUIRED = ("unit", "name")
#: columns that may appear more than once (电话1, 电话2 ...)
REPEATABLE = ("phone",)

#: other headers real rosters use, normalised (see ``header_key``)
_ALIASES: dict[str, tuple[str, ...]] = {
    "building": ("楼号", "楼栋号", "栋", "栋号", "幢", "楼", "bldg", "block", "tower"),
    "entrance": ("单元号", "门洞", "unitentrance"),
    "unit": ("房间号", "房号", "门牌号", "房屋编号", "室号", "room", "roomno", "flat", "unitcode"),
    "area": ("建筑面积", "面积㎡", "面积m2", "面积(㎡)", "面积(m2)", "sqm"),
    "name": ("业主姓名", "住户姓名", "客户姓名", "户主", "resident", "fullname"),
    "role": ("类型", "住户类型", "关系", "kind", "type"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话号码", "mobile", "tel", "telephone"),
    "id_last4": ("身份证后四位", "证件号后四位", "idlast4", "id"),
    "move_in": ("入住时间", "入住", "movein", "moveindate"),
    "note": ("说明", "notes", "remark", "remarks"),
}


def header_key(text: str) -> str:
    """A header as compared: width-folded, lowercase, without spaces, dots or underscores."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s._\-:：]+", "", folded)


def _known() -> dict[str, str]:
    known: dict[str, str] = {}
    for name in FIELDS:
        for alias in (name, ZH_HEADERS[name], *_ALIASES.get(name, ())):
            known[header_key(alias)] = name
    return known


_KNOWN = _known()


def field_for(header: str, extra: dict[str, str]) -> str | None:
    """The column a header stands for: ``--map`` / ``[estate.columns]`` first, then the
    built-in names; a trailing number is allowed on repeatable columns (电话2, phone 2)."""
    key = header_key(header)
    if not key:
        return None
    for given, name in extra.items():
        if header_key(given) == key:
            return name
    if key in _KNOWN:
        return _KNOWN[key]
    stem = re.sub(r"\d+$", "", key)
    if stem != key and _KNOWN.get(stem) in REPEATABLE:
        return _KNOWN[stem]
    return None


# -------------------------------------------------------------------------- unit codes

PATTERNS = ("building-entrance-room", "building-room")

_CHINESE_UNIT = re.compile(
    r"^(?P<b>[0-9A-Z]+?)(?:号楼|栋|幢|座|号|楼)"
    r"(?:(?P<e>[0-9A-Z]+)(?:单元|门|梯))?"
    r"(?:(?P<f>[0-9]+)层)?"
    r"(?P<r>[0-9A-Z]+)(?:室|号|房)?$"
)
_SEPARATORS = re.compile(r"[\s./\\_－—–‐]+")
_PART = re.compile(r"^[0-9A-Z]+$")
_BUILDING_SUFFIX = re.compile(r"(?:号楼|栋|幢|座|号|楼)$")
_ENTRANCE_SUFFIX = re.compile(r"(?:单元|门|梯)$")
_ROOM_SUFFIX = re.compile(r"(?:室|号|房)$")


@dataclass(frozen=True)
class UnitCode:
    building: str
    entrance: str
    room: str

    @property
    def code(self) -> str:
        parts = (
            [self.building, self.entrance, self.room]
            if self.entrance
            else [
                self.building,
                self.room,
            ]
        )
        return "-".join(parts)

    @property
    def floor(self) -> int:
        """The floor a room number says (1502 -> 15, 402 -> 4); 0 when it does not say."""
        digits = re.match(r"^\d+", self.room)
        if digits is None or len(digits[0]) < 3:
            return 0
        return int(digits[0][:-2])


class UnitFormError(ValueError):
    """The text is not a unit code, or not in the form the site uses (``key`` says which)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _clean(text: str, suffix: re.Pattern[str]) -> str:
    return suffix.sub("", unicodedata.normalize("NFKC", text).strip().upper())


def parse_unit(text: str, *, building: str = "", entrance: str = "", pattern: str) -> UnitCode:
    """The unit a roster row names, from its unit cell and (optional) building and entrance
    cells, in the site's ``pattern``. Raises ``UnitFormError``."""
    raw = unicodedata.normalize("NFKC", text).strip().upper()
    b = _clean(building, _BUILDING_SUFFIX)
    e = _clean(entrance, _ENTRANCE_SUFFIX)
    if not raw:
        raise UnitFormError("estate.error.unit_empty")
    match = _CHINESE_UNIT.match(raw.replace(" ", ""))
    if match is not None:
        parts = [match["b"], match["e"] or "", match["r"]]
    else:
        pieces = [p for p in _SEPARATORS.sub("-", raw).split("-") if p]
        pieces[-1] = _ROOM_SUFFIX.sub("", pieces[-1])
        if not pieces or not all(_PART.match(p) for p in pieces) or len(pieces) > 3:
            raise UnitFormError("estate.error.unit_form")
        if len(pieces) == 3:
            parts = pieces
        elif len(pieces) == 2:
            # with an entrance column, "1-402" is building-room; in a two-part site too
            parts = [pieces[0], e, pieces[1]]
        else:
            parts = [b, e, pieces[0]]
    if b and parts[0] and b != parts[0]:
        raise UnitFormError("estate.error.unit_building")
    if e and parts[1] and e != parts[1]:
        raise UnitFormError("estate.error.unit_entrance")
    parts[0] = parts[0] or b
    parts[1] = parts[1] or e
    if not parts[0] or not parts[2]:
        raise UnitFormError("estate.error.unit_form")
    if pattern == "building-entrance-room" and not parts[1]:
        raise UnitFormError("estate.error.unit_pattern")
    if pattern == "building-room" and parts[1]:
        raise UnitFormError("estate.error.unit_pattern")
    return UnitCode(parts[0], parts[1], parts[2])


def canonical_code(text: str, pattern: str) -> str | None:
    """The stored code of a unit as an operator may spell it (``3栋2单元1502`` ->
    ``3-2-1502``), or None when it is not a unit in the site's form: for lookups that
    should accept the spellings the import accepts."""
    try:
        return parse_unit(text, pattern=pattern).code
    except UnitFormError:
        return None
