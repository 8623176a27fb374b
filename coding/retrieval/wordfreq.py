"""Word frequencies per document, per code and per group of documents (issue 10, part 6).

Words
-----
- **Chinese** (runs of Han characters, CJK blocks incl. Extension A and B): jieba in precise mode
  (``cut_all=False``, HMM on) through a **private** ``jieba.Tokenizer()``, to which the project's
  city names (full and short) and Chinese code names are added, so that 苏州市 or a code such as
  社会需求 stays one word; jieba's global tokenizer, used by spaCy's ``zh`` pipeline elsewhere,
  is never changed.
- **Other scripts**: whole words, Unicode-aware (letters of any alphabet, joined by an inner
  apostrophe or hyphen: ``don't``, ``cross-border``, ``café``), lower-cased.
- Numbers and punctuation are dropped (anything with no letter, a word touching a digit such as
  ``3rd`` or ``covid19``, a Chinese word made only of numeral characters such as 八十六, or of
  numerals and one measure word such as 一项, 两个 or 十二项); so are **stop words** (the project's list,
  :func:`coding.retrieval.stopwords.get_stopwords`) and words shorter than ``min_length`` code points (default 2, which drops
  Chinese single characters).

Measures, for each group (a document, a code's coded text, a group of documents, or the corpus):
``count`` (occurrences), ``per_1000`` = 1000 × count / ``tokens``, where ``tokens`` counts every
word of the group's text before stop words and the length limit are applied (so editing the
stop-word list does not change the rate of the other words; the "normalised frequency per 1,000
words" of corpus linguistics, e.g. Biber, Conrad & Reppen 1998, *Corpus Linguistics*, ch. 9), and
``n_documents``, the number of the group's documents the word occurs in.

A code's text is the union of the spans coded with it (and with its sub-codes when asked) in each
document, so a passage coded twice is counted once. Documents replaced by a corrected version are
left out.

Time and memory: documents are read one at a time; each text (document or coded span) is
tokenised once and its word counts (``collections.Counter``) are kept in an in-memory cache keyed
by the SHA-256 of the text and the project words added to jieba (at most :data:`CACHE_ENTRIES` texts
and :data:`CACHE_PAIRS` word counts in all; the oldest are dropped first).
"""
from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
from collections import Counter, OrderedDict
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.documents import document_attributes
from coding.errors import CodingError
from coding.retrieval.queries import expand_codes, retrieve
# the stop-word list has its own module; its names stay importable from here, where callers look
from coding.retrieval.stopwords import (STOPWORDS_KEY, clean_stopwords, default_stopwords, get_stopwords,
                                        reset_stopwords, set_stopwords)
from coding.tree import codebook

__all__ = ["BY", "CACHE_ENTRIES", "STOPWORDS_KEY", "COLUMNS", "default_stopwords", "get_stopwords", "set_stopwords",
           "reset_stopwords", "tokenize", "word_counts", "project_words", "word_frequencies", "frequency_file_frame"]

#: Ways to group the text.
BY = ("corpus", "document", "code", "group")
#: Texts whose word counts are kept in memory, and the most (word, count) pairs kept over all of them
#: (about 100 bytes each: ~100 MB at the limit; words are interned, so shared between texts).
CACHE_ENTRIES = 4096
CACHE_PAIRS = 1_000_000
#: Columns of :func:`word_frequencies`.
COLUMNS = ["group", "word", "count", "per_1000", "n_documents", "tokens", "group_documents"]
#: Group label of the whole corpus and of documents without the grouping attribute.
ALL_DOCUMENTS = "All documents"
NO_VALUE = "(no value)"
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"([{_HAN_CLASS}]+)")
_HAN_ONLY = re.compile(f"[{_HAN_CLASS}]+")
_WORD = re.compile(r"(?<!\w)[^\W\d_]+(?:['’\-][^\W\d_]+)*(?!\w)")
_NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")
#: Measure words (classifiers) that make a numeral + one of them a number: 一项, 两个, 三年.
_MEASURES = frozenset("个项件次年份家位条种名天月批张本类层级处所户座套台辆元块号周期")

_cache: OrderedDict[tuple[str, str], Counter] = OrderedDict()
_cache_pairs = 0
_cache_lock = threading.Lock()
_tokenizer: tuple[str, Any] | None = None  # (key of the added words, jieba.Tokenizer)
_tokenizer_lock = threading.Lock()


# --- tokens ---------------------------------------------------------------------------------

def project_words(session: Session) -> list[str]:
    """Words added to jieba for this project: city names (full and short) and code names that are
    Chinese only (2-20 Han characters), sorted."""
    names: set[str] = set()
    for name, short in session.execute(select(store.City.name, store.City.short_name)):
        names.update(n for n in (name, short) if n)
    names.update(session.scalars(select(store.Code.name)))
    return sorted(n for n in names if 2 <= len(n) <= 20 and _HAN_ONLY.fullmatch(n))


def _words_key(words: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(words))).encode("utf-8")).hexdigest()


