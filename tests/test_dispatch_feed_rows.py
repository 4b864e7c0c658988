"""The board's fast paths give the same answers as the plain ones (issue 10, start-up).

The dispatch feed judges every open order at start-up, so three things were made cheaper;
each is checked here against what it replaced:

- ``open_clocks`` skips building clocks that are already done: it must return exactly the
  running clocks of ``order_clocks`` (R-2/R-3/R-5/R-13/R-14, CB-3), earliest due first;
- the settings the clocks read are looked up once per read and cached by their values, so
  a changed setting (R-8: dispatch within 5 minutes) still applies at once;
- on SQLite the rows' date-times are read as stored text and parsed: the same aware UTC
  instants the ORM gives, on both backends; breach keys stay equal to the second.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select

from shiftdesk import workorders as wo
from shiftdesk.clocks.workorders import OPEN_STAGES, STAGE_ORDER, open_clocks, order_clocks
from shiftdesk.config import Settings
from shiftdesk.db import read_session, transact
from shiftdesk.models import WorkOrder
from shiftdesk.sites import ensure_site
from tests.conftest import FROZEN
from tests.orders_helpers import Order

SH = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 site time, a Monday


def _moment() -> st.SearchStrategy[datetime | None]:
    """None, or an instant within two days of BASE (minutes, so boundaries get hit)."""
    return st.one_of(
        st.none(),
        st.integers(min_value=-600, max_value=2 * 24 * 60).map(
            lambda m: BASE + timedelta(minutes=m)
        ),
    )


orders = st.builds(
    Order,
    reported_at=st.integers(min_value=-24 * 60, max_value=24 * 60).map(
        lambda m: BASE + timedelta(minutes=m, seconds=17, microseconds=250)
    ),
    priority=st.sampled_from(["normal", "urgent", "emergency"]),
    stage=st.sampled_from(STAGE_ORDER),
    night=st.booleans(),
    leak=st.booleans(),
    dispatched_at=_moment(),
    first_dispatched_at=_moment(),
    arrived_at=_moment(),
    completed_at=_moment(),
    unfinished_at=_moment(),
    closed_at=_moment(),
    rained_at=_moment(),
)


@hsettings(max_examples=400, deadline=None)
@given(order=orders)
def test_open_clocks_are_exactly_the_running_clocks_of_order_clocks(order: Order) -> None:
    settings = Settings()
    expected = sorted(
        (c for c in order_clocks(order, settings) if c.done_at is None), key=lambda c: c.due_at
    )
    assert open_clocks(order, settings) == expected


def test_a_changed_setting_applies_at_the_next_judgement() -> None:
    """R-2 then R-8: the cached rules follow the settings' values, not the object."""
    settings = Settings()
    order = Order(reported_at=BASE)
    assert open_clocks(order, settings)[0].due_at == BASE + timedelta(minutes=3)
    settings.workorders.dispatch_minutes = 5
    assert open_clocks(order, settings)[0].due_at == BASE + timedelta(minutes=5)
    assert order_clocks(order, settings)[0].due_at == BASE + timedelta(minutes=5)
    # reported at 21:00 site time, the same limit under the night rule
    night = Order(reported_at=datetime(2026, 11, 23, 21, 0, tzinfo=SH))
    assert [(c.kind, c.rule) for c in open_clocks(night, settings)] == [("dispatch", "R-5")]
    settings.calls.night_start = "22:00"
    assert [(c.kind, c.rule) for c in open_clocks(night, settings)] == [("dispatch", "R-2")]


def test_board_rows_read_the_same_instants_as_the_orm(engine: Engine, settings: Settings) -> None:
    site_id = int(transact(engine, lambda s: ensure_site(s, settings).id))

    def create(session):  # type: ignore[no-untyped-def]
        made = []
        for i, priority in enumerate(("normal", "urgent", "emergency")):
            order = wo.create_order(
                session,
                site_id=site_id,
                reported_at=FROZEN - timedelta(minutes=30 + i, microseconds=123456),
                trade="electrical",
                priority=priority,
                summary=f"灯不亮 {i}",
                location="2号楼大堂",
                in_home=False,
            )
            made.append(order.id)
        return made

    ids = transact(engine, create)
    transact(
        engine,
        lambda s: wo.dispatch(
            s, ids[0], team="engineering", at=FROZEN - timedelta(minutes=20, microseconds=7)
        ),
    )
    with read_session(engine) as session:
        rows = {r.id: r for r in wo.load_rows(session, site_id=site_id)}
        some = wo.load_rows(session, site_id=site_id, ids=[ids[1]])
        orm = {o.id: o for o in session.exec(select(WorkOrder)).all()}
    assert sorted(rows) == sorted(ids)
    assert [r.id for r in some] == [ids[1]]
    for order_id, row in rows.items():
        order = orm[order_id]
        assert row.stage in OPEN_STAGES
        for name in ("reported_at", "dispatched_at", "first_dispatched_at", "arrived_at",
                     "completed_at", "closed_at", "rained_at"):  # fmt: skip
            value = getattr(row, name)
            assert value == getattr(order, name), name
            assert value is None or value.utcoffset() == timedelta(0), name
        # the clocks the board judges from its row are the order's own
        assert open_clocks(row, settings) == open_clocks(order, settings)
    assert rows[ids[0]].dispatched_at == FROZEN - timedelta(minutes=20, microseconds=7)
    assert rows[ids[1]].dispatched_at is None


def test_breach_key_is_the_due_time_to_the_second_in_any_zone() -> None:
    due = datetime(2026, 11, 23, 9, 30, 0, 999999, tzinfo=UTC)
    key = wo.breach_key(7, "arrival", due)
    assert key == wo.breach_key(7, "arrival", due.replace(microsecond=0))
    assert key == wo.breach_key(7, "arrival", due.astimezone(SH))
    assert key != wo.breach_key(7, "arrival", due + timedelta(microseconds=1))  # next second
    assert key != wo.breach_key(7, "return", due)
    assert key != wo.breach_key(8, "arrival", due)
