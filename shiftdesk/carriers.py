"""Which carrier a tracking number belongs to, from its format alone.

The desk scans whatever the courier hands over; recognising the carrier saves a key press
and catches a mistyped number early. Recognition is a best guess, never a refusal: the
operator can always change the carrier, and anything unknown is ``other``.

Formats (upper-cased, spaces and dashes removed before matching):

==========  =====================================================================
carrier     format
==========  =====================================================================
ups         ``1Z`` + 16 letters/digits (1Z999AA10123456784)
sf          ``SF`` + 12-13 digits (SF1234567890123)
jd          ``JD`` + 11-16 letters/digits (JDVA12345678901, JD0012345678901)
yto         ``YT`` + 13 digits
jt          ``JT`` + 13 digits (J&T 极兔)
ems         UPU S10 with an ``E`` service letter (EA123456785CN), check digit valid;
            or 13 domestic digits starting with 1 (1100012345678)
china_post  UPU S10 with any other service letter (RR… registered letter, CP… parcel,
            LX…, VV…), check digit valid; or 13 digits starting with 9 (9891234567890)
zto         14 digits starting with 7 (75312345678901), or 12 digits starting with 6 or 7
sto         15 digits starting with 77, or 13 digits starting with 268/368/…/888/900
yunda       13 or 15 digits starting with 31, 43, 46 or 53
dhl         10 digits with a valid mod-7 check digit, or ``JJD`` + 18 digits
fedex       12 digits with a valid FedEx check digit (not starting with 6 or 7, which ZTO
            uses), or 20/22 digits starting with 96 (FedEx Ground)
other       anything else
==========  =====================================================================

Chinese domestic numbers are all digits and overlap between companies; the rules above are
the prefixes the carriers publish and order matters (checksums first). A UPU S10 number also
tells the item kind: ``R`` is a registered letter, ``E`` EMS, ``C``/``V`` a parcel (P-10,
P-11).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: every carrier key, in the order the screens list them; ``other`` last
CARRIERS: tuple[str, ...] = (
    "sf",
    "jd",
    "ems",
    "china_post",
    "zto",
    "yto",
    "sto",
    "yunda",
    "jt",
    "dhl",
    "fedex",
    "ups",
    "other",
)

#: P-12: international couriers whose items the desk signs for only with the owner's consent
INTERNATIONAL = frozenset({"dhl", "fedex", "ups"})

_CLEAN = re.compile(r"[\s\-_./]+")
_S10 = re.compile(r"^([A-Z])([A-Z])(\d{8})(\d)([A-Z]{2})$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


@dataclass(frozen=True)
class Recognition:
    """The carrier guessed for a tracking number; ``kind`` when the format says it."""

    tracking: str
    carrier: str
    kind: str | None = None


def normalise(text: str) -> str:
    """What is stored and compared: full-width folded, upper case, separators removed."""
    folded = _CLEAN.sub("", unicodedata.normalize("NFKC", text or "")).upper()
    # upper-casing can leave a string that NFKC folds further ("A´"): fold again
    return _CLEAN.sub("", unicodedata.normalize("NFKC", folded))


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an 8-digit serial number."""
    total = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


def dhl_valid(number: str) -> bool:
    """DHL Express 10-digit waybill: the last digit is the first nine modulo 7."""
    return len(number) == 10 and number.isdigit() and int(number[:9]) % 7 == int(number[9])


def fedex_valid(number: str) -> bool:
    """FedEx Express 12-digit number: weights 1, 3, 7 from the right, mod 11, 10 -> 0."""
    if len(number) != 12 or not number.isdigit():
        return False
    body = number[:11][::-1]
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(body))
    return total % 11 % 10 == int(number[11])


def _s10(number: str) -> Recognition | None:
    match = _S10.match(number)
    if match is None:
        return None
    service, _second, serial, check, _country = match.groups()
    if s10_check_digit(serial) != int(check):
        return None
    if service == "E":
        return Recognition(number, "ems", "ems")
    if service == "R":
        return Recognition(number, "china_post", "registered")
    if service in ("C", "V"):
        return Recognition(number, "china_post", "parcel")
    return Recognition(number, "china_post", None)


_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ups", re.compile(r"^1Z[0-9A-Z]{16}$")),
    ("sf", re.compile(r"^SF\d{12,13}$")),
    ("dhl", re.compile(r"^JJD\d{18}$")),
    ("jd", re.compile(r"^JD[0-9A-Z]{11,16}$")),
    ("yto", re.compile(r"^YT\d{13}$")),
    ("jt", re.compile(r"^JT\d{13}$")),
)

_DIGIT_PATTERNS: tuple[tuple[str, str | None, re.Pattern[str]], ...] = (
    ("ems", "ems", re.compile(r"^1\d{12}$")),
    ("china_post", "parcel", re.compile(r"^9\d{12}$")),
    ("zto", None, re.compile(r"^7\d{13}$")),
    ("sto", None, re.compile(r"^77\d{13}$")),
    ("sto", None, re.compile(r"^(?:268|368|468|568|668|868|888|900)\d{10}$")),
    ("yunda", None, re.compile(r"^(?:31|43|46|53)\d{11}(?:\d{2})?$")),
    ("fedex", None, re.compile(r"^96\d{18}(?:\d{2})?$")),
)


def recognise(text: str) -> Recognition:
    """Best guess of the carrier (and sometimes the item kind) for a tracking number.

    Never raises: garbage comes back as ``other``.
    """
    number = normalise(text)
    if not number:
        return Recognition(number, "other")
    s10 = _s10(number)
    if s10 is not None:
        return s10
    for carrier, pattern in _PATTERNS:
        if pattern.match(number):
            return Recognition(number, carrier)
    if number.isdigit():
        if dhl_valid(number):
            return Recognition(number, "dhl")
        if len(number) == 12 and number[0] in "67":
            # ZTO's 12-digit numbers; far commoner at a Chinese desk than FedEx's
            return Recognition(number, "zto")
        if fedex_valid(number):
            return Recognition(number, "fedex")
        for carrier, kind, pattern in _DIGIT_PATTERNS:
            if pattern.match(number):
                return Recognition(number, carrier, kind)
    return Recognition(number, "other")


def carrier_of(text: str) -> str:
    """Just the carrier key (``sf``, ``ems`` … ``other``)."""
    return recognise(text).carrier


_TRACKING_CHARS = re.compile(r"^[0-9A-Z]+$")


def looks_like_tracking(text: str, *, min_length: int = 8, max_length: int = 40) -> bool:
    """Whether a string could be a tracking number a scanner typed (used by scan detection).

    Letters and digits only, with at least half of them digits, so that a name or a word
    typed quickly is never mistaken for a scan.
    """
    number = normalise(text)
    if not (min_length <= len(number) <= max_length) or not _TRACKING_CHARS.match(number):
        return False
    digits = sum(ch.isdigit() for ch in number)
    return digits * 2 >= len(number)
