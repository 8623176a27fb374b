"""Writing document attributes (``Document.attributes``: a JSON object of name -> text or number).

Every writer records one ``attributes_set`` event whose payload holds the row ops
(:mod:`coding.eventlog.rowops`) that did it, so :func:`coding.eventlog.undo.undo` reverts it exactly and
``redo`` re-applies it. Names: non-empty, at most 100 characters, no control or direction
characters, not one of a document's own columns; values: text or a finite number. Re-exported
by :mod:`coding.documents`.
"""
from __future__ import annotations

import math
import numbers
import re
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import N_, _
import store
from coding.checks import as_id, get_document
from coding.errors import CodingError
from coding.eventlog.events import EventType, json_safe, record, stored_description
from corpus.names import BIDI_CONTROLS

__all__ = [
    "RESERVED_ATTRIBUTES", "attribute_ops", "attribute_values", "changes_from_table", "check_attribute_name",
    "check_attribute_value", "delete_attribute", "delete_document_attribute", "parse_value",
    "rename_document_attribute", "set_document_attribute", "set_document_attributes", "write_attribute_ops",
]


RESERVED_ATTRIBUTES = ("id", "name", "kind", "language", "superseded_by")
"""Names an attribute may not take: the columns :func:`document_attributes` shows first."""
MAX_ATTRIBUTE_NAME = 100
MAX_ATTRIBUTE_TEXT = 10_000


def check_attribute_name(name: Any) -> str:
    """An attribute name, trimmed and NFC; ``CodingError`` when it is not text, empty, longer than
    100 characters, holds a control or bidi character, or is one of :data:`RESERVED_ATTRIBUTES`."""
    if not isinstance(name, str):
        raise CodingError(_("An attribute name must be text, got {name!r}.").format(name=name))
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise CodingError(_("An attribute name cannot be empty."))
    if len(text) > MAX_ATTRIBUTE_NAME:
        raise CodingError(_("Attribute name {value!r}… is {n} characters long; at most {max_attribute_name} are "
                            "allowed.").format(value=text[:40], n=len(text), max_attribute_name=MAX_ATTRIBUTE_NAME))
    if any(unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in text):
        raise CodingError(_("Attribute name {text!r} holds a control character (a line break, tab or direction "
                            "mark); remove it.").format(text=text))
    if text.casefold() in RESERVED_ATTRIBUTES:
        raise CodingError(_("Attribute name {text!r} is reserved (a document's own column); choose another.").format(
                            text=text))
    return text


def check_attribute_value(value: Any, name: str = "the attribute") -> str | int | float:
    """A value an attribute may hold: text (trimmed, at most 10,000 characters, no NUL) or a
    finite number (integral floats stay floats); ``CodingError`` otherwise (booleans, NaN, lists)."""
    if isinstance(value, bool) or value is None:
        raise CodingError(_("The value of {name} must be text or a number, got {value!r}.").format(
                            name=name, value=value))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            raise CodingError(_("The value of {name} must be a finite number, got {value!r}.").format(
                                name=name, value=value))
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if "\x00" in text or len(text) > MAX_ATTRIBUTE_TEXT:
            raise CodingError(_("The value of {name} must be text of at most {max_attribute_text:,} characters "
                                "without NUL.").format(name=name, max_attribute_text=MAX_ATTRIBUTE_TEXT))
        return text
    raise CodingError(_("The value of {name} must be text or a number, got {name2}.").format(
                        name=name, name2=type(value).__name__))


def attribute_ops(session: Session, changes: dict[int, dict[str, Any]]) -> tuple[list[dict], list[dict]]:
    """Row ops that give documents new attribute values, and the cells that change.

    ``changes`` maps document id -> {name: value, or ``None`` to delete}; names and values must
    already be checked. Returns ``(ops, cells)``; a cell is ``{"document_id", "document",
    "name", "before", "after"}`` (``None`` = absent) and only real changes are listed.
    """
    ops, cells = [], []
    ids = [int(i) for i in changes]
    d = store.Document
    stored: dict[int, tuple[str, dict]] = {}
    for start in range(0, len(ids), 500):
        for doc_id, name, attrs in session.execute(select(d.id, d.name, d.attributes)
                                                   .where(d.id.in_(ids[start:start + 500]))):
            stored[doc_id] = (name, dict(attrs or {}))
    for doc_id, values in changes.items():
        if int(doc_id) not in stored:
            get_document(session, doc_id)  # raises the one sentence for a missing document
        name, before = stored[int(doc_id)]
        after = dict(before)
        for key, value in values.items():
            if value is None:
                after.pop(key, None)
            else:
                after[key] = value
            if before.get(key) != after.get(key):
                cells.append({"document_id": int(doc_id), "document": name, "name": key,
                              "before": before.get(key), "after": after.get(key)})
        if after != before:
            ops.append({"op": "update", "table": "documents", "id": int(doc_id), "before": {"attributes": before},
                        "after": {"attributes": after}})
    return ops, cells


