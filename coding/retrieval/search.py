"""Text search across the corpus (keyword in context) and bulk coding of reviewed hits.

A pattern is matched against each document's stored text, optionally *folded* from
traditional to simplified Chinese first (:mod:`coding.folding`; the folded copy has the
same length, so every span is exact on the original text). Literal patterns match any
substring: Chinese has no spaces between words, so no word boundary is assumed.
Regular expressions use Python's :mod:`re` syntax, run by the ``regex`` package in its
``V0`` (re-compatible) mode so that every match has a time limit: a pattern that takes
longer than ``REGEX_TIMEOUT`` seconds on one document (catastrophic backtracking such as
``(a+)+$``) stops with one sentence naming the pattern and the document, and a search stops
after ``SEARCH_BUDGET`` seconds of matching over all documents. Patterns longer
than ``MAX_PATTERN`` code points are refused.

All offsets are Python code points over the stored NFC text, ``[start, end)``, 0-based.
"""
from __future__ import annotations

import bisect
import re
import time
import unicodedata
from typing import Any, Iterable

import pandas as pd
import regex as _regex
from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder, as_id, as_ids, get_code
from coding.codings import add_coding
from coding.errors import CodingError
from coding.folding import fold, folded_text

__all__ = ["HIT_COLUMNS", "MAX_PATTERN", "REGEX_TIMEOUT", "SEARCH_BUDGET", "PatternTimeoutError", "code_hits",
           "compile_pattern", "find_spans", "paragraph_starts", "search"]

#: Seconds one pattern may run over one document before it is stopped.
REGEX_TIMEOUT = 2.0
#: Seconds one search may spend matching over all documents together.
SEARCH_BUDGET = 30.0
#: Longest pattern accepted, in code points.
MAX_PATTERN = 1000


class PatternTimeoutError(CodingError):
    """A regular expression ran past ``REGEX_TIMEOUT`` on a document (message names both)."""

HIT_COLUMNS = ["document_id", "document", "start", "end", "match", "before", "after", "paragraph"]


def compile_pattern(pattern: Any, *, regex: bool = False, fold_traditional: bool = True,
                    ignore_case: bool = True) -> _regex.Pattern:
    """The compiled form of a search pattern, ready to run over (folded) text.

    Parameters
    ----------
    pattern : str
        Literal text, or a regular expression when ``regex``; normalised to NFC, and folded
        to simplified Chinese when ``fold_traditional`` (Han characters are never regex
        syntax, so folding a regular expression is safe).
    regex : bool
    fold_traditional : bool
    ignore_case : bool
        Case-insensitive matching (``IGNORECASE`` with simple case folding, as in :mod:`re`,
        which never changes lengths).

    Returns
    -------
    regex.Pattern
        Compiled with ``regex.V0`` (the :mod:`re`-compatible behaviour); run it with
        :func:`find_spans`, which applies the time limit.

    Raises
    ------
    CodingError
        The pattern is not a non-empty string, is longer than ``MAX_PATTERN`` code points,
        or the regular expression is invalid.
    """
    if not isinstance(pattern, str) or not pattern:
        raise CodingError(_("Search pattern {pattern!r} is not valid; give a non-empty string.").format(
                            pattern=pattern))
    if len(pattern) > MAX_PATTERN:
        raise CodingError(_("Search pattern {value!r}… is {n} characters long; at most {max_pattern} are allowed.").format(
                            value=pattern[:30], n=len(pattern), max_pattern=MAX_PATTERN))
    text = unicodedata.normalize("NFC", pattern)
    if fold_traditional:
        text = fold(text)
    source = text if regex else re.escape(text)
    if regex:  # Python's own parser judges validity, so the errors users know stay the same
        try:
            re.compile(source, re.IGNORECASE if ignore_case else 0)
        except re.error as exc:
            where = "" if exc.pos is None else f" at position {exc.pos}"
            raise CodingError(_("Regular expression {pattern!r} is not valid: {msg}{where}.").format(
                                pattern=pattern, msg=exc.msg, where=where)) from None
        except (OverflowError, RecursionError, MemoryError):
            raise CodingError(_("Regular expression {value!r} is too complex to compile.").format(
                                value=pattern[:60])) from None
    try:
        return _regex.compile(source, _regex.V0 | (_regex.IGNORECASE if ignore_case else 0))
    except _regex.error as exc:
        where = "" if getattr(exc, "pos", None) is None else f" at position {exc.pos}"
        raise CodingError(_("Regular expression {pattern!r} is not valid: {msg}{where}.").format(
                            pattern=pattern, msg=exc.msg, where=where)) from None
    except (OverflowError, RecursionError, MemoryError):
        raise CodingError(_("Regular expression {value!r} is too complex to compile.").format(
                            value=pattern[:60])) from None


