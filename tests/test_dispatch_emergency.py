"""R-14 beyond the terminals: an emergency order goes out through ``emergency_urls``.

Receivers are real (an HTTP server on 127.0.0.1, Apprise ``json://``); every assertion is on
what arrived there or what the outbox holds. Night-time on purpose: an emergency is a
manager kind and is never held back by the residents' quiet hours (P-13).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk import notify
from shiftdesk.calls import CallInput, RepairInput, log_call
from shiftdesk.cli import app as cli
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.models import Notification, Site, WorkOrder
from tests.parcels_helpers import HttpReceiver
from tests.pilot import build_app, settle, sign_in, type_text

#: Sunday 22 Nov 2026, 23:30 in Shanghai: the residents' quiet hours
NIGHT = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)


@pytest.fixture
def night() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


def outbox(engine: Engine) -> list[Notification]:
    with read_session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]


def repair(engine: Engine, settings: Settings, priority: str) -> WorkOrder:
    with read_session(engine) as session:
        site = session.exec(select(Site)).one()
    assert site.id is not None
    site_id = site.id
    data = CallInput(
        channel="phone",
        category="repair",
        summary="水管爆裂跑水",
        caller_name="张先生",
        unit_code="1-1-101",
        repair=RepairInput(trade="plumbing", priority=priority),
    )
    logged = transact(engine, lambda s: log_call(s, site_id, data, settings))
    assert logged.work_order is not None
    return logged.work_order


def test_an_emergency_is_queued_with_the_order_and_sent_at_night(
    base_engine: Engine, settings: Settings, http_receiver: HttpReceiver, night: object
) -> None:
    settings.notifications.emergency_urls = [http_receiver.url()]
    order = repair(base_engine, settings, "emergency")
    (queued,) = outbox(base_engine)
    assert (queued.kind, queued.status) == ("alarm", "pending")
    assert queued.not_before == NIGHT  # not held for the morning
    assert http_receiver.received == []  # queued in the save's transaction, sent after it

    report = notify.deliver_due(base_engine, settings)

    assert report.sent == 1
    (message,) = http_receiver.received
    assert f"order {order.id}, 1-1-101" in message["title"]
    assert "水管爆裂跑水" in message["message"] and "within 5 minutes" in message["message"]


def test_nothing_leaves_for_other_priorities_or_without_urls(
    base_engine: Engine, settings: Settings, http_receiver: HttpReceiver, night: object
) -> None:
    repair(base_engine, settings, "emergency")  # no emergency_urls configured
    settings.notifications.emergency_urls = [http_receiver.url()]
    repair(base_engine, settings, "urgent")
    repair(base_engine, settings, "normal")
    assert outbox(base_engine) == []


def test_the_cli_sends_it_and_keeps_a_failure_for_retry(
    base_engine: Engine, http_receiver: HttpReceiver, night: object
) -> None:
    url = base_engine.url.render_as_string(hide_password=False)
    env = {"SHIFTDESK_NOTIFICATIONS__EMERGENCY_URLS": json.dumps([http_receiver.url()])}
    args = ["--db", url, "calls", "log", "--channel", "phone", "--category", "repair"]
    args += ["--unit", "1-1-101", "--summary", "跑水", "--trade", "plumbing"]
    args += ["--priority", "emergency", "--format", "json"]

    sent = CliRunner().invoke(cli, args, env=env)

    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["alarm"] == {"sent": 1, "failed": 0}
    assert len(http_receiver.received) == 1

    http_receiver.fail_next = 1
    failed = CliRunner().invoke(cli, args, env=env)
    assert failed.exit_code == 0, failed.output  # the order is saved whatever the network
    assert json.loads(failed.output)["alarm"] == {"sent": 0, "failed": 1}
    assert [n.status for n in outbox(base_engine)] == ["sent", "failed"]


async def test_the_call_form_sends_it_in_the_background(
    base_engine: Engine, settings: Settings, http_receiver: HttpReceiver, night: object
) -> None:
    settings.notifications.emergency_urls = [http_receiver.url()]
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        await pilot.press("p", "r")
        await type_text(pilot, "burst pipe")
        await pilot.press("tab")
        await type_text(pilot, "1-1-101")
        await pilot.press("enter")
        await settle(pilot)
        screen.query_one("#trade").focus()
        await pilot.press("1", "e")  # plumbing, emergency
        await pilot.press("ctrl+s")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        (message,) = http_receiver.received
        assert "burst pipe" in message["message"]
        assert [n.status for n in outbox(base_engine)] == ["sent"]
        assert any("sent out to 1 channel" in str(n.message) for n in app._notifications)


def test_the_demos_made_up_emergencies_are_never_sent(
    sqlite_engine: Engine, settings: Settings, http_receiver: HttpReceiver
) -> None:
    """A site with real channels that loads the demo queues nothing for them."""
    from shiftdesk.demo import load_demo

    settings.notifications.emergency_urls = [http_receiver.url()]
    settings.notifications.manager_urls = [http_receiver.url()]
    load_demo(sqlite_engine, settings)
    with read_session(sqlite_engine) as s:
        emergencies = s.exec(select(WorkOrder).where(WorkOrder.priority == "emergency")).all()
    assert emergencies  # the demo has some, and none of them was queued
    assert [n for n in outbox(sqlite_engine) if n.kind == "alarm"] == []
    assert settings.notifications.emergency_urls == [http_receiver.url()]  # left as it was
