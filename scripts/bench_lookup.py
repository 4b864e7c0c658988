"""Benchmark: resident lookup per keystroke on a site of 5,000 residents (issue 3).

Builds a fresh database (SQLite in a temp folder by default, or --db URL, which must be an
empty database), fills it with 5,000 residents in ~3,000 units, then times
``shiftdesk.lookup.lookup`` for each kind of query as an operator types it, keystroke by
keystroke. The baseline in the same run is a trivial ``SELECT 1`` through the same session.

Run: python scripts/bench_lookup.py [--residents 5000] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from shiftdesk.db import make_engine, read_session, transact
from shiftdesk.demo.base import mobile, person_name
from shiftdesk.lookup import lookup
from shiftdesk.migrate import upgrade
from shiftdesk.models import Building, Resident, Site, Unit
from shiftdesk.names import search_keys


def fill(url: str, residents: int, rng: random.Random) -> tuple[int, list[dict[str, str]]]:
    engine = make_engine(url)
    upgrade(engine)

    def build(session):  # type: ignore[no-untyped-def]
        site = Site(code="BENCH", name="Bench")
        session.add(site)
        session.flush()
        unit_rows = []
        for b in range(1, 21):
            building = Building(site_id=site.id, code=str(b))
            session.add(building)
            session.flush()
            for e in range(1, 4):
                for f in range(1, 27):
                    for r in (1, 2):
                        unit_rows.append(
                            {
                                "site_id": site.id,
                                "building_id": building.id,
                                "code": f"{b}-{e}-{f}{r:02d}",
                                "entrance": str(e),
                                "floor": f,
                                "room": f"{f}{r:02d}",
                            }
                        )
        session.execute(Unit.__table__.insert(), unit_rows)  # type: ignore[attr-defined]
        unit_ids = [
            row[0]
            for row in session.execute(
                text("SELECT id FROM unit WHERE site_id = :s"), {"s": site.id}
            )
        ]
        people = []
        for _ in range(residents):
            name = person_name(rng)
            full, initials = search_keys(name)
            people.append(
                {
                    "site_id": site.id,
                    "unit_id": rng.choice(unit_ids),
                    "name": name,
                    "pinyin": full,
                    "initials": initials,
                    "phone": mobile(rng),
                    "phone2": "",
                    "kind": "owner",
                    "do_not_notify": False,
                    "do_not_notify_note": "",
                    "active": True,
                    "created_at": time_now(),
                }
            )
        session.execute(Resident.__table__.insert(), people)  # type: ignore[attr-defined]
        return site.id, people

    site_id, people = transact(engine, build)
    engine.dispose()
    return site_id, people


def time_now():  # type: ignore[no-untyped-def]
    from shiftdesk.timeutil import utcnow

    return utcnow()


def keystrokes(query: str) -> list[str]:
    """Every prefix an operator's typing produces (from the 2nd character on)."""
    return [query[:i] for i in range(2, len(query) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--db", default="")
    parser.add_argument("--samples", type=int, default=40, help="queries per kind")
    args = parser.parse_args()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        site_id, people = fill(url, args.residents, rng)
        engine = make_engine(url)
        picks = rng.sample(people, args.samples)
        kinds = {
            "unit prefix (3-2-15…)": [
                f"{rng.randint(1, 20)}-{rng.randint(1, 3)}-"
                f"{rng.randint(1, 26)}{rng.randint(1, 2):02d}"
                for _ in range(args.samples)
            ],
            "Chinese name": [p["name"] for p in picks],
            "full pinyin": [p["pinyin"] for p in picks],
            "initials": [p["initials"] for p in picks],
            "phone (+86 138 0013…)": [
                f"+86 {p['phone'][:3]} {p['phone'][3:7]} {p['phone'][7:]}" for p in picks
            ],
        }
        import os

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"{args.residents} residents, backend {engine.dialect.name}, load average "
            f"{load:.1f} on {os.cpu_count()} CPUs; milliseconds per keystroke "
            "(min / median / 95th percentile / max)"
        )
        with read_session(engine) as session:
            lookup(session, site_id, "zw")  # warm the statement cache
            base = []
            for _ in range(200):
                start = time.perf_counter()
                session.execute(text("SELECT 1")).all()
                base.append((time.perf_counter() - start) * 1000)
            print(f"  {'baseline SELECT 1':<24} {min(base):6.2f} {statistics.median(base):6.2f}")
            for kind, queries in kinds.items():
                times = []
                for query in queries:
                    for typed in keystrokes(query):
                        start = time.perf_counter()
                        lookup(session, site_id, typed)
                        times.append((time.perf_counter() - start) * 1000)
                times.sort()
                p95 = times[int(len(times) * 0.95) - 1]
                print(
                    f"  {kind:<24} {times[0]:6.2f} {statistics.median(times):6.2f} {p95:6.2f} "
                    f"{times[-1]:6.2f}   ({len(times)} keystrokes)"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
