"""The event log: one ``store.Event`` row per change, written in the caller's transaction.

Every function of ``coding`` that changes codes, codings, links or memos calls
:func:`record` once with a payload that holds what an undo needs (full snapshots of
deleted rows, before/after values of edited fields). Payloads are JSON: datetimes are
ISO 8601 strings.

``Event.undone`` is 0 for a change in force, 1 for a change undone that can be redone,
and 2 for an undone change whose redo was cleared because its coder made a new change
(see :mod:`coding.eventlog.undo`).
"""
from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder
from coding.errors import CodingError


class EventType(enum.StrEnum):
    """Every kind of change the coding package writes to the event log."""

    CODEBOOK_SEED = "codebook_seed"
    CODE_ADD = "code_add"
    CODE_RENAME = "code_rename"
    CODE_UPDATE = "code_update"
    CODE_MOVE = "code_move"
    CODE_DELETE = "code_delete"
    VARIABLE_MAP_SET = "variable_map_set"
    CODING_ADD = "coding_add"
    CODING_UPDATE = "coding_update"
    CODING_DELETE = "coding_delete"
    LINK_ADD = "link_add"
    LINK_DELETE = "link_delete"
    MEMO_ADD = "memo_add"
    MEMO_UPDATE = "memo_update"
    MEMO_DELETE = "memo_delete"
    CODE_MERGE = "code_merge"
    CODE_SPLIT = "code_split"
    DOCUMENT_IMPORT = "document_import"
    DOCUMENT_VERSION = "document_version"
    DIMENSION_MAP_SET = "dimension_map_set"
    RUN_SAVE = "run_save"
    RUN_RENAME = "run_rename"
    RUN_DELETE = "run_delete"
    RUN_RESTORE = "run_restore"
    WORKLIST_ADD = "worklist_add"
    WORKLIST_UPDATE = "worklist_update"
    WORKLIST_REMOVE = "worklist_remove"
    ATTRIBUTES_SET = "attributes_set"
    UNDO = "undo"
    REDO = "redo"


HISTORY_TYPES = frozenset({EventType.UNDO, EventType.REDO})
"""Entries written by undo and redo themselves: never undone, and they keep the redo stack."""


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_safe(payload: Any) -> Any:
    """``payload`` as plain JSON types (datetimes become ISO strings).

    Raises
    ------
    TypeError
        A value is neither JSON nor a datetime.
    """
    return json.loads(json.dumps(payload, default=_json_default, ensure_ascii=False))


def snapshot(obj: Any) -> dict[str, Any]:
    """Every loaded column of an ORM row as a JSON-safe dict (deferred columns skipped).

    Used to put deleted or edited rows into event payloads so that they can be restored.
    """
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in state.unloaded:
            continue
        out[attr.key] = getattr(obj, attr.key)
    return json_safe(out)


def record(
    session: Session,
    type: EventType | str,
    payload: dict[str, Any],
    coder: str,
    document_id: int | None = None,
) -> int:
    """Add one ``store.Event`` row to the session (same transaction as the change).

    Parameters
    ----------
    session : Session
        The caller's session; the row is flushed, not committed.
    type : EventType or str
        The kind of change; a string must be one of the ``EventType`` values.
    payload : dict
        What undo needs; converted to JSON types.
    coder : str
        Who made the change.
    document_id : int, optional
        The document the change belongs to (not a foreign key: history outlives it).

    Returns
    -------
    int
        The new event's id.

    Raises
    ------
    CodingError
        ``type`` is not an ``EventType`` value, ``payload`` is not a dict, or ``coder``
        is empty.

    Notes
    -----
    Any type but ``undo``/``redo`` clears the coder's redo stack (their events with
    ``undone=1`` become ``undone=2``).
    """
    who = as_coder(coder)
    try:
        kind = EventType(type)
    except ValueError:
        allowed = ", ".join(e.value for e in EventType)
        raise CodingError(_("Event type {type!r} is unknown; use one of {allowed}.").format(
                            type=type, allowed=allowed)) from None
    if not isinstance(payload, dict):
        raise CodingError(_("Event payload must be a dict, got {name}.").format(name=payload.__class__.__name__))
    if kind not in HISTORY_TYPES:  # a new change clears this coder's redo stack, as editors do
        session.execute(update(store.Event).where(store.Event.coder == who, store.Event.undone == 1)
                        .values(undone=2))
    event = store.Event(
        type=kind.value,
        payload=json_safe(payload),
        coder=who,
        document_id=None if document_id is None else int(document_id),
    )
    session.add(event)
    session.flush()
    return event.id


