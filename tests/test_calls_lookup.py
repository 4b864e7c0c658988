"""Resident / unit lookup as you type: the core query and the keyboard widget."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select
from textual.app import ComposeResult
from textual.screen import Screen

from screens.widgets.lookup import ResidentLookup
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.errors import ValidationError
from shiftdesk.lookup import lookup, normalise_phone, phone_digits, unit_prefix
from shiftdesk.models import Resident
from tests.calls_helpers import populate
from tests.pilot import build_app, settle, sign_in, type_text

#: rules that do not depend on the backend run on SQLite only (PostgreSQL setup is slower)
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def site_id(engine: Engine) -> int:
    return transact(engine, lambda s: populate(s).site_id)


def _find(engine: Engine, site_id: int, text: str) -> list[tuple[str, str]]:
    with read_session(engine) as session:
        return [(h.unit_code, h.name) for h in lookup(session, site_id, text)]


def test_unit_prefix_lists_units_then_their_residents(engine: Engine, site_id: int) -> None:
    found = _find(engine, site_id, "3-2-15")
    assert found == [
        ("3-2-1501", ""),
        ("3-2-1501", "张文华"),
        ("3-2-1502", ""),
        ("3-2-1502", "张伟"),
        ("3-2-1502", "李娜"),
        ("3-2-1503", ""),
    ]


@sqlite_only
def test_unit_query_accepts_spaces_and_fullwidth_dashes(engine: Engine, site_id: int) -> None:
    assert _find(engine, site_id, "3 2 1502")[:2] == [("3-2-1502", ""), ("3-2-1502", "张伟")]
    assert _find(engine, site_id, "3－2－1502")[0] == ("3-2-1502", "")


@sqlite_only
def test_exact_unit_comes_first(engine: Engine, site_id: int) -> None:
    assert _find(engine, site_id, "3-2-501")[0] == ("3-2-501", "")


def test_name_pinyin_and_initials_find_zhang_wei(engine: Engine, site_id: int) -> None:
    for query in ["张伟", "zhangwei", "zhangw", "ZhangW", "zw", "zhang wei"]:
        assert _find(engine, site_id, query)[0] == ("3-2-1502", "张伟"), query


@sqlite_only
def test_initials_prefix_also_offers_longer_names(engine: Engine, site_id: int) -> None:
    # zw is exactly 张伟's initials, and the start of 张文华's (zwh)
    assert _find(engine, site_id, "zw") == [("3-2-1502", "张伟"), ("3-2-1501", "张文华")]


@sqlite_only
def test_chinese_surname_and_given_name(engine: Engine, site_id: int) -> None:
    assert {n for _, n in _find(engine, site_id, "张")} == {"张伟", "张文华"}
    # a given name finds the names that contain it
    assert {n for _, n in _find(engine, site_id, "娜")} == {"李娜", "欧阳娜娜"}


def test_phone_digits_with_any_separators(engine: Engine, site_id: int) -> None:
    for query in [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "0086 13800138000",
        "(+86)138",
        "1380013",
    ]:
        assert _find(engine, site_id, query)[0] == ("3-2-1502", "张伟"), query


@sqlite_only
def test_landline_with_trunk_zero(engine: Engine, site_id: int) -> None:
    assert _find(engine, site_id, "021-6123 4567") == [("3-2-501", "王芳")]


def test_inactive_other_sites_and_nonsense_give_nothing(engine: Engine, site_id: int) -> None:
    assert _find(engine, site_id, "13700000000") == []
    assert _find(engine, site_id, "qqqq") == []
    assert _find(engine, site_id, "z") == []  # one letter would match half the estate
    assert _find(engine, site_id, "%") == []
    assert _find(engine, site_id, "3-%") == []  # LIKE wildcards are taken literally
    assert _find(engine, site_id + 1, "zw") == []  # another site's residents are not offered


@sqlite_only
def test_limit_is_respected(engine: Engine, site_id: int) -> None:
    with read_session(engine) as session:
        assert len(lookup(session, site_id, "3-2", limit=3)) == 3


# ------------------------------------------------------------------------ phone numbers


def test_normalise_phone_stores_national_digits() -> None:
    assert normalise_phone("+86 138-0013-8000") == "13800138000"
    assert normalise_phone("021 6123 4567") == "2161234567"
    assert normalise_phone("+852 9123 4567") == "+85291234567"
    assert normalise_phone("  ") == ""


@pytest.mark.parametrize("bad", ["12345", "138001380001234", "call me", "000"])
def test_implausible_phone_is_rejected_on_the_phone_field(bad: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_phone(bad)
    assert err.value.field == "phone"


SEPARATORS = st.sampled_from([" ", "-", "", ".", "  ", "－"])


@given(
    prefix=st.sampled_from(["138", "139", "186", "150", "177", "199"]),
    rest=st.text("0123456789", min_size=8, max_size=8),
    sep=SEPARATORS,
    cc=st.sampled_from(["", "+86 ", "0086", "+86-", "86"]),
)
def test_any_spelling_of_a_mobile_normalises_to_its_digits(
    prefix: str, rest: str, sep: str, cc: str
) -> None:
    digits = prefix + rest
    typed = cc + sep.join([digits[:3], digits[3:7], digits[7:]])
    assert phone_digits(typed) == digits
    assert normalise_phone(typed) == digits


@given(st.text(max_size=30))
def test_phone_digits_and_unit_prefix_never_crash(text: str) -> None:
    assert phone_digits(text).isdigit() or phone_digits(text) == ""
    prefix = unit_prefix(text)
    assert prefix is None or prefix.strip() == prefix


# ------------------------------------------------------------------------ the widget


class LookupHarness(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []

    def compose(self) -> ComposeResult:
        yield ResidentLookup(id="who")

    def on_resident_lookup_chosen(self, event: ResidentLookup.Chosen) -> None:
        self.events.append(("chosen", event.hit))

    def on_resident_lookup_cleared(self, event: ResidentLookup.Cleared) -> None:
        self.events.append(("cleared", None))


async def _harness(pilot: Any) -> tuple[LookupHarness, ResidentLookup]:
    await sign_in(pilot)
    screen = LookupHarness()
    await pilot.app.push_screen(screen)
    await pilot.pause()
    widget = screen.query_one(ResidentLookup)
    widget.focus()
    return screen, widget


def _resident(engine: Engine, **where: Any) -> Resident:
    with read_session(engine) as session:
        stmt = select(Resident)
        for key, value in where.items():
            stmt = stmt.where(getattr(Resident, key) == value)
        found = session.exec(stmt).first()
        assert found is not None
        return found


async def test_widget_by_keyboard_alone(base_engine: Engine, settings: Settings) -> None:
    target = _resident(base_engine, name="张伟")
    spaced = f"+86 {target.phone[:3]} {target.phone[3:7]}"
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, widget = await _harness(pilot)
        # initials, then Enter chooses the first line
        await type_text(pilot, target.initials)
        assert widget.is_open
        await pilot.press("enter")
        await pilot.pause()
        kind, hit = screen.events[-1]
        assert kind == "chosen" and hit.resident_id == target.id
        assert widget.chosen == hit and not widget.is_open
        assert target.name in widget.text
        # a unit: the unit itself first, Down then Enter picks its resident
        widget.clear()
        await settle(pilot)
        assert screen.events[-1] == ("cleared", None)
        await type_text(pilot, "1-1-2101")
        await pilot.press("down", "enter")
        await pilot.pause()
        _, hit = screen.events[-1]
        assert hit.unit_code == "1-1-2101" and hit.resident_id is not None
        # editing the text again withdraws the choice
        await type_text(pilot, "x")
        assert screen.events[-1] == ("cleared", None)
        assert widget.chosen is None
        # phone digits with separators; Esc closes the list and chooses nothing
        widget.clear()
        await type_text(pilot, spaced)
        assert widget.is_open
        count = len(screen.events)
        await pilot.press("escape")
        assert not widget.is_open
        await pilot.press("down")  # with the list closed: opens nothing, chooses nothing
        assert len(screen.events) == count
        # Enter typed before the results arrive chooses the first result when they do
        widget.clear()
        await settle(pilot)
        await pilot.press(*list(target.initials), "enter")
        await settle(pilot)
        assert screen.events[-1][0] == "chosen"
        assert screen.events[-1][1].resident_id == target.id
