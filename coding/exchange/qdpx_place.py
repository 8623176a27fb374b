"""Placing REFI-QDA selections on Tandem's stored text: the offset convention and each span.

A ``PlainTextSelection``'s ``startPosition``/``endPosition`` count over the source's plain
text, but vendors count differently (``docs/qda.md`` §1):

- ``codepoints``: Unicode code points, one per line break (QualCoder's Python side, qc,
  Tandem's own export);
- ``utf16``: UTF-16 code units (a character above U+FFFF counts 2), one per line break
  (ATLAS.ti: "CRLF = 1");
- ``utf16_crlf``: UTF-16 code units over the text written with CRLF, two per line break
  (NVivo 12 for Windows);
- ``codepoints_crlf``: code points, two per line break.

Whatever line breaks the exported ``.txt`` holds, it is first read as ``L``: BOM removed,
CRLF and lone CR turned into LF. An offset is turned into a code-point index of ``L``
through :class:`corpus.offsets.OffsetIndex` (UTF-16 over ``L`` or over its CRLF rendering,
then ``from_crlf``), and then into Tandem's canonical text (NFC) through the position map of
:func:`corpus.text.normalise_with_map`.

Detection (``convention="auto"``) scores every convention over all selections of the file:
(1) how many selections' own text (the ``name`` attribute, where QualCoder writes the
selected text) equals the text at the converted offsets; (2) how many start and end on token
boundaries (not inside a run of letters or digits, not before a combining mark; every
position between two Han characters counts as a boundary, so Chinese is decided by (1));
(3) how many convert at all (none inside a surrogate pair or a CRLF, none past the end).
The highest (1, 2, 3) wins; ties go to the producer's known convention (from the
``origin`` attribute), then to code points.

A selection is then *placed* at its converted offsets, *moved* to the occurrence of its
own text nearest to where the offsets point (only when the file's names are quotes, i.e.
when at least 80 % of named selections match their offsets under the chosen convention,
or for PDF selections, which carry text and no offsets), or *not placed* (kept in the
report with its text and code).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from coding.errors import CodingError
from corpus.errors import OffsetError
from corpus.offsets import OffsetIndex
from corpus.text import normalise_with_map

from i18n import _

__all__ = ["CONVENTIONS", "SourceText", "Placement", "choose_convention", "place"]

CONVENTIONS = ("codepoints", "utf16", "utf16_crlf", "codepoints_crlf")
QUOTE_SHARE = 0.8
_PRODUCERS = (("nvivo", "utf16_crlf"), ("atlas", "utf16"), ("qualcoder", "codepoints"), ("tandem", "codepoints"),
              ("qc", "codepoints"))


def _lf(raw: str) -> str:
    return raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def clean_quote(text: str) -> str:
    """A selection's own text compared as Tandem stores text (LF, NFC)."""
    return unicodedata.normalize("NFC", _lf(text))


class SourceText:
    """One source's text with everything needed to convert offsets in every convention.

    Attributes
    ----------
    canonical : str
        The text Tandem stores (``corpus.text.normalise`` of the raw text).
    """

    def __init__(self, raw: str) -> None:
        self.lf = _lf(raw)
        self.canonical, self._map = normalise_with_map(self.lf)
        self._lf_index = OffsetIndex(self.lf)
        self._crlf_index: OffsetIndex | None = None

    def to_canonical(self, offset: int, convention: str) -> int:
        """Canonical code-point index of one offset counted in ``convention``.

        Raises
        ------
        OffsetError
            Out of range, or inside a character (surrogate pair, CRLF) in that convention.
        """
        if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
            raise OffsetError(_("Offset {offset!r} is not an integer.").format(offset=offset))
        x = [int(offset)]
        if convention == "codepoints":
            if not 0 <= x[0] <= len(self.lf):
                raise OffsetError(_("Offset {value} is outside the text (0..{n}).").format(value=x[0], n=len(self.lf)))
            i = x[0]
        elif convention == "utf16":
            i = int(self._lf_index.from_utf16(x)[0])
        elif convention == "codepoints_crlf":
            i = int(self._lf_index.from_crlf(x)[0])
        elif convention == "utf16_crlf":
            if self._crlf_index is None:
                self._crlf_index = OffsetIndex(self.lf.replace("\n", "\r\n"))
            j = int(self._crlf_index.from_utf16(x)[0])
            i = int(self._lf_index.from_crlf([j])[0])
        else:
            raise OffsetError(_("Unknown offset convention {convention!r}; choose one of {names}.").format(
                                convention=convention, names=', '.join(CONVENTIONS)))
        return int(self._map[i])

    def span(self, start, end, convention: str) -> tuple[int, int] | None:
        """The canonical ``(start, end)`` or ``None`` when either offset does not convert."""
        try:
            return self.to_canonical(start, convention), self.to_canonical(end, convention)
        except OffsetError:
            return None


def _wordish(ch: str) -> bool:
    return ch.isalnum() and not ("\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f")


def is_boundary(text: str, p: int) -> bool:
    """True when a span may start or end at ``p`` without cutting a word or a character."""
    if p <= 0 or p >= len(text):
        return True
    if unicodedata.combining(text[p]):
        return False
    return not (_wordish(text[p - 1]) and _wordish(text[p]))


@dataclass
class Placement:
    """Where one selection lands: ``status`` ``placed`` | ``moved`` | ``not placed``."""

    status: str
    start: int | None
    end: int | None
    reason: str = ""


