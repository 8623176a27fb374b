"""REFI-QDA codebook exchange (.qdc) and the codebook CSV.

The written .qdc is validated here independently with ``xmlschema`` against the repaired
Codebook XSD from ../shared/data/refi, and read back with the standard library.
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import xmlschema
from sqlalchemy import func, select

import coding
import store
from coding import CodingError
from coding.exchange import refi_codebook as refi

NS = {"q": "urn:QDA-XML:codebook:1.0"}

TOLERANT = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.4">
  <Codes>
    <Code guid="{A1B2C3D4-0000-4000-8000-00000000000A}" name="Needs" isCodable="false">
      <Code guid="A1B2C3D4-0000-4000-8000-00000000000B" name="Social/economic" isCodable="true" color="#abc">
        <Description>Wants of people.

Inclusion: jobs

Example: 找工作</Description>
      </Code>
      <Code guid="a1b2c3d4-0000-4000-8000-00000000000c" name="Jobs" isCodable="true" color="#00FF00"/>
      <Code guid="a1b2c3d4-0000-4000-8000-00000000000d" name="jobs" isCodable="true" color="#0000FF"/>
    </Code>
  </Codes>
  <Sets/>
</CodeBook>
"""


def _xsd(shared):
    return shared("refi", "Codebook-repaired.xsd")


def _seed(session):
    coding.ensure_default_codebook(session)
    mark = coding.code_id_by_name(session, "Mark")
    coding.update_code(session, mark, definition="信号\n两行", inclusion="签约 <多>", exclusion="", example="例 & 子")
    coding.add_code(session, "Bare", colour="#123456")
    return mark


def _export(engine, xsd):
    buffer = io.BytesIO()
    with store.session_scope(engine) as s:
        report = coding.export_codebook_qdc(s, buffer, xsd_path=xsd)
    return buffer.getvalue(), report


def _fresh(tmp_path, name):
    return store.connect(tmp_path / f"{name}.sqlite")


def _codes(engine):
    with store.session_scope(engine) as s:
        book = coding.codebook(s)
        guids = dict(s.execute(select(store.Code.id, store.Code.guid)).all())
    book["guid"] = [guids[i] for i in book["id"]]
    return book.drop(columns=["id", "parent_id", "n_codings"]).to_dict("records")


def test_export_validates_against_the_repaired_xsd_and_says_what_it_holds(engine, shared):
    xsd = _xsd(shared)
    with store.session_scope(engine) as s:
        mark = _seed(s)
        book = coding.codebook(s)
        guids = dict(s.execute(select(store.Code.id, store.Code.guid)).all())
    data, report = _export(engine, xsd)
    assert report["validation"] == "xsd" and report["codes"] == len(book) == 16
    assert xmlschema.XMLSchema(str(xsd)).is_valid(io.BytesIO(data))  # independent check
    root = ET.fromstring(data)
    assert root.tag == "{urn:QDA-XML:codebook:1.0}CodeBook" and root.find("q:Sets", NS) is None
    codes = {c.get("name"): c for c in root.iter("{urn:QDA-XML:codebook:1.0}Code")}
    assert codes["Behaviour"].get("isCodable") == "false" and codes["Mark"].get("isCodable") == "true"
    assert codes["Mark"].get("guid") == guids[mark] == guids[mark].lower()
    assert codes["Mark"].get("color") == book.set_index("id").loc[mark, "colour"]
    assert codes["Mark"].find("q:Description", NS).text == "信号\n两行\n\nInclusion: 签约 <多>\n\nExample: 例 & 子"
    assert codes["Bare"].find("q:Description", NS) is None  # no empty wrapper
    assert [c.get("name") for c in codes["Behaviour"].findall("q:Code", NS)] == ["Mark", "Hole"]


