"""Matching for auto-coding rules: checking patterns, running them over a text, widening
matches to sentences or paragraphs (the rules and their queue live in :mod:`coding.autocoding.autocode`).

Every span is ``[start, end)`` in Python code points over the stored text. Keywords and
regular expressions run over the text folded to simplified Chinese (same length, see
:mod:`coding.folding`); spaCy token patterns run on the tokens of the document's language
pipeline (``corpus.segment``), fed a line-aligned piece at a time.
"""
from __future__ import annotations

import bisect
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

import regex as _regex

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.errors import CodingError
from coding.folding import fold, folded_text
from coding.retrieval.search import compile_pattern, find_spans
from corpus.longruns import tame

__all__ = ["RULE_KINDS", "UNITS", "CompiledRule", "check_pattern", "check_unit", "keyword_regex", "rule_matches",
           "widen"]

RULE_KINDS = ("keywords", "regex", "spacy")
UNITS = ("match", "sentence", "paragraph")
_LATIN = "A-Za-z0-9\u00c0-\u024f"
_LATIN_CHAR = re.compile(f"[{_LATIN}]")
_CHUNK = 20_000  # code points of text handed to the spaCy tokenizer at a time


def check_unit(unit: Any) -> str:
    """``unit`` if it is ``"match"``, ``"sentence"`` or ``"paragraph"``, else ``CodingError``."""
    if unit not in UNITS:
        raise CodingError(_("Unit {unit!r} is unknown; use 'match', 'sentence' or 'paragraph'.").format(unit=unit))
    return unit


def _keywords(pattern: Any) -> list[str]:
    items = pattern.split("|") if isinstance(pattern, str) else pattern
    if not isinstance(items, (list, tuple)) or not all(isinstance(k, str) for k in items):
        raise CodingError(_("Keywords {pattern!r} must be a list of strings or one 'a|b|c' string.").format(
                            pattern=pattern))
    out: list[str] = []
    for k in items:
        word = unicodedata.normalize("NFC", k.strip())
        if word and word not in out:
            out.append(word)
    if not out:
        raise CodingError(_("Keywords {pattern!r} hold no word; give at least one.").format(pattern=pattern))
    return out


def keyword_regex(keywords: list[str], *, fold_traditional: bool, ignore_case: bool) -> _regex.Pattern:
    """One alternation of ``keywords`` (longest first) with Latin-edge boundaries only
    (``regex.V0``, run by :func:`coding.retrieval.search.find_spans` under its time limit)."""
    parts = []
    for word in sorted(keywords, key=len, reverse=True):
        w = fold(word) if fold_traditional else word
        head = f"(?<![{_LATIN}])" if _LATIN_CHAR.match(w[0]) else ""
        tail = f"(?![{_LATIN}])" if _LATIN_CHAR.match(w[-1]) else ""
        parts.append(head + re.escape(w) + tail)
    return _regex.compile("|".join(parts), _regex.V0 | (_regex.IGNORECASE if ignore_case else 0))


def _pipeline(language: str):
    """The cached spaCy pipeline of ``corpus.segment`` for a language (tokenizer used only)."""
    from corpus.segment import pipeline  # the segmenter's cached per-language pipelines

    return pipeline(language)


def _spacy_patterns(pattern: Any) -> list[list[dict]]:
    if isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern):
        pattern = [pattern]
    if (not isinstance(pattern, list) or not pattern
            or not all(isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in pattern)):
        raise CodingError(_("spaCy patterns must be a list of token patterns, each a non-empty list of dicts."))
    try:
        json.dumps(pattern)
        from spacy.matcher import Matcher

        Matcher(_pipeline("en").vocab, validate=True).add("RULE", pattern)
    except Exception as exc:  # spaCy raises MatchPatternError, ValueError or KeyError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise CodingError(_("spaCy pattern {pattern!r} is not valid: {first}").format(
                            pattern=pattern, first=first)) from None
    return pattern


def check_pattern(kind: Any, pattern: Any) -> Any:
    """``pattern`` in the stored form for ``kind``, or ``CodingError`` saying why not."""
    if kind not in RULE_KINDS:
        raise CodingError(_("Rule kind {kind!r} is unknown; use one of {names}.").format(
                            kind=kind, names=', '.join(RULE_KINDS)))
    if kind == "keywords":
        return _keywords(pattern)
    if kind == "regex":
        compile_pattern(pattern, regex=True)
        return unicodedata.normalize("NFC", pattern)
    return _spacy_patterns(pattern)


