"""The demo site itself: buildings, units (3-2-1502), residents with pinyin, operators."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, transact
from shiftdesk.demo import DEMO_OPERATORS, DemoContext
from shiftdesk.demo.names import COMMON, DOUBLE_SURNAMES, GIVEN, MOBILE_PREFIXES, SURNAMES
from shiftdesk.models import Building, Operator, Resident, ResidentKind, Role, Unit
from shiftdesk.names import search_keys
from shiftdesk.sites import add_operator, ensure_site, ensure_system_operator


def person_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.02:
        surname = rng.choice(DOUBLE_SURNAMES)
    elif roll < 0.5:
        surname = rng.choice(COMMON)
    else:
        surname = rng.choice(SURNAMES)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return surname + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def generate(engine: Engine, settings: Settings, rng: random.Random, now: datetime) -> DemoContext:
    building_count = rng.randint(3, 6)

    def _build(session: Session) -> DemoContext:
        site = ensure_site(session, settings)
        ensure_system_operator(session)
        assert site.id is not None
        operators: dict[str, Operator] = {}
        for name, display, pin, role in DEMO_OPERATORS:
            operators[name] = add_operator(
                session,
                name=name,
                pin=pin,
                role=Role(role),
                site_id=site.id,
                display_name=display,
            )
        units: list[Unit] = []
        for b in range(1, building_count + 1):
            building = Building(site_id=site.id, code=str(b), name=f"{b}号楼")
            session.add(building)
            session.flush()
            assert building.id is not None
            entrances = rng.randint(1, 3)
            floors = rng.choice((6, 11, 18, 26))
            per_floor = 2
            for e in range(1, entrances + 1):
                for f in range(1, floors + 1):
                    for r in range(1, per_floor + 1):
                        room = f"{f}{r:02d}"
                        units.append(
                            Unit(
                                site_id=site.id,
                                building_id=building.id,
                                code=f"{b}-{e}-{room}",
                                entrance=str(e),
                                floor=f,
                                room=room,
                            )
                        )
        session.add_all(units)
        session.flush()
        residents: list[Resident] = []
        occupied = [u for u in units if rng.random() < 0.8]
        for unit in occupied:
            assert unit.id is not None
            for i in range(rng.choice((1, 1, 2, 2, 3))):
                name = person_name(rng)
                full, initials = search_keys(name)
                residents.append(
                    Resident(
                        site_id=site.id,
                        unit_id=unit.id,
                        name=name,
                        pinyin=full,
                        initials=initials,
                        phone=mobile(rng),
                        kind=(
                            ResidentKind.OWNER
                            if i == 0 and rng.random() < 0.8
                            else ResidentKind.TENANT
                        ).value,
                        do_not_notify=rng.random() < 0.03,
                        created_at=now,
                    )
                )
        session.add_all(residents)
        session.flush()
        return DemoContext(
            engine=engine,
            settings=settings,
            rng=rng,
            now=now,
            site=site,
            units=units,
            residents=residents,
            operators=operators,
        )

    return transact(engine, _build, actor=SYSTEM)
