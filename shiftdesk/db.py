"""Engines and sessions: SQLite by default, PostgreSQL when the URL says so.

Nothing is created at import time. Writers on SQLite take the write lock up front
(``BEGIN IMMEDIATE``) so two terminals never deadlock on a lock upgrade, and a write that
still meets a lock is retried with backoff, bounded, before anyone sees an error.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from shiftdesk.errors import ShiftdeskError

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who a session writes as: stamped on records and on every audit event."""

    name: str
    id: int | None = None
    role: str = "operator"
    is_system: bool = False


SYSTEM = Actor(name="system", is_system=True, role="admin")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and mean psycopg 3, the driver we ship."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, busy_timeout_ms: int = 5000, create_dir: bool = True) -> Engine:
    """Build an engine for ``url``; for a SQLite file its folder is created with 0700."""
    url = normalise_url(url)
    path = sqlite_path(url)
    if path is not None:
        if create_dir:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists() and path.parent.exists():
            # 0600: the database holds residents' personal data (A-3)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        )
        _install_sqlite_pragmas(engine, busy_timeout_ms)
        return engine
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _install_sqlite_pragmas(engine, busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=_utc_session(url))


def _utc_session(url: str) -> dict[str, Any]:
    """PostgreSQL sessions in UTC whatever the server's configured zone: instants come back
    in UTC (stored UTC, shown in the site's zone by the code), and psycopg decodes them on
    its fast path (a named zone such as ``Etc/UTC`` costs about 1 us a value through
    zoneinfo: a third of the nightly statistics' query time). Options given in the URL
    are kept."""
    given = make_url(url).query.get("options")
    options = " ".join(given) if isinstance(given, tuple) else (given or "")
    return {"options": f"{options} -c TimeZone=UTC".strip()}


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


# ---------------------------------------------------------------------------- checkpoints

#: WAL pages after which a commit copies the WAL into the database file itself. Short
#: commands keep SQLite's default (1000 pages); the terminal app raises it to this and lets
#: a ``Checkpointer`` thread do the copying between saves: on the committing save it was
#: the slowest 1 % of saves (docs/performance.md). The limit stays as a safety net.
DEFERRED_CHECKPOINT_PAGES = 10_000


def _defer_checkpoint(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={DEFERRED_CHECKPOINT_PAGES}")


def defer_checkpoints(engine: Engine) -> None:
    """Leave WAL checkpoints to a background ``Checkpointer`` (SQLite; a long-running process).

    The engine's pooled connections are replaced, so every connection gets the setting.
    """
    if not is_sqlite(engine) or event.contains(engine, "connect", _defer_checkpoint):
        return
    event.listen(engine, "connect", _defer_checkpoint)
    engine.dispose()


def checkpoint(engine: Engine) -> None:
    """Copy what it can of the WAL into the database file, waiting for no reader or writer."""
    if not is_sqlite(engine):
        return
    raw = engine.raw_connection()  # autocommit (see _on_connect): no transaction around it
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
    finally:
        raw.close()


class Checkpointer:
    """A daemon thread that runs ``checkpoint`` every ``every`` seconds while ``alive()``."""

    def __init__(
        self, engine: Engine, *, every: float = 1.0, alive: Callable[[], bool] | None = None
    ) -> None:
        self.engine = engine
        self.every = every
        self.alive = alive
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Checkpointer:
        if is_sqlite(self.engine) and (self._thread is None or not self._thread.is_alive()):
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="wal-checkpoint", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            if self.alive is not None and not self.alive():
                return
            with contextlib.suppress(Exception):  # a busy or vanished file: next round
                checkpoint(self.engine)


def is_locked_error(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError):
        if is_locked_error(exc):
            return True
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        return code in ("40001", "40P01")  # serialization failure, deadlock (PostgreSQL)
    return False


def actor_id(session: Session) -> int | None:
    """The operator a session writes as (``read_session`` / ``write_session`` / ``transact``
    put the actor in ``session.info``); None for ``system`` or a bare session."""
    return getattr(session.info.get("actor"), "id", None)


@contextmanager
def read_session(engine: Engine, actor: Actor = SYSTEM) -> Iterator[Session]:
    """A session for reading; objects stay usable after it closes."""
    with Session(engine, expire_on_commit=False) as session:
        session.info["actor"] = actor
        yield session


@contextmanager
def write_session(engine: Engine, actor: Actor = SYSTEM) -> Iterator[Session]:
    """One write transaction, committed on success; the save is acknowledged only after."""
    conn = engine.connect()
    if is_sqlite(engine):
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
    try:
        with Session(bind=conn, expire_on_commit=False) as session:
            session.info["actor"] = actor
            with conn.begin():
                yield session
                session.flush()
    finally:
        conn.close()


def transact(
    engine: Engine,
    fn: Callable[[Session], T],
    *,
    actor: Actor = SYSTEM,
    attempts: int = 8,
    base_delay: float = 0.05,
) -> T:
    """Run ``fn`` in a write transaction, retrying on lock contention with jittered backoff.

    ``fn`` must be safe to run again (it is, when all it does is through the session).
    """
    for attempt in range(attempts):
        try:
            with write_session(engine, actor) as session:
                return fn(session)
        except OperationalError as exc:
            if not _is_retryable(exc) or attempt == attempts - 1:
                if is_locked_error(exc):
                    from shiftdesk.i18n import t

                    raise ShiftdeskError(t("reliability.env.busy")) from exc
                raise
            time.sleep(base_delay * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


# The audit trail hooks every session; importing it here means no engine user can skip it.
from shiftdesk import audit as _audit  # noqa: E402,F401
