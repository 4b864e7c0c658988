"""The archive file itself: tar.gz or zip, byte for byte the same for the same members.

Everything that would vary between runs is fixed: member order (given by the caller),
modification times (1980-01-01, the earliest a zip can record), permissions (0600: the
members hold residents' data, A-3), owner (0/root, no names), the gzip headers (no file
name, mtime 0, OS "unknown") and the compression level (explicit, never a default).

A tar.gz is written as a series of gzip members (RFC 1952 allows any number, and
``gzip -d``, ``tar -xzf`` and Python read them as one stream): each member's data is
cut into fixed 1 MiB pieces, compressed by worker threads while the rows of the next
piece are still being encoded, and the tar headers, which need the sizes, are compressed
when the archive is assembled. The pieces depend only on the bytes, never on timing, so
the result is as deterministic as one long gzip stream, and the second core does the
compression (docs/performance.md).

Reading goes member by member in order without extracting anything to disk, so a
damaged or hostile archive can name the member it failed in but cannot write files.
Every gzip member's header, CRC-32 and length are checked as it is read.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import tarfile
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

FIXED_MTIME = 315532800  # 1980-01-01T00:00:00Z
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MEMBER_MODE = 0o600
FORMATS = ("tar.gz", "zip")
#: the size of the pieces a tar.gz member is compressed in (a constant: determinism)
PIECE = 1 << 20
_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_GZIP_TRAILER = struct.Struct("<LL")


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


# ----------------------------------------------------------------------------- gzip


def gzip_header(level: int) -> bytes:
    """What every gzip member we write starts with (as Python's gzip module writes it)."""
    xfl = 2 if level == 9 else 4 if level == 1 else 0
    return struct.pack("<BBBBLBB", 0x1F, 0x8B, 8, 0, 0, xfl, 255)


def gzip_member(data: bytes, level: int) -> bytes:
    """One complete gzip member; zlib releases the GIL while it works."""
    body = zlib.compress(data, level, wbits=-15)
    return gzip_header(level) + body + _GZIP_TRAILER.pack(zlib.crc32(data), len(data) & 0xFFFFFFFF)


def _workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


# ----------------------------------------------------------------------------- writing


class MemberSink:
    """One member being written: keeps its SHA-256 and size; stores it for assembly."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.size += len(data)
        self._store(data)

    def _store(self, data: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def sha256(self) -> str:
        return self.hash.hexdigest()


class _PlainSink(MemberSink):
    """zip: the member is staged as is; zipfile compresses it at assembly."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name)
        self.path = path
        self.fh: IO[bytes] = path.open("wb")

    def _store(self, data: bytes) -> None:
        self.fh.write(data)

    def close(self) -> None:
        self.fh.close()


class _GzipSink(MemberSink):
    """tar.gz: the member is cut into PIECE-sized pieces, compressed in the background."""

    def __init__(self, name: str, path: Path, level: int, pool: ThreadPoolExecutor) -> None:
        super().__init__(name)
        self.path = path
        self.level = level
        self.pool = pool
        self.fh: IO[bytes] = path.open("wb")
        self.buffer = bytearray()
        self.pending: deque[Future[bytes]] = deque()
        self.closed = False

    def _store(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= PIECE:
            piece = bytes(self.buffer[:PIECE])
            del self.buffer[:PIECE]
            self._submit(piece)

    def _submit(self, piece: bytes) -> None:
        self.pending.append(self.pool.submit(gzip_member, piece, self.level))
        # written in order as they finish; bounded, so memory stays flat
        while self.pending and (self.pending[0].done() or len(self.pending) > 8):
            self.fh.write(self.pending.popleft().result())

    def close(self) -> None:
        """The last piece goes to the workers; nothing waits for them until assembly."""
        if self.buffer:
            self._submit(bytes(self.buffer))
            self.buffer.clear()
        self.closed = True

    def finish(self) -> None:
        while self.pending:
            self.fh.write(self.pending.popleft().result())
        self.fh.close()


class ArchiveWriter:
    """Streams members to a staging folder, then writes the container in a given order."""

    def __init__(self, stage: Path, fmt: str, level: int) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown archive format {fmt!r}")
        self.stage = stage
        self.fmt = fmt
        self.level = level
        self.sinks: dict[str, MemberSink] = {}
        self.pool = ThreadPoolExecutor(_workers(), thread_name_prefix="archive-gzip")

    def open(self, name: str) -> MemberSink:
        path = self.stage / f"member-{len(self.sinks):04d}"
        sink: MemberSink
        if self.fmt == "tar.gz":
            sink = _GzipSink(name, path, self.level, self.pool)
        else:
            sink = _PlainSink(name, path)
        self.sinks[name] = sink
        return sink

    def add(self, name: str, data: bytes) -> MemberSink:
        sink = self.open(name)
        sink.write(data)
        sink.close()
        return sink

    def write(self, target: Path, order: list[str]) -> None:
        """Write the archive with the members in ``order`` (all closed by now)."""
        with create_private(target) as out:
            if self.fmt == "tar.gz":
                self._write_tar_gz(out, order)
            else:
                self._write_zip(out, order)
            out.flush()
            os.fsync(out.fileno())

    def _write_tar_gz(self, out: BinaryIO, order: list[str]) -> None:
        # the same tar stream tarfile writes (PAX format, 512-byte blocks, 10240-byte
        # records), with the small parts (headers, padding) as gzip members of their own
        glue = bytearray()
        offset = 0
        for name in order:
            sink = self.sinks[name]
            header = _tar_info(name, sink.size).tobuf(
                tarfile.PAX_FORMAT, "utf-8", "surrogateescape"
            )
            glue += header
            offset += len(header)
            out.write(gzip_member(bytes(glue), self.level))
            glue.clear()
            assert isinstance(sink, _GzipSink)
            sink.finish()
            with sink.path.open("rb") as parts:
                shutil.copyfileobj(parts, out, _CHUNK)
            offset += sink.size
            padding = -sink.size % tarfile.BLOCKSIZE
            glue += b"\0" * padding
            offset += padding
        end = tarfile.BLOCKSIZE * 2
        glue += b"\0" * end
        offset += end
        glue += b"\0" * (-offset % tarfile.RECORDSIZE)
        out.write(gzip_member(bytes(glue), self.level))

    def _write_zip(self, out: BinaryIO, order: list[str]) -> None:
        with zipfile.ZipFile(
            out, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=self.level
        ) as zf:
            for name in order:
                sink = self.sinks[name]
                assert isinstance(sink, _PlainSink)
                info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the mode below means what it says
                info.external_attr = (0o100000 | MEMBER_MODE) << 16
                info.file_size = sink.size
                with sink.path.open("rb") as src, zf.open(info, mode="w") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)

    def close(self) -> None:
        """Stop the workers and close every staging file (also after an error)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        for sink in self.sinks.values():
            fh = getattr(sink, "fh", None)
            if fh is not None and not fh.closed:
                fh.close()


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = FIXED_MTIME
    info.mode = MEMBER_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def write_archive(target: Path, members: list[tuple[str, Path]], fmt: str, level: int) -> None:
    """Write files from disk as an archive (members in the given order)."""
    stage = target.parent / f".{target.name}.stage"
    stage.mkdir(mode=0o700)
    writer = ArchiveWriter(stage, fmt, level)
    try:
        for name, path in members:
            sink = writer.open(name)
            with path.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    sink.write(chunk)
            sink.close()
        writer.write(target, [name for name, _ in members])
    finally:
        writer.close()
        shutil.rmtree(stage, ignore_errors=True)


# ----------------------------------------------------------------------------- reading


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
    OSError,
    ValueError,
)

_HEADERS = {gzip_header(level) for level in (1, 6, 9)}  # the three XFL values


class GzipMembers(io.RawIOBase):
    """Concatenated gzip members as one stream, each member checked as it ends.

    Stricter than the gzip module: every member's header must be exactly one shiftdesk
    writes (and the same throughout), so a changed byte in a header no CRC covers is
    noticed too; and anything after the last member is damage, not ignored.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.header: bytes | None = None
        self.dec: zlib._Decompress | None = None
        self.crc = 0
        self.size = 0
        self.input = b""

    def readable(self) -> bool:
        return True

    def _fill(self, need: int) -> None:
        while len(self.input) < need:
            more = self.raw.read(_CHUNK)
            if not more:
                return
            self.input += more

    def _start(self) -> bool:
        self._fill(10)
        if not self.input:
            return False
        header = self.input[:10]
        if self.header is None and header in _HEADERS:
            self.header = header
        if header != self.header:
            raise ArchiveDamaged(None, "gzip header differs from the one shiftdesk writes")
        self.input = self.input[10:]
        self.dec = zlib.decompressobj(-zlib.MAX_WBITS)
        self.crc = self.size = 0
        return True

    def _finish(self) -> None:
        assert self.dec is not None
        # everything fed to the decompressor and not used is in unused_data (when the
        # output limit and the stream's end meet, unconsumed_tail repeats the same bytes)
        self.input = self.dec.unused_data
        self._fill(8)
        if len(self.input) < 8:
            raise ArchiveDamaged(None, "the archive is cut short")
        crc, size = _GZIP_TRAILER.unpack(self.input[:8])
        if crc != self.crc or size != self.size & 0xFFFFFFFF:
            raise ArchiveDamaged(None, "CRC-32 check failed: the compressed data was changed")
        self.input = self.input[8:]
        self.dec = None

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        while True:
            if self.dec is None and not self._start():
                return 0
            assert self.dec is not None
            if not self.input:
                self._fill(1)
                if not self.input:
                    raise ArchiveDamaged(None, "the archive is cut short")
            try:
                data = self.dec.decompress(self.input, want)
            except zlib.error as exc:
                raise ArchiveDamaged(None, f"compressed data damaged ({exc})") from None
            self.input = self.dec.unconsumed_tail
            if data:
                self.crc = zlib.crc32(data, self.crc)
                self.size += len(data)
                if self.dec.eof:
                    self._finish()
                n = len(data)
                buffer[:n] = data
                return n
            if self.dec.eof:
                self._finish()


@contextmanager
def read_members(path: Path) -> Iterator[Iterator[tuple[str, IO[bytes]]]]:
    """Yield (name, stream) for each regular member in archive order.

    Each stream must be consumed (or abandoned) before the next member is requested.
    Damage is raised as ArchiveDamaged naming the member being read. Reading a tar.gz to
    its end also checks the rest of the file (end blocks, last CRC, nothing appended).
    """
    fmt = sniff(path)
    if fmt == "tar.gz":
        with path.open("rb") as raw:
            stream = GzipMembers(raw)
            buffered = io.BufferedReader(stream, _CHUNK)
            try:
                tar = tarfile.open(fileobj=buffered, mode="r|")  # noqa: SIM115  (closed below)
            except ArchiveDamaged:
                raise
            except _READ_ERRORS as exc:
                raise ArchiveDamaged(None, str(exc) or type(exc).__name__) from None
            with tar:
                yield _tar_members(tar, buffered)
    else:
        try:
            zf = zipfile.ZipFile(path)
        except _READ_ERRORS as exc:
            raise ArchiveDamaged(None, str(exc) or type(exc).__name__) from None
        with zf:
            yield _zip_members(zf)


def container_issues(path: Path, level: int) -> list[str]:
    """Bytes of the container that no member hash covers, compared with what we write.

    A tar.gz's gzip headers are outside its CRCs (the reader checks that they are all
    alike; here the first is compared with the manifest's level); a zip's dates, modes
    and comments are outside its members' CRCs.
    """
    issues: list[str] = []
    if sniff(path) == "tar.gz":
        with path.open("rb") as fh:
            if fh.read(10) != gzip_header(level):
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


def _dos_time(dt: tuple[int, ...]) -> int:
    return dt[3] << 11 | dt[4] << 5 | dt[5] // 2


def _dos_date(dt: tuple[int, ...]) -> int:
    return (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]


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
        except ArchiveDamaged as exc:
            raise ArchiveDamaged(exc.member or self.name_in_archive, exc.detail) from None
        except _READ_ERRORS as exc:
            raise ArchiveDamaged(self.name_in_archive, str(exc) or type(exc).__name__) from None
        n = len(data)
        buffer[:n] = data
        return n


def _guard(name: str, inner: IO[bytes]) -> IO[bytes]:
    return io.BufferedReader(_Guarded(name, inner), _CHUNK)


def _tar_members(tar: tarfile.TarFile, rest: IO[bytes]) -> Iterator[tuple[str, IO[bytes]]]:
    current: str | None = None
    try:
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
        # the end-of-archive blocks, the last member's CRC, nothing appended
        while rest.read(_CHUNK):
            pass
    except ArchiveDamaged as exc:
        raise ArchiveDamaged(exc.member or current, exc.detail) from None


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
