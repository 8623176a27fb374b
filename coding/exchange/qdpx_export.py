"""Writing the project as a ``.qdpx`` (zip: ``project.qde`` + ``sources/<guid>.txt``).

The XML from :func:`coding.exchange.qdpx_write.project_qde` is validated against the
REFI-QDA Project XSD *before* the zip is built; an invalid project is refused and nothing is
written. When the schema file is not found (``TANDEM_PROJECT_XSD``, else
``../shared/data/refi/Project-mrt2019.xsd``), the export is still made after a structural
self-check (:func:`structural_check`): well-formed XML with the Project root; every ``guid``
unique and canonical (lower-case hexadecimal 8-4-4-4-12, no braces); every reference
(``targetGUID``, ``creatingUser``) pointing at an element of the file; every ``Coding`` inside
a ``PlainTextSelection`` of a ``TextSource`` whose ``.txt`` is in the package, with its
``CodeRef`` naming a ``Code``; every selection ``0 <= start < end <= len(text)`` in code
points. The report then says plainly that the schema was not found and the file was checked
structurally only (``checked="structure"``, ``schema=None``, ``note``).

Each coding from a rule, the sentence encoder or an LLM carries its origin in a Tandem note on
the coding (:mod:`coding.exchange.qdpx_origin`; counted as ``origin_notes``), within the schema.

A path target is written atomically (temporary file beside it, then rename). The first export
sets ``ProjectInfo["refi_exported"]``: from then on an import never gives the project's codes
another tool's GUIDs (see :mod:`coding.exchange.qdpx_import`).
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from coding.errors import CodingError
from coding.exchange.qdpx_info import get_info, set_info
from coding.exchange.qdpx_origin import add_origin_notes
from coding.exchange.qdpx_write import NS, default_project_xsd, project_qde, validate_project_xml
from i18n import _

__all__ = ["export_qdpx", "qdpx_bytes", "structural_check"]

_CANONICAL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def structural_check(data: bytes, files: dict[str, str]) -> dict[str, int]:
    """Check ``project.qde`` bytes and the package's source texts without the schema.

    Parameters
    ----------
    data : bytes
        The ``project.qde`` XML.
    files : dict
        Package member path (``"sources/<guid>.txt"``) -> its text.

    Returns
    -------
    dict
        What was checked: ``guids``, ``references``, ``codings``, ``selections``.

    Raises
    ------
    CodingError
        The first problem, in one sentence (see the module docstring); nothing is written.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise CodingError(_("The export is not well-formed XML ({error}); nothing was written.").format(
            error=exc)) from None
    if root.tag != f"{{{NS}}}Project":
        raise CodingError(_("The export's root element is not a REFI-QDA Project; nothing was written."))
    kinds: dict[str, str] = {}
    for el in root.iter():
        g = el.get("guid")
        if g is None:
            continue
        what = etree.QName(el).localname
        if not _CANONICAL.match(g):
            raise CodingError(_("The export holds a {element} GUID {guid!r} that is not canonical; nothing was "
                                "written.").format(element=what, guid=g))
        if g in kinds:
            raise CodingError(_("The export uses the GUID {guid} twice ({first} and {second}); nothing was "
                                "written.").format(guid=g, first=kinds[g], second=what))
        kinds[g] = what
    n_refs = 0
    for el in root.iter():
        for attr in ("targetGUID", "creatingUser", "modifyingUser"):
            ref = el.get(attr)
            if ref is not None:
                n_refs += 1
                if ref not in kinds:
                    raise CodingError(_("The export's {element} refers to {guid} ({attribute}), which is not in "
                                        "the file; nothing was written.").format(
                                            element=etree.QName(el).localname, guid=ref, attribute=attr))
    n_sel = n_cod = 0
    for src in root.iter(f"{{{NS}}}TextSource"):
        path = src.get("plainTextPath") or ""
        member = "sources/" + path[len("internal://"):] if path.startswith("internal://") else None
        text = files.get(member) if member else None
        name = src.get("name") or src.get("guid")
        sels = list(src.iter(f"{{{NS}}}PlainTextSelection"))
        if text is None and sels:
            raise CodingError(_("The export's source {name!r} has codings but its text {path!r} is not in the "
                                "package; nothing was written.").format(name=name, path=path))
        for sel in sels:
            n_sel += 1
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError):
                raise CodingError(_("A selection in source {name!r} has no whole-number positions; nothing was "
                                    "written.").format(name=name)) from None
            if not 0 <= start < end <= len(text):
                raise CodingError(_("A selection in source {name!r} runs from {start} to {end}, outside its text "
                                    "of {n} characters; nothing was written.").format(
                                        name=name, start=start, end=end, n=len(text)))
            for coding in sel.iter(f"{{{NS}}}Coding"):
                n_cod += 1
                ref = coding.find(f"{{{NS}}}CodeRef")
                target = None if ref is None else ref.get("targetGUID")
                if kinds.get(target) != "Code":
                    raise CodingError(_("A coding in source {name!r} does not refer to a code of the file; "
                                        "nothing was written.").format(name=name))
    if n_cod != sum(1 for _ in root.iter(f"{{{NS}}}Coding")):
        raise CodingError(_("The export holds a coding outside a text selection of a source; nothing was "
                            "written."))
    return {"guids": len(kinds), "references": n_refs, "codings": n_cod, "selections": n_sel}


