"""The audit trail: who did what to which record, with the values before and after."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shiftdesk.models.common import utc_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, index=True)
    at: datetime = utc_field(default_now=True, index=True)
    actor: str = Field(max_length=40)
    actor_id: int | None = None
    #: written by an unattended script under the built-in ``system`` identity
    is_system: bool = False
    #: insert, update, delete, read, sign_in, sign_in_failed, export, ...
    action: str = Field(max_length=32)
    entity: str = Field(max_length=40, index=True)
    entity_id: int | None = Field(default=None, index=True)
    before: str | None = None
    after: str | None = None
    note: str = Field(default="", max_length=500)
