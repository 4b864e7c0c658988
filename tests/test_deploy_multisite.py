"""Many sites in one database: no record crosses from one site to another (issue 11).

Two sites, NORTH and SOUTH, share one database (PostgreSQL, as a property company runs
it, and SQLite). They have the same unit codes, a resident with the same phone number
and a parcel with the same tracking number, so a query that forgets its site would find
the other site's record. Each site's data is made the way a desk makes it: through the
command line with ``--db`` and the site's own config file (``site.code``), as its own
operators. Then every command and the service functions the screens call are asked, at
each site, and must answer with that site's records only; an id of the other site is
refused as unknown. Only ``--site all`` (stats, export) gives the company view.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner, Result

from shiftdesk import handover, parcels
from shiftdesk.archive.container import read_members
from shiftdesk.calls import caller_history, calls_on, search
from shiftdesk.cli import app
from shiftdesk.complaints import list_complaints
from shiftdesk.config import load_settings
from shiftdesk.db import SYSTEM, make_engine, read_session, transact
from shiftdesk.lookup import lookup, resident_by_phone
from shiftdesk.models import Building, Call, Parcel, Resident, Role, Site, Unit, WorkOrder
from shiftdesk.names import search_keys
from shiftdesk.notify import outbox_counts
from shiftdesk.security import actor_for
from shiftdesk.sites import add_operator
from shiftdesk.workorders import acked_breaches, load_rows, open_versions
from tests import pg
from tests.conftest import FROZEN

DAY = "2026-11-22"  # FROZEN is 10:00 on this day in Shanghai
SHARED_PHONE = "13900000000"  # one number on file at both sites
SHARED_TRACKING = "YT9999999999999"  # one tracking number checked in at both sites
UNITS = ["1-1-101", "1-1-102"]  # the same unit codes at both sites
#: the shift opens at 09:00, the desk's work happens at 09:30, the tests ask at 10:00
SHIFT_AT = FROZEN - timedelta(hours=1)
WORK_AT = FROZEN - timedelta(minutes=30)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    caller: str  # lives in 1-1-101, phone SHARED_PHONE
    neighbour: str  # lives in 1-1-102
    tracking: str


PLANS = [
    Plan("NORTH", "North Garden", "赵北辰", "孙北", "SF1000000000001"),
    Plan("SOUTH", "South Court", "钱南风", "李南", "SF2000000000002"),
]


@dataclass
class SiteData:
    plan: Plan
    config: Path
    site_id: int = 0
    operator: str = ""
    call_ids: set[int] = field(default_factory=set)
    order_id: int = 0
    complaint_id: int = 0
    parcel_ids: set[int] = field(default_factory=set)
    resident_ids: set[int] = field(default_factory=set)
    unit_ids: set[int] = field(default_factory=set)
    shift_id: int = 0

    @property
    def marker(self) -> str:
        return self.plan.code


@dataclass
class World:
    url: str
    engine: Engine
    root: Path
    sites: dict[str, SiteData]

    def other(self, code: str) -> SiteData:
        return next(s for c, s in self.sites.items() if c != code)


runner = CliRunner()


def cli(
    world: World,
    site: SiteData,
    *args: str,
    operator: str | None = None,
    at: datetime = FROZEN,
) -> Result:
    """The command as a terminal of ``site`` runs it: its config file, the shared database."""
    argv: list[str] = ["--config", str(site.config), "--db", world.url]
    if operator:
        argv += ["--operator", operator]
    with time_machine.travel(at, tick=False):
        return runner.invoke(app, [*argv, *args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result.stdout


def as_json(result: Result) -> Any:
    return json.loads(ok(result))


def refused(result: Result) -> str:
    """An id of the other site is unknown here: exit 2, one line, nothing changed."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    return result.stderr


# ------------------------------------------------------------------------------ the world


def _write_config(root: Path, plan: Plan) -> Path:
    path = root / f"{plan.code.lower()}.toml"
    path.write_text(
        f'locale = "en"\n[site]\ncode = "{plan.code}"\nname = "{plan.name}"\n'
        'timezone = "Asia/Shanghai"\ndesk = "front-desk"\n',
        encoding="utf-8",
    )
    return path


