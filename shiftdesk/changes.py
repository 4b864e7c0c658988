"""Cheap "did anything change?" checks, so every terminal sees another's write within 2 s.

Two mechanisms, one interface (``ChangeWatcher.wait``):

- SQLite: ``PRAGMA data_version`` on one dedicated connection changes whenever another
  connection (another terminal, a cron job, ``shiftdesk orders ...``) commits to the file.
  It costs microseconds, so it is polled every quarter second.
- PostgreSQL: every write transaction that flushes ORM rows sends ``NOTIFY
  shiftdesk_changes, '<table>'`` (delivered at commit, dropped on rollback); the watcher
  LISTENs on a dedicated autocommit connection.

The watcher only says *that* something changed (and on PostgreSQL which tables); callers
then re-read what they show. It never touches Textual: screens poll it from a worker.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

CHANNEL = "shiftdesk_changes"
#: what ``wait`` returns when it knows something changed but not which tables
ANY = frozenset({"*"})


@event.listens_for(Session, "after_flush")
def _notify_on_flush(session: Session, _ctx: Any) -> None:
    """PostgreSQL only: announce the changed tables; NOTIFY is transactional."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    tables = {
        str(obj.__tablename__)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, SQLModel)
    }
    sent: set[str] = session.info.setdefault("_notified", set())
    for table in sorted(tables - sent):
        # table names are identifiers of our own schema, never user input
        conn.exec_driver_sql(f"NOTIFY {CHANNEL}, '{table}'")
    sent |= tables


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset_notified(session: Session) -> None:
    session.info.pop("_notified", None)


def notify(engine: Engine, table: str) -> None:
    """Announce a change made outside the ORM (bulk Core inserts): no-op on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f"NOTIFY {CHANNEL}, '{table}'")


class ChangeWatcher:
    """Blocks in ``wait`` until the database changed or the timeout passed.

    Use from one thread; ``wake`` and ``stop`` may be called from any other thread.
    """

    poll_interval = 0.25

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._conn: Any = None
        self._version: int | None = None

    # ------------------------------------------------------------------ connections

    def _connect(self) -> None:
        if self.backend == "postgresql":
            import psycopg

            url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = psycopg.connect(url, autocommit=True)
            self._conn.execute(f"LISTEN {CHANNEL}")
        else:
            self._conn = self.engine.raw_connection()
            self._version = self._data_version()

    def _data_version(self) -> int:
        cur = self._conn.cursor()
        try:
            cur.execute("PRAGMA data_version")
            return int(cur.fetchone()[0])
        finally:
            cur.close()

    def wake(self) -> None:
        """Make a waiting ``wait`` look again at once (from any thread)."""
        self._wake.set()

    def stop(self) -> None:
        """Make ``wait`` return None from now on (from any thread); the owner then closes."""
        self._stop.set()
        self._wake.set()

    def close(self) -> None:
        """Close the dedicated connection (from the thread that uses the watcher)."""
        self.stop()
        conn, self._conn = self._conn, None
        if conn is not None:
            # closing a broken connection: nothing left to do
            with contextlib.suppress(Exception):
                conn.close()

    # ------------------------------------------------------------------ waiting

    def start(self) -> None:
        """Open the dedicated connection now (changes from here on are reported)."""
        if self._conn is None:
            self._connect()

    def wait(self, timeout: float) -> frozenset[str] | None:
        """The changed tables (``ANY`` when unknown), or None if nothing changed in time.

        A lost connection is reopened on the next call and reported as ``ANY``, so the
        caller re-reads rather than missing what happened while it was down.
        """
        if self._stop.is_set():
            return None
        if self._conn is None:
            try:
                self._connect()
            except Exception:
                self._stop.wait(timeout)
                return None
            return ANY
        try:
            if self.backend == "postgresql":
                return self._wait_pg(timeout)
            return self._wait_sqlite(timeout)
        except Exception:
            old, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                old.close()
            return None

    def _wait_sqlite(self, timeout: float) -> frozenset[str] | None:
        waited = 0.0
        while True:
            version = self._data_version()
            if version != self._version:
                self._version = version
                return ANY
            if waited >= timeout or self._stop.is_set():
                return None
            step = min(self.poll_interval, timeout - waited)
            if self._wake.wait(step):
                self._wake.clear()
                if self._stop.is_set():
                    return None
                version = self._data_version()
                if version != self._version:
                    self._version = version
                    return ANY
                return None
            waited += step

    def _wait_pg(self, timeout: float) -> frozenset[str] | None:
        tables: set[str] = set()
        # wake at least every poll_interval so close() is noticed promptly
        waited = 0.0
        while not tables and waited < timeout and not self._stop.is_set():
            if self._wake.is_set():
                self._wake.clear()
                break
            step = min(self.poll_interval, timeout - waited)
            for note in self._conn.notifies(timeout=step, stop_after=1):
                tables.add(note.payload or "*")
            waited += step
        if tables:
            for note in self._conn.notifies(timeout=0):
                tables.add(note.payload or "*")
            return frozenset(tables)
        return None
