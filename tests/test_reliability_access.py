"""Security (issue 9), the remaining gaps: who may take personal data out or merge an
archive in (checked in the services, not only the CLI), the read of a resident's record
at parcel pickup (A-6), sign-in only at one's own site's terminal (§1), and a locked
terminal that shows nothing of the screen beneath.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select
from textual.widgets import Input
from typer.testing import CliRunner

from shiftdesk import archive, parcels
from shiftdesk.cli import app as cli
from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor, make_engine, read_session, transact
from shiftdesk.errors import PermissionDenied
from shiftdesk.i18n import set_locale
from shiftdesk.models import ArchiveRun, AuditEvent, Call, Resident, Role, Site, Unit
from shiftdesk.security import SignInError, actor_for, authenticate
from shiftdesk.sites import add_operator, find_operator
from tests.conftest import FROZEN
from tests.export_helpers import TZ, add_activity, export

runner = CliRunner()


def demo_actor(engine: Engine, name: str) -> Actor:
    with read_session(engine) as session:
        return actor_for(find_operator(session, name))


def events(engine: Engine, *actions: str) -> list[AuditEvent]:
    with read_session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.action.in_(actions))  # type: ignore[attr-defined]
        return list(session.exec(query.order_by(col(AuditEvent.id))))


def count(engine: Engine, model: Any) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def db_args(engine: Engine) -> list[str]:
    return ["--db", engine.url.render_as_string(hide_password=False)]


# ------------------------------------------------------------ 1. personal data out


@pytest.mark.parametrize("who", [None, "wangfang", "chenjing"])
def test_the_export_service_itself_refuses_personal_data_below_manager(
    base_engine: Engine, tmp_path: Path, who: str | None
) -> None:
    """A script calling export_archive(include_pii=True) directly, as an operator, a
    supervisor or nobody, is refused before any file or folder is made."""
    actor = demo_actor(base_engine, who) if who else None
    out = tmp_path / "out"
    opts = archive.ExportOptions(out_dir=out, include_pii=True)
    with pytest.raises(PermissionDenied) as refused:
        archive.export_archive(
            base_engine, "DEMO", archive.everything(TZ), opts, today=date(2026, 11, 22), actor=actor
        )
    assert ("manager" in refused.value.message) and (who is None or who in refused.value.message)
    assert not out.exists()
    assert count(base_engine, ArchiveRun) == 0


def test_the_export_service_gives_personal_data_to_a_manager_and_masks_without_one(
    base_engine: Engine, tmp_path: Path
) -> None:
    manager = demo_actor(base_engine, "liuyang")
    full = archive.export_archive(
        base_engine,
        "DEMO",
        archive.everything(TZ),
        archive.ExportOptions(out_dir=tmp_path / "full", include_pii=True),
        today=date(2026, 11, 22),
        actor=manager,
    )
    assert full.pii_included and full.path.is_file()
    masked = archive.export_archive(  # the default (masked) export asks nobody
        base_engine,
        "DEMO",
        archive.everything(TZ),
        archive.ExportOptions(out_dir=tmp_path / "masked"),
        today=date(2026, 11, 22),
    )
    assert not masked.pii_included


# ------------------------------------------------------------ 2. merging into a live database


@pytest.fixture
def live(base_engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    """A live database (the demo base, restored with its PINs) and an archive with calls."""
    base = export(base_engine, tmp_path / "base", include_pii=True)
    add_activity(base_engine, FROZEN, n=3)
    full = export(base_engine, tmp_path / "full", include_pii=True)
    target = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    # a restore into a new, empty database asks no role (a fresh machine has nobody yet)
    restored = runner.invoke(cli, ["import", "archive", str(base.path), *db_args(target)])
    assert restored.exit_code == 0, restored.output
    assert count(target, Call) == 0
    return target, full.path


@pytest.mark.parametrize("who", [None, "wangfang", "chenjing"])
def test_the_restore_service_refuses_a_merge_below_manager(
    live: tuple[Engine, Path], who: str | None
) -> None:
    target, path = live
    actor = demo_actor(target, who) if who else None
    with pytest.raises(PermissionDenied):
        archive.import_archive(target, path, merge=True, actor=actor)
    assert count(target, Call) == 0
    result = archive.import_archive(target, path, merge=True, actor=demo_actor(target, "liuyang"))
    assert result.inserted > 0 and count(target, Call) == 3


def test_import_merge_asks_a_managers_pin_and_is_recorded(live: tuple[Engine, Path]) -> None:
    target, path = live
    merge = ["import", "archive", str(path), "--merge", "-q"]
    nobody = runner.invoke(cli, [*db_args(target), *merge])
    assert nobody.exit_code == 2
    assert "--operator" in nobody.output and "--as-system" in nobody.output
    operator = runner.invoke(
        cli, [*db_args(target), "--operator", "wangfang", *merge], input="1111\n"
    )
    assert operator.exit_code == 2 and "manager" in operator.output
    wrong_pin = runner.invoke(cli, [*db_args(target), "--operator", "liuyang", *merge], input="1\n")
    assert wrong_pin.exit_code == 2
    assert count(target, Call) == 0  # nothing merged by any of them
    manager = runner.invoke(
        cli, [*db_args(target), "--operator", "liuyang", *merge], input="9999\n"
    )
    assert manager.exit_code == 0, manager.output
    assert count(target, Call) == 3
    trail = [(e.action, e.actor) for e in events(target, "import_denied", "import_merge")]
    assert trail == [("import_denied", "wangfang"), ("import_merge", "liuyang")]
    (merged,) = events(target, "import_merge")
    assert path.name in merged.note and "(PIN)" in merged.note


def test_import_merge_as_system_for_the_servers_administrator(live: tuple[Engine, Path]) -> None:
    target, path = live
    result = runner.invoke(
        cli, [*db_args(target), "import", "archive", str(path), "--merge", "--as-system", "-q"]
    )
    assert result.exit_code == 0, result.output
    (merged,) = events(target, "import_merge")
    assert merged.actor == "system" and "--as-system" in merged.note


# ------------------------------------------------------------ 3. parcel pickup is a read


async def test_the_pickup_list_logs_a_read_of_each_addressee(
    base_engine: Engine, settings: Settings
) -> None:
    from screens.parcels import ParcelsScreen
    from tests.pilot import settle, sign_in

    with read_session(base_engine) as session:
        resident = session.exec(select(Resident).order_by(col(Resident.id))).first()
        assert resident is not None and resident.id is not None
        unit = session.get(Unit, resident.unit_id)
        assert unit is not None
        unit_code, site_id = unit.code, resident.site_id
    req = parcels.CheckInRequest(
        tracking="SF1234567890123", unit=unit_code, resident_id=resident.id, notify=False
    )
    transact(base_engine, lambda s: parcels.check_in(s, settings, site_id, req), actor=SYSTEM)
    assert events(base_engine, "read") == []
    app = _app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ParcelsScreen) and screen.pane == "pickup"
        find = screen.query_one("#find", Input)
        find.value = unit_code
        find.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert resident.name in _visible(app)  # shown for the identity check
    (read,) = events(base_engine, "read")
    assert (read.entity, read.entity_id, read.actor) == ("resident", resident.id, "wangfang")
    assert read.note == "parcel pickup" and read.site_id == site_id


def _app(engine: Engine, settings: Settings) -> Any:
    from tests.pilot import build_app

    return build_app(engine, settings)


def _visible(app: Any) -> str:
    """The text a person sees on the terminal now (the current screen and any beneath it
    that shows through), rendered the way ``App.export_screenshot`` does."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