_KEYS = {"documents": ("id",), "city_attributes": ("city_code", "name")}


def _bulk(session: Session, ops: list[dict]) -> None:
    """Carry out insert and update ops on ``documents``/``city_attributes`` in bulk (executemany).

    The ops are exactly those :func:`coding.eventlog.rowops.apply_ops` would return for them (the
    callers built ``before`` from the stored rows in this transaction), so undo reverts them
    through :mod:`coding.eventlog.rowops` as usual; one statement per table instead of several per cell.
    """
    from sqlalchemy import and_, bindparam

    from coding.eventlog.rowtables import table

    session.flush()
    for name, keys in _KEYS.items():
        t = table(name)
        rows = [op["row"] for op in ops if op["op"] == "insert" and op["table"] == name]
        if rows:
            session.execute(t.insert(), rows)
        updates = [op for op in ops if op["op"] == "update" and op["table"] == name]
        for columns in {tuple(sorted(op["after"])) for op in updates}:
            same = [op for op in updates if tuple(sorted(op["after"])) == columns]
            stmt = (t.update().where(and_(*(t.c[k] == bindparam(f"k_{k}") for k in keys)))
                    .values({c: bindparam(f"v_{c}") for c in columns}))
            params = [{**{f"k_{k}": (op["id"] if len(keys) == 1 else op["id"][k]) for k in keys},
                       **{f"v_{c}": op["after"][c] for c in columns}} for op in same]
            session.execute(stmt, params)
    session.expire_all()


def write_attribute_ops(session: Session, ops: list[dict], description: str | dict, coder: str,
                        document_id: int | None = None) -> int | None:
    """Carry out ``ops`` (in bulk, see :func:`_bulk`) and record one ``attributes_set`` event whose
    payload holds them (undo reverts them through :mod:`coding.eventlog.rowops`); ``None`` when empty.
    ``description`` is the history's text as stored: a string, or the dict of
    :func:`coding.eventlog.events.stored_description` (shown in the reader's language)."""
    if not ops:
        return None
    if any(op["op"] not in ("insert", "update") or op["table"] not in _KEYS for op in ops):
        raise CodingError(_("Attribute changes may only insert or update document and city attribute rows."))
    _bulk(session, ops)
    described = description if isinstance(description, dict) else {"description": description}
    return record(session, EventType.ATTRIBUTES_SET, {"ops": json_safe(ops), **described}, coder,
                  document_id)


def set_document_attributes(session: Session, changes: dict[int, dict[str, Any]], *, coder: str,
                            description: str | dict | None = None) -> list[dict[str, Any]]:
    """Set (or, with ``None``, delete) many attribute cells in one undoable change.

    Parameters
    ----------
    changes : dict
        Document id -> {attribute name: text, number or ``None``}.
    coder : str
        Whose change (undo is per coder).

    Returns
    -------
    list of dict
        The cells that changed (see :func:`attribute_ops`); empty when nothing did (no event).

    Raises
    ------
    CodingError
        An unknown document, a bad name or value (see :func:`check_attribute_name`,
        :func:`check_attribute_value`); nothing is written then.
    """
    clean = {}
    for doc_id, values in changes.items():
        if not isinstance(values, dict):
            raise CodingError(_("Attributes of document {doc_id!r} must be a mapping of name to value.").format(
                                doc_id=doc_id))
        clean[as_id(doc_id, "Document id")] = {
            (n := check_attribute_name(k)): (None if v is None else check_attribute_value(v, f"attribute {n!r}"))
            for k, v in values.items()}
    ops, cells = attribute_ops(session, clean)
    if cells:
        docs = sorted({c["document"] for c in cells})
        text = description or (
            stored_description(N_("edited {n} attribute value(s) of {n_documents} document(s)"), n=len(cells),
                               n_documents=len(docs)) if len(cells) > 1
            else stored_description(N_("set attribute “{name}” of “{document}”"), name=cells[0]["name"],
                                    document=docs[0]))
        write_attribute_ops(session, ops, text, coder, cells[0]["document_id"] if len(docs) == 1 else None)
    return cells


def set_document_attribute(session: Session, document_id: int, name: str, value: Any, *,
                           coder: str) -> dict[str, Any] | None:
    """Give one document's attribute ``name`` the value ``value`` (text or number); undoable.

    Returns
    -------
    dict or None
        ``{"document_id", "document", "name", "before", "after"}``; ``None`` when the value was already so.

    Raises
    ------
    CodingError
        Unknown document, bad name (empty, over 100 characters, control characters, reserved)
        or value (not text or a finite number).
    """
    if value is None:
        raise CodingError(_("An attribute value cannot be empty; delete the attribute instead."))
    cells = set_document_attributes(session, {document_id: {name: value}}, coder=coder)
    return cells[0] if cells else None


