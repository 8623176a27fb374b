"""Offset conversions at Tandem's edges (``docs/qda.md`` §1.1, "Convert at every edge").

Inside Tandem a position ``i`` is a Python code-point index into the canonical text
(``0 <= i <= len(text)``). Other tools count differently:

- browsers, Qt, Java, NVivo: UTF-16 code units. A character above U+FFFF (emoji,
  CJK Extension B such as U+20000) takes two units, so
  ``u = i + #{c in text[:i] : ord(c) > 0xFFFF}``;
- Taguette: UTF-8 bytes, ``len(text[:i].encode("utf-8"))`` (1-4 bytes per character);
- "CRLF = 2" vendors (NVivo export): each ``\\n`` of Tandem's text is written as
  ``\\r\\n``, so ``j = i + text[:i].count("\\n")``.

The single-offset functions are O(len(text)). For many offsets over one text build an
``OffsetIndex`` once (NumPy prefix arrays, binary search per offset).
All functions raise ``OffsetError`` (a ``ValueError``) for an offset out of range or
one that falls inside a character (between the halves of a surrogate pair, inside a
UTF-8 sequence, or between the ``\\r`` and ``\\n`` of a CRLF).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from corpus.errors import OffsetError
from i18n import _


def _codes(text: str) -> np.ndarray:
    """Code points of ``text`` as a uint32 array."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _check_index(text: str, i: int) -> int:
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise OffsetError(_("Offset {i!r} is not an integer code-point index.").format(i=i))
    if not 0 <= i <= len(text):
        raise OffsetError(_("Offset {i} is outside the text (0..{n} code points).").format(i=i, n=len(text)))
    return int(i)


def to_utf16(text: str, i: int) -> int:
    """UTF-16 code-unit offset of code-point index ``i``.

    Parameters
    ----------
    text : str
        Canonical text.
    i : int
        Code-point index, ``0 <= i <= len(text)``.

    Returns
    -------
    int
        ``i`` plus the number of characters above U+FFFF in ``text[:i]``.

    Raises
    ------
    OffsetError
        ``i`` is not an integer in range.
    """
    i = _check_index(text, i)
    head = text[:i]
    if head.isascii():
        return i
    return len(head.encode("utf-16-le", "surrogatepass")) // 2


def from_utf16(text: str, u: int) -> int:
    """Code-point index of UTF-16 code-unit offset ``u`` (inverse of ``to_utf16``).

    Raises
    ------
    OffsetError
        ``u`` is negative, beyond the text's UTF-16 length, or falls between the two
        halves of a surrogate pair (inside one non-BMP character).
    """
    return int(OffsetIndex(text).from_utf16([u])[0])


def to_utf8_bytes(text: str, i: int) -> int:
    """UTF-8 byte offset of code-point index ``i``: ``len(text[:i].encode("utf-8"))``.

    Raises
    ------
    OffsetError
        ``i`` is not an integer in range.
    """
    i = _check_index(text, i)
    return len(text[:i].encode("utf-8", "surrogatepass"))


def from_utf8_bytes(text: str, b: int) -> int:
    """Code-point index of UTF-8 byte offset ``b`` (inverse of ``to_utf8_bytes``).

    Raises
    ------
    OffsetError
        ``b`` is out of range or falls inside a multi-byte UTF-8 sequence.
    """
    return int(OffsetIndex(text).from_utf8_bytes([b])[0])


def crlf_offset(text: str, i: int) -> int:
    """Offset of index ``i`` in the same text written with CRLF line breaks.

    Returns ``i + text.count("\\n", 0, i)`` (code points; apply ``to_utf16`` rules on
    the CRLF text afterwards if the vendor counts UTF-16 units).

    Raises
    ------
    OffsetError
        ``i`` is not an integer in range.
    """
    i = _check_index(text, i)
    return i + text.count("\n", 0, i)


def from_crlf_offset(text: str, j: int) -> int:
    """Code-point index in ``text`` of offset ``j`` counted over its CRLF rendering.

    Raises
    ------
    OffsetError
        ``j`` is out of range or falls between the ``\\r`` and ``\\n`` of a line break.
    """
    return int(OffsetIndex(text).from_crlf([j])[0])


