"""Export archives already written: the memory behind ``export archive --since-last``."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from shiftdesk.models.common import SiteScoped, utc_field


class ArchiveRun(SiteScoped, table=True):
    """One archive that was written completely (the file exists under its final name).

    ``--since-last`` continues from the latest ``period_to`` of the site's since-last
    runs, so a nightly job never misses or repeats a day; ad-hoc exports are recorded too
    but do not move that cursor.
    """

    __tablename__ = "archive_run"
    # An export's own bookkeeping must not change the archive of a past period: only the
    # moment the run was recorded counts as this row's change time (see shiftdesk.archive).
    __table_args__ = {"info": {"archive_period_columns": ["created_at"]}}

    id: int | None = Field(default=None, primary_key=True)
    #: all | date | range | since_last
    mode: str = Field(max_length=16)
    #: the archived period in UTC, [period_from, period_to); None: from the beginning
    period_from: datetime | None = utc_field(nullable=True)
    period_to: datetime | None = utc_field(nullable=True, index=True)
    file_name: str = Field(max_length=255)
    #: SHA-256 of the archive file as written
    sha256: str = Field(max_length=64)
    tables: int = 0
    rows: int = 0
    #: A-4: whether residents' personal data left the database unmasked
    pii_included: bool = False
    format: str = Field(default="tar.gz", max_length=8)
    created_at: datetime = utc_field(default_now=True)