def find_spans(text: str, compiled: Any, fold_traditional: bool = True, *, where: str = "a document",
               timeout: float | None = None) -> list[tuple[int, int]]:
    """Non-empty, non-overlapping matches of ``compiled`` in ``text``, left to right, within
    a time limit.

    Parameters
    ----------
    text : str
        The stored (original) text.
    compiled : regex.Pattern
        From :func:`compile_pattern` with the same ``fold_traditional`` (a ``re.Pattern``
        is accepted too and runs without a limit).
    fold_traditional : bool
        Match against the folded copy of ``text``.
    where : str
        The document's name, for the message.
    timeout : float, optional
        Seconds for the whole scan of ``text``; default ``REGEX_TIMEOUT``.

    Returns
    -------
    list of (start, end)
        Code-point spans over ``text``; zero-length matches are dropped.

    Raises
    ------
    PatternTimeoutError
        The scan took longer than ``timeout`` seconds.
    """
    hay = folded_text(text) if fold_traditional else text
    if not isinstance(compiled, _regex.Pattern):
        return [m.span() for m in compiled.finditer(hay) if m.end() > m.start()]
    limit = REGEX_TIMEOUT if timeout is None else timeout
    try:
        return [m.span() for m in compiled.finditer(hay, timeout=limit) if m.end() > m.start()]
    except TimeoutError:
        raise PatternTimeoutError(_("The pattern {value} took longer than {limit:g} s on {where}; simplify it.").format(
                                    value=compiled.pattern[:80], limit=limit, where=where)) from None


def paragraph_starts(session: Session, document_id: int) -> tuple[list[int], list[int]]:
    """Sorted paragraph starts (code points) of a document and their 1-based numbers."""
    rows = session.execute(
        select(store.Segment.start, store.Segment.idx)
        .where(store.Segment.document_id == document_id, store.Segment.kind == "paragraph")
        .order_by(store.Segment.start)
    ).all()
    return [r[0] for r in rows], [r[1] for r in rows]


def _paragraph(starts: list[int], numbers: list[int], offset: int) -> int | None:
    """The paragraph holding ``offset`` (the one before a gap; the first before any)."""
    if not starts:
        return None
    k = bisect.bisect_right(starts, offset) - 1
    return numbers[max(k, 0)]


def check_document_ids(session: Session, document_ids: Any) -> list[int]:
    if document_ids is None:
        return list(session.scalars(select(store.Document.id).order_by(store.Document.id)))
    wanted = as_ids(document_ids, "Document ids")
    known = set(session.scalars(select(store.Document.id).where(store.Document.id.in_(wanted))))
    missing = [d for d in wanted if d not in known]
    if missing:
        raise CodingError(_("Document {value} does not exist.").format(value=missing[0]))
    return wanted


