"""REFI-QDA codebook exchange: write and read ``.qdc`` files (QDA-XML codebook 1.0).

Writer (strict): root ``CodeBook`` in namespace ``urn:QDA-XML:codebook:1.0``; one ``Code``
per code with its persisted GUID in canonical form (lower case, no braces),
``isCodable="false"`` for categories, ``color``, and a ``Description`` holding the
definition followed by labelled paragraphs ("Inclusion: …", "Exclusion: …",
"Example: …"); empty descriptions and wrappers (``Sets``) are omitted. The document is
validated against the Codebook XSD *before* anything is written, and an invalid file is
refused. The XSD cannot ship with Tandem: it is taken from ``xsd_path``, else the
environment variable ``TANDEM_CODEBOOK_XSD``, else ``../shared/data/refi/Codebook-repaired.xsd``
beside the repository (or under ``TANDEM_SHARED_DATA``). When none of these exists the file
is checked structurally against the same rules, and the returned report says so.

Reader (tolerant, ``defusedxml``): a ``.qdc``, a ``.qde`` or a ``.qdpx`` (zip; the single
``*.qde`` at its root); any namespace; empty ``<Sets/>``; upper-case or braced GUIDs;
missing colours or ``#RGB`` colours; duplicate sibling names. Codes are merged by
:func:`coding.exchange.codebook_merge.merge_code_tree`, which keeps foreign GUIDs.
"""
from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.exchange.codebook_merge import CodeNode, canonical_guid, merge_code_tree
from coding.errors import CodingError
from coding.tree import MAX_DEPTH, codebook
from corpus.archive import ArchiveError, open_zip, read_member

__all__ = ["NS", "codebook_xml", "default_xsd_path", "export_codebook_qdc", "import_codebook_qdc",
           "read_codebook_qdc", "validate_codebook_xml"]

NS = "urn:QDA-XML:codebook:1.0"
LABELS = (("inclusion", "Inclusion"), ("exclusion", "Exclusion"), ("example", "Example"))
_SPLIT = re.compile(r"\n\n(?=(?:Inclusion|Exclusion|Example): )")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
_RGB = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
_ROOT = Path(__file__).resolve().parents[2]


def default_xsd_path() -> Path:
    """Where the repaired Codebook XSD is looked for when no path is given."""
    env = os.environ.get("TANDEM_CODEBOOK_XSD")
    if env:
        return Path(env)
    shared = Path(os.environ.get("TANDEM_SHARED_DATA", _ROOT.parent / "shared" / "data"))
    return shared / "refi" / "Codebook-repaired.xsd"


def describe(definition: str, inclusion: str, exclusion: str, example: str) -> str:
    """The readable ``Description``: definition, then one labelled paragraph per criterion."""
    parts = [definition] if definition.strip() else []
    values = {"inclusion": inclusion, "exclusion": exclusion, "example": example}
    parts += [f"{label}: {values[key]}" for key, label in LABELS if values[key].strip()]
    return "\n\n".join(parts)


def split_description(text: str) -> dict[str, str]:
    """The inverse of :func:`describe` (unlabelled text is the definition)."""
    out = {"definition": "", "inclusion": "", "exclusion": "", "example": ""}
    by_label = {label: key for key, label in LABELS}
    for part in _SPLIT.split(text):
        label = part.split(": ", 1)[0]
        key = by_label.get(label) if ": " in part else None
        value = part[len(label) + 2:] if key else part
        key = key or "definition"
        out[key] = f"{out[key]}\n\n{value}" if out[key] else value
    return out


def _xml_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value)


