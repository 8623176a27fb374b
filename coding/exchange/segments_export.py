"""Coded segments for other tools: one row per coding with its document, code path, coder, origin
(human, rule, encoder or llm, and which rule or model: issue 13), offsets
in code points and in UTF-16 units, paragraph, quote, memo and when it was coded (issue 10, part 6).

The rows come from :func:`coding.retrieval.queries.retrieve`, so every filter of the Retrieve page (codes
with or without sub-codes, documents, coders, and any viewer filter such as blind coding) applies
to the export as well; extra keyword filters are passed on to it unchanged.

Offsets: ``start``/``end`` are Tandem's own, Python code points over the stored text
(ARCHITECTURE.md, "The offset rule"); ``start_utf16``/``end_utf16`` count UTF-16 code units, as
browsers, Qt, Java, NVivo and ATLAS.ti do (``docs/qda.md`` §1.1). They are converted through
:class:`corpus.offsets.OffsetIndex`, the one tested conversion module: ``u = i + #{c in text[:i]:
ord(c) > 0xFFFF}``. A coding whose status is ``unanchored`` (it could not be placed on a corrected
version of its document) keeps the code-point offsets it had on the old text; its UTF-16 offsets
are left empty, since the current text is not the one they count in.

Files: CSV (UTF-8 with a byte-order mark) and XLSX, written only through :mod:`coding.spreadsheet`
(a cell a spreadsheet would run as a formula gets a leading ``'``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.errors import CodingError
from coding.retrieval.queries import retrieve
from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes, write_bytes_atomic
from coding.tree import codebook
from corpus.offsets import OffsetIndex
from i18n import _

__all__ = ["COLUMNS", "HEADERS", "DEFAULT_SEPARATOR", "segments_table", "segments_file_frame", "segments_csv_bytes",
           "segments_xlsx_bytes", "write_segments"]

#: Separator between the levels of a code path, as MAXQDA and published codebooks write it.
DEFAULT_SEPARATOR = " > "
#: Columns of :func:`segments_table`, in order (stable keys, e.g. for JSON).
COLUMNS = ["coding_id", "document", "code_path", "coder", "origin", "origin_detail", "start", "end", "start_utf16", "end_utf16", "paragraph",
           "quote", "memo", "linked_to", "created", "status"]
#: Column headers of the CSV/XLSX files.
HEADERS = {
    "coding_id": "coding", "document": "document", "code_path": "code path", "coder": "coder",
    "origin": "origin", "origin_detail": "origin detail", "start": "start (code points)", "end": "end (code points)", "start_utf16": "start (UTF-16 units)",
    "end_utf16": "end (UTF-16 units)", "paragraph": "paragraph", "quote": "quote", "memo": "memo",
    "linked_to": "linked to", "created": "created (UTC)", "status": "status",
}
_MAX_SEPARATOR = 10


def _check_separator(separator: Any) -> str:
    if not isinstance(separator, str) or not separator.strip() or len(separator) > _MAX_SEPARATOR \
            or any(ch in separator for ch in "\r\n\t"):
        raise CodingError(_("Code path separator {value!r} must be 1 to {n} characters on one line, such as "
                            "' > ' or '/'.").format(value=str(separator)[:20], n=_MAX_SEPARATOR))
    return separator


def _utc_naive(value: Any) -> Any:
    """A stored time as naive UTC to the second (spreadsheets have no time zones); None stays None."""
    if value is None or pd.isna(value):
        return pd.NaT
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.floor("s")


def segments_table(session: Session, *, code_ids: Any = None, include_subcodes: bool = True, document_ids: Any = None,
                   coder: Any = None, separator: str = DEFAULT_SEPARATOR, **filters: Any) -> pd.DataFrame:
    """Every coding that matches the filters, one row each, in document and text order.

    Parameters
    ----------
    code_ids : int or iterable of int, optional
        Codings of these codes (and of their sub-codes when ``include_subcodes``).
    include_subcodes : bool
    document_ids : int or iterable of int, optional
    coder : str or iterable of str, optional
    separator : str
        Joins the names of a code path (default ``" > "``; 1-10 characters on one line).
    **filters
        Passed on to :func:`coding.retrieval.queries.retrieve` (``city``, ``dyad``, a viewer filter, ...).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: ``coding_id`` (int), ``document`` (name), ``code_path`` (names from the
        top of the codebook, joined by ``separator``), ``coder``, ``origin`` (``human``, ``rule``,
        ``encoder`` or ``llm``), ``origin_detail`` (the rule or model, "" for a human), ``start``/``end`` (int, code points,
        end exclusive), ``start_utf16``/``end_utf16`` (nullable Int64, UTF-16 code units; empty for an
        unanchored coding), ``paragraph`` (nullable Int64, 1-based), ``quote``, ``memo``, ``linked_to``
        (the names of the cities and pairs of cities the coding is linked to, such as "广州市–佛山市",
        joined by "; "; a city without a name shows its code), ``created``
        (naive UTC datetime to the second) and ``status`` (``anchored``, ``review`` or ``unanchored``).

    Raises
    ------
    CodingError
        A bad separator, or an unknown code, document or coder filter (from ``retrieve``).
    """
    sep = _check_separator(separator)
    found = retrieve(session, code_ids=code_ids, include_subcodes=include_subcodes, document_ids=document_ids,
                     coder=coder, **filters)
    if found.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        for c in ("coding_id", "start", "end"):
            frame[c] = frame[c].astype("int64")
        for c in ("start_utf16", "end_utf16", "paragraph"):
            frame[c] = frame[c].astype("Int64")
        frame["created"] = pd.Series(dtype="datetime64[ns]")
        return frame
    book = codebook(session)
    paths = {int(i): sep.join(p.split("/")) for i, p in zip(book["id"], book["path"])}
    ids = [int(i) for i in found["coding_id"]]
    facts: dict[int, tuple[Any, str, str, str]] = {}
    for chunk in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        part = ids[chunk:chunk + 900]
        for cid, created, status, origin, detail in session.execute(
                select(store.Coding.id, store.Coding.created, store.Coding.status, store.Coding.origin,
                       store.Coding.origin_detail).where(store.Coding.id.in_(part))):
            facts[int(cid)] = (created, status or "anchored", origin or "human", detail or "")
    status = [facts.get(i, (None, "anchored"))[1] for i in ids]
    origins = [facts.get(i, (None, "", "human", ""))[2:] for i in ids]
    start_u16: list[Any] = [pd.NA] * len(found)
    end_u16: list[Any] = [pd.NA] * len(found)
    positions: dict[int, list[int]] = {}
    for row, (doc, st) in enumerate(zip(found["document_id"], status)):
        if st != "unanchored":
            positions.setdefault(int(doc), []).append(row)
    for doc, rows in positions.items():  # one document's text at a time
        text = session.scalar(select(store.Document.text).where(store.Document.id == doc)) or ""
        index = OffsetIndex(text)
        starts = found["start"].to_numpy()[rows]
        ends = found["end"].to_numpy()[rows]
        inside = (ends <= index.n) & (starts >= 0)
        keep = [r for r, ok in zip(rows, inside) if ok]
        if keep:
            us = index.to_utf16(found["start"].to_numpy()[keep])
            ue = index.to_utf16(found["end"].to_numpy()[keep])
            for r, a, b in zip(keep, us, ue):
                start_u16[r], end_u16[r] = int(a), int(b)
    names = dict(session.execute(select(store.City.code, store.City.name)).all())

    def linked(cities: list[str], dyads: list[str]) -> str:
        shown = [names.get(c) or c for c in cities]
        shown += ["–".join(names.get(c) or c for c in d.split("-", 1)) for d in dyads]
        return "; ".join(shown)

    frame = pd.DataFrame({
        "coding_id": found["coding_id"].astype("int64"),
        "document": found["document"],
        "code_path": [paths.get(int(c), n) for c, n in zip(found["code_id"], found["code"])],
        "coder": found["coder"],
        "origin": [o for o, _ in origins],
        "origin_detail": [d for _, d in origins],
        "start": found["start"].astype("int64"),
        "end": found["end"].astype("int64"),
        "start_utf16": pd.array(start_u16, dtype="Int64"),
        "end_utf16": pd.array(end_u16, dtype="Int64"),
        "paragraph": found["paragraph"].astype("Int64"),
        "quote": found["quote"],
        "memo": found["memo"].fillna(""),
        "linked_to": [linked(c, d) for c, d in zip(found["cities"], found["dyads"])],
        "created": pd.to_datetime(pd.Series([_utc_naive(facts.get(i, (None,))[0]) for i in ids], dtype=object)),
        "status": status,
    })
    return frame.reset_index(drop=True)


def segments_file_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table of :func:`segments_table` with the file headers :data:`HEADERS` (columns it lacks are skipped)."""
    return table[[c for c in COLUMNS if c in table.columns]].rename(columns=HEADERS)


def segments_csv_bytes(table: pd.DataFrame) -> bytes:
    """The CSV file (UTF-8 with a BOM, Excel-safe) of :func:`segments_table`'s table."""
    return to_csv_bytes(segments_file_frame(table))


def segments_xlsx_bytes(table: pd.DataFrame) -> bytes:
    """The XLSX workbook (one sheet, "Coded segments"; text never a formula) of :func:`segments_table`'s table."""
    return to_xlsx_bytes(segments_file_frame(table), sheet="Coded segments")


def write_segments(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the table to ``path`` as CSV or XLSX by its suffix, atomically.

    Raises
    ------
    CodingError
        The suffix is neither ``.csv`` nor ``.xlsx``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        return write_bytes_atomic(target, segments_csv_bytes(table))
    if suffix == ".xlsx":
        return write_bytes_atomic(target, segments_xlsx_bytes(table))
    raise CodingError(_("{name} should end in .csv or .xlsx.").format(name=target.name))
