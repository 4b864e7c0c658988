"""Notifications reach a real local receiver; failures retry with backoff; P-8 and P-13.

Receivers: an HTTP server on 127.0.0.1 (Apprise ``json://``) and an aiosmtpd SMTP server
(Apprise ``mailto://``). Every assertion is on what arrived there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk import notify, parcels
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.models import Notification, Parcel
from tests.parcels_helpers import (
    Estate,
    HttpReceiver,
    SmtpReceiver,
    make_estate,
)

# the receivers' fixtures (http_receiver, smtp_receiver)

#: Monday 23 Nov 2026, 14:02 in Shanghai
AFTERNOON = datetime(2026, 11, 23, 6, 2, tzinfo=UTC)


@pytest.fixture
def estate(engine: Engine, settings: Settings) -> Estate:
    """The estate on both backends (for what depends on storage: claims, retries)."""
    return make_estate(engine, settings)


@pytest.fixture
def lite(sqlite_engine: Engine, settings: Settings) -> Estate:
    """The estate on SQLite only (message content and timing rules)."""
    return make_estate(sqlite_engine, settings)


def check_in(
    engine: Engine,
    settings: Settings,
    estate: Estate,
    tracking: str = "SF1234567890123",
    unit: str = "1-1-101",
    now: datetime = AFTERNOON,
    **kw: object,
) -> parcels.CheckInResult:
    req = parcels.CheckInRequest(tracking=tracking, unit=unit, **kw)  # type: ignore[arg-type]
    return transact(
        engine,
        lambda s: parcels.check_in(s, settings, estate.site_id, req, now=now),
        actor=estate.wangfang,
    )


def statuses(engine: Engine) -> list[tuple[str, int, str]]:
    with read_session(engine) as s:
        rows = s.exec(select(Notification).order_by(Notification.id)).all()  # type: ignore[arg-type]
        return [(n.status, n.attempts, n.kind) for n in rows]


def test_checkin_notification_arrives_over_json_in_chinese(
    engine: Engine, settings: Settings, estate: Estate, http_receiver: HttpReceiver
) -> None:
    settings.locale = "zh_CN"
    settings.parcels.desk_hours = "08:30-20:00"
    settings.notifications.urls = [http_receiver.url()]
    result = check_in(engine, settings, estate, shelf="C", pieces=2)
    assert result.recipient == "张伟"  # the owner comes before the tenant
    assert http_receiver.received == []  # queued in the transaction, not sent in it

    report = notify.deliver_due(engine, settings, now=AFTERNOON)

    assert report.sent == 1
    (msg,) = http_receiver.received
    assert msg["title"] == "Demo Garden：您有包裹待领取"
    body = msg["message"]
    for part in (
        "张伟",
        "1-1-101",
        "顺丰速运",
        "SF1234567890123",
        "C 号货架",
        "共 2 件",
        "08:30-20:00",
    ):
        assert part in body
    assert statuses(engine) == [("sent", 1, "checkin")]


def test_checkin_notification_arrives_by_email(
    sqlite_engine: Engine, settings: Settings, lite: Estate, smtp_receiver: SmtpReceiver
) -> None:
    settings.notifications.urls = [smtp_receiver.url("zhangwei@example.com")]
    check_in(sqlite_engine, settings, lite, tracking="EA123456785CN")
    notify.deliver_due(sqlite_engine, settings, now=AFTERNOON)

    (mail,) = smtp_receiver.messages
    assert mail["To"] == "zhangwei@example.com"
    assert mail["Subject"] == "Demo Garden: EMS waiting at the front desk"
    text = smtp_receiver.text(mail)
    assert "Dear 张伟 (1-1-101)" in text
    assert "EMS, EMS, EA123456785CN" in text
    assert "Shelf: A" in text and "09:00-18:00" in text


def test_phone_placeholder_reaches_an_sms_gateway(
    sqlite_engine: Engine, settings: Settings, lite: Estate, http_receiver: HttpReceiver
) -> None:
    settings.notifications.urls = [http_receiver.url("sms", "?:to={phone}")]
    check_in(sqlite_engine, settings, lite)
    notify.deliver_due(sqlite_engine, settings, now=AFTERNOON)
    assert http_receiver.paths == ["/sms"]
    assert http_receiver.received[0]["to"] == "13800138000"
    with read_session(sqlite_engine) as s:
        row = s.exec(select(Notification)).one()
    assert "{phone}" not in row.channel and row.address == "13800138000"


def test_failure_is_recorded_retried_with_backoff_and_never_lost(
    engine: Engine, settings: Settings, estate: Estate, http_receiver: HttpReceiver
) -> None:
    settings.notifications.urls = [http_receiver.url()]
    settings.notifications.retry_base_seconds = 30
    check_in(engine, settings, estate)
    http_receiver.fail_next = 2

    first = notify.deliver_due(engine, settings, now=AFTERNOON)
    assert (first.sent, first.failed) == (0, 1)
    with read_session(engine) as s:
        row = s.exec(select(Notification)).one()
        assert row.status == "failed" and row.attempts == 1 and row.error
        assert row.not_before == AFTERNOON + timedelta(seconds=30)
        assert notify.outbox_counts(s, estate.site_id)["failed"] == 1
        listed = parcels.list_parcels(s, settings, estate.site_id, now=AFTERNOON)
        assert listed[0].notice == "failed"  # the operator sees it

    # not yet due: nothing is tried
    assert (
        notify.deliver_due(engine, settings, now=AFTERNOON + timedelta(seconds=29)).attempted == 0
    )
    # second failure doubles the wait (30 s, then 60 s)
    second = notify.deliver_due(engine, settings, now=AFTERNOON + timedelta(seconds=30))
    assert second.failed == 1
    with read_session(engine) as s:
        row = s.exec(select(Notification)).one()
        assert row.not_before == AFTERNOON + timedelta(seconds=90)
    assert (
        notify.deliver_due(engine, settings, now=AFTERNOON + timedelta(seconds=89)).attempted == 0
    )
    third = notify.deliver_due(engine, settings, now=AFTERNOON + timedelta(seconds=90))
    assert third.sent == 1
    assert len(http_receiver.received) == 1
    assert statuses(engine) == [("sent", 3, "checkin")]


def test_gives_up_visibly_after_max_attempts_and_can_be_requeued(
    engine: Engine, settings: Settings, estate: Estate, http_receiver: HttpReceiver
) -> None:
    settings.notifications.urls = [http_receiver.url()]
    settings.notifications.retry_max_attempts = 2
    check_in(engine, settings, estate)
    http_receiver.fail_next = 5
    notify.deliver_due(engine, settings, now=AFTERNOON)
    report = notify.deliver_due(engine, settings, now=AFTERNOON + timedelta(hours=1))
    assert report.gave_up == 1
    assert statuses(engine) == [("gave_up", 2, "checkin")]
    assert notify.deliver_due(engine, settings, now=AFTERNOON + timedelta(days=1)).attempted == 0

    http_receiver.fail_next = 0
    later = AFTERNOON + timedelta(days=1)
    assert transact(engine, lambda s: notify.requeue(s, estate.site_id, now=later)) == 1
    # Requeued messages are due at the requeue's clock, not before it.
    assert notify.deliver_due(engine, settings, now=later - timedelta(minutes=1)).attempted == 0
    notify.deliver_due(engine, settings, now=later)
    assert len(http_receiver.received) == 1
    assert statuses(engine)[0][0] == "sent"


def test_unreachable_receiver_is_a_failure_not_a_crash(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    from tests.parcels_helpers import free_port

    settings.notifications.urls = [f"json://127.0.0.1:{free_port()}/nobody"]
    check_in(sqlite_engine, settings, lite)
    report = notify.deliver_due(sqlite_engine, settings, now=AFTERNOON)
    assert report.failed == 1
    assert "127.0.0.1" in report.errors[0]


def test_do_not_notify_is_honoured_and_recorded(
    engine: Engine, settings: Settings, estate: Estate, http_receiver: HttpReceiver
) -> None:
    """P-8: nothing reaches the resident; the register says why."""
    settings.notifications.urls = [http_receiver.url()]
    result = check_in(engine, settings, estate, unit=estate.unit_dnd)
    assert result.suppressed and result.notifications == []
    notify.deliver_due(engine, settings, now=AFTERNOON)
    assert http_receiver.received == []
    with read_session(engine) as s:
        row = s.exec(select(Notification)).one()
        parcel = s.exec(select(Parcel)).one()
    assert row.status == "suppressed" and row.kind == "checkin"
    assert row.note == "on a trip until the 30th, will collect"
    assert "王芳芳" in row.body  # the message that would have gone
    assert parcel.notify_suppressed


def test_do_not_notify_can_be_set_and_cleared(
    sqlite_engine: Engine, settings: Settings, lite: Estate, http_receiver: HttpReceiver
) -> None:
    settings.notifications.urls = [http_receiver.url()]
    with read_session(sqlite_engine) as s:
        _, resident = parcels.resolve_recipient(s, lite.site_id, unit=lite.unit_dnd)
    assert resident.id is not None
    rid = resident.id
    transact(sqlite_engine, lambda s: parcels.set_do_not_notify(s, rid, on=False))
    check_in(sqlite_engine, settings, lite, unit=lite.unit_dnd)
    notify.deliver_due(sqlite_engine, settings, now=AFTERNOON)
    assert len(http_receiver.received) == 1


@pytest.mark.parametrize(
    ("local_hhmm", "sent_at_once"),
    [("21:29", True), ("21:30", False), ("23:59", False), ("07:59", False), ("08:00", True)],
)
def test_quiet_hours_boundaries(
    sqlite_engine: Engine,
    settings: Settings,
    lite: Estate,
    http_receiver: HttpReceiver,
    local_hhmm: str,
    sent_at_once: bool,
) -> None:
    """P-13: nothing between 21:30 and 08:00 (site time); 21:29 goes, 21:30 waits."""
    import time_machine

    settings.notifications.urls = [http_receiver.url()]
    hh, mm = map(int, local_hhmm.split(":"))
    # Shanghai is UTC+8: 2026-11-23 hh:mm local
    moment = datetime(2026, 11, 23, hh, mm, tzinfo=UTC) - timedelta(hours=8)
    with time_machine.travel(moment, tick=False):
        check_in(sqlite_engine, settings, lite, now=moment)
        notify.deliver_due(sqlite_engine, settings)
    assert (len(http_receiver.received) == 1) is sent_at_once


def test_quiet_hours_hold_messages_until_the_morning(
    sqlite_engine: Engine, settings: Settings, lite: Estate, http_receiver: HttpReceiver
) -> None:
    import time_machine

    settings.notifications.urls = [http_receiver.url()]
    evening = datetime(2026, 11, 23, 14, 45, tzinfo=UTC)  # 22:45 in Shanghai
    morning = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 next day
    with time_machine.travel(evening, tick=False):
        check_in(sqlite_engine, settings, lite, now=evening)
        notify.deliver_due(sqlite_engine, settings)
    with read_session(sqlite_engine) as s:
        assert s.exec(select(Notification)).one().not_before == morning
    with time_machine.travel(morning - timedelta(minutes=1), tick=False):
        assert notify.deliver_due(sqlite_engine, settings).attempted == 0
    with time_machine.travel(morning, tick=False):
        assert notify.deliver_due(sqlite_engine, settings).sent == 1
    assert len(http_receiver.received) == 1


def test_a_retry_that_falls_due_at_night_waits_too(
    sqlite_engine: Engine, settings: Settings, lite: Estate, http_receiver: HttpReceiver
) -> None:
    settings.notifications.urls = [http_receiver.url()]
    settings.notifications.retry_base_seconds = 600
    late = datetime(2026, 11, 23, 13, 25, tzinfo=UTC)  # 21:25: allowed, but fails
    check_in(sqlite_engine, settings, lite, now=late)
    http_receiver.fail_next = 1
    notify.deliver_due(sqlite_engine, settings, now=late)
    with read_session(sqlite_engine) as s:
        # 21:35 would be the retry, inside quiet hours: moved to 08:00
        assert s.exec(select(Notification)).one().not_before == datetime(
            2026, 11, 24, 0, 0, tzinfo=UTC
        )


def test_manager_reports_ignore_quiet_hours(
    sqlite_engine: Engine, settings: Settings, lite: Estate, http_receiver: HttpReceiver
) -> None:
    """The API other areas use: a report to managers at 23:00 goes at once."""
    settings.notifications.manager_urls = [http_receiver.url("managers")]
    night = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    transact(
        sqlite_engine,
        lambda s: notify.enqueue(
            s,
            settings,
            site_id=lite.site_id,
            kind="report",
            title="Daily figures",
            body="12 orders, 11 completed",
            urls=settings.notifications.manager_urls,
            now=night,
        ),
    )
    assert notify.deliver_due(sqlite_engine, settings, now=night).sent == 1
    assert http_receiver.received[0]["message"] == "12 orders, 11 completed"
    assert http_receiver.paths == ["/managers"]


def test_a_claimed_message_is_not_sent_twice(
    engine: Engine, settings: Settings, estate: Estate, http_receiver: HttpReceiver
) -> None:
    """Two terminals delivering at once: the conditional claim gives each message to one."""
    settings.notifications.urls = [http_receiver.url()]
    check_in(engine, settings, estate)
    claimed = transact(engine, lambda s: notify._claim(s, settings, AFTERNOON, None, 10))
    assert len(claimed) == 1
    assert notify.deliver_due(engine, settings, now=AFTERNOON).attempted == 0
    # the claimer died: after the lease another sender takes it
    later = AFTERNOON + notify.LEASE + timedelta(seconds=1)
    assert notify.deliver_due(engine, settings, now=later).sent == 1
    assert len(http_receiver.received) == 1


def test_a_channel_removed_from_config_fails_visibly(
    sqlite_engine: Engine, settings: Settings, lite: Estate, http_receiver: HttpReceiver
) -> None:
    settings.notifications.urls = [http_receiver.url()]
    check_in(sqlite_engine, settings, lite)
    settings.notifications.urls = []
    report = notify.deliver_due(sqlite_engine, settings, now=AFTERNOON)
    assert report.failed == 1 and "no longer" in report.errors[0]


def test_no_channel_configured_queues_nothing(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    result = check_in(sqlite_engine, settings, lite)
    assert result.notifications == [] and not result.suppressed
    assert statuses(sqlite_engine) == []


def test_send_now_and_redaction(http_receiver: HttpReceiver) -> None:
    result = notify.send_now([http_receiver.url()], "Test", "hello from the desk")
    assert (result.sent, result.failed) == (1, 0)
    assert http_receiver.received[0]["title"] == "Test"
    shown = notify.redact("mailto://desk:s3cret@mail.example.com?to=a@example.com")
    assert "s3cret" not in shown and "mail.example.com" in shown
