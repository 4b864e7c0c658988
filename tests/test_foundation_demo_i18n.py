"""Demo determinism and complete translation catalogs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import text
from sqlalchemy.engine import Engine

from shiftdesk.config import Settings
from shiftdesk.db import make_engine
from shiftdesk.demo import load_demo
from shiftdesk.i18n import LOCALES, catalog, set_locale, t
from shiftdesk.migrate import upgrade
from tests.conftest import FROZEN

#: columns that differ by design: salted hashes
VOLATILE = {"pin_hash"}


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    from sqlmodel import SQLModel

    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            cols = [c.name for c in table.columns if c.name not in VOLATILE]
            rows = conn.execute(
                text(f"SELECT {', '.join(cols)} FROM {table.name} ORDER BY id")
            ).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def demo_db(tmp_path: Path, name: str, seed: int) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / name}")
    upgrade(eng)
    with time_machine.travel(FROZEN, tick=False):
        load_demo(eng, Settings(), seed=seed, now=FROZEN)
    return eng


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = dump(demo_db(tmp_path, "a.db", 11))
    second = dump(demo_db(tmp_path, "b.db", 11))
    assert first == second
    other = dump(demo_db(tmp_path, "c.db", 12))
    assert other["resident"] != first["resident"]
    assert 3 <= len(first["building"]) <= 6
    assert len(first["resident"]) >= 200


def test_every_catalog_key_has_every_locale() -> None:
    missing = [
        f"{key}: {locale}"
        for key, texts in catalog().items()
        for locale in LOCALES
        if not str(texts.get(locale, "")).strip()
    ]
    assert missing == []


def test_placeholders_agree_between_locales() -> None:
    field = re.compile(r"{(\w+)")
    wrong = [
        key
        for key, texts in catalog().items()
        if len({frozenset(field.findall(str(v))) for v in texts.values()}) > 1
    ]
    assert wrong == []


def test_every_key_used_in_code_exists() -> None:
    """A t("...") with a literal key that no catalog defines would show the raw key."""
    root = Path(__file__).resolve().parent.parent
    used: set[str] = set()
    pattern = re.compile(r"""\bt\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
    for folder in ("shiftdesk", "screens"):
        for path in (root / folder).rglob("*.py"):
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    unknown = sorted(k for k in used if k not in catalog())
    assert unknown == []


def test_translation_switches_with_the_locale() -> None:
    set_locale("zh_CN")
    assert t("mode.dispatch") == "派工"
    set_locale("en")
    assert t("mode.dispatch") == "Dispatch"
    assert t("no.such.key") == "no.such.key"