# ------------------------------------------------------------ 4. sign in at one's own site (§1)


@pytest.fixture
def two_sites(base_engine: Engine) -> Engine:
    """Site EAST next to DEMO, with its own operator and manager, and a roaming operator."""

    def _east(session: Any) -> None:
        east = Site(code="EAST", name="East Gate", timezone="Asia/Shanghai")
        session.add(east)
        session.flush()
        add_operator(session, name="eastop", pin="4444", role=Role.OPERATOR, site_id=east.id)
        add_operator(session, name="eastmgr", pin="5555", role=Role.MANAGER, site_id=east.id)
        add_operator(session, name="roamer", pin="6666", role=Role.OPERATOR, site_id=None)

    transact(base_engine, _east, actor=SYSTEM)
    return base_engine


def test_an_operator_of_another_site_cannot_sign_in_here(two_sites: Engine) -> None:
    engine = two_sites
    with pytest.raises(SignInError) as refused:
        authenticate(engine, "eastop", "4444", site_code="DEMO")
    assert refused.value.message == (
        "eastop belongs to site EAST and cannot sign in on this terminal of site DEMO."
    )
    set_locale("zh_CN")
    try:
        with pytest.raises(SignInError) as refused_zh:
            authenticate(engine, "wangfang", "1111", site_code="EAST")
    finally:
        set_locale("en")
    assert refused_zh.value.message == "wangfang 属于项目 DEMO，不能在项目 EAST 的终端上登录。"
    # recorded like a failed attempt, at the terminal's site, but not toward lock-out:
    # the PIN was right, nobody is guessing
    trail = [(e.actor, e.entity_id, e.note) for e in events(engine, "sign_in_failed")]
    with read_session(engine) as session:
        east_op = find_operator(session, "eastop")
        wang = find_operator(session, "wangfang")
        demo_id = session.exec(select(Site.id).where(Site.code == "DEMO")).one()
        east_id = session.exec(select(Site.id).where(Site.code == "EAST")).one()
    assert [(a, i) for a, i, _n in trail] == [("system", east_op.id), ("system", wang.id)]
    assert [e.site_id for e in events(engine, "sign_in_failed")] == [demo_id, east_id]
    assert "other site: EAST on a terminal of DEMO" in trail[0][2]
    assert east_op.failed_attempts == 0 and east_op.locked_until is None
    # a wrong PIN is still just a wrong PIN (no hint that the name exists elsewhere)
    with pytest.raises(SignInError) as wrong:
        authenticate(engine, "eastop", "0000", site_code="DEMO")
    assert "wrong PIN" in wrong.value.message and "EAST" not in wrong.value.message


