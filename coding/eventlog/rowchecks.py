"""What is checked before a row op runs, so that undo and redo refuse with one sentence instead
of failing half-way: a row put back must find every row it refers to, its id, GUID, name and span
free and valid; a row removed must have no codings or sub-codes left on it; an update must not
make a code its own ancestor or a coding a twin of another (``ux_codings_one_span``).

Each check raises :class:`~coding.errors.CodingError` naming the row (:func:`coding.eventlog.rowtables.row_label`) and the
reason. Spans are code points, ``[start, end)``.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_, func, select
from sqlalchemy.orm import Session

from i18n import N_, _
from coding.errors import CodingError
from coding.tree import descendants
from coding.eventlog.rowtables import fetch_row, row_exists, row_key, table

__all__ = ["ONE_SPAN", "check_insert", "check_update", "refuse_dependents"]

_FK_NOUN = {"document_id": N_("document"), "code_id": N_("code"), "coding_id": N_("coding"), "city_code": N_("city"),
            "dyad_id": N_("dyad"), "parent_id": N_("parent code"), "superseded_by": N_("newer version"),
            "city_a": N_("city"), "city_b": N_("city"), "rule_id": N_("auto-coding rule")}


def _check_fks(session: Session, t: Table, values: dict[str, Any], label: str) -> None:
    for fk in t.foreign_keys:
        key = fk.parent.name
        if key in values and values[key] is not None and not row_exists(session, fk.column, values[key]):
            noun = _(_FK_NOUN[key]) if key in _FK_NOUN else key
            raise CodingError(_("{label} cannot be put back: its {noun} {value!r} no longer exists.").format(
                                label=label, noun=noun, value=values[key]))


def _check_sibling(session: Session, parent_id: Any, name: str, exclude: Any, label: str) -> None:
    c = table("codes").c
    where = c.parent_id.is_(None) if parent_id is None else c.parent_id == parent_id
    for cid, other in session.execute(select(c.id, c.name).where(where)):
        if cid != exclude and other.casefold() == name.casefold():
            raise CodingError(_("{label} cannot be put back: code {other!r} ({cid}) now has that name at the same "
                                "level.").format(label=label, other=other, cid=cid))


def _check_memo_target(session: Session, kind: Any, target: Any, label: str) -> None:
    tables = {"document": "documents", "code": "codes", "coding": "codings", "dyad": "dyads"}
    if kind == "project" or target is None:
        return
    if kind == "city":
        found = row_exists(session, table("cities").c.code, target)
    else:
        found = str(target).isdigit() and row_exists(session, table(tables[kind]).c.id, int(target))
    if not found:
        raise CodingError(_("{label} cannot be put back: the {kind} {target} it was written on no longer exists.").format(
                            label=label, kind=_(kind), target=target))


def _check_span(session: Session, values: dict[str, Any], label: str) -> None:
    if values.get("status") == "unanchored":
        return
    n = session.scalar(select(table("documents").c.n_chars).where(table("documents").c.id == values["document_id"]))
    if n is not None and values["end"] > n:
        raise CodingError(_("{label} cannot be put back: [{start}, {end}) lies beyond the {n} code points of "
                            "document {document_id}.").format(
                            label=label, start=values['start'], end=values['end'], n=n, document_id=values['document_id']))


ONE_SPAN = ("document_id", "code_id", "start", "end", "coder")
"""A coding's identity: the columns of the unique index ``ux_codings_one_span``."""


def _check_one_span(session: Session, values: dict[str, Any], exclude: Any, label: str) -> None:
    c = table("codings").c
    if any(values.get(k) is None for k in ONE_SPAN):
        return
    same = session.scalar(select(c.id).where(*(c[k] == values[k] for k in ONE_SPAN), c.id != (exclude or -1)))
    if same is not None:
        raise CodingError(_("{label} cannot be put back: coding {same} now holds the same code on the same span for "
                            "the same coder.").format(label=label, same=same))


def _check_codable(session: Session, code_id: Any, label: str) -> None:
    codable = session.scalar(select(table("codes").c.codable).where(table("codes").c.id == code_id))
    if codable == 0:
        raise CodingError(_("{label} cannot be put back: code {code_id} is now a category.").format(
                            label=label, code_id=code_id))


