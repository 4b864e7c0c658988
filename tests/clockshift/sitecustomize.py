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
import sys
from datetime import UTC, datetime, timedelta

ENV = "SHIFTDESK_TEST_CLOCK_SHIFT"
#: an instant to start the clock at instead (ISO 8601 with offset): journeys run the app on
#: a demo generated at a fixed moment, so the state an operator meets is the same on any day
ENV_AT = "SHIFTDESK_TEST_CLOCK_AT"
_FORM = re.compile(r"^\s*([+-]?\d+)\s*([dh])\s*$")
#: set on ``sys`` once this process's clock moved: this file can be imported twice, as
#: ``sitecustomize`` at start-up and as ``tests.clockshift.sitecustomize`` by conftest, and
#: a second start would move the clock twice
_MARK = "_shiftdesk_clock_shift"


def parse_shift(text: str) -> timedelta:
    """``"400d"`` → 400 days, ``"-12h"`` → minus 12 hours; anything else is refused."""
    match = _FORM.match(text)
    if match is None:
        raise ValueError(f"{ENV}={text!r}: expected a whole number of days or hours, e.g. 400d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def start() -> timedelta | None:
    """Start moving this process's wall clock if the variable asks; return the shift."""
    text = os.environ.get(ENV, "").strip()
    at = os.environ.get(ENV_AT, "").strip()
    if not (text or at) or hasattr(sys, _MARK):
        return None
    if at:
        start_at = datetime.fromisoformat(at)
        if start_at.tzinfo is None:
            raise ValueError(f"{ENV_AT}={at!r}: give the offset, e.g. 2026-11-23T10:00+08:00")
        shift = start_at - datetime.now(UTC)
    else:
        shift = parse_shift(text)
    import time_machine

    traveller = time_machine.travel(datetime.now(UTC) + shift, tick=True)
    traveller.start()
    setattr(sys, _MARK, traveller)
    return shift


start()
