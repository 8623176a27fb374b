"""What the next undo or redo of a coder would remove, read from the event's ops (nothing is changed).

The workbench asks before an undo or redo that removes a document or more than a few
codings (:data:`CONFIRM_CODINGS`); this module counts what would go:

- the rows the reverting ops delete directly (a ``delete`` op after inversion, as
  :func:`coding.eventlog.rowops.revert_ops` would run them);
- what hangs on them and goes with them: the codings of a removed document (unless an
  update op of the same change moves them to another document first, as undoing a new
  version does), the links of removed codings, the memos on removed documents, codes and
  codings.

Counts come from the ops plus read-only ``SELECT`` queries; the database is not touched.
A removal the library will refuse (a document that would keep codings the change does
not remove) is reported in ``refused`` with the library's reason, so the caller can say
so instead of asking.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _, ngettext, pgettext
import store
from coding.checks import as_coder
from coding.errors import CodingError
from coding.eventlog.events import EventType, last_ops, latest_event
from coding.eventlog.forward import forward_ops
from coding.eventlog.wording import describe
from coding.eventlog.rowops import inverse

CONFIRM_CODINGS = 3  # ask before removing more codings than this (or any document)


def _plural(n: int, word: str) -> str:
    """``n`` codings, memos or links, in the interface language."""
    if word == "coding":
        return ngettext("{n} coding", "{n} codings", n).format(n=n)
    if word == "memo":
        return ngettext("{n} memo", "{n} memos", n).format(n=n)
    if word == "link":
        return ngettext("{n} link", "{n} links", n).format(n=n)
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _executed(session: Session, event: store.Event, action: str) -> list[dict[str, Any]]:
    """The ops :func:`coding.eventlog.undo.undo`/``redo`` would execute for ``event``, in order."""
    if action == "undo":
        done = last_ops(session, EventType.REDO, event.id)
        if done is None:
            done = forward_ops(event.type, event.payload, session)
    else:
        done = last_ops(session, EventType.UNDO, event.id) or []
    return [inverse(op) for op in reversed(list(done))]


def effect_of(session: Session, event: store.Event | None, action: str) -> dict[str, Any]:
    """What undoing (``action="undo"``) or redoing (``"redo"``) ``event`` would remove.

    Returns
    -------
    dict
        ``event_id`` (int or None), ``type``, ``summary`` (the history line),
        ``documents`` (list of ``{"id", "name", "codings"}``: documents removed, with the
        number of their codings that go with them), ``codings`` (int, every coding
        removed, those of removed documents included), ``memos`` (int), ``links`` (int),
        ``codes`` (list of code names removed), ``other`` (``{table: n}`` for further
        rows removed: runs, worklist entries, ...), ``confirm`` (bool: a document or
        more than :data:`CONFIRM_CODINGS` codings go), ``question`` (one sentence to ask,
        naming them; empty when ``confirm`` is false) and ``refused`` (the reason the
        library will refuse it, or ``None``).
    """
    out: dict[str, Any] = {"event_id": None, "type": None, "summary": "", "documents": [], "codings": 0,
                           "memos": 0, "links": 0, "codes": [], "other": {}, "confirm": False, "question": "",
                           "refused": None}
    if event is None:
        return out
    out.update(event_id=event.id, type=event.type, summary=describe(event.type, event.payload))
    try:
        ops = _executed(session, event, action)
    except CodingError as err:  # the undo itself will refuse with the same reason
        out["refused"] = str(err)
        return out
    removed: dict[str, dict[Any, dict[str, Any]]] = {}
    moved_away: set[Any] = set()
    for op in ops:
        if op.get("op") == "delete":
            row = op.get("row") or {}
            removed.setdefault(op["table"], {})[row.get("id")] = row
        elif op.get("op") == "update" and op.get("table") == "codings" and "document_id" in (op.get("after") or {}):
            moved_away.add(op["id"])
    doc_rows = removed.pop("documents", {})
    coding_ids = set(removed.pop("codings", {}))
    c = store.Coding
    for doc_id, row in doc_rows.items():
        name = row.get("name") or session.scalar(select(store.Document.name).where(store.Document.id == doc_id))
        ids = set(session.scalars(select(c.id).where(c.document_id == doc_id)))
        going = ids - moved_away
        staying = going - coding_ids
        if staying and out["refused"] is None:
            out["refused"] = _("“{name}” now has {codings} that this change did not make; delete them (or undo "
                               "them) first.").format(name=name, codings=_plural(len(staying), "coding"))
        coding_ids |= going
        out["documents"].append({"id": doc_id, "name": name, "codings": len(going)})
    code_rows = removed.pop("codes", {})
    out["codes"] = [r.get("name") or session.scalar(select(store.Code.name).where(store.Code.id == i))
                    for i, r in code_rows.items()]
    link_ids = set(removed.pop("coding_links", {}))
    memo_ids = set(removed.pop("memos", {}))
    if coding_ids:
        k = store.CodingLink
        link_ids |= set(session.scalars(select(k.id).where(k.coding_id.in_(list(coding_ids)))))
    m = store.Memo
    for kind, ids in (("coding", coding_ids), ("document", set(doc_rows)), ("code", set(code_rows))):
        if ids:
            memo_ids |= set(session.scalars(select(m.id).where(m.target_type == kind,
                                                               m.target_id.in_([str(i) for i in ids]))))
    out.update(codings=len(coding_ids), links=len(link_ids), memos=len(memo_ids))
    out["other"] = {t: len(rows) for t, rows in removed.items()
                    if t not in ("segments", "place_mentions", "dyads") and rows}
    out["confirm"] = bool(doc_rows) or len(coding_ids) > CONFIRM_CODINGS
    if out["confirm"]:
        out["question"] = _question(out, action)
    return out


def _listed(parts: list[str]) -> str:
    """``a, b and c`` in the interface language (Chinese: ``a、b和c``)."""
    if len(parts) == 1:
        return parts[0]
    return _("{items} and {last}").format(items=pgettext("list separator", ", ").join(parts[:-1]), last=parts[-1])


def _question(effect: dict[str, Any], action: str) -> str:
    """``Undo the import of “访谈-苏州.txt”? It removes the document and its 12 codings.``"""
    docs = effect["documents"]
    extra = [_plural(effect[k], w) for k, w in (("memos", "memo"), ("links", "link")) if effect[k]]
    if effect["type"] == EventType.DOCUMENT_IMPORT.value and action == "undo" and len(docs) == 1:
        doc = docs[0]
        first = ([_("the document"), _("its {codings}").format(codings=_plural(doc["codings"], "coding"))]
                 if doc["codings"] else [_("the document (it has no codings)")])
        return _("Undo the import of “{name}”? It removes {what}.").format(name=doc["name"],
                                                                         what=_listed(first + extra))
    parts = [_("the document “{name}”").format(name=d["name"]) for d in docs]
    if effect["codings"]:
        parts.append(_plural(effect["codings"], "coding"))
    question = (_("Undo “{change}”? It removes {what}.") if action == "undo"
                else _("Redo “{change}”? It removes {what}."))
    return question.format(change=effect["summary"], what=_listed(parts + extra))


def undo_effect(session: Session, coder: str) -> dict[str, Any]:
    """What :func:`coding.eventlog.undo.undo` would remove for ``coder`` now (see :func:`effect_of`).

    Raises :class:`~coding.errors.CodingError` for a bad coder or an event that cannot be undone.
    """
    return effect_of(session, latest_event(session, as_coder(coder), 0), "undo")


def redo_effect(session: Session, coder: str) -> dict[str, Any]:
    """What :func:`coding.eventlog.undo.redo` would remove for ``coder`` now (see :func:`effect_of`)."""
    return effect_of(session, latest_event(session, as_coder(coder), 1), "redo")
