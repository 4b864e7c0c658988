"""Scan detection by inter-key timing (pure: the clock is played by the test)."""

from __future__ import annotations

from screens.widgets.scan import ScanDetector


def detector(times: list[float], **kw: int) -> ScanDetector:
    it = iter(times)
    return ScanDetector(clock=lambda: next(it), **kw)


def type_(d: ScanDetector, text: str) -> str | None:
    result = None
    for ch in text:
        result = d.feed(ch, ch)
    return d.feed("enter", None) or result


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    times = [i * 0.01 for i in range(16)]  # 10 ms apart: a scanner
    assert type_(detector(times), "sf1234567890123") == "SF1234567890123"


def test_the_threshold_is_the_configured_interkey_time() -> None:
    code = "EA123456785CN"
    at_limit = [i * 0.039 for i in range(len(code) + 1)]
    over = [i * 0.041 for i in range(len(code) + 1)]
    assert type_(detector(at_limit, max_interkey_ms=40), code) == code
    assert type_(detector(over, max_interkey_ms=40), code) is None
    assert type_(detector(over, max_interkey_ms=60), code) == code


def test_typing_by_hand_is_not_a_scan() -> None:
    times = [i * 0.15 for i in range(16)]  # a fast typist: 150 ms
    assert type_(detector(times), "SF1234567890123") is None


def test_a_slow_start_then_a_burst_counts_only_the_burst() -> None:
    # "x" typed by hand, a pause, then the scanner: the burst alone is the number
    times = [0.0] + [5.0 + i * 0.01 for i in range(16)]
    d = detector(times)
    d.feed("x", "x")
    assert type_(d, "JT0001234567890") == "JT0001234567890"


def test_short_or_wordy_bursts_and_late_enter_are_not_scans() -> None:
    fast = [i * 0.01 for i in range(40)]
    assert type_(detector(fast), "1234567") is None  # shorter than scan_min_length 8
    assert type_(detector(fast), "wangfang") is None  # letters: a name, not a number
    late_enter = [i * 0.01 for i in range(15)] + [3.0]
    assert type_(detector(late_enter), "SF1234567890123") is None


def test_a_non_printable_key_breaks_the_burst() -> None:
    d = detector([i * 0.01 for i in range(20)])
    for ch in "SF123456":
        d.feed(ch, ch)
    d.feed("backspace", None)
    assert type_(d, "7890123") is None


def test_a_burst_is_judged_by_when_its_keys_arrived_not_when_they_were_handled() -> None:
    """A busy terminal handles the scanner's first key late (its form reacts to it): the
    burst is still one scan, so its first digit is not left in the form (#17 journeys)."""
    import time

    d = ScanDetector(max_interkey_ms=40)  # the app's detector: no clock of the test's
    code = "75001867482970"
    arrived = time.monotonic()
    for i, ch in enumerate(code):
        assert d.feed(ch, ch, arrived + i * 0.003) is None
        if i == 0:
            time.sleep(0.06)  # handling the first key took longer than the threshold
    assert d.feed("enter", None, arrived + len(code) * 0.003) == code
