"""Shifts and the append-only, hash-chained duty log (§2, §13).

The ``handover_entry`` table is the record: every note, event, incident, correction,
handover, acknowledgement, question, answer, parcel count, override and signature is one
row, chained by SHA-256 per site (``shiftdesk.chain``). The ``shift`` row is a convenient
summary of that record; ``shiftdesk verify`` checks that the two agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from shiftdesk.models.common import SiteScoped, utc_field


class ShiftStatus(StrEnum):
    OPEN = "open"
    PREPARED = "prepared"  # H-5: digest built, awaiting the incoming operator
    CLOSED = "closed"  # signed by outgoing and incoming


class Shift(SiteScoped, table=True):
    id: int | None = Field(default=None, primary_key=True)
    desk: str = Field(max_length=40)
    #: the period name from config (day, night)
    name: str = Field(max_length=24)
    period_start: datetime = utc_field(index=True)
    period_end: datetime = utc_field()
    opened_at: datetime = utc_field(default_now=True)
    #: opened early (negative) or late (positive): minutes off the period start, recorded
    opened_off_by_minutes: int = 0
    status: str = Field(default=ShiftStatus.OPEN.value, max_length=16, index=True)
    #: the operator on duty, who hands over at the end
    outgoing_id: int | None = Field(default=None, foreign_key="operator.id")
    #: the operator taking over (identified when the handover is received)
    incoming_id: int | None = Field(default=None, foreign_key="operator.id")
    prepared_at: datetime | None = utc_field(nullable=True)
    outgoing_signed_at: datetime | None = utc_field(nullable=True)
    incoming_signed_at: datetime | None = utc_field(nullable=True)
    closed_at: datetime | None = utc_field(nullable=True)
    countersigned_at: datetime | None = utc_field(nullable=True)
    countersigned_by: int | None = Field(default=None, foreign_key="operator.id")
    special_instructions: str = Field(default="", max_length=4000)
    #: the digest as built at preparation (JSON), kept with the handover
    digest: str | None = None
    override_by: int | None = Field(default=None, foreign_key="operator.id")
    override_reason: str = Field(default="", max_length=500)


class EntryKind(StrEnum):
    OPEN = "open"  # the shift opened (early or late, recorded)
    NOTE = "note"
    EVENT = "event"  # H-8
    INCIDENT = "incident"  # H-9 special-incident report (E-*)
    CORRECTION = "correction"  # corrects an earlier entry, which stays as it was
    HANDOVER = "handover"  # H-5: the digest as prepared
    OVERRIDE = "override"  # H-6: a supervisor let important unfinished work be handed over
    ACK = "ack"  # the incoming operator acknowledged one digest item
    QUESTION = "question"  # H-2 / H-4: asked by the incoming operator
    ANSWER = "answer"  # ... answered by the outgoing one
    PARCEL_COUNT = "parcel_count"  # H-12: count confirmed or discrepancy recorded
    SIGNATURE = "signature"  # H-6: outgoing and incoming, each with a PIN
    COUNTERSIGN = "countersign"  # H-7: the supervisor's daily signature


class HandoverEntry(SiteScoped, table=True):
    """One line of the duty log; never edited or deleted, chained by SHA-256 per site."""

    __tablename__ = "handover_entry"
    __table_args__ = (UniqueConstraint("site_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    #: position in the site's chain: 1, 2, 3 ... (a gap means a deleted entry)
    seq: int = Field(default=0, index=True)
    shift_id: int | None = Field(default=None, foreign_key="shift.id", index=True)
    at: datetime = utc_field(default_now=True, index=True)
    author_id: int | None = Field(default=None, foreign_key="operator.id")
    kind: str = Field(max_length=16)
    #: H-8 event kind, E-* incident category, or the signer's part (outgoing/incoming)
    category: str = Field(default="", max_length=32)
    body: str = Field(default="", max_length=4000)
    location: str = Field(default="", max_length=120)
    actions: str = Field(default="", max_length=2000)
    notified: str = Field(default="", max_length=500)
    #: newline-separated file paths of photos (H-9)
    photos: str = Field(default="", max_length=2000)
    corrects_id: int | None = Field(default=None, foreign_key="handover_entry.id")
    #: an answer's question, an acknowledgement's handover entry
    reply_to_id: int | None = Field(default=None, foreign_key="handover_entry.id")
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64, index=True)
