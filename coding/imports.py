"""Importing a document as an undoable change: :mod:`corpus` import plus a ``document_import`` event.

``corpus`` sits to the left of ``coding`` and writes no events, so callers that want an
import on the coder's undo stack use :func:`import_source` (or call
:func:`record_import` right after ``corpus.import_bytes``/``import_text`` in the same
transaction). Undo removes the document with its segments, place mentions and memos
(refused while it has codings); redo puts it back with the same id, GUID and text.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

import corpus
from i18n import _
import store
from coding.checks import as_coder, get_document
from coding.errors import CodingError
from coding.eventlog.events import EventType, record

__all__ = ["import_source", "record_import"]


def record_import(session: Session, document_id: int, *, coder: str = "researcher") -> int:
    """Write the ``document_import`` event for a document just imported.

    Parameters
    ----------
    session : Session
        The session that imported it (same transaction).
    document_id : int
    coder : str
        Who imported (event log, undo stack).

    Returns
    -------
    int
        The event id.

    Raises
    ------
    CodingError
        Unknown document, bad coder, or the document's import is already recorded.
    """
    who = as_coder(coder)
    doc = get_document(session, document_id)
    known = session.scalar(select(store.Event.id).where(store.Event.type == EventType.DOCUMENT_IMPORT.value,
                                                        store.Event.document_id == doc.id).limit(1))
    if known is not None:
        raise CodingError(_("The import of document {name!r} is already recorded (event {known}).").format(
                            name=doc.name, known=known))
    meta = {"id": doc.id, "guid": doc.guid, "name": doc.name, "kind": doc.kind, "language": doc.language,
            "n_chars": doc.n_chars, "text_sha256": doc.text_sha256, "source_filename": doc.source_filename}
    ops = [{"op": "insert", "table": "documents", "row": {"id": doc.id, "guid": doc.guid, "name": doc.name}}]
    return record(session, EventType.DOCUMENT_IMPORT, {"document": meta, "ops": ops}, who, doc.id)


def import_source(
    session: Session,
    source: str | os.PathLike,
    *,
    name: str | None = None,
    kind: str = "interview",
    language: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    encoding: str | None = None,
    coder: str = "researcher",
) -> corpus.ImportResult:
    """Import a text (``str``) or a file (``pathlib.Path``) and record it as an undoable change.

    Parameters
    ----------
    source : str or os.PathLike
        The text itself, or a path to a .txt/.md/.docx/.pdf/.html file (a plain ``str``
        is always taken as text).
    name : str, optional
        Required for a text; for a file, defaults to its stem.
    kind, language, attributes, encoding
        As :func:`corpus.import_document` (``encoding`` only for files).
    coder : str
        Who imports (event log, undo stack).

    Returns
    -------
    corpus.ImportResult
        ``n_chars`` in code points.

    Raises
    ------
    CodingError
        Bad coder or source, a text without a name, or any :class:`corpus.CorpusError`
        (its sentence). Nothing is written then.
    """
    who = as_coder(coder)
    try:
        if isinstance(source, os.PathLike):
            result = corpus.import_document(session, Path(source), name=name, kind=kind, language=language,
                                            attributes=attributes, encoding=encoding)
        elif isinstance(source, str):
            if name is None:
                raise CodingError(_("A text imported from a string needs a name."))
            result = corpus.import_text(session, source, name=name, kind=kind, language=language,
                                        attributes=attributes)
        else:
            raise CodingError(_("A source must be a text (str) or a file path (pathlib.Path), got {name}.").format(
                                name=type(source).__name__))
    except corpus.CorpusError as err:
        raise CodingError(str(err)) from err
    record_import(session, result.document_id, coder=who)
    return result
