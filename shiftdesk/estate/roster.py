"""Checking a roster, planning what it changes, and applying the plan in one transaction.

All or nothing: every row is checked first and any error (row and column named) leaves the
database untouched. Importing the same file twice changes nothing; next month's roster
updates phones and occupants, adds newcomers and marks people who are gone as moved out
(never deleted: their calls, parcels and complaints keep pointing at them). Each change is
on the audit trail (the storage layer writes it); move-ins and move-outs also go in the
duty log as H-8 occupancy events.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor
from shiftdesk.errors import ConfigError, UsageError, ValidationError
from shiftdesk.estate.columns import (
    FIELDS,
    PATTERNS,
    REPEATABLE,
    REQUIRED,
    ZH_HEADERS,
    UnitFormError,
    field_for,
    parse_unit,
)
from shiftdesk.estate.reader import RosterFileError, Table
from shiftdesk.i18n import t
from shiftdesk.lookup import normalise_phone
from shiftdesk.models import (
    AuditEvent,
    Building,
    Parcel,
    ParcelStatus,
    Resident,
    ResidentKind,
    Unit,
)
from shiftdesk.names import search_keys
from shiftdesk.textclean import strip_controls
from shiftdesk.timeutil import utcnow

#: 身份 / role cell -> the stored kind (家属 and other household members are occupants)
ROLES: dict[str, str] = {
    "业主": ResidentKind.OWNER.value,
    "产权人": ResidentKind.OWNER.value,
    "owner": ResidentKind.OWNER.value,
    "租户": ResidentKind.TENANT.value,
    "承租人": ResidentKind.TENANT.value,
    "tenant": ResidentKind.TENANT.value,
    "家属": ResidentKind.OCCUPANT.value,
    "family": ResidentKind.OCCUPANT.value,
    "住户": ResidentKind.OCCUPANT.value,
    "occupant": ResidentKind.OCCUPANT.value,
    "其他": ResidentKind.OCCUPANT.value,
    "other": ResidentKind.OCCUPANT.value,
}
_PHONE_SPLIT = re.compile(r"[/、;；,，\n]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_AREA_UNIT = re.compile(r"\s*(㎡|m2|m²|平方米|平米|平)$", re.IGNORECASE)
_ID4 = re.compile(r"^[0-9X]{4}$")
NAME_MAX = 40
NOTE_MAX = 500


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return t("estate.error.at", row=self.row, column=self.column, message=self.message)


class RosterInvalid(UsageError):
    """The roster has errors; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class RosterRow:
    row: int
    building: str
    entrance: str
    room: str
    code: str
    floor: int
    area: str
    name: str
    kind: str
    phones: list[str]
    id_last4: str
    move_in: date | None
    note: str


@dataclass
class Change:
    """One resident the import adds, changes, moves out or moves back in."""

    action: str  # add, change, move_out, return
    unit: str
    name: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    resident_id: int | None = None
    #: P-21: parcels still waiting at the desk for someone who moved out
    parcels_waiting: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "unit": self.unit,
            "name": self.name,
            "fields": {k: [str(a or ""), str(b or "")] for k, (a, b) in self.fields.items()},
            "parcels_waiting": self.parcels_waiting,
        }


@dataclass
class Plan:
    rows: int = 0
    new_buildings: list[str] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    #: the site had no residents before: a first load, not a wave of move-ins
    first_load: bool = False
    read_as: str = ""
    #: unit code -> (area on file, area in the roster) for units whose area changes
    areas: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the checked rows the plan was made from (``apply_plan`` writes them)
    roster: list[RosterRow] = field(default_factory=list, repr=False)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def changes_nothing(self) -> bool:
        return not (self.new_buildings or self.new_units or self.changes or self.areas)

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "buildings_added": len(self.new_buildings),
            "units_added": len(self.new_units),
            "added": self.count("add"),
            "changed": self.count("change"),
            "moved_out": self.count("move_out"),
            "returned": self.count("return"),
            "unchanged": self.unchanged,
            "areas_changed": len(self.areas),
        }


# ------------------------------------------------------------------------------ checking


