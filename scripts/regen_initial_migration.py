"""Regenerate the initial migration from the models (development only, before 1.0).

Until the first release the schema is one migration, 0001_initial, made by Alembic's
autogenerate from the SQLModel tables. After the first release, add new revisions instead.
Run: python scripts/regen_initial_migration.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from shiftdesk.db import make_engine
from shiftdesk.migrate import MIGRATIONS, alembic_config


def main() -> None:
    versions = MIGRATIONS / "versions"
    for old in versions.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial", autogenerate=True, rev_id="0001")
    for new in versions.glob("0001_*.py"):
        subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(new)], check=False)
        print(f"wrote {new.relative_to(Path.cwd()) if new.is_relative_to(Path.cwd()) else new}")


if __name__ == "__main__":
    main()
