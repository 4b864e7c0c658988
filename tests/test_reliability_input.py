"""Bad input (issue 9): any text a terminal can send, every validator and parser.

Properties, not examples: for any input a validator returns a value or refuses with a
``ShiftdeskError`` whose message exists in English and in Chinese. No other exception
escapes, and nothing unclean is stored.
"""

from __future__ import annotations

import contextlib
import os
import re
import string
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from shiftdesk.config import all_keys, load_settings
from shiftdesk.errors import ConfigError, ShiftdeskError, UsageError, ValidationError
from shiftdesk.i18n import set_locale
from shiftdesk.textclean import clean_text, control_characters, text_problem
from shiftdesk.timeutil import parse_day, parse_hhmm, parse_instant, zone

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
runner = CliRunner()


def bilingual(
    fn: Callable[[], Any], exc: type[ShiftdeskError] = ShiftdeskError, echoed: str = ""
) -> str | None:
    """Run ``fn``; if it refuses, check the refusal is one line in English and in Chinese.

    ``echoed`` is input the message may quote as typed (its own line breaks do not count).
    Returns the English message, or None when ``fn`` accepted the input.
    """
    set_locale("en")
    try:
        fn()
    except exc as err:
        english = err.message
    else:
        return None
    set_locale("zh_CN")
    try:
        with pytest.raises(exc) as info:
            fn()
    finally:
        set_locale("en")
    chinese = info.value.message
    assert english.strip()
    if echoed:
        english, chinese = english.replace(echoed, "…"), chinese.replace(echoed, "…")
    assert "\n" not in english, english
    assert "\n" not in chinese, chinese
    assert CJK.search(chinese) and chinese != english, f"not translated: {chinese!r}"
    return english


# ------------------------------------------------------------------------ free text


def _allowed_in(result: str, multiline: bool) -> bool:
    return all(
        (ch == "\n" and multiline)
        or not (
            unicodedata.category(ch) in ("Cc", "Cs")
            or 0x202A <= ord(ch) <= 0x202E
            or 0x2066 <= ord(ch) <= 0x2069
        )
        for ch in result
    )


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(), st.booleans(), st.integers(min_value=0, max_value=60))
@example("\x1b[31mred\x1b[0m", False, 20)
@example("a\r\nb\x00c\u202ed", True, 20)
@example("\ud800x", False, 5)
def test_clean_text_stores_nothing_raw(text: str, multiline: bool, limit: int) -> None:
    """Whatever is typed: no control character, escape or bidi override survives, the result
    is NFC, within the limit, and cleaning it again changes nothing."""
    try:
        result = clean_text(text, max_length=limit, multiline=multiline, field="summary")
    except ValidationError as err:
        assert err.field == "summary"
        assert "characters long" in err.message
        return
    assert _allowed_in(result, multiline)
    assert "\x1b" not in result
    assert unicodedata.is_normalized("NFC", result)
    assert len(result) <= limit
    assert result == result.strip()
    assert clean_text(result, max_length=limit, multiline=multiline) == result


printable = st.characters(
    categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\u2028\u2029\x85\xa0\u3000"
)


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(printable, max_size=200))
def test_printable_text_is_kept_as_typed(text: str) -> None:
    """CJK, emoji, symbols and accents come back exactly (NFC, trimmed)."""
    assert clean_text(text, max_length=1000) == unicodedata.normalize("NFC", text).strip()


