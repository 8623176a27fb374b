"""Code co-occurrence: how often two codes meet, with ATLAS.ti's C-coefficient.

In a blind project a coder's session counts only their own codings (:mod:`coding.blind`).

Two units of co-occurrence are offered:

- ``unit="overlap"``: two codings of different codes co-occur when their spans in the same
  document share at least one code point (``a.start < b.end and b.start < a.end``).
  ``n_a`` is the number of codings of code a and ``n_ab`` the number of overlapping
  (a-coding, b-coding) pairs. This is ATLAS.ti's quotation-based count: when one coding
  overlaps several codings of the other code, ``n_ab`` can exceed ``min(n_a, n_b)`` and
  the C-coefficient can then exceed 1.
- ``unit="paragraph"``: the unit is a paragraph (stored paragraph segments, else the
  segmenter's paragraphs of the text). A code is present in every paragraph one of its
  codings touches; ``n_a`` is the number of paragraphs holding code a and ``n_ab`` the
  number holding both, so the C-coefficient is the Jaccard index and lies in [0, 1].

C-coefficient (qda.md §4): ``c = n_ab / (n_a + n_b - n_ab)``; NaN when the denominator is 0.
Spans are Python code points over the stored text.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any, Iterable, Iterator

import pandas as pd
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.errors import CodingError
from coding.retrieval.matrix_axes import code_rows, coding_filters

__all__ = ["UNITS", "c_coefficient", "cooccurrence_cell", "cooccurrence_matrix", "cooccurrence_table"]

UNITS = ("overlap", "paragraph")
TABLE_COLUMNS = ["code_a_id", "code_a", "code_b_id", "code_b", "n_a", "n_b", "n_ab", "c_coefficient"]

Row = tuple[int, int, int, int, int]  # coding id, document id, code id, start, end


def c_coefficient(n_a: int, n_b: int, n_ab: int) -> float:
    """``n_ab / (n_a + n_b - n_ab)``, or NaN when that denominator is 0."""
    denominator = n_a + n_b - n_ab
    return n_ab / denominator if denominator > 0 else float("nan")


def _unit(unit: Any) -> str:
    if unit not in UNITS:
        raise CodingError(_("Co-occurrence unit {unit!r} is unknown; use 'overlap' or 'paragraph'.").format(unit=unit))
    return unit


def _codings(session: Session, conds: list[ColumnElement[bool]], codes: Iterable[int] | None) -> list[Row]:
    c = store.Coding
    stmt = select(c.id, c.document_id, c.code_id, c.start, c.end).where(*conds)
    if codes is not None:
        stmt = stmt.where(c.code_id.in_(list(codes)))
    return [tuple(r) for r in session.execute(stmt.order_by(c.document_id, c.start, c.end, c.id))]


def overlapping_pairs(rows: list[Row]) -> Iterator[tuple[Row, Row]]:
    """Pairs of codings of different codes whose spans overlap (rows sorted by document, start).

    A sweep per document: the codings still open at each start are the ones it overlaps.
    """
    active: list[Row] = []
    doc = None
    for row in rows:
        if row[1] != doc:
            doc, active = row[1], []
        active = [a for a in active if a[4] > row[3]]
        for a in active:
            if a[2] != row[2]:
                yield a, row
        active.append(row)


def _paragraph_spans(session: Session, doc_id: int) -> list[tuple[int, int]]:
    spans = [tuple(r) for r in session.execute(
        select(store.Segment.start, store.Segment.end)
        .where(store.Segment.document_id == doc_id, store.Segment.kind == "paragraph")
        .order_by(store.Segment.start))]
    if spans:
        return spans
    from corpus.segment import paragraphs

    text = session.scalar(select(store.Document.text).where(store.Document.id == doc_id)) or ""
    return paragraphs(text)


def paragraph_units(session: Session, rows: list[Row]) -> dict[tuple[int, int], dict[int, list[int]]]:
    """``(document id, paragraph index) -> {code id: [coding ids touching it]}``."""
    units: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    cache: dict[int, tuple[list[int], list[int]]] = {}
    for cid, doc_id, code_id, start, end in rows:
        if doc_id not in cache:
            spans = _paragraph_spans(session, doc_id)
            cache[doc_id] = ([s for s, _unused in spans], [e for _unused, e in spans])
        starts, ends = cache[doc_id]
        first = bisect.bisect_right(ends, start)  # first paragraph ending after start
        last = bisect.bisect_left(starts, end) - 1  # last paragraph starting before end
        for k in range(first, last + 1):
            units[(doc_id, k)][code_id].append(cid)
    return units


def _counts(session: Session, unit: str, rows: list[Row]) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """``n`` per code and ``n_ab`` per unordered code pair ``(a, b)`` with ``a < b``."""
    n: dict[int, int] = defaultdict(int)
    n_ab: dict[tuple[int, int], int] = defaultdict(int)
    if unit == "overlap":
        for row in rows:
            n[row[2]] += 1
        for a, b in overlapping_pairs(rows):
            n_ab[(min(a[2], b[2]), max(a[2], b[2]))] += 1
        return n, n_ab
    for present in paragraph_units(session, rows).values():
        codes = sorted(present)
        for k, a in enumerate(codes):
            n[a] += 1
            for b in codes[k + 1:]:
                n_ab[(a, b)] += 1
    return n, n_ab


def _prepare(session: Session, unit: Any, code_ids: Any, coder: Any, document_ids: Any):
    chosen = _unit(unit)
    rows = code_rows(session, False, code_ids)
    conds = coding_filters(session, coder, document_ids)
    n, n_ab = _counts(session, chosen, _codings(session, conds, [r[0] for r in rows]))
    return chosen, rows, n, n_ab


def cooccurrence_table(
    session: Session,
    *,
    unit: str = "overlap",
    code_ids: int | Iterable[int] | None = None,
    coder: str | Iterable[str] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Every pair of codes that co-occurs at least once, most frequent first.

    Parameters
    ----------
    unit : {"overlap", "paragraph"}
    code_ids : int or iterable of int, optional
        Only these codes.
    coder : str or iterable of str, optional
        Only codings by these coders.
    document_ids : int or iterable of int, optional

    Returns
    -------
    DataFrame
        ``code_a_id, code_a, code_b_id, code_b, n_a, n_b, n_ab, c_coefficient`` (paths for
        names; code a comes first in codebook order), sorted by ``n_ab`` then C, descending.

    Raises
    ------
    CodingError
        Unknown unit, code or document, or a bad coder filter.
    """
    _unused, rows, n, n_ab = _prepare(session, unit, code_ids, coder, document_ids)
    order = {cid: k for k, (cid, _unused) in enumerate(rows)}
    path = dict(rows)
    out = []
    for (a, b), both in n_ab.items():
        if order[a] > order[b]:
            a, b = b, a
        out.append((a, path[a], b, path[b], n[a], n[b], both, c_coefficient(n[a], n[b], both)))
    frame = pd.DataFrame(out, columns=TABLE_COLUMNS)
    return frame.sort_values(["n_ab", "c_coefficient", "code_a_id", "code_b_id"],
                             ascending=[False, False, True, True], ignore_index=True)


