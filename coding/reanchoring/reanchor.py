"""Importing a corrected version of a document and re-anchoring its codings on it.

Stored text never changes once coded (ARCHITECTURE.md, the offset rule). A corrected text
is therefore imported as a **new document** (through :func:`corpus.import_text`, so it is
normalised and gets its own segments and place mentions), and every coding of the old
document **moves** to it, keeping its id, GUID, links and memos (they point at the
coding, so they travel with it). Each coding is placed by the rules of
:mod:`coding.reanchoring.anchor` (qda.md §1.1):

- ``same_offsets``, ``context``, ``nearest_quote`` — exact; status ``anchored``, except
  a ``nearest_quote`` far from where the old start landed: ``review``;
- ``fuzzy`` — the quote and context are re-taken from the new text; status ``review``;
- ``unanchored`` — never dropped: the coding sits on the new document with the offsets,
  quote, prefix and suffix it had on the old text; status ``unanchored``.

A coding that was already ``review`` or ``unanchored`` comes out ``review`` when placed.
Two codings of the same code and coder that land on the same span (a passage coded
twice that the correction made one) become one, as the unique index
``ux_codings_one_span`` requires: the later is **folded** into the first (links, memos
and memo text move to it; status ``folded`` in the report, with a warning); undo
restores both.
The researcher fixes a placement with :func:`coding.update_coding` (new ``start``/``end``),
which marks it ``anchored``.

**The old document is kept**, read-only, with ``Document.superseded_by`` = the new id:
it is the record of what the old offsets meant, and memos written on the old document
stay there. A superseded document cannot get another new version (version its newest
one). The whole import is one ``document_version`` event: undo moves the codings back,
clears ``superseded_by`` and removes the new document.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import corpus
from i18n import _
import store
from coding.reanchoring.anchor import DEFAULT_THRESHOLD, OffsetMap, place
from coding.checks import as_coder, get_document
from coding.codings import CONTEXT
from coding.documents import document_text
from coding.errors import CodingError
from coding.eventlog.events import EventType, record
from coding.codes.merge import fold_coding_ops
from coding.eventlog.rowops import apply_ops

__all__ = ["REVIEW_COLUMNS", "ReanchorReport", "codings_to_review", "import_new_version", "versions"]

REPORT_COLUMNS = ["coding_id", "code_id", "coder", "method", "status", "score", "old_start", "old_end", "start",
                  "end", "quote", "new_quote"]
REVIEW_COLUMNS = ["id", "document_id", "document", "code_id", "code", "coder", "status", "start", "end", "quote"]


@dataclass(frozen=True)
class ReanchorReport:
    """What :func:`import_new_version` did.

    Attributes
    ----------
    old_document_id, new_document_id : int
    new_name : str
    event_id : int
        The ``document_version`` event (undo reverts it whole).
    threshold : float
        Similarity ratio a fuzzy placement needed.
    codings : list of dict
        One per coding of the old document, by old position: ``coding_id, code_id,
        coder, method`` (``same_offsets | context | nearest_quote | fuzzy |
        unanchored``), ``status`` (``anchored | review | unanchored | folded``), ``score`` (1.0 exact, the ratio for fuzzy, None if
        unanchored), ``old_start, old_end, start, end`` (code points; ``start``/``end``
        equal the old ones when unanchored), ``quote`` (old) and ``new_quote``.
    warnings : list of str
        Reader and normalisation notes from the import.
    """

    old_document_id: int
    new_document_id: int
    new_name: str
    event_id: int
    threshold: float
    codings: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Number of codings per method."""
        out: dict[str, int] = {}
        for c in self.codings:
            out[c["method"]] = out.get(c["method"], 0) + 1
        return out

    @property
    def unanchored(self) -> list[dict[str, Any]]:
        """The codings that could not be placed (kept, with their old offsets and quote)."""
        return [c for c in self.codings if c["method"] == "unanchored"]

    @property
    def review(self) -> list[dict[str, Any]]:
        """The codings placed by a fuzzy match, or placed after an earlier doubtful placement."""
        return [c for c in self.codings if c["status"] == "review"]

    def frame(self) -> pd.DataFrame:
        """:attr:`codings` as a DataFrame (columns as listed there)."""
        return pd.DataFrame(self.codings, columns=REPORT_COLUMNS)