@pytest.mark.parametrize(
    "text",
    [
        "3-2-1502 厨房水管漏水，楼下天花板滴水",
        "👨‍👩‍👧 family emoji with joiners",
        "❤️ 谢谢 👍🏽",
        "王芳 wáng fāng",
        "\U0001f600\U0001f680 emoji outside the BMP",
        "private use \ue000",
    ],
)
def test_what_the_desk_types_is_kept(text: str) -> None:
    assert clean_text(text, max_length=200) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    ("raw", "multiline", "cleaned"),
    [
        ("\x1b[31mleak\x1b[0m in 3-2", False, "leak in 3-2"),
        ("title\x1b]0;pwned\x07 ok", False, "title ok"),
        ("nul\x00byte", False, "nulbyte"),
        ("line one\r\nline two\rthree", True, "line one\nline two\nthree"),
        ("line one\r\nline two", False, "line one line two"),
        ("tab\there", True, "tab here"),
        ("abc\u202edef", False, "abcdef"),
        ("para\u2028graph", True, "para\ngraph"),
        ("  padded  \n\n", True, "padded"),
        ("e\u0301", False, "é"),
        ("bell\x07 and backspace\x08", False, "bell and backspace"),
        ("\ufeffbom", False, "bom"),
    ],
)
def test_control_characters_are_stripped(raw: str, multiline: bool, cleaned: str) -> None:
    assert clean_text(raw, max_length=100, multiline=multiline) == cleaned


def test_refuse_mode_names_the_character() -> None:
    english = bilingual(
        lambda: clean_text("wang\x00fang", max_length=40, on_control="refuse", field="name")
    )
    assert english is not None and "U+0000" in english
    assert control_characters("a\nb\tc", multiline=True) == []
    assert control_characters("a\nb") == ["\n"]


def test_too_long_and_required_are_refused_in_both_languages() -> None:
    english = bilingual(lambda: clean_text("水" * 41, max_length=40, label="Name"))
    assert english == "Name is 41 characters long; at most 40 are allowed."
    assert bilingual(lambda: clean_text(" \x00 ", max_length=40, required=True)) is not None
    assert clean_text(None, max_length=5) == ""
    assert text_problem("x" * 6, max_length=5) is not None
    assert text_problem("x" * 5, max_length=5) is None


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=120))
def test_cleaned_text_round_trips_through_both_backends(engine: Engine, text: str) -> None:
    """PostgreSQL refuses NUL and lone surrogates; cleaned text is accepted and read back
    exactly on both backends (emoji outside the BMP included)."""
    from shiftdesk.db import read_session, transact
    from shiftdesk.models import Site

    cleaned = clean_text(text + "😀", max_length=120)
    code = f"S{abs(hash(text)) % 10**9}"

    def save(session: Any) -> int:
        site = Site(code=code, name=cleaned)
        session.add(site)
        session.flush()
        return int(site.id)

    site_id = transact(engine, save)
    with read_session(engine) as session:
        assert session.get(Site, site_id).name == cleaned  # type: ignore[union-attr]
    transact(engine, lambda s: s.delete(s.get(Site, site_id)))


# ------------------------------------------------------------------------ dates and times


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=40))
@example("25:00")
@example("1" * 30 + ":00")
@example("１２：３０")
def test_parse_hhmm_returns_a_time_or_refuses_in_both_languages(text: str) -> None:
    english = bilingual(lambda: parse_hhmm(text), UsageError)
    if english is None:
        assert isinstance(parse_hhmm(text), time)


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.times())
def test_parse_hhmm_reads_what_it_writes(value: time) -> None:
    assert parse_hhmm(value.strftime("%H:%M")) == value.replace(second=0, microsecond=0)
    assert parse_hhmm(value.strftime("%H:%M").translate(_FULL_WIDTH)) == value.replace(
        second=0, microsecond=0
    )


_FULL_WIDTH = str.maketrans("0123456789:-", "０１２３４５６７８９：－")


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=40))
@example("0001-01-01T00:00")
@example("9999-12-31T23:59-05:00")
@example("２０２６－１１－２２T14:05")
def test_parse_instant_returns_utc_or_refuses(text: str) -> None:
    english = bilingual(lambda: parse_instant(text, "Asia/Shanghai"), UsageError)
    if english is None:
        value = parse_instant(text, "Asia/Shanghai")
        assert value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(None)


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.timezones()
    )
)
def test_parse_instant_reads_any_iso_instant(value: datetime) -> None:
    assume(value.utcoffset() is not None)
    assert parse_instant(value.isoformat(), "Asia/Shanghai") == value


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=20))
def test_parse_day_returns_a_date_or_refuses(text: str) -> None:
    bilingual(lambda: parse_day(text), UsageError)


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=40))
@example(".")
@example("Asia/Shang\x00hai")
@example("../../etc/passwd")
def test_zone_names_are_checked(text: str) -> None:
    bilingual(lambda: zone(text), UsageError)