def _cell(value: Any) -> str:
    """A cell as text; Excel's numbers without their ``.0`` (a phone typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(unicodedata.normalize("NFKC", _cell(value)))
    if match is None:
        raise ValueError
    return date(int(match[1]), int(match[2]), int(match[3]))


def _area(value: Any) -> str:
    text = _AREA_UNIT.sub("", unicodedata.normalize("NFKC", _cell(value)))
    if not text:
        return ""
    number = Decimal(text)  # InvalidOperation for anything else
    if number <= 0 or number >= 100_000:
        raise InvalidOperation
    return format(number.normalize(), "f")


def _id_last4(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(int(value)).zfill(4)  # Excel drops the leading zero of 0123
    else:
        text = unicodedata.normalize("NFKC", _cell(value)).upper()
    if text and not _ID4.match(text):
        raise ValueError
    return text


class _Columns:
    """Which column holds what, by the file's headers."""

    def __init__(self, table: Table, extra: dict[str, str]) -> None:
        self.headers = table.headers
        self.index: dict[str, list[int]] = {}
        self.ignored: list[str] = []
        self.errors: list[RowError] = []
        for i, header in enumerate(table.headers):
            name = field_for(header, extra) if header else None
            if name is None:
                if header:
                    self.ignored.append(header)
                continue
            if name in self.index and name not in REPEATABLE:
                self.errors.append(
                    RowError(table.header_row, header, t("estate.error.column_twice"))
                )
            self.index.setdefault(name, []).append(i)
        for name in REQUIRED:
            if name not in self.index:
                self.errors.append(
                    RowError(
                        table.header_row,
                        f"{ZH_HEADERS[name]}/{name}",
                        t("estate.error.column_missing", field=name),
                    )
                )

    def get(self, values: list[Any], name: str) -> Any:
        idx = self.index.get(name)
        if not idx or idx[0] >= len(values):
            return None
        return values[idx[0]]

    def all(self, values: list[Any], name: str) -> list[tuple[str, Any]]:
        return [(self.headers[i], values[i]) for i in self.index.get(name, ()) if i < len(values)]

    def header(self, name: str) -> str:
        idx = self.index.get(name)
        return self.headers[idx[0]] if idx else name


#: ``progress(done, total)``: called as rows are checked (the CLI's bar on long files)
Progress = Callable[[int, int], None]


