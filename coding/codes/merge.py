"""Merging two codes into one and splitting a code into new sub-codes, both undoable.

Each function plans its change as reversible row ops (:mod:`coding.eventlog.rowops`), checks
everything before the first write, carries the ops out and records them in one event
(``code_merge`` / ``code_split``), so :func:`coding.eventlog.undo.undo` restores the tree, the
codings, their links and memos exactly (same ids and GUIDs).
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder, get_code
from coding.codes.book import check_sibling_name, clean_code_name, next_position
from coding.codes.default import AUTO_COLOURS
from coding.errors import CodingError
from coding.eventlog.events import EventType, record
from coding.eventlog.rowops import Op, apply_ops, referencing
from coding.tree import descendants
from coding.codes.variables import variable_map

__all__ = ["fold_coding_ops", "merge_codes", "split_code"]

TEXT_FIELDS = ("definition", "inclusion", "exclusion", "example")


def _join(first: str, second: str) -> str:
    return f"{first.rstrip()}\n\n{second}" if first.strip() else second


def _upd(table: str, row_id: int, after: dict[str, Any]) -> Op:
    return {"op": "update", "table": table, "id": row_id, "before": {}, "after": after}


def _check_merge(session: Session, src: store.Code, tgt: store.Code, n_codings: int,
                 children: list[store.Code]) -> None:
    if src.id == tgt.id:
        raise CodingError(_("Code {name!r} cannot be merged into itself.").format(name=src.name))
    if tgt.id in descendants(session, src.id):
        raise CodingError(_("Code {name!r} lies below {name2!r}; merge the other way round or move it out first.").format(
                            name=tgt.name, name2=src.name))
    if n_codings and not tgt.codable:
        raise CodingError(_("Code {name!r} is a category, so the {n_codings} coding(s) of {name2!r} cannot move to "
                            "it.").format(name=tgt.name, n_codings=n_codings, name2=src.name))
    taken = {n.casefold() for n in session.scalars(select(store.Code.name).where(store.Code.parent_id == tgt.id))}
    clash = [c.name for c in children if c.name.casefold() in taken]
    if clash:
        raise CodingError(_("Sub-code(s) {names} of {name!r} have namesakes under {name2!r}; merge or rename them "
                            "first.").format(names=', '.join(map(repr, clash)), name=src.name, name2=tgt.name))


def _coding_ops(session: Session, src: store.Code, tgt: store.Code) -> tuple[list[Op], int, int]:
    """Ops moving the source's codings to the target; duplicates collapse onto the target's coding."""
    survivors = {(c.document_id, c.start, c.end, c.coder): c for c in session.scalars(
        select(store.Coding).where(store.Coding.code_id == tgt.id).order_by(store.Coding.id))}
    ops: list[Op] = []
    memo_text: dict[int, str] = {}
    moved = collapsed = 0
    for c in session.scalars(select(store.Coding).where(store.Coding.code_id == src.id).order_by(store.Coding.id)):
        keep = survivors.get((c.document_id, c.start, c.end, c.coder))
        if keep is None:
            ops.append(_upd("codings", c.id, {"code_id": tgt.id}))
            moved += 1
            continue
        collapsed += 1
        ops += fold_coding_ops(session, c, keep, memo_text)
    return ops, moved, collapsed


def fold_coding_ops(session: Session, dup: store.Coding, keep: store.Coding, memo_text: dict[int, str]) -> list[Op]:
    """Ops folding coding ``dup`` into ``keep`` (one code on one span for one coder: ``ux_codings_one_span``).

    ``dup``'s links move to ``keep`` (a link ``keep`` already has is dropped), memos written
    on it are re-targeted, its memo text is appended to ``keep``'s (``memo_text`` carries
    ``keep``'s text across several folds), and ``dup`` is deleted. Used by merging codes and
    by re-anchoring codings onto a corrected document version.
    """
    ops: list[Op] = []
    held = {(k.city_code, k.dyad_id) for k in session.scalars(
        select(store.CodingLink).where(store.CodingLink.coding_id == keep.id))}
    for link in session.scalars(select(store.CodingLink).where(store.CodingLink.coding_id == dup.id)
                                .order_by(store.CodingLink.id)):
        if (link.city_code, link.dyad_id) in held:
            ops.append({"op": "delete", "table": "coding_links", "row": {"id": link.id}})
        else:
            ops.append(_upd("coding_links", link.id, {"coding_id": keep.id}))
            held.add((link.city_code, link.dyad_id))
    for memo_id in session.scalars(select(store.Memo.id).where(
            store.Memo.target_type == "coding", store.Memo.target_id == str(dup.id)).order_by(store.Memo.id)):
        ops.append(_upd("memos", memo_id, {"target_id": str(keep.id)}))
    so_far = memo_text.get(keep.id, keep.memo)
    if dup.memo.strip() and dup.memo.strip() not in so_far:
        memo_text[keep.id] = _join(so_far, dup.memo)
        ops.append(_upd("codings", keep.id, {"memo": memo_text[keep.id]}))
    ops.append({"op": "delete", "table": "codings", "row": {"id": dup.id, "guid": dup.guid}})
    return ops


def merge_codes(session: Session, source_id: int, target_id: int, *, coder: str = "researcher") -> dict[str, int]:
    """Merge the code ``source_id`` into ``target_id`` and delete the source.

    - Each coding of the source moves to the target. A coding that duplicates one of the
      target's (same document, span and coder) collapses into it: its links and memos
      move to the surviving coding (a link it already has is dropped) and its memo text
      is appended to the survivor's.
    - Memos on the source code move to the target; the source's definition, inclusion,
      exclusion and example are appended to the target's, marked
      ``Merged from “<source>”:``; its model variables are added to the target's.
    - Sub-codes of the source move under the target (after its own); auto-coding rules
      and suggestions of the source point at the target.

    Parameters
    ----------
    session : Session
    source_id, target_id : int
        Two different codes; the target may not lie below the source.
    coder : str
        Who merges (event log, undo stack).

    Returns
    -------
    dict
        ``{"target_id", "moved", "collapsed", "children", "memos"}``: codings moved,
        codings collapsed into the target's, sub-codes moved, code memos moved.

    Raises
    ------
    CodingError
        Unknown codes, the same code twice, a target below the source, a category
        target for a source with codings, or a sub-code name already used under the
        target. Nothing is written then.
    """
    who = as_coder(coder)
    src, tgt = get_code(session, source_id), get_code(session, target_id)
    children = list(session.scalars(select(store.Code).where(store.Code.parent_id == src.id)
                                    .order_by(store.Code.position, store.Code.id)))
    n_codings = session.scalar(select(func.count(store.Coding.id)).where(store.Coding.code_id == src.id)) or 0
    _check_merge(session, src, tgt, n_codings, children)
    ops, moved, collapsed = _coding_ops(session, src, tgt)
    memo_ids = list(session.scalars(select(store.Memo.id).where(
        store.Memo.target_type == "code", store.Memo.target_id == str(src.id)).order_by(store.Memo.id)))
    ops += [_upd("memos", m, {"target_id": str(tgt.id)}) for m in memo_ids]
    first = next_position(session, tgt.id)
    ops += [_upd("codes", child.id, {"parent_id": tgt.id, "position": first + i}) for i, child in enumerate(children)]
    for other, key in referencing("codes"):
        ops += [_upd(other.name, rid, {key: tgt.id})
                for rid in session.scalars(select(other.c.id).where(other.c[key] == src.id).order_by(other.c.id))]
    notes = {}
    for field in TEXT_FIELDS:
        extra = getattr(src, field).strip()
        if extra and extra not in getattr(tgt, field):
            notes[field] = _join(getattr(tgt, field), f"Merged from “{src.name}”: {extra}")
    if notes:
        ops.append(_upd("codes", tgt.id, notes))
    variables = variable_map(session)
    have = variables.get(tgt.id, [])
    union = have + [v for v in variables.get(src.id, []) if v not in have]
    if union != have:
        ops.append({"op": "vmap", "code_id": tgt.id, "before": have, "after": union})
    ops.append({"op": "delete", "table": "codes", "row": {"id": src.id, "guid": src.guid}})
    names = (src.name, tgt.name)
    done = apply_ops(session, ops)
    summary = {"target_id": tgt.id, "moved": moved, "collapsed": collapsed, "children": len(children),
               "memos": len(memo_ids)}
    payload = {"source_id": source_id, "source_name": names[0], "target_name": names[1], **summary, "ops": done}
    record(session, EventType.CODE_MERGE, payload, who)
    return summary


def _colours(session: Session, n: int) -> list[str]:
    used = {c.upper() for c in session.scalars(select(store.Code.colour))}
    pool = [c for c in AUTO_COLOURS if c not in used] or list(AUTO_COLOURS)
    return [pool[i % len(pool)] for i in range(n)]


def split_code(session: Session, code_id: int, new_names: Iterable[str], *, coder: str = "researcher") -> list[int]:
    """Split a code into new sub-codes, to recode its passages into them.

    The new codes are created as **children** of the code, not as siblings: the
    code keeps its codings (nothing is lost or guessed), retrieval with sub-codes still
    finds every passage, and the researcher recodes passages into the children with
    :func:`coding.update_coding` (``code_id=``). Once the code is empty it can become a
    category (``update_code(..., codable=False)``) or be merged.

    Parameters
    ----------
    session : Session
    code_id : int
    new_names : iterable of str
        At least one name; unique among themselves and the code's existing sub-codes
        (case-insensitive), no ``/``. Colours are the first unused light tints.
    coder : str
        Who splits (event log, undo stack).

    Returns
    -------
    list of int
        The new codes' ids, in the order of ``new_names``.

    Raises
    ------
    CodingError
        Unknown code, no names, an invalid or clashing name. Nothing is written then.
    """
    who = as_coder(coder)
    code = get_code(session, code_id)
    if isinstance(new_names, (str, bytes)) or not hasattr(new_names, "__iter__"):
        raise CodingError(_("New code names must be a list of names, got {new_names!r}.").format(new_names=new_names))
    names = [clean_code_name(n) for n in new_names]
    if not names:
        raise CodingError(_("Splitting code {name!r} needs at least one new name.").format(name=code.name))
    seen: set[str] = set()
    for name in names:
        if name.casefold() in seen:
            raise CodingError(_("New code name {name!r} is given twice.").format(name=name))
        seen.add(name.casefold())
        check_sibling_name(session, code.id, name, None)
    first = next_position(session, code.id)
    ops = [{"op": "insert", "table": "codes",
            "row": {"name": name, "parent_id": code.id, "colour": colour, "codable": 1, "position": first + i}}
           for i, (name, colour) in enumerate(zip(names, _colours(session, len(names))))]
    done = apply_ops(session, ops)
    ids = [op["row"]["id"] for op in done]
    record(session, EventType.CODE_SPLIT, {"code_id": code.id, "names": names, "new_ids": ids, "ops": done}, who)
    return ids
