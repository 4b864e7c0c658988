"""Free text from a terminal, made safe to store: one function every service calls.

A terminal can send anything: Chinese, emoji (with their joiners and skin tones), a paste
from a chat app with a NUL or an ANSI colour sequence in it, a carriage return from a
Windows clipboard, right-to-left overrides that make a record display differently from
what it holds. ``clean_text`` keeps every printable character (CJK, emoji, private-use
glyphs), normalises to NFC so the same text always compares equal, strips control
characters and escape sequences (they are never stored raw: PostgreSQL refuses NUL, and an
escape sequence replayed on a supervisor's screen could rewrite it), and enforces a length
limit with a message in the operator's language instead of silently cutting a note short.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Literal

from shiftdesk.errors import ValidationError
from shiftdesk.i18n import t

#: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-character ESC sequences
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks, clipboard
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape (and a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)

#: bidirectional embeddings, overrides and isolates: they make text display in an order
#: different from the one stored ("trojan source"); an operator never types them
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}

#: line and paragraph separators count as newlines
_LINE_BREAKS = {"\u2028", "\u2029", "\x85", "\x0b", "\x0c"}

OnControl = Literal["strip", "refuse"]


def _is_control(ch: str) -> bool:
    """A character that must not be stored: C0/C1 controls, lone surrogates, bidi overrides.

    Format characters that text needs (the zero-width joiner inside family emoji, the
    variation selector of ❤️, soft hyphens) are kept.
    """
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cs") or ch in _BIDI or ch in ("\ufeff", "\ufffe", "\uffff")


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters ``clean_text`` would remove, in order (for "refuse" messages)."""
    allowed = {"\n", "\t", "\r"} if multiline else {"\t"}
    return [ch for ch in text if _is_control(ch) and ch not in allowed]


def clean_text(
    value: str | None,
    *,
    max_length: int,
    multiline: bool = False,
    required: bool = False,
    field: str | None = None,
    on_control: OnControl = "strip",
    label: str | None = None,
) -> str:
    """Return ``value`` ready to store, or raise ``ValidationError`` naming ``field``.

    - ``None`` counts as empty; surrounding whitespace is trimmed.
    - NFC normalisation: the decomposed and composed spellings of a character are one.
    - ``\\r\\n`` and ``\\r`` become ``\\n``; Unicode line separators too. Single-line fields
      turn line breaks and tabs into spaces (a pasted address stays one line); multi-line
      fields keep newlines and turn tabs into spaces.
    - ANSI escape sequences are removed whole; other control characters are removed
      (``on_control="strip"``) or refused (``"refuse"``, for identifiers such as names).
    - Longer than ``max_length`` characters (after cleaning) is refused, never cut.
    - ``required`` refuses an empty result.

    ``label`` is the translated field name used in messages (default: a generic "text").
    """
    if max_length < 0:
        raise ValueError("max_length must not be negative")
    text = "" if value is None else str(value)
    if text.isprintable() and unicodedata.is_normalized("NFC", text):
        # nothing to clean (the common case: a name, a summary typed on one line). Controls,
        # escapes, bidi marks, tabs and line breaks are all "not printable", so anything
        # the steps below would change takes the long way.
        text = text.strip()
        if (required and not text) or len(text) > max_length:
            return _cleaned(text, max_length, required, field, label)
        return text
    what = label or t("reliability.text.this_field")
    if on_control == "refuse":
        bad = control_characters(text, multiline=multiline)
        if bad:
            raise ValidationError(
                t("reliability.text.control", field=what, code=f"U+{ord(bad[0]):04X}"),
                field=field,
            )
    # surrogates cannot be normalised or encoded: drop them before anything else
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cs")
    text = _ESCAPES.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join("\n" if ch in _LINE_BREAKS else ch for ch in text)
    text = text.replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    text = "".join(ch for ch in text if ch == "\n" or not _is_control(ch))
    text = unicodedata.normalize("NFC", text)
    if multiline:
        # trailing blanks on each line are noise; blank lines inside a note are kept
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _cleaned(text.strip(), max_length, required, field, what)


def _cleaned(
    text: str, max_length: int, required: bool, field: str | None, label: str | None
) -> str:
    """The length and "required" rules of ``clean_text`` on already cleaned text."""
    if required and not text:
        what = label or t("reliability.text.this_field")
        raise ValidationError(t("reliability.text.required", field=what), field=field)
    if len(text) > max_length:
        what = label or t("reliability.text.this_field")
        raise ValidationError(
            t("reliability.text.too_long", field=what, length=len(text), limit=max_length),
            field=field,
        )
    return text


def strip_controls(value: str | None, *, multiline: bool = False) -> str:
    """``clean_text`` without a length limit, for services whose fields check their own.

    Control characters and escapes go, NFC applies; each field's length rule keeps its
    own message (which names the field) in the service that owns it.
    """
    return clean_text(value, max_length=sys.maxsize, multiline=multiline)


def text_problem(
    value: str | None,
    *,
    max_length: int,
    multiline: bool = False,
    required: bool = False,
    label: str | None = None,
) -> str | None:
    """The message ``clean_text`` would raise, or ``None``: for a form's live validation."""
    try:
        clean_text(
            value, max_length=max_length, multiline=multiline, required=required, label=label
        )
    except ValidationError as err:
        return err.message
    return None
