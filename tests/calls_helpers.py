"""A small site for call and lookup tests that must run on both backends."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from shiftdesk.models import Building, Operator, Resident, Site, Unit
from shiftdesk.names import search_keys

PEOPLE = [
    # unit, name, phone
    ("3-2-1502", "张伟", "13800138000"),
    ("3-2-1502", "李娜", "13912345678"),
    ("3-2-1501", "张文华", "18611112222"),
    ("3-2-501", "王芳", "2161234567"),  # a Shanghai landline, national digits
    ("12-1-101", "欧阳娜娜", "15055556666"),
]
UNITS = ["3-2-1502", "3-2-1501", "3-2-501", "3-2-1503", "12-1-101", "3-1-1502"]


@dataclass
class Small:
    site_id: int
    operator_id: int
    units: dict[str, int]
    residents: dict[str, int]


def populate(session: Session, code: str = "T") -> Small:
    site = Site(code=code, name="Test")
    session.add(site)
    session.flush()
    assert site.id is not None
    operator = Operator(site_id=site.id, name=f"op{code}", display_name="王芳")
    session.add(operator)
    buildings: dict[str, Building] = {}
    units: dict[str, Unit] = {}
    for unit_code in UNITS:
        b, e, room = unit_code.split("-")
        if b not in buildings:
            buildings[b] = Building(site_id=site.id, code=b)
            session.add(buildings[b])
            session.flush()
        unit = Unit(
            site_id=site.id, building_id=buildings[b].id, code=unit_code, entrance=e, room=room
        )
        session.add(unit)
        units[unit_code] = unit
    session.flush()
    residents: dict[str, Resident] = {}
    for unit_code, name, phone in PEOPLE:
        full, initials = search_keys(name)
        residents[name] = Resident(
            site_id=site.id,
            unit_id=units[unit_code].id,
            name=name,
            pinyin=full,
            initials=initials,
            phone=phone,
        )
        session.add(residents[name])
    # a resident who moved out is not offered
    full, initials = search_keys("张伟")
    session.add(
        Resident(
            site_id=site.id,
            unit_id=units["3-1-1502"].id,
            name="张伟",
            pinyin=full,
            initials=initials,
            phone="13700000000",
            active=False,
        )
    )
    session.flush()
    assert operator.id is not None
    return Small(
        site_id=site.id,
        operator_id=operator.id,
        units={k: u.id for k, u in units.items() if u.id is not None},
        residents={k: r.id for k, r in residents.items() if r.id is not None},
    )
