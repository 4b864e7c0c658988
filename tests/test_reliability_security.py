"""Security (issue 9): roles in the services, PINs and lock-out, the idle lock, file modes,
no personal data in logs, and the audit trail with ``shiftdesk audit``.

Roles are checked by calling the services directly as the wrong role: hiding a button is
not enough, since a script can call what the screen hides.
"""

from __future__ import annotations

import json
import logging
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk import handover
from shiftdesk.cli import app as cli
from shiftdesk.config import Settings
from shiftdesk.db import SYSTEM, Actor, make_engine, read_session, transact
from shiftdesk.errors import PermissionDenied, UsageError, ValidationError
from shiftdesk.i18n import set_locale
from shiftdesk.models import AuditEvent, Operator, Role
from shiftdesk.security import SignInError, authenticate, hash_pin, verify_pin
from shiftdesk.sites import add_operator, set_operator_active
from tests.conftest import FROZEN
from tests.handover_support import on_shift, open_shift, site_and_people

runner = CliRunner()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------------ roles in the services


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_only_managers_and_admins_add_or_disable_operators(
    base_engine: Engine, settings: Settings, role: str
) -> None:
    site_id, people = site_and_people(base_engine, settings)
    who = next(a for a in people.values() if a.role == role)

    def add(session: Any) -> Operator:
        return add_operator(session, name="intruder", pin="4321", role=Role.ADMIN, site_id=site_id)

    with pytest.raises(PermissionDenied) as refused:
        transact(base_engine, add, actor=who)
    assert who.name in refused.value.message
    with pytest.raises(PermissionDenied):
        transact(base_engine, lambda s: set_operator_active(s, "wangfang", False), actor=who)
    with read_session(base_engine) as session:
        assert session.exec(select(Operator).where(Operator.name == "intruder")).first() is None
        assert session.exec(select(Operator).where(Operator.name == "wangfang")).one().active
    # a manager may; so may the built-in system identity of an unattended script
    manager = people["liuyang"]
    transact(base_engine, add, actor=manager)
    transact(base_engine, lambda s: set_operator_active(s, "intruder", False), actor=SYSTEM)


def test_the_refusal_is_in_both_languages(base_engine: Engine, settings: Settings) -> None:
    site_id, people = site_and_people(base_engine, settings)

    def add(session: Any) -> Operator:
        return add_operator(session, name="x1", pin="4321", role=Role.OPERATOR, site_id=site_id)

    with pytest.raises(PermissionDenied) as english:
        transact(base_engine, add, actor=people["wangfang"])
    set_locale("zh_CN")
    with pytest.raises(PermissionDenied) as chinese:
        transact(base_engine, add, actor=people["wangfang"])
    set_locale("en")
    assert "manager" in english.value.message and "经理" in chinese.value.message


def test_only_a_supervisor_overrides_a_block_or_countersigns(
    base_engine: Engine, settings: Settings
) -> None:
    site_id, people = site_and_people(base_engine, settings)
    wang = people["wangfang"]
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, wang)
        assert shift.id is not None
        with pytest.raises(PermissionDenied):
            on_shift(
                base_engine,
                shift.id,
                lambda s, sh: handover.override_block(
                    s, sh, supervisor=wang, reason="I say so", keys=["wo:1"]
                ),
                wang,
            )
        for who in (wang, people["lina"]):
            with pytest.raises(PermissionDenied):
                transact(
                    base_engine,
                    lambda s, who=who: handover.countersign(
                        s, settings, site_id=site_id, supervisor=who, shift_ids=[shift.id]
                    ),
                    actor=who,
                )


def test_exporting_personal_data_needs_a_managers_pin(base_engine: Engine, tmp_path: Path) -> None:
    """A-4 from the command line: an operator's PIN is not enough, and the refusal is logged."""
    result = runner.invoke(
        cli,
        [
            "--db",
            str(base_engine.url),
            "--operator",
            "wangfang",
            "export",
            "archive",
            "--include-pii",
            "--out",
            str(tmp_path),
        ],
        input="1111\n",
    )
    assert result.exit_code == 2, result.output
    assert not list(tmp_path.glob("*.tar.gz"))
    with read_session(base_engine) as session:
        denied = session.exec(select(AuditEvent).where(AuditEvent.action == "export_denied")).all()
    assert [e.actor for e in denied] == ["wangfang"]


# ------------------------------------------------------------------------ PINs and sign-in


def test_pins_are_hashed_with_scrypt_and_a_salt_per_operator() -> None:
    first, second = hash_pin("1111"), hash_pin("1111")
    assert first != second  # a per-operator salt: equal PINs do not show
    assert first.startswith("scrypt$") and int(first.split("$")[1]) >= 2**14  # memory-hard
    assert "1111" not in first
    assert verify_pin("1111", first) and verify_pin("1111", second)
    assert not verify_pin("1112", first)
    assert not verify_pin("1111", "not a hash")