def _populate(session: Any, *, data: SiteData) -> None:
    """Units and residents (no command makes them: they come from the site's records)."""
    site = session.exec(select(Site).where(Site.code == data.plan.code)).one()
    data.site_id = site.id
    building = Building(site_id=site.id, code="1", name="1号楼")
    session.add(building)
    session.flush()
    units = {}
    for code in UNITS:
        entrance, room = code.split("-")[1:]
        units[code] = Unit(
            site_id=site.id,
            building_id=int(building.id or 0),
            code=code,
            entrance=entrance,
            room=room,
        )
        session.add(units[code])
    session.flush()
    people = [(data.plan.caller, "1-1-101", SHARED_PHONE), (data.plan.neighbour, "1-1-102", "")]
    for name, unit, phone in people:
        full, initials = search_keys(name)
        resident = Resident(
            site_id=site.id, unit_id=int(units[unit].id or 0), name=name, pinyin=full,
            initials=initials, phone=phone,
        )  # fmt: skip
        session.add(resident)
        session.flush()
        data.resident_ids.add(int(resident.id or 0))
    data.unit_ids = {int(u.id or 0) for u in units.values()}
    data.operator = f"{data.plan.code.lower()}_op"
    add_operator(
        session, name=data.operator, pin="2468", role=Role.OPERATOR, site_id=site.id,
        display_name=data.plan.neighbour,
    )  # fmt: skip


def _desk_work(world: World, data: SiteData) -> None:
    """A morning at the desk, through the commands a desk (or its phone system) runs."""
    code = data.plan.code
    op = data.operator
    settings = load_settings(data.config, db_url=world.url)

    def shift_work(session: Any) -> int:
        from shiftdesk.sites import find_operator

        holder = actor_for(find_operator(session, op))
        shift = handover.open_shift(session, settings, site_id=data.site_id, holder=holder)
        handover.add_entry(
            session, shift, author=holder, kind="note", body=f"{code} lift 2 serviced today"
        )
        return int(shift.id or 0)

    # signing in at 09:00 opened the shift (the screen does it through the same service)
    with time_machine.travel(SHIFT_AT, tick=False):
        data.shift_id = transact(world.engine, shift_work, actor=SYSTEM)
    # caller ID: the phone system passes the number only; the resident on file fills in
    inquiry = as_json(
        cli(world, data, "calls", "log", "--channel", "phone", "--category", "inquiry",
            "--phone", SHARED_PHONE, "--summary", f"{code} asks about the fees",
            "--format", "json", operator=op, at=WORK_AT)
    )  # fmt: skip
    repair = as_json(
        cli(world, data, "calls", "log", "--channel", "phone", "--category", "repair",
            "--unit", "1-1-101", "--name", data.plan.caller, "--trade", "plumbing",
            "--summary", f"{code} kitchen tap leaking", "--format", "json", operator=op,
            at=WORK_AT)
    )  # fmt: skip
    complaint = as_json(
        cli(world, data, "calls", "log", "--channel", "walk_in", "--category", "complaint",
            "--unit", "1-1-102", "--name", data.plan.neighbour,
            "--summary", f"{code} noise from upstairs at night", "--format", "json",
            operator=op, at=WORK_AT)
    )  # fmt: skip
    data.call_ids = {inquiry["call_id"], repair["call_id"], complaint["call_id"]}
    data.order_id = repair["work_order_id"]
    data.complaint_id = complaint["complaint_id"]
    ok(cli(world, data, "orders", "dispatch", str(data.order_id), operator=op, at=WORK_AT))
    for tracking, unit, name in (
        (data.plan.tracking, "1-1-101", data.plan.caller),
        (SHARED_TRACKING, "1-1-102", data.plan.neighbour),
    ):
        rows = as_json(
            cli(world, data, "parcels", "checkin", "--tracking", tracking, "--unit", unit,
                "--name", name, "--no-notify", "--format", "json", operator=op, at=WORK_AT)
        )  # fmt: skip
        data.parcel_ids.add(rows[0]["parcel_id"])


