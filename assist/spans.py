"""Span arithmetic shared by search, suggestions and evaluation: which units a set of codings (or
suggestions) overlaps, which codes sit on each unit, and the documents a call works on.

Overlap follows ``coding.agreement.units``: spans ``[start, end)`` in code points overlap when
``start < other_end`` and ``end > other_start`` (one shared character is enough). Units of one
document never overlap each other (they are stored segments of one kind), so per document both
their starts and their ends are sorted, and a span's units are found with two binary searches.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from assist.errors import AssistError
from i18n import _

__all__ = ["UNITS", "check_unit", "codes_on", "codings_frame", "document_ids", "overlap_mask", "overlapped_by"]

UNITS = ("sentence", "paragraph")


def check_unit(unit: Any) -> str:
    """``unit`` if it is ``"sentence"`` or ``"paragraph"``; else AssistError (one sentence)."""
    if unit not in UNITS:
        raise AssistError(_("Unit {unit!r} is unknown; use 'sentence' or 'paragraph'.").format(unit=unit))
    return unit


def document_ids(session: Session, documents: Any = None) -> list[int]:
    """Ids of the documents named or numbered in ``documents`` (default: every current document,
    i.e. not replaced by a corrected version), in import order.

    Parameters
    ----------
    documents : int, str or iterable of int/str, optional
        Document ids or names.

    Raises
    ------
    AssistError
        An id or name that is not a document.
    """
    d = store.Document
    rows = session.execute(select(d.id, d.name, d.superseded_by).order_by(d.id)).all()
    if documents is None:
        return [i for i, _n, sup in rows if sup is None]
    if isinstance(documents, (str, int, np.integer)):
        documents = [documents]
    by_id = {i: n for i, n, _s in rows}
    by_name: dict[str, int] = {}
    for i, n, sup in rows:  # a name shared by a superseded version and its successor means the current one
        if n not in by_name or sup is None:
            by_name[n] = i
    out: list[int] = []
    for value in documents:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in by_id:
            found = int(value)
        elif isinstance(value, str) and value in by_name:
            found = by_name[value]
        else:
            raise AssistError(_("Document {document!r} does not exist.").format(document=value))
        if found not in out:
            out.append(found)
    return out


def codings_frame(session: Session, document_ids: list[int] | None = None, *, human_only: bool = False
                  ) -> pd.DataFrame:
    """Anchored codings (status other than ``unanchored``) of these documents.

    Returns
    -------
    DataFrame
        ``coding_id, document_id, code_id, code, coder, origin, start, end, quote``, by document
        and start.
    """
    c = store.Coding
    stmt = (select(c.id, c.document_id, c.code_id, store.Code.name, c.coder, c.origin, c.start, c.end, c.quote)
            .join(store.Code, store.Code.id == c.code_id)
            .where(c.status != "unanchored").order_by(c.document_id, c.start, c.id))
    if document_ids is not None:
        stmt = stmt.where(c.document_id.in_(list(document_ids)))
    if human_only:
        stmt = stmt.where(c.origin == "human")
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["coding_id", "document_id", "code_id", "code", "coder", "origin", "start", "end",
                                 "quote"])


def _ranges(units: pd.DataFrame, spans: pd.DataFrame):
    """For each span, the positions (into ``units``) of the units it overlaps: yields
    ``(span_row_position, unit_positions)``."""
    if units.empty or spans.empty:
        return
    unit_docs = units["document_id"].to_numpy()
    by_doc = {}
    for d in np.unique(unit_docs):
        pos = np.flatnonzero(unit_docs == d)
        order = pos[np.argsort(units["start"].to_numpy()[pos], kind="stable")]
        by_doc[int(d)] = (order, units["start"].to_numpy()[order], units["end"].to_numpy()[order])
    for k, (d, s, e) in enumerate(zip(spans["document_id"], spans["start"], spans["end"])):
        found = by_doc.get(int(d))
        if found is None:
            continue
        order, starts, ends = found
        lo = np.searchsorted(ends, s, side="right")
        hi = np.searchsorted(starts, e, side="left")
        if hi > lo:
            yield k, order[lo:hi]


def overlap_mask(units: pd.DataFrame, spans: pd.DataFrame) -> np.ndarray:
    """Boolean array (len(units),): True where a unit overlaps at least one of ``spans``.

    Both frames have ``document_id, start, end`` (code points)."""
    out = np.zeros(len(units), dtype=bool)
    for _k, pos in _ranges(units, spans):
        out[pos] = True
    return out


def overlapped_by(units: pd.DataFrame, spans: pd.DataFrame) -> list[list[int]]:
    """For each unit, the positions (into ``spans``) of the spans overlapping it, in span order."""
    out: list[list[int]] = [[] for _ in range(len(units))]
    for k, pos in _ranges(units, spans):
        for p in pos:
            out[p].append(k)
    return out


def codes_on(units: pd.DataFrame, codings: pd.DataFrame) -> list[list[str]]:
    """For each unit, the sorted distinct names of the codes of the codings overlapping it."""
    names = codings["code"].tolist() if not codings.empty else []
    return [sorted({names[k] for k in ks}) for ks in overlapped_by(units, codings)]
