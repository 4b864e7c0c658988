"""Checking an archive against its manifest: every file's SHA-256, size and row count.

The manifest lists every data file with its hash, and SHA256SUMS lists every file
including the manifest, so one changed byte anywhere inside is caught and the file it is
in is named. The container's own bytes that no member covers (gzip header, zip entry
headers) are compared with what shiftdesk writes, and the gzip trailer's CRC is read.
The check streams: memory stays flat whatever the archive's size.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shiftdesk.archive.container import ArchiveDamaged, container_issues, read_members
from shiftdesk.archive.export import FORMAT_NAME, MANIFEST, SUMS
from shiftdesk.i18n import t

_CHUNK = 1 << 20


@dataclass
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class Seen:
    sha256: str
    size: int
    #: data rows (CSV records or JSON lines after the header); None if not counted
    rows: int | None


@dataclass
class VerifyReport:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    files: int = 0
    tables: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "archive": str(self.path),
            "ok": self.ok,
            "files": self.files,
            "tables": self.tables,
            "rows": self.rows,
            "problems": [{"file": p.file, "message": p.message} for p in self.problems],
        }


class _Tee(io.RawIOBase):
    """Passes a stream through, hashing and measuring every byte read."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.hash.update(data)
        self.size += n
        return n


def _count_csv(tee: _Tee) -> int | None:
    reader = io.BufferedReader(tee, _CHUNK)
    try:
        text = io.TextIOWrapper(reader, encoding="utf-8-sig", newline="")
        records = sum(1 for _ in csv.reader(text))
        return max(records - 1, 0)
    except (UnicodeDecodeError, csv.Error):
        return None
    finally:
        # drain whatever the parser left, so the hash covers the whole member
        while reader.read(_CHUNK):
            pass


def _count_lines(tee: _Tee) -> int:
    lines = 0
    last = b""
    while data := tee.read(_CHUNK):
        lines += data.count(b"\n")
        last = data[-1:]
    if last and last != b"\n":
        lines += 1
    return max(lines - 1, 0)


def _scan(name: str, stream: IO[bytes]) -> tuple[Seen, bytes | None]:
    tee = _Tee(stream)
    keep: bytes | None = None
    rows: int | None = None
    if name.endswith(".csv"):
        rows = _count_csv(tee)
    elif name.endswith(".jsonl"):
        rows = _count_lines(tee)
    elif name in (MANIFEST, SUMS):
        keep = io.BufferedReader(tee, _CHUNK).read()
    else:
        while tee.read(_CHUNK):
            pass
    return Seen(tee.hash.hexdigest(), tee.size, rows), keep


def _parse_sums(text: str) -> dict[str, str] | None:
    sums: dict[str, str] = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            return None
        sums[name] = digest
    return sums


def verify_archive(
    path: Path, progress: Callable[[str, int, int | None], None] | None = None
) -> VerifyReport:
    """Check everything; the report lists each problem with the file it concerns.

    ``progress(member, members done, None)`` is called as each member starts.
    """
    report = VerifyReport(path)
    problems = report.problems
    seen: dict[str, Seen] = {}
    kept: dict[str, bytes] = {}
    order: list[str] = []
    try:
        with read_members(path) as members:
            for name, stream in members:
                if progress is not None:
                    progress(name, len(order), None)
                if name in seen:
                    problems.append(Problem(name, t("export.verify.duplicate")))
                info, data = _scan(name, stream)
                seen[name] = info
                order.append(name)
                if data is not None:
                    kept[name] = data
    except ArchiveDamaged as exc:
        problems.append(
            Problem(exc.member or path.name, t("export.verify.damaged", detail=exc.detail))
        )
    except OSError as exc:
        problems.append(Problem(path.name, t("export.verify.damaged", detail=str(exc))))
        return report

    manifest = _load_manifest(kept.get(MANIFEST), problems)
    report.manifest = manifest
    if manifest is None:
        return report
    level = manifest.get("encoding", {}).get("compress_level", 6)
    try:
        for issue in container_issues(path, int(level)):
            problems.append(Problem(path.name, issue))
    except (ArchiveDamaged, OSError, ValueError) as exc:
        problems.append(Problem(path.name, t("export.verify.damaged", detail=str(exc))))

    listed = {f["name"]: f for f in manifest.get("files", []) if isinstance(f, dict)}
    rows_by_file: dict[str, int] = {}
    for table in manifest.get("tables", []):
        for key in ("jsonl", "csv"):
            if key in table:
                rows_by_file[table[key]] = int(table.get("rows", -1))
    for name, entry in listed.items():
        got = seen.get(name)
        if got is None:
            problems.append(Problem(name, t("export.verify.missing")))
            continue
        if got.sha256 != entry.get("sha256"):
            problems.append(Problem(name, t("export.verify.hash")))
        elif got.size != entry.get("bytes"):
            problems.append(Problem(name, t("export.verify.size")))
        expected_rows = rows_by_file.get(name)
        if expected_rows is not None and got.rows != expected_rows:
            problems.append(
                Problem(
                    name,
                    t(
                        "export.verify.rows",
                        expected=expected_rows,
                        found="?" if got.rows is None else got.rows,
                    ),
                )
            )
    for name in order:
        if name not in listed and name not in (MANIFEST, SUMS):
            problems.append(Problem(name, t("export.verify.unexpected")))

    sums_text = kept.get(SUMS)
    if sums_text is None:
        problems.append(Problem(SUMS, t("export.verify.missing")))
    else:
        sums = _parse_sums(sums_text.decode("ascii", errors="replace"))
        if sums is None:
            problems.append(Problem(SUMS, t("export.verify.sums_unreadable")))
        else:
            for name in [MANIFEST, *listed]:
                got = seen.get(name)
                if got is None:
                    continue  # reported above
                if sums.get(name) != got.sha256:
                    problems.append(Problem(name, t("export.verify.sums_mismatch")))
            for name in sums:
                if name not in listed and name != MANIFEST:
                    problems.append(Problem(SUMS, t("export.verify.sums_extra", name=name)))

    report.files = len(seen)
    report.tables = len(manifest.get("tables", []))
    report.rows = sum(int(tb.get("rows", 0)) for tb in manifest.get("tables", []))
    return report


def _load_manifest(data: bytes | None, problems: list[Problem]) -> dict[str, Any] | None:
    if data is None:
        problems.append(Problem(MANIFEST, t("export.verify.missing")))
        return None
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(Problem(MANIFEST, t("export.verify.manifest_unreadable")))
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        problems.append(Problem(MANIFEST, t("export.verify.not_ours")))
        return None
    return manifest