def qdpx_bytes(session: Session, *, xsd_path: str | Path | None = None,
               origin: str = "Tandem") -> tuple[bytes, dict[str, Any]]:
    """The checked ``.qdpx`` as bytes and a report (counts, schema, how it was checked, offset unit).

    The report's ``checked`` is ``"schema"`` (validated against the Project XSD, ``schema`` its
    path) or ``"structure"`` when the XSD was not found (``schema`` None, ``note`` one sentence
    saying so; see :func:`structural_check`).

    Raises
    ------
    CodingError
        The document is invalid against the schema, or fails the structural check when there
        is no schema (nothing is produced).
    """
    name = get_info(session, "name", None)
    data, files, counts = project_qde(session, name=str(name) if name else "Tandem project", origin=origin)
    data, counts["origin_notes"] = add_origin_notes(session, data, NS)  # rule/encoder/llm codings (issue 13)
    xsd = Path(xsd_path) if xsd_path is not None else default_project_xsd()
    if xsd.is_file():
        schema, checked, note = validate_project_xml(data, xsd), "schema", None
    else:
        structural_check(data, files)
        schema, checked = None, "structure"
        note = (f"The REFI-QDA Project schema was not found ({xsd.name}; set TANDEM_PROJECT_XSD to "
                "Project-mrt2019.xsd), so the file was checked structurally only: well-formed XML, unique "
                "canonical GUIDs, every coding's source and code present, every selection inside its text.")
    if not get_info(session, "refi_exported", False):
        set_info(session, "refi_exported", True)  # GUIDs are now known outside: never adopt others' again
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", data)
        for member, text in files.items():
            zf.writestr(member, text.encode("utf-8"))
    return buf.getvalue(), {**counts, "schema": schema, "checked": checked, "note": note,
                            "offsets": "Unicode code points over each UTF-8 .txt (LF line breaks), 0-based, "
                                       "end exclusive"}


def export_qdpx(session: Session, target: str | Path | io.IOBase, *,
                xsd_path: str | Path | None = None) -> dict[str, Any]:
    """Write the project as a validated ``.qdpx`` to a path (atomically) or a binary buffer.

    Returns
    -------
    dict
        Counts (sources, codes, selections, codings, notes, users, variables, cases, sets,
        origin_notes),
        ``schema``, ``checked``, ``note`` (see :func:`qdpx_bytes`) and ``offsets`` (the unit written).

    Raises
    ------
    CodingError
        Invalid document (nothing written), or the file cannot be written.
    """
    data, report = qdpx_bytes(session, xsd_path=xsd_path)
    if isinstance(target, (str, Path)):
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CodingError(_("{path} cannot be written: {error}.").format(path=path, error=exc.strerror or exc)
                              ) from None
    else:
        target.write(data)
    return report
