"""Several terminals, crashes and an online backup (issue 9), with short settings for CI.

The same harness runs for minutes from ``scripts/torture.py`` (figures in
docs/reliability.md); here a few seconds per backend keep CI fast.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _torture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("torture", ROOT / "scripts" / "torture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["torture"] = module
    spec.loader.exec_module(module)
    return module


def _check(report: dict[str, Any]) -> None:
    assert report["operations"] > 0, report
    assert report["errors"] == 0, report["error_samples"]
    assert report["locked_errors"] == 0
    assert report["lost_or_duplicated"] == 0, report["problems"]
    assert report["checked"] == report["operations"]
    assert report["integrity"] in ("ok", "n/a")
    assert report["chain_ok"], report["problems"]
    assert report["ok"], report


@pytest.mark.slow
def test_four_sqlite_terminals_crashes_and_a_backup(tmp_path: Path) -> None:
    """4 writers on one SQLite file; 20 of them killed with SIGKILL mid-write and restarted;
    `shiftdesk db backup` runs meanwhile. Every acknowledged save is there exactly once, the
    file passes integrity_check, the chain verifies, the 0600 backup opens and holds every
    save acknowledged before it began."""
    torture = _torture()
    url = f"sqlite:///{tmp_path / 'torture.db'}"
    report = torture.run(url, procs=4, seconds=5, kills=20, backup=True, workdir=tmp_path)
    _check(report)
    assert report["writers_ended_early"] == []
    assert report["kill_points"] == 20
    assert report["integrity"] == "ok"
    backup = report["backup"]
    assert backup["exit_code"] == 0, backup["output"]
    assert backup["mode"] == "0o600"
    assert backup["integrity"] == "ok" and backup["chain_ok"]
    assert backup["missing"] == 0, backup["problems"]


@pytest.mark.slow
@pytest.mark.postgres
def test_eight_postgresql_terminals_and_crashes(pg_url: str, tmp_path: Path) -> None:
    torture = _torture()
    report = torture.run(pg_url, procs=8, seconds=4, kills=5, workdir=tmp_path)
    _check(report)
    assert report["processes"] == 8 and report["kill_points"] == 5


def test_a_save_cut_short_by_a_kill_is_not_an_acknowledgement(tmp_path: Path) -> None:
    """The checker reads only whole lines: a line the kill cut in half acknowledges nothing,
    and a write that is acknowledged but missing is reported as lost."""
    torture = _torture()
    log = tmp_path / "w.log"
    log.write_bytes(b'{"op": "call", "id": 1, "token": "T0G1N1", "t": 1}\n{"op": "call", "id": 2, ')
    records = torture.read_logs([log])
    assert [r["id"] for r in records] == [1]
    url = f"sqlite:///{tmp_path / 'x.db'}"
    torture.setup(url, 1)
    result = torture.verify(url, records)
    assert result["lost_or_duplicated"] == 1
    assert "T0G1N1" in result["problems"][0]