def codebook_xml(session: Session, *, origin: str = "Tandem") -> bytes:
    """The project's codebook as ``.qdc`` bytes (UTF-8), not yet validated.

    Raises
    ------
    CodingError
        The codebook is empty (a ``.qdc`` needs at least one code) or a stored GUID is
        not a GUID.
    """
    book = codebook(session)
    if book.empty:
        raise CodingError(_("The codebook has no codes; a .qdc file needs at least one."))
    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}CodeBook", {"origin": _xml_text(origin)})
    codes = ET.SubElement(root, f"{{{NS}}}Codes")
    guids = dict(session.execute(select(store.Code.id, store.Code.guid)).all())
    element: dict[int, ET.Element] = {}
    for row in book.itertuples(index=False):
        guid = canonical_guid(guids[row.id])
        if guid is None:
            raise CodingError(_("Code {path!r} has GUID {value!r}, which is not a GUID.").format(
                                path=row.path, value=guids[row.id]))
        parent = codes if row.parent_id is None else element[int(row.parent_id)]
        node = ET.SubElement(parent, f"{{{NS}}}Code", {
            "guid": guid, "name": _xml_text(row.name), "isCodable": "true" if row.codable else "false",
            "color": row.colour})
        text = _xml_text(describe(row.definition, row.inclusion, row.exclusion, row.example))
        if text:
            ET.SubElement(node, f"{{{NS}}}Description").text = text
        element[int(row.id)] = node
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@lru_cache(maxsize=4)
def _schema(path: str, mtime: float):
    import xmlschema

    return xmlschema.XMLSchema(path)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _structural_errors(root: ET.Element) -> list[str]:
    """The Codebook XSD's rules, checked by hand (used when the XSD is unavailable)."""
    errors: list[str] = []
    if root.tag != f"{{{NS}}}CodeBook":
        return [f"the root element is {root.tag!r}, not CodeBook in {NS}"]
    if set(root.attrib) - {"origin"}:
        errors.append(f"CodeBook has unknown attributes {sorted(set(root.attrib) - {'origin'})}")
    kids = [_local(c.tag) if c.tag.startswith(f"{{{NS}}}") else c.tag for c in root]
    if kids not in (["Codes"], ["Codes", "Sets"]):
        errors.append(f"CodeBook must hold Codes (then optionally Sets), not {kids}")

    def check_code(code: ET.Element) -> None:
        a = code.attrib
        if set(a) - {"guid", "name", "isCodable", "color"}:
            errors.append(f"Code has unknown attributes {sorted(set(a) - {'guid', 'name', 'isCodable', 'color'})}")
        if not _GUID.match(a.get("guid", "")):
            errors.append(f"Code guid {a.get('guid')!r} is not a GUID")
        if "name" not in a:
            errors.append("a Code has no name")
        if a.get("isCodable") not in ("true", "false", "1", "0"):
            errors.append(f"Code isCodable {a.get('isCodable')!r} is not a boolean")
        if "color" in a and not _RGB.match(a["color"]):
            errors.append(f"Code color {a['color']!r} is not #RRGGBB")
        if (code.text or "").strip():
            errors.append(f"Code {a.get('name')!r} holds text outside a Description")
        names = [c.tag for c in code]
        n_desc = names.count(f"{{{NS}}}Description")
        if n_desc > 1 or (n_desc and names[0] != f"{{{NS}}}Description") or set(names) - {
                f"{{{NS}}}Description", f"{{{NS}}}Code"}:
            errors.append(f"Code {a.get('name')!r} children must be one optional Description, then Codes")
        for child in code:
            if child.tag == f"{{{NS}}}Code":
                check_code(child)

    def check_set(member: ET.Element) -> None:
        if member.tag != f"{{{NS}}}Set" or not _GUID.match(member.get("guid", "")) or "name" not in member.attrib:
            errors.append(f"Sets holds {member.tag!r} without a valid guid and a name")
            return
        names = [c.tag for c in member]
        if names.count(f"{{{NS}}}Description") > 1 or set(names) - {f"{{{NS}}}Description", f"{{{NS}}}MemberCode"}:
            errors.append(f"Set {member.get('name')!r} children must be one optional Description, then MemberCodes")
        for ref in member.iter(f"{{{NS}}}MemberCode"):
            if not _GUID.match(ref.get("guid", "")):
                errors.append(f"MemberCode guid {ref.get('guid')!r} is not a GUID")

    for wrapper in root:
        members = list(wrapper)
        if not members:
            errors.append(f"{_local(wrapper.tag)} is empty; a wrapper needs at least one child")
        for member in members:
            if wrapper.tag == f"{{{NS}}}Sets":
                check_set(member)
            elif member.tag != f"{{{NS}}}Code":
                errors.append(f"Codes holds {member.tag!r}")
            else:
                check_code(member)
    return errors