def check_rows(
    table: Table, settings: Settings, progress: Progress | None = None
) -> tuple[list[RosterRow], _Columns]:
    """Every row checked; raises ``RosterInvalid`` listing every error, row and column."""
    pattern = settings.estate.unit_pattern
    if pattern not in PATTERNS:
        raise ValidationError(
            t("estate.error.bad_pattern", value=pattern, allowed=", ".join(PATTERNS))
        )
    for header, name in settings.estate.columns.items():
        if name not in FIELDS:
            raise ConfigError(
                t("estate.error.bad_column", header=header, value=name, allowed=", ".join(FIELDS))
            )
    cols = _Columns(table, settings.estate.columns)
    if not cols.index:  # a text file, or a sheet that is not the roster: one line
        raise RosterFileError(t("estate.error.no_columns"))
    if cols.errors:
        raise RosterInvalid(cols.errors)
    errors: list[RowError] = []
    for row, c in table.merged:  # a merged 楼栋 cell means rows that do not say their unit
        header = table.headers[c] if c < len(table.headers) else str(c + 1)
        errors.append(RowError(row, header, t("estate.error.merged")))
    if errors:  # the rows below a merged cell would only repeat it as empty values
        raise RosterInvalid(errors)
    rows: list[RosterRow] = []
    seen: dict[tuple[str, str], int] = {}
    total = len(table.rows)
    for i, (n, values) in enumerate(table.rows):
        if progress is not None and i % 500 == 0:
            progress(i, total)
        row_errors: list[RowError] = []

        def bad(
            column: str, key: str, _n: int = n, _e: list[RowError] = row_errors, **kw: Any
        ) -> None:
            _e.append(RowError(_n, cols.header(column), t(key, **kw)))

        unit_text = _cell(cols.get(values, "unit"))
        unit = None
        try:
            unit = parse_unit(
                unit_text,
                building=_cell(cols.get(values, "building")),
                entrance=_cell(cols.get(values, "entrance")),
                pattern=pattern,
            )
        except UnitFormError as err:
            bad("unit", err.key, value=unit_text, pattern=pattern)
        name = strip_controls(_cell(cols.get(values, "name")))
        if not name:
            bad("name", "estate.error.name_empty")
        elif len(name) > NAME_MAX:
            bad("name", "estate.error.too_long", max=NAME_MAX)
        role_text = unicodedata.normalize("NFKC", _cell(cols.get(values, "role"))).lower()
        kind = ROLES.get(role_text, "") if role_text else ResidentKind.OWNER.value
        if not kind:
            bad(
                "role",
                "estate.error.role",
                value=role_text,
                allowed="业主/owner, 租户/tenant, 家属/family, other",
            )
        phones: list[str] = []
        for header, value in cols.all(values, "phone"):
            for part in _PHONE_SPLIT.split(_cell(value)):
                if not part.strip():
                    continue
                try:
                    phones.append(normalise_phone(part))
                except ValidationError:
                    row_errors.append(
                        RowError(n, header, t("estate.error.phone", value=part.strip()))
                    )
        phones = list(dict.fromkeys(phones))
        if len(phones) > 2:
            bad("phone", "estate.error.phones_max")
        area = ""
        try:
            area = _area(cols.get(values, "area"))
        except (InvalidOperation, ValueError):
            bad("area", "estate.error.area", value=_cell(cols.get(values, "area")))
        id4 = ""
        try:
            id4 = _id_last4(cols.get(values, "id_last4"))
        except ValueError:
            bad("id_last4", "estate.error.id_last4", value=_cell(cols.get(values, "id_last4")))
        move_in = None
        if _cell(cols.get(values, "move_in")):
            try:
                move_in = _date(cols.get(values, "move_in"))
            except ValueError:
                bad("move_in", "estate.error.date", value=_cell(cols.get(values, "move_in")))
        note = strip_controls(_cell(cols.get(values, "note")))
        if len(note) > NOTE_MAX:
            bad("note", "estate.error.too_long", max=NOTE_MAX)
        if unit is not None and name:
            first = seen.setdefault((unit.code, name), n)
            if first != n:
                bad("unit", "estate.error.duplicate", unit=unit.code, name=name, first=first)
        if row_errors or unit is None:
            errors.extend(row_errors)
            continue
        rows.append(
            RosterRow(
                row=n,
                building=unit.building,
                entrance=unit.entrance,
                room=unit.room,
                code=unit.code,
                floor=unit.floor,
                area=area,
                name=name,
                kind=kind,
                phones=phones,
                id_last4=id4,
                move_in=move_in,
                note=note,
            )
        )
    if progress is not None:
        progress(total, total)
    if errors:
        raise RosterInvalid(sorted(errors, key=lambda e: e.row))
    return rows, cols


# ------------------------------------------------------------------------------ planning


def _wanted(row: RosterRow) -> dict[str, Any]:
    return {
        "phone": row.phones[0] if row.phones else "",
        "phone2": row.phones[1] if len(row.phones) > 1 else "",
        "kind": row.kind,
        "id_last4": row.id_last4,
        "note": row.note,
    }


