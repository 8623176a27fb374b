"""Bringing an outside codebook (REFI ``.qdc``, CSV) into the project's code tree.

The readers turn a file into a tree of :class:`CodeNode`; :func:`merge_code_tree` cleans it
(tolerant: names, colours and GUIDs are repaired and reported, never refused) and then
writes it. A node is matched to an existing code by GUID first (compared in canonical
form: lower case, no braces), then by name among the siblings (case-insensitive);
otherwise a code is created through :func:`coding.add_code` and keeps the foreign GUID,
so that it is recognised when the file comes back. Every change writes its event
(``code_add``; the GUID assignment as a ``code_update`` of ``guid``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from i18n import N_, _
import store
from coding.checks import as_coder
from coding.codes.book import add_code, update_code
from coding.errors import CodingError
from coding.eventlog.events import EventType, record
from coding.tree import MAX_DEPTH
from corpus.name_keys import label_form, name_key
from corpus.names import BIDI_CONTROLS

__all__ = ["CodeNode", "canonical_guid", "merge_code_tree"]

#: The warning for a code without a colour (English; shown through _()).
NO_COLOUR = N_("{where}: no colour; a default colour is used.")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLOUR6 = re.compile(r"^#[0-9A-Fa-f]{6}$")
_COLOUR3 = re.compile(r"^#[0-9A-Fa-f]{3}$")
MAX_NAME = 200
TEXT_FIELDS = ("definition", "inclusion", "exclusion", "example")


@dataclass
class CodeNode:
    """One code read from a file, with its sub-codes (``where`` locates it for messages)."""

    name: Any
    guid: Any = None
    codable: bool = True
    colour: Any = None
    definition: str = ""
    inclusion: str = ""
    exclusion: str = ""
    example: str = ""
    children: list["CodeNode"] = field(default_factory=list)
    where: str = ""
    implied: bool = False  # a parent named only in a child's path: created if missing, never updated


def canonical_guid(value: Any) -> str | None:
    """A GUID in Tandem's form (lower case, no braces), or ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    return text.lower() if _GUID.match(text) else None


