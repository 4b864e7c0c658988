"""Move the wall clock of this Python process when ``SHIFTDESK_TEST_CLOCK_SHIFT`` is set.

The suite must pass on any date, so CI runs it with the clock moved (``400d`` = 400 days
ahead; ``-30d``, ``12h`` work too). The test session starts the shift in ``conftest.py``;
subprocesses the tests start (``python -m shiftdesk ...``, the bench, ``serve``) get this
directory on ``PYTHONPATH`` so Python imports this file at start-up and moves their clock
the same way.

Only the wall clock moves (time-machine patches ``time.time``, ``datetime.now`` and
friends). Monotonic clocks and sleeping are left alone: libfaketime breaks waiting on
Python 3.11 (``time.sleep`` fails with EINVAL, or ``Event.wait`` never returns), which is
not a defect of the code under test. The PostgreSQL server the suite starts keeps the real
clock, which is how a real site meets a terminal whose clock is off.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

ENV = "SHIFTDESK_TEST_CLOCK_SHIFT"
_FORM = re.compile(r"^\s*([+-]?\d+)\s*([dh])\s*$")
_traveller = None


def parse_shift(text: str) -> timedelta:
    """``"400d"`` → 400 days, ``"-12h"`` → minus 12 hours; anything else is refused."""
    match = _FORM.match(text)
    if match is None:
        raise ValueError(f"{ENV}={text!r}: expected a whole number of days or hours, e.g. 400d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def start() -> timedelta | None:
    """Start moving this process's wall clock if the variable asks; return the shift."""
    global _traveller
    text = os.environ.get(ENV, "").strip()
    if not text or _traveller is not None:
        return None
    shift = parse_shift(text)
    import time_machine

    _traveller = time_machine.travel(datetime.now(UTC) + shift, tick=True)
    _traveller.start()
    return shift


start()
