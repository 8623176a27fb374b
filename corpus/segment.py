"""Paragraphs and sentences of a canonical text, as code-point spans.

Paragraph rule
--------------
Lines are split at ``\\n``; a line holding only whitespace is *blank*; a maximal run
of non-blank lines is a *block*.

- **Blank-line documents** (Markdown, policy texts, .docx/.html output, most typed
  transcripts): when blank lines separate blocks at least twice and at least once per
  ``LINES_PER_BLANK`` (20) non-blank lines, each block is one paragraph, so soft-wrapped
  Markdown paragraphs stay whole.
- **Line documents** (text extracted from PDF, one-line-per-paragraph files): otherwise
  each line starts a new paragraph, except that a line *continues* into the next one when

  * it is a *wrapped* line: at least ``WRAP_SHARE`` (75 %) of the document's wrap width
    long and not ending in sentence-final punctuation or a colon (a closing quote or
    bracket after the mark counts as ending). The wrap width is the 90th percentile of
    the lengths of the document's lines of 20 or more code points (needs at least 5 such
    lines; otherwise nothing is treated as wrapped); or
  * it is a *speaker label* on its own line (``Dan:``, ``Participant:``, ``受访者：``:
    at most 3 short words ending in a colon), which joins the turn that follows.

  A page marker line (``1/5``, ``- 3 -``, ``第 2 页``, ``Page 2 of 5``) or a speaker
  label never continues a previous paragraph: it starts its own.

Spans never include leading or trailing whitespace.

Sentence rule
-------------
Each paragraph is run through a cached spaCy pipeline: ``spacy.blank("zh")`` with the
jieba segmenter plus a ``sentencizer`` whose punctuation is Chinese (。！？；…, full-width
and half-width forms, and ``! ? ;``), or ``spacy.blank("en")`` plus the default
sentencizer. Closing quotes and brackets after the mark stay in the sentence (spaCy's
sentencizer keeps following punctuation tokens). Opening quotes and brackets (“ ‘ 「 『 《 〈 （ ( ［ [ 【 〔,
and an ASCII ``"`` that the sentence leaves unbalanced) that the sentencizer leaves at the end of a
sentence are moved to the start of the sentence they open (``…推进。`` ‖ ``“放管服”改革…``, not
``…推进。“`` ‖ ``放管服”改革…``). List items ending in ``；`` are sentences of their own by default;
``semicolons="join"`` keeps them in the sentence that follows (the project setting
``SEGMENTATION_KEY``). The ASCII full stop is *not* a sentence
end in Chinese text (it occurs in numbers, abbreviations and English names). Sentences
never cross paragraph boundaries.

Long paragraphs: a paragraph is handed to spaCy in pieces of at most ``MAX_PIECE``
(5,000) code points, so the work stays linear in the text length (spaCy's jieba tokenizer
re-aligns words with a slice per word, quadratic in the length of what it is given: one
line of 1,000,000 code points of Chinese without punctuation took 146 s whole and takes 43 s
in pieces; 200,000 took 10.4 s and take 6.8 s). A paragraph longer than that is
cut after the last sentence end (a mark of the sentence rule, then any punctuation and
white space; English also needs white space after it) that leaves a piece of at most
``MAX_PIECE``; with no sentence end in reach it is cut at ``MAX_PIECE`` code points (at the
last white space of the piece's second half if there is one, never before a combining
mark or joiner), and that cut also ends a sentence. In English, a run of more than 100
punctuation or symbol characters (never prose; a line of brackets is quadratic for spaCy's
affix rules) is shown to the tokenizer with every 101st made a space (``corpus.longruns``).
Paragraphs up to ``MAX_PIECE`` (every ordinary paragraph) are segmented exactly as before. Offsets stay exact: each piece's
sentences are shifted by the piece's start.

Speed (``bench/import_speed.py``, one core): segmenting 1,000,000 code points takes about
3 s for Chinese (jieba tokenisation dominates) and under 1 s for English; loading the
Chinese pipeline once costs about 1.5 s. Full jieba tokenisation is kept at every length:
it is fast enough, and it keeps decimals ("3.5") and Latin words whole, which a
character-level split would not.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpus.errors import CorpusError
from corpus.longruns import tame
from i18n import _

__all__ = ["LINES_PER_BLANK", "MAX_PIECE", "SEGMENTATION_KEY", "SEMICOLON_MODES", "WRAP_SHARE", "ZH_PUNCT_CHARS",
           "Segmentation", "paragraphs", "pieces", "pipeline", "segment", "sentences"]

LINES_PER_BLANK = 20
WRAP_SHARE = 0.75
_WRAP_MIN_LINE = 20
_WRAP_MIN_LINES = 5

#: Longest piece of a paragraph handed to spaCy at once (code points).
MAX_PIECE = 5_000

ZH_PUNCT_CHARS = ["。", "！", "？", "；", "…", "!", "?", ";", "．", "｡", "﹒", "﹖", "﹗", "‼", "⁇", "⁈", "⁉"]

_CLOSERS = "\"'”’」』）)］]】〕》〉"
_ENDS_SENTENCE = re.compile(rf"[.!?。！？；;…:：][{re.escape(_CLOSERS)}]*$")
_LABEL = re.compile(r"^\s*[^\s:：]{1,30}(?:[ \t][^\s:：]{1,30}){0,2}\s*[:：]\s*$")
_PAGE_MARKER = re.compile(
    r"^\s*(?:\d{1,4}\s*/\s*\d{1,4}|[-–—]\s*\d{1,4}\s*[-–—]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|[Pp]age\s+\d{1,4}(?:\s+of\s+\d{1,4})?)\s*$"
)

Span = tuple[int, int]

_SENTENCE_MARKS = {"zh": frozenset(ZH_PUNCT_CHARS), "en": frozenset(".!?")}

#: Opening quotes and brackets: they belong to the sentence they open.
_OPENERS = frozenset("“‘「『《〈（(［[【〔｛{")

#: How list items ending in ；/; are segmented: each a sentence ("split"), or joined with what follows.
SEMICOLON_MODES = ("split", "join")

#: The project setting (``store.ProjectInfo`` key) holding ``{"semicolons": "split" | "join"}``.
SEGMENTATION_KEY = "segmentation"


@dataclass(frozen=True)
class Segmentation:
    """Paragraph and sentence spans ``[start, end)`` in code points, in text order.

    Every sentence lies inside exactly one paragraph.
    """

    paragraphs: list[Span]
    sentences: list[Span]


def _strip_span(text: str, start: int, end: int) -> Span | None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    if lead == len(piece):
        return None
    return (start + lead, end - trail)


def _lines(text: str) -> list[Span]:
    spans = []
    pos = 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _wrap_width(lengths: list[int]) -> float:
    long = [n for n in lengths if n >= _WRAP_MIN_LINE]
    if len(long) < _WRAP_MIN_LINES:
        return float("inf")
    return float(np.percentile(long, 90))


def paragraphs(text: str) -> list[Span]:
    """Paragraph spans of ``text`` by the rule in the module docstring.

    Parameters
    ----------
    text : str
        Canonical text (``\\n`` line breaks).

    Returns
    -------
    list of (start, end)
        Code-point spans, stripped of surrounding whitespace, non-empty, in order.
    """
    lines = _lines(text)
    stripped = [text[a:b].strip() for a, b in lines]
    blank = [not s for s in stripped]
    blocks: list[list[int]] = []
    for k, is_blank in enumerate(blank):
        if is_blank:
            continue
        if blocks and blocks[-1][-1] == k - 1:
            blocks[-1].append(k)
        else:
            blocks.append([k])
    if not blocks:
        return []
    n_nonblank = sum(len(b) for b in blocks)
    n_separators = len(blocks) - 1
    out: list[Span] = []
    if n_separators >= 2 and n_separators * LINES_PER_BLANK >= n_nonblank:
        for block in blocks:
            span = _strip_span(text, lines[block[0]][0], lines[block[-1]][1])
            if span:
                out.append(span)
        return out
    width = _wrap_width([len(s) for s in stripped if s])
    for block in blocks:
        start_line = block[0]
        for j, k in enumerate(block):
            last = j == len(block) - 1
            if last or not _continues(stripped[k], stripped[block[j + 1]], width):
                span = _strip_span(text, lines[start_line][0], lines[k][1])
                if span:
                    out.append(span)
                if not last:
                    start_line = block[j + 1]
    return out


def _continues(line: str, following: str, width: float) -> bool:
    """Whether ``line`` runs on into ``following`` within one paragraph (line documents)."""
    if _PAGE_MARKER.match(following) or _LABEL.match(following):
        return False
    if _LABEL.match(line):
        return True
    if _PAGE_MARKER.match(line):
        return False
    return len(line) >= WRAP_SHARE * width and not _ENDS_SENTENCE.search(line)


def _check_semicolons(semicolons: str) -> str:
    if semicolons not in SEMICOLON_MODES:
        raise CorpusError(_("Semicolon handling {semicolons!r} must be 'split' (each list item a sentence) or 'join'.")
                          .format(semicolons=semicolons))
    return semicolons


@lru_cache(maxsize=None)
def pipeline(language: str, semicolons: str = "split"):
    """The segmenter's spaCy pipeline for ``language`` (``"zh"``: ``spacy.blank`` with the jieba
    segmenter; ``"en"``), plus a sentencizer; cached per process, language and ``semicolons``
    (``"join"``: ；and ; do not end a sentence; not checked here). Auto-coding's spaCy rules run on
    its tokens (``coding.autocoding.match``); callers must not add pipes. Raises ``CorpusError`` for
    any other language."""
    import spacy

    if language == "zh":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        marks = ZH_PUNCT_CHARS if semicolons == "split" else [c for c in ZH_PUNCT_CHARS if c not in "；;"]
        nlp.add_pipe("sentencizer", config={"punct_chars": marks})
    elif language == "en":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")  # the English default has no ';' among its marks
    else:
        raise CorpusError(_("Language {language!r} is not supported for segmentation (use 'zh' or 'en').")
                          .format(language=language))
    nlp.max_length = 10**9
    return nlp


def _gap(ch: str) -> bool:
    """Punctuation or white space: what may sit between a sentence mark and the next sentence."""
    return ch.isspace() or unicodedata.category(ch)[0] == "P"


def _sentence_cut(text: str, start: int, limit: int, marks: frozenset, language: str) -> int | None:
    """The last position ``q`` in ``(start, limit)`` that starts a sentence: ``text[q]`` is
    neither punctuation nor space and the run of punctuation/space before it holds a mark
    (in English, followed by white space). Each character is looked at most twice."""
    k = limit - 1
    while k > start:
        if _gap(text[k]) or not _gap(text[k - 1]):
            k -= 1
            continue
        j, ok, spaced = k - 1, False, False
        while j >= start and _gap(text[j]):
            if text[j] in marks and (language != "en" or spaced):
                ok = True
            spaced = spaced or text[j].isspace()
            j -= 1
        if ok and j >= start:
            return k
        k = j
    return None


def _hard_cut(text: str, start: int, limit: int) -> int:
    """A character boundary at or before ``limit``: the last white space of the second half
    of ``[start, limit)`` if any, else ``limit``, moved back before combining marks and joiners."""
    space = max(text.rfind(" ", start + (limit - start) // 2, limit), text.rfind("\n", start + (limit - start) // 2,
                                                                                   limit))
    cut = space + 1 if space > start else limit
    while cut > start + 1 and (unicodedata.combining(text[cut]) or unicodedata.category(text[cut]) in ("Mn", "Me", "Mc")
                               or text[cut] in "\u200d\u200c\ufe0e\ufe0f"):
        cut -= 1
    return cut


def pieces(text: str, start: int, end: int, language: str, size: int = MAX_PIECE) -> list[Span]:
    """``[start, end)`` cut into consecutive pieces of at most ``size`` code points.

    Cuts fall after the last sentence end in reach, else at a character boundary (see the
    module docstring). The pieces tile ``[start, end)`` exactly. Linear in ``end - start``.
    """
    marks = _SENTENCE_MARKS.get(language, _SENTENCE_MARKS["en"])
    out: list[Span] = []
    a = start
    while end - a > size:
        limit = a + size
        cut = _sentence_cut(text, a, limit, marks, language)
        if cut is None or cut <= a:
            cut = _hard_cut(text, a, limit)
        out.append((a, cut))
        a = cut
    out.append((a, end))
    return out


def _trailing_openers(text: str, a: int, b: int) -> int:
    """How many code points at the end of the sentence ``[a, b)`` open the next one: a run of
    opening quotes/brackets (and white space between them) after the last other character; an
    ASCII ``"`` counts when the sentence holds an odd number of them (it is unbalanced)."""
    k = b
    while k > a:
        ch = text[k - 1]
        if ch in _OPENERS or (ch == '"' and text.count('"', a, k) % 2 == 1):
            k -= 1
        elif ch.isspace() and k < b:
            k -= 1
        else:
            break
    while k < b and text[k].isspace():
        k += 1
    return b - k


