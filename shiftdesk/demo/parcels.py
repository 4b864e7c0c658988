"""Demo parcels: a week and a half at the desk, as the F4 screen should look in use.

Most items were collected (a few by proxy, P-5), today's are waiting on the shelves, a few
have waited more than a week and were reminded (P-9), one went back to the sender
(P-20), one was refused at the door (P-1), one arrived damaged (P-2), and one resident
asked not to be notified (P-8). The demo has no notification channel configured, so the
desk "phoned": check-in contacts are recorded as phone calls by the operator on duty.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlmodel import Session

from shiftdesk.carriers import s10_check_digit
from shiftdesk.db import transact
from shiftdesk.demo import DemoContext
from shiftdesk.models import Notification, NotificationStatus, Parcel, ParcelStatus, Resident
from shiftdesk.parcels import Pickup, proxy_liability
from shiftdesk.timeutil import to_local, zone

DAYS = 10
PER_DAY = (12, 22)
CARRIER_WEIGHTS = {
    "sf": 20,
    "jd": 18,
    "zto": 14,
    "yto": 12,
    "sto": 8,
    "yunda": 10,
    "jt": 8,
    "ems": 5,
    "china_post": 3,
    "dhl": 1,
    "fedex": 1,
}
OPERATORS = ("wangfang", "lina", "zhaolei")
PROXIES = ("刘强", "陈晓", "黄丽", "周杰")
DND_NOTE = "出差到月底，回来自取，不用通知"


def tracking_number(rng: random.Random, carrier: str) -> tuple[str, str]:
    """A plausible number in the carrier's format, and the item kind it implies."""
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    if carrier == "sf":
        return "SF" + digits(13), "parcel"
    if carrier == "jd":
        return "JDV" + rng.choice("ABCDE") + digits(11), "parcel"
    if carrier == "zto":
        return "75" + digits(12), "parcel"
    if carrier == "yto":
        return "YT" + digits(13), "parcel"
    if carrier == "sto":
        return "77" + digits(13), "parcel"
    if carrier == "yunda":
        return "43" + digits(11), "parcel"
    if carrier == "jt":
        return "JT" + digits(13), "parcel"
    if carrier == "dhl":
        body = digits(9)
        return body + str(int(body) % 7), "document"
    if carrier == "fedex":
        body = "8" + digits(10)
        total = sum(int(d) * (1, 3, 7)[i % 3] for i, d in enumerate(body[::-1]))
        return body + str(total % 11 % 10), "parcel"
    serial = digits(8)
    check = s10_check_digit(serial)
    if carrier == "ems":
        return f"E{rng.choice('ABCMZ')}{serial}{check}CN", "ems"
    kind = rng.choice(("registered", "registered", "parcel_slip", "remittance_slip"))
    prefix = "R" if kind == "registered" else "C"
    return f"{prefix}{rng.choice('ABR')}{serial}{check}CN", kind