# ------------------------------------------------------------------------ configuration

toml_values = st.recursive(
    st.none().map(lambda _: "")
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["08:00", "25:99", "Asia/Shanghai", "zh_CN", "A", "B", "tar.gz"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=6,
)


def _toml(key: str, value: Any) -> str:
    import tomli_w

    section, _, name = key.partition(".")
    data: dict[str, Any] = {section: {name: value}} if name else {section: value}
    return tomli_w.dumps(data)


@hsettings(max_examples=150, deadline=None)
@given(key=st.sampled_from([*all_keys(), "nosuch.key", "workorders.nosuch"]), value=toml_values)
def test_any_config_value_loads_or_is_one_line_in_both_languages(
    tmp_path_factory: pytest.TempPathFactory, key: str, value: Any
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    try:
        text = _toml(key, value)
    except Exception:
        assume(False)
        return
    path.write_text(text, encoding="utf-8")
    english = bilingual(lambda: load_settings(path, env={}), ConfigError)
    if english is not None:
        assert str(path) in english


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.binary(max_size=60))
@example(b"\xff\xfe not utf-8")
@example(b"[site\n")
def test_a_corrupt_config_file_is_one_line(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_bytes(data)
    bilingual(lambda: load_settings(path, env={}), ConfigError)


@hsettings(max_examples=100, deadline=None)
@given(key=st.sampled_from(all_keys()), text=st.text(max_size=20))
def test_any_environment_value_loads_or_names_the_variable(key: str, text: str) -> None:
    assume("\x00" not in text)
    section, _, name = key.partition(".")
    var = f"SHIFTDESK_{section.upper()}__{name.upper()}" if name else "SHIFTDESK_LOCALE"
    english = bilingual(lambda: load_settings(None, env={var: text}), ConfigError)
    if english is not None:
        assert var in english or key in english


def test_config_errors_follow_the_sites_language(tmp_path: Path) -> None:
    """A Chinese site's broken config is reported in Chinese, from the file's own locale."""
    path = tmp_path / "c.toml"
    path.write_text('locale = "zh_CN"\n[workorders]\ndispatch_minutes = "三"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert "应为整数" in info.value.message and "workorders.dispatch_minutes" in info.value.message
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={"SHIFTDESK_LOCALE": "en"})
    assert "expected a whole number" in info.value.message


# ------------------------------------------------------------------------ command line

_COMMANDS = [
    ["version"],
    ["init"],
    ["db", "current"],
    ["db", "backup"],
    ["db"],
    ["config", "get"],
    ["config", "set"],
    ["config", "show"],
    ["operators", "list"],
    ["operators", "add"],
    ["orders", "list"],
    ["orders", "show"],
    ["orders", "cancel"],
    ["audit"],
    ["verify"],
    ["nosuch"],
    ["db", "nosuch"],
]
_WORDS = [
    "--format",
    "json",
    "csv",
    "xml",
    "--id",
    "--entity",
    "-h",
    "--role",
    "--nope",
    "1",
    "-5",
    "workorders.dispatch_minutes",
    "locale",
    "zh_CN",
    "wangfang",
    "9999999999999999999999",
    "",
    " ",
    "张伟",
    "3-2-1502",
    "--",
    "=",
    "--format=json",
    "--limit",
    "work_order",
]
_ROOT = [
    ("--locale", "zh_CN"),
    ("--locale", "fr"),
    ("--operator", "wangfang"),
    ("--operator", ""),
    ("--db", "sqlite:///"),
    ("--db", "nonsense://"),
    ("--db", "postgresql://x@127.0.0.1:1/x"),
]


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    root=st.lists(st.sampled_from(_ROOT), max_size=2),
    command=st.sampled_from(_COMMANDS),
    words=st.lists(
        st.sampled_from(_WORDS) | st.text(string.printable + "张伟😀", max_size=8), max_size=4
    ),
)
def test_any_command_line_exits_0_1_or_2_with_one_line(
    tmp_path_factory: Any, root: list[str], command: list[str], words: list[str]
) -> None:
    """No traceback for any command line: exit 0, 1 or 2, and a refusal is one line."""
    from shiftdesk.cli import app

    # every example on its own config and database ("config set" writes, "init" creates)
    where = tmp_path_factory.mktemp("cli")
    cfg = where / "config.toml"
    cfg.write_text('locale = "en"\n', encoding="utf-8")
    env = {"SHIFTDESK_CONFIG": str(cfg), "SHIFTDESK_DB": f"sqlite:///{where / 'db.sqlite'}"}
    args = [*(part for pair in root for part in pair), *command, *words]
    # in its own folder: a random word can be a path (``db backup`` writes one)
    with contextlib.chdir(where):
        result = runner.invoke(app, args, env=env, input="")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
        result.output,
    )
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    if result.exit_code != 0 and not {"-h", "--help"} & set(args):
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        if lines and lines[-1].startswith("shiftdesk:"):
            assert len(lines) == 1, (args, result.stderr)


