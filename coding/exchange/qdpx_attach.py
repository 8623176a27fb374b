"""Attaching what a REFI-QDA project says about objects: notes as memos, cases and their
variables as document or city attributes, code sets (kept in ``ProjectInfo``).

Each note becomes one memo (:func:`coding.memos.add_memo`, event recorded) on the most specific
object that points at it (``NoteRef`` or a ``Link`` from the note): a coding, then a code, then
a document, else the project; the note's GUID is kept on the memo when free.
"""
from __future__ import annotations

from sqlalchemy import func, select

import store
from coding.exchange.qdpx_info import get_info, set_info
from coding.exchange.qdpx_read import QdpxProject
from coding.memos import add_memo

__all__ = ["memos", "cases", "code_sets"]


_RANK = {"coding": 0, "code": 1, "document": 2}


def memos(session, p: QdpxProject, targets, users, who, report) -> None:
    pointing: dict[str, list[str]] = {}
    for src in p.sources:
        for g in src.note_refs:
            pointing.setdefault(g, []).append(src.guid)
        for sel in src.selections:
            for g in sel.note_refs:
                pointing.setdefault(g, []).append(sel.guid)
            for c in sel.codings:
                for g in c.note_refs:
                    pointing.setdefault(g, []).append(c.guid)
    for code_guid, notes in p.code_notes.items():
        for g in notes:
            pointing.setdefault(g, []).append(code_guid)
    for a, b, _name in p.links:
        if a in p.notes:
            pointing.setdefault(a, []).append(b)
        elif b in p.notes:
            pointing.setdefault(b, []).append(a)
        else:
            report["skipped"]["links between objects other than notes"] += 1
    for key, note in p.notes.items():
        found = [targets[g] for g in pointing.get(key, []) if g in targets and targets[g][1] is not None]
        kind, target = min(found, key=lambda t: _RANK[t[0]]) if found else ("project", None)
        author = users.get(note.user or "") or who
        text, title = note.text or "", (note.name or "").strip()[:300]
        if not text.strip() and not title:
            title = "Note"
        if note.guid and session.scalar(select(store.Memo.id).where(func.lower(store.Memo.guid) == note.guid)):
            report["memos_already_present"] += 1  # the same note came in before (same GUID)
            continue
        memo_id = add_memo(session, kind, target, text, title=title, author=author)
        memo = session.get(store.Memo, memo_id)
        if note.guid:
            memo.guid = note.guid
        if note.created is not None:
            memo.created = note.created
        session.flush()
        report["memos"] += 1
    described = [("project", None, "Project description", p.description)] + [
        ("document", targets[src.guid][1], "Source description", src.description) for src in p.sources
        if src.description.strip() and src.guid in targets and targets[src.guid][0] == "document"]
    for kind, target, title, text in described:
        if text.strip():
            same = session.scalar(select(store.Memo.id).where(
                store.Memo.target_type == kind, store.Memo.title == title, store.Memo.text == text,
                store.Memo.target_id.is_(None) if target is None else store.Memo.target_id == str(target)))
            if same is None:
                add_memo(session, kind, target, text, title=title, author=who)
                report["descriptions"] += 1


def cases(session, p: QdpxProject, docs: dict[str, int], resolve_city, report) -> None:
    variables = dict(get_info(session, "refi_variables", {}))
    for v in p.variables.values():
        variables.setdefault(v.name, {"guid": v.guid, "type": v.type, "description": v.description})
    set_info(session, "refi_variables", variables)
    name_of = {v.guid: v.name for v in p.variables.values()}
    sel_doc = {sel.guid: src.guid for src in p.sources for sel in src.selections if sel.guid}
    for src in p.sources:  # variables given on the source itself (MAXQDA style)
        if src.guid in docs and src.variables:
            _set_doc_attrs(session, docs[src.guid], {name_of.get(g, g): v for g, v in src.variables})
    kept = [c for c in get_info(session, "refi_cases", []) if c.get("guid") not in {k.guid for k in p.cases}]
    for case in p.cases:
        values = {name_of.get(g, g): v for g, v in case.variables}
        city = None
        if resolve_city is not None and case.name:
            try:
                city = resolve_city(case.name)
            except ValueError:
                city = None
        members = list(dict.fromkeys(case.source_refs + [sel_doc[s] for s in case.selection_refs if s in sel_doc]))
        dangling = [g for g in members if g not in docs]
        if dangling:
            report["skipped"]["case references to sources not imported"] += len(dangling)
        if city is not None:
            for key, value in values.items():
                row = session.get(store.CityAttribute, (city, key)) or store.CityAttribute(city_code=city, name=key)
                numeric = isinstance(value, (int, float)) and not isinstance(value, str)
                row.value, row.text = (float(value), None) if numeric else (None, str(value))
                session.add(row)
        else:
            for g in members:
                if g in docs:
                    _set_doc_attrs(session, docs[g], values)
        kept.append({"guid": case.guid, "name": case.name, "description": case.description, "city": city,
                     "sources": [g for g in members if g in docs], "variables": list(values)})
        if case.code_refs:
            report["skipped"]["code references of cases"] += len(case.code_refs)
        report["cases"] += 1
    set_info(session, "refi_cases", kept)
    session.flush()


def _set_doc_attrs(session, doc_id: int, values: dict) -> None:
    doc = session.get(store.Document, doc_id)
    doc.attributes = {**(doc.attributes or {}), **values}
    session.flush()


def code_sets(session, p: QdpxProject, report) -> None:
    kept = {s.get("guid"): s for s in get_info(session, "refi_sets", [])}
    for s in p.sets:
        kept[s.guid] = {"guid": s.guid, "name": s.name, "description": s.description, "codes": s.member_codes,
                        "sources": s.member_sources, "notes": s.member_notes}
    set_info(session, "refi_sets", list(kept.values()))
