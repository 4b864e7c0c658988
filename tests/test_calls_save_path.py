"""The call form's save, made cheaper (issue 10: p99 of Ctrl+S), says and writes the same.

- The chosen unit and resident are checked with one small statement instead of loading two
  ORM objects: a unit of another site (or none) is still refused, a resident of another
  site is still dropped, a resident of this site still fills the unit (both backends).
- A repair save is still one transaction with an audit row for each insert (the call and
  its work order), in fewer statements than before.
- Text that needs no cleaning skips the cleaning steps: the result is the same as through
  the long way for any text (hypothesis).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk.calls import CallErrors, CallInput, RepairInput, log_call
from shiftdesk.config import Settings
from shiftdesk.db import Actor, read_session, transact
from shiftdesk.errors import ValidationError
from shiftdesk.models import AuditEvent
from shiftdesk.textclean import clean_text
from tests.calls_helpers import Small, populate


@pytest.fixture
def two_sites(engine: Engine) -> tuple[Small, Small]:
    return transact(engine, lambda s: (populate(s, "T"), populate(s, "U")))


def _save(engine: Engine, small: Small, data: CallInput, settings: Settings):  # type: ignore[no-untyped-def]
    actor = Actor(name=f"op{small.site_id}", id=small.operator_id)
    return transact(engine, lambda s: log_call(s, small.site_id, data, settings), actor=actor)


def test_unit_and_resident_are_checked_against_the_site(
    engine: Engine, two_sites: tuple[Small, Small], settings: Settings
) -> None:
    here, there = two_sites
    repair = RepairInput(trade=settings.workorders.trades[0])
    # a unit of the other site, and an id that is no unit at all: refused on the unit field
    for unit_id in (there.units["3-2-1502"], 999_999):
        data = CallInput(
            channel="phone", category="repair", summary="漏水", unit_id=unit_id, repair=repair
        )
        with pytest.raises(CallErrors) as err:
            _save(engine, here, data, settings)
        assert set(err.value.by_field()) == {"unit"}
    # a resident of the other site is dropped and does not pick the unit
    data = CallInput(
        channel="phone",
        category="help",
        summary="钥匙锁在家里",
        resident_id=there.residents["张文华"],
        unit_id=here.units["3-2-501"],
    )
    call = _save(engine, here, data, settings).call
    assert (call.resident_id, call.unit_id) == (None, here.units["3-2-501"])
    # ... and without a unit the call has no place: refused where a place is needed
    data = CallInput(
        channel="phone",
        category="repair",
        summary="漏水",
        resident_id=there.residents["张文华"],
        repair=repair,
    )
    with pytest.raises(CallErrors) as err:
        _save(engine, here, data, settings)
    assert "unit" in err.value.by_field()
    # a resident of this site fills the unit; both ids are kept
    data = CallInput(
        channel="phone",
        category="repair",
        summary="卫生间漏水",
        resident_id=here.residents["张文华"],
        repair=repair,
    )
    logged = _save(engine, here, data, settings)
    assert (logged.call.resident_id, logged.call.unit_id) == (
        here.residents["张文华"],
        here.units["3-2-1501"],
    )
    assert logged.work_order is not None and logged.work_order.unit_id == here.units["3-2-1501"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_repair_save_is_audited_in_six_statements(
    engine: Engine, two_sites: tuple[Small, Small], settings: Settings
) -> None:
    here, _there = two_sites
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2].split()[0].upper())  # noqa: E731
    data = CallInput(
        channel="phone",
        category="repair",
        summary="卫生间漏水",
        caller_name="张伟",
        caller_phone="13800138000",
        unit_id=here.units["3-2-1502"],
        resident_id=here.residents["张伟"],
        repair=RepairInput(trade=settings.workorders.trades[0], priority="urgent"),
    )
    event.listen(engine, "before_cursor_execute", listener)
    try:
        logged = _save(engine, here, data, settings)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert logged.work_order is not None
    # BEGIN IMMEDIATE (the writer's lock), the unit and resident checked in one SELECT, the
    # call, its order and an audit row for each; the COMMIT is the driver's own call
    assert statements == ["BEGIN", "SELECT", "INSERT", "INSERT", "INSERT", "INSERT"], statements
    with read_session(engine) as session:
        trail = session.exec(
            select(AuditEvent).where(AuditEvent.action == "insert").order_by(AuditEvent.id)
        ).all()
    mine = [(e.entity, e.entity_id) for e in trail if e.entity in ("call", "work_order")]
    assert mine[-2:] == [("call", logged.call.id), ("work_order", logged.work_order.id)]
    after = json.loads(trail[-1].after or "{}")
    assert (after["call_id"], after["priority"]) == (logged.call.id, "urgent")
    assert trail[-1].actor == f"op{here.site_id}"


#: any characters, with pieces each cleaning step is about mixed in
_texts = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\n", "\r", "\t", "\x1b[31m", "\u202e", "\u3000", " ", "e\u0301"]),
    ),
    max_size=30,
).map("".join)


@hsettings(max_examples=500, deadline=None)
@given(text=_texts, multiline=st.booleans(), required=st.booleans())
def test_text_that_needs_no_cleaning_comes_out_as_through_every_step(
    text: str, multiline: bool, required: bool
) -> None:
    """A NUL appended forces every cleaning step (and is itself removed by one)."""

    def clean(value: str) -> str:
        try:
            return clean_text(value, max_length=12, multiline=multiline, required=required)
        except ValidationError as err:
            return f"error {err.field} {err.message}"

    assert clean(text) == clean(text + "\x00")
