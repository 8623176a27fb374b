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

Everything is checked before a statement runs (:mod:`coding.eventlog.rowchecks`; tables and rows
by name and id: :mod:`coding.eventlog.rowtables`); a refused op raises
:class:`~coding.errors.CodingError` naming the row and the reason, and
:func:`apply_ops` then cancels the ops it had already done, so nothing is left
half-written. Offsets inside rows are code points, as everywhere in ``coding``.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import DateTime, Table, exc, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.errors import CodingError
from coding.eventlog.rowchecks import check_insert, check_update, refuse_dependents
from coding.eventlog.rowtables import NOUN, fetch_row, row_exists, row_key, row_label, table, where_row

Op = dict[str, Any]

NEW_ID_TABLES = frozenset({"segments", "place_mentions", "code_variable_map", "code_dimension_map"})
MEMO_TARGET = {"documents": "document", "codes": "code", "codings": "coding", "dyads": "dyad"}
# foreign keys whose referencing rows are checked by hand, not captured generically
_HANDLED = {("codes", "parent_id"), ("codings", "code_id"), ("codings", "document_id"),
            ("code_variable_map", "code_id"), ("documents", "superseded_by"), ("coding_links", "dyad_id"),
            ("dyad_attributes", "dyad_id")}


def _decode(t: Table, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in t.c:
            continue
        if isinstance(t.c[key].type, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[key] = value
    return out


def _insert(session: Session, op: Op) -> list[Op]:
    name = op["table"]
    t = table(name)
    values = _decode(t, op["row"])
    if name in NEW_ID_TABLES:
        values.pop("id", None)
    label = row_label(name, op["row"])
    check_insert(session, name, t, values, label)
    result = session.execute(t.insert().values(**values))
    row_id = values.get("id", result.inserted_primary_key[0]) if "id" in t.c else row_key(t, values)
    row = fetch_row(session, name, row_id) or {}
    if name == "documents":
        row.pop("text", None)  # the removal captures the text again
    return [{"op": "insert", "table": name, "row": row}]


def _dyad_in_use(session: Session, dyad_id: int) -> bool:
    links = table("coding_links").c
    memos = table("memos").c
    attrs = table("dyad_attributes").c
    return (row_exists(session, links.dyad_id, dyad_id) or row_exists(session, attrs.dyad_id, dyad_id)
            or session.execute(select(memos.id).where(memos.target_type == "dyad",
                                                      memos.target_id == str(dyad_id))).first() is not None)


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
    label = row_label(name, wanted)
    current = fetch_row(session, name, row_key(t, wanted))
    if current is None:
        raise CodingError(_("{label} cannot be removed: it no longer exists.").format(label=label))
    for key in ("guid", "coding_id", "city_code", "dyad_id", "city_a", "city_b"):
        if key in wanted and key in current and wanted[key] != current[key]:
            raise CodingError(_("{label} cannot be removed: it is no longer the same row ({key} changed).").format(
                                label=label, key=key))
    if name == "dyads" and _dyad_in_use(session, current["id"]):
        return []  # a pair other links or memos still use stays; nothing to undo then
    label = row_label(name, current)
    refuse_dependents(session, name, current, label)
    done: list[Op] = []
    try:
        _delete_dependents(session, name, current, label, done)
    except CodingError:
        for op in reversed(done):  # put back what this removal had already captured
            execute(session, inverse(op))
        raise
    session.execute(t.delete().where(where_row(t, row_key(t, current))))
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
            if row_exists(session, other.c[key], current["id"]):
                raise CodingError(_("{label} cannot be removed: rows of {name} refer to it.").format(
                                    label=label, name=other.name))
            continue
        refs = session.scalars(select(other.c.id).where(other.c[key] == current["id"]).order_by(other.c.id)).all()
        for ref_id in refs:
            done += _delete(session, {"op": "delete", "table": other.name, "row": {"id": ref_id}})


def _update(session: Session, op: Op) -> list[Op]:
    name, row_id = op["table"], op["id"]
    t = table(name)
    current = fetch_row(session, name, row_id)
    if current is None:
        raise CodingError(_("{get} {row_id} cannot be changed: it no longer exists.").format(
                            get=_(NOUN[name]) if name in NOUN else name, row_id=row_id))
    after = {k: v for k, v in op["after"].items() if k in t.c}
    check_update(session, name, current, after, row_label(name, current))
    stamped = [c.name for c in t.c if c.onupdate is not None and c.name not in after]
    session.execute(t.update().where(where_row(t, row_id)).values(**_decode(t, after)))
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
    if after and not row_exists(session, table("codes").c.id, code_id):
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
