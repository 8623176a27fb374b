"""Importing a document into a project: text, segments and place mentions, atomically.

Every function validates and computes everything (decoding, normalisation, language,
segmentation, place matching) before the first write, then adds the ``Document``, its
``Segment`` rows (paragraphs and sentences, ``idx`` 1-based per kind) and its
``PlaceMention`` rows (unambiguous mentions only) inside the caller's transaction,
without committing. On a ``CorpusError`` nothing has been added to the session.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

import store
from corpus.errors import CorpusError
from corpus.language import detect_language
from corpus.name_keys import clean_label, name_key
from corpus.names import BadNameError
from corpus.mentions import matcher_for_session
from corpus.places import Mention
from corpus.readers import ReadResult, read_bytes, read_file
from corpus.segment import segment
from corpus.segment_setting import segmentation_setting
from corpus.text import max_text_chars, normalise, too_long_message
from i18n import _, ngettext

KINDS = ("interview", "field note", "policy")
LANGUAGES = ("zh", "en")
_NAME_MAX = 500  # store.Document.name is String(500)


@dataclass(frozen=True)
class ImportResult:
    """What one import wrote.

    Attributes
    ----------
    document_id : int
        Primary key of the new ``store.Document``.
    name : str
        The document's (unique) name.
    n_chars : int
        Length of the stored text in code points.
    encoding : str or None
        Encoding the bytes were decoded with; None for text given as ``str``, .docx, .pdf.
    language : str
        ``"zh"`` or ``"en"`` (given or detected).
    n_paragraphs, n_sentences : int
        Segment rows written per kind.
    n_mentions : int
        ``PlaceMention`` rows written (unambiguous mentions).
    warnings : list of str
        Reader warnings, ambiguous place names (not stored) and normalisation notes.
    cleaning : dict or None
        With ``clean_transcript=True``: what was removed and joined before storing
        (``corpus.readers.ReadResult.cleaning``: counts, examples and a ``"summary"`` sentence).
    """

    document_id: int
    name: str
    n_chars: int
    encoding: str | None
    language: str
    n_paragraphs: int
    n_sentences: int
    n_mentions: int
    warnings: list[str] = field(default_factory=list)
    cleaning: dict | None = None


def import_text(
    session: Session,
    text: str,
    *,
    name: str,
    kind: str = "interview",
    language: str | None = None,
    source_filename: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    illustrative: bool = False,
) -> ImportResult:
    """Import a text given as a string (demo corpus, pasted text).

    Parameters
    ----------
    session : Session
        Open session; rows are added in its transaction (not committed).
    text : str
        The document text; it is normalised (BOM, CRLF/CR -> LF, NFC) before storing.
    name : str
        Unique document name (at most 500 characters).
    kind : {"interview", "field note", "policy"}
    language : {"zh", "en"} or None
        None detects it from the script (``detect_language``).
    source_filename : str, optional
        Recorded on the document.
    attributes : mapping, optional
        JSON-serialisable document attributes (interviewee role, city, date, ...).
    illustrative : bool
        True for texts written by the team for the demo (stored as 1).

    Returns
    -------
    ImportResult

    Raises
    ------
    CorpusError
        Empty text, bad kind/language/attributes, a name holding a line break, control
        character or bidi override, or a name already in the project (compared by
        ``corpus.name_keys.name_key``: "Ｐ1" and "P1\u200b" are "P1"). The name is stored in
        the form of ``corpus.name_keys.clean_label``; the text itself is never changed by it.
    """
    if not isinstance(text, str):
        raise CorpusError(_("{value}: the text must be a str, not {type}.")
                          .format(value=source_filename or name, type=type(text).__name__))
    canonical = normalise(text)
    notes = []
    if canonical != text:
        notes.append(_("{name}: the text was normalised (BOM, line breaks or Unicode NFC) before storing.")
                     .format(name=name))
    return _import(
        session, canonical, name=name, kind=kind, language=language, source_filename=source_filename,
        source_sha256=None, encoding=None, attributes=attributes, illustrative=illustrative, warnings=notes,
    )


def import_bytes(
    session: Session,
    data: bytes,
    filename: str,
    *,
    name: str | None = None,
    kind: str = "interview",
    language: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    illustrative: bool = False,
    clean_transcript: bool = False,
) -> ImportResult:
    """Import the bytes of an uploaded file (the UI's ``st.file_uploader``).

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its name; the extension selects the reader; the stem is the default ``name``.
    encoding : str, optional
        Overrides encoding detection for .txt/.md/.html.
    max_bytes : int, optional
        Size limit (default: env ``TANDEM_MAX_IMPORT_MB`` or 50 MiB).
    clean_transcript : bool
        Default False. True removes line numbers, page markers and running headers/footers
        and joins hard-wrapped lines into utterances at speaker labels before storing
        (``corpus.transcript_clean``); ``ImportResult.cleaning`` says what was removed.
    Other parameters as ``import_text``.

    Raises
    ------
    CorpusError
        Unreadable, empty or oversized file, unknown extension, or any ``import_text`` error.
    """
    result = read_bytes(data, filename, encoding=encoding, max_bytes=max_bytes, clean_transcript=clean_transcript)
    return _import_read(session, result, name, kind, language, attributes, illustrative)


def import_document(
    session: Session,
    path: str | Path,
    *,
    name: str | None = None,
    kind: str = "interview",
    language: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    illustrative: bool = False,
    clean_transcript: bool = False,
) -> ImportResult:
    """Import a file from disk (.txt .md .docx .odt .rtf .pdf .html .htm).

    Parameters as ``import_bytes``; ``name`` defaults to the file's stem.

    Raises
    ------
    CorpusError
        As ``import_bytes``, or the file does not exist.
    """
    result = read_file(path, encoding=encoding, max_bytes=max_bytes, clean_transcript=clean_transcript)
    return _import_read(session, result, name, kind, language, attributes, illustrative)


def import_files(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    kind: str = "interview",
    language: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    illustrative: bool = False,
    clean_transcript: bool = False,
) -> list[ImportResult]:
    """Import several files, each in its own transaction, named after their stems.

    Files are imported in the given order. When one fails, nothing of *that* file is
    written and a ``CorpusError`` naming it is raised; the files before it stay
    imported (committed) and the files after it are not attempted.

    Returns
    -------
    list of ImportResult
        One per file, in order.

    Raises
    ------
    CorpusError
        The first file that cannot be imported, by name, with the reason.
    """
    results = []
    for path in paths:
        path = Path(path)
        try:
            with store.session_scope(engine) as session:
                results.append(
                    import_document(
                        session, path, kind=kind, language=language, attributes=attributes,
                        encoding=encoding, max_bytes=max_bytes, illustrative=illustrative,
                        clean_transcript=clean_transcript,
                    )
                )
        except CorpusError:
            raise
        except Exception as exc:  # a database error while writing: still name the file
            raise CorpusError(
                _("{name}: could not be imported ({type}: {exc}); {n} earlier file(s) were imported.")
                .format(name=path.name, type=exc.__class__.__name__, exc=exc, n=len(results))
            ) from exc
    return results


def _import_read(session, result: ReadResult, name, kind, language, attributes, illustrative) -> ImportResult:
    imported = _import(
        session, result.text, name=name if name is not None else Path(result.filename).stem,
        kind=kind, language=language, source_filename=result.filename, source_sha256=result.source_sha256,
        encoding=result.encoding, attributes=attributes, illustrative=illustrative, warnings=list(result.warnings),
    )
    if result.cleaning is None:
        return imported
    return dataclasses.replace(imported, cleaning=result.cleaning)


def _validate(session, text, *, name, kind, language, attributes, label) -> tuple[str, str, dict]:
    if not isinstance(name, str) or not name.strip():
        raise CorpusError(_("{label}: the document needs a non-empty name.").format(label=label))
    try:  # NFKC (full-width punctuation kept), invisible characters removed; controls and bidi refused
        name = clean_label(name, "document name", max_len=10 * _NAME_MAX)
    except BadNameError as exc:  # the label is the refused name itself unless a file is named
        raise CorpusError(str(exc) if label == name else f"{label}: {exc}") from None
    if len(name) > _NAME_MAX:
        raise CorpusError(_("{label}: the document name is {n} characters long; the limit is {name_max}.")
                          .format(label=label, n=len(name), name_max=_NAME_MAX))
    if kind not in KINDS:
        raise CorpusError(_("{label}: kind {kind!r} is not one of {names}.")
                          .format(label=label, kind=kind, names=', '.join(KINDS)))
    if language is not None and language not in LANGUAGES:
        raise CorpusError(_("{label}: language {language!r} is not supported (use 'zh', 'en' or None to detect).")
                          .format(label=label, language=language))
    if attributes is None:
        attrs: dict = {}
    elif not isinstance(attributes, Mapping) or not all(isinstance(k, str) for k in attributes):
        raise CorpusError(_("{label}: attributes must be a mapping with string keys.").format(label=label))
    else:
        attrs = dict(attributes)
        try:
            json.dumps(attrs, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise CorpusError(_("{label}: attributes cannot be stored as JSON ({exc}).")
                              .format(label=label, exc=exc)) from exc
    if not text.strip():
        raise CorpusError(_("{label}: contains no text.").format(label=label))
    key = name_key(name)
    taken = next((other for other in session.scalars(select(store.Document.name)) if name_key(other) == key), None)
    if taken is not None:
        raise CorpusError(
            _("{label}: a document named {taken!r} is already in the project; import it under another name "
              "(name=...).")
            .format(label=label, taken=taken)
        )
    return name, (language or detect_language(text)), attrs


def _import(
    session, text, *, name, kind, language, source_filename, source_sha256, encoding,
    attributes, illustrative, warnings,
) -> ImportResult:
    label = source_filename or (name if isinstance(name, str) and name.strip() else "document")
    limit = max_text_chars()
    if isinstance(text, str) and len(text) > limit:
        raise CorpusError(too_long_message(label, len(text), limit))
    name, language, attrs = _validate(
        session, text, name=name, kind=kind, language=language, attributes=attributes, label=label
    )
    seg = segment(text, language, semicolons=segmentation_setting(session))
    matcher = matcher_for_session(session)
    mentions = matcher.find(text) if matcher is not None else []
    stored = [m for m in mentions if not m.ambiguous]
    warnings = list(warnings) + _ambiguity_warnings(session, label, [m for m in mentions if m.ambiguous])

    doc = store.Document(
        name=name, kind=kind, language=language, source_filename=source_filename,
        source_sha256=source_sha256, encoding=encoding, text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), n_chars=len(text),
        attributes=attrs, illustrative=1 if illustrative else 0,
    )
    session.add(doc)
    session.flush()
    rows = [
        {"document_id": doc.id, "kind": "paragraph", "idx": k, "start": a, "end": b}
        for k, (a, b) in enumerate(seg.paragraphs, start=1)
    ] + [
        {"document_id": doc.id, "kind": "sentence", "idx": k, "start": a, "end": b}
        for k, (a, b) in enumerate(seg.sentences, start=1)
    ]
    if rows:
        session.execute(insert(store.Segment), rows)
    if stored:
        session.execute(
            insert(store.PlaceMention),
            [
                {"document_id": doc.id, "city_code": m.codes[0], "start": m.start, "end": m.end, "surface": m.surface}
                for m in stored
            ],
        )
    return ImportResult(
        document_id=doc.id, name=name, n_chars=len(text), encoding=encoding, language=language,
        n_paragraphs=len(seg.paragraphs), n_sentences=len(seg.sentences), n_mentions=len(stored),
        warnings=warnings,
    )


def _ambiguity_warnings(session, label: str, mentions: list[Mention]) -> list[str]:
    if not mentions:
        return []
    groups: dict[tuple[str, tuple[str, ...]], int] = defaultdict(int)
    for m in mentions:
        groups[(m.surface, m.codes)] += 1
    codes = {c for _, cs in groups for c in cs}
    names = dict(session.execute(select(store.City.code, store.City.name).where(store.City.code.in_(codes))).all())
    out = []
    for (surface, cs), count in groups.items():
        options = _(" or ").join(f"{names.get(c, c)} ({c})" for c in cs)
        out.append(ngettext(
            "{label}: {surface!r} (once) could be {options}; this mention is not stored, link it by hand.",
            "{label}: {surface!r} ({n} times) could be {options}; these mentions are not stored, link them by hand.",
            count).format(label=label, surface=surface, n=count, options=options))
    return out
