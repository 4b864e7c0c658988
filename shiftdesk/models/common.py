"""Shared column types and the metadata's naming convention.

Every datetime is stored as UTC and comes back timezone-aware on both backends
(SQLite has no zone type, so the decorator restores it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from shiftdesk.timeutil import utcnow

# pydantic builds a model's validator when the class is created, about 4 ms per table model
# at every start (70 ms of CPU for all of them); shiftdesk never validates its table models
# through pydantic (their constructors assign), so it is built on first use, if ever
# (issue 10: start-up). Set before any model class below is created.
SQLModel.model_config["defer_build"] = True

# Alembic (render_as_batch on SQLite) needs named constraints to alter them later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime; naive values are refused on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: shiftdesk stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, default_now: bool = False) -> Any:
    """A UTC datetime column; ``default_now`` stamps the row when it is created."""
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "nullable": nullable, "index": index}
    if default_now:
        kwargs["default_factory"] = utcnow
    elif nullable:
        kwargs["default"] = None
    return Field(**kwargs)


class SiteScoped(SQLModel):
    """Every record carries its site: one PostgreSQL database may hold many sites.

    ``site_id`` has no index of its own, on purpose (issue #24): a site's rows are nearly
    every row of its database, so such an index never narrows a search, yet without planner
    statistics (a database made by ``init``/``db upgrade`` has none until the app makes them)
    SQLite preferred it over the timestamp and partial indexes and read the site's whole
    history for one day's report. Lookups that need the site first have composite indexes
    or unique constraints leading with ``site_id`` (units, buildings, the duty log, the open
    work orders).
    """

    site_id: int = Field(foreign_key="site.id")
