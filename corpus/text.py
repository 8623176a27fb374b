"""Canonical text: the one form every span in Tandem points into.

The canonical form of a raw string (``docs/qda.md`` §1.1) is:

1. a leading byte-order mark U+FEFF removed;
2. every ``\\r\\n`` and every lone ``\\r`` turned into ``\\n``;
3. every NUL (U+0000) and every unpaired surrogate (U+D800..U+DFFF) replaced by U+FFFD,
   one code point for one (so offsets are unchanged): no project database can store
   them (PostgreSQL refuses NUL in text, and no UTF-8 encoder takes a lone surrogate),
   and a document must read the same on SQLite and PostgreSQL. Plain-text files holding
   NUL are refused before this as binary data (``corpus.read_txt``); this step catches
   what other readers (PDF text extraction) or pasted text bring;
4. Unicode Normalization Form C (NFC).

``normalise`` does only that. ``normalise_with_map`` also returns where each raw
position lands in the canonical text, so that offsets counted by another tool over
the raw text (REFI vendors) can be carried over after they have been converted to code
points (``corpus.offsets``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from corpus.errors import CorpusError
from i18n import _

BOM = "\ufeff"
REPLACEMENT = "\ufffd"
#: Characters no project database stores: NUL and unpaired surrogates (same class as store.textcheck).
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")

#: Character class body (for ``re``) of the Han ideographs: CJK Unified Ideographs with
#: Extension A, the compatibility ideographs, and Extensions B-I in planes 2 and 3.
HAN_CLASS = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002fa1f\U00030000-\U0003134f"
)
HAN_RE = re.compile(f"[{HAN_CLASS}]+")


@dataclass(frozen=True)
class RawText:
    """What a format reader returns.

    Attributes
    ----------
    text : str
        Canonical text (``normalise`` applied): NFC, ``\\n`` line breaks, no BOM.
    encoding : str or None
        The character encoding the bytes were decoded with (``"utf-8"``, ``"gb18030"``,
        ...); ``None`` for container formats (.docx, .pdf) where it does not apply.
    warnings : list of str
        Sentences about risks the reader noticed (low-confidence encoding guess,
        ignored text boxes, pages without text, ...). Empty when all went well.
    """

    text: str
    encoding: str | None
    warnings: list[str] = field(default_factory=list)


#: Longest document text accepted at import, in code points (``TANDEM_MAX_IMPORT_CHARS``
#: overrides): segmentation and place matching are linear, but a text of tens of millions of
#: characters (a 50 MB file whose archive or PDF streams inflate) would still take many minutes.
DEFAULT_MAX_CHARS = 2_000_000
MAX_CHARS_ENV = "TANDEM_MAX_IMPORT_CHARS"


def max_text_chars() -> int:
    """The import limit on a document's text, in code points (see ``DEFAULT_MAX_CHARS``).

    Raises
    ------
    CorpusError
        ``TANDEM_MAX_IMPORT_CHARS`` is set but is not a positive whole number.
    """
    import os

    env = os.environ.get(MAX_CHARS_ENV, "").strip()
    if not env:
        return DEFAULT_MAX_CHARS
    if not env.isdigit() or int(env) <= 0:
        raise CorpusError(_("{max_chars_env}={env!r} must be a positive whole number of characters.")
                         .format(max_chars_env=MAX_CHARS_ENV, env=env))
    return int(env)


def too_long_message(label: str, n_chars: int, limit: int, *, at_least: bool = False) -> str:
    """One sentence refusing a text of ``n_chars`` code points (``at_least``: counted so far)
    over ``limit``."""
    if at_least:
        message = _("{label}: its text is more than {n:,} characters long, over the import limit of {limit:,}; "
                    "split it into parts (or raise {variable}).")
    else:
        message = _("{label}: its text is {n:,} characters long, over the import limit of {limit:,}; split it "
                    "into parts (or raise {variable}).")
    return message.format(label=label, n=n_chars, limit=limit, variable=MAX_CHARS_ENV)


def normalise(raw: str) -> str:
    """Canonical form of a string: no leading BOM, ``\\n`` line breaks, no NUL or lone surrogate, NFC.

    Parameters
    ----------
    raw : str
        Decoded text as read from a file or typed by a user.

    Returns
    -------
    str
        The canonical text. Idempotent: ``normalise(normalise(s)) == normalise(s)``.
    """
    if raw.startswith(BOM):
        raw = raw[1:]
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    raw = replace_unstorable(raw)
    if unicodedata.is_normalized("NFC", raw):
        return raw
    return unicodedata.normalize("NFC", raw)


def replace_unstorable(text: str) -> str:
    """``text`` with each NUL and each unpaired surrogate replaced by U+FFFD (same length)."""
    return UNSTORABLE_RE.sub(REPLACEMENT, text) if UNSTORABLE_RE.search(text) else text


def count_unstorable(text: str) -> int:
    """How many NUL characters and unpaired surrogates ``text`` holds (what ``normalise`` replaces)."""
    return len(UNSTORABLE_RE.findall(text))


def normalise_with_map(raw: str) -> tuple[str, np.ndarray]:
    """Canonical text plus a map from raw code-point positions to canonical positions.

    Parameters
    ----------
    raw : str
        Decoded text (positions in code points).

    Returns
    -------
    text : str
        ``normalise(raw)``.
    map_array : numpy.ndarray of int64, shape ``(len(raw) + 1,)``
        ``map_array[i]`` is the canonical position of the raw boundary ``i`` (the gap
        before ``raw[i]``; ``i == len(raw)`` is the end). It is non-decreasing, starts at
        0 and ends at ``len(text)``. Wherever the raw text can be cut at ``i`` without
        changing the result (``normalise(raw[:i]) + normalise(raw[i:]) == text``),
        ``map_array[i] == len(normalise(raw[:i]))``. A boundary *inside* a group that
        normalisation merges (the ``\\r`` and ``\\n`` of a CRLF, a base letter and its
        combining marks, the dropped BOM) maps to the position of the nearest such
        clean cut before it (floor). A span ``[s, e)`` of the raw text maps to
        ``[map_array[s], map_array[e])``.

    Notes
    -----
    NFC is applied chunk by chunk between *stable boundaries* (after Unicode Standard
    Annex #15, "Unicode Normalization Forms", section 9; see ``_unstable_chunk_re``).
    NFC of the whole string equals the concatenation of the NFC of its chunks, so only
    chunks that change need mapping inside.
    """
    raw = replace_unstorable(raw)  # one code point for one: positions are unchanged
    n = len(raw)
    # Step 1: BOM and line breaks. Dropped characters: the BOM, and the \r of each \r\n.
    keep = np.ones(n, dtype=bool)
    s1 = raw
    if raw.startswith(BOM):
        keep[0] = False
    if "\r" in raw:
        for m in re.finditer("\r\n", raw):
            keep[m.start()] = False
    if not keep.all():
        s1 = _take(raw, np.flatnonzero(keep))
    s1 = s1.replace("\r", "\n")
    map1 = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(keep, out=map1[1:])
    # Step 2: NFC.
    if unicodedata.is_normalized("NFC", s1):
        return s1, map1
    text, map2 = _nfc_with_map(s1)
    return text, map2[map1]


def _take(raw: str, idx: np.ndarray) -> str:
    """The characters of ``raw`` at the sorted positions ``idx``, joined."""
    codes = np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32)
    return codes[idx].tobytes().decode("utf-32-le")


def _nfc_with_map(s: str) -> tuple[str, np.ndarray]:
    """NFC of ``s`` and the floor map of its positions (see ``normalise_with_map``)."""
    pieces: list[str] = []
    out_map = np.arange(len(s) + 1, dtype=np.int64)
    shift = 0  # canonical length minus raw length, accumulated so far
    prev = 0
    for m in _unstable_chunk_re().finditer(s):
        a, b = m.span()
        chunk = m.group()
        nfc = unicodedata.normalize("NFC", chunk)
        if nfc == chunk:
            continue
        pieces.append(s[prev:a])
        pieces.append(nfc)
        out_map[prev : a + 1] += shift  # unchanged run, and the chunk's start
        out_map[a + 1 : b] = [a + shift + j for j in _inner_map(chunk, nfc)]
        shift += len(nfc) - (b - a)
        prev = b
    pieces.append(s[prev:])
    out_map[prev:] += shift
    return "".join(pieces), out_map


_REFINE_MAX = 32


def _inner_map(chunk: str, nfc: str) -> list[int]:
    """Canonical position (relative) of each interior boundary ``1..len(chunk)-1`` of a chunk.

    A boundary ``j`` is *clean* when ``NFC(chunk[:j]) + NFC(chunk[j:]) == NFC(chunk)``;
    it maps to ``len(NFC(chunk[:j]))``. Other boundaries take the value of the nearest
    clean boundary before them (0 for the chunk's start). Chunks longer than
    ``_REFINE_MAX`` (runs of dozens of combining marks) are not refined: all their
    interior boundaries map to the chunk's start.
    """
    out, last = [], 0
    refine = len(chunk) <= _REFINE_MAX
    for j in range(1, len(chunk)):
        if refine:
            head = unicodedata.normalize("NFC", chunk[:j])
            if head + unicodedata.normalize("NFC", chunk[j:]) == nfc:
                last = len(head)
        out.append(last)
    return out


@lru_cache(maxsize=1)
def _unstable_chunk_re() -> re.Pattern[str]:
    """Regex matching the chunks NFC may change.

    A chunk is an optional stable character followed by unstable ones, or a single
    stable character that NFC replaces.

    The gap before a character ``c`` is a stable boundary when the first character of
    its canonical decomposition NFD(c) has combining class 0 and cannot compose with a
    preceding character (is not the second character of any primary composite; the
    Hangul medial vowels and final consonants count as such). Nothing before the gap
    can then reorder or compose with anything after it. This is the NFC_QC=Yes rule
    of UAX #15 widened to characters, such as the CJK compatibility ideographs, that
    NFC replaces by a single stable starter. Other characters are *unstable*.
    """
    maybe: set[int] = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x30000):
        dec = unicodedata.decomposition(chr(cp)) if not 0xD800 <= cp <= 0xDFFF else ""
        if dec and not dec.startswith("<"):
            parts = dec.split()
            if len(parts) == 2 and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
                maybe.add(int(parts[1], 16))
    unstable: set[int] = set()
    changing: set[int] = set()  # stable, but NFC replaces them (e.g. U+F900 -> U+8C48)
    for cp in range(0x30000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        first = unicodedata.normalize("NFD", chr(cp))[0]
        if unicodedata.combining(first) or ord(first) in maybe or cp in maybe:
            unstable.add(cp)
        elif unicodedata.normalize("NFC", chr(cp)) != chr(cp):
            changing.add(cp)
    u, c = _char_class(unstable), _char_class(changing)
    return re.compile(f"[^{u}]?[{u}]+|[{c}]")


def _char_class(codepoints: set[int]) -> str:
    """Body of a regex character class holding ``codepoints`` (as ranges)."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(codepoints):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


def han_count(text: str) -> int:
    """Number of Han ideographs in ``text`` (see ``HAN_CLASS``)."""
    return len(text) - len(HAN_RE.sub("", text)) if text else 0