def validate_codebook_xml(data: bytes, xsd_path: str | Path | None = None) -> dict[str, Any]:
    """Check ``.qdc`` bytes against the Codebook XSD (or structurally when it is unavailable).

    Returns
    -------
    dict
        ``{"validation": "xsd" or "structural", "schema": path or None, "note": str}``.

    Raises
    ------
    CodingError
        The document is invalid (the first error is named), or an explicitly given XSD
        (argument or ``TANDEM_CODEBOOK_XSD``) does not exist or cannot be read.
    """
    explicit = xsd_path is not None or bool(os.environ.get("TANDEM_CODEBOOK_XSD"))
    path = Path(xsd_path) if xsd_path is not None else default_xsd_path()
    if path.is_file():
        try:
            schema = _schema(str(path.resolve()), path.stat().st_mtime)
        except Exception as exc:  # xmlschema raises its own parse errors
            raise CodingError(_("Codebook XSD {path} cannot be read: {name}.").format(
                                path=path, name=exc.__class__.__name__)) from None
        for error in schema.iter_errors(io.BytesIO(data)):
            reason = getattr(error, "reason", None) or str(error).splitlines()[0]
            raise CodingError(_("The codebook is not valid against {name}: {reason} (at {at}).").format(
                                name=path.name, reason=reason, at=getattr(error, 'path', '?')))
        return {"validation": "xsd", "schema": str(path), "note": f"validated against {path}"}
    if explicit:
        raise CodingError(_("Codebook XSD {path} does not exist.").format(path=path))
    errors = _structural_errors(fromstring(data))
    if errors:
        raise CodingError(_("The codebook is not valid: {value}.").format(value=errors[0]))
    return {"validation": "structural", "schema": None,
            "note": f"the Codebook XSD was not found at {path}; checked structurally against its rules instead"}


def export_codebook_qdc(session: Session, path_or_buffer: str | Path | io.IOBase, *,
                        xsd_path: str | Path | None = None, origin: str = "Tandem") -> dict[str, Any]:
    """Write the codebook as a validated ``.qdc`` file (nothing is written if invalid).

    Parameters
    ----------
    session : Session
    path_or_buffer : str, Path or binary file object
        A path is written atomically (temporary file, then rename).
    xsd_path : str or Path, optional
        The Codebook XSD; see the module docstring for the default.
    origin : str
        The ``origin`` attribute (producing software).

    Returns
    -------
    dict
        ``codes`` (number written) and the validation report of
        :func:`validate_codebook_xml`.

    Raises
    ------
    CodingError
        Empty codebook, invalid document, or a missing explicit XSD.
    """
    data = codebook_xml(session, origin=origin)
    report = validate_codebook_xml(data, xsd_path)
    if isinstance(path_or_buffer, (str, Path)):
        target = Path(path_or_buffer)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CodingError(_("Codebook file {target} cannot be written: {value}.").format(
                                target=target, value=exc.strerror or exc)) from None
    else:
        path_or_buffer.write(data)
    return {"codes": sum(1 for _unused in fromstring(data).iter(f"{{{NS}}}Code")), **report}


