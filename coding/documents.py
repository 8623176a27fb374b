"""Reading documents for coding: the list, the text, segments as coding units, and the
paragraph number of an offset (for citations "document, ¶ n").

Offsets are Python code points over the stored NFC text, ``[start, end)``, 0-based;
paragraph and sentence numbers (``idx``) are 1-based, as the segmenter writes them.
:mod:`coding.codings` re-exports the readers. The only writers here are those of document
attributes (``Document.attributes``, a JSON object of name -> text or number):
:func:`set_document_attribute`, :func:`delete_document_attribute`,
:func:`set_document_attributes` (many cells at once), :func:`rename_document_attribute` and
:func:`delete_attribute` (defined in :mod:`coding.doc_attributes`); each writes one
``attributes_set`` event whose row ops undo it (:mod:`coding.eventlog.undo`).
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_id, get_document
from coding.errors import CodingError

SEGMENT_KINDS = ("sentence", "paragraph")
DOCUMENT_COLUMNS = ["id", "name", "kind", "language", "n_chars", "n_codings", "illustrative", "superseded_by"]
SEGMENT_COLUMNS = ["idx", "start", "end", "text", "codes", "code_ids"]


def check_kind(kind: Any) -> str:
    """``kind`` if it is ``"sentence"`` or ``"paragraph"``, else ``CodingError``."""
    if kind not in SEGMENT_KINDS:
        raise CodingError(_("Segment kind {kind!r} is unknown; use 'sentence' or 'paragraph'.").format(kind=kind))
    return kind


def documents(session: Session) -> pd.DataFrame:
    """Every document, in import order.

    Returns
    -------
    DataFrame
        ``id, name, kind, language, n_chars, n_codings, illustrative, superseded_by``;
        ``n_chars`` in code points, ``n_codings`` counts codings of all coders,
        ``illustrative`` is a bool (True for texts written by the team for the demo),
        ``superseded_by`` the id of the corrected version that replaced the document
        (``None`` for a current one; see :mod:`coding.reanchoring.reanchor`).
    """
    n_sub = (select(store.Coding.document_id, func.count(store.Coding.id).label("n"))
             .group_by(store.Coding.document_id).subquery())
    rows = session.execute(
        select(store.Document.id, store.Document.name, store.Document.kind, store.Document.language,
               store.Document.n_chars, func.coalesce(n_sub.c.n, 0), store.Document.illustrative,
               store.Document.superseded_by)
        .outerjoin(n_sub, n_sub.c.document_id == store.Document.id)
        .order_by(store.Document.id)
    ).all()
    frame = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
    frame["illustrative"] = frame["illustrative"].astype(bool)
    frame["superseded_by"] = pd.Series([r[-1] for r in rows], dtype=object)
    return frame


def document_text(session: Session, document_id: int) -> str:
    """The stored text of a document (NFC, ``\\n`` line breaks).

    Raises
    ------
    CodingError
        The document does not exist.
    """
    doc_id = as_id(document_id, "Document id")
    text = session.scalar(select(store.Document.text).where(store.Document.id == doc_id))
    if text is None:
        raise CodingError(_("Document {document_id!r} does not exist.").format(document_id=document_id))
    return text


def get_segment(session: Session, document_id: int, kind: str, idx: int) -> store.Segment:
    """The segment ``idx`` (1-based) of this kind, or ``CodingError``."""
    doc = get_document(session, document_id)
    check_kind(kind)
    number = as_id(idx, "Segment number")
    seg = session.scalar(select(store.Segment).where(
        store.Segment.document_id == doc.id, store.Segment.kind == kind, store.Segment.idx == number))
    if seg is None:
        raise CodingError(_("Document {name!r} has no {kind} number {number}.").format(
                            name=doc.name, kind=kind, number=number))
    return seg


def segment_spans(session: Session, document_id: int, kind: str) -> pd.DataFrame:
    """Only the spans of a document's sentences or paragraphs (no text, no codes): cheap.

    Returns
    -------
    DataFrame
        ``idx`` (1-based), ``start``, ``end`` (code points), in text order.

    Raises
    ------
    CodingError
        Unknown document or kind.
    """
    doc = get_document(session, document_id)
    check_kind(kind)
    rows = session.execute(
        select(store.Segment.idx, store.Segment.start, store.Segment.end)
        .where(store.Segment.document_id == doc.id, store.Segment.kind == kind)
        .order_by(store.Segment.start, store.Segment.idx)
    ).all()
    return pd.DataFrame(rows, columns=["idx", "start", "end"])


def segments(session: Session, document_id: int, kind: str) -> pd.DataFrame:
    """The sentences or paragraphs of a document as coding units.

    Parameters
    ----------
    session : Session
    document_id : int
    kind : {"sentence", "paragraph"}

    Returns
    -------
    DataFrame
        One row per segment in order: ``idx`` (1-based), ``start``, ``end`` (code points),
        ``text`` (``text[start:end]``), ``codes`` (names of the codes applied to exactly this
        span, any coder, sorted by name) and ``code_ids`` (their ids, same order).

    Raises
    ------
    CodingError
        Unknown document or kind.
    """
    doc = get_document(session, document_id)
    spans = segment_spans(session, doc.id, kind)
    segs = spans.itertuples(index=False, name=None)
    text = document_text(session, doc.id)
    coded: dict[tuple[int, int], dict[int, str]] = {}
    stmt = (select(store.Coding.start, store.Coding.end, store.Code.id, store.Code.name)
            .join(store.Code, store.Code.id == store.Coding.code_id)
            .where(store.Coding.document_id == doc.id))
    for start, end, cid, name in session.execute(stmt):
        coded.setdefault((start, end), {})[cid] = name
    rows = []
    for idx, start, end in segs:
        on = sorted(coded.get((start, end), {}).items(), key=lambda kv: (kv[1], kv[0]))
        rows.append((idx, start, end, text[start:end], [n for _unused, n in on], [c for c, _unused in on]))
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def paragraph_of(session: Session, document_id: int, offset: int) -> int:
    """The 1-based number of the paragraph holding code point ``offset``.

    An offset between two paragraphs (in the blank lines) gets the paragraph before it;
    an offset before the first paragraph gets the first.

    Raises
    ------
    CodingError
        Unknown document, ``offset`` outside ``0..n_chars``, or a document without
        paragraph segments.
    """
    doc = get_document(session, document_id)
    pos = as_id(offset, "Offset")
    if not 0 <= pos <= doc.n_chars:
        raise CodingError(_("Offset {pos} is outside document {name!r} (0 to {n_chars} code points).").format(
                            pos=pos, name=doc.name, n_chars=doc.n_chars))
    base = select(store.Segment.idx).where(store.Segment.document_id == doc.id, store.Segment.kind == "paragraph")
    idx = session.scalar(base.where(store.Segment.start <= pos).order_by(store.Segment.start.desc()).limit(1))
    if idx is None:
        idx = session.scalar(base.order_by(store.Segment.start).limit(1))
    if idx is None:
        raise CodingError(_("Document {name!r} has no paragraph segments.").format(name=doc.name))
    return int(idx)


def document_attributes(session: Session) -> pd.DataFrame:
    """Every document with its kind and attributes, one column per attribute (for filters).

    Returns
    -------
    DataFrame
        ``id, name, kind, language, superseded_by``, then one column per attribute key
        found on any document (other than those five names), in alphabetical order, holding the value as text
        (``str(value)``; ``None`` where a document lacks the attribute).
    """
    rows = session.execute(
        select(store.Document.id, store.Document.name, store.Document.kind, store.Document.language,
               store.Document.superseded_by, store.Document.attributes).order_by(store.Document.id)).all()
    base = ["id", "name", "kind", "language", "superseded_by"]
    keys = sorted({str(k) for r in rows for k in (r[-1] or {})} - set(base))  # an attribute never hides a column
    data = [[*r[:-1], *(None if (r[-1] or {}).get(k) is None else str(r[-1][k]) for k in keys)] for r in rows]
    frame = pd.DataFrame(data, columns=[*base, *keys])
    frame["superseded_by"] = pd.Series([r[4] for r in rows], dtype=object)
    return frame


def documents_where(session: Session, *, kinds: Any = None, attributes: dict[str, Any] | None = None,
                    current_only: bool = False) -> list[int]:
    """Ids of the documents of these kinds whose attributes have the given values.

    Parameters
    ----------
    kinds : str or iterable of str, optional
        ``"interview"``, ``"field note"``, ``"policy"``; default any.
    attributes : dict, optional
        ``{key: value}``: keep documents whose attribute ``key`` reads ``value`` (compared
        as text, as :func:`document_attributes` shows it); a value may also be a list of
        accepted values.
    current_only : bool
        Leave out documents replaced by a corrected version (``superseded_by`` set).

    Returns
    -------
    list of int
        In import order (possibly empty).

    Raises
    ------
    CodingError
        Attributes that are not a mapping.
    """
    if attributes is not None and not isinstance(attributes, dict):
        raise CodingError(_("Document attributes {attributes!r} must be a mapping of key to value.").format(
                            attributes=attributes))
    wanted = None if kinds is None else ({kinds} if isinstance(kinds, str) else set(kinds))
    frame = document_attributes(session)
    keep = []
    for row in frame.to_dict("records"):
        if wanted is not None and row["kind"] not in wanted:
            continue
        if current_only and row["superseded_by"] is not None:
            continue
        ok = True
        for key, value in (attributes or {}).items():
            accepted = {str(v) for v in value} if isinstance(value, (list, tuple, set)) else {str(value)}
            if row.get(str(key)) not in accepted:
                ok = False
        if ok:
            keep.append(int(row["id"]))
    return keep


# The writers of document attributes live in coding.doc_attributes; they are re-exported here.
from coding.doc_attributes import (  # noqa: E402,F401
    RESERVED_ATTRIBUTES, attribute_values, changes_from_table, check_attribute_name, check_attribute_value,
    delete_attribute, delete_document_attribute, parse_value, rename_document_attribute, set_document_attribute,
    set_document_attributes,
)
