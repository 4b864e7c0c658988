"""Errors that reach an operator or a cron job as one line and an exit code.

Exit codes are a contract with scripts: 0 ok, 1 failure, 2 usage or configuration error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class ShiftdeskError(Exception):
    """A problem the user can act on; ``str(err)`` is the whole message."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ShiftdeskError):
    """Bad input: a wrong argument, value or illegal transition (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A config file or setting that cannot be used (exit 2)."""


class ValidationError(UsageError):
    """Input that breaks a rule. ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(UsageError):
    """The acting operator's role does not allow this action (exit 2)."""


class NotFound(UsageError):
    """A record named by the user does not exist (exit 2)."""


class ConflictError(ShiftdeskError):
    """Somebody else changed the record first (optimistic locking); nothing was written."""


class SchemaError(ShiftdeskError):
    """The database schema does not match this program (e.g. it is newer)."""
