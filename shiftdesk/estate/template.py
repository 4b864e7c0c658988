"""The empty roster ``shiftdesk estate template`` writes: the headers in the operator's
language, one example row, and (xlsx) a second sheet explaining each column."""

from __future__ import annotations

import csv
from pathlib import Path

from shiftdesk.estate.columns import FIELDS, ZH_HEADERS
from shiftdesk.i18n import t

#: the example row, for a site that writes building-entrance-room
EXAMPLE: dict[str, str] = {
    "building": "1",
    "entrance": "1",
    "unit": "402",
    "area": "89.5",
    "name": "张伟",
    "role": "业主",
    "phone": "13800138000/13900139000",
    "id_last4": "123X",
    "move_in": "2024-03-01",
    "note": "",
}


def headers(locale: str) -> list[str]:
    return [ZH_HEADERS[f] if locale == "zh_CN" else f for f in FIELDS]


def write_template(path: Path, *, fmt: str, locale: str) -> Path:
    """Write the template as ``fmt`` (xlsx or csv, UTF-8 with BOM so Excel opens it right)."""
    head = headers(locale)
    example = [EXAMPLE[f] for f in FIELDS]
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(head)
            writer.writerow(example)
        return path
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = t("estate.template.sheet")
    ws.append(head)
    ws.append(example)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, name in enumerate(FIELDS):
        letter = ws.cell(row=1, column=i + 1).column_letter
        ws.column_dimensions[letter].width = max(10, len(EXAMPLE[name]) + 4)
        ws.cell(row=2, column=i + 1).number_format = "@"  # phones and 0123 stay text
    notes = book.create_sheet(t("estate.template.notes_sheet"))
    notes.append([t("estate.template.column"), t("estate.template.meaning")])
    for name in FIELDS:
        notes.append([f"{ZH_HEADERS[name]} / {name}", t(f"estate.column.{name}")])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    book.save(path)
    return path
