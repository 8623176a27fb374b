"""Comparing names as a reader sees them (duplicate checks), tolerant of names stored earlier.

``corpus.names.clean_name`` gives the canonical form of a *new* name and refuses bad ones;
``name_key`` never refuses: it maps any stored or typed name to the key under which two
names count as the same: Unicode NFKC (full-width ``Ｍａｒｋ`` -> ``Mark``), format
characters (zero-width space, joiners, BOM, soft hyphen, bidi marks) and control
characters removed, runs of white space collapsed to one space, ends trimmed, and
case folded (``str.casefold``). So ``"Ｍａｒｋ"``, ``"Mark\\u200b"`` and ``"mark"`` share the
key ``"mark"``.
"""
from __future__ import annotations

import unicodedata

__all__ = ["name_key"]


def name_key(text: str) -> str:
    """The comparison key of a name (see the module docstring); ``""`` for a non-string."""
    if not isinstance(text, str):
        return ""
    norm = unicodedata.normalize("NFKC", text)
    norm = "".join(c for c in norm if unicodedata.category(c) not in ("Cf", "Cc"))
    return " ".join(norm.split()).casefold()
