#!/usr/bin/env python3
# mypy: disable-error-code="arg-type"
"""Torture harness: several terminals writing at once, crashes, and an online backup.

Starts N writer processes against one database for a set time. Each does what a desk does
(calls and walk-ins, repair orders moved through their stages, parcels checked in and picked
up, duty-log entries) through the real services and ``db.transact``, and appends a line to
its own log *after the commit returned* for every write it saw acknowledged. Then:

- every acknowledged write is in the database exactly once (found by a unique token in its
  text, or for a stage change by its version in the audit trail);
- no "database is locked" (nor any other unexpected error) reached a caller;
- ``PRAGMA integrity_check`` is ok (SQLite) and the duty log's hash chain verifies;
- with ``--kills K``: writers are killed with SIGKILL at random moments and restarted, and
  the checks above hold for everything acknowledged before each kill;
- with ``--backup``: ``shiftdesk db backup`` runs while the writers write, the backup opens,
  is current and consistent, and holds every write acknowledged before the backup began.

    python3 scripts/torture.py --backend sqlite --procs 4 --seconds 600 --backup
    python3 scripts/torture.py --backend postgresql --procs 8 --seconds 600
    python3 scripts/torture.py --backend sqlite --procs 4 --kills 250

``--db URL`` uses a given (empty) database instead; ``--backend postgresql`` starts a
throwaway server (tests/pg.py). Prints a JSON report (``--json FILE`` writes it too); exit
status 0 when every check passed, 1 otherwise. docs/reliability.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SITE = "TORTURE"
UNITS = 40
#: relative weights of what a terminal does
MIX = {
    "call": 16,
    "repair": 16,
    "transition": 34,
    "checkin": 14,
    "pickup": 10,
    "entry": 10,
}


def _settings() -> Any:
    from shiftdesk.config import Settings

    settings = Settings()
    settings.site.code = SITE
    settings.site.name = "Torture Garden"
    return settings


# ------------------------------------------------------------------------------- setup


def setup(url: str, procs: int) -> dict[str, Any]:
    """Schema, a small site (units, residents), one operator per writer and an open shift."""
    from shiftdesk import migrate
    from shiftdesk.db import Actor, make_engine, transact
    from shiftdesk.handover import open_shift
    from shiftdesk.models import Building, Operator, Resident, Unit
    from shiftdesk.sites import ensure_site, ensure_system_operator

    settings = _settings()
    engine = make_engine(url)
    migrate.upgrade(engine)

    def build(session: Any) -> dict[str, Any]:
        site = ensure_site(session, settings)
        ensure_system_operator(session)
        building = Building(site_id=site.id, code="1", name="1号楼")
        session.add(building)
        session.flush()
        units, residents = [], []
        for n in range(UNITS):
            unit = Unit(
                site_id=site.id,
                building_id=building.id,
                code=f"1-{n % 2 + 1}-{1001 + n}",
                entrance=str(n % 2 + 1),
                floor=10,
                room=str(1001 + n),
            )
            session.add(unit)
            session.flush()
            resident = Resident(
                site_id=site.id,
                unit_id=unit.id,
                name=f"住户{n}",
                pinyin=f"zhuhu{n}",
                initials="zh",
                phone=f"1380013{n:04d}",
            )
            session.add(resident)
            session.flush()
            units.append(unit.id)
            residents.append((unit.id, unit.code, resident.id))
        operators = []
        for wid in range(procs):
            op = Operator(
                site_id=site.id, name=f"torture{wid}", display_name=f"终端{wid}", role="operator"
            )
            session.add(op)
            session.flush()
            operators.append(op.id)
        holder = Actor(name="torture0", id=operators[0], role="operator")
        shift = open_shift(session, settings, site_id=site.id, holder=holder)
        return {
            "site_id": site.id,
            "residents": residents,
            "operators": operators,
            "shift_id": shift.id,
        }

    info = transact(engine, build)
    engine.dispose()
    return info


# ------------------------------------------------------------------------------- a writer


@dataclass
class Writer:
    url: str
    wid: int
    generation: int
    info: dict[str, Any]
    log_path: Path
    stop: Any  # a multiprocessing Event: the parent says when the run is over
    seed: int
    rng: random.Random = field(init=False)
    seq: int = 0
    orders: dict[int, tuple[int, str]] = field(default_factory=dict)
    waiting: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # the log is written with one write() per line, after the commit returned
    def log(self, fd: int, **record: Any) -> None:
        record.update(
            w=self.wid, g=self.generation, t=time.monotonic()
        )  # CLOCK_MONOTONIC: one clock for all processes
        os.write(fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())

    def token(self) -> str:
        self.seq += 1
        return f"T{self.wid}G{self.generation}N{self.seq}"

    def run(self) -> None:
        from shiftdesk.db import Actor, make_engine

        engine = make_engine(self.url)
        actor = Actor(name=f"torture{self.wid}", id=self.info["operators"][self.wid])
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        ops, weights = list(MIX), list(MIX.values())
        try:
            self.log(fd, op="start")
            while not self.stop.is_set():
                if self.seq % 15 == 0:
                    self.refresh(engine)
                op = self.rng.choices(ops, weights)[0]
                try:
                    getattr(self, f"do_{op}")(engine, actor, fd)
                except Exception as exc:  # classify: an expected refusal or a real error
                    self.failed(fd, op, exc)
        finally:
            os.close(fd)
            engine.dispose()

    def failed(self, fd: int, op: str, exc: Exception) -> None:
        from shiftdesk.db import is_locked_error
        from shiftdesk.errors import ConflictError, ShiftdeskError

        locked = is_locked_error(exc) or (
            exc.__cause__ is not None and is_locked_error(exc.__cause__)
        )
        if isinstance(exc, ConflictError):
            self.log(fd, op="conflict", what=op)
        elif isinstance(exc, ShiftdeskError) and not locked:
            # another terminal got there first (illegal transition now, item already left)
            self.log(fd, op="refused", what=op, kind=type(exc).__name__)
        elif locked:
            self.log(fd, op="error", what=op, locked=True, detail=str(exc)[:300])
        else:
            self.log(
                fd,
                op="error",
                what=op,
                locked=False,
                detail="".join(traceback.format_exception_only(exc))[:500],
            )

    def refresh(self, engine: Any) -> None:
        """What this terminal's screens show: open orders (with the version it read) and
        waiting parcels, from every terminal."""
        from sqlmodel import col, select

        from shiftdesk.db import read_session
        from shiftdesk.models import Parcel, WorkOrder

        site_id = self.info["site_id"]
        with read_session(engine) as session:
            rows = session.exec(
                select(WorkOrder.id, WorkOrder.version, WorkOrder.stage)
                .where(
                    WorkOrder.site_id == site_id,
                    col(WorkOrder.stage).in_(["reported", "dispatched", "accepted", "arrived"]),
                )
                .order_by(col(WorkOrder.id).desc())
                .limit(60)
            ).all()
            self.orders = {int(i): (int(v), str(s)) for i, v, s in rows}
            self.waiting = [
                int(i)
                for i in session.exec(
                    select(Parcel.id)
                    .where(Parcel.site_id == site_id, Parcel.status == "waiting")
                    .order_by(col(Parcel.id).desc())
                    .limit(60)
                ).all()
            ]

    def _resident(self) -> tuple[int, str, int]:
        unit_id, code, resident_id = self.rng.choice(self.info["residents"])
        return int(unit_id), str(code), int(resident_id)

    # ---------------------------------------------------------------- the operations

    def do_call(self, engine: Any, actor: Any, fd: int) -> None:
        from shiftdesk.calls import CallInput, log_call
        from shiftdesk.db import transact

        unit_id, _code, resident_id = self._resident()
        token = self.token()
        data = CallInput(
            channel=self.rng.choice(["phone", "walk_in", "intercom"]),
            category=self.rng.choice(["inquiry", "suggestion", "help"]),
            summary=f"{token} 询问物业费缴纳时间 😀",
            caller_name="张先生",
            unit_id=unit_id,
            resident_id=resident_id,
        )
        settings = _settings()
        logged = transact(
            engine, lambda s: log_call(s, self.info["site_id"], data, settings), actor=actor
        )
        self.log(fd, op="call", id=logged.call.id, token=token)

    def do_repair(self, engine: Any, actor: Any, fd: int) -> None:
        from shiftdesk.calls import CallInput, RepairInput, log_call
        from shiftdesk.db import transact

        unit_id, _code, resident_id = self._resident()
        token = self.token()
        data = CallInput(
            channel="phone",
            category="repair",
            summary=f"{token} 厨房水管漏水",
            caller_name="李女士",
            unit_id=unit_id,
            resident_id=resident_id,
            repair=RepairInput(
                trade=self.rng.choice(["plumbing", "electrical", "doors_locks"]),
                priority=self.rng.choice(["normal", "normal", "urgent"]),
            ),
        )
        settings = _settings()
        logged = transact(
            engine, lambda s: log_call(s, self.info["site_id"], data, settings), actor=actor
        )
        order = logged.work_order
        assert order is not None and order.id is not None
        self.orders[order.id] = (order.version, order.stage)
        self.log(fd, op="repair", id=logged.call.id, order=order.id, token=token)

    def do_transition(self, engine: Any, actor: Any, fd: int) -> None:
        from shiftdesk import workorders as wo
        from shiftdesk.db import transact

        if not self.orders:
            return self.do_repair(engine, actor, fd)
        # the newest orders: the ones two terminals are most likely to touch at once
        order_id = self.rng.choice(sorted(self.orders, reverse=True)[:8])
        version, stage = self.orders[order_id]
        settings = _settings()
        site_id = self.info["site_id"]
        kw: dict[str, Any] = {"site_id": site_id, "expected_version": version}
        step = {
            "reported": lambda s: wo.dispatch(s, order_id, team="engineering", **kw),
            "dispatched": lambda s: wo.accept(s, order_id, assignee="刘师傅", **kw),
            "accepted": lambda s: wo.arrive(s, order_id, **kw),
            "arrived": lambda s: wo.complete(s, order_id, result="已修复", settings=settings, **kw),
        }.get(stage)
        if step is None:
            self.orders.pop(order_id, None)
            return None
        try:
            order = transact(engine, step, actor=actor)
        except Exception:
            self.orders.pop(order_id, None)  # read it again at the next refresh
            raise
        if order.stage in ("reported", "dispatched", "accepted", "arrived"):
            self.orders[order_id] = (order.version, order.stage)
        else:
            self.orders.pop(order_id, None)
        self.log(fd, op="transition", order=order_id, version=order.version, stage=order.stage)
        return None

    def do_checkin(self, engine: Any, actor: Any, fd: int) -> None:
        from shiftdesk.db import transact
        from shiftdesk.parcels import CheckInRequest, check_in

        _unit_id, code, resident_id = self._resident()
        tracking = "SF" + self.token().replace("T", "9").replace("G", "0").replace("N", "0")
        req = CheckInRequest(
            tracking=tracking,
            unit=code,
            resident_id=resident_id,
            shelf=self.rng.choice(["A", "B", "C"]),
        )
        settings = _settings()
        result = transact(
            engine, lambda s: check_in(s, settings, self.info["site_id"], req), actor=actor
        )
        self.waiting.append(int(result.parcel.id))
        self.log(fd, op="checkin", id=result.parcel.id, tracking=result.parcel.tracking)

    def do_pickup(self, engine: Any, actor: Any, fd: int) -> None:
        from shiftdesk.db import transact
        from shiftdesk.parcels import Pickup, release

        if not self.waiting:
            return self.do_checkin(engine, actor, fd)
        parcel_id = self.waiting.pop(self.rng.randrange(len(self.waiting)))
        settings = _settings()
        pickup = Pickup(by="self", id_type="id_card", id_last4=f"{self.rng.randrange(10**4):04d}")
        transact(
            engine,
            lambda s: release(s, settings, self.info["site_id"], [parcel_id], pickup),
            actor=actor,
        )
        self.log(fd, op="pickup", id=parcel_id)
        return None

    def do_entry(self, engine: Any, actor: Any, fd: int) -> None:
        from shiftdesk.db import transact
        from shiftdesk.handover import add_entry, get_shift

        token = self.token()
        kind = self.rng.choice(["note", "note", "event"])

        def write(session: Any) -> Any:
            shift = get_shift(session, self.info["shift_id"])
            return add_entry(
                session,
                shift,
                author=actor,
                kind=kind,
                body=f"{token} 巡查大堂，一切正常",
                category="owner_complaint" if kind == "event" else "",
            )

        entry = transact(engine, write, actor=actor)
        self.log(fd, op="entry", id=entry.id, token=token)


def _writer_main(
    url: str,
    wid: int,
    generation: int,
    info: dict[str, Any],
    log_path: str,
    stop: Any,
    seed: int,
) -> None:
    Writer(url, wid, generation, info, Path(log_path), stop, seed).run()


# ------------------------------------------------------------------------------- reading logs


def read_logs(paths: list[Path]) -> list[dict[str, Any]]:
    """Every complete line; a line cut short by SIGKILL (no newline) is not an acknowledgement."""
    records = []
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_bytes().split(b"\n"):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


ACKED = ("call", "repair", "transition", "checkin", "pickup", "entry")


def verify(
    url: str, records: list[dict[str, Any]], *, before: float | None = None
) -> dict[str, Any]:
    """Check the acknowledged writes (those acknowledged before ``before``, if given)."""
    from sqlmodel import select

    from shiftdesk import chain, migrate
    from shiftdesk.db import is_sqlite, make_engine, read_session
    from shiftdesk.models import AuditEvent, Call, HandoverEntry, Parcel, WorkOrder

    engine = make_engine(url, create_dir=False)
    problems: list[str] = []
    acks = [r for r in records if r.get("op") in ACKED and (before is None or r["t"] < before)]
    try:
        migrate.ensure_current(engine)  # the database opens and its schema is this program's
        integrity = "n/a"
        if is_sqlite(engine):
            with engine.connect() as conn:
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            integrity = "ok" if rows == ["ok"] else "; ".join(map(str, rows[:5]))
            if integrity != "ok":
                problems.append(f"integrity_check: {integrity}")
        with read_session(engine) as session:
            calls: dict[str, list[int]] = defaultdict(list)
            for cid, summary in session.exec(select(Call.id, Call.summary)).all():
                calls[summary.split(" ", 1)[0]].append(int(cid))
            orders_by_call: dict[int, list[int]] = defaultdict(list)
            for oid, call_id in session.exec(select(WorkOrder.id, WorkOrder.call_id)).all():
                if call_id is not None:
                    orders_by_call[int(call_id)].append(int(oid))
            parcels: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for pid, tracking, status in session.exec(
                select(Parcel.id, Parcel.tracking, Parcel.status)
            ).all():
                parcels[tracking].append((int(pid), str(status)))
            status_of = {pid: st for rows in parcels.values() for pid, st in rows}
            entries: dict[str, list[int]] = defaultdict(list)
            for eid, body in session.exec(select(HandoverEntry.id, HandoverEntry.body)).all():
                entries[(body or "").split(" ", 1)[0]].append(int(eid))
            versions: Counter[tuple[int, int]] = Counter()
            stage_at: dict[tuple[int, int], str] = {}
            pickups: Counter[int] = Counter()
            for entity, eid, after in session.exec(
                select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.after).where(
                    AuditEvent.action == "update",
                    AuditEvent.entity.in_(["work_order", "parcel"]),  # type: ignore[attr-defined]
                )
            ).all():
                data = json.loads(after or "{}")
                if entity == "work_order" and "version" in data:
                    versions[(int(eid), int(data["version"]))] += 1
                    stage_at[(int(eid), int(data["version"]))] = data.get("stage", "")
                elif entity == "parcel" and data.get("status") == "picked_up":
                    pickups[int(eid)] += 1
        for r in acks:
            op = r["op"]
            if op in ("call", "repair"):
                found = calls.get(r["token"], [])
                if found != [r["id"]]:
                    problems.append(f"{op} {r['token']}: acknowledged as {r['id']}, found {found}")
                elif op == "repair" and orders_by_call.get(r["id"]) != [r["order"]]:
                    problems.append(f"repair {r['token']}: order {r['order']} not exactly once")
            elif op == "transition":
                key = (r["order"], r["version"])
                if versions[key] != 1 or stage_at.get(key) != r["stage"]:
                    problems.append(
                        f"order {key[0]} v{key[1]} ({r['stage']}): "
                        f"found {versions[key]} time(s) ({stage_at.get(key)})"
                    )
            elif op == "checkin":
                found_p = [pid for pid, _ in parcels.get(r["tracking"], [])]
                if found_p != [r["id"]]:
                    problems.append(
                        f"parcel {r['tracking']}: acknowledged {r['id']}, found {found_p}"
                    )
            elif op == "pickup":
                if status_of.get(r["id"]) != "picked_up" or pickups[r["id"]] != 1:
                    problems.append(
                        f"pickup of parcel {r['id']}: status {status_of.get(r['id'])}, "
                        f"{pickups[r['id']]} release(s)"
                    )
            elif op == "entry":
                found_e = entries.get(r["token"], [])
                if found_e != [r["id"]]:
                    problems.append(f"entry {r['token']}: acknowledged {r['id']}, found {found_e}")
        lost = len(problems) - (integrity not in ("ok", "n/a"))
        report = chain.verify(engine)
        if not report.ok:
            problems.append(f"hash chain: {report.first.as_dict() if report.first else '?'}")
        chain_entries = sum(s.entries for s in report.sites)
    finally:
        engine.dispose()
    return {
        "checked": len(acks),
        "lost_or_duplicated": lost,
        "integrity": integrity,
        "chain_ok": report.ok,
        "chain_entries": chain_entries,
        "problems": problems[:20],
    }


# ------------------------------------------------------------------------------- the run


class _Backup:
    """``shiftdesk db backup`` as an administrator would run it, while the writers write."""

    def __init__(self, url: str, target: Path, workdir: Path) -> None:
        config = workdir / "backup-config.toml"
        config.write_text('locale = "en"\n', encoding="utf-8")
        self.target = target
        self.started = time.monotonic()
        self.finished: float | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shiftdesk", "--db", url, "db", "backup", str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, "SHIFTDESK_CONFIG": str(config)},
        )

    def poll(self) -> None:
        """Note when the command finished (the writers are still writing then)."""
        if self.finished is None and self.proc.poll() is not None:
            self.finished = time.monotonic()

    def finish(self) -> dict[str, Any]:
        output, _ = self.proc.communicate(timeout=300)
        self.poll()
        assert self.finished is not None
        return {
            "seconds": round(self.finished - self.started, 2),
            "exit_code": self.proc.returncode,
            "output": (output or "").strip()[-300:],
            "mode": oct(self.target.stat().st_mode & 0o777) if self.target.exists() else None,
        }


def run(
    url: str,
    *,
    procs: int,
    seconds: float,
    kills: int = 0,
    backup: bool = False,
    workdir: Path,
    seed: int = 1,
) -> dict[str, Any]:
    # import the services once, here: forked writers (and restarted ones) start writing at once
    import shiftdesk.calls
    import shiftdesk.handover
    import shiftdesk.parcels
    import shiftdesk.workorders  # noqa: F401
    from shiftdesk.db import is_sqlite, make_engine

    engine = make_engine(url)
    sqlite = is_sqlite(engine)
    engine.dispose()
    t_setup = time.monotonic()
    info = setup(url, procs)
    setup_seconds = time.monotonic() - t_setup
    ctx = mp.get_context("fork")  # the parent has imported everything: a writer starts in ms
    rng = random.Random(seed)
    logs = [workdir / f"writer{wid}.log" for wid in range(procs)]
    for path in logs:
        path.unlink(missing_ok=True)
    started = time.monotonic()
    deadline = started + seconds
    # writers run until told: a kill scheduled near the end never finds one already gone
    stop = ctx.Event()
    generation = [0] * procs

    def spawn(wid: int) -> Any:
        generation[wid] += 1
        proc = ctx.Process(
            target=_writer_main,
            args=(url, wid, generation[wid], info, str(logs[wid]), stop, rng.randrange(2**31)),
            daemon=True,
        )
        proc.start()
        return proc

    workers = [spawn(wid) for wid in range(procs)]
    kill_points = 0
    dead: list[int | None] = []  # exit codes of writers that ended by themselves (a crash)
    backup_job: _Backup | None = None
    backup_report: dict[str, Any] | None = None
    backup_path = workdir / "backup.db"
    backup_path.unlink(missing_ok=True)
    backup_at = started + seconds * 0.4 if backup and sqlite else None
    # with kills: spread them over the run, at random moments, at random writers
    kill_times = sorted(started + rng.uniform(0.05, 0.95) * seconds for _ in range(kills))
    while time.monotonic() < deadline or kill_times:
        if backup_job is not None:
            backup_job.poll()
        if backup_at is not None and time.monotonic() >= backup_at:
            backup_at = None
            backup_job = _Backup(url, backup_path, workdir)
        if kill_times and time.monotonic() >= kill_times[0]:
            kill_times.pop(0)
            wid = rng.randrange(procs)
            proc = workers[wid]
            if proc.is_alive():
                proc.kill()  # SIGKILL: no cleanup, no rollback, no flush
                proc.join()
                kill_points += 1
            else:
                dead.append(proc.exitcode)
            workers[wid] = spawn(wid)
            continue
        time.sleep(0.005 if kill_times else 0.05)
    stop.set()
    elapsed = time.monotonic() - started
    if backup_job is not None:
        backup_report = backup_job.finish()
    for proc in workers:
        proc.join(timeout=120)
        if proc.is_alive():
            proc.kill()
            proc.join()
    records = read_logs(logs)
    counts = Counter(r.get("op") for r in records)
    errors = [r for r in records if r.get("op") == "error"]
    result = verify(url, records)
    report: dict[str, Any] = {
        "backend": "sqlite" if sqlite else "postgresql",
        "processes": procs,
        "seconds": round(elapsed, 1),
        "setup_seconds": round(setup_seconds, 1),
        "operations": sum(counts[op] for op in ACKED),
        "by_operation": {op: counts[op] for op in ACKED},
        "conflicts": counts["conflict"],
        "refused": counts["refused"],
        "errors": len(errors),
        "locked_errors": sum(1 for r in errors if r.get("locked")),
        "error_samples": [r.get("detail") for r in errors[:5]],
        "kill_points": kill_points,
        "writers_ended_early": dead,
        "writer_starts": counts["start"],
        **{
            k: result[k]
            for k in (
                "checked",
                "lost_or_duplicated",
                "integrity",
                "chain_ok",
                "chain_entries",
                "problems",
            )
        },
    }
    if backup_report is not None:
        assert backup_job is not None
        opened = verify(f"sqlite:///{backup_path}", records, before=backup_job.started)
        # the writers were not held up: saves acknowledged while the backup command ran
        backup_report["writes_meanwhile"] = sum(
            1
            for r in records
            if r.get("op") in ACKED and backup_job.started <= r["t"] <= (backup_job.finished or 0)
        )
        backup_report.update(
            {
                "integrity": opened["integrity"],
                "chain_ok": opened["chain_ok"],
                "acknowledged_before": opened["checked"],
                "missing": opened["lost_or_duplicated"],
                "problems": opened["problems"],
            }
        )
        report["backup"] = backup_report
    report["ok"] = (
        not dead
        and report["errors"] == 0
        and report["lost_or_duplicated"] == 0
        and report["chain_ok"]
        and report["integrity"] in ("ok", "n/a")
        and report["operations"] > 0
        and (kills == 0 or kill_points > 0)
        and (
            backup_report is None
            or (
                backup_report["exit_code"] == 0
                and backup_report["missing"] == 0
                and backup_report["integrity"] == "ok"
                and backup_report["chain_ok"]
            )
        )
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--db", help="an empty database URL (default: a new one for --backend)")
    parser.add_argument("--procs", type=int, help="writer processes (SQLite 4, PostgreSQL 8)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL a writer this many times")
    parser.add_argument("--backup", action="store_true", help="run `shiftdesk db backup` midway")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="logs and the SQLite file (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    procs = args.procs or (4 if args.backend == "sqlite" else 8)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="shiftdesk-torture-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server = None
    url = args.db
    try:
        if url is None and args.backend == "sqlite":
            db = workdir / "torture.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{db}"
        elif url is None:
            from tests import pg

            bindir = pg.find_bindir()
            if bindir is None:
                print(pg.HOW_TO_ENABLE, file=sys.stderr)
                return 2
            server = pg.PgServer(bindir)
            server.start()
            pg.wait_ready(server.url())
            import psycopg

            admin = server.url().replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute('CREATE DATABASE "torture"')
            url = server.url("torture")
        report = run(
            url,
            procs=procs,
            seconds=args.seconds,
            kills=args.kills,
            backup=args.backup,
            workdir=workdir,
            seed=args.seed,
        )
        report["command"] = "python3 scripts/torture.py " + " ".join(argv or sys.argv[1:])
    finally:
        if server is not None:
            server.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