def _jieba(words: list[str]) -> Any:
    """A private jieba tokenizer holding the project's words (kept while the words stay the same)."""
    global _tokenizer
    key = _words_key(words)
    with _tokenizer_lock:
        if _tokenizer is not None and _tokenizer[0] == key:
            return _tokenizer[1]
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        for word in words:
            tok.add_word(word)  # frequency suggested by jieba so that the word stays whole
        _tokenizer = (key, tok)
        return tok


def _is_word(token: str) -> bool:
    """A token with a letter that is not a number: not only numeral characters (十二, 八十六), nor
    numerals and one measure word (一项, 两个, 十二项), nor two or more numerals and one character."""
    if not any(ch.isalpha() for ch in token):
        return False
    lead = len(token) - len(token.lstrip("".join(_NUMERALS)))
    rest = len(token) - lead
    return not (rest == 0 or (lead >= 1 and rest == 1 and token[-1] in _MEASURES) or (lead >= 2 and rest == 1))


def tokenize(text: str, words: list[str] | None = None) -> list[str]:
    """Every word of ``text`` in order (numbers and punctuation dropped; stop words kept).

    Parameters
    ----------
    text : str
    words : list of str, optional
        Extra words for jieba (e.g. :func:`project_words`).

    Returns
    -------
    list of str
        Chinese words from jieba's precise mode, other words lower-cased.
    """
    out: list[str] = []
    tok = None
    for part in _HAN_RUN.split(text):
        if not part:
            continue
        if _HAN_ONLY.fullmatch(part):
            if tok is None:
                tok = _jieba(list(words or []))
            out.extend(t for t in tok.lcut(part, cut_all=False, HMM=True) if _is_word(t))
        else:
            out.extend(m.group(0).lower() for m in _WORD.finditer(part))
    return out


