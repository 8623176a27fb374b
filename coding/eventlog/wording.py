"""How an event reads in the history view: :func:`describe` builds one line from the event's type
and payload alone, in the current interface language (``i18n``), so the same stored event reads in
English or Chinese depending on who looks.
"""
from __future__ import annotations

from typing import Any

from i18n import _
from coding.eventlog.events import EventType

__all__ = ["describe"]


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
    (see :func:`coding.eventlog.events.stored_description`), else from their stored ``description`` as written."""
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
