"""The parcel service: check-in, P-1 refusal, duplicates, pickup, return, reminders (P-9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk import parcels
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.models import Notification, Parcel
from tests.parcels_helpers import Estate, make_estate

pytest_plugins = ("tests.parcels_helpers",)

#: Monday 23 Nov 2026, 14:02 in Shanghai
T0 = datetime(2026, 11, 23, 6, 2, tzinfo=UTC)


@pytest.fixture
def estate(engine: Engine, settings: Settings) -> Estate:
    return make_estate(engine, settings)


@pytest.fixture
def lite(sqlite_engine: Engine, settings: Settings) -> Estate:
    return make_estate(sqlite_engine, settings)


def check_in(
    engine: Engine,
    settings: Settings,
    estate: Estate,
    tracking: str = "SF1234567890123",
    unit: str = "1-1-101",
    now: datetime = T0,
    actor: str = "wangfang",
    **kw: object,
) -> parcels.CheckInResult:
    req = parcels.CheckInRequest(tracking=tracking, unit=unit, **kw)  # type: ignore[arg-type]
    return transact(
        engine,
        lambda s: parcels.check_in(s, settings, estate.site_id, req, now=now),
        actor=getattr(estate, actor),
    )


def release(
    engine: Engine,
    settings: Settings,
    estate: Estate,
    ids: list[int],
    pickup: parcels.Pickup,
    now: datetime = T0,
) -> list[Parcel]:
    return transact(
        engine,
        lambda s: parcels.release(s, settings, estate.site_id, ids, pickup, now=now),
        actor=estate.lina,
    )


def parcel(engine: Engine, pid: int) -> Parcel:
    with read_session(engine) as s:
        found = s.get(Parcel, pid)
        assert found is not None
        return found


# ---------------------------------------------------------------------------- check-in


def test_check_in_recognises_carrier_and_defaults_to_the_owner(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    result = check_in(engine, settings, estate, tracking="sf 1234 5678 90123", shelf="b")
    p = result.parcel
    assert (p.tracking, p.carrier, p.kind) == ("SF1234567890123", "sf", "parcel")
    assert p.shelf == "B" and p.pieces == 1 and p.status == "waiting"
    assert result.recipient == "张伟" and p.received_at == T0
    assert p.received_by == estate.wangfang.id


def test_registered_letter_kind_comes_from_the_number(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    p = check_in(sqlite_engine, settings, lite, tracking="RR123456785CN").parcel
    assert (p.carrier, p.kind) == ("china_post", "registered")
    assert parcels.is_urgent(p.kind, p.carrier)  # P-10


@pytest.mark.parametrize(
    ("kind", "carrier", "urgent"),
    [
        ("parcel", "china_post", True),  # the post's parcel (包裹)
        ("parcel", "ems", True),
        ("parcel", "sf", False),  # #17 finding 12: an ordinary courier parcel
        ("parcel", "jd", False),
        ("parcel", None, False),  # the empty form
        ("registered", "china_post", True),
        ("ems", "ems", True),
        ("parcel_slip", None, True),
        ("remittance_slip", "other", True),
        ("document", "sf", False),
    ],
)
def test_p10_urgency_is_the_posts_items(kind: str, carrier: str | None, urgent: bool) -> None:
    assert parcels.is_urgent(kind, carrier) is urgent


def test_recipient_by_name_pinyin_or_initials(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    for n, name in enumerate(("李娜娜", "linana", "lnn")):
        r = check_in(
            sqlite_engine, settings, lite, tracking=f"SF12345678901{n}", recipient_name=name
        )
        assert r.recipient == "李娜娜"


def test_duplicate_tracking_number_names_time_and_operator(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    check_in(engine, settings, estate)
    with pytest.raises(parcels.DuplicateParcel) as err:
        check_in(
            engine,
            settings,
            estate,
            tracking="SF1234567890123",
            actor="lina",
            now=T0 + timedelta(minutes=20),
        )
    assert err.value.message == "SF1234567890123 is already checked in: at 14:02 by 王芳."
    assert err.value.field == "tracking"
    with read_session(engine) as s:
        assert len(s.exec(select(Parcel)).all()) == 1


def test_duplicate_message_in_chinese_names_the_day_when_not_today(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    from shiftdesk.i18n import set_locale

    check_in(sqlite_engine, settings, lite)
    set_locale("zh_CN")
    with pytest.raises(parcels.DuplicateParcel) as err:
        check_in(sqlite_engine, settings, lite, now=T0 + timedelta(days=2))
    assert err.value.message == "单号 SF1234567890123 已登记：11-23 14:02，经办人 王芳。"


def test_non_resident_is_refused_and_the_refusal_recorded(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    """P-1: not a resident -> refused; the record keeps the reason, the count ignores it."""
    with pytest.raises(parcels.NotAResident) as err:
        check_in(engine, settings, estate, recipient_name="赵六")
    assert "赵六 is not a resident of 1-1-101" in err.value.message
    with pytest.raises(parcels.NotAResident):
        check_in(engine, settings, estate, unit=estate.unit_vacant)
    with pytest.raises(parcels.NotAResident):
        check_in(engine, settings, estate, unit="9-9-999")

    req = parcels.CheckInRequest(tracking="SF1234567890123", unit="1-1-101", recipient_name="赵六")
    refused = transact(
        engine,
        lambda s: parcels.refuse(s, settings, estate.site_id, req, "not a resident (P-1)", now=T0),
        actor=estate.wangfang,
    )
    assert refused.status == "refused" and refused.return_reason == "not a resident (P-1)"
    assert refused.returned_by == estate.wangfang.id and refused.recipient_name == "赵六"
    with read_session(engine) as s:
        assert parcels.waiting_by_shelf(s, estate.site_id) == {}
    # the courier may bring it back correctly addressed: a refusal is not a duplicate
    assert check_in(engine, settings, estate).parcel.status == "waiting"


def test_damage_needs_a_note_and_fields_are_checked(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    with pytest.raises(parcels.ValidationError) as err:
        check_in(sqlite_engine, settings, lite, damaged=True)
    assert err.value.field == "damage_note"
    p = check_in(sqlite_engine, settings, lite, damaged=True, damage_note="corner crushed").parcel
    assert p.damaged and p.damage_note == "corner crushed"
    bad: list[tuple[dict[str, object], str]] = [
        ({"tracking": ""}, "tracking"),
        ({"tracking": "SF-12?"}, "tracking"),
        ({"tracking": "YT1234567890123", "shelf": "Z"}, "shelf"),
        ({"tracking": "YT1234567890124", "pieces": 0}, "pieces"),
        ({"tracking": "YT1234567890125", "kind": "piano"}, "kind"),
        ({"tracking": "YT1234567890126", "carrier": "pigeon"}, "carrier"),
    ]
    for fields, field in bad:
        with pytest.raises(parcels.ValidationError) as err:
            check_in(sqlite_engine, settings, lite, **fields)  # type: ignore[arg-type]
        assert err.value.field == field


def test_waiting_by_shelf_for_the_handover(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    """H-12: items waiting at the desk by shelf; collected ones leave the count."""
    ids = [
        check_in(engine, settings, estate, tracking=f"JT000123456789{n}", shelf=shelf).parcel.id
        for n, shelf in enumerate("AABC")
    ]
    with read_session(engine) as s:
        assert parcels.waiting_by_shelf(s, estate.site_id) == {"A": 2, "B": 1, "C": 1}
    assert ids[0] is not None
    release(engine, settings, estate, [ids[0]], parcels.Pickup("self", "id_card", "1234"))
    with read_session(engine) as s:
        assert parcels.waiting_by_shelf(s, estate.site_id) == {"A": 1, "B": 1, "C": 1}


# ---------------------------------------------------------------------------- pickup


def test_pickup_by_self_records_id_type_last4_operator_and_time(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    pid = check_in(engine, settings, estate).parcel.id
    assert pid is not None
    later = T0 + timedelta(hours=3)
    release(engine, settings, estate, [pid], parcels.Pickup("self", "id_card", "123x"), now=later)
    p = parcel(engine, pid)
    assert p.status == "picked_up" and p.picked_up_at == later
    assert (p.pickup_by, p.id_type, p.id_last4) == ("self", "id_card", "123X")
    assert p.released_by == estate.lina.id and p.pickup_note == ""


def test_the_whole_id_number_is_never_accepted(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    pid = check_in(sqlite_engine, settings, lite).parcel.id
    assert pid is not None
    for last4 in ("110101199003071234", "12", ""):
        with pytest.raises(parcels.ValidationError) as err:
            release(sqlite_engine, settings, lite, [pid], parcels.Pickup("self", "id_card", last4))
        assert err.value.field == "id_last4"
    assert parcel(sqlite_engine, pid).status == "waiting"


@pytest.mark.parametrize("last4", ["12345", "S123", "X123", "12X4", "１２３"])
def test_an_id_cards_last_four_must_have_its_shape(
    sqlite_engine: Engine, settings: Settings, lite: Estate, last4: str
) -> None:
    """P-4, issue #17 #1: `12345` or `s123X` typed into the field is refused, never cut."""
    pid = check_in(sqlite_engine, settings, lite).parcel.id
    assert pid is not None
    with pytest.raises(parcels.ValidationError) as err:
        release(sqlite_engine, settings, lite, [pid], parcels.Pickup("self", "id_card", last4))
    assert err.value.field == "id_last4"
    assert parcel(sqlite_engine, pid).status == "waiting"


