"""Personal data in archives (A-4, A-5, A-6): masked by default, unmasked only for a manager.

``--include-pii`` needs the manager or admin role, proven by PIN or named in
``security.pii_export_operator`` for cron, and is recorded in the audit trail, refused
attempts included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from shiftdesk.archive import pii
from shiftdesk.cli import app
from shiftdesk.db import read_session
from shiftdesk.models import AuditEvent, Operator, Resident
from tests.conftest import FROZEN
from tests.export_helpers import add_activity, column, export, members

runner = CliRunner()


# ----------------------------------------------------------------------------- masks


def test_masks_look_like_the_desk_expects() -> None:
    assert pii.mask_name("张伟") == "张*"
    assert pii.mask_name("欧阳娜娜") == "欧***"
    assert pii.mask_phone("13800138000") == "138****8000"
    assert pii.mask_phone("62345678") == "****5678"
    assert pii.mask_secret("123X") == "****"
    assert pii.mask_name("") == "" and pii.mask_phone("") == ""


def test_free_text_numbers_are_masked_but_other_numbers_stay() -> None:
    text = "请回电 13912345678 或 139-1234-5678，身份证 11010519491231002X，单号 SF1234567890123"
    out = pii.scrub_text(text)
    assert "13912345678" not in out and "139-****-5678" in out and "139****5678" in out
    assert "11010519491231002X" not in out and "**************002X" in out
    assert "SF1234567890123" in out  # a tracking number is not a phone


@given(st.text(max_size=30))
def test_masking_twice_changes_nothing(value: str) -> None:
    # a masked archive restored and exported again must be byte-identical
    for mask in (pii.mask_name, pii.mask_phone, pii.mask_secret, pii.scrub_text):
        assert mask(mask(value)) == mask(value)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mobile_number_keeps_only_prefix_and_last_four(phone: str) -> None:
    masked = pii.mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]
    assert pii.scrub_text(f"电话{phone}。") == f"电话{masked}。"


def test_columns_other_areas_add_are_recognised_by_name() -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table

    table = Table(
        "visitor_log",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("visitor_name", String(40)),
        Column("contact_phone", String(20)),
        Column("id_number", String(18)),
        Column("id_type", String(10)),
        Column("file_name", String(40)),
        Column("plate", String(10), info={"pii": "secret"}),
        Column("remarks", String(500)),
    )
    assert pii.masked_columns(table) == {
        "visitor_name": "name",
        "contact_phone": "phone",
        "id_number": "secret",
        "plate": "secret",
        "remarks": "free_text",
    }


# ----------------------------------------------------------------------------- archives


def test_default_archive_carries_no_resident_name_or_phone(
    base_engine: Engine, tmp_path: Path
) -> None:
    add_activity(base_engine, FROZEN, n=4)
    with read_session(base_engine) as s:
        residents = list(s.exec(select(Resident)))
        staff = {op.display_name for op in s.exec(select(Operator))}
    result = export(base_engine, tmp_path / "out")
    contents = members(result.path)
    blob = b"".join(contents.values()).decode("utf-8")
    for res in residents:
        assert res.phone not in blob
        # (a resident may share a name with staff, 刘洋 the manager: staff are not masked)
        if len(res.name) > 1 and res.name not in staff:
            # the name itself never appears (as a value, in audit snapshots or anywhere)
            assert f'"{res.name}"' not in blob and f",{res.name}," not in blob
    assert "13912345678" not in blob  # written inside a call's summary
    assert "13700001111" not in blob and "123X" not in blob  # the proxy's phone and ID
    assert set(column(contents, "operator", "pin_hash")) == {""}
    assert "scrypt$" not in b"".join(contents.values()).decode("utf-8")
    names = column(contents, "resident", "name")
    assert all(n[1:] == "*" * (len(n) - 1) for n in names)
    manifest = json.loads(contents["manifest.json"])
    assert manifest["pii"]["treatment"] == "masked"
    assert manifest["pii"]["masked_columns"]["parcel"]["id_last4"] == "secret"
    # the audit trail's snapshot of each resident is masked too, JSON intact
    snapshots = [
        json.loads(after)
        for entity, after in zip(
            column(contents, "audit_event", "entity"),
            column(contents, "audit_event", "after"),
            strict=True,
        )
        if entity == "resident" and after
    ]
    assert snapshots and all(s["name"].endswith("*") for s in snapshots)


def _cli_base(base_engine: Engine) -> list[str]:
    return ["--db", base_engine.url.render_as_string(hide_password=False)]


def _export_events(engine: Engine) -> list[AuditEvent]:
    with read_session(engine) as s:
        return list(
            s.exec(
                select(AuditEvent)
                .where(AuditEvent.action.in_(["export", "export_denied"]))  # type: ignore[attr-defined]
                .order_by(AuditEvent.id)
            )
        )


def test_include_pii_refused_without_a_manager_and_the_refusal_is_logged(
    base_engine: Engine, tmp_path: Path
) -> None:
    db = _cli_base(base_engine)
    out = ["--out", str(tmp_path / "out"), "--include-pii"]
    no_operator = runner.invoke(app, [*db, "export", "archive", *out])
    assert no_operator.exit_code == 2
    assert "--operator" in no_operator.output
    operator = runner.invoke(
        app, [*db, "--operator", "wangfang", "export", "archive", *out], input="1111\n"
    )
    assert operator.exit_code == 2
    assert "manager" in operator.output
    supervisor = runner.invoke(
        app, [*db, "--operator", "chenjing", "export", "archive", *out], input="8888\n"
    )
    assert supervisor.exit_code == 2
    wrong_pin = runner.invoke(
        app, [*db, "--operator", "liuyang", "export", "archive", *out], input="1234\n"
    )
    assert wrong_pin.exit_code == 2
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    events = _export_events(base_engine)
    assert [(e.action, e.actor) for e in events] == [
        ("export_denied", "wangfang"),
        ("export_denied", "chenjing"),
    ]


def test_manager_with_pin_exports_names_and_it_is_recorded(
    base_engine: Engine, tmp_path: Path
) -> None:
    add_activity(base_engine, FROZEN)
    result = runner.invoke(
        app,
        [
            *_cli_base(base_engine),
            "--operator",
            "liuyang",
            "export",
            "archive",
            "--out",
            str(tmp_path / "out"),
            "--include-pii",
        ],
        input="9999\n",
    )
    assert result.exit_code == 0, result.output
    assert "INCLUDED" in result.output
    (path,) = (tmp_path / "out").iterdir()
    contents = members(path)
    with read_session(base_engine) as s:
        first = s.exec(select(Resident).order_by(Resident.id)).first()
    assert first is not None
    assert column(contents, "resident", "name")[0] == first.name
    assert column(contents, "resident", "phone")[0] == first.phone
    assert all(h.startswith("scrypt$") for h in column(contents, "operator", "pin_hash")[1:])
    assert json.loads(contents["manifest.json"])["pii"] == {
        "treatment": "included",
        "masked_columns": {},
    }
    (event,) = _export_events(base_engine)
    assert event.actor == "liuyang" and event.entity == "archive_run"
    assert "included" in event.note and "PIN" in event.note and path.name in event.note


def test_cron_operator_from_config_needs_no_pin_but_must_be_a_manager(
    base_engine: Engine, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[security]\npii_export_operator = "liuyang"\n', encoding="utf-8")
    args = [
        *_cli_base(base_engine),
        "--config",
        str(config),
        "export",
        "archive",
        "--out",
        str(tmp_path / "out"),
        "--include-pii",
        "--quiet",
    ]
    ok = runner.invoke(app, args)  # no input: a PIN prompt would fail
    assert ok.exit_code == 0, ok.output
    assert Path(ok.output.strip()).is_file()
    (event,) = _export_events(base_engine)
    assert event.actor == "liuyang" and "security.pii_export_operator" in event.note

    config.write_text('[security]\npii_export_operator = "wangfang"\n', encoding="utf-8")
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2
    assert _export_events(base_engine)[-1].action == "export_denied"


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_masked_export_is_recorded_as_masked(base_engine: Engine, tmp_path: Path, fmt: str) -> None:
    result = runner.invoke(
        app,
        [*_cli_base(base_engine), "export", "archive", "--out", str(tmp_path), "--format", fmt],
    )
    assert result.exit_code == 0, result.output
    assert "masked" in result.output
    (event,) = _export_events(base_engine)
    assert event.actor == "system" and "masked" in event.note
