"""The project as a REFI-QDA ``project.qde`` (QDA-XML project 1.0), strictly.

:func:`project_qde` returns the XML bytes and the source texts to zip beside them:

- ``Users``: every coder and memo author, with the GUID kept from an import
  (``ProjectInfo["refi_users"]``) or derived deterministically,
  ``uuid5(TANDEM_NS, "user:" + name)``, so exports agree with each other;
- ``CodeBook``: every code with its stored GUID, ``isCodable``, colour, description
  (:func:`coding.exchange.refi_codebook.describe`) and the ``NoteRef`` of its memos;
- ``Variables`` (document attribute names, typed from their values; GUIDs kept from an
  import or derived), ``Cases`` (those kept from an import, ``ProjectInfo["refi_cases"]``);
- ``Sources``: one ``TextSource`` per current document, ``plainTextPath=internal://<guid>.txt``
  (UTF-8, the stored text: NFC, LF line breaks), one ``PlainTextSelection`` per distinct span
  with a ``Coding`` per code and coder (stored coding GUIDs). **Offsets are Unicode code points
  over that .txt** (0-based, end exclusive; a line break counts one), the selection ``name``
  holds the selected text (as QualCoder does), and its ``Description`` the codings' memos;
  codings left *unanchored* by a corrected version (``coding.reanchoring.reanchor``) have no place in the
  text and are left out, counted in ``codings_not_exported``;
- ``Notes``: every memo (GUID kept), pointed at by ``NoteRef`` from its object (project,
  document, code, coding; city and dyad memos hang on the project);
- ``Sets`` kept from an import. Empty wrappers are omitted.

The bytes are validated against the Project XSD before anything is written
(:func:`validate_project_xml`); an invalid document is refused.
"""
from __future__ import annotations

import io
import os
import re
import uuid
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.exchange.codebook_merge import canonical_guid
from coding.errors import CodingError
from coding.exchange.qdpx_info import get_info
from coding.exchange.refi_codebook import describe
from coding.tree import codebook

__all__ = ["NS", "TANDEM_NS", "project_qde", "validate_project_xml", "default_project_xsd", "user_guid"]

NS = "urn:QDA-XML:project:1.0"
TANDEM_NS = uuid.UUID("6f1c2a52-7c1e-5b7e-9d0e-3a6b2f0c9e41")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROOT = Path(__file__).resolve().parents[2]


def default_project_xsd() -> Path:
    """``TANDEM_PROJECT_XSD``, else ``../shared/data/refi/Project-mrt2019.xsd`` (or under
    ``TANDEM_SHARED_DATA``)."""
    env = os.environ.get("TANDEM_PROJECT_XSD")
    if env:
        return Path(env)
    shared = Path(os.environ.get("TANDEM_SHARED_DATA", _ROOT.parent / "shared" / "data"))
    return shared / "refi" / "Project-mrt2019.xsd"


@lru_cache(maxsize=2)
def _schema(path: str, mtime: float):
    import xmlschema

    return xmlschema.XMLSchema(path)


def validate_project_xml(data: bytes, xsd_path: str | Path | None = None) -> str:
    """Check ``project.qde`` bytes against the Project XSD; return the schema's path.

    Raises
    ------
    CodingError
        The XSD is missing or unreadable, or the document is invalid (first error named).
    """
    path = Path(xsd_path) if xsd_path is not None else default_project_xsd()
    if not path.is_file():
        raise CodingError(_("The REFI-QDA Project schema {path} is missing, so the export cannot be checked; set "
                            "TANDEM_PROJECT_XSD to Project-mrt2019.xsd.").format(path=path))
    try:
        schema = _schema(str(path.resolve()), path.stat().st_mtime)
    except Exception as exc:  # xmlschema raises its own parse errors
        raise CodingError(_("The Project schema {path} cannot be read: {name}.").format(
                            path=path, name=exc.__class__.__name__)) from None
    for error in schema.iter_errors(io.BytesIO(data)):
        reason = getattr(error, "reason", None) or str(error).splitlines()[0]
        raise CodingError(_("The export is not valid against {name}: {reason} (at {at}); nothing was written.").format(
                            name=path.name, reason=reason, at=getattr(error, 'path', '?')))
    return str(path)


def user_guid(name: str, known: dict[str, str]) -> str:
    """A coder's GUID: kept from an import, else ``uuid5(TANDEM_NS, "user:" + name)``."""
    return canonical_guid(known.get(name)) or str(uuid.uuid5(TANDEM_NS, f"user:{name}"))


def _derived(kind: str, key: str) -> str:
    return str(uuid.uuid5(TANDEM_NS, f"{kind}:{key}"))


def _x(value: Any) -> str:
    return _ILLEGAL.sub("", str(value))


def _el(parent, tag: str, attrib: dict | None = None, text: str | None = None):
    el = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: _x(v) for k, v in (attrib or {}).items() if v is not None})
    if text is not None:
        el.text = _x(text)
    return el


