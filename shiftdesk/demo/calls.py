"""Demo calls: a week of calls and visits of every category, complaints across the classes.

Every call goes through ``calls.log_call``, so repairs open real work orders and complaints
real complaints with their clocks, exactly as the form would. Orders from earlier days are
then taken through their stages (done and called back) and older complaints answered or
resolved, so the board and the lists look like a desk in use: today's work is open, a few
complaints are late, and those from a week ago are still open (under scheme B, CP-9
makes them hot: `shiftdesk complaints escalate`).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from shiftdesk.calls import CallInput, RepairInput, log_call
from shiftdesk.clocks.callbacks import (
    CallbackKind,
    callback_due,
    callback_kind,
    next_allowed_at_or_after,
)
from shiftdesk.complaints import ComplaintInput
from shiftdesk.db import transact
from shiftdesk.demo import DemoContext
from shiftdesk.models import Callback, Resident, Unit
from shiftdesk.security import actor_for
from shiftdesk.timeutil import to_local

DAYS = 7
CATEGORY_WEIGHTS = {
    "inquiry": 32,
    "repair": 26,
    "complaint": 11,
    "suggestion": 7,
    "praise": 5,
    "help": 11,
    "other": 8,
}
CHANNEL_WEIGHTS = {
    "phone": 55,
    "walk_in": 25,
    "intercom": 7,
    "online": 7,
    "letter": 3,
    "internal": 3,
}

INQUIRIES = [
    "咨询本周停水时间",
    "询问物业费缴纳方式",
    "咨询装修申请需要哪些材料",
    "询问快递存放在哪里",
    "咨询停车月卡办理",
    "询问门禁卡补办费用",
    "咨询小区活动报名时间",
    "询问电梯年检安排",
    "咨询房屋出租登记手续",
    "询问燃气开通流程",
]
# (trade, priority, in the home, summary)
REPAIRS = [
    ("plumbing", "normal", True, "厨房水龙头漏水"),
    ("plumbing", "normal", True, "卫生间下水道堵塞"),
    ("plumbing", "emergency", True, "水管爆裂跑水，已关总阀"),
    ("electrical", "urgent", True, "家里跳闸，全屋没电"),
    ("electrical", "normal", True, "客厅插座没电"),
    ("electrical", "normal", False, "楼道灯不亮"),
    ("lift", "urgent", False, "电梯按钮失灵"),
    ("doors_locks", "normal", True, "入户门锁芯损坏"),
    ("doors_locks", "normal", False, "单元门禁无法刷卡"),
    ("hvac", "normal", True, "空调不制冷"),
    ("civil", "normal", True, "卧室墙面渗水起皮"),
    ("cleaning", "normal", False, "楼道有装修垃圾未清理"),
]
# (cause class for scheme B, summary, department)
COMPLAINTS = [
    ("1", "保安对访客态度生硬", "安保部"),
    ("1", "垃圾清运不及时，有异味", "保洁"),
    ("1", "报修两天无人上门", "工程部"),
    ("2", "地下车库顶板漏水", "工程部"),
    ("2", "外墙瓷砖脱落", "地产客户关系中心"),
    ("3", "小区外道路施工噪音扰民", ""),
    ("3", "楼上邻居装修噪音大", "客服部"),
]
SUGGESTIONS = ["建议增加儿童游乐设施", "建议延长会所开放时间", "建议在北门增设快递柜"]
PRAISES = ["表扬维修师傅服务耐心", "感谢保安帮忙搬运重物", "表扬前台服务热情"]
HELPS = [
    "老人在家摔倒，家属请求协助",
    "钥匙锁在家里，请求帮助",
    "车辆被堵无法出库",
    "宠物走失，请帮忙留意",
]
OTHERS = ["拾到一个钱包交到前台", "询问附近公交线路", "要求打印一份通知"]
WALK_IN_NAMES = ["张先生", "李女士", "王先生", "刘女士", "陈先生", "访客"]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _received(rng: random.Random, day_start: datetime, now: datetime) -> datetime | None:
    """A moment on the local day starting at ``day_start``: mostly daytime, a few at night."""
    if rng.random() < 0.07:
        minute = rng.choice([rng.randrange(0, 7 * 60), rng.randrange(22 * 60, 24 * 60)])
    else:
        minute = rng.randrange(7 * 60 + 30, 21 * 60 + 30)
    moment = day_start + timedelta(minutes=minute, seconds=rng.randrange(60))
    return moment if moment <= now - timedelta(minutes=3) else None


def _call(rng: random.Random, ctx: DemoContext, when: datetime) -> CallInput:
    category = _weighted(rng, CATEGORY_WEIGHTS)
    channel = _weighted(rng, CHANNEL_WEIGHTS)
    if category == "complaint" and channel == "intercom":
        channel = "phone"
    resident: Resident | None = rng.choice(ctx.residents) if rng.random() < 0.85 else None
    data = CallInput(
        channel=channel, category=category, summary="", received_at=when, late_entry=False
    )
    if resident is not None:
        data.resident_id = resident.id
        data.unit_id = resident.unit_id
        surname = resident.name[0]
        data.caller_name = (
            resident.name if rng.random() < 0.6 else (surname + rng.choice(["先生", "女士"]))
        )
        data.caller_phone = resident.phone if channel != "letter" else ""
    else:
        data.caller_name = rng.choice(WALK_IN_NAMES)
        data.outside = True
        data.location = rng.choice(["小区外", "东门", "不明"])
    if category == "inquiry":
        data.summary = rng.choice(INQUIRIES)
        data.action_taken = "当场答复"
    elif category == "repair":
        trade, priority, in_home, text = rng.choice(REPAIRS)
        data.summary = text
        data.repair = RepairInput(
            trade=trade,
            priority=priority,
            in_home=in_home and resident is not None,
            paid=in_home and rng.random() < 0.2,
            spare_key_ok=rng.random() < 0.3,
        )
        if not in_home or resident is None:
            data.outside = True
            data.unit_id = None
            data.location = rng.choice(["3号楼一单元楼道", "地下车库B2", "北门", "中心花园"])
    elif category == "complaint":
        cause, text, dept = rng.choice(COMPLAINTS)
        data.summary = text
        scheme = ctx.settings.complaints.scheme
        level = rng.choices(
            list(
                ("general", "important", "major") if scheme == "A" else ("general", "hot", "major")
            ),
            weights=[75, 18, 7],
        )[0]
        data.complaint = ComplaintInput(
            level=level,
            cause_class=cause if scheme == "B" else "",
            complainants=rng.choice([1, 1, 1, 1, 2, 3, 12]),
            repeat=rng.random() < 0.1,
            department=dept,
        )
        if data.caller_name == "" and data.caller_phone == "":
            data.caller_name = "匿名业主"
    elif category == "suggestion":
        data.summary = rng.choice(SUGGESTIONS)
        data.action_taken = "已记录，转经理"
    elif category == "praise":
        data.summary = rng.choice(PRAISES)
    elif category == "help":
        data.summary = rng.choice(HELPS)
        data.action_taken = "已通知安保部"
    else:
        data.summary = rng.choice(OTHERS)
    return data


def _progress(
    rng: random.Random, session: Session, logged: Any, ctx: DemoContext, today_start: datetime
) -> None:
    """Move older work orders through their stages and older complaints along."""
    received = logged.call.received_at
    order = logged.work_order
    if order is not None and (received >= today_start or ctx.now - received < timedelta(hours=6)):
        _progress_today(rng, session, order, ctx)
    elif order is not None:
        step = timedelta(minutes=rng.randint(1, 3))
        order.team = "engineering" if not order.night else "security"
        order.assignee = rng.choice(["李师傅", "王师傅", "赵师傅"])
        order.first_dispatched_at = order.dispatched_at = received + step
        order.accepted_at = order.dispatched_at + timedelta(minutes=rng.randint(1, 4))
        order.arrived_at = order.accepted_at + timedelta(minutes=rng.randint(4, 16))
        order.price_confirmed = order.paid
        order.completed_at = order.arrived_at + timedelta(minutes=rng.randint(20, 120))
        order.result = "已修复"
        order.stage = "completed"
        kind = callback_kind(order.priority, order.leak)
        due = callback_due(kind, order.completed_at, ctx.settings)
        callback = Callback(
            site_id=order.site_id, work_order_id=order.id, kind=kind.value, due_at=due
        )
        done = order.completed_at + timedelta(hours=rng.randint(2, 30))
        if due is not None and done <= ctx.now and rng.random() < 0.85:
            order.stage = "closed"
            order.closed_at = done
            callback.done_at = done
            callback.outcome = "satisfied" if rng.random() < 0.9 else "unsatisfied"
        session.add(order)
        session.add(callback)
    complaint = logged.complaint
    if complaint is not None:
        age = ctx.now - received
        if age > timedelta(hours=2):
            complaint.department_reported_at = received + timedelta(minutes=rng.randint(8, 35))
            complaint.answered_at = received + timedelta(minutes=rng.randint(15, 45))
            complaint.status = "answered"
        if age > timedelta(days=1) and rng.random() < 0.75:
            complaint.resolved_at = received + timedelta(hours=rng.randint(3, 20))
            complaint.status = "resolved"
            # CB-1: every resolved complaint is called back; most already were (and closed)
            callback = Callback(
                site_id=complaint.site_id,
                complaint_id=complaint.id,
                kind=CallbackKind.COMPLAINT.value,
                due_at=callback_due(CallbackKind.COMPLAINT, complaint.resolved_at, ctx.settings),
            )
            closed_at = next_allowed_at_or_after(
                complaint.resolved_at + timedelta(hours=rng.randint(20, 50)), ctx.settings
            )
            if rng.random() < 0.6 and closed_at < ctx.now:
                complaint.closed_at = callback.done_at = closed_at
                complaint.status = "closed"
                callback.outcome = "satisfied" if rng.random() < 0.85 else "unsatisfied"
                if callback.outcome == "unsatisfied":
                    callback.note = "仍有意见，已转主管跟进"
            session.add(callback)
        session.add(complaint)
    session.flush()


def _progress_today(rng: random.Random, session: Session, order: Any, ctx: DemoContext) -> None:
    """Today's orders: the older ones dispatched and under way, the newest still waiting."""
    age = ctx.now - order.reported_at
    if age < timedelta(minutes=40):
        return
    order.team = "security" if order.night else "engineering"
    order.assignee = rng.choice(["李师傅", "王师傅", "赵师傅"])
    order.first_dispatched_at = order.dispatched_at = order.reported_at + timedelta(
        minutes=rng.randint(1, 4)
    )
    order.stage = "dispatched"
    order.accepted_at = order.dispatched_at + timedelta(minutes=rng.randint(1, 5))
    order.stage = "accepted"
    if age > timedelta(hours=1):
        order.arrived_at = order.accepted_at + timedelta(minutes=rng.randint(5, 18))
        order.price_confirmed = order.paid
        order.stage = "arrived"
    if age > timedelta(hours=3) and rng.random() < 0.7:
        order.completed_at = order.arrived_at + timedelta(minutes=rng.randint(30, 90))
        order.result = "已修复"
        order.stage = "completed"
        kind = callback_kind(order.priority, order.leak)
        session.add(
            Callback(
                site_id=order.site_id,
                work_order_id=order.id,
                kind=kind.value,
                due_at=callback_due(kind, order.completed_at, ctx.settings),
            )
        )
    session.add(order)


