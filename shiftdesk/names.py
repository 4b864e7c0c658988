"""Search keys for Chinese names: full pinyin and initials, so `zw` or `zhang` finds 张伟."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8192)
def search_keys(name: str) -> tuple[str, str]:
    """(full pinyin without tones or spaces, initials), lowercase; Latin letters kept."""
    from pypinyin import Style, lazy_pinyin

    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default")]
    syllables = [s for s in ("".join(ch for ch in s if ch.isalnum()) for s in syllables) if s]
    return "".join(syllables), "".join(s[0] for s in syllables)