def check_insert(session: Session, name: str, t: Table, values: dict[str, Any], label: str) -> None:
    """Refuse putting back row ``values`` of table ``name`` (``t``): its id, primary key or GUID is
    taken, a row it refers to is gone, or (per table) a sibling code has its name, its code is a
    category, its span lies beyond the text, a twin coding exists, its link, memo target, pair or
    document name is taken or gone.

    Raises
    ------
    CodingError
        The first check that fails, naming ``label``.
    """
    if "id" in values and row_exists(session, t.c.id, values["id"]):
        raise CodingError(_("{label} cannot be put back: a row with id {id} already exists.").format(
                            label=label, id=values['id']))
    if "id" not in t.c and fetch_row(session, name, row_key(t, values)) is not None:
        raise CodingError(_("{label} cannot be put back: it exists again.").format(label=label))
    if values.get("guid") and "guid" in t.c and row_exists(session, t.c.guid, values["guid"]):
        raise CodingError(_("{label} cannot be put back: its GUID {guid} is already in use.").format(
                            label=label, guid=values['guid']))
    _check_fks(session, t, values, label)
    if name == "codes":
        _check_sibling(session, values.get("parent_id"), values["name"], None, label)
    elif name == "codings":
        _check_codable(session, values["code_id"], label)
        _check_span(session, values, label)
        _check_one_span(session, values, None, label)
    elif name == "coding_links":
        c = t.c
        same = and_(c.coding_id == values["coding_id"],
                    c.city_code.is_(None) if values.get("city_code") is None else c.city_code == values["city_code"],
                    c.dyad_id.is_(None) if values.get("dyad_id") is None else c.dyad_id == values["dyad_id"])
        if session.execute(select(c.id).where(same)).first() is not None:
            raise CodingError(_("{label} cannot be put back: coding {coding_id} has that link again.").format(
                                label=label, coding_id=values['coding_id']))
    elif name == "memos":
        _check_memo_target(session, values.get("target_type"), values.get("target_id"), label)
    elif name == "dyads":
        c = t.c
        if session.execute(select(c.id).where(c.city_a == values["city_a"], c.city_b == values["city_b"])).first():
            raise CodingError(_("{label} cannot be put back: the pair {city_a}–{city_b} exists again under another "
                                "id.").format(label=label, city_a=values['city_a'], city_b=values['city_b']))
    elif name == "documents":
        if row_exists(session, t.c.name, values["name"]):
            raise CodingError(_("{label} cannot be put back: another document is now named {name!r}.").format(
                                label=label, name=values['name']))


def refuse_dependents(session: Session, name: str, row: dict[str, Any], label: str) -> None:
    """Refuse removing a code that now has codings or sub-codes, or a document that now has
    codings or is one version of another.

    Raises
    ------
    CodingError
        Naming ``label`` and what is left on it.
    """
    if name == "codes":
        n = session.scalar(select(func.count()).where(table("codings").c.code_id == row["id"]))
        if n:
            raise CodingError(_("{label} cannot be removed: it now has {n} coding(s); delete or move them first.").format(
                                label=label, n=n))
        n = session.scalar(select(func.count()).where(table("codes").c.parent_id == row["id"]))
        if n:
            raise CodingError(_("{label} cannot be removed: it now has {n} sub-code(s); move or delete them first.").format(
                                label=label, n=n))
    elif name == "documents":
        n = session.scalar(select(func.count()).where(table("codings").c.document_id == row["id"]))
        if n:
            raise CodingError(_("{label} cannot be removed: it now has {n} coding(s); delete them first.").format(
                                label=label, n=n))
        newer = row.get("superseded_by")
        older = session.scalar(select(table("documents").c.id).where(table("documents").c.superseded_by == row["id"]))
        if newer is not None or older is not None:
            other = newer if newer is not None else older
            raise CodingError(_("{label} cannot be removed: it is one version of document {other}; undo that version "
                                "first.").format(label=label, other=other))


def check_update(session: Session, name: str, current: dict[str, Any], after: dict[str, Any], label: str) -> None:
    """Refuse changing row ``current`` of table ``name`` to ``after``: a referred row is gone, a
    code would move under itself, clash with a sibling or become a category with codings, a coding
    would get a category, a span beyond the text or a twin, a memo a missing target.

    Raises
    ------
    CodingError
        The first check that fails, naming ``label``.
    """
    t = table(name)
    _check_fks(session, t, {k: v for k, v in after.items() if current.get(k) != v}, label)
    merged = {**current, **after}
    if name == "codes":
        if "parent_id" in after and after["parent_id"] is not None and (
                after["parent_id"] == current["id"] or after["parent_id"] in descendants(session, current["id"])):
            raise CodingError(_("{label} cannot move under code {parent_id}: that code now lies below it.").format(
                                label=label, parent_id=after['parent_id']))
        if {"name", "parent_id"} & set(after):
            _check_sibling(session, merged["parent_id"], merged["name"], current["id"], label)
        if after.get("codable") == 0 and current["codable"]:
            n = session.scalar(select(func.count()).where(table("codings").c.code_id == current["id"]))
            if n:
                raise CodingError(_("{label} cannot become a category again: it now has {n} coding(s).").format(
                                    label=label, n=n))
    elif name == "codings":
        if "code_id" in after:
            _check_codable(session, after["code_id"], label)
        if {"start", "end", "document_id", "status"} & set(after):
            _check_span(session, merged, label)
        if set(ONE_SPAN) & set(after):
            _check_one_span(session, merged, current["id"], label)
    elif name == "memos" and {"target_type", "target_id"} & set(after):
        _check_memo_target(session, merged["target_type"], merged["target_id"], label)
