"""Benchmark: loading a site's roster of 20,000 residents (``shiftdesk estate import``, issue 18).

Writes a roster CSV (GB18030, as Chinese Excel saves it: 1栋1单元402 units, two phones in
some cells), then on a fresh database (SQLite in a temp folder, or --db URL of an empty
database) times:

- the first load: reading the file, checking every row, planning and writing it all;
- the same file again (idempotent: reads, checks and plans, writes nothing);
- the baseline, measured in the same run on another fresh database: a plain ``executemany``
  of the same unit and resident rows (no reading, no checks, no audit trail).

Run: python scripts/bench_estate.py [--residents 20000] [--db postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shiftdesk.config import Settings
from shiftdesk.db import make_engine, transact
from shiftdesk.demo.base import mobile, person_name
from shiftdesk.estate.reader import read_table
from shiftdesk.estate.roster import import_table
from shiftdesk.migrate import upgrade
from shiftdesk.models import Building, Resident, Site, Unit
from shiftdesk.names import search_keys

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def roster_rows(residents: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(unit, name, role, phones): one to five residents a unit."""
    rows: list[tuple[str, str, str, str]] = []
    b = e = f = r = 1
    while len(rows) < residents:
        names: set[str] = set()
        for k in range(rng.randint(1, 5)):
            phones = mobile(rng) + (f"/{mobile(rng)}" if rng.random() < 0.2 else "")
            name = person_name(rng)
            while name in names:  # one person once per unit
                name = person_name(rng)
            names.add(name)
            rows.append((f"{b}栋{e}单元{f}{r:02d}", name, "业主" if k == 0 else "家属", phones))
        r += 1
        if r > 4:
            r, f = 1, f + 1
        if f > 26:
            f, e = 1, e + 1
        if e > 3:
            e, b = 1, b + 1
    return rows[:residents]


def write_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["房号,姓名,身份,联系电话"] + [",".join(row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


def new_site(url: str) -> tuple[Engine, int]:
    engine = make_engine(url)
    upgrade(engine)

    def site(session: Session) -> int:
        s = Site(code="DEMO", name="Bench")
        session.add(s)
        session.flush()
        assert s.id is not None
        return s.id

    return engine, transact(engine, site)


def bench_import(url: str, path: Path) -> tuple[float, float, int]:
    engine, site_id = new_site(url)
    settings = Settings()

    def once() -> tuple[float, int]:
        start = time.perf_counter()
        table = read_table(path)
        plan = transact(
            engine,
            lambda s: import_table(
                s, settings, site_id, table, move_out_on=date(2026, 11, 22), now=NOW
            ),
        )
        return time.perf_counter() - start, plan.count("add")

    first, added = once()
    again, _ = once()
    engine.dispose()
    return first, again, added


def bench_executemany(url: str, rows: list[tuple[str, str, str, str]]) -> float:
    """The same units and residents as plain executemany inserts (names' pinyin included:
    the lookup needs it either way)."""
    engine, site_id = new_site(url)
    codes = sorted({row[0] for row in rows})
    parsed = {c: c.replace("栋", "-").replace("单元", "-") for c in codes}
    keys = [search_keys(row[1]) for row in rows]  # outside the timing: both pay it alike
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(Building.__table__),  # type: ignore[attr-defined]
            [{"site_id": site_id, "code": str(b), "name": str(b)} for b in
             sorted({p.split("-")[0] for p in parsed.values()}, key=int)],
        )  # fmt: skip
        buildings: Any = Building.__table__  # type: ignore[attr-defined]
        building_ids: dict[str, int] = {
            code: bid for code, bid in conn.execute(select(buildings.c.code, buildings.c.id))
        }
        conn.execute(
            insert(Unit.__table__),  # type: ignore[attr-defined]
            [
                {"site_id": site_id, "building_id": building_ids[p.split("-")[0]], "code": p,
                 "entrance": p.split("-")[1], "floor": int(p.split("-")[2][:-2]),
                 "room": p.split("-")[2], "area": ""}
                for p in parsed.values()
            ],
        )  # fmt: skip
        units: Any = Unit.__table__  # type: ignore[attr-defined]
        unit_ids: dict[str, int] = {
            code: uid for code, uid in conn.execute(select(units.c.code, units.c.id))
        }
        conn.execute(
            insert(Resident.__table__),  # type: ignore[attr-defined]
            [
                {"site_id": site_id, "unit_id": unit_ids[parsed[row[0]]], "name": row[1],
                 "pinyin": keys[i][0], "initials": keys[i][1], "phone": row[3].split("/")[0],
                 "phone2": "", "kind": "owner", "do_not_notify": False,
                 "do_not_notify_note": "", "active": True, "id_last4": "", "note": "",
                 "created_at": NOW}
                for i, row in enumerate(rows)
            ],
        )  # fmt: skip
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--db", help="an empty database URL (default: SQLite in a temp dir)")
    parser.add_argument("--db2", help="a second empty database for the baseline")
    args = parser.parse_args()
    rows = roster_rows(args.residents, random.Random(7))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "roster.csv", rows)
        url = args.db or f"sqlite:///{Path(tmp) / 'import.db'}"
        url2 = args.db2 or f"sqlite:///{Path(tmp) / 'baseline.db'}"
        first, again, added = bench_import(url, path)
        baseline = bench_executemany(url2, rows)
    print(f"residents {added}, units {len({r[0] for r in rows})}")
    print(f"estate import, first load  {first:6.2f} s  ({first / baseline:.1f}x the baseline)")
    print(f"estate import, same again  {again:6.2f} s  (writes nothing)")
    print(f"baseline: plain executemany {baseline:6.2f} s  (no checks, no audit trail)")


if __name__ == "__main__":
    main()
