"""CP-16 / S-7: a major or hot complaint's handling form (one working day) and special report
(a week after completion): their clocks, what each document says, who may send the report,
and the commands. Time is frozen (FROZEN: Sunday 22 Nov 2026, 10:00 in Shanghai)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk import complaint_reports as cr
from shiftdesk import complaints as cp
from shiftdesk.calls import CallInput, log_call
from shiftdesk.cli import app as cli
from shiftdesk.clocks.complaints import report_clocks
from shiftdesk.complaints import ComplaintInput
from shiftdesk.config import Settings
from shiftdesk.db import Actor, read_session, transact
from shiftdesk.errors import PermissionDenied, ValidationError
from shiftdesk.models import Complaint, Notification, Site
from tests.conftest import FROZEN


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def complaint(engine: Engine, settings: Settings, level: str, people: int = 12) -> Complaint:
    with read_session(engine) as s:
        site_id = s.exec(select(Site)).one().id
    data = CallInput(
        channel="phone",
        category="complaint",
        summary="电梯多次困人",
        caller_name="王先生",
        unit_code="1-1-101",
        complaint=ComplaintInput(level=level, complainants=people, department="engineering"),
    )
    logged = transact(engine, lambda s: log_call(s, site_id, data, settings))
    assert logged.complaint is not None
    return logged.complaint


def test_the_form_is_due_in_a_working_day_and_the_report_a_week_after_completion(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    major = complaint(base_engine, settings, "major")  # Sunday 10:00: no working time
    (form,) = report_clocks(major, settings, None)
    # one working day of working time (09:00-18:00, Monday to Friday): Monday 18:00
    assert (form.rule, form.due_at) == ("CP-16", datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    general = complaint(base_engine, settings, "general", people=1)
    assert report_clocks(general, settings, None) == []
    with pytest.raises(ValidationError, match="neither major nor hot"):
        transact(base_engine, lambda s: cr.send_form(s, settings, general.id))  # type: ignore[arg-type]

    settings.notifications.manager_urls = ["json://127.0.0.1:9/never"]
    report, text = transact(base_engine, lambda s: cr.send_form(s, settings, major.id))  # type: ignore[arg-type]
    assert report.form_sent_at == FROZEN
    assert "电梯多次困人" in text and "12" in text and "engineering" in text
    with read_session(base_engine) as s:
        queued = s.exec(select(Notification)).one()
    assert (queued.kind, queued.title) == (
        "report",
        f"Complaint handling form, complaint {major.id}",
    )

    frozen.shift(timedelta(days=2))
    resolved = transact(
        base_engine,
        lambda s: cp.mark(s, major.id, "resolved", settings=settings),  # type: ignore[arg-type]
    )
    with read_session(base_engine) as s:
        row = cr.report_for(s, resolved)
    form, special = report_clocks(resolved, settings, row)
    assert form.state(FROZEN + timedelta(days=2)).value == "met"
    assert special.due_at == FROZEN + timedelta(days=9)


def test_the_special_report_needs_every_part_a_resolution_and_a_supervisor(
    base_engine: Engine, settings: Settings, frozen: time_machine.Traveller
) -> None:
    major = complaint(base_engine, settings, "major")
    cid = major.id
    assert cid is not None
    clerk = Actor(name="wangfang", id=None, role="operator")
    boss = Actor(name="chenjing", id=None, role="supervisor")
    transact(base_engine, lambda s: cr.write_report(s, cid, cause="worn brake"), actor=clerk)
    with pytest.raises(ValidationError, match="not resolved yet"):
        transact(base_engine, lambda s: cr.send_report(s, settings, cid), actor=boss)
    transact(base_engine, lambda s: cp.mark(s, cid, "resolved", settings=settings))
    with pytest.raises(ValidationError, match="Handling and result, Lessons learned"):
        transact(base_engine, lambda s: cr.send_report(s, settings, cid), actor=boss)
    parts = {"handling": "brake replaced, lift inspected", "lessons": "monthly checks",
             "actions": "weekly brake inspection"}  # fmt: skip
    transact(base_engine, lambda s: cr.write_report(s, cid, **parts), actor=clerk)
    with pytest.raises(PermissionDenied):
        transact(base_engine, lambda s: cr.send_report(s, settings, cid), actor=clerk)
    report, text = transact(base_engine, lambda s: cr.send_report(s, settings, cid), actor=boss)
    assert report.report_sent_at == FROZEN
    assert text.index("worn brake") < text.index("brake replaced") < text.index("weekly brake")


def test_the_commands(base_engine: Engine, settings: Settings, frozen: object) -> None:
    major = complaint(base_engine, settings, "major")
    url = base_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--db", url, "--operator", "chenjing", *args])
        assert result.exit_code == code, result.output
        return result.output

    listed = json.loads(run("complaints", "reports", "--format", "json"))
    assert [(r["id"], r["clock"], r["state"]) for r in listed] == [(major.id, "form", "running")]
    form = run("complaints", "form", str(major.id))
    assert "# Complaint handling form" in form and "recorded as sent" in form
    assert "No complaint 999" in run("complaints", "form", "999", code=2)
    run("complaints", "report", str(major.id), "--cause", "c", "--handling", "h")
    unresolved = run("complaints", "report", str(major.id), "--send", "--pin", "8888", code=2)
    assert "not resolved yet" in unresolved
    run("complaints", "mark", str(major.id), "resolved")
    refused = run("complaints", "report", str(major.id), "--send", "--pin", "8888", code=2)
    assert "still needs: Lessons learned, Corrective actions" in refused
    sent = run(
        "complaints", "report", str(major.id), "--lessons", "l", "--actions", "a", "--send",
        "--pin", "8888",
    )  # fmt: skip
    assert "# Special report" in sent and "recorded as sent" in sent
    done = json.loads(run("complaints", "reports", "--format", "json"))
    assert {r["clock"]: r["state"] for r in done} == {"form": "met", "special_report": "met"}
