"""Folding traditional Chinese to simplified without moving a single offset.

Search and auto-coding match a pattern against a *folded* copy of the stored text and
report spans on the original. That only works when the folded copy has exactly the same
length, character for character. OpenCC's ``t2s`` converter works on phrases, and a
phrase may become a different number of code points, so it is never run on the text as a
whole. Instead each distinct character is converted on its own and the result is kept
only when it is exactly one code point; any other result (empty, several code points)
keeps the original character. Pattern and text are folded by the same function, so a
simplified pattern (通办) finds traditional text (通辦) and vice versa.

All offsets are Python code points; ``len(fold(text)) == len(text)`` always holds.
"""
from __future__ import annotations

from functools import lru_cache

__all__ = ["fold", "fold_char", "folded_text"]

_CACHE_SIZE = 16


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=None)
def fold_char(char: str) -> str:
    """The simplified form of one character, or the character itself.

    Parameters
    ----------
    char : str
        Exactly one code point.

    Returns
    -------
    str
        One code point: OpenCC ``t2s`` of ``char`` when that is a single code point,
        else ``char`` unchanged (the safe fallback that keeps offsets exact).
    """
    if len(char) != 1 or char.isascii():
        return char
    out = _converter().convert(char)
    return out if len(out) == 1 else char


def fold(text: str) -> str:
    """``text`` with every traditional character replaced by its simplified form.

    Parameters
    ----------
    text : str
        Any text (pattern or document).

    Returns
    -------
    str
        Same length in code points as ``text``; position ``i`` of the result is
        ``fold_char(text[i])``.
    """
    if text.isascii():
        return text
    table = {ord(c): f for c in set(text) if (f := fold_char(c)) != c}
    out = text.translate(table) if table else text
    if len(out) != len(text):  # cannot happen with one-code-point values; never let it pass
        raise AssertionError("folding changed the text length")
    return out


@lru_cache(maxsize=_CACHE_SIZE)
def folded_text(text: str) -> str:
    """``fold(text)`` cached for the last few document texts (repeated searches, rule runs).

    The cache is keyed by the text itself (hash and equality), so it can never return the
    folding of another text.
    """
    return fold(text)