def test_five_wrong_pins_lock_out_then_the_lock_expires(
    base_engine: Engine, settings: Settings
) -> None:
    sec = settings.security
    kwargs = {"lockout_attempts": sec.lockout_attempts, "lockout_minutes": sec.lockout_minutes}
    with time_machine.travel(FROZEN, tick=False) as clock:
        for _ in range(sec.lockout_attempts):
            with pytest.raises(SignInError, match="wrong PIN"):
                authenticate(base_engine, "wangfang", "0000", **kwargs)
        # locked: even the right PIN is refused, with the time it ends
        with pytest.raises(SignInError, match="locked"):
            authenticate(base_engine, "wangfang", "1111", **kwargs)
        clock.shift(timedelta(minutes=sec.lockout_minutes) - timedelta(seconds=1))
        with pytest.raises(SignInError, match="locked"):
            authenticate(base_engine, "wangfang", "1111", **kwargs)
        clock.shift(timedelta(seconds=2))
        assert authenticate(base_engine, "wangfang", "1111", **kwargs).name == "wangfang"
    with read_session(base_engine) as session:
        events = session.exec(
            select(AuditEvent.action, AuditEvent.note)
            .where(AuditEvent.action.in_(["sign_in", "sign_in_failed"]))  # type: ignore[attr-defined]
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
    notes = [n for a, n in events if a == "sign_in_failed"]
    assert notes.count("wrong PIN") == sec.lockout_attempts
    assert notes.count("locked out") == 2
    assert events[-1][0] == "sign_in"


async def test_an_idle_terminal_locks_and_asks_for_the_pin(
    base_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """security.idle_lock_minutes: 15 minutes without a key press lock the app; the work on
    screen stays. Time is controlled by a fake monotonic clock for the app shell only."""
    import screens.app as shell
    from screens.signin import SignInScreen
    from tests.pilot import build_app, sign_in

    class FakeTime:
        now = 1000.0

        def monotonic(self) -> float:
            return self.now

    fake = FakeTime()
    monkeypatch.setattr(shell, "time", fake)
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot)
        assert [t for t in app._timers if getattr(t, "_callback", None) == app._check_idle]
        await pilot.press("f3")
        await pilot.pause()
        screen_before = app.screen
        fake.now += 14 * 60 + 59
        app._check_idle()
        await pilot.pause()
        assert not isinstance(app.screen, SignInScreen)
        await pilot.press("down")  # a key press restarts the count
        fake.now += 14 * 60
        app._check_idle()
        await pilot.pause()
        assert not isinstance(app.screen, SignInScreen)
        fake.now += 61
        app._check_idle()
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)
        assert "15 idle minutes" in str(app.screen.query_one("#error").render())
        await sign_in(pilot, "wangfang", "1111")
        assert app.screen is screen_before
        assert app.operator is not None and app.operator.name == "wangfang"