def versions(session: Session, document_id: int) -> list[int]:
    """Ids of every version of a document, oldest first (via ``superseded_by``).

    Raises
    ------
    CodingError
        Unknown document.
    """
    doc = get_document(session, document_id)
    older: list[int] = []
    cur = doc.id
    while (prev := session.scalar(select(store.Document.id).where(store.Document.superseded_by == cur))) is not None:
        older.insert(0, prev)
        cur = prev
    chain = [*older, doc.id]
    nxt = doc.superseded_by
    while nxt is not None:
        chain.append(nxt)
        nxt = session.scalar(select(store.Document.superseded_by).where(store.Document.id == nxt))
    return chain


def _default_name(session: Session, doc: store.Document) -> str:
    base = re.sub(r" \(v\d+\)$", "", doc.name)
    return f"{base} (v{len(versions(session, doc.id)) + 1})"


def _read(doc: store.Document, source: Any, encoding: str | None) -> tuple[str, Any, list[str]]:
    """The normalised new text, the reader's result (``None`` for a string) and notes."""
    if isinstance(source, corpus.ReadResult):  # an uploaded file already read (corpus.read_bytes)
        return corpus.normalise(source.text), source, list(source.warnings)
    if isinstance(source, os.PathLike):
        try:
            result = corpus.read_file(Path(source), encoding=encoding)
        except corpus.CorpusError as err:
            raise CodingError(str(err)) from err
        return corpus.normalise(result.text), result, list(result.warnings)
    if isinstance(source, str):
        text = corpus.normalise(source)
        notes = [] if text == source else [
            f"The new text of {doc.name!r} was normalised (BOM, line breaks or Unicode NFC) before storing."]
        return text, None, notes
    raise CodingError(_("A new version of document {name!r} must be a text (str) or a file path (pathlib.Path), got "
                        "{name2}.").format(name=doc.name, name2=type(source).__name__))


