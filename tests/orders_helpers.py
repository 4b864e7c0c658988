"""A work order as the clock functions see it (``clocks.workorders.OrderLike``), for tests
that judge clocks without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Order:
    reported_at: datetime
    priority: str = "normal"
    stage: str = "reported"
    night: bool = False
    leak: bool = False
    dispatched_at: datetime | None = None
    first_dispatched_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    unfinished_at: datetime | None = None
    closed_at: datetime | None = None
    rained_at: datetime | None = None