def _give_openers(text: str, spans: list[Span]) -> list[Span]:
    """Move each sentence's trailing opening quotes/brackets to the start of the sentence after it
    (spans of one paragraph, in order). A sentence made only of openers joins the next one."""
    out: list[Span] = []
    i = 0
    while i < len(spans):
        a, b = spans[i]
        if i + 1 < len(spans):
            n = _trailing_openers(text, a, b)
            if n:
                c, d = spans[i + 1]
                cut = b - n
                while cut > a and text[cut - 1].isspace():
                    cut -= 1
                spans[i + 1] = (b - n, d)
                if cut > a:
                    out.append((a, cut))
                else:
                    spans[i + 1] = (a, d)
                i += 1
                continue
        out.append((a, b))
        i += 1
    return out


def sentences(text: str, language: str, paragraph_spans: list[Span], semicolons: str = "split") -> list[Span]:
    """Sentence spans inside each paragraph span (see ``segment``); paragraphs longer than
    ``MAX_PIECE`` go to spaCy in pieces (``pieces``)."""
    nlp = pipeline(language, _check_semicolons(semicolons))
    out: list[Span] = []
    chunks = [piece for a, b in paragraph_spans for piece in pieces(text, a, b, language)]
    # English: spaCy's affix rules are quadratic in a run of brackets/quotes; ``tame`` breaks
    # runs over 100 of them (same length, so offsets hold; prose is passed unchanged).
    prepare = tame if language == "en" else (lambda piece: piece)
    texts = (prepare(text[a:b]) for a, b in chunks)
    for (p_start, p_end), doc in zip(chunks, nlp.pipe(texts, batch_size=256)):
        found: list[Span] = []
        for sent in doc.sents:
            span = _strip_span(text[p_start:p_end], sent.start_char, sent.end_char)
            if span:
                found.append((p_start + span[0], p_start + span[1]))
        out.extend(_give_openers(text, found))
    return out


def segment(text: str, language: str, semicolons: str = "split") -> Segmentation:
    """Paragraphs and sentences of a canonical text.

    Parameters
    ----------
    text : str
        Canonical text (NFC, ``\\n`` line breaks).
    language : {"zh", "en"}
        Selects the sentence pipeline.
    semicolons : {"split", "join"}
        List items ending in ；/; as sentences of their own (default) or joined with what follows.

    Returns
    -------
    Segmentation
        Spans ``[start, end)`` in code points; see the module docstring for the rules.

    Raises
    ------
    CorpusError
        ``language`` is not ``"zh"`` or ``"en"``, or ``semicolons`` is not a mode.
    """
    pipeline(language, _check_semicolons(semicolons))  # refuse an unsupported language before any work
    paras = paragraphs(text)
    return Segmentation(paragraphs=paras, sentences=sentences(text, language, paras, semicolons))
