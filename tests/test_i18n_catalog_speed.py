"""The catalogs are read without tomllib at start-up (issue 10): the fast reading must give
exactly what tomllib gives, and hand anything unusual to tomllib."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import shiftdesk.i18n as i18n

CATALOGS = sorted(Path(i18n.__file__).parent.glob("*.toml"))


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.name)
def test_every_catalog_reads_as_tomllib_reads_it(path: Path) -> None:
    """Read fast, the same keys and texts; or (a valid TOML shape the fast reading does not
    know) left to tomllib, which only costs start-up time."""
    text = path.read_text(encoding="utf-8")
    fast = i18n._parse(text)
    assert fast is None or fast == tomllib.loads(text)


def test_escapes_read_as_toml_says() -> None:
    text = (
        "# a comment\n\n"
        '["x.quote"]\nen = "say \\"hi\\" \\\\ done"\nzh_CN = "\\u4e2d\\t文\\n"\n'
        '["x.plain"]\nen = "{count} 条"\nzh_CN = ""\n'
    )
    assert i18n._parse(text) == tomllib.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        '["x.a"]\nen = """two\nlines"""\n',  # a multi-line string
        "[\"x.a\"]\nen = 'literal'\n",  # a literal string
        '["x.a"]\nen = "a" # trailing comment\n',
        'en = "before any table"\n',
        '["x.a"]\nen = "one"\nen = "twice"\n',  # tomllib refuses it
        '["x.a"]\nen = "a"\n["x.a"]\nen = "b"\n',  # tomllib refuses it
        '["x.a"]\nen = "bad \\q escape"\n',
    ],
)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert i18n._parse(text) is None
