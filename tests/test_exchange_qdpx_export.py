"""REFI-QDA project export: valid against the Project XSD (checked here with xmlschema), offsets in
code points (checked by slicing the exported .txt), stable GUIDs, and a round trip
(export -> import into an empty project -> export) keeping every coding's text and code."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from sqlalchemy import select

import coding
import store
from coding import CodingError
from coding.exchange.qdpx_export import export_qdpx
from coding.exchange.qdpx_import import import_qdpx

Q = {"q": "urn:QDA-XML:project:1.0"}
TEXT = "开头 😀 emoji and 𠀀 rare.\nSecond line with café and 广州市–佛山市.\n\nLast 😀 line."


def _seed(session):
    attributes = {"age": 41, "urban": True, "role": "官员"}
    doc = coding.import_source(session, TEXT, name="访谈 1", attributes=attributes).document_id
    coding.import_source(session, "Plain second document.\nWith two lines.", name="doc two")
    topic = coding.add_code(session, "Topic", codable=False)
    a = coding.add_code(session, "Rare", parent_id=topic)
    b = coding.add_code(session, "Place")
    spans = [("𠀀 rare", a, "Ann"), ("广州市–佛山市", b, "Bo"), ("广州市–佛山市", a, "Ann"),
             ("Last 😀 line", b, "Ann")]
    for quote, code, who in spans:
        i = TEXT.index(quote)
        coding.add_coding(session, doc, i, i + len(quote), [code], coder=who, memo="why" if who == "Bo" else "")
    coding.add_memo(session, "code", a, "about rare", title="code memo", author="Ann")
    coding.add_memo(session, "document", doc, "about the doc", author="Bo")
    coding.add_memo(session, "project", None, "project note", title="Journal")


def _codings(session):
    rows = session.execute(select(store.Document.name, store.Coding.quote, store.Code.name, store.Coding.coder,
                                  store.Coding.guid, store.Code.guid)
                           .join(store.Document, store.Document.id == store.Coding.document_id)
                           .join(store.Code, store.Code.id == store.Coding.code_id)).all()
    return sorted(tuple(r) for r in rows)


def _selections(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        out = []
        for src in root.iterfind(".//q:TextSource", Q):
            text = zf.read("sources/" + src.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
            for sel in src.iterfind("q:PlainTextSelection", Q):
                s, e = int(sel.get("startPosition")), int(sel.get("endPosition"))
                for c in sel.iterfind("q:Coding", Q):
                    out.append((src.get("name"), text[s:e], c.find("q:CodeRef", Q).get("targetGUID"), c.get("guid")))
    return sorted(out), root


def _without_name(root):
    root.attrib.pop("name", None)
    return root


def test_export_valid_and_round_trip(engine, shared, tmp_path):
    xsd = xmlschema.XMLSchema(str(shared("refi", "Project-mrt2019.xsd")))
    with store.session_scope(engine) as s:
        _seed(s)
    with store.session_scope(engine) as s:
        first = _codings(s)
        report = export_qdpx(s, tmp_path / "a.qdpx")
        export_qdpx(s, tmp_path / "a2.qdpx")
    data = (tmp_path / "a.qdpx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        qde = zf.read("project.qde")
        xsd.validate(io.BytesIO(qde))
    with zipfile.ZipFile(tmp_path / "a2.qdpx") as zf:
        assert zf.read("project.qde") == qde  # same GUIDs, same document on a second export
    sels, root = _selections(data)
    # offsets are code points over the exported .txt: slicing gives each coding's quote
    assert sorted((d, q, cg, g) for d, q, _n, _c, g, cg in first) == sels
    assert report["codings"] == 4 and report["selections"] == 3 and report["notes"] == 3
    users = {u.get("name"): u.get("guid") for u in root.iterfind(".//q:User", Q)}
    assert set(users) >= {"Ann", "Bo"}
    assert len(root.findall(".//q:Variable", Q)) == 3
    # round trip into an empty project, then out again
    other = store.connect(tmp_path / "other.sqlite")
    try:
        with store.session_scope(other) as s:
            back = import_qdpx(s, tmp_path / "a.qdpx")
        assert back["convention"]["chosen"] == "codepoints"
        assert back["codings"]["placed"] == 4 and back["codings"]["not_placed"] == 0
        with store.session_scope(other) as s:
            assert _codings(s) == first  # text, code, coder and GUIDs
            doc = s.scalars(select(store.Document).where(store.Document.name == "访谈 1")).one()
            assert doc.attributes == {"age": 41, "urban": True, "role": "官员"}
            assert s.get(store.ProjectInfo, "refi_users").value == {n: users[n] for n in users}
            export_qdpx(s, tmp_path / "b.qdpx")
        sels_b, _ = _selections((tmp_path / "b.qdpx").read_bytes())
        assert sels_b == sels
        with zipfile.ZipFile(tmp_path / "b.qdpx") as zf:
            qde_b = zf.read("project.qde")
        strip = lambda b: etree.tostring(_without_name(etree.fromstring(b)))
        assert strip(qde_b) == strip(qde)  # the whole project.qde again: GUIDs, offsets, times, notes
    finally:
        other.dispose()


def test_invalid_export_refused(engine, tmp_path, monkeypatch):
    with store.session_scope(engine) as s:
        _seed(s)
    monkeypatch.delenv("TANDEM_PROJECT_XSD", raising=False)  # (a missing schema: tests/test_exchange_qdpx_structural.py)
    from coding.exchange import qdpx_export, qdpx_write

    def broken(session, **kw):  # a Coding without its CodeRef: the XSD requires one
        data, files, counts = qdpx_write.project_qde(session, **kw)
        return data.replace(b"<CodeRef ", b"<NoteRef ", 1), files, counts

    monkeypatch.setattr(qdpx_export, "project_qde", broken)
    with pytest.raises(CodingError, match="not valid"), store.session_scope(engine) as s:
        export_qdpx(s, tmp_path / "x.qdpx")
    assert not (tmp_path / "x.qdpx").exists()


def test_round_trip_into_new_project_with_default_codebook(tmp_path):
    """A new project starts with the default codebook (its own random GUIDs): codes matched by name take
    the file's GUIDs until the project has itself been exported."""
    a, b = store.connect(tmp_path / "a.sqlite"), store.connect(tmp_path / "b.sqlite")
    try:
        for eng in (a, b):
            with store.session_scope(eng) as s:
                coding.ensure_default_codebook(s)
        with store.session_scope(a) as s:
            doc = coding.import_source(s, TEXT, name="访谈 1").document_id
            mark = coding.code_id_by_name(s, "Mark")
            coding.add_coding(s, doc, 0, 2, [mark], coder="Ann")
            export_qdpx(s, tmp_path / "a.qdpx")
        with store.session_scope(b) as s:
            report = import_qdpx(s, tmp_path / "a.qdpx")
            assert report["codes"]["created"] == 0 and report["codes"]["guids_adopted"] == report["codes"]["matched"]
            export_qdpx(s, tmp_path / "b.qdpx")
        qde = [etree.tostring(_without_name(etree.fromstring(zipfile.ZipFile(tmp_path / f).read("project.qde"))))
               for f in ("a.qdpx", "b.qdpx")]
        assert qde[0] == qde[1]
        with store.session_scope(a) as s:  # a has been exported: b's GUIDs are not adopted back
            coding.add_code(s, "Only in a")
        with store.session_scope(b) as s:
            coding.add_code(s, "Only in a")
            export_qdpx(s, tmp_path / "b2.qdpx")
        with store.session_scope(a) as s:
            report = import_qdpx(s, tmp_path / "b2.qdpx")
            assert report["codes"]["guids_adopted"] == 0 and report["codes"]["matched"] >= 1
    finally:
        a.dispose()
        b.dispose()