async def test_no_idle_lock_when_switched_off(base_engine: Engine, settings: Settings) -> None:
    from tests.pilot import build_app

    settings.security.idle_lock_minutes = 0
    app = build_app(base_engine, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not [t for t in app._timers if getattr(t, "_callback", None) == app._check_idle]


# ------------------------------------------------------------------------ files


def test_the_database_its_journal_and_backups_are_private(tmp_path: Path) -> None:
    """A-3: 0600 for the SQLite file, its WAL and shared-memory files, and every backup; the
    folder made for it is 0700."""
    folder = tmp_path / "new" / "data"
    url = f"sqlite:///{folder / 'shiftdesk.db'}"
    assert runner.invoke(cli, ["--db", url, "init"]).exit_code == 0
    engine = make_engine(url)
    with engine.connect() as conn:  # keep a connection open so the WAL files exist
        conn.exec_driver_sql("SELECT 1")
        for suffix in ("", "-wal", "-shm"):
            path = folder / f"shiftdesk.db{suffix}"
            assert path.exists() and mode(path) == 0o600, (suffix, oct(mode(path)))
    engine.dispose()
    assert mode(folder) == 0o700
    backup = tmp_path / "backups" / "b.db"
    assert runner.invoke(cli, ["--db", url, "db", "backup", str(backup)]).exit_code == 0
    assert mode(backup) == 0o600


# ------------------------------------------------------------------------ logs


def test_phone_and_id_numbers_are_masked_in_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    from shiftdesk.privacy import install_log_masking, mask_text

    assert runner.invoke(cli, ["version"]).exit_code == 0  # the command line installs it
    install_log_masking()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("apprise").warning(
            "Failed to send SMS notification to %s (%s)", "+8613800138000", "tel 021-6123-4567"
        )
        logging.getLogger("shiftdesk.notify").warning("resident ID 110101199003071234 at desk")
    text = caplog.text
    assert "13800138000" not in text and "+86138****8000" in text
    assert "6123-4567" not in text and "021-****-4567" in text
    assert "110101199003071234" not in text and "**************1234" in text
    assert mask_text("order 12345 for unit 3-2-1502 at 14:05") == (
        "order 12345 for unit 3-2-1502 at 14:05"
    )


def test_apprise_failures_captured_for_the_outbox_are_masked() -> None:
    """notify.apprise_send keeps Apprise's last warning as the error; it must not hold the
    resident's number."""
    import apprise

    from shiftdesk.privacy import install_log_masking

    install_log_masking()
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:
        logging.getLogger("apprise").warning("Failed to notify 13912345678 via SMS")
    assert "13912345678" not in str(logs.getvalue())
    assert "139****5678" in str(logs.getvalue())


# ------------------------------------------------------------------------ the audit trail


def _audit(*args: str, **kwargs: Any) -> Any:
    return runner.invoke(cli, ["audit", *args], **kwargs)


def test_a_work_orders_history_in_order_with_who_and_what(base_engine: Engine) -> None:
    from shiftdesk import workorders as wo

    url = str(base_engine.url)
    with read_session(base_engine) as session:
        ops = {op.name: op for op in session.exec(select(Operator)).all()}
    wang = Actor(name="wangfang", id=ops["wangfang"].id)
    lina = Actor(name="lina", id=ops["lina"].id)
    with time_machine.travel(FROZEN, tick=False) as clock:
        order = transact(
            base_engine,
            lambda s: wo.create_order(
                s,
                site_id=1,
                reported_at=FROZEN,
                trade="plumbing",
                priority="urgent",
                summary="厨房漏水，联系 13800138000",
                location="3-2-1502",
                reporter_name="张伟",
                reporter_phone="13800138000",
            ),
            actor=wang,
        )
        clock.shift(60)
        transact(base_engine, lambda s: wo.dispatch(s, order.id, team="engineering"), actor=wang)
        clock.shift(60)
        transact(base_engine, lambda s: wo.accept(s, order.id, assignee="刘师傅"), actor=lina)
    result = runner.invoke(
        cli,
        ["--db", url, "audit", "--entity", "work_order", "--id", str(order.id), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)
    assert [(e["action"], e["actor"]) for e in events] == [
        ("insert", "wangfang"),
        ("update", "wangfang"),
        ("update", "lina"),
    ]
    assert (
        events[1]["after"]["stage"] == "dispatched" and events[1]["before"]["stage"] == "reported"
    )
    assert events[2]["after"]["stage"] == "accepted"
    # personal data masked by default, in the snapshot and in free text
    inserted = events[0]["after"]
    assert inserted["reporter_phone"] == "138****8000" and inserted["reporter_name"] == "张*"
    assert "13800138000" not in result.stdout
    table = runner.invoke(
        cli,
        ["--db", url, "audit", "--entity", "work_order", "--id", str(order.id), "--format", "csv"],
    )
    assert table.exit_code == 0 and "stage: reported → dispatched" in table.stdout


def test_a_sign_off_is_on_the_trail(base_engine: Engine, settings: Settings) -> None:
    site_id, people = site_and_people(base_engine, settings)
    wang, lina, chen = people["wangfang"], people["lina"], people["chenjing"]
    with time_machine.travel(FROZEN, tick=False):
        shift = open_shift(base_engine, settings, site_id, wang)
    assert shift.id is not None
    with time_machine.travel(FROZEN + timedelta(hours=9, minutes=35), tick=False):
        digest = on_shift(
            base_engine,
            shift.id,
            lambda s, sh: handover.prepare_handover(s, settings, sh, author=wang),
            wang,
        )
        on_shift(
            base_engine,
            shift.id,
            lambda s, sh: handover.record_parcel_count(s, sh, incoming=lina, counted={}),
            lina,
        )
        on_shift(
            base_engine,
            shift.id,
            lambda s, sh: handover.acknowledge(
                s,
                sh,
                incoming=lina,
                keys=[k for k in digest.item_keys() if k != handover.PARCELS_KEY],
            ),
            lina,
        )
        on_shift(
            base_engine,
            shift.id,
            lambda s, sh: handover.sign_handover(s, settings, sh, outgoing=wang, incoming=lina),
            lina,
        )
        transact(
            base_engine,
            lambda s: handover.countersign(
                s, settings, site_id=site_id, supervisor=chen, shift_ids=[shift.id]
            ),
            actor=chen,
        )
    result = runner.invoke(
        cli,
        [
            "--db",
            str(base_engine.url),
            "audit",
            "--entity",
            "shift",
            "--id",
            str(shift.id),
            "--format",
            "json",
        ],
    )
    events = json.loads(result.stdout)
    changed = {key: e["actor"] for e in events for key in (e["after"] or {})}
    assert changed["status"] in ("lina", "wangfang")
    assert changed["countersigned_by"] == "chenjing"


def test_including_personal_data_needs_a_manager_and_is_recorded(base_engine: Engine) -> None:
    url = str(base_engine.url)
    refused = runner.invoke(
        cli,
        ["--db", url, "--operator", "wangfang", "audit", "--entity", "resident", "--include-pii"],
        input="1111\n",
    )
    assert refused.exit_code == 2
    shown = runner.invoke(
        cli,
        [
            "--db",
            url,
            "--operator",
            "liuyang",
            "audit",
            "--entity",
            "resident",
            "--limit",
            "3",
            "--include-pii",
            "--format",
            "json",
        ],
        input="9999\n",
    )
    assert shown.exit_code == 0, shown.output
    with read_session(base_engine) as session:
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "read")).all()
    assert [(r.actor, r.entity) for r in reads] == [("liuyang", "resident")]


