"""The archive file itself: tar.gz or zip, byte for byte the same for the same members.

Everything that would vary between runs is fixed: member order (given by the caller),
modification times (1980-01-01, the earliest a zip can record), permissions (0600: the
members hold residents' data, A-3), owner (0/root, no names), the gzip header (no file
name, mtime 0) and the compression level (explicit, never a library default).

Reading goes member by member in order without extracting anything to disk, so a
damaged or hostile archive can name the member it failed in but cannot write files.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

FIXED_MTIME = 315532800  # 1980-01-01T00:00:00Z
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MEMBER_MODE = 0o600
FORMATS = ("tar.gz", "zip")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def _dos_time(dt: tuple[int, ...]) -> int:
    return dt[3] << 11 | dt[4] << 5 | dt[5] // 2


def _dos_date(dt: tuple[int, ...]) -> int:
    return (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]


_CHUNK = 1 << 20


class ArchiveDamaged(Exception):
    """The container cannot be read; ``member`` is where it broke (None: before any)."""

    def __init__(self, member: str | None, detail: str) -> None:
        super().__init__(detail)
        self.member = member
        self.detail = detail


def extension(fmt: str) -> str:
    return "tar.gz" if fmt == "tar.gz" else "zip"


def create_private(path: Path) -> BinaryIO:
    """A new file only its owner can read (the archive holds residents' data, A-3)."""
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    return os.fdopen(fd, "wb")


def write_archive(target: Path, members: list[tuple[str, Path]], fmt: str, level: int) -> None:
    """Write ``members`` (archive name, file on disk) to ``target`` in the given order."""
    with create_private(target) as raw:
        if fmt == "tar.gz":
            _write_tar_gz(raw, members, level)
        elif fmt == "zip":
            _write_zip(raw, members, level)
        else:
            raise ValueError(f"unknown archive format {fmt!r}")
        raw.flush()
        os.fsync(raw.fileno())


def _write_tar_gz(raw: BinaryIO, members: list[tuple[str, Path]], level: int) -> None:
    # filename="" and mtime=0 keep the gzip header free of anything run-dependent
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, path in members:
            info = tarfile.TarInfo(name)
            info.size = path.stat().st_size
            info.mtime = FIXED_MTIME
            info.mode = MEMBER_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            with path.open("rb") as src:
                tar.addfile(info, src)


def _write_zip(raw: BinaryIO, members: list[tuple[str, Path]], level: int) -> None:
    with zipfile.ZipFile(
        raw, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=level
    ) as zf:
        for name, path in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below means what it says
            info.external_attr = (0o100000 | MEMBER_MODE) << 16
            info.file_size = path.stat().st_size
            with path.open("rb") as src, zf.open(info, mode="w") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)