def cooccurrence_matrix(
    session: Session,
    *,
    unit: str = "overlap",
    measure: str = "count",
    code_ids: int | Iterable[int] | None = None,
    coder: str | Iterable[str] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Codes × codes, symmetric: co-occurrence counts or C-coefficients.

    Parameters
    ----------
    measure : {"count", "c_coefficient"}
        ``count``: ``n_ab`` off the diagonal and ``n_a`` on it (int64). ``c_coefficient``:
        C off the diagonal (0.0 for pairs that never meet) and NaN on it.
    unit, code_ids, coder, document_ids
        As :func:`cooccurrence_table`.

    Returns
    -------
    DataFrame
        Index and columns ``code`` (paths of the codable codes, codebook order).

    Raises
    ------
    CodingError
        As :func:`cooccurrence_table`, or an unknown measure.
    """
    if measure not in ("count", "c_coefficient"):
        raise CodingError(_("Measure {measure!r} is unknown; use 'count' or 'c_coefficient'.").format(measure=measure))
    chosen, rows, n, n_ab = _prepare(session, unit, code_ids, coder, document_ids)
    ids = [cid for cid, _unused in rows]
    values = []
    for a in ids:
        line = []
        for b in ids:
            both = n_ab.get((min(a, b), max(a, b)), 0)
            if measure == "count":
                line.append(n.get(a, 0) if a == b else both)
            else:
                line.append(float("nan") if a == b else c_coefficient(n.get(a, 0), n.get(b, 0), both))
        values.append(line)
    labels = [p for _unused, p in rows]
    frame = pd.DataFrame(values, index=pd.Index(labels, name="code"), columns=pd.Index(labels, name="code"),
                         dtype="int64" if measure == "count" else "float64")
    frame.attrs = {"kind": "cooccurrence", "measure": measure, "row_ids": ids,
                   "options": {"unit": chosen, "coder": coder, "document_ids": document_ids}}
    return frame


def cooccurrence_cell(session: Session, code_a: int, code_b: int, *, unit: str,
                      conds: list[ColumnElement[bool]]) -> list[int]:
    """Coding ids of codes a and b that co-occur with the other code (by document, position)."""
    chosen = _unit(unit)
    rows = _codings(session, conds, {code_a, code_b})
    found: set[int] = set()
    if code_a == code_b:
        return [r[0] for r in rows]
    if chosen == "overlap":
        for x, y in overlapping_pairs(rows):
            found.update((x[0], y[0]))
    else:
        for present in paragraph_units(session, rows).values():
            if code_a in present and code_b in present:
                found.update(present[code_a])
                found.update(present[code_b])
    return [r[0] for r in rows if r[0] in found]
