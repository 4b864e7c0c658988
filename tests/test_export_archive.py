"""Archives are deterministic, complete and verifiable (issue 8).

Same data and arguments: the same bytes. ``export verify`` checks every hash, size and row
count; a changed byte or a removed file fails with exit 1 and names the file.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk import archive
from shiftdesk.cli import app
from tests.conftest import FROZEN
from tests.export_helpers import (
    TZ,
    add_activity,
    column,
    counts,
    csv_text,
    export,
    members,
    repack,
)

runner = CliRunner()
YESTERDAY = FROZEN - timedelta(days=1)  # Saturday 21 Nov 2026, 10:00 in Shanghai


def _db(engine: Engine) -> list[str]:
    return ["--db", engine.url.render_as_string(hide_password=False)]


@pytest.fixture
def busy(base_engine: Engine) -> Engine:
    """The base site with two days of calls, orders, parcels and log lines."""
    add_activity(base_engine, YESTERDAY, n=4, tag="a")
    add_activity(base_engine, FROZEN, n=3, tag="b")
    return base_engine


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_same_data_and_arguments_give_identical_bytes(
    busy: Engine, tmp_path: Path, fmt: str
) -> None:
    args = [*_db(busy), "export", "archive", "--date", "2026-11-21", "--format", fmt, "-q"]
    with time_machine.travel(FROZEN, tick=False):
        first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    # a day later, another folder, and the first export's own audit event in the database
    with time_machine.travel(FROZEN + timedelta(days=1, hours=5), tick=False):
        second = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    a, b = Path(first.output.strip()), Path(second.output.strip())
    assert a.name == b.name == f"shiftdesk-DEMO-2026-11-21.{fmt}"
    assert a.read_bytes() == b.read_bytes()


def test_full_archive_is_identical_when_nothing_changed(busy: Engine, tmp_path: Path) -> None:
    one = export(busy, tmp_path / "one")
    two = export(busy, tmp_path / "two", today=date(2027, 1, 1))
    assert one.path.read_bytes() == two.path.read_bytes()
    assert one.sha256 == two.sha256


def test_layout_manifest_and_fixed_metadata(busy: Engine, tmp_path: Path) -> None:
    result = export(busy, tmp_path, csv_bom=True)
    contents = members(result.path)
    names = list(contents)
    tables = [t.name for t in archive.tables()]
    assert names == (
        ["manifest.json", "SHA256SUMS"]
        + [f"jsonl/{t}.jsonl" for t in tables]
        + [f"csv/{t}.csv" for t in tables]
    )
    # parents before children: a restore can insert in archive order
    assert tables.index("site") < tables.index("unit") < tables.index("resident")
    assert tables.index("resident") < tables.index("call") < tables.index("work_order")
    manifest = json.loads(contents["manifest.json"])
    assert manifest["format"] == "shiftdesk-archive" and manifest["schema_version"] == "0001"
    assert manifest["site"] == {"code": "DEMO", "name": "Demo Garden", "timezone": TZ}
    assert manifest["period"]["mode"] == "all"
    in_db = counts(busy)
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == in_db
    for entry in manifest["tables"]:
        assert json.loads(contents[entry["jsonl"]].splitlines()[0]) == entry["columns"]
    sums = contents["SHA256SUMS"].decode().splitlines()
    assert sums[0].endswith("  manifest.json") and len(sums) == 1 + 2 * len(tables)
    # CSV for spreadsheets: BOM on request, quoting of commas, quotes and newlines
    text = contents["csv/call.csv"]
    assert text.startswith("\ufeff".encode())
    assert '"卫生间漏水, ""急"" 请联系 139****5678\n第二行' in csv_text(text)
    assert column(contents, "call", "summary")[0].startswith(
        '卫生间漏水, "急" 请联系 139****5678\n'
    )
    assert column(contents, "call", "received_at")[0] == "2026-11-21T02:00:00.000000+00:00"
    assert column(contents, "call", "night")[:2] == [False, True]
    with tarfile.open(result.path, "r:gz") as tar:
        for info in tar.getmembers():
            assert (info.mode, info.mtime, info.uid, info.uname) == (0o600, 315532800, 0, "")
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert (result.path.parent.stat().st_mode & 0o077) == 0 or result.path.parent == tmp_path


def test_a_day_holds_that_days_records_and_what_they_refer_to(busy: Engine, tmp_path: Path) -> None:
    day = export(busy, tmp_path, archive.one_day(date(2026, 11, 21), TZ)).path
    contents = members(day)
    summaries = column(contents, "call", "summary")
    assert len(summaries) == 4 and all(s.endswith(f"a{i}") for i, s in enumerate(summaries))
    # the residents, units and operator those calls refer to came along, nothing else
    assert sorted(column(contents, "resident", "id")) == sorted(
        set(column(contents, "call", "resident_id"))
    )
    assert column(contents, "site", "code") == ["DEMO"]
    assert column(contents, "operator", "name") == ["wangfang"]
    referenced_units = set(column(contents, "call", "unit_id")) | set(
        column(contents, "resident", "unit_id")
    )
    assert sorted(column(contents, "unit", "id")) == sorted(referenced_units)
    ats = column(contents, "audit_event", "at")
    assert ats and all(a.startswith("2026-11-21T") for a in ats)
    manifest = json.loads(contents["manifest.json"])
    assert manifest["period"] == {
        "mode": "date",
        "first_day": "2026-11-21",
        "last_day": "2026-11-21",
        "from": "2026-11-20T16:00:00.000000+00:00",
        "until": "2026-11-21T16:00:00.000000+00:00",
        "timezone": TZ,
    }


# ----------------------------------------------------------------------------- verify


@pytest.fixture(params=["tar.gz", "zip"])
def made(request: pytest.FixtureRequest, busy: Engine, tmp_path: Path) -> Path:
    return export(busy, tmp_path / "out", fmt=request.param).path


def _verify(path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["export", "verify", str(path)])
    return result.exit_code, result.output


def test_verify_accepts_an_intact_archive(made: Path) -> None:
    code, out = _verify(made)
    assert code == 0, out
    assert out.startswith("OK ") and "every hash" in out
    as_json = runner.invoke(app, ["export", "verify", str(made), "--format", "json"])
    assert json.loads(as_json.output)["ok"] is True


@pytest.mark.parametrize("member", ["jsonl/resident.jsonl", "csv/call.csv", "manifest.json"])
def test_one_changed_byte_fails_naming_the_file(made: Path, tmp_path: Path, member: str) -> None:
    contents = members(made)
    data = bytearray(contents[member])
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    contents[member] = bytes(data)
    bad = repack(made, tmp_path / f"bad-{made.name}", contents, tmp_path)
    code, out = _verify(bad)
    assert code == 1
    assert f"shiftdesk: {member}: " in out
    assert "FAILED" in out


def test_a_removed_file_fails_naming_it(made: Path, tmp_path: Path) -> None:
    contents = members(made)
    del contents["csv/call.csv"]
    bad = repack(made, tmp_path / f"bad-{made.name}", contents, tmp_path)
    code, out = _verify(bad)
    assert code == 1
    assert "csv/call.csv: listed in the manifest but missing" in out


def test_a_changed_row_count_is_reported(made: Path, tmp_path: Path) -> None:
    contents = members(made)
    manifest = json.loads(contents["manifest.json"])
    for entry in manifest["tables"]:
        if entry["name"] == "call":
            entry["rows"] += 1
    contents["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    bad = repack(made, tmp_path / f"bad-{made.name}", contents, tmp_path)
    code, out = _verify(bad)
    assert code == 1
    assert "jsonl/call.jsonl: holds 7 rows, the manifest says 8" in out
    assert "manifest.json: SHA-256 does not match SHA256SUMS" in out


def test_any_flipped_byte_of_the_file_itself_fails(made: Path, tmp_path: Path) -> None:
    raw = made.read_bytes()
    size = len(raw)
    # the gzip/zip header, the middle of the compressed data, and the trailer
    for offset in (5, size // 3, size // 2, size - 6):
        damaged = bytearray(raw)
        damaged[offset] ^= 0x04
        bad = tmp_path / f"flip-{offset}-{made.name}"
        bad.write_bytes(bytes(damaged))
        code, out = _verify(bad)
        assert code == 1, f"a flipped byte at {offset} of {size} went unnoticed"
        assert "shiftdesk: " in out


def test_zip_damage_names_the_member(busy: Engine, tmp_path: Path) -> None:
    made = export(busy, tmp_path / "out", fmt="zip").path
    with zipfile.ZipFile(made) as zf:
        info = zf.getinfo("jsonl/resident.jsonl")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw = bytearray(made.read_bytes())
    raw[start + info.compress_size // 2] ^= 0xFF
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(raw))
    code, out = _verify(bad)
    assert code == 1
    assert "jsonl/resident.jsonl" in out


def test_verify_usage_errors(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["export", "verify", str(tmp_path / "nope.tar.gz")])
    assert missing.exit_code == 2
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("not an archive")
    code, out = _verify(junk)
    assert code == 1 and "damaged" in out


def test_period_options_are_checked(busy: Engine, tmp_path: Path) -> None:
    base = [*_db(busy), "export", "archive", "--out", str(tmp_path)]
    for extra in (
        ["--date", "2026-11-21", "--from", "2026-11-20", "--to", "2026-11-21"],
        ["--since-last", "--date", "2026-11-21"],
        ["--from", "2026-11-20"],
        ["--from", "2026-11-21", "--to", "2026-11-20"],
        ["--date", "21/11/2026"],
        ["--format", "rar"],
        ["--site", "NOPE"],
    ):
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == 2, (extra, result.output)
    assert not list(tmp_path.glob("shiftdesk-*"))


def test_chinese_messages(busy: Engine, tmp_path: Path) -> None:
    result = runner.invoke(
        app, [*_db(busy), "--locale", "zh_CN", "export", "archive", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "归档文件已写入" in result.output and "已脱敏" in result.output


def test_one_site_of_several_holds_only_its_own_records(busy: Engine, tmp_path: Path) -> None:
    """A PostgreSQL database may hold many sites: ``--site`` archives one, whole."""
    from shiftdesk.db import transact
    from shiftdesk.models import Building, Call, Resident, Site, Unit

    def _east(session):  # type: ignore[no-untyped-def]
        site = Site(code="EAST", name="East Court", timezone=TZ)
        session.add(site)
        session.flush()
        building = Building(site_id=site.id, code="9")
        session.add(building)
        session.flush()
        unit = Unit(site_id=site.id, building_id=building.id, code="9-1-101")
        session.add(unit)
        session.flush()
        resident = Resident(site_id=site.id, unit_id=unit.id, name="东方红", phone="13600000000")
        session.add(resident)
        session.flush()
        session.add(
            Call(
                site_id=site.id,
                received_at=FROZEN,
                channel="phone",
                category="inquiry",
                unit_id=unit.id,
                resident_id=resident.id,
                summary="east",
            )
        )

    transact(busy, _east)
    demo = members(export(busy, tmp_path / "demo").path)
    east = members(
        archive.export_archive(
            busy,
            "EAST",
            archive.everything(TZ),
            archive.ExportOptions(out_dir=tmp_path / "east"),
            today=date(2026, 11, 22),
        ).path
    )
    assert column(demo, "site", "code") == ["DEMO"]
    assert "east" not in column(demo, "call", "summary")
    assert column(east, "site", "code") == ["EAST"]
    assert column(east, "call", "summary") == ["east"]
    assert column(east, "unit", "code") == ["9-1-101"]
    # records of no site (the built-in system operator) belong to every site's archive
    assert "system" in column(east, "operator", "name")
    east_id = column(east, "site", "id")[0]
    assert set(column(east, "audit_event", "site_id")) <= {east_id, None}
