"""Parcels and mail (§6) and the notifications sent about them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from shiftdesk.models.common import SiteScoped, utc_field


class ParcelKind(StrEnum):
    PARCEL = "parcel"
    REGISTERED = "registered"  # 挂号信
    EMS = "ems"
    DOCUMENT = "document"
    PARCEL_SLIP = "parcel_slip"  # 包裹单
    REMITTANCE_SLIP = "remittance_slip"  # 汇款单
    OTHER = "other"


class ParcelStatus(StrEnum):
    WAITING = "waiting"
    PICKED_UP = "picked_up"
    RETURNED = "returned"
    REFUSED = "refused"


class Parcel(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    tracking: str = Field(max_length=64, index=True)
    carrier: str = Field(default="other", max_length=24)
    kind: str = Field(default=ParcelKind.PARCEL.value, max_length=24)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    recipient_name: str = Field(default="", max_length=40)
    shelf: str = Field(default="", max_length=16)
    pieces: int = 1
    damaged: bool = False
    damage_note: str = Field(default="", max_length=200)
    status: str = Field(default=ParcelStatus.WAITING.value, max_length=16, index=True)
    received_at: datetime = utc_field(index=True)
    received_by: int | None = Field(default=None, foreign_key="operator.id")
    #: P-8: not notified at the resident's request
    notify_suppressed: bool = False
    reminders: int = 0
    last_reminded_at: datetime | None = utc_field(nullable=True)
    picked_up_at: datetime | None = utc_field(nullable=True, index=True)
    released_by: int | None = Field(default=None, foreign_key="operator.id")
    #: self | proxy (P-5)
    pickup_by: str = Field(default="", max_length=8)
    proxy_name: str = Field(default="", max_length=40)
    proxy_phone: str = Field(default="", max_length=20)
    id_type: str = Field(default="", max_length=16)
    #: last four characters of the ID shown, never the whole number
    id_last4: str = Field(default="", max_length=4)
    returned_at: datetime | None = utc_field(nullable=True)
    return_reason: str = Field(default="", max_length=200)
    version: int = 1


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # will be retried
    SUPPRESSED = "suppressed"  # do-not-notify (P-8)


class Notification(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parcel_id: int | None = Field(default=None, foreign_key="parcel.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    #: checkin | reminder | report | alarm
    kind: str = Field(max_length=16)
    #: the Apprise URL scheme used, or "desk" for a manual note (phone, home visit)
    method: str = Field(default="", max_length=24)
    body: str = Field(default="", max_length=2000)
    status: str = Field(default=NotificationStatus.PENDING.value, max_length=16, index=True)
    attempts: int = 0
    created_at: datetime = utc_field(default_now=True)
    #: P-13: not before this instant (quiet hours) and retry backoff
    not_before: datetime | None = utc_field(nullable=True, index=True)
    sent_at: datetime | None = utc_field(nullable=True)
    error: str = Field(default="", max_length=500)
