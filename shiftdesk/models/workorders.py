"""Work orders (维修单 / 派工单, §5) with one timestamp per stage, and callbacks (§10)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, event, inspect, text
from sqlmodel import Field

# Installs the PostgreSQL NOTIFY on every write, so all terminals see changes (issue 4).
import shiftdesk.changes  # noqa: F401
from shiftdesk.clocks.workorders import OPEN_STAGES
from shiftdesk.models.common import SiteScoped, utc_field

#: The open orders, as SQL with the values inline: the WHERE of the partial index below.
#: A query uses that index only if it has this very term with the same literal values
#: (``shiftdesk.workorders.open_stage``), in the same order.
OPEN_STAGES_SQL = "stage IN (" + ", ".join(f"'{stage}'" for stage in OPEN_STAGES) + ")"


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Stage(StrEnum):
    REPORTED = "reported"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    UNFINISHED = "unfinished"
    CLOSED = "closed"  # called back
    CANCELLED = "cancelled"


class WorkOrder(SiteScoped, table=True):
    __tablename__ = "work_order"
    # The board reads a site's open orders: ~10,000 among a year's 300,000. The stage index
    # cannot serve "stage IN (six of eight stages)" (SQLite scans the table, 0.9 s with a
    # year of orders), this partial index holds only the open ones (docs/performance.md).
    __table_args__ = (
        Index(
            "ix_work_order_open",
            "site_id",
            "id",
            sqlite_where=text(OPEN_STAGES_SQL),
            postgresql_where=text(OPEN_STAGES_SQL),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    call_id: int | None = Field(default=None, foreign_key="call.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    location: str = Field(default="", max_length=120)
    #: in the home (户内) or a public area
    in_home: bool = True
    trade: str = Field(max_length=24, index=True)
    priority: str = Field(default=Priority.NORMAL.value, max_length=16, index=True)
    #: R-15: a paid repair, and whether the material price was confirmed before work
    paid: bool = False
    price_confirmed: bool = False
    summary: str = Field(default="", max_length=2000)
    reporter_name: str = Field(default="", max_length=40)
    reporter_phone: str = Field(default="", max_length=20)
    #: R-7: may the spare key be used if nobody is home
    spare_key_ok: bool = False
    team: str = Field(default="", max_length=24)
    assignee: str = Field(default="", max_length=40)
    stage: str = Field(default=Stage.REPORTED.value, max_length=16, index=True)
    night: bool = False
    reported_at: datetime = utc_field(index=True)
    dispatched_at: datetime | None = utc_field(nullable=True)
    #: R-2: the dispatch clock stops at the first dispatch; a re-dispatch (after
    #: "unfinished", R-11) restarts only the arrival and return clocks
    first_dispatched_at: datetime | None = utc_field(nullable=True)
    accepted_at: datetime | None = utc_field(nullable=True)
    arrived_at: datetime | None = utc_field(nullable=True)
    completed_at: datetime | None = utc_field(nullable=True, index=True)
    closed_at: datetime | None = utc_field(nullable=True)
    cancelled_at: datetime | None = utc_field(nullable=True)
    unfinished_at: datetime | None = utc_field(nullable=True)
    reported_by: int | None = Field(default=None, foreign_key="operator.id")
    dispatched_by: int | None = Field(default=None, foreign_key="operator.id")
    accepted_by: int | None = Field(default=None, foreign_key="operator.id")
    arrived_by: int | None = Field(default=None, foreign_key="operator.id")
    completed_by: int | None = Field(default=None, foreign_key="operator.id")
    closed_by: int | None = Field(default=None, foreign_key="operator.id")
    unfinished_by: int | None = Field(default=None, foreign_key="operator.id")
    cancelled_by: int | None = Field(default=None, foreign_key="operator.id")
    result: str = Field(default="", max_length=1000)
    unfinished_reason: str = Field(default="", max_length=500)
    cancel_reason: str = Field(default="", max_length=500)
    #: 返修: this order redoes an earlier one
    rework_of_id: int | None = Field(default=None, foreign_key="work_order.id", index=True)
    #: CB-3: a leak repair is called back after the first rain; set when it rained
    leak: bool = False
    rained_at: datetime | None = utc_field(nullable=True)
    version: int = 1


class CallbackOutcome(StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"


class Callback(SiteScoped, table=True):
    """A callback (回访) owed after a repair or a complaint, with its window (CB-*)."""

    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int | None = Field(default=None, foreign_key="work_order.id", index=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    #: urgent | leak | general | complaint
    kind: str = Field(max_length=16)
    due_at: datetime | None = utc_field(nullable=True, index=True)
    done_at: datetime | None = utc_field(nullable=True, index=True)
    outcome: str = Field(default="", max_length=16)
    note: str = Field(default="", max_length=500)
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    #: unreachable attempts before the one that reached the customer (CB-6 chases)
    attempts: int = 0
    last_attempt_at: datetime | None = utc_field(nullable=True)


class BreachAck(SiteScoped, table=True):
    """An operator acknowledged a breached clock's alarm: who and when (issue 4).

    A breach is identified by its order, clock kind and due time, so a clock that is
    restarted (a re-dispatch) and breaches again raises a new alarm.
    """

    __tablename__ = "breach_ack"
    id: int | None = Field(default=None, primary_key=True)
    work_order_id: int = Field(foreign_key="work_order.id", index=True)
    kind: str = Field(max_length=16)
    due_at: datetime = utc_field()
    acked_at: datetime = utc_field(default_now=True)
    acked_by: int | None = Field(default=None, foreign_key="operator.id")
    acked_name: str = Field(default="", max_length=40)


@event.listens_for(WorkOrder, "before_update")
def _bump_version(_mapper: Any, _conn: Any, target: WorkOrder) -> None:
    """Every update of an order bumps ``version``, so a stale copy is always detected.

    The services set it themselves after checking the expected version; any other writer
    (another area's code, a script) gets the bump here.
    """
    if not inspect(target).attrs.version.history.has_changes():
        target.version = (target.version or 0) + 1
