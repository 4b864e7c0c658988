"""Online backups of the embedded database."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine

from shiftdesk.db import sqlite_path


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy a live SQLite database page by page (sqlite3 backup API); returns the size.

    Writers on other terminals keep going; the copy is a consistent snapshot. The file is
    created 0600, like the database, because it holds residents' personal data.
    """
    source = sqlite_path(engine.url.render_as_string(hide_password=False))
    if source is None:
        raise ValueError("not a SQLite file database")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024)
    finally:
        dst.close()
        src.close()
    return target.stat().st_size