def _build(url: str, root: Path) -> World:
    engine = make_engine(url)
    world = World(url, engine, root, {})
    for plan in PLANS:
        data = SiteData(plan, _write_config(root, plan))
        world.sites[plan.code] = data
        ok(cli(world, data, "init", at=SHIFT_AT))
        with time_machine.travel(SHIFT_AT, tick=False):
            transact(engine, partial(_populate, data=data))
    for data in world.sites.values():
        _desk_work(world, data)
    return world


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """Both sites in one database, built once per backend for this module's tests."""
    root = Path(tempfile.mkdtemp(prefix="shiftdesk-multisite-"))
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'company.db'}"
    else:
        import psycopg

        server: pg.PgServer = request.getfixturevalue("pg_server")
        name = f"multisite_{os.getpid()}"
        admin = server.url().replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = server.url(name)
    built = _build(url, root)
    try:
        yield built
    finally:
        built.engine.dispose()
        if name is not None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(root, ignore_errors=True)


CODES = [p.code for p in PLANS]


def _settings(world: World, data: SiteData) -> Any:
    return load_settings(data.config, db_url=world.url)


def _assert_foreign_absent(text: str, world: World, code: str) -> None:
    other = world.other(code).plan
    for word in (other.code, other.caller, other.neighbour, other.tracking):
        assert word not in text, f"{word!r} of {other.code} shown at {code}"


# ---------------------------------------------------------------------------------- calls


@pytest.mark.parametrize("code", CODES)
def test_calls_list_and_search_show_only_this_sites_calls(world: World, code: str) -> None:
    data = world.sites[code]
    rows = as_json(cli(world, data, "calls", "list", "--date", DAY, "--format", "json"))
    assert {r["id"] for r in rows} == data.call_ids
    # the unit code and the phone number exist at both sites
    for text in ("1-1-101", SHARED_PHONE, "tap"):
        found = as_json(cli(world, data, "calls", "list", "--search", text, "--format", "json"))
        assert found and {r["id"] for r in found} <= data.call_ids
    table = ok(cli(world, data, "calls", "list", "--date", DAY))
    _assert_foreign_absent(table, world, code)


@pytest.mark.parametrize("code", CODES)
def test_caller_id_fills_in_this_sites_resident(world: World, code: str) -> None:
    """The same number is on file at both sites: the call form's caller ID picks ours."""
    data = world.sites[code]
    with read_session(world.engine) as session:
        calls = session.exec(select(Call).where(Call.caller_phone == SHARED_PHONE)).all()
        mine = [c for c in calls if c.site_id == data.site_id]
        assert len(mine) == 1 and mine[0].caller_name == data.plan.caller
        assert mine[0].resident_id in data.resident_ids
        hit = resident_by_phone(session, data.site_id, SHARED_PHONE)
        assert hit is not None and hit.resident_id in data.resident_ids


@pytest.mark.parametrize("code", CODES)
def test_records_made_at_a_site_point_at_its_own_units_and_residents(
    world: World, code: str
) -> None:
    """The same unit code typed at both desks: each record took its own site's unit."""
    data = world.sites[code]
    with read_session(world.engine) as session:
        for model in (Call, WorkOrder, Parcel):
            rows = session.exec(select(model).where(model.site_id == data.site_id)).all()
            assert rows, model.__name__
            for row in rows:
                assert row.unit_id in data.unit_ids, (model.__name__, row.id)
                resident = getattr(row, "resident_id", None)
                assert resident is None or resident in data.resident_ids, (model.__name__, row.id)