def search(
    session: Session,
    pattern: str,
    *,
    regex: bool = False,
    document_ids: int | Iterable[int] | None = None,
    fold_traditional: bool = True,
    ignore_case: bool = True,
    context: int = 30,
    limit: int | None = None,
) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``pattern`` in the corpus.

    Parameters
    ----------
    session : Session
    pattern : str
        Literal text (any substring, no word boundaries) or, with ``regex=True``, a Python
        regular expression.
    regex : bool
    document_ids : int or iterable of int, optional
        Search only these documents (default: all, in import order).
    fold_traditional : bool
        Fold traditional to simplified Chinese on both sides, so 通办 finds 通辦.
    ignore_case : bool
    context : int
        Code points of text returned before and after each match.
    limit : int, optional
        Stop after this many hits.

    Returns
    -------
    DataFrame
        One row per hit, by document then position: ``document_id, document, start, end,
        match, before, after, paragraph``. ``start``/``end`` are code points over the
        stored text and ``match == text[start:end]`` as stored (traditional characters
        stay traditional); ``paragraph`` is the 1-based paragraph holding ``start``
        (nullable ``Int64``; missing when the document has no paragraph segments).

    Raises
    ------
    CodingError
        Empty, overlong or invalid pattern, unknown document, a negative ``context`` or
        ``limit``; ``PatternTimeoutError`` when the pattern runs past ``REGEX_TIMEOUT``
        seconds on one document or ``SEARCH_BUDGET`` seconds over all of them.
    """
    span = as_id(context, "Context")
    cap = None if limit is None else as_id(limit, "Limit")
    if span < 0 or (cap is not None and cap < 0):
        raise CodingError(_("Context {span} and limit {limit} must be 0 or more.").format(span=span, limit=limit))
    compiled = compile_pattern(pattern, regex=regex, fold_traditional=fold_traditional, ignore_case=ignore_case)
    rows: list[tuple] = []
    deadline = time.monotonic() + SEARCH_BUDGET
    for doc_id in check_document_ids(session, document_ids):
        if cap is not None and len(rows) >= cap:
            break
        name, text = session.execute(
            select(store.Document.name, store.Document.text).where(store.Document.id == doc_id)).one()
        left = deadline - time.monotonic()
        try:
            limit = max(min(REGEX_TIMEOUT, left), 0.01)
            spans = find_spans(text, compiled, fold_traditional, where=name, timeout=limit)
        except PatternTimeoutError:
            if left > REGEX_TIMEOUT:
                raise
            raise PatternTimeoutError(_("The pattern {value} took longer than {search_budget:g} s over the corpus "
                                        "(stopped at {name}); simplify it.").format(
                                        value=compiled.pattern[:80], search_budget=SEARCH_BUDGET, name=name)) from None
        if not spans:
            continue
        starts, numbers = paragraph_starts(session, doc_id)
        for s, e in spans:
            rows.append((doc_id, name, s, e, text[s:e], text[max(0, s - span):s], text[e:e + span],
                         _paragraph(starts, numbers, s)))
            if cap is not None and len(rows) >= cap:
                break
    frame = pd.DataFrame(rows, columns=HIT_COLUMNS)
    frame["paragraph"] = frame["paragraph"].astype("Int64")
    return frame.astype({"document_id": "int64", "start": "int64", "end": "int64"})


def code_hits(
    session: Session,
    hits: pd.DataFrame,
    code_ids: int | Iterable[int],
    coder: str = "researcher",
    *,
    memo: str = "",
) -> list[int]:
    """Code reviewed search hits in bulk (one :func:`coding.add_coding` per distinct span).

    Every hit is checked before anything is written: its document exists, its span lies
    in the text and holds more than whitespace, and (when the frame has a ``match``
    column) the text there still reads ``match``.

    Parameters
    ----------
    session : Session
    hits : DataFrame
        Rows of :func:`search` (perhaps filtered by the researcher); needs
        ``document_id, start, end`` (code points).
    code_ids : int or iterable of int
        Codable codes applied to every hit.
    coder : str
    memo : str
        Stored on each new coding.

    Returns
    -------
    list of int
        Coding ids (new or already existing), hit by hit and code by code, without
        duplicates.

    Raises
    ------
    CodingError
        Missing columns, an unknown document or code, a category code, or a hit that
        does not fit the text. Nothing is written then.
    """
    who = as_coder(coder)
    if not isinstance(hits, pd.DataFrame) or not {"document_id", "start", "end"} <= set(hits.columns):
        raise CodingError(_("Hits must be a DataFrame with document_id, start and end columns (from search)."))
    codes = as_ids(code_ids, "Code ids")
    for cid in codes:
        code = get_code(session, cid)
        if not code.codable:
            raise CodingError(_("Code {name!r} is a category and cannot be applied to text.").format(name=code.name))
    spans: dict[tuple[int, int, int], None] = {}
    texts: dict[int, str] = {}
    for k, row in enumerate(hits.itertuples(index=False)):
        doc_id, s, e = (as_id(getattr(row, f), f"Hit {k + 1} {f}") for f in ("document_id", "start", "end"))
        if doc_id not in texts:
            found = session.scalar(select(store.Document.text).where(store.Document.id == doc_id))
            if found is None:
                raise CodingError(_("Hit {value}: document {doc_id} does not exist.").format(
                                    value=k + 1, doc_id=doc_id))
            texts[doc_id] = found
        text = texts[doc_id]
        if not 0 <= s < e <= len(text) or not text[s:e].strip():
            raise CodingError(_("Hit {value}: span [{s}, {e}) is empty, blank or outside document {doc_id}.").format(
                                value=k + 1, s=s, e=e, doc_id=doc_id))
        if "match" in hits.columns and text[s:e] != getattr(row, "match"):
            raise CodingError(_("Hit {value}: the text at [{s}, {e}) of document {doc_id} no longer reads "
                                "{match!r}.").format(
                                value=k + 1, s=s, e=e, doc_id=doc_id, match=getattr(row, "match")))
        spans[(doc_id, s, e)] = None
    out: list[int] = []
    for doc_id, s, e in spans:
        for cid in add_coding(session, doc_id, s, e, codes, coder=who, memo=memo):
            if cid not in out:
                out.append(cid)
    return out
