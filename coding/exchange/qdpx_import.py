"""Importing a whole REFI-QDA project (``.qdpx``) into a Tandem project, all or nothing.

Everything is written in the caller's transaction (the CLI's ``commands.common.session``
commits only when the import finished; any error rolls all of it back):

- users become coders; their GUIDs are kept in ``ProjectInfo["refi_users"]`` (name -> GUID)
  so an export writes them back;
- the codebook through :func:`coding.exchange.codebook_merge.merge_code_tree` (GUIDs kept, matched by
  GUID then name; while the project has never been exported, a code matched by name takes the
  file's GUID, so a round trip through a new project with the default codebook keeps GUIDs);
  code sets in ``ProjectInfo["refi_sets"]`` (Tandem has no set table);
- text sources (and PDF sources carrying a plain-text ``Representation``) through
  :func:`corpus.import_text` + :func:`coding.imports.record_import` (undoable), keeping the
  source's GUID; a source whose GUID and text are already in the project is merged, not
  imported twice;
- codings through :func:`coding.codings.add_coding` (events recorded), with the coder
  named by ``Coding@creatingUser`` (else the selection's or the project's creating user),
  the selection's ``Description`` as the coding memo, and the foreign coding GUID kept;
  offsets per :mod:`coding.exchange.qdpx_place`; origin ``human`` unless Tandem's origin note
  (:mod:`coding.exchange.qdpx_origin`) says rule, encoder or llm (that note makes no memo);
- each note as one memo (:func:`coding.memos.add_memo`) on the most specific object that
  points at it (``NoteRef`` or a ``Link`` from the note): a coding, a code, a document,
  else the project; the note's GUID is kept;
- cases: variables become attributes of the case's documents (``Document.attributes``), or
  city attributes when the case's name resolves to a project city (``resolve_city``, e.g.
  ``quant.data.project.city_resolver(session).resolve``); cases and variables (with GUIDs and types)
  are kept in ``ProjectInfo["refi_cases"]`` / ``["refi_variables"]`` for export.

The report (a dict, stable keys) counts placed / moved / not placed / already present
codings, the codings written by origin (``origins``: ``{"human": 5, "encoder": 2}``), lists
every coding of text (``items``: ``status``, ``source``, ``code``, ``coder``,
the file's ``start``/``end``, the ``stored_start``/``stored_end`` code points, ``text``,
``reason``), and counts every element not brought in (``skipped``).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import corpus
import store
from coding.checks import as_coder
from coding.exchange.codebook_merge import merge_code_tree
from coding.codings import add_coding
from coding.errors import CodingError
from coding.eventlog.events import EventType, record, snapshot
from coding.exchange.qdpx_place import SourceText, choose_convention, place
from coding.exchange.qdpx_attach import cases as _cases, code_sets as _sets, memos as _memos
from coding.exchange.qdpx_info import get_info, set_info
from coding.exchange.qdpx_origin import take_origin_notes
from coding.exchange.qdpx_read import QdpxProject, read_qdpx
from coding.imports import record_import
from coding.memos import add_memo
from corpus.name_keys import name_key
from i18n import _

__all__ = ["import_qdpx", "import_project", "get_info", "set_info"]


def _coders(session: Session, p: QdpxProject, fallback: str, report: dict) -> dict[str, str]:
    """User GUID -> coder name; names made valid and unique; GUIDs stored."""
    known = dict(get_info(session, "refi_users", {}))
    by_guid = {g: n for n, g in known.items()}
    out: dict[str, str] = {}
    for guid, raw in p.users.items():
        if guid in by_guid:
            out[guid] = by_guid[guid]
            continue
        try:
            name = as_coder(raw or f"user {guid[:8]}")
        except CodingError:
            name = as_coder(f"user {guid[:8]}")
        base, k = name, 2
        while name in known and known[name] != guid:
            name = f"{base} ({k})"
            k += 1
        known[name] = guid
        out[guid] = name
    set_info(session, "refi_users", known)
    report["users"] = len(p.users)
    return out


def _code_ids(session: Session, p: QdpxProject, report: dict, who: str) -> dict[str, int]:
    if not p.codes:
        return {}
    merged = merge_code_tree(session, p.codes, coder=who)
    report["codes"] = {"created": len(merged["created"]), "matched": len(merged["matched_guid"]) +
                       len(merged["matched_name"])}
    report["warnings"] += merged["warnings"]
    remap = dict(merged["guid_remaps"])
    report["codes"]["guids_adopted"] = 0
    if not get_info(session, "refi_exported", False):
        # Nothing has left this project yet, so its codes' GUIDs are known nowhere else: a code matched
        # by name takes the file's GUID, and a round trip through a new project keeps every GUID.
        for foreign, own in list(remap.items()):
            code = session.scalar(select(store.Code).where(func.lower(store.Code.guid) == own))
            if code is None or session.scalar(select(store.Code.id).where(func.lower(store.Code.guid) == foreign)):
                continue
            code.guid = foreign
            session.flush()
            record(session, EventType.CODE_UPDATE, {"code_id": code.id, "before": {"guid": own},
                                                    "after": {"guid": foreign}}, who)
            del remap[foreign]
            report["codes"]["guids_adopted"] += 1
    ids = {g.lower(): i for g, i in session.execute(select(store.Code.guid, store.Code.id)).all()}
    out = {}
    for node_guid in _all_guids(p.codes):
        target = remap.get(node_guid, node_guid)
        if target in ids:
            out[node_guid] = ids[target]
    return out


def _all_guids(nodes) -> list[str]:
    out, stack = [], list(nodes)
    while stack:
        node = stack.pop()
        if node.guid:
            out.append(node.guid)
        stack.extend(node.children)
    return out


def _unique_name(session: Session, name: str) -> str:
    taken = {name_key(n) for n in session.scalars(select(store.Document.name))}
    base, k, out = name, 2, name
    while name_key(out) in taken:
        out = f"{base} ({k})"
        k += 1
    return out


def _document(session: Session, src, text: str, who: str, report: dict) -> int:
    """The id of the document for a source: an existing one (same GUID and text) or a new one."""
    if src.guid:
        doc = session.scalar(select(store.Document).where(func.lower(store.Document.guid) == src.guid))
        if doc is not None and doc.text_sha256 == corpus_sha(text):
            report["sources"]["merged"] += 1
            return doc.id
    name = _unique_name(session, (src.name or "source").strip()[:480] or "source")
    try:
        result = corpus.import_text(session, text, name=name, source_filename=src.name or None)
    except corpus.CorpusError as err:
        raise CodingError(str(err)) from err
    doc = session.get(store.Document, result.document_id)
    if src.created is not None:
        doc.created = src.created
    taken = src.guid and session.scalar(select(store.Document.id).where(func.lower(store.Document.guid) == src.guid))
    if src.guid and not taken:
        doc.guid = src.guid
        session.flush()
    elif taken:
        report["warnings"].append(_("{source}: a document with this source's GUID but another text is already in "
                                    "the project; imported as the new document {name!r}.").format(
                                        source=src.name, name=name))
    record_import(session, doc.id, coder=who)
    report["sources"]["imported"] += 1
    return doc.id


def corpus_sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keep_guid(session: Session, coding_id: int, guid: str | None) -> None:
    """Give a new coding the file's GUID when it is free, and write the row as it now is (GUID,
    creation time) into its ``coding_add`` event, so undo/redo restore it so."""
    row = session.get(store.Coding, coding_id)
    if guid and not session.scalar(select(store.Coding.id).where(func.lower(store.Coding.guid) == guid)):
        row.guid = guid
    session.flush()
    event = session.scalar(select(store.Event).where(store.Event.type == EventType.CODING_ADD.value)
                           .order_by(store.Event.id.desc()).limit(1))
    if event is not None:
        payload = dict(event.payload)
        payload["codings"] = [snapshot(row) if c.get("id") == coding_id else c for c in payload.get("codings", [])]
        event.payload = payload
        session.flush()


def import_project(session: Session, p: QdpxProject, *, convention: str = "auto", coder: str = "researcher",
                   resolve_city: Callable[[str], str] | None = None, label: str = "") -> dict[str, Any]:
    """Write a parsed project into the session (see the module docstring for what goes where).

    Parameters
    ----------
    convention : {"auto", "codepoints", "utf16", "utf16_crlf", "codepoints_crlf"}
    coder : str
        Who imports (events), and the coder of codings whose file names no user.
    resolve_city : callable, optional
        Case name -> city code (raises ``ValueError`` when it is no city).

    Raises
    ------
    CodingError
        Bad coder or convention, a source text refused by ``corpus`` (too long, ...).
    """
    who = as_coder(coder)
    report: dict[str, Any] = {
        "file": label, "project": p.name, "origin": p.origin, "convention": {},
        "sources": {"imported": 0, "merged": 0, "missing": []}, "codes": {"created": 0, "matched": 0,
                                                                   "guids_adopted": 0},
        "codings": {"in_file": 0, "placed": 0, "moved": 0, "not_placed": 0, "duplicates": 0},
        "memos": 0, "memos_already_present": 0, "descriptions": 0, "annotations": 0, "cases": 0,
        "variables": len(p.variables), "users": 0, "sets": len(p.sets),
        "skipped": Counter(p.skipped), "items": [], "warnings": list(p.warnings)}
    users = _coders(session, p, who, report)
    report["_origins"] = take_origin_notes(p)
    codes = _code_ids(session, p, report, who)
    code_names = {g: n for g, n in session.execute(select(store.Code.guid, store.Code.name)).all()}
    texts = {id(src): SourceText(src.raw) for src in p.sources if src.raw is not None and src.raw.strip()}
    items = [(texts[id(src)], sel) for src in p.sources if id(src) in texts for sel in src.selections
             if sel.kind == "text"]
    try:
        conv = choose_convention(items, p.origin, convention)
    except ValueError as err:
        raise CodingError(str(err)) from None
    report["convention"] = {k: conv[k] for k in ("chosen", "how", "reason", "names_are_quotes", "scores")}
    docs: dict[str, int] = {}
    targets: dict[str, tuple[str, Any]] = {}  # object GUID -> memo target
    for src in p.sources:
        n_cod = sum(len(s.codings) for s in src.selections) + len(src.codings)
        if id(src) not in texts:
            report["sources"]["missing"].append({"source": src.name, "reason": src.missing or "its text is empty"})
            report["skipped"]["sources without text"] += 1
            report["skipped"]["codings of sources without text"] += n_cod
            report["codings"]["in_file"] += n_cod
            continue
        st = texts[id(src)]
        doc_id = _document(session, src, st.canonical, who, report)
        if src.guid:
            docs[src.guid] = doc_id
            targets[src.guid] = ("document", doc_id)
        whole = [(None, c) for c in src.codings]
        for sel in src.selections:
            where = place(st, sel, conv["chosen"], conv["names_are_quotes"])
            first_coding = None
            for c in sel.codings:
                report["codings"]["in_file"] += 1
                cid = _one_coding(session, report, users, codes, code_names, p, src, sel, c, where, doc_id, st, who)
                first_coding = first_coding or cid
            if sel.guid:
                targets[sel.guid] = ("coding", first_coding) if first_coding else ("document", doc_id)
            if not sel.codings:
                _annotation(session, report, src, sel, where, st, doc_id, users.get(sel.user or "") or who)
        for _, c in whole:
            report["codings"]["in_file"] += 1
            full = type("Whole", (), {"status": "placed", "start": 0, "end": len(st.canonical), "reason": ""})()
            _one_coding(session, report, users, codes, code_names, p, src, None, c, full, doc_id, st, who)
    for g, cid in report.pop("_coding_targets", {}).items():
        targets[g] = ("coding", cid)
    for g, code_id in codes.items():
        targets.setdefault(g, ("code", code_id))
    report.pop("_origins", None)
    report["origins"] = dict(report.pop("_origin_counts", {}))  # codings written, by origin
    _memos(session, p, targets, users, who, report)
    _cases(session, p, docs, resolve_city, report)
    _sets(session, p, report)
    report["skipped"] = dict(report["skipped"])
    return report


def _annotation(session, report, src, sel, where, st, doc_id: int, author: str) -> None:
    """A selection without codings: its ``Description`` (MAXQDA's annotation) becomes a document
    memo quoting the passage; an empty one is counted as skipped."""
    if not sel.description.strip():
        report["skipped"]["selections without codings or text"] += 1
        return
    passage = st.canonical[where.start:where.end] if where.start is not None else (sel.name or "")
    if where.start is not None:
        passage = f"[{where.start}–{where.end}] {passage}"
    title = f"Annotation: {passage[:60]}" if passage else "Annotation"
    text = f"{sel.description}\n\n» {passage}" if passage else sel.description
    add_memo(session, "document", doc_id, text, title=title[:300], author=author)
    report["annotations"] += 1


def _one_coding(session, report, users, codes, code_names, p, src, sel, c, where, doc_id, st, who) -> int | None:
    name = users.get(c.user or "") or users.get((sel.user if sel else None) or "") or users.get(
        p.creating_user or "") or who
    code_id = codes.get(c.code_guid or "")
    quote = (sel.name if sel is not None else "") or ""
    item = {"source": src.name, "code": code_names.get(c.code_guid or "", c.code_guid), "coder": name,
            "start": None if sel is None else sel.start, "end": None if sel is None else sel.end}
    if code_id is None or where.status == "not placed":
        reason = where.reason if code_id is not None else f"its code {c.code_guid} is not in the codebook"
        report["codings"]["not_placed"] += 1
        report["items"].append({**item, "status": "not placed", "text": quote, "reason": reason})
        return None
    if c.guid and session.scalar(select(store.Coding.id).where(func.lower(store.Coding.guid) == c.guid)):
        report["codings"]["duplicates"] += 1  # this very coding (same GUID) is already in the project
        report["items"].append({**item, "status": "already present", "text": quote, "reason": "same GUID"})
        return session.scalar(select(store.Coding.id).where(func.lower(store.Coding.guid) == c.guid))
    code = session.get(store.Code, code_id)
    if not code.codable:
        report["codings"]["not_placed"] += 1
        report["items"].append({**item, "status": "not placed", "text": quote,
                                "reason": f"code {code.name!r} is a category (not codable)"})
        return None
    before = session.scalar(select(func.count(store.Coding.id)))
    origin, detail = report.get("_origins", {}).get(c.guid or "", ("human", ""))
    try:
        ids = add_coding(session, doc_id, where.start, where.end, [code_id], coder=name,
                         memo=(sel.description if sel is not None else "") or "", origin=origin,
                         origin_detail=detail)
    except CodingError as err:
        report["codings"]["not_placed"] += 1
        report["items"].append({**item, "status": "not placed", "text": quote, "reason": str(err)})
        return None
    if session.scalar(select(func.count(store.Coding.id))) == before:
        # same code, span and coder as a coding already there (NVivo writes one selection per coding)
        report["codings"]["duplicates"] += 1
        report["items"].append({**item, "status": "already present", "text": st.canonical[where.start:where.end],
                                "reason": "same code, span and coder as a coding already there"})
        return ids[0]
    if c.created is not None:
        session.get(store.Coding, ids[0]).created = c.created
    _keep_guid(session, ids[0], c.guid)
    report.setdefault("_origin_counts", Counter())[origin] += 1
    report["codings"]["placed" if where.status == "placed" else "moved"] += 1
    report["items"].append({**item, "status": where.status, "text": st.canonical[where.start:where.end],
                            "stored_start": where.start, "stored_end": where.end, "reason": where.reason})
    if c.guid:
        report.setdefault("_coding_targets", {})[c.guid] = ids[0]
    return ids[0]


def import_qdpx(session: Session, source: str | Path | bytes, *, convention: str = "auto",
                coder: str = "researcher", resolve_city: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Read and import a ``.qdpx`` (path or bytes) into the session's project.

    Returns
    -------
    dict
        The import report (see the module docstring).

    Raises
    ------
    CodingError
        The file cannot be read or is refused (one sentence), a bad convention or coder.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CodingError(_("{path}: cannot be read ({error}).").format(path=path, error=exc.strerror or exc)
                              ) from None
        label = path.name
    else:
        data, label = bytes(source), _("The .qdpx archive")
    project = read_qdpx(data, label)
    return import_project(session, project, convention=convention, coder=coder, resolve_city=resolve_city,
                          label=label)
