"""Undo, redo and the history view, per coder, from the persisted event log.

Every change in ``coding`` is an ``Event`` row whose payload says how to invert it and
re-apply it: either a list of reversible row ops (``payload["ops"]``, see
:mod:`coding.history.rowops`) or, for the older event kinds, snapshots and before/after values
that :func:`forward_ops` turns into such ops.

Each coder has an undo stack and a redo stack, both derived from the database alone, so
they survive restarts:

- :func:`undo` reverts the coder's most recent event in force (``undone=0``), marks it
  ``undone=1`` and appends an ``undo`` event whose payload holds the ops that undid it,
  each with the full rows it removed (links, memos and other rows hanging on them);
- :func:`redo` re-applies the coder's most recently undone event (the undone event with
  the lowest id, since undo always takes the newest one), marks it ``undone=0`` and
  appends a ``redo`` event with the ops that re-applied it;
- any new change by the coder clears their redo stack (``undone=2``, see
  :func:`coding.history.events.record`), as editors do.

Undo and redo are refused with :class:`~coding.errors.CodingError` when they are
impossible (the document a coding pointed to was deleted since, a code has codings by
another coder, a name is now taken, ...); nothing is written then.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder
from coding.errors import CodingError
from coding.history.events import HISTORY_TYPES, EventType, last_ops, latest_event, record, stored_description
from coding.history.rowops import Op, revert_ops

__all__ = ["HISTORY_COLUMNS", "describe", "stored_description", "forward_ops", "history", "peek", "redo",
           "redo_effect", "undo", "undo_effect"]

HISTORY_COLUMNS = ["id", "ts", "coder", "type", "document_id", "summary", "state", "target_event"]
_STATE = {0: "done", 1: "undone", 2: "discarded"}


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
        An :class:`~coding.history.events.EventType` value other than ``undo``/``redo``.
    payload : dict
        The event's payload; one holding ``"ops"`` is returned as is.
    session : Session, optional
        Used for ``codebook_seed`` only, to order the seeded codes by the current tree.

    Returns
    -------
    list of dict
        Ops for :func:`coding.history.rowops.revert_ops`.

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


def _short(text: Any, width: int = 24) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _names(values: Any) -> str:
    return ", ".join(str(v) for v in values or [])


def describe(event_type: str, payload: dict[str, Any]) -> str:
    """A one-line description of an event for the history view, built from the payload alone and
    in the current interface language (``i18n``); data in it (code names, quotes, ids) stays as
    stored. The event log stores only the structured payload, so the same event reads in English
    or Chinese depending on who looks. Events that describe themselves (runs, worklist, dimension
    maps) are shown from ``description_template``/``description_params`` when they carry them
    (see :func:`stored_description`), else from their stored ``description`` as written."""
    p = payload or {}
    t = event_type
    if t == EventType.UNDO:
        return _("undid event {id} ({type})").format(id=p.get("event_id"), type=p.get("event_type"))
    if t == EventType.REDO:
        return _("redid event {id} ({type})").format(id=p.get("event_id"), type=p.get("event_type"))
    if t == EventType.CODEBOOK_SEED:
        return _("seeded the default codebook ({n} codes)").format(n=len(p.get("code_ids", [])))
    if t == EventType.CODE_ADD:
        return _("added code “{name}”").format(name=_short(p.get("code", {}).get("name")))
    if t in (EventType.CODE_RENAME, EventType.CODE_UPDATE):
        before, after = p.get("before", {}), p.get("after", {})
        if set(after) == {"name"}:
            return _("renamed code {id} “{old}” → “{new}”").format(
                id=p.get("code_id"), old=_short(before.get("name")), new=_short(after["name"]))
        return _("edited code {id} ({fields})").format(id=p.get("code_id"), fields=_names(sorted(after)))
    if t == EventType.CODE_MOVE:
        parent = p.get("after", {}).get("parent_id")
        if parent is None:
            return _("moved code {id} to the top level").format(id=p.get("code_id"))
        return _("moved code {id} under code {parent}").format(id=p.get("code_id"), parent=parent)
    if t == EventType.CODE_DELETE:
        name = next((c.get("name") for c in p.get("codes", []) if c.get("id") == p.get("code_id")), "?")
        n_codes, n_codings = len(p.get("codes", [])), len(p.get("codings", []))
        return _("deleted code “{name}” ({n_codes} code(s), {n_codings} coding(s))").format(
            name=_short(name), n_codes=n_codes, n_codings=n_codings)
    if t == EventType.CODE_MERGE:
        return _("merged code “{source}” into “{target}” ({moved} coding(s) moved, {collapsed} collapsed)").format(
            source=_short(p.get("source_name")), target=_short(p.get("target_name")), moved=p.get("moved", 0),
            collapsed=p.get("collapsed", 0))
    if t == EventType.CODE_SPLIT:
        names = "”, “".join(_short(n) for n in p.get("names", []))
        return _("split code {id} into “{names}”").format(id=p.get("code_id"), names=names)
    if t == EventType.VARIABLE_MAP_SET:
        if not p.get("after"):
            return _("mapped code {id} to no variables").format(id=p.get("code_id"))
        return _("mapped code {id} to {names}").format(id=p.get("code_id"), names=_names(p.get("after")))
    if t == EventType.CODING_ADD:
        rows = p.get("codings", [])
        first = rows[0] if rows else {}
        return _("coded [{start}, {end}) “{quote}” with {n} code(s)").format(
            start=first.get("start"), end=first.get("end"), quote=_short(first.get("quote")), n=len(rows))
    if t == EventType.CODING_UPDATE:
        return _("edited coding {id} ({fields})").format(id=p.get("coding_id"),
                                                        fields=_names(sorted(p.get("after", {}))))
    if t == EventType.CODING_DELETE:
        c = p.get("coding", {})
        return _("deleted coding {id} [{start}, {end}) “{quote}”").format(
            id=c.get("id"), start=c.get("start"), end=c.get("end"), quote=_short(c.get("quote")))
    if t in (EventType.LINK_ADD, EventType.LINK_DELETE):
        k = p.get("link", {})
        target = (_("city {code}").format(code=k.get("city_code")) if k.get("city_code")
                  else _("dyad {id}").format(id=k.get("dyad_id")))
        if t == EventType.LINK_ADD:
            return _("linked coding {id} to {target}").format(id=k.get("coding_id"), target=target)
        return _("unlinked coding {id} from {target}").format(id=k.get("coding_id"), target=target)
    if t in (EventType.MEMO_ADD, EventType.MEMO_DELETE):
        m = p.get("memo", {})
        target = f"{m.get('target_type')} {m.get('target_id') or ''}".rstrip()
        if t == EventType.MEMO_ADD:
            return _("wrote a memo on {target}").format(target=target)
        return _("deleted a memo on {target}").format(target=target)
    if t == EventType.MEMO_UPDATE:
        return _("edited memo {id} ({fields})").format(
            id=p.get("memo_id"), fields=_names(sorted(k for k in p.get("after", {}) if k != "updated")))
    if t == EventType.DOCUMENT_IMPORT:
        d = p.get("document", {})
        return _("imported document “{name}” ({n} code points)").format(name=_short(d.get("name"), 40),
                                                                       n=d.get("n_chars"))
    if t == EventType.DOCUMENT_VERSION:
        counts = _names(f"{v} {k}" for k, v in sorted(p.get("methods", {}).items()))
        name, old = _short(p.get("new_name"), 40), p.get("old_document_id")
        if not counts:
            return _("imported “{name}” as the new version of document {id} (no codings)").format(name=name, id=old)
        return _("imported “{name}” as the new version of document {id} ({counts})").format(
            name=name, id=old, counts=counts)
    if p.get("description_template"):  # self-described, stored as template + params (stored_description)
        try:
            return _(str(p["description_template"])).format(**(p.get("description_params") or {}))
        except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder: the English
            return str(p.get("description") or p["description_template"])
    if p.get("description"):  # runs, worklist and dimension maps describe themselves
        return str(p["description"])
    return str(t)


def _summary(event: store.Event, log_id: int) -> dict[str, Any]:
    return {"event_id": event.id, "type": event.type, "coder": event.coder, "document_id": event.document_id,
            "summary": describe(event.type, event.payload), "log_id": log_id}


def _revert_and_log(session: Session, who: str, event: store.Event, ops: Callable[[], list[Op]], *,
                    log_type: EventType, undone: int, verb: str) -> dict[str, Any]:
    """Revert ``ops()`` for ``event``, set its ``undone`` flag and log the reverting ops.

    The shared body of :func:`undo` and :func:`redo`: ``ops`` is called inside the guard,
    so a ``CodingError`` from building or reverting the ops is re-raised as "Event N
    (...) cannot be <verb>: ..." before the flag or the log is written. Returns :func:`_summary`.
    """
    try:
        done = revert_ops(session, ops())
    except CodingError as err:
        message = (_("Event {id} ({description}) cannot be undone: {reason}") if verb == "undone"
                   else _("Event {id} ({description}) cannot be redone: {reason}"))
        raise CodingError(message.format(id=event.id, description=describe(event.type, event.payload),
                                         reason=err)) from err
    session.execute(update(store.Event).where(store.Event.id == event.id).values(undone=undone))
    log_id = record(session, log_type, {"event_id": event.id, "event_type": event.type, "ops": done},
                    who, event.document_id)
    session.refresh(event)
    return _summary(event, log_id)


def undo(session: Session, coder: str, *, by: str | None = None) -> dict[str, Any] | None:
    """Revert this coder's most recent change that is in force.

    Parameters
    ----------
    session : Session
    coder : str
        Whose change; other coders' changes are never undone by it.
    by : str, optional
        Who is undoing it, recorded on the ``undo`` event (default ``coder``). Whether
        ``by`` may act on ``coder``'s changes is the caller's rule (in team mode only an
        owner may; see ``team.roles``, action ``undo_others``).

    Returns
    -------
    dict or None
        ``{"event_id", "type", "coder", "document_id", "summary", "log_id"}`` (``log_id`` =
        the ``undo`` event written), or ``None`` when the coder has nothing to undo.

    Raises
    ------
    CodingError
        Bad coder, or the change cannot be undone any more (the message says why);
        nothing is written then and the change stays at the top of the undo stack.
    """
    who = as_coder(coder)
    event = latest_event(session, who, 0)
    if event is None:
        return None
    fwd = last_ops(session, EventType.REDO, event.id)
    return _revert_and_log(
        session, who if by is None else as_coder(by), event, lambda: forward_ops(event.type, event.payload, session) if fwd is None else fwd,
        log_type=EventType.UNDO, undone=1, verb="undone",
    )


def redo(session: Session, coder: str, *, by: str | None = None) -> dict[str, Any] | None:
    """Re-apply this coder's most recently undone change (``by``: who does it, as in :func:`undo`).

    Returns
    -------
    dict or None
        As :func:`undo` (``log_id`` = the ``redo`` event written); ``None`` when the redo
        stack is empty (nothing undone, or a new change cleared it).

    Raises
    ------
    CodingError
        Bad coder, or the change cannot be re-applied (e.g. a name is taken or a row it
        needs was deleted since); nothing is written then.
    """
    who = as_coder(coder)
    event = latest_event(session, who, 1)
    if event is None:
        return None
    back = last_ops(session, EventType.UNDO, event.id)
    if back is None:
        raise CodingError(_("Event {id} is marked undone but has no undo record, so it cannot be redone.").format(
                            id=event.id))
    return _revert_and_log(session, who if by is None else as_coder(by), event, lambda: back,
                           log_type=EventType.REDO, undone=0, verb="redone")


def peek(session: Session, coder: str) -> dict[str, dict[str, Any] | None]:
    """What :func:`undo` and :func:`redo` would act on now, without changing anything.

    Returns
    -------
    dict
        ``{"undo": {...} or None, "redo": {...} or None}``, each ``{"event_id", "type",
        "summary"}`` (for labelling Undo/Redo buttons).
    """
    who = as_coder(coder)
    out: dict[str, dict[str, Any] | None] = {}
    for key, flag in (("undo", 0), ("redo", 1)):
        event = latest_event(session, who, flag)
        out[key] = None if event is None else {"event_id": event.id, "type": event.type,
                                               "summary": describe(event.type, event.payload)}
    return out


def history(session: Session, coder: str | None = None, limit: int = 200) -> pd.DataFrame:
    """The event log for the history view, newest first.

    Parameters
    ----------
    session : Session
    coder : str, optional
        Only this coder's events.
    limit : int
        At most this many rows (default 200).

    Returns
    -------
    DataFrame
        ``id, ts, coder, type, document_id, summary, state, target_event``. ``state`` is
        ``done`` (in force), ``undone`` (can be redone) or ``discarded`` (undone, and the
        redo was cleared by a later change); ``undo``/``redo`` entries are ``done`` and
        name the event they acted on in ``target_event``.

    Raises
    ------
    CodingError
        ``limit`` is not a positive integer, or a bad coder.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise CodingError(_("History limit must be a positive integer, got {limit!r}.").format(limit=limit))
    stmt = select(store.Event).order_by(store.Event.id.desc()).limit(limit)
    if coder is not None:
        stmt = stmt.where(store.Event.coder == as_coder(coder))
    rows = []
    for e in session.scalars(stmt):
        target = e.payload.get("event_id") if e.type in HISTORY_TYPES else None
        rows.append((e.id, e.ts, e.coder, e.type, e.document_id, describe(e.type, e.payload),
                     _STATE.get(e.undone, "done"), target))
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    frame["target_event"] = frame["target_event"].astype("Int64")
    frame["document_id"] = frame["document_id"].astype("Int64")
    return frame


def undo_effect(session: Session, coder: str) -> dict[str, Any]:
    """What :func:`undo` would remove for ``coder`` now, computed from the event's ops without
    changing anything: documents by name, numbers of codings, memos and links, whether to ask
    first, the question to ask, and the reason the undo would be refused (if it would).
    See :func:`coding.undo_effect.effect_of` for the keys."""
    from coding.history import effect

    return effect.undo_effect(session, coder)


def redo_effect(session: Session, coder: str) -> dict[str, Any]:
    """What :func:`redo` would remove for ``coder`` now (as :func:`undo_effect`)."""
    from coding.history import effect

    return effect.redo_effect(session, coder)
