"""The stop-word list of word frequencies (:mod:`coding.retrieval.wordfreq`): Tandem's default
(``stopwords_zh.txt`` + ``stopwords_en.txt`` beside this module), or the project's own list kept in
``store.ProjectInfo`` under :data:`STOPWORDS_KEY` (a JSON list of words).

Words are stored lower case and NFC-normalised, so that they compare with the lower-cased words of
:func:`coding.retrieval.wordfreq.tokenize`.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy.orm import Session

from i18n import _
import store
from coding.errors import CodingError

__all__ = ["MAX_STOPWORDS", "MAX_WORD", "STOPWORDS_KEY", "clean_stopwords", "default_stopwords", "get_stopwords",
           "reset_stopwords", "set_stopwords"]

#: ``store.ProjectInfo`` key of the project's stop-word list (a JSON list of words).
STOPWORDS_KEY = "stopwords"
#: Most words in a list, and the longest word (code points).
MAX_STOPWORDS = 20_000
MAX_WORD = 50

_HERE = Path(__file__).resolve().parent


def clean_stopwords(words: Any) -> list[str]:
    """A stop-word list as stored: sorted, lower case, NFC, without blanks and duplicates.

    Parameters
    ----------
    words : str or list/tuple/set of str
        Text with one word a line (or separated by spaces), or the words.

    Raises
    ------
    CodingError
        Not text, more than :data:`MAX_STOPWORDS` words, or a word longer than :data:`MAX_WORD`.
    """
    if isinstance(words, str):
        words = words.split()
    if not isinstance(words, (list, tuple, set, frozenset)) or not all(isinstance(w, str) for w in words):
        raise CodingError(_("Stop words must be text: one word a line (or separated by spaces)."))
    out = sorted({unicodedata.normalize("NFC", w.strip()).lower() for w in words if w.strip()})
    if len(out) > MAX_STOPWORDS:
        raise CodingError(_("{n:,} stop words are too many; keep at most {max_stopwords:,}.").format(
                            n=len(out), max_stopwords=MAX_STOPWORDS))
    long = [w for w in out if len(w) > MAX_WORD]
    if long:
        raise CodingError(_("Stop word {value!r}… is longer than {max_word} characters; give one word a line.").format(
                            value=long[0][:20], max_word=MAX_WORD))
    return out


def default_stopwords() -> list[str]:
    """Tandem's default list: ``coding/retrieval/stopwords_zh.txt`` + ``stopwords_en.txt`` (``#`` lines are comments)."""
    words: list[str] = []
    for name in ("stopwords_zh.txt", "stopwords_en.txt"):
        for line in (_HERE / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                words.append(line.strip())
    return clean_stopwords(words)


def get_stopwords(session: Session) -> list[str]:
    """The project's stop words (sorted, lower case, NFC), or the default list when it has none of its own."""
    row = session.get(store.ProjectInfo, STOPWORDS_KEY)
    if row is None or not isinstance(row.value, list):
        return default_stopwords()
    return clean_stopwords([w for w in row.value if isinstance(w, str)])


def set_stopwords(session: Session, words: str | Iterable[str]) -> list[str]:
    """Store the project's own stop-word list (replacing the default); returns it cleaned.

    Parameters
    ----------
    words : str or iterable of str
        Text with one word a line (or separated by spaces), or a list of words; blanks and
        duplicates are dropped, words are lower-cased and NFC-normalised. An empty list means
        "no stop words".

    Raises
    ------
    CodingError
        Not text, more than 20,000 words, or a word longer than 50 characters.
    """
    clean = clean_stopwords(list(words) if not isinstance(words, str) and not isinstance(words, list) else words)
    row = session.get(store.ProjectInfo, STOPWORDS_KEY)
    if row is None:
        session.add(store.ProjectInfo(key=STOPWORDS_KEY, value=clean))
    else:
        row.value = clean
    session.flush()
    return clean


def reset_stopwords(session: Session) -> list[str]:
    """Drop the project's own list, so the default applies again; returns the default list."""
    row = session.get(store.ProjectInfo, STOPWORDS_KEY)
    if row is not None:
        session.delete(row)
        session.flush()
    return default_stopwords()