def delete_document_attribute(session: Session, document_id: int, name: str, *, coder: str) -> Any:
    """Remove attribute ``name`` from one document; undoable. Returns the value it had.

    Raises
    ------
    CodingError
        Unknown document, bad name, or the document has no such attribute.
    """
    key = check_attribute_name(name)
    doc = get_document(session, document_id)
    if key not in (doc.attributes or {}):
        raise CodingError(_("Document {name!r} has no attribute {key!r}.").format(name=doc.name, key=key))
    cells = set_document_attributes(session, {doc.id: {key: None}}, coder=coder,
                                    description=stored_description(N_("deleted attribute “{name}” of “{document}”"),
                                                                   name=key, document=doc.name))
    return cells[0]["before"]


def _all_with(session: Session, name: str) -> list[store.Document]:
    docs = session.scalars(select(store.Document).order_by(store.Document.id))
    return [d for d in docs if name in (d.attributes or {})]


def rename_document_attribute(session: Session, name: str, new_name: str, *, coder: str) -> int:
    """Rename an attribute on every document that has it (one undoable change).

    Returns
    -------
    int
        Number of documents changed.

    Raises
    ------
    CodingError
        Bad names, no document has ``name``, or a document already has ``new_name``.
    """
    old, new = check_attribute_name(name), check_attribute_name(new_name)
    docs = _all_with(session, old)
    if not docs:
        raise CodingError(_("No document has an attribute {old!r}.").format(old=old))
    clash = [d.name for d in docs if new in (d.attributes or {}) and new != old]
    if clash:
        raise CodingError(_("Attribute {new!r} already exists on {names}; rename or delete it first.").format(
                            new=new, names=', '.join(clash[:3])))
    if new == old:
        return 0
    changes = {d.id: {old: None, new: d.attributes[old]} for d in docs}
    ops, _unused = attribute_ops(session, changes)
    write_attribute_ops(session, ops, f"renamed attribute “{old}” to “{new}” ({len(docs)} document(s))", coder)
    return len(docs)


def delete_attribute(session: Session, name: str, *, coder: str) -> int:
    """Remove an attribute from every document (one undoable change); returns how many had it.

    Raises
    ------
    CodingError
        A bad name, or no document has it.
    """
    key = check_attribute_name(name)
    docs = _all_with(session, key)
    if not docs:
        raise CodingError(_("No document has an attribute {key!r}.").format(key=key))
    ops, _unused = attribute_ops(session, {d.id: {key: None} for d in docs})
    write_attribute_ops(session, ops, f"deleted attribute “{key}” from {len(docs)} document(s)", coder)
    return len(docs)


_PLAIN_NUMBER = re.compile(r"^[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def parse_value(text: Any) -> Any:
    """A typed cell as an attribute value: ``None`` for an empty cell (delete), a number for a
    plain decimal (``45``, ``-3.5``; not ``007`` or ``1e3``, which stay text), else the trimmed text."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    value = str(text).strip()
    if not value:
        return None
    if _PLAIN_NUMBER.match(value):
        return float(value) if "." in value else int(value)
    return value


def changes_from_table(before: Any, after: Any) -> dict[int, dict[str, Any]]:
    """The cells edited in a table of attributes (one row per document, indexed by document id,
    one column per attribute, cells as text): ``{document id: {name: value or None}}`` with values
    from :func:`parse_value`; cells whose text did not change are left out."""
    out: dict[int, dict[str, Any]] = {}
    for doc_id in after.index:
        for name in after.columns:
            old = before.at[doc_id, name] if (doc_id in before.index and name in before.columns) else None
            new = after.at[doc_id, name]
            old_text = "" if parse_value(old) is None else str(old).strip()
            new_text = "" if parse_value(new) is None else str(new).strip()
            if old_text != new_text:
                out.setdefault(int(doc_id), {})[str(name)] = parse_value(new)
    return out


def attribute_values(session: Session) -> list[dict[str, Any]]:
    """Every document with its attributes as stored (numbers stay numbers), in import order:
    ``[{"id", "name", "attributes": {name: value}}]`` (:func:`coding.documents.document_attributes`
    gives the same as text, one column per attribute)."""
    d = store.Document
    return [{"id": i, "name": n, "attributes": dict(a or {})}
            for i, n, a in session.execute(select(d.id, d.name, d.attributes).order_by(d.id))]