class CompiledRule:
    """A rule ready to run: ``spans(text, language) -> [(start, end)]`` (code points)."""

    def __init__(self, kind: str, pattern: Any, fold_traditional: bool, ignore_case: bool) -> None:
        self.kind, self.fold = kind, bool(fold_traditional)
        if kind == "keywords":
            self.regex = keyword_regex(pattern, fold_traditional=self.fold, ignore_case=bool(ignore_case))
        elif kind == "regex":
            self.regex = compile_pattern(pattern, regex=True, fold_traditional=self.fold,
                                         ignore_case=bool(ignore_case))
        else:
            self.patterns = pattern
            self._matchers: dict[str, Any] = {}

    def _matcher(self, language: str):
        if language not in self._matchers:
            from spacy.matcher import Matcher

            try:
                nlp = _pipeline(language)
            except ValueError:  # corpus.CorpusError: no pipeline for this language
                self._matchers[language] = None
                return None
            matcher = Matcher(nlp.vocab)
            matcher.add("RULE", self.patterns, greedy="LONGEST")
            self._matchers[language] = matcher
        return self._matchers[language]

    def spans(self, text: str, language: str, where: str = "a document") -> list[tuple[int, int]]:
        """Spans of the rule in ``text``; ``PatternTimeoutError`` (names ``where``) past the time limit."""
        if self.kind != "spacy":
            return find_spans(text, self.regex, self.fold, where=where)
        matcher = self._matcher(language)
        if matcher is None:
            return []
        hay = folded_text(text) if self.fold else text
        out: set[tuple[int, int]] = set()
        for offset, doc in _tokenized(language, hay):
            for _label, s, e in matcher(doc):
                span = doc[s:e]
                if span.end_char > span.start_char:
                    out.add((offset + span.start_char, offset + span.end_char))
        return sorted(out)


@lru_cache(maxsize=1)
def _tokenized(language: str, text: str) -> tuple[tuple[int, Any], ...]:
    """``(offset, spaCy Doc)`` per line-aligned piece of ``text``, kept for the next rule.

    A piece whose tokens do not reproduce it exactly is left out, so no offset can come
    from a tokenizer that changed the text.
    """
    nlp = _pipeline(language)
    out = []
    for offset, chunk in _line_chunks(text, _CHUNK):
        if language == "en":  # same length; runs of 100+ brackets/quotes/... are broken
            chunk = tame(chunk)  # (spaCy's English affix rules are quadratic in them)
        doc = nlp.make_doc(chunk)
        if doc.text == chunk:
            out.append((offset, doc))
    return tuple(out)


def _line_chunks(text: str, size: int):
    """``(offset, piece)`` pieces of ``text`` cut after a line break, about ``size`` long."""
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut >= start else end
        yield start, text[start:end]
        start = end


def widen(spans: list[tuple[int, int]], segs: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """``(unit_start, unit_end, match_start, match_end)`` for each match (``segs`` sorted)."""
    starts = [s for s, _unused in segs]
    out = []
    for s, e in spans:
        k1 = bisect.bisect_right(starts, s) - 1
        k2 = bisect.bisect_right(starts, e - 1) - 1
        if k1 >= 0 and segs[k1][1] > s and k2 >= 0 and segs[k2][1] >= e:
            out.append((segs[k1][0], segs[k2][1], s, e))
        else:
            out.append((s, e, s, e))
    return out


def rule_matches(session: Session, compiled: CompiledRule, unit: str, doc_id: int, text: str,
                 language: str, where: str = "a document") -> list[tuple[int, int, int, int]]:
    """``(unit_start, unit_end, match_start, match_end)`` of a rule in one document.

    Raises
    ------
    coding.retrieval.search.PatternTimeoutError
        A keyword or regex rule ran past ``coding.retrieval.search.REGEX_TIMEOUT`` on the document
        (named by ``where``).
    """
    spans = [(s, e) for s, e in compiled.spans(text, language, where) if text[s:e].strip()]
    if unit == "match" or not spans:
        return [(s, e, s, e) for s, e in spans]
    segs = [tuple(r) for r in session.execute(
        select(store.Segment.start, store.Segment.end)
        .where(store.Segment.document_id == doc_id, store.Segment.kind == unit).order_by(store.Segment.start))]
    return widen(spans, segs)
