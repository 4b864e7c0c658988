"""The customer file (客户档案, domain §11): what the desk keeps beyond the roster row, and
the read log of who looked at personal data (A-6)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from shiftdesk.models.common import SiteScoped, utc_field


class NotifyChannel(StrEnum):
    """P-8: how the resident wants to be told (``none``: do not notify, with its note)."""

    SMS = "sms"
    PHONE = "phone"
    WECHAT = "wechat"
    NONE = "none"


class CustomerFile(SiteScoped, table=True):
    """One resident's file (A-2): emergency contact, notification preference, and the
    special instructions the desk must know (H-17)."""

    __tablename__ = "customer_file"
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", unique=True)
    emergency_name: str = Field(default="", max_length=40)
    emergency_relation: str = Field(default="", max_length=20)
    #: digits as stored for residents (lookup.normalise_phone)
    emergency_phone: str = Field(default="", max_length=20)
    notify_channel: str = Field(default=NotifyChannel.SMS.value, max_length=16)
    #: H-17: who did the flat handover, a key left for return repairs, ...
    special_instructions: str = Field(default="", max_length=2000)
    updated_at: datetime = utc_field(default_now=True)


class FileAccess(SiteScoped, table=True):
    """A-6: a customer file was read, a masked phone revealed or a file exported: who, when
    and why (and who approved, when the role needs an approver)."""

    __tablename__ = "file_access"
    id: int | None = Field(default=None, primary_key=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    at: datetime = utc_field(index=True)
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    #: the actor's name as signed in ("system" for scripts)
    operator_name: str = Field(max_length=40)
    #: view, reveal, edit
    action: str = Field(max_length=16)
    reason: str = Field(default="", max_length=200)
    approved_by_id: int | None = Field(default=None, foreign_key="operator.id")
