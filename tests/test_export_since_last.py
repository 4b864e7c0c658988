"""``--since-last`` over consecutive nights, and ``--keep-days`` retention.

The nightly job archives every complete day since the previous since-last archive (the
database remembers where it ended): no day is missed, none archived twice, a night the
job did not run is caught up by the next, and a record entered late for an archived day
still reaches an archive. Retention deletes old archive files, nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk import archive
from shiftdesk.cli import app
from shiftdesk.db import Actor, transact
from shiftdesk.models import Call
from tests.export_helpers import add_activity, base_site, column, members

runner = CliRunner()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 given in Shanghai time (UTC+8)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def site(engine: Engine) -> Engine:
    base_site(engine)
    return engine


def nightly(engine: Engine, out: Path, at: datetime, *extra: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    with time_machine.travel(at, tick=False):
        result = runner.invoke(
            app,
            ["--db", url, "export", "archive", "--since-last", "--out", str(out), "-q", *extra],
        )
    assert result.exit_code == 0, result.output
    return result.output.strip()


def call_tags(path: Path) -> set[str]:
    return {s.rsplit(" ", 1)[-1] for s in column(members(path), "call", "summary")}


def test_three_nights_never_miss_or_repeat_a_day(site: Engine, tmp_path: Path) -> None:
    out = tmp_path / "archives"
    add_activity(site, local(22, 11), n=2, tag="d22-")

    first = Path(nightly(site, out, local(23, 2)))
    assert first.name == "shiftdesk-DEMO-start_2026-11-22.tar.gz"
    assert call_tags(first) == {"d22-0", "d22-1"}

    add_activity(site, local(23, 15), n=2, tag="d23-")
    add_activity(site, local(23, 22, 30), n=1, tag="d23late-")
    second = Path(nightly(site, out, local(24, 2)))
    assert second.name == "shiftdesk-DEMO-2026-11-23.tar.gz"
    assert call_tags(second) == {"d23-0", "d23-1", "d23late-0"}

    # run again the same night: nothing new, no file
    assert nightly(site, out, local(24, 3)) == ""
    assert sorted(p.name for p in out.iterdir()) == sorted([first.name, second.name])

    # a call received on the 23rd but only entered on the 24th (C-7 late entry)
    def _late(session):  # type: ignore[no-untyped-def]
        session.add(
            Call(
                site_id=1,
                received_at=local(23, 9),
                channel="walk_in",
                category="inquiry",
                summary="entered late lateentry-0",
                late_entry=True,
            )
        )

    with time_machine.travel(local(24, 8), tick=False):
        transact(site, _late, actor=Actor(name="wangfang"))
    add_activity(site, local(24, 9), n=1, tag="d24-")
    add_activity(site, local(25, 20), n=2, tag="d25-")
    # no run in the night of the 25th; the next one catches up both days
    third = Path(nightly(site, out, local(26, 2, 30)))
    assert third.name == "shiftdesk-DEMO-2026-11-24_2026-11-25.tar.gz"
    assert call_tags(third) == {"lateentry-0", "d24-0", "d25-0", "d25-1"}

    # every call is in exactly one archive as a record of its day
    all_tags = [call_tags(p) for p in (first, second, third)]
    assert sum(len(t) for t in all_tags) == len(set().union(*all_tags)) == 9
    for path in (first, second, third):
        assert archive.verify_archive(path).ok
    periods = [json.loads(members(p)["manifest.json"])["period"] for p in (second, third)]
    assert periods[0]["until"] == periods[1]["from"]  # contiguous: no gap, no overlap
    assert periods[1] == {
        "mode": "since_last",
        "first_day": "2026-11-24",
        "last_day": "2026-11-25",
        "from": "2026-11-23T16:00:00.000000+00:00",
        "until": "2026-11-25T16:00:00.000000+00:00",
        "timezone": "Asia/Shanghai",
    }


def test_ad_hoc_archives_do_not_move_the_nightly_cursor(
    base_engine: Engine, tmp_path: Path
) -> None:
    url = base_engine.url.render_as_string(hide_password=False)
    add_activity(base_engine, local(22, 11), n=1, tag="a")
    nightly(base_engine, tmp_path, local(23, 2))
    with time_machine.travel(local(24, 10), tick=False):
        adhoc = runner.invoke(
            app, ["--db", url, "export", "archive", "--date", "2026-11-23", "--out", str(tmp_path)]
        )
    assert adhoc.exit_code == 0, adhoc.output
    second = Path(nightly(base_engine, tmp_path, local(25, 2)))
    assert second.name == "shiftdesk-DEMO-2026-11-23_2026-11-24.tar.gz"


def test_first_run_can_start_at_a_given_day(base_engine: Engine, tmp_path: Path) -> None:
    add_activity(base_engine, local(20, 11), n=1, tag="old")
    add_activity(base_engine, local(22, 11), n=1, tag="new")
    first = Path(nightly(base_engine, tmp_path, local(23, 2), "--from", "2026-11-22"))
    assert first.name == "shiftdesk-DEMO-2026-11-22.tar.gz"
    assert call_tags(first) == {"new0"}


# --------------------------------------------------------------------------- retention


def test_keep_days_prunes_old_archives_and_nothing_else(
    base_engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "archives"
    out.mkdir()
    old = [
        "shiftdesk-DEMO-2026-11-01.tar.gz",
        "shiftdesk-DEMO-2026-10-01_2026-10-31.zip",
        "shiftdesk-OTHER-all-2026-11-20.tar.gz",
        "shiftdesk-DEMO-start_2026-11-21.tar.gz",
    ]
    kept = [
        "shiftdesk-DEMO-2026-11-22.tar.gz",  # last day within 3 days of the 25th
        "notes.txt",
        "shiftdesk-DEMO-2026-11-01.tar.gz.sha256",
        "backup-2026-01-01.tar.gz",
    ]
    for name in old + kept:
        (out / name).write_text("x")
    (out / "shiftdesk-DEMO-2026-10-02.tar.gz").symlink_to(out / "notes.txt")
    (out / "shiftdesk-DEMO-2026-10-03.zip").mkdir()
    add_activity(base_engine, local(22, 11), n=1)
    path = Path(nightly(base_engine, out, local(25, 2), "--keep-days", "3"))
    remaining = sorted(p.name for p in out.iterdir())
    assert remaining == sorted(
        [*kept, path.name, "shiftdesk-DEMO-2026-10-02.tar.gz", "shiftdesk-DEMO-2026-10-03.zip"]
    )


def test_keep_days_from_config_and_on_a_night_with_nothing_new(
    base_engine: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "archives"
    config = tmp_path / "config.toml"
    config.write_text(f'[archive]\nkeep_days = 2\nout_dir = "{out}"\n', encoding="utf-8")
    url = base_engine.url.render_as_string(hide_password=False)
    args = ["--db", url, "--config", str(config), "export", "archive", "--since-last", "-q"]
    with time_machine.travel(local(23, 2), tick=False):
        first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert Path(first.output.strip()).parent == out
    with time_machine.travel(local(26, 2), tick=False):
        second = runner.invoke(app, args)  # covers the 23rd-25th
    with time_machine.travel(local(26, 5), tick=False):
        nothing = runner.invoke(app, args)
    assert second.exit_code == nothing.exit_code == 0
    assert nothing.output == ""
    # the first archive (last day the 22nd) is older than 2 days on the 26th
    assert sorted(p.name for p in out.iterdir()) == ["shiftdesk-DEMO-2026-11-23_2026-11-25.tar.gz"]
