"""Language of a document from its script: Chinese (Han) or English (everything else)."""
from __future__ import annotations

import re

from corpus.text import han_count

#: A text is Chinese when at least this share of its letters are Han ideographs.
#: One Han character carries about a word, an English word about five letters, so a
#: Chinese text with many English terms still scores well above 0.25, and an English
#: text quoting a few place names in Chinese well below.
HAN_SHARE_ZH = 0.25

_NON_LETTER = re.compile(r"[\W\d_]+")


def letter_count(text: str) -> int:
    """Number of letters in ``text`` (Unicode word characters that are not digits or ``_``)."""
    return len(_NON_LETTER.sub("", text))


def detect_language(text: str) -> str:
    """``"zh"`` or ``"en"`` from the share of Han characters among the letters.

    Parameters
    ----------
    text : str
        Any text (a whole document is fine: two linear passes).

    Returns
    -------
    str
        ``"zh"`` when Han ideographs make up at least ``HAN_SHARE_ZH`` (25 %) of the
        letters, else ``"en"`` (also for a text without letters). Tandem supports these
        two languages; other Latin-script languages come out as ``"en"``.
    """
    letters = letter_count(text)
    if letters == 0:
        return "en"
    return "zh" if han_count(text) >= HAN_SHARE_ZH * letters else "en"
