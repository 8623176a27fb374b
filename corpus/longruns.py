"""Keeping spaCy's rule-based (English) tokenizer linear on hostile text.

spaCy's tokenizer peels prefix and suffix characters (brackets, quotes, full stops, ...)
off each whitespace-free run one at a time, copying the rest each time: a run of ``L`` such
characters costs about ``L**2`` (measured: 4,000 ``(`` take 2.5 s, 20,000 take 78 s, in the
Latin place matcher and the English sentence pipeline alike). Runs mixing them with
letters or digits (``a(a(``, URLs, ``3.5``) and runs of Han characters stay linear.

``tame`` returns a text of *the same length* in which every run of more than ``LONG_RUN``
consecutive punctuation or symbol characters (neither letter, digit nor white space) has a
space put in place of every ``LONG_RUN``-th of them. Offsets in the tamed text are offsets in
the original; a text without such a run (all prose, Chinese or English) comes back
unchanged, as the same object, so ordinary documents are tokenised exactly as before.
"""
from __future__ import annotations

import re

__all__ = ["LONG_RUN", "tame"]

#: Longest run of punctuation/symbols handed to the tokenizer untouched (code points).
LONG_RUN = 100
_RUN = re.compile(r"(?:[^\w\s]|_){%d,}" % (LONG_RUN + 1))


def tame(text: str) -> str:
    """``text`` with its over-long punctuation runs broken by spaces, same length.

    Returns
    -------
    str
        ``len(result) == len(text)``; ``result is text`` when no run exceeds ``LONG_RUN``.
        Linear in ``len(text)``.
    """
    if not _RUN.search(text):
        return text
    chars = list(text)
    for m in _RUN.finditer(text):
        for k in range(m.start() + LONG_RUN, m.end(), LONG_RUN + 1):
            chars[k] = " "
    return "".join(chars)
