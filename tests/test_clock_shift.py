"""The moved-clock harness (issue #15): the suite's own clock and its subprocesses' agree."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.clockshift import sitecustomize as clockshift


@pytest.mark.parametrize(
    ("text", "shift"),
    [
        ("400d", timedelta(days=400)),
        ("+800d", timedelta(days=800)),
        ("-30d", timedelta(days=-30)),
        (" 12h ", timedelta(hours=12)),
    ],
)
def test_shift_forms(text: str, shift: timedelta) -> None:
    assert clockshift.parse_shift(text) == shift


@pytest.mark.parametrize("text", ["400", "a year", "1.5d", "400days", "d"])
def test_a_shift_that_is_not_days_or_hours_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=clockshift.ENV):
        clockshift.parse_shift(text)


def test_a_subprocess_runs_on_the_suites_clock() -> None:
    """A `python -m shiftdesk` the tests start must judge time as the test does."""
    code = "from datetime import UTC, datetime; print(datetime.now(UTC).isoformat())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    theirs = datetime.fromisoformat(out.stdout.strip())
    assert abs(theirs - datetime.now(UTC)) < timedelta(minutes=5)


def test_the_suites_clock_is_moved_once_not_twice() -> None:
    """conftest imports this harness and so may start-up (sitecustomize): one shift only."""
    import time

    shift = os.environ.get(clockshift.ENV)
    if not shift:
        pytest.skip(f"{clockshift.ENV} not set: the clock is not moved in this run")
    # CLOCK_REALTIME from the kernel is never patched by time-machine: the real date
    code = "import time; print(time.clock_gettime(time.CLOCK_REALTIME))"
    real = float(
        subprocess.run(
            [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    moved = time.time() - real
    expected = clockshift.parse_shift(shift).total_seconds()
    assert abs(moved - expected) < 600