def _placements(session: Session, old_text: str, new_text: str, doc_id: int, new_id: int,
                threshold: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    offsets = OffsetMap(old_text, new_text)
    ops, rows, notes = [], [], []
    taken: dict[tuple[int, int, int, str], store.Coding] = {}  # (code, start, end, coder) on the new version
    memo_text: dict[int, str] = {}
    for c in session.scalars(select(store.Coding).where(store.Coding.document_id == doc_id)
                             .order_by(store.Coding.start, store.Coding.end, store.Coding.id)):
        spot = place(new_text, c.start, c.end, c.quote, c.prefix, c.suffix, offsets, threshold)
        if spot is None:
            after: dict[str, Any] = {"document_id": new_id, "status": "unanchored"}
            method, status, s, e, score = "unanchored", "unanchored", c.start, c.end, None
        else:
            s, e, method, score = spot.start, spot.end, spot.method, round(spot.score, 4)
            status = "review" if spot.review or c.status != "anchored" else "anchored"
            after = {"document_id": new_id, "start": s, "end": e, "quote": new_text[s:e],
                     "prefix": new_text[max(0, s - CONTEXT):s], "suffix": new_text[e:e + CONTEXT], "status": status}
        keep = taken.get((c.code_id, s, e, c.coder))
        if keep is None:
            taken[(c.code_id, s, e, c.coder)] = c
            ops.append({"op": "update", "table": "codings", "id": c.id, "before": {}, "after": after})
        else:  # placed where the same coder's same code already landed: one coding per span (ux_codings_one_span)
            status = "folded"
            ops += fold_coding_ops(session, c, keep, memo_text)
            notes.append(_("Coding {id} landed on the span [{start}, {end}) where coding {keep} of the same code and "
                           "coder already sits, so it was folded into it (its links and memos moved there).").format(
                               id=c.id, start=s, end=e, keep=keep.id))
        rows.append({"coding_id": c.id, "code_id": c.code_id, "coder": c.coder, "method": method, "status": status,
                     "score": score, "old_start": c.start, "old_end": c.end, "start": s, "end": e, "quote": c.quote,
                     "new_quote": after.get("quote", c.quote)})
    return ops, rows, notes


def import_new_version(
    session: Session,
    document_id: int,
    new_text_or_path: "str | os.PathLike | corpus.ReadResult",
    *,
    name: str | None = None,
    coder: str = "researcher",
    threshold: float = DEFAULT_THRESHOLD,
    language: str | None = None,
    encoding: str | None = None,
) -> ReanchorReport:
    """Import a corrected version of a document and move its codings onto it.

    Parameters
    ----------
    session : Session
    document_id : int
        The document to replace; it must not be superseded already.
    new_text_or_path : str, os.PathLike or corpus.ReadResult
        The corrected text as a ``str``, a ``pathlib.Path`` to a file any reader of
        :mod:`corpus` handles (a plain ``str`` is always taken as text), or an uploaded
        file already read by :func:`corpus.read_bytes`.
    name : str, optional
        The new document's name; default ``"<old name> (vN)"``.
    coder : str
        Who imports (event log, undo stack).
    threshold : float
        Lowest ``SequenceMatcher`` ratio for a fuzzy placement, ``0 < threshold <= 1``.
    language : {"zh", "en"}, optional
        Default: the old document's.
    encoding : str, optional
        Overrides encoding detection when reading a file.

    Returns
    -------
    ReanchorReport

    Raises
    ------
    CodingError
        Unknown or superseded document, a bad threshold or source, a text identical to
        the stored one, or any import error of :mod:`corpus` (unreadable file, empty
        text, a name already used). Nothing is written then.
    """
    who = as_coder(coder)
    old = get_document(session, document_id)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise CodingError(_("Threshold {threshold!r} is not valid; give a similarity ratio in (0, 1].").format(
                            threshold=threshold))
    if old.superseded_by is not None:
        raise CodingError(_("Document {name!r} was already replaced by document {superseded_by}; import the "
                            "correction as a new version of that one.").format(
                            name=old.name, superseded_by=old.superseded_by))
    old_text = document_text(session, old.id)
    new_text, read, notes = _read(old, new_text_or_path, encoding)
    if new_text == old_text:
        raise CodingError(_("The new text of document {name!r} is identical to the stored one; nothing to re-anchor.").format(
                            name=old.name))
    new_name = _default_name(session, old) if name is None else name
    try:
        result = corpus.import_text(
            session, new_text, name=new_name, kind=old.kind, language=language or old.language,
            source_filename=read.filename if read is not None else old.source_filename,
            attributes=old.attributes, illustrative=bool(old.illustrative))
    except corpus.CorpusError as err:
        raise CodingError(str(err)) from err
    new = session.get(store.Document, result.document_id)
    if read is not None:
        new.source_sha256, new.encoding = read.source_sha256, read.encoding
    session.flush()
    stored = document_text(session, new.id)
    ops, rows, folded = _placements(session, old_text, stored, old.id, new.id, float(threshold))
    made = {"op": "insert", "table": "documents", "row": {"id": new.id, "guid": new.guid, "name": new.name}}
    try:
        done = apply_ops(session, [*ops, {"op": "update", "table": "documents", "id": old.id, "before": {},
                                          "after": {"superseded_by": result.document_id}}])
    except CodingError:
        apply_ops(session, [{"op": "delete", "table": "documents", "row": made["row"]}])  # leave nothing behind
        raise
    report_counts: dict[str, int] = {}
    for r in rows:
        report_counts[r["method"]] = report_counts.get(r["method"], 0) + 1
    payload = {"old_document_id": old.id, "new_document_id": result.document_id, "new_name": result.name,
               "threshold": float(threshold), "methods": report_counts, "ops": [made, *done]}
    event_id = record(session, EventType.DOCUMENT_VERSION, payload, who, result.document_id)
    warnings = notes + list(result.warnings) + folded
    return ReanchorReport(old.id, result.document_id, result.name, event_id, float(threshold), rows, warnings)


def codings_to_review(session: Session, document_id: int | None = None) -> pd.DataFrame:
    """Codings whose placement needs a look: status ``review`` or ``unanchored``.

    Parameters
    ----------
    document_id : int, optional
        Only this document's.

    Returns
    -------
    DataFrame
        ``id, document_id, document, code_id, code, coder, status, start, end, quote``
        (code points; an unanchored coding's offsets refer to the superseded text), by
        document and start.

    Raises
    ------
    CodingError
        Unknown document.
    """
    stmt = (select(store.Coding.id, store.Coding.document_id, store.Document.name, store.Coding.code_id,
                   store.Code.name, store.Coding.coder, store.Coding.status, store.Coding.start, store.Coding.end,
                   store.Coding.quote)
            .join(store.Document, store.Document.id == store.Coding.document_id)
            .join(store.Code, store.Code.id == store.Coding.code_id)
            .where(store.Coding.status.in_(["review", "unanchored"]))
            .order_by(store.Coding.document_id, store.Coding.start, store.Coding.id))
    if document_id is not None:
        stmt = stmt.where(store.Coding.document_id == get_document(session, document_id).id)
    return pd.DataFrame(session.execute(stmt).all(), columns=REVIEW_COLUMNS)
