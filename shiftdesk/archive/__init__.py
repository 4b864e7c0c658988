"""Export archives: deterministic, verifiable, restorable copies of the database (issue 8).

An archive (tar.gz or zip) holds, for every table of the schema in foreign-key order, a
JSON Lines file (``jsonl/<table>.jsonl``: the column names, then one JSON array per row)
and a CSV copy for spreadsheets (``csv/<table>.csv``), then ``manifest.json`` (format and
schema version, program version, site, period, rows per table, SHA-256 and size of every
file, how personal data was treated) and ``SHA256SUMS`` (``sha256sum -c`` works on an
unpacked archive). Times are UTC, ISO 8601.

- ``export_archive`` writes one (same data and arguments: same bytes),
- ``verify_archive`` checks one (every hash, size and row count),
- ``import_archive`` restores one into an empty database, or merges it,
- ``prune_archives`` applies ``--keep-days`` to the output folder.

Personal data is masked unless asked for (``shiftdesk.archive.pii``). The core never
prints: the CLI (``shiftdesk/cli/export_cmd.py``) adds the progress bar and messages.
"""

from shiftdesk.archive.export import (
    ExportOptions,
    ExportResult,
    export_archive,
    record_export,
    tables,
)
from shiftdesk.archive.periods import (
    Period,
    archive_name,
    day_range,
    everything,
    last_cursor,
    one_day,
    since_last,
)
from shiftdesk.archive.restore import RestoreFailed, RestoreResult, import_archive
from shiftdesk.archive.retention import prune_archives
from shiftdesk.archive.verify import VerifyReport, verify_archive

__all__ = [
    "ExportOptions",
    "ExportResult",
    "Period",
    "RestoreFailed",
    "RestoreResult",
    "VerifyReport",
    "archive_name",
    "day_range",
    "everything",
    "export_archive",
    "import_archive",
    "last_cursor",
    "one_day",
    "prune_archives",
    "record_export",
    "since_last",
    "tables",
    "verify_archive",
]
