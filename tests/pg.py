"""A throwaway PostgreSQL server for the test session, on 127.0.0.1 in a temp directory.

Found via PATH or Debian's /usr/lib/postgresql/*/bin. As root (CI), the server runs as the
``postgres`` system user, since initdb refuses root. With SHIFTDESK_TEST_PG=require a
missing server is an error instead of a skip, so CI cannot silently skip these tests.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOW_TO_ENABLE = (
    "PostgreSQL server binaries not found: install them (Debian: apt-get install postgresql) "
    "to run the PostgreSQL tests; SHIFTDESK_TEST_PG=require makes this an error"
)


def required() -> bool:
    return os.environ.get("SHIFTDESK_TEST_PG", "").lower() in ("1", "require", "required", "yes")


def find_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if (
        initdb
        and Path(initdb).with_name("pg_ctl").exists()
        and Path(initdb).with_name("postgres").exists()
    ):
        return Path(initdb).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for cand in candidates:
        if Path(cand).with_name("postgres").exists():
            return Path(cand).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="shiftdesk-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self.as_user = "postgres" if os.geteuid() == 0 else None
        self.user = "postgres" if self.as_user else (os.environ.get("USER") or "postgres")

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if self.as_user:
            shutil.chown(self.root, self.as_user)
            os.chmod(self.root, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            self.user,
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "-l",
            str(self.root / "log"),
            "start",
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):  # already stopped: nothing to do
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def wait_ready(url: str, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    while True:
        try:
            with psycopg.connect(plain, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
