"""The chain of clocks on a work order (domain §5), as pure functions.

One order carries up to four clocks, each from config with the seeds' defaults:

- ``dispatch`` R-2 (R-8 lets a site choose 5): from the report to the first dispatch,
  within ``workorders.dispatch_minutes``. At night (R-5) the order goes to the control room
  (``workorders.night_team``) under the same limit; the clock then carries rule R-5.
- ``arrival`` R-3: from the (latest) dispatch to arrival on site, within
  ``arrival_minutes`` (15), ``arrival_urgent_minutes`` (10) for urgent repairs.
  Emergencies (R-14) instead reach the site within ``arrival_emergency_minutes`` (5) of
  the *report*: they skip the form.
- ``return`` R-13: an order dispatched on a day is returned by ``return_check_time``
  (17:00) that day, completed or marked unfinished with a reason; an order dispatched
  after 17:00 is returned by 17:00 the next day.
- ``callback`` CB-1/CB-3 (see ``clocks.callbacks``): after completion.

``order`` is anything with the work order's attribute names (a ``WorkOrder`` or a light
row the board loads). Nothing here reads the database or the wall clock: ``now`` is passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from shiftdesk.clocks import Clock, ClockState
from shiftdesk.clocks.callbacks import callback_clock, callback_kind
from shiftdesk.config import Settings
from shiftdesk.timeutil import as_utc, in_window, zone
from shiftdesk.timeutil import parse_hhmm as _parse_hhmm

#: config times are parsed once: the board evaluates these clocks for every open order
parse_hhmm = lru_cache(maxsize=64)(_parse_hhmm)

#: stages in which an order is still open (on the board)
OPEN_STAGES = ("reported", "dispatched", "accepted", "arrived", "completed", "unfinished")
#: the order the stages come in, for display and "current stage" sorting
STAGE_ORDER = (
    "reported",
    "dispatched",
    "accepted",
    "arrived",
    "completed",
    "unfinished",
    "closed",
    "cancelled",
)
#: clock kinds (stable keys; the screens translate them)
CLOCK_KINDS = ("dispatch", "arrival", "return", "callback")
_FAR = datetime.max.replace(tzinfo=UTC)


class OrderLike(Protocol):
    priority: str
    stage: str
    night: bool
    leak: bool
    reported_at: datetime
    dispatched_at: datetime | None
    first_dispatched_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    unfinished_at: datetime | None
    closed_at: datetime | None
    rained_at: datetime | None


def is_night(instant: datetime, settings: Settings) -> bool:
    """R-5 / C-8: reported in the night hours (``calls.night_start``–``night_end``).

    20:00 is night, 08:00 is day again (the window is [night_start, night_end)).
    """
    local = as_utc(instant).astimezone(zone(settings.site.timezone))
    moment = local.timetz().replace(tzinfo=None)
    return in_window(
        moment, parse_hhmm(settings.calls.night_start), parse_hhmm(settings.calls.night_end)
    )


def night_order(order: OrderLike, settings: Settings) -> bool:
    """An order taken at night: flagged by the call form or reported in the night hours."""
    return bool(order.night) or is_night(order.reported_at, settings)


def route_team(order: OrderLike, settings: Settings, now: datetime | None = None) -> str:
    """R-5: the team an order goes to by default: the control room at night, else the first
    configured team (engineering). ``now`` (the moment of dispatch) decides when given."""
    wo = settings.workorders
    night = is_night(now, settings) if now is not None else night_order(order, settings)
    if night and wo.night_team:
        return wo.night_team
    return wo.teams[0] if wo.teams else ""


def _return_due(dispatched_at: datetime, settings: Settings) -> datetime:
    tz = zone(settings.site.timezone)
    local = as_utc(dispatched_at).astimezone(tz)
    check = parse_hhmm(settings.workorders.return_check_time)
    due = datetime.combine(local.date(), check, tzinfo=tz)
    if local > due:
        due = datetime.combine(local.date() + timedelta(days=1), check, tzinfo=tz)
    return due.astimezone(UTC)


def dispatch_clock(order: OrderLike, settings: Settings) -> Clock:
    """R-2 (R-5 at night): dispatched within ``dispatch_minutes`` of the report."""
    reported = as_utc(order.reported_at)
    return Clock(
        kind="dispatch",
        rule="R-5" if night_order(order, settings) else "R-2",
        started_at=reported,
        due_at=reported + timedelta(minutes=settings.workorders.dispatch_minutes),
        done_at=order.first_dispatched_at or order.dispatched_at,
    )


def arrival_clock(order: OrderLike, settings: Settings) -> Clock | None:
    """R-3 from the latest dispatch (10 min urgent, 15 normal); R-14 from the report."""
    wo = settings.workorders
    if order.priority == "emergency":
        reported = as_utc(order.reported_at)
        return Clock(
            kind="arrival",
            rule="R-14",
            started_at=reported,
            due_at=reported + timedelta(minutes=wo.arrival_emergency_minutes),
            done_at=order.arrived_at,
        )
    if order.dispatched_at is None:
        return None
    minutes = wo.arrival_urgent_minutes if order.priority == "urgent" else wo.arrival_minutes
    dispatched = as_utc(order.dispatched_at)
    arrived = order.arrived_at if order.arrived_at and order.arrived_at >= dispatched else None
    return Clock(
        kind="arrival",
        rule="R-3",
        started_at=dispatched,
        due_at=dispatched + timedelta(minutes=minutes),
        done_at=arrived,
    )


def return_clock(order: OrderLike, settings: Settings) -> Clock | None:
    """R-13: returned (completed, or unfinished with a reason) by 17:00 of the dispatch day."""
    if order.dispatched_at is None:
        return None
    dispatched = as_utc(order.dispatched_at)
    done = None
    for moment in (order.completed_at, order.unfinished_at):
        if moment is not None and moment >= dispatched and (done is None or moment < done):
            done = moment
    return Clock(
        kind="return",
        rule="R-13",
        started_at=dispatched,
        due_at=_return_due(dispatched, settings),
        done_at=done,
    )


def order_callback_clock(order: OrderLike, settings: Settings) -> Clock | None:
    """CB-1/CB-3: every completed order is called back in its window."""
    if order.completed_at is None:
        return None
    return callback_clock(
        callback_kind(order.priority, order.leak),
        order.completed_at,
        settings,
        done_at=order.closed_at,
        rained_at=order.rained_at,
    )


def order_clocks(order: OrderLike, settings: Settings) -> list[Clock]:
    """All clocks of an order, in stage order. Clocks still open on a cancelled order, or
    on an unfinished one (it waits for a re-dispatch, R-11/R-13), are left out."""
    clocks: list[Clock] = [dispatch_clock(order, settings)]
    for build in (arrival_clock, return_clock, order_callback_clock):
        clock = build(order, settings)
        if clock is not None:
            clocks.append(clock)
    if order.stage in ("cancelled", "unfinished"):
        clocks = [c for c in clocks if c.done_at is not None]
    elif order.stage == "closed":
        clocks = [c for c in clocks if c.done_at is not None or c.kind == "callback"]
    return clocks


def open_clocks(order: OrderLike, settings: Settings) -> list[Clock]:
    """The clocks still running on an order, most urgent (earliest due) first."""
    return sorted(
        (c for c in order_clocks(order, settings) if c.done_at is None), key=lambda c: c.due_at
    )


def next_clock(order: OrderLike, settings: Settings, now: datetime) -> Clock | None:
    """The clock the board counts down: the open clock due first (a breached one if any).

    ``now`` is accepted for symmetry with the other verdicts; the earliest open due time
    does not depend on it.
    """
    del now
    clocks = open_clocks(order, settings)
    return clocks[0] if clocks else None


def is_breached(order: OrderLike, settings: Settings, now: datetime) -> bool:
    clock = next_clock(order, settings, now)
    return clock is not None and clock.state(now) == ClockState.BREACHED


def urgency_key(order: OrderLike, settings: Settings, now: datetime) -> tuple[int, int, datetime]:
    """Board order: breached first, then emergencies, then least time left."""
    clock = next_clock(order, settings, now)
    due = clock.due_at if clock is not None else _FAR
    breached = clock is not None and now > clock.due_at
    return (0 if breached else 1, 0 if order.priority == "emergency" else 1, due)


def warn_delta(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.workorders.warn_seconds)
