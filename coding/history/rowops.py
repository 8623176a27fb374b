"""Reversible row operations: the primitive commands that undo and redo are made of.

An *op* is a JSON dict that can be stored in ``Event.payload``:

- ``{"op": "insert", "table": t, "row": {...}}`` — the row exists (was added);
- ``{"op": "delete", "table": t, "row": {...}}`` — the row is gone (full snapshot);
- ``{"op": "update", "table": t, "id": i, "before": {...}, "after": {...}}``;
- ``{"op": "vmap", "code_id": c, "before": [...], "after": [...]}`` — a code's model
  variables, in order.

:func:`execute` carries one op out against the database and returns the ops it actually
did, *as they were done*: a removal captures the current full row and first removes
what hangs on it (memos on the object, links and other rows that refer to it by a
foreign key), an update captures the current values as ``before``. :func:`inverse`
turns an op into the one that cancels it, so :func:`revert_ops` of what
:func:`apply_ops` returned puts the database back, and reverting that result again
re-applies it. Rows come back with the same id and GUID (the tables whose ids matter
use SQLite ``AUTOINCREMENT``, and PostgreSQL sequences only grow, so ids are never
reused: a restored id was handed out by the sequence before, and an explicit id does not
move the sequence); segments, place mentions and variable-map rows, whose ids nothing
refers to, get fresh ids. A coding is not put back where the same code now sits on the
same span for the same coder (the unique index ``ux_codings_one_span``). Each op runs
inside a savepoint (:func:`store.savepoint`), so a statement the database refuses
leaves the transaction usable on PostgreSQL too.

Everything is checked before a statement runs; a refused op raises
:class:`~coding.errors.CodingError` naming the row and the reason, and
:func:`apply_ops` then cancels the ops it had already done, so nothing is left
half-written. Offsets inside rows are code points, as everywhere in ``coding``.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import DateTime, LargeBinary, Table, and_, exc, func, select
from sqlalchemy.orm import Session

from i18n import N_, _
import store
from coding.errors import CodingError
from coding.history.events import json_safe
from coding.codebook.tree import descendants

Op = dict[str, Any]

NEW_ID_TABLES = frozenset({"segments", "place_mentions", "code_variable_map", "code_dimension_map"})
MEMO_TARGET = {"documents": "document", "codes": "code", "codings": "coding", "dyads": "dyad"}
NOUN = {"documents": N_("Document"), "segments": N_("Segment"), "place_mentions": N_("Place mention"),
        "codes": N_("Code"), "codings": N_("Coding"), "coding_links": N_("Link"), "memos": N_("Memo"),
        "dyads": N_("Dyad"), "city_attributes": N_("City attribute")}  # English; shown through _()
_FK_NOUN = {"document_id": N_("document"), "code_id": N_("code"), "coding_id": N_("coding"), "city_code": N_("city"),
            "dyad_id": N_("dyad"), "parent_id": N_("parent code"), "superseded_by": N_("newer version"),
            "city_a": N_("city"), "city_b": N_("city"), "rule_id": N_("auto-coding rule")}
# foreign keys whose referencing rows are checked by hand, not captured generically
_HANDLED = {("codes", "parent_id"), ("codings", "code_id"), ("codings", "document_id"),
            ("code_variable_map", "code_id"), ("documents", "superseded_by"), ("coding_links", "dyad_id"),
            ("dyad_attributes", "dyad_id")}


def table(name: str) -> Table:
    """The ``store`` table called ``name``, or ``CodingError``."""
    found = store.Base.metadata.tables.get(name)
    if found is None:
        raise CodingError(_("Table {name!r} is not part of the project store.").format(name=name))
    return found


def _where(t: Table, row_id: Any) -> Any:
    """The row of ``t`` with this ``id``; for a table without ``id`` (``city_attributes``),
    ``row_id`` is a dict (or row) holding its primary-key columns."""
    if "id" in t.c:
        return t.c.id == row_id
    return and_(*(t.c[k] == row_id[k] for k in _primary_key(t.name)))


@lru_cache(maxsize=None)
def _primary_key(name: str) -> tuple[str, ...]:
    return tuple(c.name for c in table(name).primary_key.columns)


def _row_key(t: Table, row: dict[str, Any]) -> Any:
    return row.get("id") if "id" in t.c else {k: row.get(k) for k in _primary_key(t.name)}


def fetch_row(session: Session, name: str, row_id: Any) -> dict[str, Any] | None:
    """Every column of one row (by ``id``, or by its primary key as a dict for a table without
    ``id``) as JSON-safe values, or ``None`` if it is absent.

    Binary columns (a run's stored units table) are left out: no op ever changes them."""
    t = table(name)
    cols = [c for c in t.c if not isinstance(c.type, LargeBinary)]
    row = session.execute(select(*cols).where(_where(t, row_id))).mappings().first()
    return None if row is None else json_safe(dict(row))


def _label(name: str, row: dict[str, Any]) -> str:
    noun = _(NOUN[name]) if name in NOUN else _("Row of {table}").format(table=name)
    number = "" if row.get("id") is None else f" ({row['id']})"
    if name in ("codes", "documents") and row.get("name"):
        return f"{noun} {row['name']!r}{number}"
    return f"{noun}{number.replace('(', '').replace(')', '')}"


def _decode(t: Table, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in t.c:
            continue
        if isinstance(t.c[key].type, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[key] = value
    return out


def _exists(session: Session, column: Any, value: Any) -> bool:
    return session.execute(select(column).where(column == value).limit(1)).first() is not None


def _check_fks(session: Session, t: Table, values: dict[str, Any], label: str) -> None:
    for fk in t.foreign_keys:
        key = fk.parent.name
        if key in values and values[key] is not None and not _exists(session, fk.column, values[key]):
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
        found = _exists(session, table("cities").c.code, target)
    else:
        found = str(target).isdigit() and _exists(session, table(tables[kind]).c.id, int(target))
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


def _check_insert(session: Session, name: str, t: Table, values: dict[str, Any], label: str) -> None:
    if "id" in values and _exists(session, t.c.id, values["id"]):
        raise CodingError(_("{label} cannot be put back: a row with id {id} already exists.").format(
                            label=label, id=values['id']))
    if "id" not in t.c and fetch_row(session, name, _row_key(t, values)) is not None:
        raise CodingError(_("{label} cannot be put back: it exists again.").format(label=label))
    if values.get("guid") and "guid" in t.c and _exists(session, t.c.guid, values["guid"]):
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
        if _exists(session, t.c.name, values["name"]):
            raise CodingError(_("{label} cannot be put back: another document is now named {name!r}.").format(
                                label=label, name=values['name']))


def _insert(session: Session, op: Op) -> list[Op]:
    name = op["table"]
    t = table(name)
    values = _decode(t, op["row"])
    if name in NEW_ID_TABLES:
        values.pop("id", None)
    label = _label(name, op["row"])
    _check_insert(session, name, t, values, label)
    result = session.execute(t.insert().values(**values))
    row_id = values.get("id", result.inserted_primary_key[0]) if "id" in t.c else _row_key(t, values)
    row = fetch_row(session, name, row_id) or {}
    if name == "documents":
        row.pop("text", None)  # the removal captures the text again
    return [{"op": "insert", "table": name, "row": row}]


def _dyad_in_use(session: Session, dyad_id: int) -> bool:
    links = table("coding_links").c
    memos = table("memos").c
    attrs = table("dyad_attributes").c
    return (_exists(session, links.dyad_id, dyad_id) or _exists(session, attrs.dyad_id, dyad_id)
            or session.execute(select(memos.id).where(memos.target_type == "dyad",
                                                      memos.target_id == str(dyad_id))).first() is not None)


def _refuse_dependents(session: Session, name: str, row: dict[str, Any], label: str) -> None:
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


def referencing(name: str) -> tuple[tuple[Table, str], ...]:
    """``(table, column)`` of every foreign key to table ``name`` that no check here handles by hand.

    These are rows that hang on a row (segments on a document, auto-coding rules on a
    code, suggestions on a coding, ...): a removal captures them first. Computed once per
    table (the schema does not change while Tandem runs; ``sorted_tables`` is costly).
    """
    return _referencing(name)


@lru_cache(maxsize=None)
def _referencing(name: str) -> tuple[tuple[Table, str], ...]:
    return tuple((other, fk.parent.name) for other in store.Base.metadata.sorted_tables
                 for fk in other.foreign_keys
                 if fk.column.table.name == name and (other.name, fk.parent.name) not in _HANDLED)


def _delete(session: Session, op: Op) -> list[Op]:
    name = op["table"]
    t = table(name)
    wanted = op["row"]
    label = _label(name, wanted)
    current = fetch_row(session, name, _row_key(t, wanted))
    if current is None:
        raise CodingError(_("{label} cannot be removed: it no longer exists.").format(label=label))
    for key in ("guid", "coding_id", "city_code", "dyad_id", "city_a", "city_b"):
        if key in wanted and key in current and wanted[key] != current[key]:
            raise CodingError(_("{label} cannot be removed: it is no longer the same row ({key} changed).").format(
                                label=label, key=key))
    if name == "dyads" and _dyad_in_use(session, current["id"]):
        return []  # a pair other links or memos still use stays; nothing to undo then
    label = _label(name, current)
    _refuse_dependents(session, name, current, label)
    done: list[Op] = []
    try:
        _delete_dependents(session, name, current, label, done)
    except CodingError:
        for op in reversed(done):  # put back what this removal had already captured
            execute(session, inverse(op))
        raise
    session.execute(t.delete().where(_where(t, _row_key(t, current))))
    return done + [{"op": "delete", "table": name, "row": current}]


def _delete_dependents(session: Session, name: str, current: dict[str, Any], label: str, done: list[Op]) -> None:
    """Remove (capturing them in ``done``) the memos, variables and rows that hang on a row."""
    if name in MEMO_TARGET:
        m = table("memos").c
        ids = session.scalars(select(m.id).where(m.target_type == MEMO_TARGET[name],
                                                 m.target_id == str(current["id"])).order_by(m.id)).all()
        for memo_id in ids:
            done += _delete(session, {"op": "delete", "table": "memos", "row": {"id": memo_id}})
    if name == "codes":
        done += _vmap(session, {"op": "vmap", "code_id": current["id"], "after": []})
    for other, key in referencing(name):
        if "id" not in other.c:
            if _exists(session, other.c[key], current["id"]):
                raise CodingError(_("{label} cannot be removed: rows of {name} refer to it.").format(
                                    label=label, name=other.name))
            continue
        refs = session.scalars(select(other.c.id).where(other.c[key] == current["id"]).order_by(other.c.id)).all()
        for ref_id in refs:
            done += _delete(session, {"op": "delete", "table": other.name, "row": {"id": ref_id}})


def _check_update(session: Session, name: str, current: dict[str, Any], after: dict[str, Any], label: str) -> None:
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


def _update(session: Session, op: Op) -> list[Op]:
    name, row_id = op["table"], op["id"]
    t = table(name)
    current = fetch_row(session, name, row_id)
    if current is None:
        raise CodingError(_("{get} {row_id} cannot be changed: it no longer exists.").format(
                            get=_(NOUN[name]) if name in NOUN else name, row_id=row_id))
    after = {k: v for k, v in op["after"].items() if k in t.c}
    _check_update(session, name, current, after, _label(name, current))
    stamped = [c.name for c in t.c if c.onupdate is not None and c.name not in after]
    session.execute(t.update().where(_where(t, row_id)).values(**_decode(t, after)))
    if stamped:  # e.g. memos.updated: keep the stamp in the op, so that the inverse restores it exactly
        new = fetch_row(session, name, row_id) or {}
        after = {**after, **{k: new[k] for k in stamped}}
    return [{"op": "update", "table": name, "id": row_id, "before": {k: current[k] for k in after}, "after": after}]


def _vmap(session: Session, op: Op) -> list[Op]:
    t = table("code_variable_map")
    code_id, after = op["code_id"], list(op["after"])
    current = list(session.scalars(select(t.c.variable).where(t.c.code_id == code_id).order_by(t.c.id)))
    if current == after:
        return []
    if after and not _exists(session, table("codes").c.id, code_id):
        raise CodingError(_("The model variables of code {code_id} cannot be put back: the code no longer exists.").format(
                            code_id=code_id))
    session.execute(t.delete().where(t.c.code_id == code_id))
    for variable in after:
        session.execute(t.insert().values(code_id=code_id, variable=variable))
    return [{"op": "vmap", "code_id": code_id, "before": current, "after": after}]


_EXECUTORS = {"insert": _insert, "delete": _delete, "update": _update, "vmap": _vmap}


def execute(session: Session, op: Op) -> list[Op]:
    """Carry out one op and return the ops done, as done (see the module notes).

    Raises
    ------
    CodingError
        The op is malformed or refused (a row is missing, an id or name is taken, a
        row it needs no longer exists, a code would get a cycle, ...).
    """
    if not isinstance(op, dict) or op.get("op") not in _EXECUTORS:
        raise CodingError(_("Operation {op!r} is not one of insert, delete, update, vmap.").format(op=op))
    try:
        with store.savepoint(session):  # on PostgreSQL a refused statement must not abort the transaction
            return _EXECUTORS[op["op"]](session, op)
    except exc.IntegrityError as err:  # a concurrent writer got there between the checks and the statement
        first = str(err.orig).strip().splitlines()[0] if str(err.orig).strip() else "a constraint"
        raise CodingError(_("The database refused {op} on {get}: {rstrip}.").format(
                            op=op['op'], get=op.get('table', 'code_variable_map'), rstrip=first.rstrip('.'))) from err


def inverse(op: Op) -> Op:
    """The op that cancels ``op`` (insert <-> delete; update and vmap swap before/after)."""
    kind = op["op"]
    if kind == "insert":
        return {"op": "delete", "table": op["table"], "row": op["row"]}
    if kind == "delete":
        return {"op": "insert", "table": op["table"], "row": op["row"]}
    if kind == "update":
        return {"op": "update", "table": op["table"], "id": op["id"], "before": op["after"], "after": op["before"]}
    if kind == "vmap":
        return {"op": "vmap", "code_id": op["code_id"], "before": op["after"], "after": op["before"]}
    raise CodingError(_("Operation {op!r} is not one of insert, delete, update, vmap.").format(op=op))


def apply_ops(session: Session, ops: Iterable[Op]) -> list[Op]:
    """Execute ops in order, all or nothing; return the ops done (input for :func:`revert_ops`).

    Raises
    ------
    CodingError
        One op is refused; the ops already done are cancelled first.
    """
    session.flush()
    done: list[Op] = []
    try:
        for op in ops:
            done.extend(execute(session, op))
    except CodingError:
        for op in reversed(done):
            execute(session, inverse(op))
        session.expire_all()
        raise
    session.expire_all()  # ORM objects loaded before now see the rows as they are
    return done


def revert_ops(session: Session, ops: Iterable[Op]) -> list[Op]:
    """Cancel ops done earlier (last first), all or nothing; return the ops done in doing so.

    Reverting the returned list re-applies the original change.

    Raises
    ------
    CodingError
        As :func:`apply_ops`.
    """
    return apply_ops(session, [inverse(op) for op in reversed(list(ops))])