def test_other_documents_keep_letters_in_their_last_four(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    pid = check_in(sqlite_engine, settings, lite).parcel.id
    assert pid is not None
    release(sqlite_engine, settings, lite, [pid], parcels.Pickup("self", "passport", "e12a"))
    assert parcel(sqlite_engine, pid).id_last4 == "E12A"


def test_proxy_pickup_needs_name_phone_last4_and_states_liability(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    """P-5: a proxy may collect, and the record says the proxy bears full responsibility."""
    pid = check_in(engine, settings, estate).parcel.id
    assert pid is not None
    with pytest.raises(parcels.ValidationError) as err:
        release(engine, settings, estate, [pid], parcels.Pickup("proxy", "id_card", "5678"))
    assert err.value.field == "proxy_name"
    with pytest.raises(parcels.ValidationError) as err:
        release(
            engine,
            settings,
            estate,
            [pid],
            parcels.Pickup("proxy", "id_card", "5678", proxy_name="刘强"),
        )
    assert err.value.field == "proxy_phone"
    release(
        engine,
        settings,
        estate,
        [pid],
        parcels.Pickup("proxy", "passport", "5678", proxy_name="刘强", proxy_phone="139-0013-9001"),
    )
    p = parcel(engine, pid)
    assert (p.pickup_by, p.proxy_name, p.proxy_phone, p.id_last4) == (
        "proxy",
        "刘强",
        "13900139001",
        "5678",
    )
    assert "full responsibility for loss or swapping (P-5)" in p.pickup_note
    assert "刘强" in p.pickup_note


def test_release_twice_is_refused_and_a_batch_is_all_or_nothing(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    first = check_in(engine, settings, estate).parcel.id
    second = check_in(engine, settings, estate, tracking="YT1234567890123").parcel.id
    assert first is not None and second is not None
    me = parcels.Pickup("self", "id_card", "1234")
    release(engine, settings, estate, [first], me, now=T0 + timedelta(minutes=30))
    with pytest.raises(parcels.AlreadyReleased) as err:
        release(engine, settings, estate, [first, second], me, now=T0 + timedelta(hours=1))
    assert err.value.message == (
        "SF1234567890123 has already left the desk: collected at 14:32 by 李娜."
    )
    assert parcel(engine, second).status == "waiting"  # nothing of the batch happened
    assert parcel(engine, first).picked_up_at == T0 + timedelta(minutes=30)


def test_return_to_sender_needs_a_reason_and_ends_the_item(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    pid = check_in(engine, settings, estate).parcel.id
    assert pid is not None

    def ret(reason: str) -> Parcel:
        return transact(
            engine,
            lambda s: parcels.return_to_sender(s, settings, estate.site_id, pid, reason, now=T0),
            actor=estate.wangfang,
        )

    with pytest.raises(parcels.ValidationError):
        ret("  ")
    p = ret("resident moved out, no forwarding address (P-20)")
    assert p.status == "returned" and p.returned_by == estate.wangfang.id
    with pytest.raises(parcels.AlreadyReleased):
        release(engine, settings, estate, [pid], parcels.Pickup("self", "id_card", "1234"))
    with pytest.raises(parcels.AlreadyReleased):
        ret("again")


def test_find_for_pickup_by_scan_unit_name_or_phone(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    a = check_in(sqlite_engine, settings, lite).parcel.id
    b = check_in(
        sqlite_engine, settings, lite, tracking="YT1234567890123", recipient_name="李娜娜"
    ).parcel.id
    check_in(sqlite_engine, settings, lite, tracking="JT0001234567890", unit=lite.unit_dnd)
    with read_session(sqlite_engine) as s:
        rows, selected = parcels.find_for_pickup(s, settings, lite.site_id, "yt1234567890123")
        assert selected == b and {r.id for r in rows} == {a, b}  # the whole unit
        rows, selected = parcels.find_for_pickup(s, settings, lite.site_id, "1-1-101")
        assert selected is None and {r.id for r in rows} == {a, b}
        rows, _ = parcels.find_for_pickup(s, settings, lite.site_id, "张伟")
        assert {r.id for r in rows} == {a, b}
        rows, _ = parcels.find_for_pickup(s, settings, lite.site_id, "137 0013")
        assert [r.unit for r in rows] == ["1-1-102"]


# ---------------------------------------------------------------------------- reminders


def remind(
    engine: Engine, settings: Settings, estate: Estate, now: datetime, dry_run: bool = False
) -> list[parcels.ReminderOutcome]:
    return transact(
        engine,
        lambda s: parcels.send_reminders(s, settings, estate.site_id, now=now, dry_run=dry_run),
    )


def test_reminder_cadence_after_a_week_then_weekly_and_idempotent(
    engine: Engine, settings: Settings, estate: Estate
) -> None:
    """P-9: unclaimed after one week -> remind, then every week; a rerun sends nothing."""
    settings.notifications.urls = ["json://127.0.0.1:9/unused"]
    pid = check_in(engine, settings, estate).parcel.id
    week = timedelta(days=7)
    assert remind(engine, settings, estate, T0 + week - timedelta(seconds=1)) == []
    (first,) = remind(engine, settings, estate, T0 + week)
    assert (first.parcel_id, first.action, first.reminder, first.days) == (pid, "queued", 1, 7)
    assert first.methods == ["json"]
    assert remind(engine, settings, estate, T0 + week) == []  # cron ran twice
    assert remind(engine, settings, estate, T0 + 2 * week - timedelta(minutes=1)) == []
    (second,) = remind(engine, settings, estate, T0 + 2 * week)
    assert second.reminder == 2 and second.days == 14
    with read_session(engine) as s:
        rows = s.exec(
            select(Notification).where(Notification.kind == "reminder").order_by(Notification.id)
        ).all()  # type: ignore[arg-type]
        p = s.get(Parcel, pid)
    assert [r.created_at for r in rows] == [T0 + week, T0 + 2 * week]
    assert all(r.method == "json" for r in rows)  # each attempt: time and method
    assert "waiting 7 days" in rows[0].body
    assert p is not None and p.reminders == 2 and p.last_reminded_at == T0 + 2 * week


def test_reminders_dry_run_suppressed_and_without_channel(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    check_in(sqlite_engine, settings, lite)  # 张伟
    check_in(sqlite_engine, settings, lite, tracking="YT1234567890123", unit=lite.unit_dnd)
    later = T0 + timedelta(days=8)
    dry = remind(sqlite_engine, settings, lite, later, dry_run=True)
    assert [o.action for o in dry] == ["due", "due"]
    # no channel configured: nothing recorded for 张伟, the item stays due for a phone call
    outcomes = {o.unit: o.action for o in remind(sqlite_engine, settings, lite, later)}
    assert outcomes == {"1-1-101": "no_channel", "1-1-102": "suppressed"}
    again = {o.unit: o.action for o in remind(sqlite_engine, settings, lite, later)}
    assert again == {"1-1-101": "no_channel"}
    with read_session(sqlite_engine) as s:
        rows = s.exec(select(Notification).where(Notification.kind == "reminder")).all()
    assert [(r.status, r.note) for r in rows] == [
        ("suppressed", "on a trip until the 30th, will collect")
    ]


def test_a_contact_by_phone_is_recorded_and_restarts_the_clock(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    pid = check_in(sqlite_engine, settings, lite).parcel.id
    assert pid is not None
    day8 = T0 + timedelta(days=8)
    transact(
        sqlite_engine,
        lambda s: parcels.record_contact(
            s, settings, lite.site_id, pid, method="phone", note="will come Saturday", now=day8
        ),
        actor=lite.wangfang,
    )
    with read_session(sqlite_engine) as s:
        row = s.exec(select(Notification)).one()
        listed = parcels.list_parcels(s, settings, lite.site_id, overdue_only=True, now=day8)
    assert (row.method, row.status, row.recorded_by, row.sent_at) == (
        "phone",
        "sent",
        lite.wangfang.id,
        day8,
    )
    assert listed[0].reminders == 1 and listed[0].next_reminder_at == day8 + timedelta(days=7)
    assert remind(sqlite_engine, settings, lite, day8 + timedelta(days=1)) == []


def test_overdue_list_shows_age_oldest_first(
    sqlite_engine: Engine, settings: Settings, lite: Estate
) -> None:
    check_in(sqlite_engine, settings, lite, tracking="YT1234567890123", now=T0)
    check_in(sqlite_engine, settings, lite, tracking="YT1234567890124", now=T0 + timedelta(days=3))
    check_in(sqlite_engine, settings, lite, tracking="YT1234567890125", now=T0 + timedelta(days=9))
    now = T0 + timedelta(days=10, hours=1)
    with read_session(sqlite_engine) as s:
        rows = parcels.list_parcels(s, settings, lite.site_id, overdue_only=True, now=now)
        waiting = parcels.list_parcels(s, settings, lite.site_id, waiting=True, now=now)
    assert [(r.tracking, r.age_days, r.overdue) for r in rows] == [
        ("YT1234567890123", 10, True),
        ("YT1234567890124", 7, True),
    ]
    assert len(waiting) == 3 and not waiting[0].overdue
