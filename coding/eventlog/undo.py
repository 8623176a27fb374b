"""Undo, redo and the history view, per coder, from the persisted event log.

Every change in ``coding`` is an ``Event`` row whose payload says how to invert it and
re-apply it: either a list of reversible row ops (``payload["ops"]``, see
:mod:`coding.eventlog.rowops`) or, for the older event kinds, snapshots and before/after values
that :func:`coding.eventlog.forward.forward_ops` turns into such ops.

Each coder has an undo stack and a redo stack, both derived from the database alone, so
they survive restarts:

- :func:`undo` reverts the coder's most recent event in force (``undone=0``), marks it
  ``undone=1`` and appends an ``undo`` event whose payload holds the ops that undid it,
  each with the full rows it removed (links, memos and other rows hanging on them);
- :func:`redo` re-applies the coder's most recently undone event (the undone event with
  the lowest id, since undo always takes the newest one), marks it ``undone=0`` and
  appends a ``redo`` event with the ops that re-applied it;
- any new change by the coder clears their redo stack (``undone=2``, see
  :func:`coding.eventlog.events.record`), as editors do.

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
from coding.eventlog.events import HISTORY_TYPES, EventType, last_ops, latest_event, record, stored_description
from coding.eventlog.forward import forward_ops
from coding.eventlog.wording import describe
from coding.eventlog.rowops import Op, revert_ops

__all__ = ["HISTORY_COLUMNS", "describe", "stored_description", "history", "peek", "redo",
           "redo_effect", "undo", "undo_effect"]

HISTORY_COLUMNS = ["id", "ts", "coder", "type", "document_id", "summary", "state", "target_event"]
_STATE = {0: "done", 1: "undone", 2: "discarded"}


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
    from coding.eventlog import effect

    return effect.undo_effect(session, coder)


def redo_effect(session: Session, coder: str) -> dict[str, Any]:
    """What :func:`redo` would remove for ``coder`` now (as :func:`undo_effect`)."""
    from coding.eventlog import effect

    return effect.redo_effect(session, coder)
