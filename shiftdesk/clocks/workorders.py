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

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

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


@dataclass(frozen=True, slots=True)
class OrderRules:
    """The settings the order clocks read, looked up once (zone, limits, parsed times).

    The board judges every open order on each full read (10,000 on a busy site): looking
    these up once instead of once per clock is a third of the work. ``order_rules`` is
    cached on the settings' values, not on the settings object, so a changed setting
    applies at once.
    """

    tz: ZoneInfo
    dispatch: timedelta
    arrival: timedelta
    arrival_urgent: timedelta
    arrival_emergency: timedelta
    return_check: time
    night_start: time
    night_end: time


def order_rules(settings: Settings) -> OrderRules:
    wo, calls = settings.workorders, settings.calls
    return _order_rules(
        settings.site.timezone,
        wo.dispatch_minutes,
        wo.arrival_minutes,
        wo.arrival_urgent_minutes,
        wo.arrival_emergency_minutes,
        wo.return_check_time,
        calls.night_start,
        calls.night_end,
    )


@lru_cache(maxsize=16)
def _order_rules(
    tz: str,
    dispatch: int,
    arrival: int,
    urgent: int,
    emergency: int,
    return_check: str,
    night_start: str,
    night_end: str,
) -> OrderRules:
    return OrderRules(
        tz=zone(tz),
        dispatch=timedelta(minutes=dispatch),
        arrival=timedelta(minutes=arrival),
        arrival_urgent=timedelta(minutes=urgent),
        arrival_emergency=timedelta(minutes=emergency),
        return_check=parse_hhmm(return_check),
        night_start=parse_hhmm(night_start),
        night_end=parse_hhmm(night_end),
    )


def _is_night(instant: datetime, r: OrderRules) -> bool:
    moment = as_utc(instant).astimezone(r.tz).time()
    return in_window(moment, r.night_start, r.night_end)


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


def _return_due(dispatched_at: datetime, r: OrderRules) -> datetime:
    tz = r.tz
    local = as_utc(dispatched_at).astimezone(tz)
    due = datetime.combine(local.date(), r.return_check, tzinfo=tz)
    if local > due:
        due = datetime.combine(local.date() + timedelta(days=1), r.return_check, tzinfo=tz)
    return due.astimezone(UTC)


# Each builder decides first whether its clock is done (cheap), then its due time (the
# zone arithmetic); with ``open_only`` a done clock is not built at all: the board needs
# only the running ones, and most open orders have one running clock of three or four.


def _dispatch(
    order: OrderLike, settings: Settings, r: OrderRules, open_only: bool = False
) -> Clock | None:
    done = order.first_dispatched_at or order.dispatched_at
    if open_only and done is not None:
        return None
    reported = as_utc(order.reported_at)
    night = bool(order.night) or _is_night(reported, r)
    return Clock("dispatch", "R-5" if night else "R-2", reported, reported + r.dispatch, done)


def _arrival(
    order: OrderLike, settings: Settings, r: OrderRules, open_only: bool = False
) -> Clock | None:
    if order.priority == "emergency":
        if open_only and order.arrived_at is not None:
            return None
        reported = as_utc(order.reported_at)
        return Clock("arrival", "R-14", reported, reported + r.arrival_emergency, order.arrived_at)
    if order.dispatched_at is None:
        return None
    arrived = order.arrived_at
    if arrived is not None and arrived < order.dispatched_at:
        arrived = None  # arrived before a re-dispatch: the new arrival clock runs
    if open_only and arrived is not None:
        return None
    limit = r.arrival_urgent if order.priority == "urgent" else r.arrival
    dispatched = as_utc(order.dispatched_at)
    return Clock("arrival", "R-3", dispatched, dispatched + limit, arrived)


def _return(
    order: OrderLike, settings: Settings, r: OrderRules, open_only: bool = False
) -> Clock | None:
    dispatched_at = order.dispatched_at
    if dispatched_at is None:
        return None
    done = None
    for moment in (order.completed_at, order.unfinished_at):
        if moment is not None and moment >= dispatched_at and (done is None or moment < done):
            done = moment
    if open_only and done is not None:
        return None
    dispatched = as_utc(dispatched_at)
    return Clock("return", "R-13", dispatched, _return_due(dispatched, r), done)


def _callback(
    order: OrderLike, settings: Settings, r: OrderRules, open_only: bool = False
) -> Clock | None:
    if order.completed_at is None or (open_only and order.closed_at is not None):
        return None
    return callback_clock(
        callback_kind(order.priority, order.leak),
        order.completed_at,
        settings,
        done_at=order.closed_at,
        rained_at=order.rained_at,
    )


def dispatch_clock(order: OrderLike, settings: Settings) -> Clock:
    """R-2 (R-5 at night): dispatched within ``dispatch_minutes`` of the report."""
    clock = _dispatch(order, settings, order_rules(settings))
    assert clock is not None
    return clock


def arrival_clock(order: OrderLike, settings: Settings) -> Clock | None:
    """R-3 from the latest dispatch (10 min urgent, 15 normal); R-14 from the report."""
    return _arrival(order, settings, order_rules(settings))


def return_clock(order: OrderLike, settings: Settings) -> Clock | None:
    """R-13: returned (completed, or unfinished with a reason) by 17:00 of the dispatch day."""
    return _return(order, settings, order_rules(settings))


def order_callback_clock(order: OrderLike, settings: Settings) -> Clock | None:
    """CB-1/CB-3: every completed order is called back in its window."""
    return _callback(order, settings, order_rules(settings))


_BUILDERS = (_dispatch, _arrival, _return, _callback)


def _clocks(order: OrderLike, settings: Settings, r: OrderRules, open_only: bool) -> list[Clock]:
    stage = order.stage
    if stage in ("cancelled", "unfinished"):
        # clocks still open on a cancelled order, or an unfinished one (it waits for a
        # re-dispatch, R-11/R-13), are left out
        if open_only:
            return []
        built = [build(order, settings, r) for build in _BUILDERS]
        return [c for c in built if c is not None and c.done_at is not None]
    if stage == "closed":  # only the callback runs on after closing
        if open_only:
            callback = _callback(order, settings, r, True)
            return [callback] if callback is not None else []
        built = [build(order, settings, r) for build in _BUILDERS]
        return [
            c for c in built if c is not None and (c.done_at is not None or c.kind == "callback")
        ]
    built = [build(order, settings, r, open_only) for build in _BUILDERS]
    return [c for c in built if c is not None]


def order_clocks(
    order: OrderLike, settings: Settings, *, rules: OrderRules | None = None
) -> list[Clock]:
    """All clocks of an order, in stage order. Clocks still open on a cancelled order, or
    on an unfinished one (it waits for a re-dispatch, R-11/R-13), are left out.

    ``rules`` (``order_rules(settings)``) saves looking the settings up again when judging
    many orders."""
    return _clocks(order, settings, rules or order_rules(settings), False)


def open_clocks(
    order: OrderLike, settings: Settings, *, rules: OrderRules | None = None
) -> list[Clock]:
    """The clocks still running on an order, most urgent (earliest due) first.

    The same builders as ``order_clocks``; the ones already done are skipped before their
    due time is worked out."""
    clocks = _clocks(order, settings, rules or order_rules(settings), True)
    if len(clocks) > 1:
        clocks.sort(key=_due)
    return clocks


def _due(clock: Clock) -> datetime:
    return clock.due_at


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
