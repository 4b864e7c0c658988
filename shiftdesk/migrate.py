"""Schema management through Alembic: the only way the schema is made or changed.

A database stamped with a revision this program does not know is newer than the
program: it is refused, never modified.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from shiftdesk.errors import SchemaError
from shiftdesk.i18n import t

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
#: Alembic's default version table (migrations/env.py does not rename it)
VERSION_TABLE = "alembic_version"

# Checking the schema at start-up must not cost an Alembic import (it loads Mako and
# Pygments: a large share of the app's start, docs/performance.md). The revision ids are read
# from the migration files and the database's revision from its version table; anything
# unusual falls back to Alembic itself. Creating or upgrading a schema still uses Alembic.
_REVISION = re.compile(r"^revision(?:\s*:[^=\n]*)?\s*=\s*[\"']([^\"']+)[\"']\s*$", re.M)
_DOWN_REVISION = re.compile(
    r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(?:None|[\"']([^\"']+)[\"'])\s*$", re.M
)


@functools.cache
def _scanned_revisions() -> tuple[frozenset[str], frozenset[str]] | None:
    """(known revisions, heads) read from the migration files, or None if one is unusual."""
    known: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if rev is None or down is None:
            return None  # e.g. a merge revision with a tuple of parents
        known.add(rev.group(1))
        if down.group(1):
            parents.add(down.group(1))
    if not known:
        return None
    return frozenset(known), frozenset(known - parents)


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def head_revision() -> str:
    scanned = _scanned_revisions()
    if scanned is not None:
        heads: list[str] = sorted(scanned[1])
    else:
        from alembic.script import ScriptDirectory

        heads = list(ScriptDirectory.from_config(alembic_config()).get_heads())
    if len(heads) != 1:
        raise SchemaError(f"the program's migrations have {len(heads)} heads; expected one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
        if len(rows) <= 1:
            return str(rows[0][0]) if rows else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()  # raises: several heads


def check_not_newer(engine: Engine) -> str | None:
    """Return the database's revision; raise if this program does not know it."""
    current = current_revision(engine)
    if current is None:
        return None
    scanned = _scanned_revisions()
    if scanned is not None:
        known: set[str] | frozenset[str] = scanned[0]
    else:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config())
        known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaError(t("reliability.schema.newer", current=current, head=head_revision()))
    return current


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Create or upgrade the schema; returns the revision now in force."""
    from alembic import command

    check_not_newer(engine)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    if revision == "head":
        _create_missing_tables(engine)
    refresh_statistics(engine)
    return current_revision(engine) or ""


#: rows ANALYZE samples per index on SQLite: bounded, so a year's database takes a moment
ANALYSIS_LIMIT = 2000


def refresh_statistics(engine: Engine) -> None:
    """Give the query planner current statistics (issue #24).

    SQLite keeps none until ``ANALYZE`` runs, and nothing else in the app runs it; the hot
    queries are written (and indexed) to pick the right index without statistics, and this
    keeps the planner's numbers true as the history grows. Called after every upgrade and
    by the nightly job (``shiftdesk db optimize``); ``analysis_limit`` bounds its cost on
    SQLite. PostgreSQL's autovacuum analyses on its own; an explicit ANALYZE after a bulk
    import or an upgrade does no harm there.
    """
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA optimize")
        else:
            conn.exec_driver_sql("ANALYZE")


def missing_tables(engine: Engine) -> list[str]:
    """Tables of the models that the database lacks although it is at the head revision.

    Until the first release the schema is one revision, regenerated when an area adds a
    table (docs/architecture.md), so a database made by an earlier build can be at "0001"
    and still miss a newer table. ``shiftdesk db upgrade`` adds them (``upgrade``).
    """
    from sqlmodel import SQLModel

    import shiftdesk.models  # noqa: F401  (registers every table in the metadata)

    with engine.connect() as conn:
        have = set(inspect(conn).get_table_names())
    return [t.name for t in SQLModel.metadata.sorted_tables if t.name not in have]


def _create_missing_tables(engine: Engine) -> None:
    from sqlmodel import SQLModel

    missing = set(missing_tables(engine))
    if missing:
        tables = [t for t in SQLModel.metadata.sorted_tables if t.name in missing]
        SQLModel.metadata.create_all(engine, tables=tables)


def is_current(engine: Engine) -> bool:
    return check_not_newer(engine) == head_revision()


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a database that is missing or behind (``shiftdesk init`` fixes it)."""
    current = check_not_newer(engine)
    if current is None:
        raise SchemaError(t("reliability.schema.empty"))
    if current != head_revision():
        raise SchemaError(t("reliability.schema.older", current=current, head=head_revision()))
    missing = missing_tables(engine)
    if missing:
        raise SchemaError(t("reliability.schema.missing", tables=", ".join(missing)))