def _read_bytes(source: Any) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if isinstance(source, (str, Path)):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise CodingError(_("Codebook file {source} cannot be read: {value}.").format(
                                source=source, value=exc.strerror or exc)) from None
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _codes_element(data: bytes, label: str = "The .qdpx archive") -> tuple[ET.Element, int]:
    """The ``Codes`` element of a .qdc/.qde/.qdpx and the number of ``Set`` elements."""
    if data[:2] == b"PK" or zipfile.is_zipfile(io.BytesIO(data)):
        try:  # entries, names and sizes capped; the .qde is inflated streamed with a running count
            with open_zip(data, label) as zf:
                qde = [n for n in zf.namelist() if "/" not in n and n.lower().endswith(".qde")]
                if len(qde) != 1:
                    raise CodingError(_("The .qdpx archive holds {n} .qde files at its root; expected one.").format(
                                        n=len(qde)))
                data = read_member(zf, qde[0], label)
        except ArchiveError as exc:
            raise CodingError(str(exc)) from None
    try:
        root = fromstring(data)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise CodingError(_("The codebook file is not readable XML: {exc}.").format(exc=exc)) from None
    book = root if _local(root.tag) == "CodeBook" else next(
        (c for c in root if _local(c.tag) == "CodeBook"), None) if _local(root.tag) == "Project" else None
    if book is None:
        raise CodingError(_("The file's root element is {local!r}; expected CodeBook or Project.").format(
                            local=_local(root.tag)))
    codes = next((c for c in book if _local(c.tag) == "Codes"), None)
    if codes is None or not any(_local(c.tag) == "Code" for c in codes):
        raise CodingError(_("The codebook file holds no codes."))
    n_sets = sum(1 for el in root.iter() if _local(el.tag) == "Set")
    return codes, n_sets


def _node(el: ET.Element, where: str, depth: int = 0) -> CodeNode:
    if depth > MAX_DEPTH:
        raise CodingError(_("The codebook file nests codes more than {max_depth} levels deep (under {value!r}); "
                            "refused.").format(max_depth=MAX_DEPTH, value=where[:60]))
    desc = next((c for c in el if _local(c.tag) == "Description"), None)
    fields = split_description(desc.text or "") if desc is not None else {}
    codable = (el.get("isCodable") or "true").strip().lower() not in ("false", "0")
    name = el.get("name")
    here = f"{where}/{name}" if where else str(name)
    children = [_node(c, here, depth + 1) for c in el if _local(c.tag) == "Code"]
    return CodeNode(name=name, guid=el.get("guid"), codable=codable, colour=el.get("color"), children=children,
                    where=f"code {here!r}", **fields)


def read_codebook_qdc(source: str | Path | bytes | io.IOBase) -> tuple[list[CodeNode], int]:
    """Parse a ``.qdc`` (or the codebook of a ``.qde``/``.qdpx``) without touching the project.

    Returns
    -------
    (list of CodeNode, int)
        The top-level codes with their sub-codes, and the number of ``Set`` elements.

    Raises
    ------
    CodingError
        Unreadable file or XML, no CodeBook, no codes, codes nested more than
        ``coding.tree.MAX_DEPTH`` deep, or a .qdpx refused by ``corpus.archive`` (too many
        entries, unsafe names, inflating past 200 MB).
    """
    label = Path(source).name if isinstance(source, (str, Path)) else _("The .qdpx archive")
    codes, n_sets = _codes_element(_read_bytes(source), label)
    return [_node(c, "") for c in codes if _local(c.tag) == "Code"], n_sets


def import_codebook_qdc(session: Session, source: str | Path | bytes | io.IOBase, *,
                        update_existing: bool = False, coder: str = "researcher") -> dict[str, Any]:
    """Import the codes of a ``.qdc`` (or ``.qde``/``.qdpx``) into the project's codebook.

    Parameters
    ----------
    session : Session
    source : path, bytes or file object
    update_existing : bool
        Copy texts, colours and names onto codes matched by GUID or name.
    coder : str

    Returns
    -------
    dict
        The report of :func:`coding.exchange.codebook_merge.merge_code_tree` plus ``sets_ignored``
        (REFI code sets are not kept).

    Raises
    ------
    CodingError
        Unreadable file, no codes, or a bad coder. Nothing is written then.
    """
    nodes, n_sets = read_codebook_qdc(source)
    report = merge_code_tree(session, nodes, update_existing=update_existing, coder=coder)
    report["sets_ignored"] = n_sets
    if n_sets:
        report["warnings"].append(_("{n_sets} code set(s) were not imported (Tandem has no code sets).").format(
                                    n_sets=n_sets))
    return report