@pytest.mark.parametrize("code", CODES)
def test_resident_lookup_and_caller_history_stay_in_the_site(world: World, code: str) -> None:
    """What the call form (F2) and the parcel desk ask as the operator types."""
    data = world.sites[code]
    other = world.other(code)
    settings = _settings(world, data)
    tz = settings.site.timezone
    with read_session(world.engine) as session:
        for query in ("1-1-101", "1-1", SHARED_PHONE[:5], SHARED_PHONE, "1-1-10"):
            hits = lookup(session, data.site_id, query)
            assert hits, query
            assert {h.unit_id for h in hits} <= data.unit_ids, query
            assert {h.resident_id for h in hits} - {None} <= data.resident_ids, query
        for name in (other.plan.caller, other.plan.neighbour):
            full, _initials = search_keys(name)
            assert lookup(session, data.site_id, name) == []
            assert not [h for h in lookup(session, data.site_id, full) if h.name == name]
        history = caller_history(session, data.site_id, phone=SHARED_PHONE)
        assert {r.call.id for r in history.calls} <= data.call_ids
        unit_101 = next(h.unit_id for h in lookup(session, data.site_id, "1-1-101"))
        history = caller_history(session, data.site_id, unit_id=unit_101)
        assert [o.id for o in history.open_orders] == [data.order_id]
        assert {p.id for p in history.waiting_parcels} <= data.parcel_ids
        # the list beside the form, and its search box
        assert {r.call.id for r in calls_on(session, data.site_id, FROZEN.date(), tz)} == (
            data.call_ids
        )
        assert {r.call.id for r in search(session, data.site_id, text="1-1", tz=tz)} <= (
            data.call_ids
        )


@pytest.mark.parametrize("code", CODES)
def test_complaints_list_shows_only_this_sites_complaints(world: World, code: str) -> None:
    data = world.sites[code]
    rows = as_json(cli(world, data, "complaints", "list", "--format", "json"))
    assert [r["id"] for r in rows] == [data.complaint_id]
    with read_session(world.engine) as session:
        assert [r.complaint.id for r in list_complaints(session, data.site_id)] == [
            data.complaint_id
        ]
    other = world.other(code)
    refused(cli(world, data, "complaints", "mark", str(other.complaint_id), "answered"))


# ------------------------------------------------------------------------------ dispatch


@pytest.mark.parametrize("code", CODES)
def test_orders_list_and_the_boards_feed_stay_in_the_site(world: World, code: str) -> None:
    data = world.sites[code]
    other = world.other(code)
    rows = as_json(cli(world, data, "orders", "list", "--format", "json"))
    assert [r["id"] for r in rows] == [data.order_id]
    with read_session(world.engine) as session:
        # what the live board (F3) loads and polls
        assert [r.id for r in load_rows(session, site_id=data.site_id)] == [data.order_id]
        assert list(open_versions(session, site_id=data.site_id)) == [data.order_id]
        asked = load_rows(session, site_id=data.site_id, ids=[other.order_id])
        assert asked == []
        assert {key[0] for key in acked_breaches(session, site_id=data.site_id)} <= {data.order_id}
    # the other site's order number is unknown here, and stays as it was
    refused(cli(world, data, "orders", "show", str(other.order_id)))
    refused(cli(world, data, "orders", "accept", str(other.order_id), operator=data.operator))
    with read_session(world.engine) as session:
        order = session.get(WorkOrder, other.order_id)
        assert order is not None and order.stage == "dispatched"


# ------------------------------------------------------------------------------- parcels


@pytest.mark.parametrize("code", CODES)
def test_parcels_list_pickup_lookup_and_shelves_stay_in_the_site(world: World, code: str) -> None:
    data = world.sites[code]
    other = world.other(code)
    settings = _settings(world, data)
    rows = as_json(cli(world, data, "parcels", "list", "--format", "json"))
    assert {r["parcel_id"] for r in rows} == data.parcel_ids
    rows = as_json(cli(world, data, "parcels", "list", "--unit", "1-1-101", "--format", "json"))
    assert {r["parcel_id"] for r in rows} <= data.parcel_ids and rows
    _assert_foreign_absent(ok(cli(world, data, "parcels", "list")), world, code)
    with read_session(world.engine) as session:
        # the pickup pane: by tracking number (the shared one too), by unit, by name
        for query in (SHARED_TRACKING, "1-1-101", "1-1-102", data.plan.caller):
            found, _selected = parcels.find_for_pickup(session, settings, data.site_id, query)
            assert found and {r.id for r in found} <= data.parcel_ids, query
        found, _ = parcels.find_for_pickup(session, settings, data.site_id, other.plan.tracking)
        assert found == []
        # the shelf count the handover checks (H-12)
        assert sum(parcels.waiting_by_shelf(session, data.site_id).values()) == len(data.parcel_ids)
        assert parcels.find_duplicate(session, data.site_id, other.plan.tracking) is None
        assert sum(outbox_counts(session, data.site_id).values()) == 0
    refused(
        cli(world, data, "parcels", "pickup", str(min(other.parcel_ids)), "--by", "self",
            "--id-last4", "1234", operator=data.operator)
    )  # fmt: skip
    refused(
        cli(world, data, "parcels", "contact", str(min(other.parcel_ids)), "--method", "phone",
            operator=data.operator)
    )  # fmt: skip


