"""Demo work orders: every stage of the dispatch board, at ``ctx.now``.

The calls generator already opens a week of repair orders through the call form. This adds
the cases a newcomer should see on the board at once: orders waiting for dispatch (one
amber, one red), an emergency just reported (R-14), a late arrival, orders under way, an
unfinished one with its reason (R-13), completed orders waiting for their callback (one of
them overdue), a leak waiting for rain (CB-3), a paid repair waiting for the price (R-15),
a callback nobody answered, re-repairs (返修) and a cancelled order.

Stage times are set directly (not through the services, which check them against the wall
clock), consistent with each other and with ``ctx.now``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from shiftdesk.clocks.callbacks import (
    callback_due,
    callback_kind,
    last_allowed_at_or_before,
    next_allowed_at_or_after,
)
from shiftdesk.clocks.workorders import route_team
from shiftdesk.db import transact
from shiftdesk.demo import DemoContext
from shiftdesk.models import Callback, Unit, WorkOrder
from shiftdesk.security import actor_for
from shiftdesk.timeutil import to_local
from shiftdesk.workorders import create_order

TECHNICIANS = ["李师傅", "王师傅", "赵师傅", "孙师傅", "周师傅"]
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

# (key, trade, priority, in the home, summary, age of the report, stage, extra flags)
SCENARIOS: list[tuple[str, str, str, bool, str, timedelta, str, dict[str, Any]]] = [
    ("new", "electrical", "normal", True, "卧室灯不亮", 40 * timedelta(seconds=1), "reported", {}),
    ("amber", "plumbing", "normal", True, "马桶水箱一直流水", 2 * M + 20 * timedelta(seconds=1),
     "reported", {}),
    ("late_dispatch", "doors_locks", "normal", True, "入户门把手松动", 9 * M, "reported", {}),
    ("emergency", "plumbing", "emergency", True, "水管爆裂跑水，楼下渗水", 1 * M, "reported", {}),
    ("late_arrival", "electrical", "urgent", True, "全屋跳闸没电，家有老人", 25 * M,
     "dispatched", {}),
    ("on_the_way", "hvac", "normal", True, "空调外机异响", 6 * M, "dispatched", {}),
    ("accepted", "lift", "urgent", False, "电梯按钮失灵", 8 * M, "accepted",
     {"where": "3号楼1单元电梯"}),
    ("paid", "plumbing", "normal", True, "更换厨房水槽下水管（有偿）", 30 * M, "accepted",
     {"paid": True}),
    ("working", "civil", "normal", True, "阳台地砖空鼓", 50 * M, "arrived", {}),
    ("unfinished", "doors_locks", "normal", True, "防盗门锁芯更换", 1 * D + 3 * H, "unfinished",
     {"reason": "锁芯型号缺货，已订货，预计后天到"}),
    ("callback_due", "electrical", "urgent", True, "厨房插座冒火花", 20 * H, "completed", {}),
    ("callback_late", "plumbing", "normal", True, "卫生间地漏返味", 9 * D, "completed", {}),
    ("unreachable", "hvac", "normal", True, "空调遥控失灵", 2 * D, "completed",
     {"unreachable": True}),
    ("leak", "civil", "normal", True, "窗台雨后渗水，已打胶", 2 * D, "completed", {"leak": True}),
    ("rework_source", "plumbing", "normal", True, "热水器出水不热", 3 * D, "closed",
     {"outcome": "unsatisfied", "rework": "维修后仍然不热，业主要求返修"}),
    ("rework_open", "electrical", "normal", False, "照明一排不亮", 2 * D, "completed",
     {"rework": "又有两盏灯不亮", "where": "地下车库B2"}),
    ("night", "plumbing", "urgent", True, "夜间水管漏水（中控室接报）", 14 * H, "closed",
     {"night": True, "outcome": "satisfied"}),
    ("cancelled", "other", "normal", False, "路灯闪烁", 5 * H, "cancelled",
     {"reason": "重复报修，已并入其他工单", "where": "北门"}),
]  # fmt: skip


def _advance(order: WorkOrder, stage: str, ctx: DemoContext, rng: Any, extra: dict[str, Any],
             operator_id: int | None) -> Callback | None:  # fmt: skip
    """Stamp the stages up to ``stage`` at plausible times after the report."""
    settings = ctx.settings
    t = order.reported_at
    callback: Callback | None = None
    if stage == "cancelled":
        order.cancelled_at = t + 20 * M
        order.cancelled_by = operator_id
        order.cancel_reason = extra["reason"]
        order.stage = stage
        return None
    if stage == "reported":
        return None
    late = order.priority == "urgent" and ctx.now - t > 20 * M
    t = t + (2 * M if not late else 1 * M)
    order.team = route_team(order, settings, now=t)
    order.assignee = rng.choice(TECHNICIANS)
    order.first_dispatched_at = order.dispatched_at = t
    order.dispatched_by = operator_id
    order.stage = "dispatched"
    if stage == "dispatched":
        return None
    t = t + 2 * M
    order.accepted_at = t
    order.accepted_by = operator_id
    order.stage = "accepted"
    if stage == "accepted":
        return None
    if stage == "unfinished":
        order.unfinished_at = t + 2 * H
        order.unfinished_by = operator_id
        order.unfinished_reason = extra["reason"]
        order.stage = stage
        return None
    t = t + rng.randint(5, 12) * M
    order.arrived_at = t
    order.arrived_by = operator_id
    order.price_confirmed = order.paid
    order.stage = "arrived"
    if stage == "arrived":
        return None
    t = t + rng.randint(30, 90) * M
    order.completed_at = t
    order.completed_by = operator_id
    order.result = "已修复，业主已签字确认"
    order.stage = "completed"
    kind = callback_kind(order.priority, order.leak)
    callback = Callback(
        site_id=order.site_id,
        work_order_id=order.id,
        kind=kind.value,
        due_at=callback_due(kind, t, settings, rained_at=order.rained_at),
    )
    if extra.get("unreachable"):
        attempt = last_allowed_at_or_before(t + 20 * H, settings)
        callback.attempts = 1
        callback.last_attempt_at = attempt
        callback.outcome = "unreachable"
        callback.note = "电话无人接听，明天再打"
        callback.operator_id = operator_id
    # CB-2: the callback is made in calling hours; too early yet, and it stays completed
    done = next_allowed_at_or_after(t + 2 * H, settings)
    if stage == "closed" and done <= ctx.now:
        order.closed_at = done
        order.closed_by = operator_id
        order.stage = "closed"
        callback.done_at = done
        callback.outcome = extra.get("outcome", "satisfied")
        callback.note = "业主反映问题未解决" if callback.outcome == "unsatisfied" else "业主满意"
        callback.operator_id = operator_id
    return callback


def generate(ctx: DemoContext) -> None:
    rng = ctx.rng
    site_id = ctx.site.id
    assert site_id is not None
    operator = ctx.operators.get("wangfang") or next(iter(ctx.operators.values()))
    phones = {r.unit_id: (r.name, r.phone) for r in ctx.residents}
    plan = [(s, rng.choice(ctx.units)) for s in SCENARIOS]

    def write(session: Session) -> dict[str, int]:
        counts = {"orders": 0, "reworks": 0}
        session.exec(select(Unit).where(Unit.site_id == site_id)).all()  # one load, not 18
        for (_key, trade, priority, in_home, summary, age, stage, extra), unit in plan:
            name, phone = phones.get(unit.id or 0, ("", ""))
            reported = ctx.now - age
            if extra.get("night"):
                # taken by the control room at 23:00 last night
                local = to_local(ctx.now, ctx.settings.site.timezone)
                eleven = local.replace(hour=23, minute=0, second=0, microsecond=0)
                if eleven > local:
                    eleven -= D
                reported = eleven.astimezone(ctx.now.tzinfo)
            order = create_order(
                session,
                site_id=site_id,
                reported_at=reported,
                trade=trade,
                priority=priority,
                summary=summary,
                unit_id=unit.id if in_home else None,
                location="" if in_home else extra.get("where", "公共区域"),
                in_home=in_home,
                paid=bool(extra.get("paid")),
                reporter_name=name if in_home else "保安巡查",
                reporter_phone=phone if in_home else "",
                night=bool(extra.get("night")),
                spare_key_ok=rng.random() < 0.3,
                leak=bool(extra.get("leak")),
                trades=ctx.settings.workorders.trades,
            )
            callback = _advance(order, stage, ctx, rng, extra, operator.id)
            session.add(order)
            if callback is not None:
                session.add(callback)
            counts["orders"] += 1
            if extra.get("rework"):
                redo_at = max((order.closed_at or order.completed_at or reported) + 2 * H,
                              ctx.now - 35 * M)  # fmt: skip
                redo_at = min(redo_at, ctx.now - 35 * M)
                redo = create_order(
                    session,
                    site_id=site_id,
                    reported_at=redo_at,
                    trade=order.trade,
                    priority=order.priority,
                    summary=f"返修（原单 {order.id}）：{extra['rework']}",
                    unit_id=order.unit_id,
                    location=order.location,
                    in_home=order.in_home,
                    reporter_name=order.reporter_name,
                    reporter_phone=order.reporter_phone,
                )
                redo.rework_of_id = order.id
                _advance(redo, "dispatched", ctx, rng, {}, operator.id)
                session.add(redo)
                counts["reworks"] += 1
        session.flush()
        return counts

    counts = transact(ctx.engine, write, actor=actor_for(operator))
    ctx.extra.append(
        f"{counts['orders']} work orders in every stage of the dispatch board "
        f"(breached, awaiting callback, waiting for rain) and {counts['reworks']} re-repairs"
    )