def score(items: list[tuple[SourceText, object]], convention: str) -> dict[str, int]:
    """``{"quotes", "boundaries", "valid", "n"}`` for selections ``(text, selection)`` read in
    ``convention`` (selections without offsets are left out)."""
    out = {"quotes": 0, "boundaries": 0, "valid": 0, "n": 0}
    for src, sel in items:
        if sel.start is None or sel.end is None:
            continue
        out["n"] += 1
        span = src.span(sel.start, sel.end, convention)
        if span is None or span[1] <= span[0]:
            continue
        out["valid"] += 1
        s, e = span
        if is_boundary(src.canonical, s) and is_boundary(src.canonical, e):
            out["boundaries"] += 1
        if sel.name and clean_quote(sel.name) == src.canonical[s:e]:
            out["quotes"] += 1
    return out


def producer_convention(origin: str) -> str | None:
    """The known convention of the producing software named in ``Project@origin``."""
    low = (origin or "").lower()
    return next((conv for key, conv in _PRODUCERS if key in low), None)


def choose_convention(items: list[tuple[SourceText, object]], origin: str = "",
                      convention: str = "auto") -> dict:
    """Pick the offset convention of a file (see the module docstring).

    Returns
    -------
    dict
        ``chosen``, ``how`` ("given" | "detected"), ``scores`` (per convention),
        ``names_are_quotes`` (bool), ``reason`` (a sentence for the report).

    Raises
    ------
    CodingError
        ``convention`` is not ``"auto"`` or one of ``CONVENTIONS``.
    """
    if convention != "auto" and convention not in CONVENTIONS:
        raise CodingError(_("Unknown offset convention {convention!r}; choose auto or one of {names}.").format(
                           convention=convention, names=', '.join(CONVENTIONS)))
    scores = {c: score(items, c) for c in CONVENTIONS}
    hint = producer_convention(origin)
    order = [hint] + [c for c in CONVENTIONS if c != hint] if hint else list(CONVENTIONS)
    if convention == "auto":
        key = {c: (scores[c]["quotes"], scores[c]["boundaries"], scores[c]["valid"], -order.index(c))
               for c in CONVENTIONS}
        chosen = max(CONVENTIONS, key=key.get)
        same = all(key[c][:3] == key[chosen][:3] for c in CONVENTIONS)
        sc = scores[chosen]
        if sc["n"] == 0:
            reason = f"no text selection carries offsets; {chosen} assumed"
        elif same:
            reason = (f"every convention reads this file's {sc['n']} selection(s) alike (no character above "
                      f"U+FFFF or line break before them); {chosen} used"
                      + (f", the convention of {origin!r}" if hint == chosen else ""))
        else:
            reason = (f"{chosen} chosen: {sc['quotes']} of {sc['n']} selections match their own text, "
                      f"{sc['boundaries']} start and end on word boundaries, {sc['valid']} convert (others: "
                      + ", ".join(f"{c} {scores[c]['quotes']}/{scores[c]['boundaries']}/{scores[c]['valid']}"
                                  for c in CONVENTIONS if c != chosen) + " as quotes/boundaries/convert)")
        how = "detected"
    else:
        chosen, how = convention, "given"
        reason = f"{chosen} chosen by the user"
    named = sum(1 for src, sel in items if sel.name and sel.start is not None)
    quotes = scores[chosen]["quotes"]
    names_are_quotes = named > 0 and quotes >= QUOTE_SHARE * named
    return {"chosen": chosen, "how": how, "scores": scores, "names_are_quotes": names_are_quotes,
            "reason": reason + (f"; selection names are quotes ({quotes} of {named} match) and are checked"
                                if names_are_quotes else "")}


def _nearest(text: str, quote: str, near: int) -> tuple[int, int] | None:
    if not quote.strip():
        return None
    best, pos = None, text.find(quote)
    while pos != -1:
        if best is None or abs(pos - near) < abs(best - near):
            best = pos
        pos = text.find(quote, pos + 1)
    return None if best is None else (best, best + len(quote))


def place(src: SourceText, sel, convention: str, names_are_quotes: bool) -> Placement:
    """Where one selection lands on ``src.canonical`` (see the module docstring)."""
    text = src.canonical
    if sel.kind == "pdf" or sel.start is None or sel.end is None:
        quote = clean_quote(sel.quote or sel.name or "")
        found = _nearest(text, quote, 0)
        if found is None:
            return Placement("not placed", None, None, "its text is not found in the source's text")
        return Placement("moved", *found, "placed by its text (the selection has no character offsets)")
    span = src.span(sel.start, sel.end, convention)
    quote = clean_quote(sel.name) if names_are_quotes and sel.name else None
    if span is not None and span[1] > span[0] and text[span[0]:span[1]].strip():
        if quote is None or text[span[0]:span[1]] == quote:
            return Placement("placed", *span)
    if quote is not None:
        found = _nearest(text, quote, span[0] if span else 0)
        if found is not None:
            return Placement("moved", *found, "its offsets do not hold its text; moved to the nearest occurrence")
    if span is None:
        return Placement("not placed", None, None,
                         f"offsets {sel.start}-{sel.end} do not fall on characters of the text ({convention})")
    return Placement("not placed", None, None, f"offsets {sel.start}-{sel.end} select no text ({convention})")