# ------------------------------------------------------------------------------ handover


@pytest.mark.parametrize("code", CODES)
def test_handover_show_digest_and_verify_stay_in_the_site(world: World, code: str) -> None:
    data = world.sites[code]
    other = world.other(code)
    settings = _settings(world, data)
    doc = as_json(cli(world, data, "handover", "show", "--format", "json"))
    assert doc["shift"]["id"] == data.shift_id
    texts = json.dumps(doc, ensure_ascii=False)
    assert f"{code} lift 2 serviced today" in texts
    _assert_foreign_absent(texts, world, code)
    assert f"{code} kitchen tap leaking" in texts  # the shift's other records: this site's
    text = ok(cli(world, data, "handover", "show", "--format", "md"))
    _assert_foreign_absent(text, world, code)
    refused(cli(world, data, "handover", "show", "--shift", str(other.shift_id)))
    with read_session(world.engine) as session:
        shift = handover.current_shift(session, data.site_id, settings.site.desk)
        assert shift is not None and shift.id == data.shift_id
        with time_machine.travel(FROZEN, tick=False):
            digest = handover.build_digest(session, settings, shift)
        keys = set(digest.item_keys())
        blob = json.dumps([i.text for i in digest.items], ensure_ascii=False)
        assert digest.parcels_total == len(data.parcel_ids)
        assert handover.awaiting_countersign(session, data.site_id) == []
    # the open order and complaint handed over are this site's, and only these
    assert {k for k in keys if k.startswith(("wo:", "complaint:"))} == {
        f"wo:{data.order_id}",
        f"complaint:{data.complaint_id}",
    }
    _assert_foreign_absent(blob, world, code)
    report = as_json(cli(world, data, "verify", "--site", code, "--format", "json"))
    assert [s["code"] for s in report["sites"]] == [code]


# ----------------------------------------------------------------------- company views


@pytest.mark.parametrize("code", CODES)
def test_stats_nightly_per_site_and_all(world: World, code: str) -> None:
    data = world.sites[code]
    (report,) = _reports(
        as_json(cli(world, data, "stats", "nightly", "--date", DAY, "--format", "json"))
    )
    assert report["site"] == code
    blob = json.dumps(report, ensure_ascii=False)
    _assert_foreign_absent(blob, world, code)
    assert _count(report, "calls") == 3
    both = _reports(
        as_json(
            cli(world, data, "stats", "nightly", "--date", DAY, "--site", "all", "--format",
                "json")
        )
    )  # fmt: skip
    assert sorted(r["site"] for r in both) == sorted(CODES)
    assert all(_count(r, "calls") == 3 for r in both)


