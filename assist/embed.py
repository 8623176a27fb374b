"""Stored embeddings of a project's units (issue 13): every sentence and paragraph of the corpus
(``store.Segment`` of that kind) embedded once by the sentence encoder and kept in
``store.UnitEmbedding``, recomputed only when the unit's text or the encoder changes.

A stored row is *current* for a unit when its ``model`` is ``assist.encoder.model_id()`` and its
``text_hash`` is the SHA-256 hex of the unit's text ``Document.text[start:end]`` (code points).
``ensure`` embeds the units that have no current row and deletes the rows that no longer match a
unit; ``vectors`` reads the current rows as one matrix without touching the encoder; ``status``
counts.

Units skipped everywhere: a unit whose text has fewer than 2 characters after stripping white
space (a stray bullet, a lone digit) is neither embedded nor returned. Documents replaced by a
corrected version (``Document.superseded_by`` set) are left out unless named in ``document_ids``.
Vectors are stored as ``dim`` little-endian float32 (``np.asarray(v, '<f4').tobytes()``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select

from assist.errors import AssistError
from i18n import _
from applog.program import command_name

__all__ = ["UNITS", "MIN_CHARS", "ensure", "vectors", "status", "text_hash"]

UNITS = ("sentence", "paragraph")
#: Units with fewer characters than this (after strip) are skipped.
MIN_CHARS = 2
#: Units encoded and written per round: bounds memory (texts + vectors of one round).
ROUND = 1024


def text_hash(text: str) -> str:
    """SHA-256 hex of the UTF-8 bytes of ``text`` (what ``UnitEmbedding.text_hash`` holds)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise AssistError(_("Unknown unit {unit}: choose sentence or paragraph.").format(unit=unit))


def _documents(session, document_ids) -> list[tuple[int, str]]:
    """(id, name) of the documents to work on, by id: all current ones, or exactly those named."""
    from store import Document

    q = select(Document.id, Document.name).order_by(Document.id)
    if document_ids is None:
        q = q.where(Document.superseded_by.is_(None))
        return [(i, n) for i, n in session.execute(q)]
    wanted = {int(i) for i in document_ids}
    rows = [(i, n) for i, n in session.execute(q.where(Document.id.in_(wanted)))] if wanted else []
    if len(rows) != len(wanted):
        raise AssistError(_("{n} of the chosen documents are not in the project.").format(n=len(wanted) - len(rows)))
    return rows


