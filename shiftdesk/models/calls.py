"""Calls and visits (来电来访, §3) and the complaints they open (§4)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from shiftdesk.models.common import SiteScoped, utc_field


class Channel(StrEnum):
    PHONE = "phone"
    WALK_IN = "walk_in"
    LETTER = "letter"
    ONLINE = "online"
    INTERCOM = "intercom"
    INTERNAL = "internal"  # another department


class Category(StrEnum):
    INQUIRY = "inquiry"
    REPAIR = "repair"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    HELP = "help"
    OTHER = "other"


class CallStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Call(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = utc_field(index=True)
    entered_at: datetime = utc_field(default_now=True)
    #: entered after the fact (received_at edited back): marked in the audit trail too
    late_entry: bool = False
    channel: str = Field(max_length=16, index=True)
    category: str = Field(max_length=16, index=True)
    caller_name: str = Field(default="", max_length=40)
    caller_phone: str = Field(default="", max_length=20, index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    #: where the unit is unknown or outside the estate ("outside / unknown")
    location: str = Field(default="", max_length=120)
    summary: str = Field(default="", max_length=2000)
    action_taken: str = Field(default="", max_length=1000)
    result: str = Field(default="", max_length=1000)
    status: str = Field(default=CallStatus.OPEN.value, max_length=16)
    #: R-5 / C-8: taken by the security control room at night
    night: bool = False
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    version: int = 1


class ComplaintStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # customer told how it is handled
    RESOLVED = "resolved"
    CLOSED = "closed"


class Complaint(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    call_id: int | None = Field(default=None, foreign_key="call.id", index=True)
    received_at: datetime = utc_field(index=True)
    #: "A" (一般/重要/重大) or "B" (一类/二类/三类 x 重大/热点/一般), fixed at creation
    scheme: str = Field(max_length=1)
    #: scheme A: general | important | major; scheme B severity: general | hot | major
    level: str = Field(max_length=16, index=True)
    #: scheme B cause class: "1" | "2" | "3"
    cause_class: str = Field(default="", max_length=1)
    complainants: int = 1
    repeat: bool = False
    department: str = Field(default="", max_length=40)
    status: str = Field(default=ComplaintStatus.OPEN.value, max_length=16, index=True)
    department_reported_at: datetime | None = utc_field(nullable=True)
    answered_at: datetime | None = utc_field(nullable=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    closed_at: datetime | None = utc_field(nullable=True)
    #: indexed: the statistics count a day's escalations by it (S-4, CP-9)
    escalated_at: datetime | None = utc_field(nullable=True, index=True)
    escalation_reason: str = Field(default="", max_length=200)
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    version: int = 1


class ComplaintReport(SiteScoped, table=True):
    """CP-16 / S-7 for a 重大 or 热点 complaint: the handling form (《客户诉求处理表》) sent to
    quality and the leader in charge, and the special report after completion."""

    __tablename__ = "complaint_report"
    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", unique=True)
    #: CP-16: the handling form went to quality and the leader in charge
    form_sent_at: datetime | None = utc_field(nullable=True)
    #: the special report: what the complaint was, its cause, the handling and result, the
    #: lessons learned and the corrective actions
    cause: str = Field(default="", max_length=1000)
    handling: str = Field(default="", max_length=1000)
    lessons: str = Field(default="", max_length=1000)
    actions: str = Field(default="", max_length=1000)
    report_sent_at: datetime | None = utc_field(nullable=True)
    version: int = 1
