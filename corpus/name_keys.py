"""Names as a reader sees them: the stored form of a label, and the key two names clash on.

``label_form`` is Unicode NFKC (full-width ``Ｍａｒｋ１`` -> ``Mark1``, ideographic space ->
space) *except* that the full-width forms of ASCII punctuation (U+FF01–FF0F, U+FF1A–FF20,
U+FF3B–FF40, U+FF5B–FF65: ``（）：，／`` ...) are kept, because Chinese names are typed with
them (``访谈：盐城市（示例）`` stays as written); then format characters (zero-width space,
joiners, BOM, soft hyphen) are removed, runs of white space collapse to one space and the
ends are trimmed.

``clean_label`` refuses what ``corpus.names.clean_name`` refuses (control characters and
line breaks, bidirectional overrides, an empty or overlong name), with its sentence, and
returns ``label_form``.

``name_key`` never refuses: it maps any stored or typed name to the key under which two
names count as the same: full NFKC (so ``（`` and ``(`` are one), format and control
characters removed, white space collapsed, case folded. ``"Ｍａｒｋ"``, ``"Mark\\u200b"`` and
``"mark"`` share the key ``"mark"``.
"""
from __future__ import annotations

import re
import unicodedata

from corpus.names import clean_name

__all__ = ["clean_label", "label_form", "name_key"]

_FULLWIDTH_PUNCT = re.compile("([\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+)")


def label_form(text: str) -> str:
    """The stored form of a name (see the module docstring); never refuses."""
    parts = _FULLWIDTH_PUNCT.split(text)
    norm = "".join(p if k % 2 else unicodedata.normalize("NFKC", p) for k, p in enumerate(parts))
    norm = "".join(c for c in norm if unicodedata.category(c) != "Cf")
    return " ".join(norm.split())


def clean_label(text: str, what: str = "name", *, max_len: int = 200) -> str:
    """``label_form(text)`` once ``corpus.names.clean_name`` accepts ``text``.

    Raises
    ------
    corpus.names.BadNameError
        A control character or line break, a bidirectional override, an empty name, or a
        name longer than ``max_len`` code points (messages of ``clean_name``).
    """
    clean_name(text, what, max_len=max_len)
    return label_form(text)


def name_key(text: str) -> str:
    """The comparison key of a name (see the module docstring); ``""`` for a non-string."""
    if not isinstance(text, str):
        return ""
    norm = unicodedata.normalize("NFKC", text)
    norm = "".join(c for c in norm if unicodedata.category(c) not in ("Cf", "Cc"))
    return " ".join(norm.split()).casefold()