def _var_type(values: list[Any]) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "Boolean"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Integer"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "Float"
    return "Text"


def _value(parent, var_guid: str, vtype: str, value: Any) -> None:
    vv = _el(parent, "VariableValue")
    _el(vv, "VariableRef", {"targetGUID": var_guid})
    if vtype == "Boolean":
        _el(vv, "BooleanValue", text="true" if value else "false")
    elif vtype == "Integer":
        _el(vv, "IntegerValue", text=str(int(value)))
    elif vtype == "Float":
        _el(vv, "FloatValue", text=repr(float(value)))
    else:
        _el(vv, "TextValue", text="" if value is None else str(value))


def _ts(value) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def project_qde(session: Session, *, name: str = "Tandem project",
                origin: str = "Tandem") -> tuple[bytes, dict[str, str], dict[str, int]]:
    """``(xml_bytes, {member path: text}, counts)`` for the whole project (not validated).

    Raises
    ------
    CodingError
        A stored GUID is not a GUID.
    """
    known_users = dict(get_info(session, "refi_users", {}))
    docs = session.scalars(select(store.Document).where(store.Document.superseded_by.is_(None))
                           .order_by(store.Document.id)).all()
    codings = session.scalars(select(store.Coding).where(store.Coding.document_id.in_([d.id for d in docs]))
                              .order_by(store.Coding.document_id, store.Coding.start, store.Coding.end,
                                        store.Coding.id)).all()
    length = {d.id: d.n_chars for d in docs}
    unanchored = [c for c in codings if c.status == "unanchored" or c.end > length[c.document_id]]
    left_out = {c.id for c in unanchored}
    codings = [c for c in codings if c.id not in left_out]
    memos = session.scalars(select(store.Memo).order_by(store.Memo.id)).all()
    names = sorted({c.coder for c in codings} | {m.author for m in memos} | set(known_users))
    users = {n: user_guid(n, known_users) for n in names}
    notes_on: dict[tuple[str, str], list[str]] = defaultdict(list)
    for m in memos:
        key = (m.target_type, str(m.target_id)) if m.target_type in ("document", "code", "coding") else ("project", "")
        notes_on[key].append(_guid(m.guid, "memo"))

    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS})
    root.set("name", _x(name))
    root.set("origin", _x(origin))
    if users:
        wrap = _el(root, "Users")
        for n, g in users.items():
            _el(wrap, "User", {"guid": g, "name": n})
    book = codebook(session)
    code_guid = dict(session.execute(select(store.Code.id, store.Code.guid)).all())
    if not book.empty:
        codes_el = _el(_el(root, "CodeBook"), "Codes")
        element: dict[int, Any] = {}
        for row in book.itertuples(index=False):
            top = row.parent_id is None or row.parent_id != row.parent_id  # None or NaN
            parent = codes_el if top else element[int(row.parent_id)]
            node = _el(parent, "Code", {"guid": _guid(code_guid[row.id], "code"), "name": row.name,
                                        "isCodable": "true" if row.codable else "false", "color": row.colour})
            text = describe(row.definition, row.inclusion, row.exclusion, row.example)
            if text:
                _el(node, "Description", text=text)
            for g in notes_on.get(("code", str(row.id)), []):
                _el(node, "NoteRef", {"targetGUID": g})
            element[int(row.id)] = node
    # variables: document attribute names
    known_vars = dict(get_info(session, "refi_variables", {}))
    values: dict[str, list[Any]] = defaultdict(list)
    for d in docs:
        for k, v in (d.attributes or {}).items():
            values[k].append(v)
    cases = [c for c in get_info(session, "refi_cases", []) if canonical_guid(c.get("guid"))]
    city_values: dict[str, dict[str, Any]] = {}
    for c in cases:
        if c.get("city"):
            rows = session.scalars(select(store.CityAttribute).where(
                store.CityAttribute.city_code == c["city"], store.CityAttribute.name.in_(c.get("variables", [])))).all()
            city_values[c["guid"]] = {r.name: r.text if r.text is not None else _number(
                r.value, (known_vars.get(r.name) or {}).get("type")) for r in rows}
            for k, v in city_values[c["guid"]].items():
                values[k].append(v)
    var_guid = {k: canonical_guid((known_vars.get(k) or {}).get("guid")) or _derived("variable", k) for k in values}
    var_type = {k: _var_type([v for v in vs if v is not None]) for k, vs in values.items()}
    if values:
        wrap = _el(root, "Variables")
        for k in values:
            var = _el(wrap, "Variable", {"guid": var_guid[k], "name": k, "typeOfVariable": var_type[k]})
            desc = (known_vars.get(k) or {}).get("description")
            if desc:
                _el(var, "Description", text=desc)
    doc_guid = {d.id: _guid(d.guid, "document") for d in docs}
    guid_doc = {g: d for d, g in doc_guid.items()}
    if cases:
        wrap = _el(root, "Cases")
        by_id = {d.id: d for d in docs}
        for c in cases:
            case = _el(wrap, "Case", {"guid": canonical_guid(c["guid"]), "name": c.get("name") or None})
            if c.get("description"):
                _el(case, "Description", text=c["description"])
            members = [g for g in c.get("sources", []) if g in guid_doc]
            attrs = city_values.get(c["guid"]) or (by_id[guid_doc[members[0]]].attributes if members else {})
            for k in c.get("variables", []):
                if k in var_guid and k in (attrs or {}) and attrs[k] is not None:
                    _value(case, var_guid[k], var_type[k], attrs[k])
            for g in members:
                _el(case, "SourceRef", {"targetGUID": g})
    by_doc: dict[int, dict[tuple[int, int], list]] = defaultdict(lambda: defaultdict(list))
    for c in codings:
        by_doc[c.document_id][(c.start, c.end)].append(c)
    files: dict[str, str] = {}
    n_sel = 0
    if docs:
        wrap = _el(root, "Sources")
        for d in docs:
            g = doc_guid[d.id]
            files[f"sources/{g}.txt"] = d.text
            src = _el(wrap, "TextSource", {"guid": g, "name": d.name, "plainTextPath": f"internal://{g}.txt",
                                           "creationDateTime": _ts(d.created)})
            for (s, e), group in sorted(by_doc[d.id].items()):
                n_sel += 1
                sel = _el(src, "PlainTextSelection", {
                    "guid": _derived("selection", f"{g}:{s}:{e}"), "name": d.text[s:e], "startPosition": str(s),
                    "endPosition": str(e), "creatingUser": users.get(group[0].coder)})
                memo = "\n\n".join(dict.fromkeys(c.memo for c in group if c.memo))
                if memo:
                    _el(sel, "Description", text=memo)
                for c in group:
                    cod = _el(sel, "Coding", {"guid": _guid(c.guid, "coding"), "creatingUser": users.get(c.coder),
                                              "creationDateTime": _ts(c.created)})
                    _el(cod, "CodeRef", {"targetGUID": _guid(code_guid[c.code_id], "code")})
                    for ng in notes_on.get(("coding", str(c.id)), []):
                        _el(cod, "NoteRef", {"targetGUID": ng})
            for ng in notes_on.get(("document", str(d.id)), []):
                _el(src, "NoteRef", {"targetGUID": ng})
            for k, v in (d.attributes or {}).items():
                if v is not None:
                    _value(src, var_guid[k], var_type[k], v)
    if memos:
        wrap = _el(root, "Notes")
        for m in memos:
            note = _el(wrap, "Note", {"guid": _guid(m.guid, "memo"), "name": m.title or None,
                                      "creatingUser": users.get(m.author), "creationDateTime": _ts(m.created)})
            _el(note, "PlainTextContent", text=m.text or "")
    sets = [s for s in get_info(session, "refi_sets", []) if canonical_guid(s.get("guid"))]
    live_codes = {g.lower() for g in code_guid.values()}
    live_notes = {m.guid.lower() for m in memos}
    if sets:
        wrap = _el(root, "Sets")
        for s in sets:
            el = _el(wrap, "Set", {"guid": canonical_guid(s["guid"]), "name": s.get("name") or "Set"})
            if s.get("description"):
                _el(el, "Description", text=s["description"])
            for g in s.get("codes", []):
                if g in live_codes:
                    _el(el, "MemberCode", {"targetGUID": g})
            for g in s.get("sources", []):
                if g in guid_doc:
                    _el(el, "MemberSource", {"targetGUID": g})
            for g in s.get("notes", []):
                if g in live_notes:
                    _el(el, "MemberNote", {"targetGUID": g})
    for g in notes_on.get(("project", ""), []):
        _el(root, "NoteRef", {"targetGUID": g})
    data = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    counts = {"sources": len(docs), "codes": 0 if book.empty else len(book), "selections": n_sel,
              "codings": len(codings), "notes": len(memos), "users": len(users), "variables": len(values),
              "cases": len(cases), "sets": len(sets), "codings_not_exported": len(unanchored)}
    return data, files, counts


def _number(value: float | None, vtype: str | None) -> float | int | bool | None:
    """A stored city attribute (always a float) in its REFI type: a Boolean as ``bool``, a whole
    number as ``int`` unless the variable is a Float."""
    if value is None:
        return None
    if vtype == "Boolean":
        return bool(value)
    return int(value) if vtype != "Float" and float(value).is_integer() else value


def _guid(value: str, what: str) -> str:
    g = canonical_guid(value)
    if g is None:
        raise CodingError(_("A stored {what} GUID {value!r} is not a GUID; the export was refused.").format(
                            what=what, value=value))
    return g
