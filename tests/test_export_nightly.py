"""scripts/nightly.sh end to end, in a temporary directory, as cron would run it.

It runs ``stats nightly``, ``export archive --since-last`` and ``export verify``, logs each
step, and exits 0 when all succeed, 2 on a usage/config error, 1 on any other failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from shiftdesk.archive import verify_archive

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "nightly.sh"

# A stand-in for the shiftdesk command that can pretend to lack `stats` or to fail in it.
FAKE = """#!/usr/bin/env bash
if [[ "$1" == "stats" && "${FAKE_STATS:-}" == "missing" ]]; then
    echo "shiftdesk: There is no command 'stats'. (Help: shiftdesk -h.)" >&2
    exit 2
fi
if [[ "$1" == "stats" && "${FAKE_STATS:-}" == "fail" && "$*" != *--help* ]]; then
    echo "shiftdesk: could not send the report" >&2
    exit 1
fi
exec "%s" -m shiftdesk "$@"
"""


@pytest.fixture
def job(base_engine: Engine, tmp_path: Path) -> dict[str, str]:
    """The environment a cron line would give the script: config, database, folders."""
    config = tmp_path / "config.toml"
    config.write_text('locale = "en"\n', encoding="utf-8")
    fake = tmp_path / "fake-shiftdesk"
    fake.write_text(FAKE % sys.executable, encoding="utf-8")
    fake.chmod(0o755)
    # SHIFTDESK_TEST_* pass: the job's shiftdesk runs on the suite's (possibly moved) clock.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SHIFTDESK_") or k.startswith("SHIFTDESK_TEST_")
    }
    env.update(
        SHIFTDESK_BIN=str(fake),
        SHIFTDESK_CONFIG=str(config),
        SHIFTDESK_DB=base_engine.url.render_as_string(hide_password=False),
        SHIFTDESK_ARCHIVE__OUT_DIR=str(tmp_path / "archives"),
        SHIFTDESK_NIGHTLY_LOG=str(tmp_path / "nightly.log"),
    )
    return env


def run(env: dict[str, str], **extra: str) -> tuple[int, str]:
    proc = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(env["SHIFTDESK_CONFIG"]).parent,
    )
    log = Path(env["SHIFTDESK_NIGHTLY_LOG"]).read_text(encoding="utf-8")
    assert proc.stdout in log  # everything printed is in the log file too
    return proc.returncode, log


def test_nightly_job_reports_archives_and_verifies(job: dict[str, str]) -> None:
    code, log = run(job)
    assert code == 0, log
    assert "stats: ok" in log and "Nightly report" in log
    assert "export: ok" in log and "verify: OK " in log and "done (exit 0)" in log
    assert "optimize: statistics refreshed" in log and "optimize: ok" in log  # issue #24
    (archive,) = Path(job["SHIFTDESK_ARCHIVE__OUT_DIR"]).iterdir()
    assert f"export: {archive}" in log
    assert verify_archive(archive).ok
    assert archive.stat().st_mode & 0o777 == 0o600
    assert Path(job["SHIFTDESK_NIGHTLY_LOG"]).stat().st_mode & 0o777 == 0o600

    # the same night again: no new complete day, nothing written, still success
    code, log = run(job)
    assert code == 0, log
    assert log.count("verify: skipped (no new complete day since the last archive)") == 1
    assert len(list(Path(job["SHIFTDESK_ARCHIVE__OUT_DIR"]).iterdir())) == 1


def test_missing_stats_command_is_skipped_with_a_warning(job: dict[str, str]) -> None:
    code, log = run(job, FAKE_STATS="missing")
    assert code == 0, log
    assert "WARNING: this shiftdesk has no 'stats nightly' command; statistics skipped" in log
    assert "verify: ok" in log


def test_a_failing_step_makes_the_job_fail_but_the_others_still_run(
    job: dict[str, str],
) -> None:
    code, log = run(job, FAKE_STATS="fail")
    assert code == 1
    assert "stats: shiftdesk: could not send the report" in log
    assert "stats: FAILED (exit 1)" in log
    assert "verify: ok" in log  # the archive was still written and checked
    assert "done (exit 1)" in log


def test_a_configuration_error_exits_2(job: dict[str, str]) -> None:
    code, log = run(job, SHIFTDESK_ARCHIVE__FORMAT="rar", FAKE_STATS="missing")
    assert code == 2
    assert "export: FAILED (exit 2)" in log and "archive.format" in log
    assert "verify: skipped (no archive was written)" in log


def test_a_complaint_unresolved_for_a_month_is_raised_by_the_job(job: dict[str, str]) -> None:
    """CP-9: a month without a fix makes a complaint major; the job applies it every night."""
    from datetime import timedelta

    from typer.testing import CliRunner

    from shiftdesk.cli import app
    from shiftdesk.timeutil import utcnow

    at = (utcnow() - timedelta(days=40)).isoformat(timespec="minutes")
    logged = CliRunner().invoke(
        app,
        [
            *("--db", job["SHIFTDESK_DB"], "--operator", "wangfang", "calls", "log"),
            *("--channel", "phone", "--category", "complaint", "--name", "王先生"),
            *("--unit", "1-1-101", "--summary", "楼道灯不亮", "--at", at, "--format", "json"),
        ],
    )
    assert logged.exit_code == 0, logged.output
    cid = json.loads(logged.output)["complaint_id"]
    code, log = run(job)
    assert code == 0, log
    assert f"escalate: Complaint {cid} raised to major" in log
    assert "escalate: ok" in log
    # the next night has nothing left to raise
    code, log = run(job)
    assert log.count(f"Complaint {cid} raised") == 1
