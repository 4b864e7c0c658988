"""Statistics: the nightly, monthly and range reports managers file (domain §12, S-*).

- ``periods``: the local days a report covers, and their UTC bounds.
- ``queries``: aggregate SQL (counts, group-bys) and the timestamp rows clocks need.
- ``judge``: on-time / late verdicts, only ever from the pure clock functions in
  ``shiftdesk.clocks`` (the same verdicts as the dispatch board and the call form).
- ``build``: the reports as plain dicts; their keys are the JSON contract
  (docs/statistics.md).
- ``render``: table (Rich), Markdown, CSV, JSON and xlsx (openpyxl).

Nothing here imports Textual; the CLI (``shiftdesk stats``) imports this package inside its
commands, so a nightly cron job stays light.
"""

from __future__ import annotations

from shiftdesk.stats.build import build

__all__ = ["build"]
