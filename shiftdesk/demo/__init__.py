"""Demo data: a realistic site a newcomer can explore at once.

``load_demo`` builds the site, buildings, units, residents and operators (``base``), then
runs each area's generator (calls, work orders, parcels, shifts) in turn. The same seed
and the same ``now`` give the same data.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.models import Operator, Resident, Site, Unit
from shiftdesk.timeutil import utcnow

#: sign-in name, display name, PIN, role: printed by `shiftdesk demo` and in the README
DEMO_OPERATORS: list[tuple[str, str, str, str]] = [
    ("wangfang", "王芳", "1111", "operator"),
    ("lina", "李娜", "2222", "operator"),
    ("zhaolei", "赵磊", "3333", "operator"),
    ("chenjing", "陈静", "8888", "supervisor"),
    ("liuyang", "刘洋", "9999", "manager"),
    ("admin", "管理员", "0000", "admin"),
]


@dataclass
class DemoContext:
    """What area generators get: the engine, the site and its people, a seeded RNG."""

    engine: Engine
    settings: Settings
    rng: random.Random
    now: datetime
    site: Site
    units: list[Unit]
    residents: list[Resident]
    operators: dict[str, Operator]
    #: lines the demo command prints after the summary (e.g. "120 calls")
    extra: list[str] = field(default_factory=list)


@dataclass
class DemoSummary:
    site: str
    buildings: int
    units: int
    residents: int
    extra: list[str]


def database_is_empty(engine: Engine) -> bool:
    """No residents and no operators yet (the site row and `system` do not count)."""
    with read_session(engine) as session:
        operators = session.exec(
            select(func.count()).select_from(Operator).where(Operator.name != "system")
        ).one()
        residents = session.exec(select(func.count()).select_from(Resident)).one()
    return operators == 0 and residents == 0


def load_demo(
    engine: Engine, settings: Settings, *, seed: int = 7, now: datetime | None = None
) -> DemoSummary:
    from shiftdesk.demo import base

    rng = random.Random(seed)
    # made-up history must never reach a real channel: the demo's emergencies and
    # anything else would otherwise be queued for the site's configured Apprise URLs
    quiet = dataclasses.replace(
        settings,
        notifications=dataclasses.replace(
            settings.notifications, urls=[], manager_urls=[], emergency_urls=[]
        ),
    )
    ctx = base.generate(engine, quiet, rng, now or utcnow())
    for generate in area_generators():
        generate(ctx)
    buildings = len({u.building_id for u in ctx.units})
    return DemoSummary(
        site=ctx.site.name,
        buildings=buildings,
        units=len(ctx.units),
        residents=len(ctx.residents),
        extra=ctx.extra,
    )


def area_generators() -> list[Callable[[DemoContext], None]]:
    """Each area's ``generate(ctx)``, in the order their records depend on each other."""
    generators: list[Callable[[DemoContext], None]] = []
    # --- areas register here: from shiftdesk.demo import calls; generators.append(calls.generate)
    from shiftdesk.demo import calls

    generators.append(calls.generate)
    from shiftdesk.demo import workorders

    generators.append(workorders.generate)
    from shiftdesk.demo import parcels

    generators.append(parcels.generate)
    from shiftdesk.demo import handover  # last: its digests read every other area's records

    generators.append(handover.generate)
    return generators