def _doc_units(session, doc_id: int, unit: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The document's text and its units (start, end, text hash) in order of start, short ones left out."""
    from store import Document, Segment

    text = session.execute(select(Document.text).where(Document.id == doc_id)).scalar_one()
    spans = session.execute(select(Segment.start, Segment.end).where(
        Segment.document_id == doc_id, Segment.kind == unit).order_by(Segment.start, Segment.end)).all()
    out = []
    for start, end in spans:
        piece = text[start:end]
        if len(piece.strip()) >= MIN_CHARS:
            out.append((start, end, text_hash(piece)))
    return text, out


def _stored(session, doc_id: int, unit: str) -> list[tuple[int, str, int, int, str]]:
    """(row id, model, start, end, text hash) of the document's stored rows of that unit (no vectors)."""
    from store import UnitEmbedding as E

    return session.execute(select(E.id, E.model, E.start, E.end, E.text_hash).where(
        E.document_id == doc_id, E.unit == unit)).all()


def _plan(session, docs, unit: str, model: str) -> Iterator[tuple[int, list[int], list[tuple[int, int, str]]]]:
    """Per document: (id, row ids to delete, units to embed). Rows of this model that match no
    current unit are stale, and so are rows of an older version of the same encoder."""
    from assist.encoder import MODEL_NAME

    family = MODEL_NAME + "@"
    for doc_id, _name in docs:
        _text, units = _doc_units(session, doc_id, unit)
        wanted = {(s, e): h for s, e, h in units}
        current: set[tuple[int, int]] = set()
        stale: list[int] = []
        for row_id, row_model, s, e, h in _stored(session, doc_id, unit):
            if row_model == model and wanted.get((s, e)) == h and (s, e) not in current:
                current.add((s, e))
            elif row_model == model or row_model.startswith(family):
                stale.append(row_id)
        todo = [u for u in units if (u[0], u[1]) not in current]
        yield doc_id, stale, todo


def ensure(session, document_ids: Iterable[int] | None = None, unit: str = "sentence",
           progress: Callable[[int, int], None] | None = None, encoder=None) -> int:
    """Embed every unit of the documents (all current documents when ``document_ids`` is None) that
    has no current row, and delete the stale rows of those documents and that unit. Returns the
    number of units embedded (0 when everything was current: the encoder is then not loaded).

    ``unit`` is "sentence" or "paragraph" (AssistError otherwise, and for unknown document ids).
    ``progress(done, total)`` is called before the first round and after each round of ``ROUND``
    units. ``encoder`` defaults to ``assist.encoder.encoder()``. Rows are added in the caller's
    session (flushed each round, committed by the caller); memory is bounded by one round.
    """
    from store import UnitEmbedding as E

    from assist.encoder import model_id

    _check_unit(unit)
    model = model_id()
    docs = _documents(session, document_ids)
    plan = []
    for doc_id, stale, todo in _plan(session, docs, unit, model):
        if stale:
            for lo in range(0, len(stale), 500):
                session.execute(delete(E).where(E.id.in_(stale[lo:lo + 500])))
        if todo:
            plan.append((doc_id, [(s, e, h) for s, e, h in todo]))
    total = sum(len(t) for _d, t in plan)
    if progress is not None:
        progress(0, total)
    if total == 0:
        session.flush()
        return 0
    if encoder is None:
        from assist.encoder import encoder as _encoder

        encoder = _encoder()
    done = 0
    pending: list[tuple[int, int, int, str, str]] = []  # doc id, start, end, hash, text

    def flush_round() -> None:
        nonlocal done, pending
        if not pending:
            return
        vecs = np.asarray(encoder.encode([p[4] for p in pending]), dtype="<f4")
        session.execute(insert(E), [
            {"document_id": d, "unit": unit, "start": s, "end": e, "model": model, "text_hash": h,
             "dim": int(vecs.shape[1]), "vector": vecs[i].tobytes()}
            for i, (d, s, e, h, _t) in enumerate(pending)])
        session.flush()
        done += len(pending)
        pending = []
        if progress is not None:
            progress(done, total)

    from store import Document

    for doc_id, todo in plan:
        text = session.execute(select(Document.text).where(Document.id == doc_id)).scalar_one()
        for s, e, h in todo:
            pending.append((doc_id, s, e, h, text[s:e]))
            if len(pending) >= ROUND:
                flush_round()
    flush_round()
    return done


def vectors(session, unit: str = "sentence", document_ids: Iterable[int] | None = None,
            model: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The current vectors of the units, without running the encoder.

    Returns ``(refs, matrix)``: ``refs`` has one row per unit, ordered by document id then start,
    with columns ``document_id, document`` (name), ``start, end`` (code points) and ``text``;
    ``matrix`` is ``(len(refs), dim)`` float32, row i the L2-normalised vector of ``refs`` row i.
    ``model`` defaults to ``assist.encoder.model_id()``.

    Raises AssistError (one sentence) if any unit has no current row: call ``ensure`` first.
    """
    from store import UnitEmbedding as E

    _check_unit(unit)
    if model is None:
        from assist.encoder import model_id

        model = model_id()
    docs = _documents(session, document_ids)
    refs: list[tuple] = []
    blocks: list[np.ndarray] = []
    missing = 0
    dim = None
    for doc_id, name in docs:
        text, units = _doc_units(session, doc_id, unit)
        if not units:
            continue
        rows = session.execute(select(E.start, E.end, E.text_hash, E.dim, E.vector).where(
            E.document_id == doc_id, E.unit == unit, E.model == model)).all()
        stored = {(s, e): (h, d, v) for s, e, h, d, v in rows}
        vecs = []
        for s, e, h in units:
            got = stored.get((s, e))
            if got is None or got[0] != h:
                missing += 1
                continue
            dim = got[1] if dim is None else dim
            vecs.append(np.frombuffer(got[2], dtype="<f4"))
            refs.append((doc_id, name, s, e, text[s:e]))
        if vecs and not missing:
            blocks.append(np.vstack(vecs))
    if missing:
        raise AssistError(_("{n} units are not embedded yet; embed the documents first "
                            "(`{cli} embed`).").format(n=missing, cli=command_name()))
    frame = pd.DataFrame(refs, columns=["document_id", "document", "start", "end", "text"])
    if not blocks:
        from assist.encoder import DIM

        return frame, np.zeros((0, dim or DIM), dtype=np.float32)
    return frame, np.ascontiguousarray(np.vstack(blocks), dtype=np.float32)


def status(session, unit: str = "sentence") -> dict:
    """``{"units": n, "embedded": m, "model": model_id()}`` over the current documents: ``n`` units
    to embed (short ones left out), ``m`` of them with a current row. Does not load the encoder."""
    from store import UnitEmbedding as E

    from assist.encoder import model_id

    _check_unit(unit)
    model = model_id()
    n = m = 0
    for doc_id, _name in _documents(session, None):
        _text, units = _doc_units(session, doc_id, unit)
        n += len(units)
        if not units:
            continue
        stored = {(s, e): h for s, e, h in session.execute(select(E.start, E.end, E.text_hash).where(
            E.document_id == doc_id, E.unit == unit, E.model == model))}
        m += sum(1 for s, e, h in units if stored.get((s, e)) == h)
    return {"units": n, "embedded": m, "model": model}
