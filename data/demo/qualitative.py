"""The demo's illustrative corpus and its codings, as files: reading and checking them.

``corpus/documents.csv`` lists the documents (file, name, kind, language, place, date);
``codings.csv`` lists the codings by quote (document, quote, occurrence, code, coder,
memo, cities, dyad). Every text was written by the Tandem team for the demo and is
labelled illustrative; none records a real interview or visit.

Offsets are never stored in the files: :func:`locate` finds each quote in the stored
text at build time and refuses to guess when it is absent.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEMO_DIR = Path(__file__).resolve().parent
CORPUS_DIR = DEMO_DIR / "corpus"
MANIFEST_CSV = CORPUS_DIR / "documents.csv"
CODINGS_CSV = DEMO_DIR / "codings.csv"

ILLUSTRATIVE_NOTE = (
    "Illustrative material written by the Tandem team for the demo project; it does not record "
    "a real interview or field visit. Place names are real, people and statements are invented."
)

CODE_NAMES = (
    "Mark", "Hole", "Social needs", "Regional needs", "Organizational needs", "Financial supply",
    "Administrative supply", "Personal-relationship supply", "Breadth", "Connection", "Degree",
)
"""The codes of the default codebook the demo codings use."""


class DemoDataError(ValueError):
    """The demo's files are inconsistent (a quote not found, an unknown code, a bad link)."""


@dataclass(frozen=True)
class DemoDocument:
    """One illustrative document: its file, stored name, kind, language, text and attributes."""

    file: str
    name: str
    kind: str
    language: str
    text: str
    attributes: dict


@dataclass(frozen=True)
class DemoCoding:
    """One coding by quote, with the cities and dyads (pairs of adcodes) it is linked to."""

    document: str
    quote: str
    occurrence: int
    code: str
    coder: str
    memo: str
    cities: tuple[str, ...]
    dyads: tuple[tuple[str, str], ...]


def load_documents(manifest: Path | str = MANIFEST_CSV) -> list[DemoDocument]:
    """The illustrative documents in manifest order (texts read as UTF-8).

    Returns
    -------
    list of DemoDocument; ``attributes`` holds ``illustrative: True``, the ``note`` and the
    place and date of the (invented) interview or visit.

    Raises
    ------
    DemoDataError
        A listed file is missing, a kind or language is not allowed, or names repeat.
    """
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    if table["name"].duplicated().any():
        raise DemoDataError(f"{manifest} repeats the document name {table['name'][table['name'].duplicated()].iloc[0]!r}.")
    docs = []
    for row in table.itertuples(index=False):
        path = Path(manifest).parent / row.file
        if not path.exists():
            raise DemoDataError(f"{manifest} lists {row.file}, which is not in {path.parent}.")
        if row.kind not in ("interview", "field note"):
            raise DemoDataError(f"{row.file}: kind {row.kind!r} is not 'interview' or 'field note'.")
        if row.language not in ("zh", "en"):
            raise DemoDataError(f"{row.file}: language {row.language!r} is not 'zh' or 'en'.")
        attributes = {"illustrative": True, "note": ILLUSTRATIVE_NOTE, "place": row.place, "date": row.date}
        docs.append(DemoDocument(row.file, row.name, row.kind, row.language,
                                 path.read_text(encoding="utf-8"), attributes))
    return docs


def _split(value: str) -> list[str]:
    return [part.strip() for part in str(value).split(";") if part.strip()]


def load_codings(path: Path | str = CODINGS_CSV) -> list[DemoCoding]:
    """The demo codings, in file order.

    Returns
    -------
    list of DemoCoding; ``cities`` from the semicolon-separated ``cities`` column,
    ``dyads`` from the ``dyad`` column ("adcodeA-adcodeB", several separated by ";"), each
    pair folded so that the smaller code comes first.

    Raises
    ------
    DemoDataError
        An unknown code name, an occurrence below 1, a malformed dyad or a self-pair.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = []
    for n, row in enumerate(table.itertuples(index=False), start=2):
        if row.code not in CODE_NAMES:
            raise DemoDataError(f"{path} line {n}: unknown code {row.code!r}.")
        occurrence = int(row.occurrence or 1)
        if occurrence < 1:
            raise DemoDataError(f"{path} line {n}: occurrence must be 1 or more, got {occurrence}.")
        dyads = []
        for pair in _split(row.dyad):
            parts = pair.split("-")
            if len(parts) != 2 or parts[0] == parts[1] or not all(parts):
                raise DemoDataError(f"{path} line {n}: {pair!r} is not a pair 'adcodeA-adcodeB' of two cities.")
            dyads.append(tuple(sorted(parts)))
        out.append(DemoCoding(row.document, row.quote, occurrence, row.code, row.coder or "researcher",
                              row.memo, tuple(_split(row.cities)), tuple(dyads)))
    return out


def locate(text: str, quote: str, occurrence: int = 1, *, document: str = "") -> tuple[int, int]:
    """The span ``[start, end)`` (code points) of the ``occurrence``-th match of ``quote``.

    The quote is NFC-normalised first, as stored texts are; occurrences are counted
    without overlap, left to right.

    Raises
    ------
    DemoDataError
        The quote is empty or occurs fewer than ``occurrence`` times (never guessed).
    """
    quote = unicodedata.normalize("NFC", quote)
    if not quote:
        raise DemoDataError(f"An empty quote was given for {document or 'a document'}.")
    start, searched_from = -1, 0
    for _ in range(occurrence):
        start = text.find(quote, searched_from)
        if start < 0:
            raise DemoDataError(
                f"Quote {quote[:40]!r} occurs fewer than {occurrence} time(s) in {document or 'the text'}."
            )
        searched_from = start + len(quote)
    return start, start + len(quote)