def _reports(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and "reports" in payload:
        return list(payload["reports"])
    return payload if isinstance(payload, list) else [payload]


def _count(report: dict[str, Any], what: str) -> int:
    section = report[what]
    return int(section["total"] if isinstance(section, dict) else section)


def _archive_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with read_members(path) as members:
        for name, stream in members:
            if not name.startswith("jsonl/"):
                continue
            lines = stream.read().decode("utf-8").splitlines()
            header = json.loads(lines[0])
            tables[name[6:-6]] = [dict(zip(header, json.loads(x), strict=True)) for x in lines[1:]]
    return tables


@pytest.mark.parametrize("code", CODES)
def test_export_archive_of_one_site_holds_none_of_the_other(
    world: World, code: str, tmp_path: Path
) -> None:
    data = world.sites[code]
    other = world.other(code)
    out = ok(cli(world, data, "export", "archive", "--out", str(tmp_path), "--quiet"))
    tables = _archive_rows(Path(out.strip()))
    assert [s["code"] for s in tables["site"]] == [code]
    for table, rows in tables.items():
        assert not [r for r in rows if r.get("site_id") == other.site_id], table
    assert {r["id"] for r in tables["call"]} == data.call_ids
    assert {r["id"] for r in tables["parcel"]} == data.parcel_ids
    assert {r["id"] for r in tables["resident"]} == data.resident_ids


def test_export_archive_site_all_writes_each_sites_archive(world: World, tmp_path: Path) -> None:
    data = world.sites[CODES[0]]
    out = ok(cli(world, data, "export", "archive", "--site", "all", "--out", str(tmp_path), "-q"))
    paths = [Path(line) for line in out.split()]
    assert len(paths) == 2
    for path in paths:
        tables = _archive_rows(path)
        (site,) = tables["site"]
        assert {r["id"] for r in tables["call"]} == world.sites[site["code"]].call_ids


# --------------------------------------------------------------------------------- audit


@pytest.mark.parametrize("code", CODES)
def test_audit_trail_shows_only_this_sites_events(world: World, code: str) -> None:
    data = world.sites[code]
    other = world.other(code)
    events = as_json(cli(world, data, "audit", "--limit", "5000", "--format", "json"))
    seen = {(e["entity"], e["entity_id"]) for e in events}
    assert ("call", min(data.call_ids)) in seen
    assert not seen & {("call", i) for i in other.call_ids}
    assert not seen & {("parcel", i) for i in other.parcel_ids}
    assert ("work_order", other.order_id) not in seen
    assert ("shift", other.shift_id) not in seen


@pytest.mark.parametrize("code", CODES)
def test_operators_list_shows_this_sites_operators(world: World, code: str) -> None:
    data = world.sites[code]
    other = world.other(code)
    names = {r["name"] for r in as_json(cli(world, data, "operators", "list", "--format", "json"))}
    assert data.operator in names and other.operator not in names
    every = as_json(cli(world, data, "operators", "list", "--site", "all", "--format", "json"))
    assert {data.operator, other.operator} <= {r["name"] for r in every}


# ---------------------------------------------------------------------- the terminal app


@pytest.mark.parametrize(
    "world", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_the_app_at_a_site_shows_its_own_board(world: World) -> None:
    """The terminal app itself, configured for the second site of a company's database.

    (Once, on PostgreSQL: the screens' queries are the service calls tested above on both
    backends; this shows the app wires its site from the config into them.)
    """
    from textual.worker import WorkerCancelled

    from screens.dispatch import DispatchScreen
    from screens.dispatch.board import OrderList
    from screens.signin import SignInScreen
    from tests.pilot import build_app

    code = CODES[1]
    data = world.sites[code]
    other = world.other(code)
    app = build_app(world.engine, _settings(world, data))

    async def drain() -> None:
        for _ in range(50):
            try:
                await app.workers.wait_for_complete()
                return
            except WorkerCancelled:  # a screen's exclusive worker replaced by a newer one
                continue

    with time_machine.travel(FROZEN, tick=False):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, SignInScreen)
            app.screen.query_one("#name").value = data.operator  # type: ignore[attr-defined]
            app.screen.query_one("#pin").value = "2468"  # type: ignore[attr-defined]
            app.screen.query_one("#pin").focus()
            await pilot.press("enter")
            await drain()
            await pilot.pause()
            assert app.site is not None and app.site.code == code
            await pilot.press("f3")
            await drain()
            await asyncio.wait_for(app.dispatch_feed.refreshed(), 10)
            await pilot.pause()
            assert isinstance(app.screen, DispatchScreen)
            board = app.screen.query_one(OrderList)
            assert board.ids == [data.order_id]
            assert not board.select_id(other.order_id)
