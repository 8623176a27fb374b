"""Placing a coded span of an old text on a corrected text (qda.md §1.1, step 3).

Pure functions, no database. Offsets are Python code points, ``[start, end)``. A span
is placed by the first rule that works:

1. ``same_offsets`` — the quote still sits at the old offsets;
2. ``context`` — prefix + quote + suffix occurs exactly once;
3. ``nearest_quote`` — the exact quote occurrence nearest the old start, measured from
   where the old start lands in the new text (the old offset shifted by the text
   inserted or deleted before it, from a diff of the two texts); flagged for review
   when that occurrence lies far from there (its own passage was probably deleted);
4. ``fuzzy`` — the passage most similar to the quote near that position (or near a
   stretch of the quote found verbatim elsewhere), if its
   ``difflib.SequenceMatcher(None, quote, passage).ratio()`` — 2·matches / (len(quote) +
   len(passage)) — reaches the threshold; such a placement is to be reviewed;
5. otherwise ``None``: the caller keeps the coding unanchored.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["DEFAULT_THRESHOLD", "FAR", "METHODS", "OffsetMap", "Placement", "pieces", "place"]

DEFAULT_THRESHOLD = 0.8
METHODS = ("same_offsets", "context", "nearest_quote", "fuzzy")
DIRECT_MAX = 8_000
"""Texts of at most this many code points each are diffed character by character at once."""
MAX_CELLS = 4_000_000
"""In longer texts, a changed stretch is diffed by character only when len(old) * len(new) is at most this."""
FAR = 64
"""A ``nearest_quote`` placement further than this (code points) from the expected start is flagged."""
_PIECE = re.compile(r"[^\n。！？!?；;]*(?:[\n。！？!?；;]+|\Z)")
_MAX_CANDIDATES = 8


def pieces(text: str) -> list[str]:
    """``text`` cut after each run of line breaks or sentence-final punctuation (joins back to ``text``)."""
    return [p for p in _PIECE.findall(text) if p]


@dataclass(frozen=True)
class Placement:
    """Where a span lands on the new text.

    Attributes
    ----------
    start, end : int
        ``[start, end)`` in code points of the new text.
    method : str
        One of :data:`METHODS`.
    score : float
        1.0 for an exact rule, the similarity ratio for ``fuzzy``.
    review : bool
        True when a person should check it: a fuzzy match, or an exact quote found
        more than :data:`FAR` code points (or the quote's length) away from where the
        old start landed.
    """

    start: int
    end: int
    method: str
    score: float
    review: bool = False


class OffsetMap:
    """Carries code-point offsets of an old text over to a new one, from a diff of the two.

    Short texts are diffed character by character; longer ones piece by piece
    (:func:`pieces`), then each changed stretch character by character (if not huge),
    all with ``difflib.SequenceMatcher``. Offsets in
    unchanged text shift by what was inserted or deleted before them; offsets inside a
    replaced stretch are scaled; offsets inside deleted text land where it was.

    Parameters
    ----------
    old, new : str
        The two texts.
    """

    def __init__(self, old: str, new: str) -> None:
        self.n_old, self.n_new = len(old), len(new)
        self._blocks: list[tuple[int, int, int, int, str]] = []  # (a0, a1, b0, b1, tag), a0 < a1, by a0
        if old == new:
            self._blocks.append((0, len(old), 0, len(new), "equal"))
        elif len(old) <= DIRECT_MAX and len(new) <= DIRECT_MAX:
            self._chars(old, new, 0, 0)
        else:
            self._diff(old, new)
        self._starts = [b[0] for b in self._blocks]

    def _emit(self, tag: str, a0: int, a1: int, b0: int, b1: int) -> None:
        if a1 > a0:
            self._blocks.append((a0, a1, b0, b1, tag))

    def _diff(self, old: str, new: str) -> None:
        a, b = pieces(old), pieces(new)
        ao, bo = [0], [0]
        for p in a:
            ao.append(ao[-1] + len(p))
        for p in b:
            bo.append(bo[-1] + len(p))
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            a0, a1, b0, b1 = ao[i1], ao[i2], bo[j1], bo[j2]
            if tag == "replace" and (a1 - a0) * (b1 - b0) <= MAX_CELLS:
                self._chars(old[a0:a1], new[b0:b1], a0, b0)
            else:
                self._emit(tag, a0, a1, b0, b1)

    def _chars(self, old: str, new: str, a_base: int, b_base: int) -> None:
        for t, x1, x2, y1, y2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            self._emit(t, a_base + x1, a_base + x2, b_base + y1, b_base + y2)

    def _block(self, pos: int) -> tuple[int, int, int, int, str]:
        return self._blocks[bisect.bisect_right(self._starts, pos) - 1]

    def start(self, pos: int) -> int:
        """Where old offset ``pos`` lands as the start of a span (after any text inserted there)."""
        if pos >= self.n_old or not self._blocks:
            return self.n_new
        a0, a1, b0, b1, tag = self._block(max(0, pos))
        if tag == "equal":
            return b0 + pos - a0
        if tag == "replace":
            return b0 + (pos - a0) * (b1 - b0) // (a1 - a0)
        return b0

    def end(self, pos: int) -> int:
        """Where old offset ``pos`` lands as the (exclusive) end of a span (before any text inserted there)."""
        if pos <= 0 or not self._blocks:
            return 0
        q = min(pos, self.n_old) - 1
        a0, a1, b0, b1, tag = self._block(q)
        if tag == "equal":
            return b0 + q - a0 + 1
        if tag == "replace":
            return b0 + -(-(q - a0 + 1) * (b1 - b0) // (a1 - a0))
        return b0


def _occurrences(text: str, sub: str, limit: int | None = None) -> list[int]:
    out: list[int] = []
    i = text.find(sub)
    while i >= 0 and (limit is None or len(out) < limit):
        out.append(i)
        i = text.find(sub, i + 1)
    return out


def _best_in(text: str, quote: str, lo: int, hi: int) -> Placement | None:
    """The passage of ``text[lo:hi]`` most like ``quote``: matching blocks, stray ones trimmed at the ends."""
    blocks = [m for m in SequenceMatcher(None, quote, text[lo:hi], autojunk=False).get_matching_blocks() if m.size]
    if not blocks:
        return None
    n = len(quote)
    first, last, matched = 0, len(blocks) - 1, sum(m.size for m in blocks)

    def score(i: int, j: int, m: int) -> float:
        return 2 * m / (n + blocks[j].b + blocks[j].size - blocks[i].b)

    while first < last:
        now = score(first, last, matched)
        drop_first = score(first + 1, last, matched - blocks[first].size)
        drop_last = score(first, last - 1, matched - blocks[last].size)
        if max(drop_first, drop_last) <= now:
            break
        if drop_first >= drop_last:
            matched -= blocks[first].size
            first += 1
        else:
            matched -= blocks[last].size
            last -= 1
    start, end = lo + blocks[first].b, lo + blocks[last].b + blocks[last].size
    if not text[start:end].strip():
        return None
    ratio = SequenceMatcher(None, quote, text[start:end], autojunk=False).ratio()
    return Placement(start, end, "fuzzy", ratio, review=True)


def _anchors(text: str, quote: str) -> list[int]:
    """Likely starts of the quote in ``text``: where stretches of it occur verbatim."""
    n = len(quote)
    size = max(2, min(16, n // 4))
    found: list[int] = []
    for offset in range(0, max(1, n - size + 1), size):
        for hit in _occurrences(text, quote[offset:offset + size], limit=3):
            guess = hit - offset
            if all(abs(guess - g) > size for g in found):
                found.append(guess)
        if len(found) >= _MAX_CANDIDATES:
            break
    return found[:_MAX_CANDIDATES]


def _fuzzy(text: str, quote: str, near_start: int, near_end: int, threshold: float) -> Placement | None:
    n = len(quote)
    pad = max(16, n // 2)
    best = _best_in(text, quote, max(0, near_start - pad), min(len(text), max(near_end, near_start) + pad))
    if best is None or best.score < threshold:
        for guess in _anchors(text, quote):
            other = _best_in(text, quote, max(0, guess - pad), min(len(text), guess + n + pad))
            if other is not None and (best is None or other.score > best.score):
                best = other
    return best if best is not None and best.score >= threshold else None


def place(new_text: str, start: int, end: int, quote: str, prefix: str, suffix: str, offsets: OffsetMap,
          threshold: float = DEFAULT_THRESHOLD) -> Placement | None:
    """Place one span of the old text on ``new_text`` by rules 1–4 of the module notes.

    Parameters
    ----------
    new_text : str
        The corrected text (canonical: NFC, ``\\n`` line breaks).
    start, end : int
        The span's code-point offsets in the old text.
    quote, prefix, suffix : str
        The span's text and up to 32 code points before and after it, as stored.
    offsets : OffsetMap
        The map from the old text to ``new_text``.
    threshold : float
        Lowest similarity ratio accepted for a fuzzy placement, in ``(0, 1]``.

    Returns
    -------
    Placement or None
        ``None`` when no rule places the span.
    """
    n = len(quote)
    if not n:
        return None
    if end - start == n and new_text[start:end] == quote:
        return Placement(start, end, "same_offsets", 1.0)
    hits = _occurrences(new_text, prefix + quote + suffix, limit=2)
    if len(hits) == 1:
        s = hits[0] + len(prefix)
        return Placement(s, s + n, "context", 1.0)
    near = offsets.start(min(start, offsets.n_old))
    found = _occurrences(new_text, quote)
    if found:
        s = min(found, key=lambda i: (abs(i - near), i))
        return Placement(s, s + n, "nearest_quote", 1.0, review=abs(s - near) > max(FAR, n))
    return _fuzzy(new_text, quote, near, offsets.end(min(end, offsets.n_old)), threshold)