def generate(ctx: DemoContext) -> None:
    rng = ctx.rng
    tz = ctx.settings.site.timezone
    local_now = to_local(ctx.now, tz)
    today_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    site_id = ctx.site.id
    assert site_id is not None
    desk = [ctx.operators[n] for n in ("wangfang", "lina", "zhaolei") if n in ctx.operators]
    # plan first (deterministic), then write per operator
    plan: dict[int, list[CallInput]] = {i: [] for i in range(len(desk))}
    for days_ago in range(DAYS - 1, -1, -1):
        day_start = today_start - timedelta(days=days_ago)
        for _ in range(rng.randint(16, 26)):
            when = _received(rng, day_start, ctx.now)
            if when is None:
                continue
            plan[rng.randrange(len(desk))].append(_call(rng, ctx, when))
    counts = {"calls": 0, "orders": 0, "complaints": 0}
    today_utc = today_start.astimezone(ctx.now.tzinfo)
    for index, operator in enumerate(desk):
        seed = rng.randrange(2**31)

        def write(
            session: Session, items: list[CallInput] = plan[index], seed: int = seed
        ) -> dict[str, int]:
            local_rng = random.Random(seed)
            done = {"calls": 0, "orders": 0, "complaints": 0}
            # load units and residents once: validation then finds them in the session
            cache = [*session.exec(select(Unit)).all(), *session.exec(select(Resident)).all()]
            for data in sorted(items, key=lambda d: d.received_at or ctx.now):
                assert data.received_at is not None
                entered = data.received_at + timedelta(minutes=local_rng.randint(1, 4))
                logged = log_call(session, site_id, data, ctx.settings, now=min(entered, ctx.now))
                done["calls"] += 1
                done["orders"] += logged.work_order is not None
                done["complaints"] += logged.complaint is not None
                keep_open = logged.complaint is not None and ctx.now - data.received_at > timedelta(
                    days=DAYS - 1
                )
                if not keep_open:
                    _progress(local_rng, session, logged, ctx, today_utc)
            del cache
            return done

        result = transact(ctx.engine, write, actor=actor_for(operator))
        for key in counts:
            counts[key] += result[key]
    ctx.extra.append(
        f"{counts['calls']} calls and visits over {DAYS} days "
        f"({counts['orders']} repair orders, {counts['complaints']} complaints)"
    )