def plan_import(
    session: Session,
    site_id: int,
    table: Table,
    settings: Settings,
    progress: Progress | None = None,
) -> Plan:
    """What importing ``table`` would do, checked in full; nothing is written."""
    rows, cols = check_rows(table, settings, progress)
    plan = Plan(rows=len(rows), ignored_columns=cols.ignored, read_as=table.read_as)
    buildings = set(session.exec(select(Building.code).where(Building.site_id == site_id)).all())
    units = {u.code: u for u in session.exec(select(Unit).where(Unit.site_id == site_id)).all()}
    residents = session.exec(
        select(Resident, Unit.code)
        .join(Unit, col(Unit.id) == col(Resident.unit_id))
        .where(Resident.site_id == site_id)
        .order_by(col(Resident.active).desc(), col(Resident.id))
    ).all()
    plan.first_load = not residents
    by_key: dict[tuple[str, str], Resident] = {}
    for resident, code in residents:
        by_key.setdefault((code, resident.name), resident)
    new_units: dict[str, RosterRow] = {}
    listed: set[int] = set()
    for row in rows:
        if row.building not in buildings and row.building not in plan.new_buildings:
            plan.new_buildings.append(row.building)
        if row.code not in units and row.code not in new_units:
            new_units[row.code] = row
        elif row.code in units and row.area and units[row.code].area != row.area:
            plan.areas[row.code] = (units[row.code].area, row.area)
        existing = by_key.get((row.code, row.name))
        wanted = _wanted(row)
        if existing is None:
            plan.changes.append(Change("add", row.code, row.name))
            continue
        assert existing.id is not None
        listed.add(existing.id)
        diff = {
            k: (getattr(existing, k), v) for k, v in wanted.items() if getattr(existing, k) != v
        }
        if row.move_in is not None and existing.moved_in_on != row.move_in:
            diff["moved_in_on"] = (existing.moved_in_on, row.move_in)
        if not existing.active:
            plan.changes.append(Change("return", row.code, row.name, diff, existing.id))
        elif diff:
            plan.changes.append(Change("change", row.code, row.name, diff, existing.id))
        else:
            plan.unchanged += 1
    plan.new_units = list(new_units)
    # gone: on file, active, in a building this roster covers, and not in it
    covered = {row.building for row in rows}
    building_of = {
        b.id: b.code for b in session.exec(select(Building).where(Building.site_id == site_id))
    }
    unit_building = {u.id: building_of.get(u.building_id) for u in units.values()}
    gone = [
        (resident, code)
        for resident, code in residents
        if resident.active
        and resident.id not in listed
        and unit_building.get(resident.unit_id) in covered
    ]
    waiting = _waiting_parcels(session, [r.id for r, _ in gone if r.id is not None])
    for resident, code in gone:
        plan.changes.append(
            Change(
                "move_out",
                code,
                resident.name,
                resident_id=resident.id,
                parcels_waiting=waiting.get(resident.id or 0, 0),
            )
        )
    plan.roster = rows
    return plan


def _waiting_parcels(session: Session, resident_ids: list[int]) -> dict[int, int]:
    if not resident_ids:
        return {}
    counts: dict[int, int] = {}
    for rid in session.exec(
        select(Parcel.resident_id).where(
            col(Parcel.resident_id).in_(resident_ids),
            Parcel.status == ParcelStatus.WAITING.value,
        )
    ).all():
        if rid is not None:
            counts[rid] = counts.get(rid, 0) + 1
    return counts


# ------------------------------------------------------------------------------ applying


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        if info.default_factory is not None:
            out[name] = info.default_factory()  # type: ignore[call-arg]
        elif info.default is not PydanticUndefined:
            out[name] = info.default
    return out


def _json(values: dict[str, Any]) -> str:
    plain = {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in values.items()}
    return json.dumps(plain, ensure_ascii=False, sort_keys=True)


def insert_audited(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], *, now: datetime
) -> list[int]:
    """Insert ``rows`` as one executemany and write their audit events the same way.

    A 20,000-resident first load spent most of its time building ORM objects and flushing
    them one by one through the audit listener (docs/performance.md); the rows were checked
    already, so they go in as plain values, each with the ``insert`` event the listener
    would have written (same actor, same snapshot of every column)."""
    if not rows:
        return []
    table: Any = model.__table__  # type: ignore[attr-defined]
    base = _defaults(model)
    full = [{**base, **row} for row in rows]
    result = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), full
    )
    ids = [int(r[0]) for r in result]
    actor: Actor = session.info.get("actor", SYSTEM)
    events = [
        {
            "site_id": values.get("site_id"),
            "at": now,
            "actor": actor.name,
            "actor_id": actor.id,
            "is_system": actor.is_system,
            "action": "insert",
            "entity": table.name,
            "entity_id": rid,
            "before": None,
            "after": _json({**values, "id": rid}),
            "note": "",
        }
        for values, rid in zip(full, ids, strict=True)
    ]
    session.execute(insert(AuditEvent.__table__), events)  # type: ignore[attr-defined]
    return ids