@pytest.mark.parametrize(
    ("args", "english", "chinese"),
    [
        (["nosuch"], "There is no command 'nosuch'.", "没有“nosuch”这个命令"),
        (["--nope", "version"], "There is no option --nope.", "没有 --nope 这个选项"),
        (["db", "backup"], "path is missing.", "缺少 path"),
        (["demo", "--seed", "abc"], "expected a whole number", "应为整数"),
        (["version", "extra"], "Unexpected extra arguments: extra.", "多余的参数：extra"),
        (["demo", "--seed"], "The option --seed needs a value.", "选项 --seed 需要一个值"),
    ],
)
def test_usage_errors_are_one_translated_line(args: list[str], english: str, chinese: str) -> None:
    from shiftdesk.cli import app

    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and english in result.stderr, result.stderr
    result = runner.invoke(app, ["--locale", "zh_CN", *args])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and chinese in result.stderr, result.stderr
    # the site's language from SHIFTDESK_LOCALE too
    result = runner.invoke(app, args, env={**os.environ, "SHIFTDESK_LOCALE": "zh_CN"})
    assert chinese in result.stderr


# ------------------------------------------------------------------------ validators in the areas


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=30))
@example("+86 138 0013 8000")
@example("0086-21-1234-5678")
@example("１３８００１３８０００")
def test_phone_numbers_are_normalised_or_refused(text: str) -> None:
    from shiftdesk.lookup import normalise_phone, phone_digits

    phone_digits(text)  # never raises: it is a prefix search
    english = bilingual(lambda: normalise_phone(text), ValidationError, echoed=text)
    if english is None:
        stored = normalise_phone(text)
        assert stored == "" or stored.isdigit() or re.fullmatch(r"\+\d+", stored)


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=30))
@example("3 2 15")
@example("３－２－１５０２")
def test_unit_and_name_queries_never_raise(text: str) -> None:
    from shiftdesk.lookup import pinyin_query, unit_prefix

    prefix = unit_prefix(text)
    assert prefix is None or any(ch.isdigit() for ch in prefix)
    pinyin_query(text)


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=50))
@example("SF1234567890123")
@example("EA123456785CN")
def test_tracking_numbers_are_recognised_or_refused(text: str) -> None:
    from shiftdesk.carriers import looks_like_tracking, recognise
    from shiftdesk.parcels import clean_tracking

    recognise(text)
    looks_like_tracking(text)
    english = bilingual(lambda: clean_tracking(text), ValidationError, echoed=text)
    if english is None:
        assert re.fullmatch(r"[0-9A-Z]+", clean_tracking(text))


@hsettings(deadline=None)  # a shared, loaded machine: no per-example deadline
@given(st.text(max_size=16))
def test_pins_are_digits_only(text: str) -> None:
    from shiftdesk.security import check_pin_format

    if bilingual(lambda: check_pin_format(text), ValidationError) is None:
        assert text.isdigit() and text.isascii() and 4 <= len(text) <= 12
