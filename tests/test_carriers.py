"""Carrier recognition from tracking-number formats (issue 5), with garbage thrown at it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shiftdesk.carriers import (
    CARRIERS,
    carrier_of,
    dhl_valid,
    fedex_valid,
    looks_like_tracking,
    normalise,
    recognise,
    s10_check_digit,
)

TABLE = [
    ("SF1234567890123", "sf", None),
    ("SF123456789012", "sf", None),
    ("JDVA12345678901", "jd", None),
    ("JD0012345678901", "jd", None),
    ("EA123456785CN", "ems", "ems"),  # UPU S10, valid check digit
    ("1100012345678", "ems", "ems"),  # domestic EMS
    ("RR123456785CN", "china_post", "registered"),  # registered letter (挂号信)
    ("CP123456785CN", "china_post", "parcel"),
    ("9891234567890", "china_post", "parcel"),
    ("75312345678901", "zto", None),
    ("731234567890", "zto", None),
    ("YT1234567890123", "yto", None),
    ("773012345678901", "sto", None),
    ("2681234567890", "sto", None),
    ("4312345678901", "yunda", None),
    ("312345678901234", "yunda", None),
    ("JT0001234567890", "jt", None),
    ("1234567891", "dhl", None),  # 123456789 % 7 == 1
    ("JJD012345678901234567", "dhl", None),
    ("123456789012", "fedex", None),  # valid FedEx check digit
    ("96123456789012345678", "fedex", None),
    ("1Z999AA10123456784", "ups", None),
    ("HELLO WORLD", "other", None),
    ("EA123456784CN", "other", None),  # S10 with a wrong check digit
    ("", "other", None),
]


@pytest.mark.parametrize(("number", "carrier", "kind"), TABLE)
def test_recognition_table(number: str, carrier: str, kind: str | None) -> None:
    found = recognise(number)
    assert found.carrier == carrier
    assert found.kind == kind


def test_separators_case_and_full_width_are_ignored() -> None:
    assert carrier_of(" sf 1234-5678-90123 ") == "sf"
    assert carrier_of("ＳＦ１２３４５６７８９０１２３") == "sf"
    assert normalise("ea 123 456 785 cn") == "EA123456785CN"


def test_checksums() -> None:
    assert s10_check_digit("12345678") == 5
    assert dhl_valid("1234567891") and not dhl_valid("1234567890")
    assert fedex_valid("123456789012") and not fedex_valid("123456789013")


def test_looks_like_tracking_refuses_words_and_short_codes() -> None:
    assert looks_like_tracking("SF1234567890123")
    assert looks_like_tracking("EA123456785CN")
    assert not looks_like_tracking("wangfang")  # a name typed quickly
    assert not looks_like_tracking("1111")  # a PIN
    assert not looks_like_tracking("ABCDEFGH12")  # mostly letters
    assert not looks_like_tracking("SF12345678!!")


@given(st.text(max_size=80))
def test_garbage_never_raises_and_gives_a_known_carrier(text: str) -> None:
    found = recognise(text)
    assert found.carrier in CARRIERS
    assert found.tracking == normalise(text)
    assert isinstance(looks_like_tracking(text), bool)


@given(st.from_regex(r"\ASF\d{12,13}\Z"))
def test_every_sf_number(number: str) -> None:
    assert carrier_of(number) == "sf"


@given(st.from_regex(r"\A1Z[0-9A-Z]{16}\Z"))
def test_every_ups_number(number: str) -> None:
    assert carrier_of(number) == "ups"


@given(st.from_regex(r"\A(JT|YT)\d{13}\Z"))
def test_every_jt_and_yto_number(number: str) -> None:
    assert carrier_of(number) == ("jt" if number.startswith("JT") else "yto")


@given(st.text(alphabet="EeRrCcLlVv", min_size=1, max_size=1), st.integers(0, 99_999_999))
def test_s10_numbers_with_a_valid_check_digit(service: str, serial: int) -> None:
    digits = f"{serial:08d}"
    number = f"{service}A{digits}{s10_check_digit(digits)}CN"
    found = recognise(number)
    assert found.carrier == ("ems" if service.upper() == "E" else "china_post")


@given(st.text(min_size=1, max_size=40).map(str.upper))
def test_recognition_is_stable_under_normalisation(text: str) -> None:
    assert recognise(normalise(text)) == recognise(text)
