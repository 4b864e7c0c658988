"""A roster file as rows of cells: ``.xlsx`` through openpyxl, ``.csv`` in UTF-8 (with or
without BOM) or GB18030 (which GBK is a subset of: what Chinese Excel writes).

A file that cannot be read as a roster (not a spreadsheet, encrypted, empty, a sheet that
does not exist) raises ``RosterFileError``: one line, exit 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shiftdesk.errors import UsageError
from shiftdesk.i18n import t

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office's compound file: old .xls, or encrypted
#: tried in this order when no ``--encoding`` is given
ENCODINGS = ("utf-8-sig", "gb18030")


class RosterFileError(UsageError):
    """The file cannot be read as a roster at all."""


@dataclass
class Table:
    """The header row and the data rows below it, each with its row number in the file."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    header_row: int = 1
    #: (row number, column index) of the first cell of each merged range
    merged: list[tuple[int, int]] = field(default_factory=list)
    #: what the file was read as: "xlsx", or the CSV's encoding
    read_as: str = ""


def read_table(path: Path, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RosterFileError(t("estate.file.unreadable", path=path, error=err.strerror)) from None
    if not data.strip():
        raise RosterFileError(t("estate.file.empty", path=path))
    if data.startswith(_OLE):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise RosterFileError(t("estate.file.encrypted", path=path))
        raise RosterFileError(t("estate.file.old_xls", path=path))
    if data.startswith(_ZIP):
        return _xlsx(path, data, sheet)
    if sheet is not None:
        raise RosterFileError(t("estate.file.sheet_in_csv", path=path))
    return _csv(path, data, encoding)


def _text(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    if b"\x00" in data:
        raise RosterFileError(t("estate.file.not_spreadsheet", path=path))
    for enc in (encoding,) if encoding else ENCODINGS:
        try:
            return data.decode(enc), enc
        except LookupError:
            raise RosterFileError(t("estate.file.bad_encoding", encoding=enc)) from None
        except UnicodeDecodeError:
            continue
    raise RosterFileError(t("estate.file.undecodable", path=path, encoding=encoding or "utf-8"))


def _csv(path: Path, data: bytes, encoding: str | None) -> Table:
    text, used = _text(data, path, encoding)
    # the header line says the delimiter (a sniffer can take the ";" between two phones)
    header = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    delimiter = next((d for d in (",", "\t", ";") if d in header), ",")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise RosterFileError(t("estate.file.not_spreadsheet", path=path)) from None
    numbered = [(n, row) for n, row in enumerate(records, start=1)]
    return _split(path, numbered, [], "utf-8-sig" if used == "utf-8-sig" else used)


def _xlsx(path: Path, data: bytes, sheet: str | None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise RosterFileError(t("estate.file.not_spreadsheet", path=path)) from None
    except Exception as err:  # openpyxl's InvalidFileException and its kin
        if type(err).__module__.startswith("openpyxl"):
            raise RosterFileError(t("estate.file.not_spreadsheet", path=path)) from None
        raise
    if sheet is None:
        ws = book.worksheets[0]
    elif sheet in book.sheetnames:
        ws = book[sheet]
    else:
        raise RosterFileError(
            t("estate.file.no_sheet", sheet=sheet, sheets="、".join(book.sheetnames))
        )
    numbered = [
        (n, list(values)) for n, values in enumerate(ws.iter_rows(values_only=True), start=1)
    ]
    merged = [(rng.min_row, rng.min_col - 1) for rng in ws.merged_cells.ranges]
    return _split(path, numbered, merged, "xlsx")


def _blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _split(
    path: Path, numbered: list[tuple[int, list[Any]]], merged: list[tuple[int, int]], read_as: str
) -> Table:
    rows = [(n, values) for n, values in numbered if not _blank(values)]
    if not rows:
        raise RosterFileError(t("estate.file.empty", path=path))
    # a title above the header ("阳光花园业主信息表", one cell, often merged) is skipped
    first = next(
        (i for i, (_n, values) in enumerate(rows[:10]) if sum(not _blank([v]) for v in values) > 1),
        0,
    )
    rows = rows[first:]
    header_row, header = rows[0]
    headers = ["" if v is None else str(v).strip() for v in header]
    return Table(
        headers=headers,
        rows=rows[1:],
        header_row=header_row,
        merged=sorted((r, c) for r, c in merged if r > header_row),
        read_as=read_as,
    )
