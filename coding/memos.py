"""Memos: free text on the project or on any object (document, code, coding, city, dyad).

A memo's target is ``(target_type, target_id)``; ``target_id`` is stored as a string (a
city code, or an integer id written in decimal) and is ``None`` for the project. Every
change writes one event.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import delete, false, or_, select
from sqlalchemy.orm import Session

import store
from coding.checks import as_coder, as_id, as_text, get_city, get_code, get_coding, get_document, get_row
from coding.errors import CodingError
from coding.eventlog.events import EventType, record, snapshot
from coding.links.linking import DASH, dyad_for, find_dyad
from coding.tree import codebook
from i18n import N_, _
from corpus.name_keys import clean_label
from corpus.names import BadNameError

__all__ = ["TARGET_TYPES", "add_memo", "delete_memo", "list_memos", "memo_target_labels", "update_memo"]

TARGET_TYPES = ("project", "document", "code", "coding", "city", "dyad")
MEMO_COLUMNS = ["id", "target_type", "target_id", "title", "text", "author", "created", "updated"]
MAX_TITLE = 300


def _check_type(target_type: Any) -> str:
    if target_type not in TARGET_TYPES:
        raise CodingError(_("Memo target type {target_type!r} is unknown; use one of {names}.").format(
                            target_type=target_type, names=', '.join(TARGET_TYPES)))
    return target_type


def _resolve(session: Session, target_type: str, target_id: Any, create: bool) -> tuple[str | None, int | None, Any]:
    """``(stored target_id, document_id for the event, created dyad or None)``."""
    if target_type == "project":
        if target_id is not None:
            raise CodingError(_("A project memo takes no target id, got {target_id!r}.").format(target_id=target_id))
        return None, None, None
    if target_id is None:
        raise CodingError(_("A {target_type} memo needs a target id.").format(target_type=target_type))
    if target_type == "document":
        doc = get_document(session, target_id)
        return str(doc.id), doc.id, None
    if target_type == "code":
        return str(get_code(session, target_id).id), None, None
    if target_type == "coding":
        coding = get_coding(session, target_id)
        return str(coding.id), coding.document_id, None
    if target_type == "city":
        return get_city(session, target_id).code, None, None
    if isinstance(target_id, (tuple, list)):
        if len(target_id) != 2:
            raise CodingError(_("A dyad is an id or a pair of city codes, got {target_id!r}.").format(
                                target_id=target_id))
        if not create:
            found = find_dyad(session, *target_id)
            return (None if found is None else str(found)), None, None
        dyad, created = dyad_for(session, *target_id)
        return str(dyad.id), None, dyad if created else None
    return str(get_row(session, store.Dyad, target_id, "Dyad").id), None, None


def _title(title: Any) -> str:
    """A memo title as stored: ``""``, or a name cleaned by ``corpus.name_keys.clean_label``
    (no line breaks, controls or bidi overrides; lookalike forms made plain)."""
    text = as_text(title, "Memo title")
    if not text.strip():
        return ""
    try:
        return clean_label(text, "memo title", max_len=10 * MAX_TITLE)
    except BadNameError as exc:
        raise CodingError(str(exc)) from None


def add_memo(
    session: Session,
    target_type: str,
    target_id: Any,
    text: str,
    *,
    title: str = "",
    author: str = "researcher",
) -> int:
    """Write a memo on the project or on one object.

    Parameters
    ----------
    target_type : {"project", "document", "code", "coding", "city", "dyad"}
    target_id : int, str, tuple or None
        ``None`` for the project; an id for a document, code, coding or dyad; a city code
        for a city; a dyad may also be given as a pair of city codes in either order (its
        row is created if missing, and kept in the event payload).
    text : str
    title : str
    author : str

    Returns
    -------
    int
        The memo id.

    Raises
    ------
    CodingError
        Unknown target type or target, or both title and text empty.
    """
    who = as_coder(author)
    kind = _check_type(target_type)
    body, head = as_text(text, "Memo text"), _title(title)
    if not body.strip() and not head:
        raise CodingError(_("A memo needs a title or some text; both are empty."))
    if len(head) > MAX_TITLE:
        raise CodingError(_("Memo title {value!r}... is longer than {max_title} characters.").format(
                            value=head[:30], max_title=MAX_TITLE))
    target, doc_id, new_dyad = _resolve(session, kind, target_id, create=True)
    memo = store.Memo(target_type=kind, target_id=target, title=head, text=body, author=who)
    session.add(memo)
    session.flush()
    payload = {"memo": snapshot(memo), "created_dyad": None if new_dyad is None else snapshot(new_dyad)}
    record(session, EventType.MEMO_ADD, payload, who, doc_id)
    return memo.id


def _get_memo(session: Session, memo_id: Any) -> store.Memo:
    return get_row(session, store.Memo, memo_id, "Memo")


def _doc_of(session: Session, memo: store.Memo) -> int | None:
    if memo.target_type == "document":
        return int(memo.target_id)
    if memo.target_type == "coding":
        return session.scalar(select(store.Coding.document_id).where(store.Coding.id == int(memo.target_id)))
    return None


def update_memo(session: Session, memo_id: int, *, text: str | None = None, title: str | None = None,
                coder: str | None = None) -> None:
    """Change a memo's text and/or title.

    Parameters
    ----------
    coder : str, optional
        Who edits (event log); defaults to the memo's author, which stays.

    Raises
    ------
    CodingError
        Unknown memo, or an edit leaving both title and text empty.
    """
    memo = _get_memo(session, memo_id)
    who = memo.author if coder is None else as_coder(coder)
    new: dict[str, str] = {}
    if text is not None:
        new["text"] = as_text(text, "Memo text")
    if title is not None:
        new["title"] = _title(title)
        if len(new["title"]) > MAX_TITLE:
            raise CodingError(_("Memo title {value!r}... is longer than {max_title} characters.").format(
                                value=new['title'][:30], max_title=MAX_TITLE))
    changed = {k: v for k, v in new.items() if getattr(memo, k) != v}
    if not changed:
        return
    if not changed.get("text", memo.text).strip() and not changed.get("title", memo.title):
        raise CodingError(_("Memo {id} would have neither title nor text.").format(id=memo.id))
    before = {k: getattr(memo, k) for k in (*changed, "updated")}
    for k, v in changed.items():
        setattr(memo, k, v)
    session.flush()
    after = {**changed, "updated": memo.updated}  # the stamp too, so that undo restores the row exactly
    record(session, EventType.MEMO_UPDATE, {"memo_id": memo.id, "before": before, "after": after}, who,
           _doc_of(session, memo))


def delete_memo(session: Session, memo_id: int, *, coder: str | None = None) -> None:
    """Delete a memo (kept whole in the event payload).

    Raises
    ------
    CodingError
        Unknown memo.
    """
    memo = _get_memo(session, memo_id)
    who = memo.author if coder is None else as_coder(coder)
    payload = {"memo": snapshot(memo)}
    doc_id = _doc_of(session, memo)
    session.execute(delete(store.Memo).where(store.Memo.id == memo.id))
    session.flush()
    record(session, EventType.MEMO_DELETE, payload, who, doc_id)


def list_memos(session: Session, target_type: str | None = None, target_id: Any = None,
               search: str | None = None) -> pd.DataFrame:
    """Memos, oldest first, optionally of one target type, one target, or matching a search.

    Parameters
    ----------
    target_type : str, optional
        One of ``project, document, code, coding, city, dyad``.
    target_id : int, str or tuple, optional
        With ``target_type``: the target (a dyad also as a pair of city codes).
    search : str, optional
        Keep memos whose title or text contains this string (case-insensitive for ASCII
        letters; ``%`` and ``_`` are literal).

    Returns
    -------
    DataFrame
        ``id, target_type, target_id, title, text, author, created, updated``.

    Raises
    ------
    CodingError
        Unknown target type, or ``target_id`` without ``target_type``.
    """
    stmt = select(*(getattr(store.Memo, c) for c in MEMO_COLUMNS)).order_by(store.Memo.created, store.Memo.id)
    if target_type is not None:
        kind = _check_type(target_type)
        stmt = stmt.where(store.Memo.target_type == kind)
        if target_id is not None:
            if kind == "project":
                raise CodingError(_("A project memo takes no target id, got {target_id!r}.").format(
                                    target_id=target_id))
            if kind == "dyad" and isinstance(target_id, (tuple, list)):
                target, _unused, _unused = _resolve(session, kind, target_id, create=False)
            elif kind == "city":
                target = str(target_id).strip()
            else:
                target = str(as_id(target_id, f"{kind.capitalize()} id"))
            stmt = stmt.where(store.Memo.target_id == target) if target is not None else stmt.where(false())
    elif target_id is not None:
        raise CodingError(_("Target id {target_id!r} needs a target type.").format(target_id=target_id))
    if search:
        needle = as_text(search, "Search").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{needle}%"
        stmt = stmt.where(or_(store.Memo.title.ilike(pattern, escape="\\"),
                              store.Memo.text.ilike(pattern, escape="\\")))
    return pd.DataFrame(session.execute(stmt).all(), columns=MEMO_COLUMNS)


def memo_target_labels(session: Session, memos: pd.DataFrame) -> list[str]:
    """A readable label for the target of each memo row (of :func:`list_memos`).

    ``"Project"``, ``"Document: <name>"``, ``"Code: <path>"``, ``"Coding <id>: <code> in
    <document>"``, ``"City: <name> (<code>)"``, ``"Dyad: <name>–<name>"``; a target that no
    longer exists reads ``"<Type> <id> (deleted)"``.
    """
    kinds = {"project": N_("Project"), "document": N_("Document"), "code": N_("Code"), "coding": N_("Coding"),
             "city": N_("City"), "dyad": N_("Dyad")}  # labels in the interface language (i18n)
    docs = dict(session.execute(select(store.Document.id, store.Document.name)).all())
    book = codebook(session)
    paths = dict(zip(book["id"], book["path"]))
    cities = dict(session.execute(select(store.City.code, store.City.name)).all())
    out = []
    for kind, target in zip(memos["target_type"], memos["target_id"]):
        label = None
        if kind == "project":
            label = _("Project")
        elif kind == "document" and int(target) in docs:
            label = _("Document: {name}").format(name=docs[int(target)])
        elif kind == "code" and int(target) in paths:
            label = _("Code: {path}").format(path=paths[int(target)])
        elif kind == "coding":
            row = session.execute(select(store.Coding.code_id, store.Coding.document_id)
                                  .where(store.Coding.id == int(target))).first()
            if row is not None:
                label = _("Coding {id}: {code} in {document}").format(id=target, code=paths.get(row[0], row[0]),
                                                                       document=docs.get(row[1], row[1]))
        elif kind == "city" and target in cities:
            label = _("City: {name} ({code})").format(name=cities[target], code=target)
        elif kind == "dyad":
            dyad = session.get(store.Dyad, int(target))
            if dyad is not None:
                label = _("Dyad: {pair}").format(
                    pair=f"{cities.get(dyad.city_a, dyad.city_a)}{DASH}{cities.get(dyad.city_b, dyad.city_b)}")
        out.append(label or _("{type} {id} (deleted)").format(
            type=_(kinds[kind]) if kind in kinds else str(kind).capitalize(), id=target))
    return out