@pytest.mark.parametrize(
    ("args", "english", "chinese"),
    [
        (["--id", "3"], "--id needs --entity", "--id 需要同时指定 --entity"),
        (["--entity", "nosuch"], "unknown entity 'nosuch'", "未知的记录类型"),
        (["--since", "yesterday"], "expected a date as YYYY-MM-DD", "日期应为"),
        (["--limit", "0"], "--limit must be at least 1", "--limit 至少为 1"),
    ],
)
def test_audit_usage_errors_are_one_line_in_both_languages(
    base_engine: Engine, args: list[str], english: str, chinese: str
) -> None:
    url = str(base_engine.url)
    result = runner.invoke(cli, ["--db", url, "audit", *args])
    assert result.exit_code == 2 and english in result.stderr
    assert result.stderr.count("\n") == 1
    result = runner.invoke(cli, ["--db", url, "--locale", "zh_CN", "audit", *args])
    assert result.exit_code == 2 and chinese in result.stderr


def test_audit_of_nothing_is_an_empty_result(base_engine: Engine) -> None:
    url = str(base_engine.url)
    result = runner.invoke(cli, ["--db", url, "audit", "--entity", "parcel", "--id", "999"])
    assert result.exit_code == 0 and "No audit events match." in result.stdout
    result = runner.invoke(
        cli, ["--db", url, "audit", "--entity", "parcel", "--id", "999", "--format", "json"]
    )
    assert json.loads(result.stdout) == []


def test_trail_refuses_an_id_without_entity(base_engine: Engine) -> None:
    from shiftdesk.trail import history

    with read_session(base_engine) as session, pytest.raises(UsageError):
        history(session, entity_id=1)


def test_who_read_a_residents_record_is_listed(base_engine: Engine) -> None:
    from shiftdesk.trail import record_resident_read

    with read_session(base_engine) as session:
        wang = session.exec(select(Operator).where(Operator.name == "wangfang")).one()
    transact(
        base_engine,
        lambda s: record_resident_read(s, 7, site_id=1, where="caller history"),
        actor=Actor(name=wang.name, id=wang.id),
    )
    result = runner.invoke(
        cli,
        [
            "--db",
            str(base_engine.url),
            "audit",
            "--action",
            "read",
            "--entity",
            "resident",
            "--format",
            "json",
        ],
    )
    events = json.loads(result.stdout)
    assert [(e["actor"], e["entity_id"], e["note"]) for e in events] == [
        ("wangfang", 7, "caller history")
    ]


@pytest.mark.parametrize("name", ["", "system", "wang\x00fang", "x" * 41, "a\nb"])
def test_operator_names_are_checked_in_both_languages(base_engine: Engine, name: str) -> None:
    def add(session: Any) -> Operator:
        return add_operator(session, name=name, pin="4321", role=Role.OPERATOR, site_id=1)

    with pytest.raises(ValidationError) as english:
        transact(base_engine, add)
    set_locale("zh_CN")
    try:
        with pytest.raises(ValidationError) as chinese:
            transact(base_engine, add)
    finally:
        set_locale("en")
    assert english.value.field == "name" and "invalid operator name" in english.value.message
    assert "值班员账号" in chinese.value.message


def test_display_names_are_cleaned(base_engine: Engine) -> None:
    op = transact(
        base_engine,
        lambda s: add_operator(
            s,
            name="zhaoyun",
            pin="4321",
            role=Role.OPERATOR,
            site_id=1,
            display_name="\x1b[31m赵云\x1b[0m 😀",
        ),
    )
    assert op.display_name == "赵云 😀"