def generate(ctx: DemoContext) -> None:
    rng = ctx.rng
    site_id = ctx.site.id
    assert site_id is not None
    tz = zone(ctx.settings.site.timezone)
    shelves = ctx.settings.parcels.shelves or ["A"]
    today = to_local(ctx.now, tz).date()
    by_unit: dict[int, list[Resident]] = {}
    for r in ctx.residents:
        by_unit.setdefault(r.unit_id, []).append(r)
    unit_codes = {u.id: u.code for u in ctx.units}
    occupied = [uid for uid in by_unit if uid in unit_codes]
    carriers = list(CARRIER_WEIGHTS)
    weights = list(CARRIER_WEIGHTS.values())
    ops = {name: ctx.operators[name].id for name in OPERATORS if name in ctx.operators}
    op_ids = list(ops.values())
    remind_after = ctx.settings.parcels.remind_after_days
    dnd = rng.choice(ctx.residents)  # P-8: "I'll collect when back from my trip"
    seen: set[str] = set()
    items: list[tuple[Parcel, list[Notification]]] = []

    def new_tracking(carrier: str) -> tuple[str, str]:
        while True:
            number, kind = tracking_number(rng, carrier)
            if number not in seen:
                seen.add(number)
                return number, kind

    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        count = rng.randint(*PER_DAY) if back else rng.randint(5, 9)
        for _ in range(count):
            minute = rng.randint(9 * 60, 19 * 60)
            received = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
            if received >= ctx.now:
                received = ctx.now - timedelta(minutes=rng.randint(5, 90))
            unit_id = rng.choice(occupied)
            resident = by_unit[unit_id][0] if rng.random() < 0.7 else rng.choice(by_unit[unit_id])
            carrier = rng.choices(carriers, weights)[0]
            number, kind = new_tracking(carrier)
            receiver = rng.choice(op_ids)
            parcel = Parcel(
                site_id=site_id,
                tracking=number,
                carrier=carrier,
                kind=kind,
                unit_id=unit_id,
                resident_id=resident.id,
                recipient_name=resident.name,
                shelf=rng.choice(shelves),
                pieces=1 if rng.random() < 0.9 else 2,
                status=ParcelStatus.WAITING.value,
                received_at=received,
                received_by=receiver,
            )
            age = (ctx.now - received).days
            # older items are more likely gone; a few stay past a week (P-9)
            collected = rng.random() < (
                0.97 if age > remind_after + 2 else 0.9 if age >= 2 else 0.6 if age == 1 else 0.25
            )
            notes: list[Notification] = []
            if resident.id == dnd.id:
                parcel.notify_suppressed = True
                notes.append(
                    Notification(
                        site_id=site_id,
                        resident_id=resident.id,
                        kind="checkin",
                        method="none",
                        status=NotificationStatus.SUPPRESSED.value,
                        created_at=received,
                        note=DND_NOTE,
                    )
                )
            else:
                called = received + timedelta(minutes=rng.randint(2, 25))
                notes.append(
                    Notification(
                        site_id=site_id,
                        resident_id=resident.id,
                        kind="checkin",
                        method="phone",
                        status=NotificationStatus.SENT.value,
                        attempts=1,
                        created_at=called,
                        sent_at=called,
                        recorded_by=receiver,
                    )
                )
            if collected:
                picked = received + timedelta(hours=rng.randint(1, max(2, min(age * 24, 60))))
                if picked > ctx.now:
                    picked = ctx.now - timedelta(minutes=rng.randint(1, 30))
                parcel.status = ParcelStatus.PICKED_UP.value
                parcel.picked_up_at = max(picked, received + timedelta(minutes=10))
                parcel.released_by = rng.choice(op_ids)
                parcel.pickup_by = "self"
                parcel.id_type = "id_card"
                parcel.id_last4 = f"{rng.randrange(10_000):04d}"
            elif age >= remind_after:
                parcel.reminders = 1 + (age - remind_after) // 7
                parcel.last_reminded_at = min(
                    received + timedelta(days=remind_after, hours=1),
                    ctx.now - timedelta(minutes=30),
                )
                notes.append(
                    Notification(
                        site_id=site_id,
                        resident_id=resident.id,
                        kind="reminder",
                        method="phone",
                        status=NotificationStatus.SENT.value,
                        attempts=1,
                        created_at=parcel.last_reminded_at,
                        sent_at=parcel.last_reminded_at,
                        recorded_by=rng.choice(op_ids),
                        note="电话未接通，已发短信",
                    )
                )
            items.append((parcel, notes))

    collected_items = [p for p, _ in items if p.status == ParcelStatus.PICKED_UP.value]
    for proxy in rng.sample(collected_items, 2):  # P-5: a neighbour collects
        proxy.pickup_by = "proxy"
        proxy.proxy_name = rng.choice(PROXIES)
        proxy.proxy_phone = "139" + f"{rng.randrange(10**8):08d}"
        pickup = Pickup(
            by="proxy",
            id_last4=proxy.id_last4,
            proxy_name=proxy.proxy_name,
            proxy_phone=proxy.proxy_phone,
        )
        proxy.pickup_note = proxy_liability(pickup, ctx.settings.locale)
    waiting_old = [
        p
        for p, _ in items
        if p.status == ParcelStatus.WAITING.value and (ctx.now - p.received_at).days >= 3
    ]
    if waiting_old:
        ret = rng.choice(waiting_old)  # P-20: the resident moved out
        ret.status = ParcelStatus.RETURNED.value
        ret.returned_at = ret.received_at + timedelta(days=2, hours=3)
        ret.returned_by = rng.choice(op_ids)
        ret.return_reason = "住户已搬离，无转寄地址，退回寄件人（P-20）"
    fresh = [p for p, _ in items if p.status == ParcelStatus.WAITING.value]
    if fresh:
        damaged = fresh[-1]
        damaged.damaged = True
        damaged.damage_note = "外箱一角压扁，已拍照并电话告知住户"
    # P-8: the resident on a trip has one item waiting, and was not notified about it
    dnd_unit = dnd.unit_id
    number, kind = new_tracking("jd")
    dnd_at = ctx.now - timedelta(days=2, hours=2)
    dnd_parcel = Parcel(
        site_id=site_id,
        tracking=number,
        carrier="jd",
        kind=kind,
        unit_id=dnd_unit,
        resident_id=dnd.id,
        recipient_name=dnd.name,
        shelf=shelves[-1],
        status=ParcelStatus.WAITING.value,
        received_at=dnd_at,
        received_by=op_ids[0],
        notify_suppressed=True,
    )
    items.append(
        (
            dnd_parcel,
            [
                Notification(
                    site_id=site_id,
                    resident_id=dnd.id,
                    kind="checkin",
                    method="none",
                    status=NotificationStatus.SUPPRESSED.value,
                    created_at=dnd_at,
                    note=DND_NOTE,
                )
            ],
        )
    )
    refused_at = ctx.now - timedelta(hours=3)
    number, _ = new_tracking("yto")
    refused = Parcel(
        site_id=site_id,
        tracking=number,
        carrier="yto",
        kind="parcel",
        unit_id=rng.choice(occupied),
        recipient_name="孙建国",
        shelf="",
        status=ParcelStatus.REFUSED.value,
        received_at=refused_at,
        received_by=op_ids[0],
        returned_at=refused_at,
        returned_by=op_ids[0],
        return_reason="收件人非本小区住户，快递员带回（P-1）",
    )
    items.append((refused, []))

    def write(session: Session) -> None:
        resident = session.get(Resident, dnd.id)
        if resident is not None:
            resident.do_not_notify = True
            resident.do_not_notify_note = DND_NOTE
            session.add(resident)
        session.add_all([p for p, _ in items])
        session.flush()
        rows: list[Notification] = []
        for parcel, notes in items:
            for note in notes:
                note.parcel_id = parcel.id
                rows.append(note)
        session.add_all(rows)

    transact(ctx.engine, write)
    waiting = sum(1 for p, _ in items if p.status == ParcelStatus.WAITING.value)
    overdue = sum(
        1
        for p, _ in items
        if p.status == ParcelStatus.WAITING.value and (ctx.now - p.received_at).days >= remind_after
    )
    ctx.extra.append(
        f"{len(items)} parcels ({waiting} waiting, {overdue} overdue past a week, "
        f"1 returned, 1 refused, 2 proxy pickups)"
    )
