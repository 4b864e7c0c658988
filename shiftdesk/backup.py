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
        # One step (pages=-1): a read transaction copies a consistent snapshot while WAL
        # writers go on. In small steps, any write by another terminal between two steps
        # restarts the copy, and a busy desk would keep it from ever finishing.
        src.backup(dst, pages=-1)
    except BaseException:
        dst.close()
        src.close()
        # never leave half a backup that looks like one
        for leftover in (target, target.with_name(target.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    dst.close()
    src.close()
    return target.stat().st_size
