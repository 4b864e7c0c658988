"""Parcels and mail (§6) and the notifications sent about them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
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
    #: P-5: for a proxy pickup, the liability statement the proxy accepted, as shown
    pickup_note: str = Field(default="", max_length=300)
    #: returned to sender (P-20) or refused at the door (P-1): when, by whom, why
    #: indexed: the statistics count a day's returns by it (S-1)
    returned_at: datetime | None = utc_field(nullable=True, index=True)
    returned_by: int | None = Field(default=None, foreign_key="operator.id")
    return_reason: str = Field(default="", max_length=200)
    version: int = 1


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender; reclaimed if its lease runs out
    SENT = "sent"
    FAILED = "failed"  # will be retried
    GAVE_UP = "gave_up"  # retries exhausted: shown to the operator, re-queued by hand
    SUPPRESSED = "suppressed"  # do-not-notify (P-8)


class Notification(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parcel_id: int | None = Field(default=None, foreign_key="parcel.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    #: checkin | reminder | report | alarm
    kind: str = Field(max_length=16)
    #: the Apprise URL scheme used, or phone / visit / notice for a contact made by hand
    method: str = Field(default="", max_length=24)
    #: which configured Apprise URL (a hash of it: secrets in URLs never reach the database)
    channel: str = Field(default="", max_length=16)
    #: the value put into the URL's {phone} placeholder, if it has one
    address: str = Field(default="", max_length=40)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=2000)
    #: P-8: the resident's do-not-notify note; for a hand-made contact, what was said
    note: str = Field(default="", max_length=200)
    #: the operator who made a contact by hand (phone, home visit)
    recorded_by: int | None = Field(default=None, foreign_key="operator.id")
    status: str = Field(default=NotificationStatus.PENDING.value, max_length=16, index=True)
    attempts: int = 0
    created_at: datetime = utc_field(default_now=True)
    #: P-13: not before this instant (quiet hours) and retry backoff
    not_before: datetime | None = utc_field(nullable=True, index=True)
    #: indexed: the statistics count a day's reminders sent by it (S-1)
    sent_at: datetime | None = utc_field(nullable=True, index=True)
    error: str = Field(default="", max_length=500)


class NoticeSlip(SiteScoped, table=True):
    """One use of a numbered pickup notice (邮件接收通知单, P-15..P-18): the usage record.

    Slips are pre-printed with a red serial and used in order, so the serial is unique per
    site and a spoiled slip is kept as ``void`` with its reason. A slip is "completed" when
    its item was collected (the parcel's pickup) or it was voided; then the duty manager
    reviews it and the supervisor binds the slips in reverse serial order (P-18).
    """

    __tablename__ = "notice_slip"
    __table_args__ = (UniqueConstraint("site_id", "serial", name="uq_notice_slip_serial"),)
    id: int | None = Field(default=None, primary_key=True)
    serial: int
    #: the item the slip announces (None for a spoiled slip)
    parcel_id: int | None = Field(default=None, foreign_key="parcel.id", index=True)
    issued_at: datetime = utc_field(default_now=True)
    issued_by: int | None = Field(default=None, foreign_key="operator.id")
    #: a spoiled or lost slip: why (it still uses its serial)
    void_reason: str = Field(default="", max_length=200)
    #: P-18: reviewed by the duty manager
    reviewed_at: datetime | None = utc_field(nullable=True)
    reviewed_by: int | None = Field(default=None, foreign_key="operator.id")
