"""Schema management through Alembic: the only way the schema is made or changed.

A database stamped with a revision this program does not know is newer than the
program: it is refused, never modified.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from shiftdesk.errors import SchemaError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise SchemaError(f"the program's migrations have {len(heads)} heads; expected one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(engine: Engine) -> str | None:
    """Return the database's revision; raise if this program does not know it."""
    current = current_revision(engine)
    if current is None:
        return None
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaError(
            f"the database schema ({current}) is newer than this program "
            f"(which knows up to {head_revision()}); upgrade shiftdesk, the database was not changed"
        )
    return current


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Create or upgrade the schema; returns the revision now in force."""
    check_not_newer(engine)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine) or ""


def is_current(engine: Engine) -> bool:
    return check_not_newer(engine) == head_revision()


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a database that is missing or behind (``shiftdesk init`` fixes it)."""
    current = check_not_newer(engine)
    if current is None:
        raise SchemaError("the database has no shiftdesk schema yet; run `shiftdesk init`")
    if current != head_revision():
        raise SchemaError(
            f"the database schema ({current}) is older than this program ({head_revision()}); "
            "run `shiftdesk db upgrade`"
        )
