"""A MAXQDA "coded segments" table placed onto the project's documents by text matching.

MAXQDA exports (Reports › Export › Coded segments, as .xlsx or .csv) one row per coded segment,
with columns such as Color, Document group, Document name, Code, Segment, Begin, End, Weight
score, Author, Created, Comment. The code column holds the code path with ``\\`` between levels
(``Needs\\Social needs``); Segment holds the coded text; Begin and End are *paragraph numbers*
(1-based), not character offsets, so a segment is placed by its text:

1. the document is the project document whose name equals Document name (names compared by
   ``corpus.name_keys.name_key``; a superseded version is passed over for the current one);
2. the segment text and the document text are compared in NFC with every run of white space
   taken as one space (line breaks in the export do not matter); every exact occurrence is a
   candidate;
3. with Begin/End given (and inside the document's paragraphs, ``store.Segment`` rows of kind
   paragraph), the candidates inside paragraphs Begin..End count; several there: the one
   nearest the start of paragraph Begin. None there: a single candidate elsewhere in the
   document is placed (noted), several are *ambiguous*. Without Begin/End: one candidate is
   placed, several are *ambiguous*;
4. the code is found along its path, level by level among siblings (``name_key``), and every
   missing level is created (a ``/`` inside a MAXQDA name becomes the full-width ``／``, since
   ``/`` separates levels in Tandem);
5. the coding is stored with ``coding.codings.add_coding`` under the row's Author when it is a
   valid coder name, else under ``coder``; the Comment becomes the coding's memo. A coding that
   already exists (same document, span, code and coder) is counted as already present.

Every row is reported — placed, already present, ambiguous, not found (no such document, or the
text is not in it), or refused (empty text or code, a code that is a category) — with the
document, the code and the first 30 characters of the text; nothing is dropped silently. The
table is read by ``corpus.tables.read_table`` (CSV or XLSX, the one decoder). Everything happens
in the caller's transaction.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder
from coding.codes.book import add_code
from coding.codings import add_coding
from coding.errors import CodingError
from corpus.name_keys import name_key

__all__ = ["COLUMN_NAMES", "import_coded_segments", "read_segments_table", "segments_report_text"]

#: Role -> accepted column headers (compared case-insensitively, spaces collapsed): MAXQDA's
#: English and German headers, and Chinese ones.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "document": ("document name", "document", "dokumentname", "dokument", "文档名称", "文档名", "文档"),
    "code": ("code", "code path", "kode", "codename", "代码", "编码"),
    "segment": ("segment", "coded segment", "segment text", "text", "segmenttext", "编码片段", "片段", "文本"),
    "begin": ("begin", "beginning", "start", "anfang", "开始", "起始"),
    "end": ("end", "ende", "结束"),
    "author": ("author", "created by", "autor", "erstellt von", "创建者", "作者"),
    "comment": ("comment", "kommentar", "注释", "评论", "备注"),
    "group": ("document group", "dokumentgruppe", "文档组"),
}
_WS = re.compile(r"\s+")
_SHOWN = 30


def _snippet(text: str) -> str:
    return _WS.sub(" ", text).strip()[:_SHOWN]


def read_segments_table(source: str | Path | bytes, filename: str | None = None) -> tuple[pd.DataFrame, dict]:
    """The table and its role -> column mapping.

    Raises
    ------
    CodingError
        Unreadable table (the reader's sentence), or no column for the document, code or segment.
    """
    from corpus.tables import read_table

    try:
        frame = read_table(source, filename, as_text=True)
    except ValueError as exc:
        raise CodingError(str(exc)) from None
    label = filename or (Path(source).name if isinstance(source, (str, Path)) else _("the table"))
    keys = {" ".join(str(c).split()).casefold(): c for c in frame.columns}
    roles = {}
    for role, names in COLUMN_NAMES.items():
        found = next((keys[n] for n in names if n in keys), None)
        if found is not None:
            roles[role] = found
    missing = [r for r in ("document", "code", "segment") if r not in roles]
    if missing:
        raise CodingError(_("{label} has no {names} column (MAXQDA names them Document name, Code and Segment); its "
                            "columns are: {value}.").format(
                            label=label, names=', '.join(missing), value=', '.join(map(str, frame.columns))[:300]))
    return frame, roles


class _DocIndex:
    """A document's text with white space collapsed, and a map back to code-point offsets."""

    def __init__(self, doc: store.Document, paragraphs: list[tuple[int, int]]):
        self.doc, self.paragraphs = doc, paragraphs
        pieces, starts, ends = [], [], []
        for m in re.finditer(r"\s+|\S+", doc.text):
            if m.group()[0].isspace():
                pieces.append(" ")
                starts.append(m.start())
                ends.append(m.end())
            else:
                pieces.append(m.group())
                starts.extend(range(m.start(), m.end()))
                ends.extend(range(m.start() + 1, m.end() + 1))
        self.norm = "".join(pieces)
        self.starts, self.ends = starts, ends

    def find(self, needle: str) -> list[tuple[int, int]]:
        out, at = [], self.norm.find(needle)
        while at >= 0:
            out.append((self.starts[at], self.ends[at + len(needle) - 1]))
            at = self.norm.find(needle, at + 1)
        return out


def _norm(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _cell(row, column) -> str:
    if column is None:
        return ""
    value = row[column]
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _int(text: str) -> int | None:
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 1 else None


def _code_for(session: Session, path: str, coder: str, created: list[str], cache: dict) -> int:
    """The codable code at ``path`` (``\\``-separated), creating missing levels."""
    parts = [" ".join(p.split()).replace("/", "／") for p in path.split("\\")]
    parts = [p for p in parts if p]
    if not parts:
        raise CodingError(_("the code is empty"))
    key = tuple(name_key(p) for p in parts)
    if key in cache:
        return cache[key]
    parent = None
    for depth, part in enumerate(parts):
        stmt = select(store.Code.id, store.Code.name).where(
            store.Code.parent_id.is_(None) if parent is None else store.Code.parent_id == parent)
        found = next((cid for cid, name in session.execute(stmt) if name_key(name) == name_key(part)), None)
        if found is None:
            found = add_code(session, part, parent_id=parent, coder=coder)
            created.append("/".join(parts[:depth + 1]))
        parent = found
    code = session.get(store.Code, parent)
    if not code.codable:
        raise CodingError(_("the code {names} is a category, which cannot be applied to text").format(
                            names='/'.join(parts)))
    cache[key] = parent
    return parent


def import_coded_segments(session: Session, source: str | Path | bytes, filename: str | None = None, *,
                          coder: str = "researcher") -> dict[str, Any]:
    """Place every row of a MAXQDA coded-segments table (see the module docstring).

    Parameters
    ----------
    session : Session
        Rows are added in its transaction (not committed).
    source : path or bytes
        The .csv or .xlsx file (bytes need ``filename``).
    coder : str
        Who imports (event log) and the coder of rows without a usable Author.

    Returns
    -------
    dict
        ``file, rows, placed, already_present, ambiguous, not_found, refused, codes_created`` (paths),
        ``items`` (one per row: ``row`` (the spreadsheet row number, header = 1), ``status``
        (``placed``, ``already present``, ``ambiguous``, ``not found``, ``refused``), ``document``,
        ``code``, ``text`` (first 30 characters), ``start``, ``end`` (code points, or None),
        ``coder``, ``reason``) and ``warnings``.

    Raises
    ------
    CodingError
        The table cannot be read or lacks the document, code or segment column.
    """
    coder = as_coder(coder)
    frame, roles = read_segments_table(source, filename)
    label = filename or (Path(source).name if isinstance(source, (str, Path)) else _("the table"))
    docs: dict[str, store.Document] = {}
    for doc in session.scalars(select(store.Document).order_by(store.Document.id)):
        key = name_key(doc.name)
        if key not in docs or docs[key].superseded_by is not None:
            docs[key] = doc
    indexes: dict[int, _DocIndex] = {}
    cache: dict = {}
    report: dict[str, Any] = {"file": label, "rows": len(frame), "placed": 0, "already_present": 0,
                              "ambiguous": 0, "not_found": 0, "refused": 0, "codes_created": [],
                              "items": [], "warnings": []}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        row = dict(zip(frame.columns, row))
        doc_name, path = _cell(row, roles["document"]).strip(), _cell(row, roles["code"]).strip()
        raw = _cell(row, roles["segment"])
        item = {"row": i, "status": "", "document": doc_name, "code": path.replace("\\", "/"),
                "text": _snippet(raw), "start": None, "end": None, "coder": None, "reason": ""}
        report["items"].append(item)

        def done(status: str, reason: str = "") -> None:
            item["status"], item["reason"] = status, reason
            report[status.replace(" ", "_")] += 1

        needle = _norm(raw)
        if not needle or not path or not doc_name:
            done("refused", "the " + ("segment text" if not needle else "code" if not path else "document name")
                 + " is empty")
            continue
        doc = docs.get(name_key(doc_name))
        if doc is None:
            done("not found", "no document of that name in the project (import it first)")
            continue
        item["document"] = doc.name
        if doc.id not in indexes:
            paras = session.execute(select(store.Segment.start, store.Segment.end).where(
                store.Segment.document_id == doc.id, store.Segment.kind == "paragraph").order_by(store.Segment.idx))
            indexes[doc.id] = _DocIndex(doc, [tuple(p) for p in paras])
        index = indexes[doc.id]
        hits = index.find(needle)
        if not hits:
            done("not found", "the text is not in the document (compared in NFC, white space as one space)")
            continue
        begin = _int(_cell(row, roles.get("begin")))
        end = _int(_cell(row, roles.get("end"))) or begin
        note = ""
        if begin is not None and begin <= len(index.paragraphs):
            lo = index.paragraphs[begin - 1][0]
            hi = index.paragraphs[min(max(end, begin), len(index.paragraphs)) - 1][1]
            inside = [h for h in hits if h[0] >= lo and h[1] <= hi]
            if inside:
                if len(inside) > 1:
                    note = f"{len(inside)} equal matches in paragraphs {begin}–{end}; the first taken"
                hits = inside[:1]
            elif len(hits) == 1:
                note = f"found outside paragraphs {begin}–{end}"
            else:
                done("ambiguous", f"{len(hits)} equal matches in the document, none in paragraphs {begin}–{end}")
                continue
        elif len(hits) > 1:
            why = f"paragraph {begin} is past the document's {len(index.paragraphs)}" if begin else "no Begin/End"
            done("ambiguous", f"{len(hits)} equal matches in the document ({why})")
            continue
        start, stop = hits[0]
        item["start"], item["end"] = start, stop
        author = _cell(row, roles.get("author")).strip()
        who = coder
        if author:
            try:
                who = as_coder(author)
            except CodingError:
                report["warnings"].append(_("row {i}: the author {value!r} is not a usable coder name; coded as "
                                            "{coder}.").format(i=i, value=author[:40], coder=coder))
        item["coder"] = who
        try:
            code_id = _code_for(session, path, coder, report["codes_created"], cache)
        except CodingError as exc:
            done("refused", str(exc).rstrip("."))
            continue
        before = session.scalar(select(store.Coding.id).where(
            store.Coding.document_id == doc.id, store.Coding.code_id == code_id, store.Coding.start == start,
            store.Coding.end == stop, store.Coding.coder == who))
        add_coding(session, doc.id, start, stop, [code_id], coder=who,
                   memo=_cell(row, roles.get("comment")).strip())
        done("already present" if before is not None else "placed", note)
    return report


def segments_report_text(report: dict) -> str:
    """The report as lines a person reads: totals, then every row not placed and every note."""
    created = report["codes_created"]
    names = (" (" + ", ".join(created[:10]) + (" …" if len(created) > 10 else "") + ")") if created else ""
    lines = [_("{file}: {rows} coded segment(s): {placed} placed, {present} already present, {ambiguous} ambiguous, "
               "{not_found} not found, {refused} refused; {created} code(s) created{names}.").format(
                   file=report["file"], rows=report["rows"], placed=report["placed"],
                   present=report["already_present"], ambiguous=report["ambiguous"], not_found=report["not_found"],
                   refused=report["refused"], created=len(created), names=names)]
    for item in report["items"]:
        if item["status"] not in ("placed", "already present") or item["reason"]:
            lines.append("  " + _("row {row} {status}: {document} / {code}: {text} — {reason}").format(
                row=item["row"], status=item["status"], document=item["document"], code=item["code"],
                text=repr(item["text"]), reason=item["reason"]))
    lines += ["  " + _("note: {note}").format(note=w) for w in report["warnings"]]
    return "\n".join(lines)
