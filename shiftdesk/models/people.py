"""Sites, buildings, units, residents and operators."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shiftdesk.models.common import SiteScoped, utc_field


class Role(StrEnum):
    """Software roles (domain.md §1): each includes the powers of the ones before it."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class ResidentKind(StrEnum):
    OWNER = "owner"
    TENANT = "tenant"
    OCCUPANT = "occupant"


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    created_at: datetime = utc_field(default_now=True)


class Building(SiteScoped, table=True):
    __table_args__ = (UniqueConstraint("site_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16)
    name: str = Field(default="", max_length=80)


class Unit(SiteScoped, table=True):
    """A home or office, numbered building-entrance-room as on the estate: 3-2-1502."""

    __table_args__ = (UniqueConstraint("site_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    building_id: int = Field(foreign_key="building.id", index=True)
    code: str = Field(max_length=32, index=True)
    entrance: str = Field(default="", max_length=8)
    floor: int = 0
    room: str = Field(default="", max_length=16)
    #: floor area in square metres as the roster writes it, exact digits ("89.50"); "" unknown
    area: str = Field(default="", max_length=16)


class Resident(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(max_length=40)
    #: full pinyin without tones or spaces ("zhangwei"), for search as you type
    pinyin: str = Field(default="", max_length=160, index=True)
    #: pinyin initials ("zw")
    initials: str = Field(default="", max_length=40, index=True)
    #: digits only, national number (13800138000)
    phone: str = Field(default="", max_length=20, index=True)
    phone2: str = Field(default="", max_length=20)
    kind: str = Field(default=ResidentKind.OWNER.value, max_length=16)
    #: P-8: the resident asked not to be notified about parcels
    do_not_notify: bool = False
    do_not_notify_note: str = Field(default="", max_length=200)
    active: bool = True
    #: H-8 / A-1: the day the resident moved in, and moved out (kept, never deleted)
    moved_in_on: date | None = None
    moved_out_on: date | None = None
    #: last four characters of the identity document, to confirm who is calling (A-2)
    id_last4: str = Field(default="", max_length=4)
    note: str = Field(default="", max_length=500)
    created_at: datetime = utc_field(default_now=True)


class Operator(SQLModel, table=True):
    """Someone who signs in. ``system`` is the built-in identity for unattended scripts."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    name: str = Field(max_length=40, unique=True)
    display_name: str = Field(default="", max_length=40)
    role: str = Field(default=Role.OPERATOR.value, max_length=16)
    pin_hash: str = Field(default="", max_length=255)
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = utc_field(nullable=True)
    created_at: datetime = utc_field(default_now=True)

    @property
    def label(self) -> str:
        return self.display_name or self.name