def test_round_trip_reproduces_codes_and_guids(engine, shared, tmp_path):
    xsd = _xsd(shared)
    with store.session_scope(engine) as s:
        _seed(s)
    first, _ = _export(engine, xsd)
    other = _fresh(tmp_path, "other")
    with store.session_scope(other) as s:
        report = coding.import_codebook_qdc(s, first)
    assert len(report["created"]) == 16 and report["warnings"] == []
    second, _ = _export(other, xsd)
    assert second == first
    assert _codes(other) == _codes(engine)
    with store.session_scope(other) as s:  # importing again matches every code by GUID
        again = coding.import_codebook_qdc(s, io.BytesIO(first))
        assert again["created"] == [] and len(again["matched_guid"]) == 16
        assert s.scalar(select(func.count(store.Code.id))) == 16
    other.dispose()


def test_tolerant_import_of_a_foreign_codebook(engine):
    with store.session_scope(engine) as s:
        report = coding.import_codebook_qdc(s, TOLERANT.encode())
        book = coding.codebook(s).set_index("path")
        guid = dict(s.execute(select(store.Code.name, store.Code.guid)).all())
    assert list(book.index) == ["Needs", "Needs/Social／economic", "Needs/Jobs", "Needs/jobs (2)"]
    assert guid["Needs"] == "a1b2c3d4-0000-4000-8000-00000000000a"  # braces and case dropped
    assert guid["Social／economic"] == "a1b2c3d4-0000-4000-8000-00000000000b"
    assert not book.loc["Needs", "codable"] and book.loc["Needs/Jobs", "codable"]
    assert book.loc["Needs/Social／economic", "colour"] == "#AABBCC"
    assert book.loc["Needs/Social／economic", ["definition", "inclusion", "exclusion", "example"]].tolist() == [
        "Wants of people.", "jobs", "", "找工作"]
    assert report["sets_ignored"] == 0 and report["renamed"][0]["to"] == "Social／economic"
    assert any("no colour" in w for w in report["warnings"]) and any("(2)" in w for w in report["warnings"])


def test_codebook_of_the_fixture_project(engine, shared):
    with store.session_scope(engine) as s:
        report = coding.import_codebook_qdc(s, shared("refi", "qdpx_toolkit_hand_authored.qdpx"))
        book = coding.codebook(s).set_index("path")
        guid = dict(s.execute(select(store.Code.name, store.Code.guid)).all())
    assert list(book.index) == ["Topics", "Topics/Health", "Topics/Health/Diet", "Topics/Wellbeing"]
    assert not book.loc["Topics", "codable"]
    assert book.loc["Topics/Health/Diet", ["definition", "colour"]].tolist() == ["Food and eating habits", "#DC0000"]
    assert guid["Diet"] == "20000000-0000-0000-0000-000000000003"
    assert report["sets_ignored"] == 1


def test_an_invalid_document_is_never_written(engine, shared, tmp_path, monkeypatch):
    xsd = _xsd(shared)
    with store.session_scope(engine) as s:
        _seed(s)
        bad = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="x" name="a" isCodable="true"/>' \
              b"</Codes><Sets/></CodeBook>"
        monkeypatch.setattr(refi, "codebook_xml", lambda session, origin="Tandem": bad)
        target = tmp_path / "out.qdc"
        with pytest.raises(CodingError, match="not valid"):
            coding.export_codebook_qdc(s, target, xsd_path=xsd)
        assert not target.exists() and list(tmp_path.glob("*.qdc*")) == []
        monkeypatch.setattr(refi, "default_xsd_path", lambda: tmp_path / "missing.xsd")
        monkeypatch.delenv("TANDEM_CODEBOOK_XSD", raising=False)
        with pytest.raises(CodingError, match="not valid"):  # the structural check refuses it too
            coding.export_codebook_qdc(s, target)
        assert not target.exists()


