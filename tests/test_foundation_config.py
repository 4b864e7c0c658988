"""Configuration: precedence, every kind of error, and `shiftdesk config`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from shiftdesk.cli import app
from shiftdesk.config import all_keys, documented_config_text, load_settings, set_in_file
from shiftdesk.errors import ConfigError

runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """An empty config file: defaults only, whatever a developer keeps in data/."""
    return write(tmp_path / "empty.toml", "")


def test_defaults_are_the_manuals_numbers(empty: Path) -> None:
    s = load_settings(empty, env={})
    assert s.workorders.dispatch_minutes == 3
    assert s.workorders.arrival_minutes == 15 and s.workorders.arrival_urgent_minutes == 10
    assert s.callbacks.latest == "21:00"  # CB-2
    assert s.parcels.quiet_start == "21:30"  # P-13
    assert s.complaints.a_general_answer_minutes == 30  # CP-1
    assert s.site.timezone == "Asia/Shanghai"


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        'locale = "zh_CN"\n[database]\nurl = "sqlite:///file.db"\n'
        "[workorders]\ndispatch_minutes = 5\n",
    )
    only_file = load_settings(cfg, env={})
    assert only_file.database.url == "sqlite:///file.db"
    assert only_file.workorders.dispatch_minutes == 5
    assert only_file.locale == "zh_CN"

    env = {
        "SHIFTDESK_DB": "sqlite:///env.db",
        "SHIFTDESK_WORKORDERS__DISPATCH_MINUTES": "4",
        "SHIFTDESK_LOCALE": "en",
    }
    with_env = load_settings(cfg, env=env)
    assert with_env.database.url == "sqlite:///env.db"
    assert with_env.workorders.dispatch_minutes == 4
    assert with_env.locale == "en"

    with_flag = load_settings(cfg, db_url="sqlite:///flag.db", locale="zh_CN", env=env)
    assert with_flag.database.url == "sqlite:///flag.db"
    assert with_flag.locale == "zh_CN"


def test_shiftdesk_config_env_selects_the_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "site.toml", '[site]\ncode = "NORTH"\n')
    assert load_settings(env={"SHIFTDESK_CONFIG": str(cfg)}).site.code == "NORTH"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[workorders]\ndispatch_minutes = "three"\n',
            "key 'workorders.dispatch_minutes' expected a whole number, got 'three'",
        ),
        ('[workorders]\ntrades = "plumbing"\n', "key 'workorders.trades' expected a list"),
        (
            "[handover]\nblock_on_emergency_orders = 1\n",
            "key 'handover.block_on_emergency_orders' expected true or false",
        ),
        ("[workorders]\ndispatch_minuts = 3\n", "unknown key 'workorders.dispatch_minuts'"),
        ("[nosuch]\na = 1\n", "unknown key 'nosuch'"),
        ('locale = "fr"\n', "key 'locale' expected one of en, zh_CN"),
        ('[site]\ntimezone = "Mars/Base"\n', "key 'site.timezone' expected an IANA time zone"),
        ('[callbacks]\nlatest = "9pm"\n', "key 'callbacks.latest' expected a time as HH:MM"),
        ('[complaints]\nscheme = "C"\n', 'key \'complaints.scheme\' expected "A" or "B"'),
        ('[shifts]\nperiods = { day = "08:00" }\n', "shifts.periods.day"),
        ("this is = = not toml", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    cfg = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env={})
    message = str(info.value)
    assert str(cfg) in message
    assert expected in message
    assert "\n" not in message


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "bad.toml", '[workorders]\ndispatch_minutes = "x"\n')
    result = runner.invoke(app, ["--config", str(cfg), "config", "show"])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "workorders.dispatch_minutes" in lines[0]


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "nope.toml"), "config", "show"])
    assert result.exit_code == 2
    assert "config file not found" in result.stderr


def test_bad_environment_value_names_the_variable(empty: Path) -> None:
    with pytest.raises(ConfigError, match="SHIFTDESK_WORKORDERS__DISPATCH_MINUTES"):
        load_settings(empty, env={"SHIFTDESK_WORKORDERS__DISPATCH_MINUTES": "x"})


def test_config_set_get_round_trip(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    result = runner.invoke(
        app, ["--config", str(cfg), "config", "set", "workorders.dispatch_minutes", "5"]
    )
    assert result.exit_code == 0, result.output
    assert tomllib.loads(cfg.read_text())["workorders"]["dispatch_minutes"] == 5
    result = runner.invoke(
        app, ["--config", str(cfg), "config", "get", "workorders.dispatch_minutes"]
    )
    assert result.stdout.strip() == "5"
    # a list value, comma separated
    runner.invoke(app, ["--config", str(cfg), "config", "set", "parcels.shelves", "A1,A2,B1"])
    assert load_settings(cfg, env={}).parcels.shelves == ["A1", "A2", "B1"]


def test_config_set_refuses_a_wrong_type_and_keeps_the_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[workorders]\ndispatch_minutes = 5\n")
    before = cfg.read_bytes()
    result = runner.invoke(
        app, ["--config", str(cfg), "config", "set", "workorders.dispatch_minutes", "soon"]
    )
    assert result.exit_code == 2
    assert "expected a whole number" in result.stderr
    assert cfg.read_bytes() == before


def test_config_set_unknown_key(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "c.toml"), "config", "set", "x.y", "1"])
    assert result.exit_code == 2 and "unknown config key" in result.stderr


def test_config_path_and_show(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[site]\nname = "North Gate"\n')
    assert runner.invoke(app, ["--config", str(cfg), "config", "path"]).stdout.strip() == str(cfg)
    shown = runner.invoke(app, ["--config", str(cfg), "config", "show"]).stdout
    assert tomllib.loads(shown)["site"]["name"] == "North Gate"


def test_documented_config_has_every_key_and_loads_as_defaults(tmp_path: Path, empty: Path) -> None:
    text = documented_config_text()
    cfg = write(tmp_path / "doc.toml", text)
    assert load_settings(cfg, env={}) == load_settings(empty, env={})
    data = tomllib.loads(text)
    for key in all_keys():
        section, _, name = key.partition(".")
        if name:
            assert name in data.get(section, {}), f"config.toml does not document {key}"
        else:
            assert section in data, f"config.toml does not document {key}"


@given(st.text(max_size=30))
def test_config_set_never_crashes_on_any_text(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        try:
            value = set_in_file(path, "workorders.dispatch_minutes", text)
        except ConfigError as err:
            assert "workorders.dispatch_minutes" in str(err)
        else:
            assert isinstance(value, int)


def test_no_config_toml_at_the_checkout_root_that_nothing_reads() -> None:
    """#17 finding 18: a root `config.toml` looked like the config and was silently ignored
    (the app reads `data/config.toml`); the example has a name that says what it is."""
    from shiftdesk.config import checkout_root

    root = checkout_root()
    assert root is not None
    assert not (root / "config.toml").exists()
    assert (root / "config.example.toml").is_file()
    assert "shiftdesk config path" in (root / "README.md").read_text(encoding="utf-8")