def test_own_site_roaming_operators_and_admins_sign_in(two_sites: Engine) -> None:
    engine = two_sites
    assert authenticate(engine, "eastop", "4444", site_code="EAST").name == "eastop"
    assert authenticate(engine, "wangfang", "1111", site_code="DEMO").name == "wangfang"
    # no site: a company-wide account; admin: the company's system, at any desk
    assert authenticate(engine, "roamer", "6666", site_code="EAST").name == "roamer"
    assert authenticate(engine, "roamer", "6666", site_code="DEMO").name == "roamer"
    assert authenticate(engine, "admin", "0000", site_code="EAST").name == "admin"
    # a database-wide tool that names no terminal site does not check it
    assert authenticate(engine, "eastop", "4444").name == "eastop"


def test_the_cli_refuses_a_pin_of_another_sites_manager(two_sites: Engine) -> None:
    """The configured site is DEMO: EAST's manager cannot manage DEMO's operators."""
    result = runner.invoke(
        cli,
        [*db_args(two_sites), "--operator", "eastmgr", "operators", "disable", "wangfang"],
        input="5555\n",
    )
    assert result.exit_code == 2
    assert "eastmgr belongs to site EAST" in result.output
    with read_session(two_sites) as session:
        assert find_operator(session, "wangfang").active


async def test_the_sign_in_dialog_refuses_another_sites_operator(
    two_sites: Engine, settings: Settings
) -> None:
    from screens.signin import SignInScreen
    from tests.pilot import sign_in

    app = _app(two_sites, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SignInScreen)
        dialog.query_one("#name", Input).value = "eastop"
        dialog.query_one("#pin", Input).value = "4444"
        dialog.query_one("#pin", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is dialog and app.operator is None
        assert "belongs to site EAST" in str(dialog.query_one("#error").render())
        await sign_in(pilot, "wangfang", "1111")
        assert app.operator is not None and app.operator.name == "wangfang"


# ------------------------------------------------------------ 5. a locked terminal shows nothing


async def test_the_lock_hides_the_screen_beneath_and_keeps_the_work(
    base_engine: Engine, settings: Settings
) -> None:
    from screens.calls import CallsScreen
    from screens.signin import SignInScreen
    from tests.pilot import settle, sign_in, type_text

    with read_session(base_engine) as session:
        zhang = session.exec(select(Resident).where(Resident.name == "张伟")).one()
    app = _app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot)
        calls = app.screen
        assert isinstance(calls, CallsScreen)
        calls.query_one("#caller").focus()
        await type_text(pilot, "zw")
        await pilot.press("enter")
        await settle(pilot)
        calls.query_one("#summary", Input).focus()
        await type_text(pilot, "lift stuck")
        shown = _visible(app)
        assert "张伟" in shown and "lift stuck" in shown  # the test can see what is there
        app.notify("saved: 张伟", timeout=30)  # a toast about a resident, still on screen
        await pilot.pause()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        locked = _visible(app)
        assert "Sign in" in locked
        for secret in ("张伟", zhang.phone[-4:], "lift stuck", "History", "王芳"):
            assert secret not in locked, secret
        await sign_in(pilot, "wangfang", "1111")
        assert app.screen is calls  # back where they were, with what they typed
        assert calls.query_one("#name", Input).value == "张伟"
        assert calls.query_one("#summary", Input).value == "lift stuck"
