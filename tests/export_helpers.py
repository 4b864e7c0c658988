"""Data and archive helpers for the export tests (tests/test_export_*.py)."""

from __future__ import annotations

import io
import random
import shutil
import tarfile
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from shiftdesk import archive
from shiftdesk.archive.container import write_archive
from shiftdesk.config import Settings, load_settings
from shiftdesk.db import SYSTEM, Actor, transact
from shiftdesk.models import Call, HandoverEntry, Operator, Parcel, Resident, Unit, WorkOrder
from tests.conftest import FROZEN

TZ = "Asia/Shanghai"

#: free text that exercises CSV quoting, JSON escaping and the phone scrubber
TRICKY = '卫生间漏水, "急" 请联系 13912345678\n第二行\t制表符 ✓ — end'


def base_site(engine: Engine, settings: Settings | None = None) -> None:
    """The demo base (site DEMO, units, residents, operators) at the frozen instant."""
    from shiftdesk.demo import base

    with time_machine.travel(FROZEN, tick=False):  # the audit trail's clock too
        base.generate(engine, settings or load_settings(env={}), random.Random(7), FROZEN)


def add_activity(engine: Engine, at: datetime, n: int = 3, *, tag: str = "") -> list[int]:
    """Calls (one per resident), a work order, a parcel and a log line, all at ``at``.

    Written through the ORM, so the audit trail records them as a desk would. Returns the
    new call ids.
    """

    def _add(session: Session) -> list[int]:
        op = session.exec(select(Operator).where(Operator.name == "wangfang")).one()
        residents = list(session.exec(select(Resident).order_by(Resident.id).limit(n)))
        unit = session.get(Unit, residents[0].unit_id)
        assert op.id is not None and unit is not None and unit.id is not None
        calls = []
        for i, res in enumerate(residents):
            call = Call(
                site_id=res.site_id,
                received_at=at + timedelta(minutes=i),
                entered_at=at + timedelta(minutes=i),
                channel="phone",
                category="repair" if i % 2 == 0 else "inquiry",
                caller_name=res.name,
                caller_phone=res.phone,
                unit_id=res.unit_id,
                resident_id=res.id,
                summary=f"{TRICKY} {tag}{i}",
                night=i % 2 == 1,
                operator_id=op.id,
            )
            session.add(call)
            calls.append(call)
        session.flush()
        session.add(
            WorkOrder(
                site_id=unit.site_id,
                call_id=calls[0].id,
                unit_id=unit.id,
                trade="plumbing",
                summary=TRICKY,
                reporter_name=residents[0].name,
                reporter_phone=residents[0].phone,
                reported_at=at,
                dispatched_at=at + timedelta(minutes=2),
                reported_by=op.id,
            )
        )
        session.add(
            Parcel(
                site_id=unit.site_id,
                tracking=f"SF{int(at.timestamp())}{tag}",
                unit_id=unit.id,
                resident_id=residents[0].id,
                recipient_name=residents[0].name,
                received_at=at,
                received_by=op.id,
                pickup_by="proxy",
                proxy_name="李四",
                proxy_phone="13700001111",
                id_last4="123X",
                picked_up_at=at + timedelta(hours=1),
            )
        )
        # the duty log: a line, correcting the previous line if there is one (a row that
        # refers to another row of its own table)
        last = session.exec(select(HandoverEntry).order_by(HandoverEntry.seq.desc())).first()  # type: ignore[attr-defined]
        session.add(
            HandoverEntry(
                site_id=unit.site_id,
                seq=(last.seq + 1) if last else 1,
                at=at,
                author_id=op.id,
                kind="correction" if last else "note",
                corrects_id=last.id if last else None,
                body=f"{TRICKY}",
            )
        )
        session.flush()
        return [c.id for c in calls if c.id is not None]

    # entered as it happens: the audit trail's clock reads ``at`` too
    with time_machine.travel(at, tick=False):
        return transact(engine, _add, actor=Actor(name="wangfang", role="operator"))


def export(
    engine: Engine,
    out: Path,
    period: archive.Period | None = None,
    *,
    fmt: str = "tar.gz",
    include_pii: bool = False,
    csv_bom: bool = False,
    today: date = date(2026, 11, 22),
) -> archive.ExportResult:
    return archive.export_archive(
        engine,
        "DEMO",
        period or archive.everything(TZ),
        archive.ExportOptions(out_dir=out, fmt=fmt, include_pii=include_pii, csv_bom=csv_bom),
        today=today,
        actor=SYSTEM,  # personal data leaves only for a manager or admin
    )


def members(path: Path) -> dict[str, bytes]:
    """Every member's bytes, in archive order (dicts keep insertion order)."""
    out: dict[str, bytes] = {}
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                out[info.filename] = zf.read(info)
        return out
    with tarfile.open(path, "r:gz") as tar:
        for info in tar.getmembers():
            fh = tar.extractfile(info)
            assert fh is not None
            out[info.name] = fh.read()
    return out


def repack(path: Path, target: Path, contents: dict[str, bytes], tmp: Path) -> Path:
    """Write ``contents`` as an archive the way shiftdesk does (to tamper with one member)."""
    stage = tmp / "repack"
    shutil.rmtree(stage, ignore_errors=True)
    listed = []
    for name, data in contents.items():
        file = stage / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
        listed.append((name, file))
    write_archive(target, listed, "zip" if path.name.endswith(".zip") else "tar.gz", 6)
    return target


def jsonl_rows(data: bytes) -> list[list[Any]]:
    import json

    lines = data.decode("utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def column(contents: dict[str, bytes], table: str, name: str) -> list[Any]:
    import json

    lines = contents[f"jsonl/{table}.jsonl"].decode("utf-8").splitlines()
    header = json.loads(lines[0])
    i = header.index(name)
    return [json.loads(line)[i] for line in lines[1:]]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(sa_select(func.count()).select_from(t)).scalar_one())
            for t in archive.tables()
        }


def csv_text(data: bytes) -> str:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="").read()
