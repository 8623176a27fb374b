"""Reading a REFI-QDA project (``.qdpx``, QDA-XML project 1.0) into plain data, tolerantly.

The archive is checked by :func:`corpus.archive.check_zip` (entries, names, inflated sizes)
before anything is read, and the ``project.qde`` (or the single ``*.qde`` at the root, as
ATLAS.ti names it) is parsed with ``defusedxml`` (no DTD, no entity expansion: a "billion
laughs" file is refused). Nothing here touches the project database.

What is read (``docs/qda.md`` §2): users, the codebook (``CodeNode`` trees, as
:mod:`coding.exchange.refi_codebook`), code sets, variables, cases, text sources (``plainTextPath``
inside the zip, matched case-insensitively under ``sources/``, or inline
``PlainTextContent``), PDF sources that carry a plain-text ``Representation``, their
selections with codings, notes, links and every ``NoteRef``. Everything else (pictures,
audio, video, transcripts, graphs, sources whose file is missing...) is *counted* in
``QdpxProject.skipped`` so the import report can say what did not come in.

GUIDs are kept in canonical form (lower case, no braces; :func:`canonical_guid`).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
import uuid
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from coding.exchange.codebook_merge import CodeNode, canonical_guid as _canonical
from coding.exchange.qdpx_files import ArchiveFiles as _Files
from coding.exchange.qdpx_model import (QdpxProject, RCase, RCoding, RNote, RSelection, RSet, RSource,
                                        RVariable)
from coding.errors import CodingError
from coding.exchange.refi_codebook import split_description
from coding.tree import MAX_DEPTH
from corpus.archive import DEFAULT_LIMITS, ArchiveError, check_zip, open_zip, read_member

from i18n import _

__all__ = ["RCoding", "RSelection", "RSource", "RNote", "RCase", "RVariable", "RSet", "QdpxProject",
           "read_qdpx", "parse_qde"]


_FOREIGN = uuid.UUID("0b7d8a8e-3f4b-5c1e-8a9e-2d6f4c1b7a55")


def canonical_guid(value: Any) -> str | None:
    """A GUID in canonical form; an identifier that is not a GUID (some exporters write
    ``"s1"`` or ``"code-1"``) becomes ``uuid5(_FOREIGN, identifier)``, the same wherever it
    is referenced, so references still meet; ``None`` for a missing or empty one."""
    g = _canonical(value)
    if g is not None or not isinstance(value, str) or not value.strip():
        return g
    return str(uuid.uuid5(_FOREIGN, value.strip()))


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _kid(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _text(el: ET.Element | None) -> str:
    return "" if el is None else (el.text or "")


def _under(root: ET.Element, wrapper: str, name: str | None = None) -> list[ET.Element]:
    """Children (named ``name``, or all) of the wrapper element ``wrapper`` of ``root``."""
    w = _kid(root, wrapper)
    return [] if w is None else [c for c in w if name is None or _local(c.tag) == name]


def _refs(el: ET.Element, name: str) -> list[str]:
    out = []
    for ref in _kids(el, name):
        g = canonical_guid(ref.get("targetGUID") or ref.get("guid"))
        if g:
            out.append(g)
    return out


def _value(vv: ET.Element) -> tuple[str | None, Any]:
    """(variable GUID, typed value) of a ``VariableValue``."""
    ref = _kid(vv, "VariableRef")
    guid = canonical_guid(ref.get("targetGUID")) if ref is not None else None
    for el in vv:
        kind, raw = _local(el.tag), (el.text or "").strip()
        if kind == "VariableRef":
            continue
        try:
            if kind == "BooleanValue":
                return guid, raw.lower() in ("true", "1")
            if kind == "IntegerValue":
                return guid, int(raw)
            if kind == "FloatValue":
                return guid, float(raw)
        except ValueError:
            return guid, raw
        return guid, el.text or ""
    return guid, None


def _when(value: str | None) -> datetime | None:
    """An ``xsd:dateTime`` as an aware datetime (UTC when no zone is given), else ``None``."""
    try:
        when = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _coding(el: ET.Element) -> RCoding:
    ref = _kid(el, "CodeRef")
    return RCoding(canonical_guid(el.get("guid")), canonical_guid(ref.get("targetGUID")) if ref is not None else None,
                   canonical_guid(el.get("creatingUser")), _refs(el, "NoteRef"), _when(el.get("creationDateTime")))


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _code_node(el: ET.Element, where: str, notes: dict[str, list[str]], depth: int = 0) -> CodeNode:
    if depth > MAX_DEPTH:
        raise CodingError(_("The project nests codes more than {max_depth} levels deep; refused.").format(
                            max_depth=MAX_DEPTH))
    fields = split_description(_text(_kid(el, "Description")))
    name = el.get("name")
    here = f"{where}/{name}" if where else str(name)
    guid = canonical_guid(el.get("guid"))
    if guid and _refs(el, "NoteRef"):
        notes[guid] = _refs(el, "NoteRef")
    codable = (el.get("isCodable") or "true").strip().lower() not in ("false", "0")
    children = [_code_node(c, here, notes, depth + 1) for c in _kids(el, "Code")]
    return CodeNode(name=name, guid=guid, codable=codable, colour=el.get("color"), children=children,
                    where=f"code {here!r}", **fields)


def _text_source(el: ET.Element, files: _Files, kind: str = "text") -> tuple[str | None, str]:
    inline = _kid(el, "PlainTextContent")
    if inline is not None:
        return inline.text or "", ""
    if not el.get("plainTextPath") and el.get("richTextPath") and hasattr(files, "rich"):
        return files.rich(el.get("richTextPath"))
    return files.text(el.get("plainTextPath"))


def _selection(el: ET.Element) -> RSelection:
    return RSelection(canonical_guid(el.get("guid")), el.get("name") or "", _int(el.get("startPosition")),
                      _int(el.get("endPosition")), _text(_kid(el, "Description")),
                      canonical_guid(el.get("creatingUser")), [_coding(c) for c in _kids(el, "Coding")],
                      _refs(el, "NoteRef"))


_MEDIA = {"PictureSource": ("picture", "PictureSelection"), "AudioSource": ("audio", "AudioSelection"),
          "VideoSource": ("video", "VideoSelection")}


def _skip_media(el: ET.Element, skipped: Counter) -> None:
    kind, sel_tag = _MEDIA[_local(el.tag)]
    skipped[f"{kind} sources"] += 1
    for sel in el.iter():
        tag = _local(sel.tag)
        if tag == sel_tag:
            skipped[f"{kind} selections"] += 1
            skipped[f"codings of {kind} selections"] += len(_kids(sel, "Coding"))
        elif tag == "Transcript":
            skipped["transcripts"] += 1
        elif tag == "TranscriptSelection":
            skipped["transcript selections"] += 1
            skipped["codings of transcript selections"] += len(_kids(sel, "Coding"))
    if _kids(el, "Coding"):
        skipped[f"whole-source codings of {kind} sources"] += len(_kids(el, "Coding"))


def _source(el: ET.Element, files: _Files, p: QdpxProject) -> None:
    tag = _local(el.tag)
    if tag in _MEDIA:
        _skip_media(el, p.skipped)
        return
    guid, name = canonical_guid(el.get("guid")), el.get("name") or ""
    if tag == "TextSource":
        raw, missing = _text_source(el, files)
        src = RSource(guid, name or PurePosixPath(el.get("plainTextPath") or "source").name, "text", raw, missing,
                      _text(_kid(el, "Description")), canonical_guid(el.get("creatingUser")))
        src.selections = [_selection(s) for s in _kids(el, "PlainTextSelection")]
        src.created = _when(el.get("creationDateTime"))
        if raw is not None and not el.get("plainTextPath") and _kid(el, "PlainTextContent") is None:
            p.warnings.append(_("{name}: read from its rich-text file (no plain text in the export); the producer's "
                                "offsets count over its own plain text, so check its codings.").format(name=src.name))
    elif tag == "PDFSource":
        rep = _kid(el, "Representation")
        raw, missing = (_text_source(rep, files) if rep is not None
                        else (None, "it carries no plain-text Representation"))
        src = RSource(guid, name or "document.pdf", "pdf", raw, missing, _text(_kid(el, "Description")),
                      canonical_guid(el.get("creatingUser")))
        # tolerated: offsets into the Representation's text, given directly or inside it
        src.selections = [_selection(s) for s in _kids(el, "PlainTextSelection")
                          + (_kids(rep, "PlainTextSelection") if rep is not None else [])]
        for s in _kids(el, "PDFSelection"):
            srep = _kid(s, "Representation")
            quote = _text(_kid(srep, "PlainTextContent")) if srep is not None else ""
            src.selections.append(RSelection(
                canonical_guid(s.get("guid")), s.get("name") or "", None, None, _text(_kid(s, "Description")),
                canonical_guid(s.get("creatingUser")), [_coding(c) for c in _kids(s, "Coding")],
                _refs(s, "NoteRef"), kind="pdf", quote=quote or None))
    else:
        p.skipped[f"{tag} elements"] += 1
        return
    src.codings = [_coding(c) for c in _kids(el, "Coding")]
    src.note_refs = _refs(el, "NoteRef")
    src.variables = [v for v in (_value(vv) for vv in _kids(el, "VariableValue")) if v[0]]
    p.sources.append(src)


def parse_qde(xml: bytes, files: Any = None) -> QdpxProject:
    """Parse ``project.qde`` bytes (``files``: an object with ``text(path)``; ``None`` for none).

    Raises
    ------
    CodingError
        Not XML, a DTD or entity declaration (refused by defusedxml), or a root other than
        ``Project``.
    """
    try:
        root = fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise CodingError(_("The project file is refused: it declares a DTD or entities ({name}), which a REFI-QDA "
                            "project never needs.").format(name=exc.__class__.__name__)) from None
    except ET.ParseError as exc:
        raise CodingError(_("The project file is not readable XML: {exc}.").format(exc=exc)) from None
    if _local(root.tag) != "Project":
        raise CodingError(_("The project file's root element is {local!r}; expected Project.").format(
                            local=_local(root.tag)))
    files = files or _NoFiles()
    p = QdpxProject(root.get("name") or "", root.get("origin") or "", canonical_guid(root.get("creatingUserGUID")),
                    {}, [], {}, {}, [], [], {}, [], [], _refs(root, "NoteRef"))
    for user in _under(root, "Users", "User"):
        g = canonical_guid(user.get("guid"))
        if g:
            p.users[g] = (user.get("name") or user.get("id") or "").strip()
    book = _kid(root, "CodeBook")
    codes = _kid(book, "Codes") if book is not None else None
    if codes is not None:
        p.codes = [_code_node(c, "", p.code_notes) for c in _kids(codes, "Code")]
    for var in _under(root, "Variables", "Variable"):
        g = canonical_guid(var.get("guid"))
        if g:
            p.variables[g] = RVariable(g, (var.get("name") or "").strip() or g[:8], var.get("typeOfVariable") or "Text",
                                       _text(_kid(var, "Description")))
    for case in _under(root, "Cases", "Case"):
        p.cases.append(RCase(canonical_guid(case.get("guid")), (case.get("name") or "").strip(),
                             _text(_kid(case, "Description")), _refs(case, "CodeRef"),
                             [v for v in (_value(vv) for vv in _kids(case, "VariableValue")) if v[0]],
                             _refs(case, "SourceRef"), _refs(case, "SelectionRef")))
    for el in _under(root, "Sources"):
        _source(el, files, p)
    for note in _under(root, "Notes", "Note"):
        raw, _missing = _text_source(note, files)
        p.notes[canonical_guid(note.get("guid")) or f"note-{len(p.notes)}"] = RNote(
            canonical_guid(note.get("guid")), note.get("name") or "", raw or _text(_kid(note, "Description")),
            canonical_guid(note.get("creatingUser")), _when(note.get("creationDateTime")))
        n_sel = len(_kids(note, "PlainTextSelection"))
        if n_sel:
            p.skipped["selections inside notes"] += n_sel
    for link in _under(root, "Links", "Link"):
        a, b = canonical_guid(link.get("originGUID")), canonical_guid(link.get("targetGUID"))
        if a and b:
            p.links.append((a, b, link.get("name") or ""))
        else:
            p.skipped["links without both ends"] += 1
    for s in _under(root, "Sets", "Set"):
        p.sets.append(RSet(canonical_guid(s.get("guid")), s.get("name") or "", _text(_kid(s, "Description")),
                           _refs(s, "MemberCode"), _refs(s, "MemberSource"), _refs(s, "MemberNote")))
    p.description = _text(_kid(root, "Description"))
    graphs = _kid(root, "Graphs")
    if graphs is not None:
        p.skipped["graphs"] += len(_kids(graphs, "Graph"))
    return p


class _NoFiles:
    def text(self, path):
        return None, "the project file was given without its archive"


def read_qdpx(data: bytes, label: str = "The .qdpx archive") -> QdpxProject:
    """Check and read a ``.qdpx`` archive's bytes (or a bare ``.qde``'s XML).

    Raises
    ------
    CodingError
        The archive is refused by :mod:`corpus.archive` (one sentence: too many entries,
        an unsafe member name, inflating past the caps, corrupt), holds no single ``*.qde``
        at its root, or the XML is refused (see :func:`parse_qde`).
    """
    if not data.startswith(b"PK"):
        if len(data) > DEFAULT_LIMITS.max_markup:
            raise CodingError(_("{label}: refused, the project file is larger than {value} MB of markup.").format(
                                label=label, value=DEFAULT_LIMITS.max_markup // 2**20))
        return parse_qde(data)
    try:
        check_zip(data, label)
        with open_zip(data, label) as zf:
            qde = [n for n in zf.namelist() if "/" not in n and n.lower().endswith(".qde")]
            if len(qde) != 1:
                raise CodingError(_("{label} holds {n} .qde files at its root; expected one.").format(
                                    label=label, n=len(qde)))
            project = parse_qde(read_member(zf, qde[0], label), _Files(zf, label))
    except ArchiveError as exc:
        raise CodingError(str(exc)) from None
    return project