def sniff(path: Path) -> str:
    """tar.gz or zip by the file's first bytes (not its name); ArchiveDamaged otherwise."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] == b"\x1f\x8b":
        return "tar.gz"
    if head == b"PK\x03\x04":
        return "zip"
    raise ArchiveDamaged(None, "not a tar.gz or zip file")


_READ_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    gzip.BadGzipFile,
    OSError,
    ValueError,
)


@contextmanager
def read_members(path: Path) -> Iterator[Iterator[tuple[str, IO[bytes]]]]:
    """Yield (name, stream) for each regular member in archive order.

    Each stream must be consumed (or abandoned) before the next member is requested.
    Damage is raised as ArchiveDamaged naming the member being read. Reading a tar.gz to
    its end also checks the gzip trailer (CRC-32 and length of everything inside).
    """
    fmt = sniff(path)
    if fmt == "tar.gz":
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
            try:
                tar = tarfile.open(fileobj=gz, mode="r|")  # noqa: SIM115  (closed below)
            except _READ_ERRORS as exc:
                raise ArchiveDamaged(None, str(exc) or type(exc).__name__) from None
            with tar:
                yield _tar_members(tar, gz)
    else:
        try:
            zf = zipfile.ZipFile(path)
        except _READ_ERRORS as exc:
            raise ArchiveDamaged(None, str(exc) or type(exc).__name__) from None
        with zf:
            yield _zip_members(zf)


def container_issues(path: Path, level: int) -> list[str]:
    """Bytes of the container that no member hash covers, compared with what we write.

    A tar.gz's gzip header (mtime, flags) is outside its CRC; a zip's dates, modes and
    comments are outside its members' CRCs. Checking them too means any changed byte of
    the file is noticed, not only those inside a member.
    """
    issues: list[str] = []
    if sniff(path) == "tar.gz":
        xfl = 2 if level == 9 else 4 if level == 1 else 0
        expected = b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + bytes([xfl]) + b"\xff"
        with path.open("rb") as fh:
            if fh.read(10) != expected:
                issues.append("gzip header differs from the one shiftdesk writes")
        return issues
    with zipfile.ZipFile(path) as zf, path.open("rb") as raw:
        if zf.comment:
            issues.append("zip comment added")
        for info in zf.infolist():
            if (
                info.date_time != FIXED_ZIP_TIME
                or info.create_system != 3
                or info.external_attr != (0o100000 | MEMBER_MODE) << 16
                or (info.extra and info.extract_version != 45)  # zip64 sizes live in extra
                or info.comment
                or info.compress_type != zipfile.ZIP_DEFLATED
                or info.create_version != info.extract_version
                or info.extract_version not in (20, 45)
                or info.flag_bits != 0
                or info.internal_attr != 0
                or info.volume != 0
                or info.reserved != 0
            ):
                issues.append(f"{info.filename}: zip entry header altered")
                continue
            if info.extract_version == 45:
                continue  # a member over 4 GiB: its local header carries zip64 extras
            raw.seek(info.header_offset)
            local = raw.read(_LOCAL_HEADER.size)
            name = info.filename.encode("ascii", errors="replace")
            expected = _LOCAL_HEADER.pack(
                b"PK\x03\x04",
                info.extract_version,
                info.flag_bits,
                info.compress_type,
                _dos_time(info.date_time),
                _dos_date(info.date_time),
                info.CRC,
                info.compress_size,
                info.file_size,
                len(name),
                0,
            )
            if local != expected or raw.read(len(name)) != name:
                issues.append(f"{info.filename}: zip local header altered")
    return issues


class _Guarded(io.RawIOBase):
    """A member stream whose read errors become ArchiveDamaged naming the member."""

    def __init__(self, name: str, inner: IO[bytes]) -> None:
        self.name_in_archive = name
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self.inner.read(len(buffer))
        except _READ_ERRORS as exc:
            raise ArchiveDamaged(self.name_in_archive, str(exc) or type(exc).__name__) from None
        n = len(data)
        buffer[:n] = data
        return n


def _guard(name: str, inner: IO[bytes]) -> IO[bytes]:
    return io.BufferedReader(_Guarded(name, inner), _CHUNK)


def _tar_members(tar: tarfile.TarFile, gz: gzip.GzipFile) -> Iterator[tuple[str, IO[bytes]]]:
    current: str | None = None
    while True:
        try:
            info = tar.next()
        except _READ_ERRORS as exc:
            raise ArchiveDamaged(current, str(exc) or type(exc).__name__) from None
        if info is None:
            break
        current = info.name
        if not info.isreg():
            raise ArchiveDamaged(info.name, "not a regular file")
        stream = tar.extractfile(info)
        if stream is None:
            raise ArchiveDamaged(info.name, "cannot be read")
        yield info.name, _guard(info.name, stream)
    try:  # the end-of-archive blocks, then the gzip trailer's CRC and length
        while gz.read(_CHUNK):
            pass
    except _READ_ERRORS as exc:
        raise ArchiveDamaged(current, str(exc) or type(exc).__name__) from None


def _zip_members(zf: zipfile.ZipFile) -> Iterator[tuple[str, IO[bytes]]]:
    for info in zf.infolist():
        if info.is_dir():
            raise ArchiveDamaged(info.filename, "not a regular file")
        try:
            stream = zf.open(info)
        except _READ_ERRORS as exc:
            raise ArchiveDamaged(info.filename, str(exc) or type(exc).__name__) from None
        with stream:
            yield info.filename, _guard(info.filename, stream)