def word_counts(text: str, words: list[str] | None = None) -> Counter:
    """``Counter`` of :func:`tokenize`'s words, cached by the text's SHA-256 and the extra words.

    The returned counter is shared with the cache: do not change it.
    """
    key = (_words_key(words or []), hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    global _cache_pairs
    counts = Counter(sys.intern(w) for w in tokenize(text, words))
    with _cache_lock:
        if key not in _cache:
            _cache[key] = counts
            _cache_pairs += len(counts)
        while _cache and (len(_cache) > CACHE_ENTRIES or _cache_pairs > CACHE_PAIRS):
            _unused, dropped = _cache.popitem(last=False)
            _cache_pairs -= len(dropped)
    return counts


# --- frequencies ----------------------------------------------------------------------------

class _Group:
    __slots__ = ("counts", "docs", "tokens", "documents")

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.docs: Counter = Counter()
        self.tokens = 0
        self.documents: set[int] = set()

    def add(self, doc: int, counts: Counter, keep) -> None:
        self.tokens += sum(counts.values())
        self.documents.add(doc)
        kept = {w: n for w, n in counts.items() if keep(w)}
        self.counts.update(kept)
        self.docs.update(kept.keys())


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _documents(session: Session, document_ids: Any) -> pd.DataFrame:
    docs = document_attributes(session)
    docs = docs[docs["superseded_by"].isna()]
    if document_ids is not None:
        wanted = {int(d) for d in ([document_ids] if isinstance(document_ids, int) else document_ids)}
        unknown = wanted - set(int(i) for i in document_attributes(session)["id"])
        if unknown:
            raise CodingError(_("Document {min} does not exist.").format(min=min(unknown)))
        docs = docs[docs["id"].isin(wanted)]
    return docs


def _text(session: Session, doc: int) -> str:
    return session.scalar(select(store.Document.text).where(store.Document.id == doc)) or ""


def word_frequencies(session: Session, *, by: str = "document", attribute: str | None = None,
                     document_ids: Any = None, code_ids: Any = None, include_subcodes: bool = True,
                     min_length: int = 2, stopwords: Iterable[str] | None = None, top: int | None = None,
                     **filters: Any) -> pd.DataFrame:
    """Word frequencies of each document, code or group of documents.

    Parameters
    ----------
    by : {"corpus", "document", "code", "group"}
        One group for the whole corpus, one per document, one per code (its coded text), or one
        per value of the document ``attribute`` (documents without it form ``"(no value)"``).
    attribute : str, optional
        With ``by="group"``: a document attribute or ``kind``/``language``.
    document_ids : iterable of int, optional
        Only these documents.
    code_ids, include_subcodes, **filters
        With ``by="code"``: which codes (default every code with coded text; each code's group takes
        the text of its sub-codes too when ``include_subcodes``), and further filters passed on to
        :func:`coding.retrieval.queries.retrieve` (``coder``, a viewer filter, ...).
    min_length : int
        Shortest word kept, in code points (default 2: Chinese single characters are dropped).
    stopwords : iterable of str, optional
        Default: the project's list (:func:`get_stopwords`).
    top : int, optional
        Keep the ``top`` most frequent words of each group.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: ``group`` (document name, code path, attribute value or "All
        documents"), ``word``, ``count`` (int), ``per_1000`` (float, per 1,000 tokens of the group),
        ``n_documents`` (int, documents of the group the word occurs in), ``tokens`` (int, words of
        the group's text before stop words and ``min_length``) and ``group_documents`` (int). Groups
        in document, codebook or value order; words by count (descending), then by word.

    Raises
    ------
    CodingError
        An unknown ``by``, attribute, document or code, ``min_length`` below 1 or ``top`` below 1.
    """
    if by not in BY:
        raise CodingError(_("Word frequencies are counted by {names}, not {by!r}.").format(names=', '.join(BY), by=by))
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 1:
        raise CodingError(_("Minimum word length {min_length!r} must be a whole number of characters, 1 or more.").format(
                            min_length=min_length))
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise CodingError(_("Top {top!r} must be a whole number of words, 1 or more.").format(top=top))
    stop = set(get_stopwords(session) if stopwords is None else clean_stopwords(list(stopwords)))

    def keep(word: str) -> bool:
        return len(word) >= min_length and word not in stop

    words = project_words(session)
    docs = _documents(session, document_ids)
    groups: dict[str, _Group] = {}
    if by in ("corpus", "document", "group"):
        if by == "group":
            if not attribute or attribute not in docs.columns or attribute in ("id", "name", "superseded_by"):
                known = [c for c in document_attributes(session).columns if c not in ("id", "name", "superseded_by")]
                raise CodingError(_("Documents have no attribute {attribute!r}; choose one of: {names}.").format(
                                    attribute=attribute, names=', '.join(known)))
            labels = [NO_VALUE if v is None or pd.isna(v) else str(v) for v in docs[attribute]]
            for label in sorted(set(labels), key=lambda v: (v == NO_VALUE, v)):
                groups[label] = _Group()
        else:
            labels = [ALL_DOCUMENTS if by == "corpus" else name for name in docs["name"]]
        for doc, label in zip(docs["id"], labels):
            groups.setdefault(label, _Group()).add(int(doc), word_counts(_text(session, int(doc)), words), keep)
    else:
        found = retrieve(session, code_ids=code_ids, include_subcodes=include_subcodes,
                         document_ids=[int(i) for i in docs["id"]], **filters)
        found = found[found["document_id"].isin(set(docs["id"]))]
        book = codebook(session)
        paths = dict(zip(book["id"], book["path"]))
        children: dict[Any, list[int]] = {}
        for cid, parent in zip(book["id"], book["parent_id"]):
            children.setdefault(parent, []).append(int(cid))
        wanted = None if code_ids is None else set(expand_codes(session, code_ids, include_subcodes=False))
        spans_by_code: dict[int, dict[int, list[tuple[int, int]]]] = {}
        for doc, cid, s, e in zip(found["document_id"], found["code_id"], found["start"], found["end"]):
            spans_by_code.setdefault(int(cid), {}).setdefault(int(doc), []).append((int(s), int(e)))
        plan: list[tuple[str, dict[int, list[tuple[int, int]]]]] = []
        for cid in (int(c) for c in book["id"]):
            if wanted is not None and cid not in wanted:
                continue
            members, stack = [cid], list(children.get(cid, []) if include_subcodes else [])
            while stack:
                c = stack.pop()
                members.append(c)
                stack.extend(children.get(c, []))
            per_doc: dict[int, list[tuple[int, int]]] = {}
            for m in members:
                for doc, spans in spans_by_code.get(m, {}).items():
                    per_doc.setdefault(doc, []).extend(spans)
            if per_doc:
                plan.append((paths[cid], per_doc))
        needed = sorted({doc for _unused, per_doc in plan for doc in per_doc})
        for doc in needed:  # one document's text at a time
            text = _text(session, doc)
            for label, per_doc in plan:
                if doc in per_doc:
                    counts: Counter = Counter()
                    for s, e in _merged(per_doc[doc]):
                        counts.update(word_counts(text[s:e], words))
                    groups.setdefault(label, _Group()).add(doc, counts, keep)
        groups = {label: groups[label] for label, _unused in plan if label in groups}
    rows = []
    for label, g in groups.items():
        ranked = sorted(g.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        for word, n in ranked[:top] if top else ranked:
            rows.append((label, word, n, 1000.0 * n / g.tokens if g.tokens else 0.0, g.docs[word], g.tokens,
                         len(g.documents)))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"count": "int64", "per_1000": "float64", "n_documents": "int64", "tokens": "int64",
                         "group_documents": "int64"})


_GROUP_HEADER = {"corpus": "corpus", "document": "document", "code": "code", "group": "group"}


def frequency_file_frame(table: pd.DataFrame, by: str = "document") -> pd.DataFrame:
    """:func:`word_frequencies`' table with readable headers, for CSV/XLSX (through ``coding.spreadsheet``)."""
    return table[COLUMNS].rename(columns={
        "group": _GROUP_HEADER.get(by, "group"), "word": "word", "count": "count", "per_1000": "per 1,000 tokens",
        "n_documents": "documents with the word", "tokens": "tokens", "group_documents": "documents"})
