"""The container: members over several 1 MiB pieces, read back by us and by standard tools.

A tar.gz is written as several gzip members compressed in parallel; what it holds must be
exactly the tar stream ``tarfile`` writes, readable by ``gzip``/``tar``, the same bytes
every time, and our strict reader must agree with the standard one whatever the read size.
"""

from __future__ import annotations

import gzip
import io
import random
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from shiftdesk.archive.container import (
    FIXED_MTIME,
    PIECE,
    GzipMembers,
    read_members,
    write_archive,
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    """Members around the piece size, compressible text and incompressible noise."""
    folder = tmp_path_factory.mktemp("members")
    rng = random.Random(3)
    text = "".join(f'[{i},"卫生间漏水 {i}",true,null]\n' for i in range(90_000)).encode()
    sizes = {
        "empty.csv": b"",
        "one.csv": b"x",
        "below.jsonl": text[: PIECE - 1],
        "exact.jsonl": text[:PIECE],
        "above.jsonl": text[: PIECE + 1],
        "text.jsonl": text,  # ~3.5 pieces
        "noise.bin": rng.randbytes(PIECE * 2 + 12345),
    }
    out = []
    for name, data in sizes.items():
        path = folder / name
        path.write_bytes(data)
        out.append((f"dir/{name}", path))
    return out


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_members_come_back_exactly_and_the_bytes_repeat(
    files: list[tuple[str, Path]], tmp_path: Path, fmt: str
) -> None:
    one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    write_archive(one, files, fmt, 6)
    write_archive(two, files, fmt, 6)
    assert one.read_bytes() == two.read_bytes()
    expected = {name: path.read_bytes() for name, path in files}
    with read_members(one) as members:
        got = {name: stream.read() for name, stream in members}
    assert got == expected
    assert list(got) == [name for name, _ in files]
    if fmt == "tar.gz":
        with tarfile.open(one, "r:gz") as tar:  # the standard reader agrees
            assert {m.name: tar.extractfile(m).read() for m in tar} == expected  # type: ignore[union-attr]
    else:
        with zipfile.ZipFile(one) as zf:
            assert zf.testzip() is None
            assert {n: zf.read(n) for n in zf.namelist()} == expected


def test_the_tar_inside_is_what_tarfile_writes(
    files: list[tuple[str, Path]], tmp_path: Path
) -> None:
    path = tmp_path / "a.tar.gz"
    write_archive(path, files, "tar.gz", 6)
    expected = io.BytesIO()
    with tarfile.open(fileobj=expected, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, file in files:
            info = tarfile.TarInfo(name)
            info.size = file.stat().st_size
            info.mtime, info.mode, info.uid, info.gid = FIXED_MTIME, 0o600, 0, 0
            info.uname = info.gname = ""
            with file.open("rb") as fh:
                tar.addfile(info, fh)
    assert gzip.decompress(path.read_bytes()) == expected.getvalue()


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar command")
def test_gzip_and_tar_commands_read_it(files: list[tuple[str, Path]], tmp_path: Path) -> None:
    path = tmp_path / "a.tar.gz"
    write_archive(path, files, "tar.gz", 6)
    subprocess.run(["gzip", "-t", str(path)], check=True)
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(path), "-C", str(out)], check=True)
    for name, file in files:
        assert (out / name).read_bytes() == file.read_bytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_strict_reader_agrees_whatever_the_read_sizes(
    files: list[tuple[str, Path]], tmp_path: Path, seed: int
) -> None:
    path = tmp_path / "a.tar.gz"
    write_archive(path, files, "tar.gz", 6)
    expected = gzip.decompress(path.read_bytes())
    rng = random.Random(seed)
    got = bytearray()
    with path.open("rb") as raw:
        reader = io.BufferedReader(GzipMembers(raw), rng.choice([512, 10240, 1 << 20]))
        while chunk := reader.read(rng.randint(1, 3 * PIECE)):
            got += chunk
    assert bytes(got) == expected