def event_log(
    session: Session,
    *,
    document_id: int | None = None,
    coder: str | None = None,
    type: EventType | str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The event log, newest first.

    Parameters
    ----------
    session : Session
    document_id, coder, type : optional
        Keep only events of this document, by this coder, of this type.
    limit : int, optional
        At most this many rows.

    Returns
    -------
    DataFrame
        Columns ``id, ts, type, coder, document_id, payload, undone``.
    """
    stmt = select(
        store.Event.id,
        store.Event.ts,
        store.Event.type,
        store.Event.coder,
        store.Event.document_id,
        store.Event.payload,
        store.Event.undone,
    ).order_by(store.Event.id.desc())
    if document_id is not None:
        stmt = stmt.where(store.Event.document_id == int(document_id))
    if coder is not None:
        stmt = stmt.where(store.Event.coder == coder)
    if type is not None:
        stmt = stmt.where(store.Event.type == str(type))
    if limit is not None:
        stmt = stmt.limit(int(limit))
    rows = session.execute(stmt).all()
    return pd.DataFrame(rows, columns=["id", "ts", "type", "coder", "document_id", "payload", "undone"])


def stored_description(template: str, **params: Any) -> dict[str, Any]:
    """Payload keys that let :func:`describe` show a self-described event (a run, a worklist
    change, a dimension map) in the reader's language.

    ``template`` is an English sentence marked with ``N_`` (``N_("mapped code “{name}” to {names}")``)
    and ``params`` its placeholders (names, numbers: data, never translated). The event stores the
    English text (``description``, what older Tandem versions show) plus the template and the
    params; :func:`describe` translates the template when it shows the event, so the stored form
    never depends on the language of the person who made the change.

    Returns ``{"description": str, "description_template": str, "description_params": dict}``.
    """
    return {"description": template.format(**params), "description_template": template,
            "description_params": dict(params)}


def latest_event(session: Session, coder: str, undone: int) -> store.Event | None:
    """The event the next undo (``undone=0``: the coder's newest change not undone) or redo
    (``undone=1``: the coder's oldest undone change) of ``coder`` acts on, or ``None``; undo and
    redo entries themselves (:data:`HISTORY_TYPES`) are never chosen."""
    stmt = select(store.Event).where(store.Event.coder == coder, store.Event.undone == undone,
                                     store.Event.type.not_in([t.value for t in HISTORY_TYPES]))
    order = store.Event.id.desc() if undone == 0 else store.Event.id.asc()
    return session.scalars(stmt.order_by(order).limit(1)).first()


def last_ops(session: Session, kind: EventType, event_id: int) -> list[dict[str, Any]] | None:
    """The row ops (``coding.eventlog.rowops.Op`` dicts) that the newest ``kind`` entry
    (``EventType.UNDO`` or ``EventType.REDO``) about event ``event_id`` logged, or ``None`` if
    there is no such entry."""
    payload = session.scalars(
        select(store.Event.payload)
        .where(store.Event.type == kind.value, store.Event.payload["event_id"].as_integer() == event_id)
        .order_by(store.Event.id.desc()).limit(1)
    ).first()
    return None if payload is None else payload["ops"]