class OffsetIndex:
    """Vectorised conversions for many offsets over one text.

    Building costs O(len(text)) once; each conversion is a binary search
    (``numpy.searchsorted``) over prefix arrays, so converting all spans of a REFI
    project is cheap.

    Parameters
    ----------
    text : str
        Canonical text.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        codes = _codes(text)
        # Positions (code points) of characters above U+FFFF, sorted.
        self._astral = np.flatnonzero(codes > 0xFFFF)
        # UTF-16 start of each such character: p_k + k.
        self._astral_u16 = self._astral + np.arange(len(self._astral))
        self.utf16_length = self.n + len(self._astral)
        widths = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
        self._utf8 = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(widths, out=self._utf8[1:])
        self._newlines = np.flatnonzero(codes == 0x0A)
        self._newlines_crlf = self._newlines + np.arange(len(self._newlines))

    def _ints(self, values: Iterable[int], limit: int, unit: str) -> np.ndarray:
        arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
        if arr.size == 0:
            return arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise OffsetError(_("Offsets must be integers ({unit}); got {dtype} values.")
                              .format(unit=unit, dtype=arr.dtype))
        arr = arr.astype(np.int64)
        bad = (arr < 0) | (arr > limit)
        if bad.any():
            v = int(arr[bad][0])
            raise OffsetError(_("Offset {v} is outside the text (0..{limit} {unit}).")
                              .format(v=v, limit=limit, unit=unit))
        return arr

    def to_utf16(self, idx: Iterable[int]) -> np.ndarray:
        """UTF-16 offsets of code-point indices ``idx`` (array of int64, same shape)."""
        arr = self._ints(idx, self.n, "code points")
        return arr + np.searchsorted(self._astral, arr, side="left")

    def from_utf16(self, units: Iterable[int]) -> np.ndarray:
        """Code-point indices of UTF-16 offsets; ``OffsetError`` inside a surrogate pair."""
        arr = self._ints(units, self.utf16_length, "UTF-16 code units")
        return _from_two_unit(
            arr, self._astral_u16,
            "UTF-16 offset {} falls between the two halves of a surrogate pair (inside one character above U+FFFF).",
        )

    def to_utf8_bytes(self, idx: Iterable[int]) -> np.ndarray:
        """UTF-8 byte offsets of code-point indices ``idx``."""
        arr = self._ints(idx, self.n, "code points")
        return self._utf8[arr]

    def from_utf8_bytes(self, offsets: Iterable[int]) -> np.ndarray:
        """Code-point indices of UTF-8 byte offsets; ``OffsetError`` inside a character."""
        arr = self._ints(offsets, int(self._utf8[-1]), "UTF-8 bytes")
        i = np.searchsorted(self._utf8, arr, side="left")
        inside = self._utf8[i] != arr
        if inside.any():
            v = int(arr[inside][0])
            raise OffsetError(_("UTF-8 byte offset {v} falls inside a multi-byte character.").format(v=v))
        return i

    def to_crlf(self, idx: Iterable[int]) -> np.ndarray:
        """Offsets over the CRLF rendering of the text (``i`` + newlines before ``i``)."""
        arr = self._ints(idx, self.n, "code points")
        return arr + np.searchsorted(self._newlines, arr, side="left")

    def from_crlf(self, offsets: Iterable[int]) -> np.ndarray:
        """Code-point indices of CRLF-rendering offsets; ``OffsetError`` inside a CRLF."""
        arr = self._ints(offsets, self.n + len(self._newlines), "code points with CRLF")
        return _from_two_unit(
            arr, self._newlines_crlf, "CRLF offset {} falls between the \\r and the \\n of a line break.",
        )


def _from_two_unit(arr: np.ndarray, starts: np.ndarray, message: str) -> np.ndarray:
    """Code-point indices of offsets over a rendering where some characters take two units.

    ``starts`` are the sorted offsets, in that rendering, of those two-unit characters
    (surrogate pairs in UTF-16, ``\\r\\n`` in CRLF); each one before an offset shifts it by
    one. An offset between the two units of one character raises ``OffsetError`` with
    ``message.format(offset)`` (the first such offset).
    """
    k = np.searchsorted(starts, arr, side="left")  # two-unit characters starting before each offset
    if not len(starts):  # no surrogate pair / no line break: offsets are already code points
        return arr.copy()
    inside = (k > 0) & (arr == starts[np.maximum(k - 1, 0)] + 1)
    if inside.any():
        raise OffsetError(message.format(int(arr[inside][0])))
    return arr - k
