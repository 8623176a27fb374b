"""What an event did, as row ops: :func:`forward_ops` reads them from the event's type and payload
(events written before row ops were stored in payloads describe their rows instead). Undo reverts
these ops (:mod:`coding.eventlog.undo`); :mod:`coding.eventlog.effect` counts what reverting them
would remove.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.errors import CodingError
from coding.eventlog.events import EventType
from coding.eventlog.rowops import Op

__all__ = ["forward_ops"]


def _ins(table: str, row: dict[str, Any]) -> Op:
    return {"op": "insert", "table": table, "row": row}


def _del(table: str, row: dict[str, Any]) -> Op:
    return {"op": "delete", "table": table, "row": row}


def _upd(table: str, row_id: int, before: dict[str, Any], after: dict[str, Any]) -> Op:
    return {"op": "update", "table": table, "id": row_id, "before": before, "after": after}


def _parents_first(codes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Code rows ordered so that a parent comes before its children (ids may not say so after moves)."""
    ids = {c["id"] for c in codes}
    placed: set[Any] = set()
    out: list[dict[str, Any]] = []
    pending = list(codes)
    while pending:
        ready = [c for c in pending if c.get("parent_id") not in ids or c.get("parent_id") in placed]
        if not ready:  # a cycle cannot be stored; keep the rest as given
            return out + pending
        out += ready
        placed |= {c["id"] for c in ready}
        pending = [c for c in pending if c["id"] not in placed]
    return out


def forward_ops(event_type: str, payload: dict[str, Any], session: Session | None = None) -> list[Op]:
    """The row ops that an event of this type and payload did, in the order done.

    Parameters
    ----------
    event_type : str
        An :class:`~coding.eventlog.events.EventType` value other than ``undo``/``redo``.
    payload : dict
        The event's payload; one holding ``"ops"`` is returned as is.
    session : Session, optional
        Used for ``codebook_seed`` only, to order the seeded codes by the current tree.

    Returns
    -------
    list of dict
        Ops for :func:`coding.eventlog.rowops.revert_ops`.

    Raises
    ------
    CodingError
        The type is unknown or is ``undo``/``redo``, or the payload lacks what the type needs.
    """
    if isinstance(payload.get("ops"), list):
        return payload["ops"]
    try:
        kind = EventType(event_type)
    except ValueError:
        raise CodingError(_("Event type {event_type!r} is unknown, so it cannot be undone.").format(
                            event_type=event_type)) from None
    p = payload
    try:
        if kind is EventType.CODEBOOK_SEED:
            rows = [{"id": i, "parent_id": None} for i in sorted(p["code_ids"])]
            if session is not None:
                parents = dict(session.execute(select(store.Code.id, store.Code.parent_id)
                                               .where(store.Code.id.in_(p["code_ids"]))).all())
                rows = [{"id": r["id"], "parent_id": parents.get(r["id"])} for r in rows]
            return [_ins("codes", {"id": r["id"]}) for r in _parents_first(rows)]
        if kind is EventType.CODE_ADD:
            return [_ins("codes", p["code"])]
        if kind in (EventType.CODE_RENAME, EventType.CODE_UPDATE, EventType.CODE_MOVE):
            return [_upd("codes", p["code_id"], p["before"], p["after"])]
        if kind is EventType.CODE_DELETE:
            variables: dict[int, list[str]] = {}
            for code_id, variable in p["variable_map"]:
                variables.setdefault(code_id, []).append(variable)
            return ([_del("memos", m) for m in p["memos"]] + [_del("coding_links", k) for k in p["links"]]
                    + [_del("codings", c) for c in p["codings"]]
                    + [{"op": "vmap", "code_id": c, "before": v, "after": []} for c, v in variables.items()]
                    + [_del("code_dimension_map", r) for r in p.get("dimension_map", [])]
                    + [_del("codes", c) for c in reversed(_parents_first(p["codes"]))])
        if kind is EventType.VARIABLE_MAP_SET:
            return [{"op": "vmap", "code_id": p["code_id"], "before": p["before"], "after": p["after"]}]
        if kind is EventType.CODING_ADD:
            return [_ins("codings", c) for c in p["codings"]]
        if kind is EventType.CODING_UPDATE:
            return [_upd("codings", p["coding_id"], p["before"], p["after"])]
        if kind is EventType.CODING_DELETE:
            return ([_del("memos", m) for m in p["memos"]] + [_del("coding_links", k) for k in p["links"]]
                    + [_del("codings", p["coding"])])
        if kind in (EventType.LINK_ADD, EventType.MEMO_ADD):
            made = [_ins("dyads", p["created_dyad"])] if p.get("created_dyad") else []
            return made + ([_ins("coding_links", p["link"])] if kind is EventType.LINK_ADD
                           else [_ins("memos", p["memo"])])
        if kind is EventType.LINK_DELETE:
            return [_del("coding_links", p["link"])]
        if kind is EventType.MEMO_UPDATE:
            return [_upd("memos", p["memo_id"], p["before"], p["after"])]
        if kind is EventType.MEMO_DELETE:
            return [_del("memos", p["memo"])]
    except (KeyError, TypeError) as err:
        raise CodingError(_("A {value} event lacks {err} in its payload, so it cannot be undone.").format(
                            value=kind.value, err=err)) from None
    raise CodingError(_("A {value} event carries no row operations, so it cannot be undone.").format(value=kind.value))