#: (session, resident, unit code, action, parcels waiting) -> None: the duty-log writer
OccupancyLogger = Callable[[Session, Resident, str, str, int], None]


def apply_plan(
    session: Session,
    site_id: int,
    plan: Plan,
    *,
    log_occupancy: OccupancyLogger,
    move_out_on: date,
    now: datetime | None = None,
) -> Plan:
    """Write what ``plan`` says, in the caller's transaction (``db.transact``)."""
    now = now or utcnow()
    rows = plan.roster
    buildings = {
        b.code: b for b in session.exec(select(Building).where(Building.site_id == site_id))
    }
    for code in plan.new_buildings:
        building = Building(site_id=site_id, code=code, name=code)
        session.add(building)
        buildings[code] = building
    session.flush()
    units = {u.code: u for u in session.exec(select(Unit).where(Unit.site_id == site_id))}
    new_units: dict[str, dict[str, Any]] = {}
    for row in rows:
        unit = units.get(row.code)
        if unit is None and row.code not in new_units:
            new_units[row.code] = {
                "site_id": site_id,
                "building_id": buildings[row.building].id,
                "code": row.code,
                "entrance": row.entrance,
                "floor": row.floor,
                "room": row.room,
                "area": row.area,
            }
        elif unit is not None and row.area and unit.area != row.area:
            unit.area = row.area
    session.flush()
    unit_ids = {u.code: u.id for u in units.values()}
    ids = insert_audited(session, Unit, list(new_units.values()), now=now)
    unit_ids.update(zip(new_units, ids, strict=True))
    by_key = {(c.unit, c.name): c for c in plan.changes}
    added: list[tuple[Change, dict[str, Any]]] = []
    for row in rows:
        change = by_key.get((row.code, row.name))
        if change is None:
            continue
        if change.action == "add":
            pinyin, initials = search_keys(row.name)
            added.append(
                (
                    change,
                    {
                        "site_id": site_id,
                        "unit_id": unit_ids[row.code],
                        "name": row.name,
                        "pinyin": pinyin,
                        "initials": initials,
                        "moved_in_on": row.move_in,
                        "created_at": now,
                        **_wanted(row),
                    },
                )
            )
        else:
            known = session.get(Resident, change.resident_id)
            assert known is not None
            for key, (_old, new) in change.fields.items():
                setattr(known, key, new)
            if change.action == "return":
                known.active = True
                known.moved_out_on = None
                log_occupancy(session, known, row.code, "move_in", 0)
    ids = insert_audited(session, Resident, [values for _, values in added], now=now)
    for (change, _values), rid in zip(added, ids, strict=True):
        change.resident_id = rid
        if not plan.first_load:
            resident = session.get(Resident, rid)
            assert resident is not None
            log_occupancy(session, resident, change.unit, "move_in", 0)
    for change in plan.changes:
        if change.action == "move_out":
            gone = session.get(Resident, change.resident_id)
            assert gone is not None
            gone.active = False
            gone.moved_out_on = move_out_on
            log_occupancy(session, gone, change.unit, "move_out", change.parcels_waiting)
    session.flush()
    return plan


def import_table(
    session: Session,
    settings: Settings,
    site_id: int,
    table: Table,
    *,
    move_out_on: date,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Check and plan ``table``; unless ``dry_run``, apply it in ``session``'s transaction.

    Entering residents needs the ``[customers] enter_role``, changing or moving them out the
    ``change_role`` (A-4); the duty log needs a signed-in operator for move-ins and outs."""
    from shiftdesk.estate.customers import require
    from shiftdesk.estate.occupancy import duty_log_writer

    require(session, settings, "enter")
    plan = plan_import(session, site_id, table, settings, progress)
    if plan.count("change") or plan.count("move_out") or plan.count("return"):
        require(session, settings, "change")
    if dry_run or plan.changes_nothing:
        return plan
    return apply_plan(
        session,
        site_id,
        plan,
        log_occupancy=duty_log_writer(settings, site_id, now=now),
        move_out_on=move_out_on,
        now=now,
    )
