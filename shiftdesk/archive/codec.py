"""Values in archives: one text form per value, whatever database it came from.

An archive of the same data must be byte-identical on SQLite and PostgreSQL, so every
value is normalised on the way out: datetimes become ISO 8601 in UTC with microseconds
(``2026-11-22T02:00:00.000000+00:00``), booleans JSON ``true``/``false``, decimals text.
The way back (restore) turns them into what the database driver takes, without the ORM.

Rows are fetched and inserted through the DBAPI cursor, not through SQLAlchemy's row
processing: at a million rows that layer costs more than the whole CSV encoding (see
docs/performance.md). The fast paths below are checked against SQLAlchemy's own
processors by tests (tests/test_export_codec.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Time,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from shiftdesk.models.common import UTCDateTime

#: one value from the database (raw DBAPI form) -> its archive form (JSON-able)
Encoder = Callable[[Any], Any]
#: one value from an archive (decoded JSON) -> what the DBAPI driver takes
Decoder = Callable[[Any], Any]


def base_type(col_type: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type under any decorator (SQLModel's AutoString is a decorated String)."""
    while isinstance(col_type, TypeDecorator) and not isinstance(col_type, UTCDateTime):
        col_type = col_type.impl_instance
    return col_type


def is_datetime(column: Column[Any]) -> bool:
    return isinstance(base_type(column.type), UTCDateTime | DateTime)


def iso_utc(value: datetime) -> str:
    """The archive form of an instant: UTC, microseconds always written (fixed width)."""
    if value.tzinfo is None:  # UTCDateTime stores UTC without a zone on SQLite
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def jsonable(value: Any) -> Any:
    """Anything a column may hold, as a JSON value (the generic, slower path)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


# ----------------------------------------------------------------------------- out


def inline(template: str) -> Callable[[Encoder], Encoder]:
    """Attach the expression a generated row converter may use instead of calling ``fn``.

    ``{v}`` is the value, ``{f}`` the function itself (the fallback); the expression must
    give the same result as the function (tests/test_export_codec.py checks).
    """

    def attach(fn: Encoder) -> Encoder:
        fn.inline = template  # type: ignore[attr-defined]
        return fn

    return attach


@inline(
    "(None if {v} is None else {v}.replace(' ', 'T') + '+00:00' "
    "if {v}.__class__ is str and len({v}) == 26 and {v}[10] == ' ' else {f}({v}))"
)
def _sqlite_utc_to_iso(value: Any) -> Any:
    # SQLAlchemy stores UTCDateTime on SQLite as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
    if value.__class__ is str and len(value) == 26 and value[10] == " ":
        return value.replace(" ", "T") + "+00:00"
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return iso_utc(value)


def _aware_to_iso(value: Any) -> Any:
    if value is None:
        return None
    return iso_utc(value)


@inline("(None if {v} is None else {v} != 0)")
def _sqlite_bool(value: Any) -> Any:
    return None if value is None else value != 0


@inline("({v} != 0)")
def _sqlite_bool_not_null(value: Any) -> Any:
    return value != 0


def encoder_for(column: Column[Any], dialect: Dialect) -> Encoder | None:
    """How to turn this column's raw DBAPI value into its archive form (None: as it is)."""
    col_type = base_type(column.type)
    sqlite = dialect.name == "sqlite"
    if isinstance(col_type, UTCDateTime):
        return _sqlite_utc_to_iso if sqlite else _aware_to_iso
    if isinstance(col_type, Boolean):
        if not sqlite:
            return None
        return _sqlite_bool if column.nullable else _sqlite_bool_not_null
    if isinstance(col_type, Integer | String | Float):
        return None
    # dialect_impl: the processors of the type as this dialect stores it (the bare type's
    # processors skip the dialect's own conversion, e.g. SQLite's datetime text)
    process = column.type.dialect_impl(dialect).result_processor(dialect, None)

    def generic(value: Any) -> Any:
        if value is None:
            return None
        if process is not None:
            value = process(value)
        return jsonable(value)

    return generic


# ----------------------------------------------------------------------------- in


def _iso_to_sqlite_fallback(column: Column[Any], dialect: Dialect) -> Decoder:
    bind = column.type.dialect_impl(dialect).bind_processor(dialect)

    def decode(value: Any) -> Any:
        if value is None:
            return None
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return bind(parsed) if bind is not None else parsed

    return decode


def decoder_for(column: Column[Any], dialect: Dialect) -> Decoder | None:
    """How to turn an archive value back into a DBAPI parameter (None: as it is)."""
    col_type = base_type(column.type)
    sqlite = dialect.name == "sqlite"
    if isinstance(col_type, UTCDateTime):
        if sqlite:
            slow = _iso_to_sqlite_fallback(column, dialect)

            def iso_to_sqlite(value: Any) -> Any:
                if type(value) is str and len(value) == 32 and value.endswith("+00:00"):
                    return value[:10] + " " + value[11:26]
                return slow(value)

            return iso_to_sqlite

        def iso_to_aware(value: Any) -> Any:
            return None if value is None else datetime.fromisoformat(value)

        return iso_to_aware
    if isinstance(col_type, Boolean | Integer | String | Float):
        return None
    bind = column.type.dialect_impl(dialect).bind_processor(dialect)

    def to_python(value: Any) -> Any:
        if isinstance(col_type, DateTime):
            return datetime.fromisoformat(value)
        if isinstance(col_type, Date):
            return date.fromisoformat(value)
        if isinstance(col_type, Time):
            return time.fromisoformat(value)
        if isinstance(col_type, Numeric):
            return Decimal(str(value))
        if isinstance(col_type, LargeBinary):
            return base64.b64decode(value)
        if isinstance(col_type, JSON) and isinstance(value, str):
            return json.loads(value)
        return value

    def generic(value: Any) -> Any:
        if value is None:
            return None
        value = to_python(value)
        return bind(value) if bind is not None else value

    return generic