def test_structural_check_when_the_xsd_is_missing(engine, shared, tmp_path, monkeypatch):
    with store.session_scope(engine) as s:
        _seed(s)
        monkeypatch.setattr(refi, "default_xsd_path", lambda: tmp_path / "missing.xsd")
        monkeypatch.delenv("TANDEM_CODEBOOK_XSD", raising=False)
        report = coding.export_codebook_qdc(s, tmp_path / "cb.qdc")
        with pytest.raises(CodingError, match="does not exist"):
            coding.export_codebook_qdc(s, tmp_path / "x.qdc", xsd_path=tmp_path / "nope.xsd")
    assert report["validation"] == "structural" and "not found" in report["note"]
    schema = xmlschema.XMLSchema(str(_xsd(shared)))
    assert schema.is_valid(str(tmp_path / "cb.qdc"))
    # the structural rules reject what the XSD rejects
    for broken in (TOLERANT.encode(), TOLERANT.replace("<Sets/>", "").replace('"#abc"', '"red"').encode(),
                   TOLERANT.replace("<Sets/>", "").replace('isCodable="false"', 'isCodable="no"').encode()):
        assert not schema.is_valid(io.BytesIO(broken))
        assert refi._structural_errors(ET.fromstring(broken))


def test_reader_refuses_what_it_cannot_read(engine):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="a1b2c3d4-0000-4000-8000-00000000000a" '
            b'name="&b;" isCodable="true"/></Codes></CodeBook>')
    with store.session_scope(engine) as s:
        for data, message in ((b"<CodeBook", "not readable"), (bomb, "not readable"),
                              (b"<Other/>", "root element"),
                              (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "no codes")):
            with pytest.raises(CodingError, match=message):
                coding.import_codebook_qdc(s, data)
        with pytest.raises(CodingError, match="no codes"):
            coding.export_codebook_qdc(s, io.BytesIO())
        assert s.scalar(select(func.count(store.Code.id))) == 0


def test_codebook_csv_round_trip_and_checks(engine, tmp_path):
    with store.session_scope(engine) as s:
        _seed(s)
        assert coding.export_codebook_csv(s, tmp_path / "cb.csv") == 16
    data = (tmp_path / "cb.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data[3:].split(b"\r\n" if b"\r\n" in data else b"\n")[0] == (
        b'"path","name","definition","inclusion","exclusion","example","colour","codable","guid"')
    other = _fresh(tmp_path, "csv")
    with store.session_scope(other) as s:
        report = coding.import_codebook_csv(s, tmp_path / "cb.csv")
        assert len(report["created"]) == 16
        buffer = io.BytesIO()
        coding.export_codebook_csv(s, buffer)
    assert buffer.getvalue() == data and _codes(other) == _codes(engine)
    with store.session_scope(other) as s:
        grown = coding.import_codebook_csv(s, "path,definition,codable\nNew/Deep/Leaf,叶,true\n".encode())
        book = coding.codebook(s).set_index("path")
        assert len(grown["created"]) == 3 and not book.loc["New", "codable"] and book.loc["New/Deep/Leaf", "codable"]
        n = s.scalar(select(func.count(store.Code.id)))
        for text, message in (("path,name\nA/B,C\n", "not the last part"), ("path,codable\nA,maybe\n", "codable"),
                              ("path\nA\na\n", "twice"), ("definition\nx\n", "path"),
                              ("path,colour\nA,blue\n", "colour")):
            with pytest.raises(CodingError, match=message):
                coding.import_codebook_csv(s, text.encode())
        assert s.scalar(select(func.count(store.Code.id))) == n
        updated = coding.import_codebook_csv(s, "path,definition\nBehaviour/Mark,新定义\n".encode(),
                                             update_existing=True)
        # Behaviour is only named in the path: matched, never overwritten with empty texts
        assert len(updated["matched_name"]) == 2 and updated["updated"] == updated["matched_name"][1:]
        after = coding.codebook(s).set_index("path")
        assert after.loc["Behaviour/Mark", "definition"] == "新定义"
        assert after.loc["Behaviour", "definition"] == book.loc["Behaviour", "definition"] != ""
    other.dispose()
