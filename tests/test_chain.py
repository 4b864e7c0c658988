"""The duty log's hash chain and ``verify``: one edited field, one deleted row, and more.

Each tamper is done directly in the database (as someone with the file would), and verify
must name the row: site, shift, entry and time.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk import chain, handover
from shiftdesk.cli import app as cli
from shiftdesk.config import Settings
from shiftdesk.db import read_session
from shiftdesk.models import HandoverEntry
from tests.conftest import FROZEN
from tests.handover_support import make_site, on_shift, open_shift


def _log(engine: Engine, settings: Settings) -> tuple[int, int]:
    """A shift with a few notes, an incident and a correction: 6 chained entries."""
    site_id, people = make_site(engine, settings)
    wang = people["wangfang"]
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(engine, settings, site_id, wang)
        assert shift.id is not None

        def write(session, current):  # type: ignore[no-untyped-def]
            first = handover.add_entry(
                session, current, author=wang, kind="note", body="lobby door sticks"
            )
            handover.add_entry(session, current, author=wang, kind="note", body="meter read")
            handover.add_entry(
                session,
                current,
                author=wang,
                kind="incident",
                category="lift_entrapment",
                body="two people in lift 2",
                location="3-1 lift 2",
                actions="engineering called",
                notified="CS supervisor",
            )
            handover.add_entry(
                session,
                current,
                author=wang,
                kind="correction",
                body="it was the lobby of 3-2",
                corrects_id=first.id,
            )
            handover.add_entry(session, current, author=wang, kind="note", body="last one")

        on_shift(engine, shift.id, write, wang)
    return site_id, shift.id


def _entry(engine: Engine, seq: int) -> HandoverEntry:
    with read_session(engine) as session:
        return session.exec(select(HandoverEntry).where(HandoverEntry.seq == seq)).one()


def test_entries_are_chained_in_order(engine: Engine, settings: Settings) -> None:
    _log(engine, settings)
    with read_session(engine) as session:
        entries = session.exec(select(HandoverEntry).order_by(HandoverEntry.seq)).all()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == chain.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert all(chain.entry_hash(e) == e.hash for e in entries)
    report = chain.verify(engine)
    assert report.ok, report.problems
    assert report.sites[0].entries == 6 and report.sites[0].shifts == 1


def test_every_chained_field_changes_the_hash(settings: Settings) -> None:
    entry = HandoverEntry(
        site_id=1,
        seq=7,
        shift_id=2,
        at=FROZEN,
        author_id=3,
        kind="note",
        category="",
        body="正文",
        location="",
        actions="",
        notified="",
        photos="",
        corrects_id=None,
        reply_to_id=None,
        prev_hash=chain.GENESIS,
    )
    original = chain.entry_hash(entry)
    assert original == chain.entry_hash(entry)  # deterministic
    for name in chain.CHAINED_FIELDS:
        value = getattr(entry, name)
        if name == "at":
            setattr(entry, name, FROZEN + timedelta(microseconds=1))
        elif isinstance(value, str):
            setattr(entry, name, value + "x")
        else:
            setattr(entry, name, (value or 0) + 1)
        assert chain.entry_hash(entry) != original, name
        setattr(entry, name, value)


def test_editing_one_field_fails_verify_at_that_row(engine: Engine, settings: Settings) -> None:
    _site_id, shift_id = _log(engine, settings)
    target = _entry(engine, 3)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE handover_entry SET body = 'nothing happened' WHERE id = :id"),
            {"id": target.id},
        )
    report = chain.verify(engine)
    assert not report.ok
    first = report.first
    assert first is not None
    assert (first.code, first.seq, first.entry_id, first.shift_id) == (
        "edited",
        3,
        target.id,
        shift_id,
    )
    assert first.at == FROZEN
    # nothing else is blamed on the chain: the next entry still links the stored hash
    assert [p.code for p in report.problems if p.seq != 3] == []


def test_deleting_a_row_fails_verify_where_it_was(engine: Engine, settings: Settings) -> None:
    _site_id, shift_id = _log(engine, settings)
    gone = _entry(engine, 3)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM handover_entry WHERE id = :id"), {"id": gone.id})
    report = chain.verify(engine)
    assert not report.ok
    codes = {(p.code, p.seq) for p in report.problems}
    assert ("missing", 4) in codes  # the entry after the gap names it
    assert ("deleted", 3) in codes  # the audit trail saw #3 being written
    first = report.first
    assert first is not None and first.seq == 3 and first.shift_id == shift_id


def test_deleting_the_newest_row_is_caught_by_the_audit_trail(
    engine: Engine, settings: Settings
) -> None:
    _log(engine, settings)
    last = _entry(engine, 6)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM handover_entry WHERE id = :id"), {"id": last.id})
    report = chain.verify(engine)
    assert [(p.code, p.seq, p.entry_id) for p in report.problems] == [("deleted", 6, last.id)]


def test_rewriting_an_entry_with_a_fresh_hash_is_caught(
    sqlite_engine: Engine, settings: Settings
) -> None:
    engine = sqlite_engine
    _log(engine, settings)
    target = _entry(engine, 2)
    target.body = "meter not read"
    forged = chain.entry_hash(target)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE handover_entry SET body = :b, hash = :h WHERE id = :id"),
            {"b": target.body, "h": forged, "id": target.id},
        )
    report = chain.verify(engine)
    codes = [(p.code, p.seq) for p in report.problems]
    assert codes[0] == ("rewritten", 2)
    assert ("audit_mismatch", 2) in codes


def test_editing_the_shift_row_is_caught(sqlite_engine: Engine, settings: Settings) -> None:
    engine = sqlite_engine
    _site_id, shift_id = _log(engine, settings)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE shift SET status = 'closed', opened_off_by_minutes = 0 WHERE id = :id"),
            {"id": shift_id},
        )
    report = chain.verify(engine)
    mismatches = sorted(p.detail for p in report.problems if p.code == "shift_mismatch")
    assert mismatches == ["opened_off_by_minutes", "status"]
    assert all(p.shift_id == shift_id for p in report.problems)


def test_integrity_check_on_sqlite_only(engine: Engine, settings: Settings) -> None:
    _log(engine, settings)
    report = chain.verify(engine)
    if engine.dialect.name == "sqlite":
        assert report.integrity == "ok"
    else:
        assert report.integrity is None


def test_two_terminals_appending_at_once_do_not_fork_the_chain(
    engine: Engine, settings: Settings
) -> None:
    site_id, people = make_site(engine, settings)
    shift = open_shift(engine, settings, site_id, people["wangfang"])
    assert shift.id is not None
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(8):
                on_shift(
                    engine,
                    shift.id or 0,
                    lambda s, sh, i=i: handover.add_entry(
                        s, sh, author=people[name], kind="note", body=f"{name} {i}"
                    ),
                    people[name],
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("wangfang", "lina")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    report = chain.verify(engine)
    assert report.ok, report.problems
    assert report.sites[0].entries == 17


def test_verify_command_exit_codes_and_message(sqlite_engine: Engine, settings: Settings) -> None:
    _site_id, shift_id = _log(sqlite_engine, settings)
    url = str(sqlite_engine.url)
    runner = CliRunner()
    ok = runner.invoke(cli, ["--db", url, "verify"])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output and "integrity check: ok" in ok.output
    target = _entry(sqlite_engine, 4)
    with sqlite_engine.begin() as conn:
        conn.execute(
            text("UPDATE handover_entry SET author_id = NULL WHERE id = :id"), {"id": target.id}
        )
    broken = runner.invoke(cli, ["--db", url, "verify"])
    assert broken.exit_code == 1
    first = next(line for line in broken.output.splitlines() if "First broken link" in line)
    assert f"shift #{shift_id}" in first
    assert f"entry #4 (id {target.id})" in first
    assert "2026-11-22 10:00:00" in first  # the entry's time, in site time
    as_json = runner.invoke(cli, ["--db", url, "verify", "--format", "json"])
    assert as_json.exit_code == 1
    assert '"code": "edited"' in as_json.output


@pytest.mark.parametrize("locale", ["zh_CN"])
def test_verify_speaks_chinese(sqlite_engine: Engine, settings: Settings, locale: str) -> None:
    _log(sqlite_engine, settings)
    with sqlite_engine.begin() as conn:
        conn.execute(text("DELETE FROM handover_entry WHERE seq = 6"))
    result = CliRunner().invoke(cli, ["--db", str(sqlite_engine.url), "--locale", locale, "verify"])
    assert result.exit_code == 1
    assert "第一处断点" in result.output and "已被删除" in result.output


def test_verify_checks_every_shift_row_field_it_summarises(
    sqlite_engine: Engine, settings: Settings
) -> None:
    """A shift row whose countersign was forged (no countersign entry) is caught."""
    site_id, people = make_site(sqlite_engine, settings)
    shift = open_shift(sqlite_engine, settings, site_id, people["wangfang"])
    with sqlite_engine.begin() as conn:
        conn.execute(
            text("UPDATE shift SET countersigned_by = :by WHERE id = :id"),
            {"by": people["chenjing"].id, "id": shift.id},
        )
    report = chain.verify(sqlite_engine)
    assert [(p.code, p.detail, p.shift_id) for p in report.problems] == [
        ("shift_mismatch", "countersigned_by", shift.id)
    ]