def _clean_colour(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if _COLOUR3.match(text):
        text = "#" + "".join(ch * 2 for ch in text[1:])
    return text.upper() if _COLOUR6.match(text) else None


def _clean_name(value: Any) -> str:
    """A file's code name repaired (never refused): control and bidi characters removed, then
    ``corpus.name_keys.label_form`` (NFKC but full-width punctuation kept, invisible
    characters removed, spaces collapsed), ``/`` written ``／``."""
    text = value if isinstance(value, str) else ""
    text = "".join(" " if c in "\t\n\r" else c for c in text
                   if c in "\t\n\r" or (c not in BIDI_CONTROLS and unicodedata.category(c) != "Cc"))
    text = label_form(text).replace("/", "／")
    return text[:MAX_NAME].rstrip() or "Unnamed code"


def check_depth(nodes: list[CodeNode]) -> None:
    """Refuse a tree deeper than ``coding.tree.MAX_DEPTH`` (walked iteratively).

    Raises
    ------
    CodingError
        One sentence naming where the tree gets too deep.
    """
    stack = [(node, 0) for node in nodes]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CodingError(_("{value}: the code tree is more than {max_depth} levels deep; refused.").format(
                                value=node.where or 'The codebook', max_depth=MAX_DEPTH))
        stack.extend((child, depth + 1) for child in node.children)


def _clean(nodes: list[CodeNode], report: dict, seen_guids: set[str], path: str = "") -> None:
    """Repair names, colours and GUIDs in place (before anything is written)."""
    taken: set[str] = set()
    for node in nodes:
        name = _clean_name(node.name)
        if name != node.name:
            report["renamed"].append({"from": node.name, "to": name, "where": node.where})
        base, k = name, 2
        while name_key(name) in taken:
            name = f"{base} ({k})"
            k += 1
        if name != base:
            report["warnings"].append(_("{where}: a sibling is also named {base!r}; imported as {name!r}.").format(
                                        where=node.where, base=base, name=name))
        taken.add(name_key(name))
        node.name = name
        colour = _clean_colour(node.colour)
        if colour is None:
            if not node.colour:  # coding.exchange.codebook_csv counts these by their wording (NO_COLOUR)
                report["warnings"].append(_(NO_COLOUR).format(where=node.where))
            else:
                report["warnings"].append(_("{where}: colour {colour!r} is not #RRGGBB; a default colour is "
                                            "used.").format(where=node.where, colour=node.colour))
        node.colour = colour
        guid = canonical_guid(node.guid)
        if node.guid is not None and guid is None:
            report["warnings"].append(_("{where}: GUID {guid!r} is not valid; a new one is used.").format(
                                        where=node.where, guid=node.guid))
        elif guid is not None and guid in seen_guids:
            report["warnings"].append(_("{where}: GUID {guid} appears twice; the second code gets a new one.").format(
                                        where=node.where, guid=guid))
            guid = None
        if guid is not None:
            seen_guids.add(guid)
        node.guid = guid
        for f in TEXT_FIELDS:
            value = getattr(node, f)
            setattr(node, f, unicodedata.normalize("NFC", value) if isinstance(value, str) else "")
        _clean(node.children, report, seen_guids, f"{path}/{name}" if path else name)


def _sibling(session: Session, parent_id: int | None, name: str) -> store.Code | None:
    stmt = select(store.Code).where(
        store.Code.parent_id.is_(None) if parent_id is None else store.Code.parent_id == parent_id)
    key = name_key(name)
    for code in session.scalars(stmt):
        if name_key(code.name) == key:
            return code
    return None


def _update(session: Session, code: store.Code, node: CodeNode, report: dict, who: str) -> None:
    fields: dict[str, Any] = {f: getattr(node, f) for f in TEXT_FIELDS if getattr(node, f) != getattr(code, f)}
    if node.colour is not None and node.colour != code.colour:
        fields["colour"] = node.colour
    if node.name != code.name:
        clash = _sibling(session, code.parent_id, node.name)
        if clash is None or clash.id == code.id:
            fields["name"] = node.name
        else:
            report["warnings"].append(_("{where}: code {name!r} keeps its name; {name2!r} is taken.").format(
                                        where=node.where, name=code.name, name2=node.name))
    if bool(node.codable) != bool(code.codable):
        used = session.scalar(select(func.count(store.Coding.id)).where(store.Coding.code_id == code.id))
        if node.codable or not used:
            fields["codable"] = bool(node.codable)
        else:
            report["warnings"].append(_("{where}: code {name!r} has codings and stays codable.").format(
                                        where=node.where, name=code.name))
    if fields:
        update_code(session, code.id, coder=who, **fields)
        report["updated"].append(code.id)


def _write(session: Session, nodes: list[CodeNode], parent_id: int | None, report: dict, who: str,
           update_existing: bool) -> None:
    for node in nodes:
        code = None
        if node.guid is not None:
            code = session.scalar(select(store.Code).where(func.lower(store.Code.guid) == node.guid))
            if code is not None:
                report["matched_guid"].append(code.id)
                if code.parent_id != parent_id:
                    report["warnings"].append(_("{where}: code {name!r} (GUID {guid}) sits elsewhere in the "
                                                "project's tree and was not moved.").format(
                                                where=node.where, name=code.name, guid=node.guid))
        if code is None:
            code = _sibling(session, parent_id, node.name)
            if code is not None:
                report["matched_name"].append(code.id)
                if node.guid is not None and node.guid != code.guid:
                    report["guid_remaps"][node.guid] = code.guid
        if code is not None:
            if update_existing and not node.implied:
                _update(session, code, node, report, who)
        else:
            new_id = add_code(session, node.name, parent_id=parent_id, colour=node.colour, codable=node.codable,
                              definition=node.definition, inclusion=node.inclusion, exclusion=node.exclusion,
                              example=node.example, coder=who)
            code = session.get(store.Code, new_id)
            if node.guid is not None:
                before = code.guid
                code.guid = node.guid
                session.flush()
                record(session, EventType.CODE_UPDATE,
                       {"code_id": code.id, "before": {"guid": before}, "after": {"guid": node.guid}}, who)
            report["created"].append(code.id)
        _write(session, node.children, code.id, report, who, update_existing)


def merge_code_tree(session: Session, nodes: list[CodeNode], *, update_existing: bool = False,
                coder: str = "researcher") -> dict[str, Any]:
    """Bring a tree of codes into the project (see the module docstring).

    Parameters
    ----------
    session : Session
    nodes : list of CodeNode
        The top-level codes read from a file.
    update_existing : bool
        Also copy name, texts, colour and codability onto matched codes.
    coder : str
        Who imports (event log).

    Returns
    -------
    dict
        ``created``, ``matched_guid``, ``matched_name``, ``updated`` (lists of code ids),
        ``guid_remaps`` (foreign GUID -> the matched code's GUID), ``renamed`` (names
        changed to fit: ``{"from", "to", "where"}``) and ``warnings`` (sentences).

    Raises
    ------
    CodingError
        A bad coder, or a tree deeper than ``coding.tree.MAX_DEPTH``; other file problems
        are repaired and reported.
    """
    who = as_coder(coder)
    report: dict[str, Any] = {"created": [], "matched_guid": [], "matched_name": [], "updated": [],
                              "guid_remaps": {}, "renamed": [], "warnings": []}
    check_depth(nodes)
    _clean(nodes, report, set())
    _write(session, nodes, None, report, who, update_existing)
    return report
