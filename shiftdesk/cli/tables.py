"""The CLI's table format: Rich's table for a screenful, a streamed plain table beyond.

Rich's ``Table`` measures every cell of every row to lay out its columns and renders the
whole table before the first line appears: ``orders list --open`` took 15.6 s and 174 MB
for 10,000 orders (83.5 s and 577 MB for 50,000) against 1.7 s for the same rows as JSON
(issue #24). Past ``STREAM_AFTER`` rows the table is written line by line instead: one
pass over the cells with ``rich.cells.cell_len`` (double-width Chinese counted as two
cells) fixes the column widths, the widest columns give way until the table fits the
terminal, and a cell that does not fit ends in "…" rather than wrapping into the next line.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

#: up to this many rows the table is Rich's (boxed, wrapped); beyond, it is streamed
STREAM_AFTER = 200
#: no column is narrowed below this many cells to make the table fit
MIN_WIDTH = 6
GAP = "  "


def print_table(
    rows: Sequence[dict[str, Any]],
    columns: list[str],
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Print ``rows`` as a table of ``columns`` (with their ``headers``)."""
    labels = [(headers or {}).get(c, c) for c in columns]
    cells = [["" if row.get(c) is None else str(row.get(c)) for c in columns] for row in rows]
    if len(rows) <= STREAM_AFTER:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for label in labels:
            table.add_column(label)
        for line in cells:
            table.add_row(*line)
        Console(file=out).print(table)
        return
    stream_table(cells, labels, title=title, out=out or sys.stdout)


def stream_table(
    cells: list[list[str]],
    labels: list[str],
    *,
    title: str | None = None,
    out: TextIO,
    width: int | None = None,
) -> None:
    """Write the table a line at a time, fitted to ``width`` cells (the terminal's)."""
    from rich.cells import cell_len

    width = width or shutil.get_terminal_size((120, 24)).columns
    widths = [cell_len(label) for label in labels]
    for line in cells:
        for i, text in enumerate(line):
            n = cell_len(text)
            if n > widths[i]:
                widths[i] = n
    widths = fit(widths, width - len(GAP) * (len(labels) - 1))
    if title:
        out.write(title + "\n")
    out.write(_line(labels, widths) + "\n")
    out.write(GAP.join("─" * w for w in widths) + "\n")
    chunk: list[str] = []
    for line in cells:
        chunk.append(_line(line, widths))
        if len(chunk) >= 1000:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
    out.flush()


def fit(widths: list[int], room: int) -> list[int]:
    """Narrow the widest columns, one cell at a time, until they fit in ``room`` cells."""
    widths = list(widths)
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= MIN_WIDTH:
            break  # as narrow as it goes: the terminal wraps what is left
        widths[widest] -= 1
    return widths


def _line(texts: list[str], widths: list[int]) -> str:
    return GAP.join(_cell(text, w) for text, w in zip(texts, widths, strict=True)).rstrip()


def _cell(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    from rich.cells import cell_len, set_cell_size

    text = text.replace("\n", " ")
    n = cell_len(text)
    if n <= width:
        return text + " " * (width - n)
    return set_cell_size(text, width - 1) + "…"
