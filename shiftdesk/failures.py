"""A broken environment, described in one line the operator can act on.

The command line prints it (one line, a documented exit code) and the terminal app shows it
in a dialog, from the same description. Exit codes: 2 for something the administrator must
change in the configuration (a bad setting or database URL), 1 for a failure of the
environment (the database is missing, read-only, full, unreachable, newer than the program).

Kept free of heavy imports: SQLAlchemy's exception classes are looked up only if a command
already loaded SQLAlchemy.
"""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass

from shiftdesk.errors import EXIT_FAILURE, EXIT_USAGE, SchemaError, ShiftdeskError
from shiftdesk.i18n import t


@dataclass(frozen=True)
class Failure:
    #: the one line shown to the operator
    message: str
    #: the process exit code (1 failure, 2 usage/configuration)
    code: int
    #: what went wrong, for dialogs and tests: config, schema, read_only, disk_full,
    #: cannot_open, unreachable, busy, corrupt, database, data, file, error
    kind: str


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    return lines[0].strip() if lines else ""


def _database_failure(err: BaseException) -> Failure:
    detail = _first_line(getattr(err, "orig", None) or err)
    low = detail.lower()
    if "readonly" in low or "read-only" in low or "read only" in low:
        return Failure(t("reliability.env.read_only", detail=detail), EXIT_FAILURE, "read_only")
    if "disk is full" in low or "no space left" in low or "disk full" in low:
        return Failure(t("reliability.env.disk_full", detail=detail), EXIT_FAILURE, "disk_full")
    if "unable to open database" in low:
        return Failure(t("reliability.env.cannot_open", detail=detail), EXIT_FAILURE, "cannot_open")
    if "not a database" in low or "malformed" in low:
        return Failure(t("reliability.env.corrupt", detail=detail), EXIT_FAILURE, "corrupt")
    if "database is locked" in low or "busy" in low:
        return Failure(t("reliability.env.busy"), EXIT_FAILURE, "busy")
    if "connection" in low or "could not connect" in low or "timeout" in low:
        return Failure(t("reliability.env.unreachable", detail=detail), EXIT_FAILURE, "unreachable")
    return Failure(t("reliability.env.database", detail=detail), EXIT_FAILURE, "database")


def _os_failure(err: OSError) -> Failure:
    where = str(err.filename or "")
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return Failure(
            t("reliability.env.disk_full", detail=where or err.strerror), EXIT_FAILURE, "disk_full"
        )
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return Failure(
            t("reliability.env.no_permission", path=where or "?", detail=err.strerror),
            EXIT_FAILURE,
            "read_only",
        )
    return Failure(
        t("reliability.env.file", path=where or "?", detail=err.strerror or str(err)),
        EXIT_FAILURE,
        "file",
    )


def describe(err: BaseException) -> Failure | None:
    """The operator's line for ``err``, or None when it is a bug (let it show as one)."""
    if isinstance(err, SchemaError):
        return Failure(err.message, err.exit_code, "schema")
    if isinstance(err, ShiftdeskError):
        kind = "config" if err.exit_code == EXIT_USAGE else "error"
        return Failure(err.message, err.exit_code, kind)
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None:
        if isinstance(err, sa_exc.ArgumentError | sa_exc.NoSuchModuleError):
            # an unusable database URL: a configuration error
            return Failure(
                t("reliability.env.bad_url", detail=_first_line(err)), EXIT_USAGE, "config"
            )
        if isinstance(err, sa_exc.DataError | sa_exc.IntegrityError):
            # the data was refused (a NUL in text on PostgreSQL, a duplicate): not the disk
            return Failure(
                t("reliability.env.database", detail=_first_line(err.orig or err)),
                EXIT_FAILURE,
                "data",
            )
        if isinstance(err, sa_exc.DBAPIError):
            return _database_failure(err)
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(err, sqlite3.DataError | sqlite3.IntegrityError):
        return Failure(t("reliability.env.database", detail=_first_line(err)), EXIT_FAILURE, "data")
    if sqlite3 is not None and isinstance(err, sqlite3.Error):
        return _database_failure(err)
    if isinstance(err, OSError) and err.errno is not None:
        return _os_failure(err)
    return None


#: failures of the environment, not of what the operator typed: the app shows a dialog
ENVIRONMENT_KINDS = frozenset(
    {
        "schema",
        "read_only",
        "disk_full",
        "cannot_open",
        "unreachable",
        "corrupt",
        "database",
        "file",
    }
)


class EnvironmentFailure(ShiftdeskError):
    """An environment failure passed on to a screen's error handler, already described."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.exit_code = failure.code


def environment_failure(err: BaseException) -> Failure | None:
    """The description of ``err`` if the environment failed (not the operator's input)."""
    if isinstance(err, EnvironmentFailure):
        return err.failure
    failure = describe(err)
    return failure if failure is not None and failure.kind in ENVIRONMENT_KINDS else None
