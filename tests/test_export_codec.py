"""Archive values: the fast paths agree with SQLAlchemy's own processors on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from shiftdesk.archive.codec import decoder_for, encoder_for, iso_utc
from shiftdesk.db import transact
from shiftdesk.models import Call, Site

CREATED = Site.__table__.c.created_at  # type: ignore[attr-defined]
ACTIVE = Call.__table__.c.night  # type: ignore[attr-defined]
SQLITE = sqlite.dialect()
PG = postgresql.dialect()

instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(instants)
def test_sqlite_datetime_fast_path_matches_sqlalchemy(value: datetime) -> None:
    bind = CREATED.type.dialect_impl(SQLITE).bind_processor(SQLITE)
    stored = bind(value)  # what SQLAlchemy writes into the SQLite file
    encode = encoder_for(CREATED, SQLITE)
    decode = decoder_for(CREATED, SQLITE)
    assert encode is not None and decode is not None
    text = encode(stored)
    assert text == iso_utc(value)
    assert len(text) == 32 and text.endswith("+00:00")
    assert decode(text) == stored


@given(instants, st.integers(min_value=-12, max_value=14))
def test_postgres_datetime_is_written_in_utc_whatever_the_session_zone(
    value: datetime, hours: int
) -> None:
    encode = encoder_for(CREATED, PG)
    decode = decoder_for(CREATED, PG)
    assert encode is not None and decode is not None
    shown = value.astimezone(timezone(timedelta(hours=hours)))  # as psycopg may return it
    assert encode(shown) == iso_utc(value)
    assert decode(encode(shown)) == value


def test_unusual_sqlite_datetime_text_still_converts() -> None:
    encode = encoder_for(CREATED, SQLITE)
    decode = decoder_for(CREATED, SQLITE)
    assert encode is not None and decode is not None
    assert encode("2026-11-22 02:00:00") == "2026-11-22T02:00:00.000000+00:00"
    assert decode("2026-11-22T10:00:00+08:00") == "2026-11-22 02:00:00.000000"


def test_booleans_are_json_booleans_on_sqlite() -> None:
    from sqlalchemy import Boolean, Column

    nullable = Column("flag", Boolean, nullable=True)
    encode = encoder_for(nullable, SQLITE)
    assert encode is not None
    assert (encode(1), encode(0), encode(None)) == (True, False, None)
    not_null = encoder_for(ACTIVE, SQLITE)
    assert not_null is not None and (not_null(1), not_null(0)) == (True, False)
    assert encoder_for(ACTIVE, PG) is None  # psycopg already returns bool


def test_generated_converters_give_what_the_functions_give() -> None:
    """The inline expressions of the row converter (export speed) equal the functions."""
    from sqlalchemy import Boolean, Column

    from shiftdesk.archive.export import compile_rows

    columns = [CREATED, Column("flag", Boolean, nullable=True), ACTIVE]
    steps = {i: f for i, c in enumerate(columns) if (f := encoder_for(c, SQLITE))}
    convert = compile_rows(steps, len(columns), False)
    samples = [
        ("2026-11-22 02:00:00.000000", 1, 1),
        ("2026-11-22 02:00:00", 0, 0),
        (None, None, 1),
        ("2026-11-22T10:00:00+08:00", 1, 0),
    ]
    expected = [[steps[i](v) for i, v in enumerate(row)] for row in samples]
    assert convert(samples) == expected
    assert expected[1][0] == expected[3][0] == "2026-11-22T02:00:00.000000+00:00"


def test_raw_sqlite_value_round_trips_through_the_archive_form(sqlite_engine: Engine) -> None:
    moment = datetime(2026, 11, 22, 2, 3, 4, 567, tzinfo=UTC)
    transact(sqlite_engine, lambda s: s.add(Site(code="X", name="x", created_at=moment)))
    with sqlite_engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT created_at FROM site").scalar_one()
    encode = encoder_for(CREATED, SQLITE)
    assert encode is not None
    assert encode(raw) == "2026-11-22T02:03:04.000567+00:00"
