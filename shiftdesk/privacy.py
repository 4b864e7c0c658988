"""Residents' personal data kept out of logs (A-3, A-5).

Log lines end up in places the database's 0600 file does not protect: the nightly job's log
file, a terminal's scroll-back, a systemd journal. Notification libraries log the address
they failed to reach ("failed to send SMS to +8613800138000"). A filter on the loggers
masks mobile numbers, landlines with their area code and 18-digit ID-card numbers in every
record before any handler sees it: ``138****8000``, ``**************123X``.

Cheap to install (stdlib only), so the command line installs it before any command runs.
"""

from __future__ import annotations

import logging
import re

_MOBILE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)([- ]?)\d{4}([- ]?)(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})([- ]?)\d{3,4}([- ]?)(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dXx])\d{14}(\d{3}[\dXx])(?![\dXx])")

#: loggers of libraries that handle residents' addresses (Apprise names its targets)
LOGGERS = ("", "apprise", "shiftdesk")


def mask_text(text: str) -> str:
    """``text`` with phone and ID-card numbers masked; everything else unchanged."""
    if not text or len(text) < 7:
        return text
    text = _ID_CARD.sub(lambda m: "*" * 14 + m.group(1), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}{m.group(4)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}{m.group(4)}", text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's message with ``mask_text`` (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = MaskingFilter()


def install_log_masking() -> None:
    """Attach the filter to the root logger, its handlers and the libraries' loggers.

    A filter on a logger applies only to records logged through that very logger, so the
    libraries' own loggers get it too; on the root's handlers it also covers child loggers
    that propagate. Installing twice changes nothing.
    """
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
