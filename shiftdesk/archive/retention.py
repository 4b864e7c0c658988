"""``--keep-days``: old archive files leave the output folder; the database keeps all (A-7)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from shiftdesk.archive.periods import ARCHIVE_NAME


def prune_archives(
    out_dir: Path, keep_days: int, today: date, *, keep: frozenset[str] = frozenset()
) -> list[Path]:
    """Delete archives whose last day is more than ``keep_days`` days before ``today``.

    Only files named like shiftdesk's archives are considered (the date in the name is the
    last day the archive covers), never anything else in the folder, never a symlink.
    """
    if keep_days <= 0 or not out_dir.is_dir():
        return []
    cutoff = today - timedelta(days=keep_days)
    removed: list[Path] = []
    for path in sorted(out_dir.iterdir()):
        match = ARCHIVE_NAME.match(path.name)
        if match is None or path.name in keep or path.is_symlink() or not path.is_file():
            continue
        try:
            last_day = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if last_day < cutoff:
            path.unlink()
            removed.append(path)
    return removed
