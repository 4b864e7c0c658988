"""Demo duty log: a week of closed shifts, handed over and countersigned, one shift open now.

Every record goes through the handover service (so the hash chain is real and
``shiftdesk verify`` passes): entries, the digest as it stood at each handover (rebuilt from
the other areas' timestamps), overrides where important work was open, acknowledgements,
questions, parcel counts, the two signatures and the supervisor's countersign the next
morning. Yesterday's shifts are left awaiting countersign, so the list is not empty.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from shiftdesk import handover
from shiftdesk.db import SYSTEM, Actor, transact
from shiftdesk.demo import DemoContext
from shiftdesk.models import Shift
from shiftdesk.security import actor_for
from shiftdesk.timeutil import to_local

NOTES = [
    "3号楼电梯维保单位上午来检修，已通知业主。",
    "2-1-0602业主来电询问物业费缴纳方式，已答复。",
    "快递柜A区满，新到包裹放B架。",
    "巡视大堂，地面湿滑处已放置防滑警示牌。",
    "1号楼门禁读卡器反应慢，已报工程部。",
    "访客车辆临时停放在东门，已提醒半小时内驶离。",
    "收到供电局停电通知：周四9:00-12:00检修，已张贴温馨提示。",
    "中控室确认电话已转接，对讲机电量充足。",
    "业主反映楼道灯不亮，已派工。",
    "代收文件一份，已登记，待业主领取。",
]
EVENTS = [
    ("owner_complaint", "4-2-1201业主投诉楼上装修噪音，已联系管家上门沟通。"),
    ("public_order", "地下车库有人乱贴小广告，秩序维护部已清理。"),
    ("accident", "5号楼顶层水管渗水，工程部已关阀维修。"),
    ("staff_violation", "保洁员未按时到岗，已报客服主管。"),
    ("occupancy_change", "3-2-1502新业主入住，已完成房屋交接，留返修钥匙一把。"),
    ("other", "小区东侧市政道路施工，已在公告栏提示业主绕行。"),
]
INCIDENTS = [
    (
        "lift_entrapment",
        "2号楼2号电梯困人（2人）",
        "2号楼2号电梯",
        "对讲安抚，工程部12分钟到场，15:42解困",
        "客服主管、工程部、维保单位",
    ),
    (
        "power_cut",
        "3号楼单元照明停电",
        "3号楼一单元",
        "工程部排查为空开跳闸，已恢复",
        "客服主管、工程部",
    ),
    (
        "flooding",
        "B1车库积水约5厘米",
        "地下车库B1",
        "关闭阀门，保洁抽水，放置警示牌",
        "客服主管、工程部、保洁",
    ),
    (
        "severe_weather",
        "暴雨预警",
        "大堂及各出入口",
        "放置防滑垫和雨伞袋，巡查渗漏点",
        "客服主管、保洁",
    ),
    (
        "lost_property",
        "大堂拾到钱包一个",
        "大堂休息区",
        "已登记《捡拾物品登记表》，存入保险柜",
        "客服主管、秩序维护部主管",
    ),
]
QUESTIONS = [
    ("B架上少一个包裹，去向？", "已由业主本人下午取走，系统漏登，已补登。"),
    ("3-2-1502返修钥匙放在哪里？", "在钥匙柜第2格，已登记。"),
    ("5号楼渗水工程部是否处理完毕？", "已关阀，明早更换管件，已写入特别交待。"),
]
INSTRUCTIONS = [
    "明早9点电梯维保，请提前在各单元张贴温馨提示。",
    "3-2-1502返修钥匙在钥匙柜第2格，工程部取用需登记。",
    "5号楼渗水待明早更换管件，请跟进并回访业主。",
    "",
    "周四上午停电检修，请提前电话通知重点业主。",
    "",
]


def _operators(ctx: DemoContext) -> dict[str, Actor]:
    return {name: actor_for(op) for name, op in ctx.operators.items()}


def _holder(period: handover.Period, index: int) -> str:
    """Day shifts alternate between 王芳 and 李娜; 赵磊 works nights."""
    if period.name == "night":
        return "zhaolei"
    return "wangfang" if index % 2 == 0 else "lina"


def generate(ctx: DemoContext) -> None:
    settings = ctx.settings
    tz = settings.site.timezone
    rng = ctx.rng
    people = _operators(ctx)
    site_id = ctx.site.id
    assert site_id is not None
    now = ctx.now
    current = handover.period_for_opening(settings, now)
    periods: list[handover.Period] = []
    for back in range(9, -1, -1):
        for p in handover.period_instances(settings, now - timedelta(days=back)):
            if current.start - timedelta(days=7) <= p.start < current.start and p not in periods:
                periods.append(p)
    periods.sort(key=lambda p: p.start)
    last_day: date = to_local(periods[-1].start, tz).date() if periods else now.date()
    supervisor = people["chenjing"]

    def minutes(n: float) -> timedelta:
        return timedelta(minutes=n)

    def build(session: Session) -> tuple[int, int]:
        if not periods:
            handover.open_shift(
                session, settings, site_id=site_id, holder=people["wangfang"], now=now
            )
            return 0, 0
        first = periods[0]
        shift: Shift = handover.open_shift(
            session,
            settings,
            site_id=site_id,
            holder=people[_holder(first, 0)],
            now=first.start + minutes(rng.randint(-8, 4)),
            period=first,
        )
        incidents = 0
        for index, period in enumerate(periods):
            nxt = periods[index + 1] if index + 1 < len(periods) else current
            holder = people[_holder(period, index // 2)]
            incoming = people[_holder(nxt, (index + 1) // 2)]
            close = min(period.end + minutes(rng.randint(-6, 3)), now - minutes(3))
            start = shift.opened_at + minutes(8)
            stop = close - minutes(25)
            # the duty log: notes, H-8 events, sometimes an H-9 incident and a correction
            moments = sorted(
                start + (stop - start) * rng.random() for _ in range(rng.randint(2, 5))
            )
            written = []
            for at in moments:
                roll = rng.random()
                if roll < 0.18:
                    category, body, where, actions, notified = rng.choice(INCIDENTS)
                    written.append(
                        handover.add_entry(
                            session,
                            shift,
                            author=holder,
                            kind="incident",
                            category=category,
                            body=body,
                            location=where,
                            actions=actions,
                            notified=notified,
                            at=at,
                        )
                    )
                    incidents += 1
                elif roll < 0.45:
                    category, body = rng.choice(EVENTS)
                    written.append(
                        handover.add_entry(
                            session,
                            shift,
                            author=holder,
                            kind="event",
                            category=category,
                            body=body,
                            at=at,
                        )
                    )
                else:
                    written.append(
                        handover.add_entry(
                            session,
                            shift,
                            author=holder,
                            kind="note",
                            body=rng.choice(NOTES),
                            at=at,
                        )
                    )
            if written and rng.random() < 0.15:
                wrong = written[0]
                handover.add_entry(
                    session,
                    shift,
                    author=holder,
                    kind="correction",
                    body="时间记错，应为上一整点。",
                    corrects_id=wrong.id,
                    at=moments[-1] + minutes(2),
                )
            # H-5: prepared 15 minutes before the end; H-6: a supervisor overrides if needed
            prepared_at = close - minutes(15)
            text = rng.choice(INSTRUCTIONS)
            try:
                digest = handover.prepare_handover(
                    session,
                    settings,
                    shift,
                    author=holder,
                    special_instructions=text,
                    now=prepared_at,
                    history=True,
                )
            except handover.HandoverBlocked as blocked:
                handover.override_block(
                    session,
                    shift,
                    supervisor=supervisor,
                    reason="工程部已在现场处理，已告知业主，由下一班跟进。",
                    keys=[i.key for i in blocked.items],
                    now=prepared_at - minutes(1),
                )
                digest = handover.prepare_handover(
                    session,
                    settings,
                    shift,
                    author=holder,
                    special_instructions=text,
                    now=prepared_at,
                    history=True,
                )
            # the incoming operator counts the parcels (H-12), acknowledges, asks
            counted = dict(digest.parcels_by_shelf)
            note = ""
            if counted and index == len(periods) // 2:
                shelf = sorted(counted)[0]
                counted[shelf] = max(0, counted[shelf] - 1)
                note = f"{shelf}架少一件，已报客服主管核查。"
            handover.record_parcel_count(
                session,
                shift,
                incoming=incoming,
                counted=counted,
                note=note,
                now=close - minutes(9),
            )
            if rng.random() < 0.3:
                question, answer = rng.choice(QUESTIONS)
                asked = handover.ask(
                    session, shift, incoming=incoming, text=question, now=close - minutes(8)
                )
                assert asked.id is not None
                handover.answer(
                    session,
                    shift,
                    outgoing=holder,
                    question_id=asked.id,
                    text=answer,
                    now=close - minutes(7),
                )
            handover.acknowledge(
                session,
                shift,
                incoming=incoming,
                keys=[k for k in digest.item_keys() if k != handover.PARCELS_KEY],
                now=close - minutes(5),
            )
            closed = shift
            shift = handover.sign_handover(
                session, settings, closed, outgoing=holder, incoming=incoming, now=close
            )
            # H-7: the supervisor countersigns the day's shifts at the morning handover
            day = handover.shift_day(closed, tz)
            if closed.name == "night" and day < last_day:
                handover.countersign(
                    session,
                    settings,
                    site_id=site_id,
                    supervisor=supervisor,
                    day=day,
                    now=close + minutes(3),
                )
        # the shift open now: a few entries so far
        room = now - shift.opened_at
        if room > minutes(20):
            for _ in range(rng.randint(1, 3)):
                at = shift.opened_at + minutes(5) + (room - minutes(10)) * rng.random()
                handover.add_entry(
                    session,
                    shift,
                    author=_actor(people, shift),
                    kind="note",
                    body=rng.choice(NOTES),
                    at=at,
                )
        return len(periods), incidents

    closed, incidents = transact(ctx.engine, build, actor=SYSTEM)
    ctx.extra.append(
        f"{closed} closed shifts with duty logs, {incidents} incident reports, handovers "
        f"and countersigns; one shift open now"
    )


def _actor(people: dict[str, Actor], shift: Shift) -> Actor:
    return next(a for a in people.values() if a.id == shift.outgoing_id)
