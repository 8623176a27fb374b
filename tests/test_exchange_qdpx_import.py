"""REFI-QDA project import (coding.exchange): counts, offsets per vendor, hostile files.

Expected values are computed here independently of the importer: counts with lxml over the
file's own XML, selected text by slicing the source text with the file's offsets (code points
for the hand-authored fixture; UTF-16 units over a CRLF rendering, computed with Python's
UTF-16 codec, for the NVivo-style file built here).
"""
from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from sqlalchemy import func, select

import store
from coding import CodingError
from coding.exchange.qdpx_import import import_qdpx

Q = {"q": "urn:QDA-XML:project:1.0"}


def _zip(qde: str | bytes, members: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde if isinstance(qde, bytes) else qde.encode("utf-8"))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_hand_authored_counts_and_offsets(engine, shared):
    path = shared("refi", "qdpx_toolkit_hand_authored.qdpx")
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        txt = zf.read("sources/11111111-1111-1111-1111-111111111111.txt").decode("utf-8")
    n_notes = len(root.findall(".//q:Notes/q:Note", Q))
    n_cases = len(root.findall(".//q:Cases/q:Case", Q))
    variables = {v.get("guid"): v.get("name") for v in root.findall(".//q:Variables/q:Variable", Q)}
    text_sel = root.findall(".//q:TextSource/q:PlainTextSelection", Q)
    pdf_sel = [s for s in root.findall(".//q:PDFSelection", Q) if s.find("q:Representation", Q) is not None]
    n_text_codings = sum(len(s.findall("q:Coding", Q)) for s in text_sel + pdf_sel)
    n_all_codings = len(root.findall(".//q:Coding", Q))
    expected = {(txt[int(s.get("startPosition")):int(s.get("endPosition"))],
                 s.find("q:Coding/q:CodeRef", Q).get("targetGUID")) for s in text_sel}
    with store.session_scope(engine) as s:
        report = import_qdpx(s, path)
    with store.session_scope(engine) as s:
        codings = s.execute(select(store.Coding.quote, store.Code.guid, store.Coding.coder, store.Document.name)
                            .join(store.Code, store.Code.id == store.Coding.code_id)
                            .join(store.Document, store.Document.id == store.Coding.document_id)).all()
        assert len(codings) == n_text_codings == 3
        # nothing silently dropped: every other Coding element is counted as skipped
        skipped_codings = sum(n for k, n in report["skipped"].items() if "codings" in k)
        assert len(codings) + skipped_codings == n_all_codings
        assert {(q, g) for q, g, _c, doc in codings if doc == "Interview 1.txt"} == expected
        assert {c for _q, _g, c, _d in codings} == {"Researcher A"}
        assert s.scalar(select(func.count(store.Memo.id))) == n_notes == report["memos"]
        memo = s.scalars(select(store.Memo)).one()
        assert memo.guid == "a0000000-0000-0000-0000-000000000001" and memo.target_type == "coding"
        doc = s.scalars(select(store.Document).where(store.Document.name == "Interview 1.txt")).one()
        assert doc.guid == "40000000-0000-0000-0000-000000000001"
        assert doc.attributes == {variables["30000000-0000-0000-0000-000000000001"]: 34,
                                  variables["30000000-0000-0000-0000-000000000002"]: True}
        assert report["cases"] == n_cases and report["variables"] == len(variables)
        users = s.get(store.ProjectInfo, "refi_users").value
        assert users == {"Researcher A": "10000000-0000-0000-0000-000000000001"}
        sets = s.get(store.ProjectInfo, "refi_sets").value
        assert sets[0]["codes"] == ["20000000-0000-0000-0000-000000000003"]
    assert report["codings"]["placed"] == 2 and report["codings"]["moved"] == 1
    assert report["skipped"]["picture sources"] == 1 and report["skipped"]["graphs"] == 1


TEXT_NVIVO = ("Opening 😀 remarks about the 𠀀 archive.\r\nSecond line: cafe\u0301 culture in 广州市 and"
              " 佛山市.\r\n\r\nThird 😀😀 paragraph mentions transport corridors.\r\nLast line.")


def _offset(i: int, unit: str) -> int:
    """Offset of CRLF-text index ``i`` in a vendor's unit, computed with Python's codecs."""
    text = TEXT_NVIVO[:i]
    if not unit.endswith("_crlf"):
        text = text.replace("\r\n", "\n")
    return len(text.encode("utf-16-le")) // 2 if unit.startswith("utf16") else len(text)


def _nvivo_file(targets, extra_sel="", origin="NVivo 12", unit="utf16_crlf"):
    """A .qdpx with NVivo's conventions: BOM + CRLF .txt, UTF-16 offsets over it (or ``unit``), names not
    quotes."""
    sels = []
    for k, word in enumerate(targets):
        i = TEXT_NVIVO.index(word)
        start, end = _offset(i, unit), _offset(i + len(word), unit)
        sels.append(f'<PlainTextSelection guid="50000000-0000-0000-0000-00000000000{k}" name="Reference {k}" '
                    f'startPosition="{start}" endPosition="{end}">'
                    f'<Coding guid="60000000-0000-0000-0000-00000000000{k}" '
                    f'creatingUser="10000000-0000-0000-0000-00000000000{k % 2}">'
                    f'<CodeRef targetGUID="20000000-0000-0000-0000-00000000000{k % 2}"/></Coding></PlainTextSelection>')
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="nv" origin="{origin}">
<Users><User guid="10000000-0000-0000-0000-000000000000" name="Ann"/>
<User guid="10000000-0000-0000-0000-000000000001" name="Bo"/></Users>
<CodeBook><Codes><Code guid="20000000-0000-0000-0000-000000000000" name="Place" isCodable="true"/>
<Code guid="20000000-0000-0000-0000-000000000001" name="Topic" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="40000000-0000-0000-0000-000000000001" name="nvivo doc" plainTextPath="internal://abc.txt">
{''.join(sels)}{extra_sel}</TextSource></Sources></Project>"""
    return _zip(qde, {"Sources/abc.txt": b"\xef\xbb\xbf" + TEXT_NVIVO.encode("utf-8")})


TARGETS = ["remarks", "archive", "cafe\u0301 culture", "广州市", "Third", "paragraph mentions", "corridors", "Last"]


def test_nvivo_utf16_crlf_detected_and_exact(engine):
    bad = ('<PlainTextSelection guid="50000000-0000-0000-0000-0000000000ff" name="lost one" startPosition="5000" '
           'endPosition="5004"><Coding guid="60000000-0000-0000-0000-0000000000ff">'
           '<CodeRef targetGUID="20000000-0000-0000-0000-000000000000"/></Coding></PlainTextSelection>')
    data = _nvivo_file(TARGETS, bad, origin="unknown tool")  # no producer hint: detection alone
    with store.session_scope(engine) as s:
        report = import_qdpx(s, data)
    assert report["convention"]["chosen"] == "utf16_crlf", report["convention"]
    assert report["codings"] == {"in_file": 9, "placed": 8, "moved": 0, "not_placed": 1, "duplicates": 0}
    assert len(report["items"]) == 9 and {i["status"] for i in report["items"]} == {"placed", "not placed"}
    lost = [i for i in report["items"] if i["status"] == "not placed"]
    assert lost[0]["text"] == "lost one" and lost[0]["code"] == "Place"
    from coding.exchange import report_table

    table = report_table(report, only_problems=True)
    assert table[["Status", "Code", "Text"]].values.tolist() == [["not placed", "Place", "lost one"]]
    assert len(report_table(report)) == 9
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.quote, store.Coding.coder, store.Coding.guid)
                         .order_by(store.Coding.start)).all()
        text = s.scalars(select(store.Document.text)).one()
    import unicodedata
    want = [unicodedata.normalize("NFC", w) for w in TARGETS]
    assert [r.quote for r in rows] == want  # stored text is NFC, LF: é composed
    assert [r.coder for r in rows] == ["Ann" if k % 2 == 0 else "Bo" for k in range(len(TARGETS))]
    assert "\r" not in text and "café" in text


def test_given_convention_is_used(engine):
    with store.session_scope(engine) as s:
        report = import_qdpx(s, _nvivo_file(TARGETS), convention="codepoints")
    assert report["convention"]["how"] == "given"
    with store.session_scope(engine) as s:
        quotes = s.scalars(select(store.Coding.quote)).all()
    assert "corridors" not in quotes  # read in the wrong unit, the spans drift


def test_qualcoder_names_are_quotes_moved(engine):
    text = "第一句 about 😀 emoji.\nQuoted passage here.\nAnd again passage here."
    i = text.index("Quoted passage")
    j = text.index("passage here", i)
    sel = lambda g, a, b, name: (f'<PlainTextSelection guid="{g}" name="{name}" startPosition="{a}" endPosition="{b}">'
                                 f'<Description>memo {g[-1]}</Description><Coding guid="6{g[1:]}">'
                                 '<CodeRef targetGUID="20000000-0000-0000-0000-000000000000"/></Coding>'
                                 '</PlainTextSelection>')
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="qc" origin="QualCoder 3.5">
<CodeBook><Codes><Code guid="20000000-0000-0000-0000-000000000000" name="C" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="40000000-0000-0000-0000-000000000001" name="qc doc">
<PlainTextContent>{text}</PlainTextContent>
{sel("50000000-0000-0000-0000-000000000001", i, i + 6, "Quoted")}
{sel("50000000-0000-0000-0000-000000000002", j, j + 12, "passage here")}
{sel("50000000-0000-0000-0000-000000000003", 0, 3, "第一句")}
{sel("50000000-0000-0000-0000-000000000004", 3, 9, "emoji.")}
{sel("50000000-0000-0000-0000-000000000005", 4, 9, "about")}
{sel("50000000-0000-0000-0000-000000000006", text.index("again"), text.index("again") + 5, "again")}
</TextSource></Sources></Project>"""
    with store.session_scope(engine) as s:
        report = import_qdpx(s, _zip(qde))
    assert report["convention"]["chosen"] == "codepoints" and report["convention"]["names_are_quotes"]
    assert report["codings"]["placed"] == 5 and report["codings"]["moved"] == 1
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.quote, store.Coding.start, store.Coding.memo)
                         .order_by(store.Coding.start)).all()
    assert [r.quote for r in rows] == ["第一句", "about", "emoji.", "Quoted", "passage here", "again"]
    assert rows[2].start == text.index("emoji.") and rows[2].memo == "memo 4"


def _count_docs(engine):
    with store.session_scope(engine) as s:
        return s.scalar(select(func.count(store.Document.id)))


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""


def _traversal() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("project.qde", "<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>")
        zf.writestr("../../evil.txt", "x")
    return buf.getvalue()


def _bomb() -> bytes:
    return _zip("<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>", {"sources/big.txt": b"\0" * (8 * 2**20)})


@pytest.mark.parametrize("make, words", [(lambda: _zip(LAUGHS), "DTD or entities"), (_traversal, "unsafe member name"),
                                         (_bomb, "inflates more than")])
def test_hostile_files_refused(engine, make, words):
    with pytest.raises(CodingError) as err, store.session_scope(engine) as s:
        import_qdpx(s, make())
    message = str(err.value)
    assert words in message and message.count(". ") == 0 and message.endswith(".")
    assert _count_docs(engine) == 0


def test_all_or_nothing(engine, monkeypatch):
    monkeypatch.setenv("TANDEM_MAX_IMPORT_CHARS", "60")
    qde = """<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>
<TextSource guid="40000000-0000-0000-0000-000000000001" name="short"><PlainTextContent>short text</PlainTextContent>
</TextSource>
<TextSource guid="40000000-0000-0000-0000-000000000002" name="long">
<PlainTextContent>""" + "long " * 40 + """</PlainTextContent></TextSource>
</Sources></Project>"""
    with pytest.raises(CodingError), store.session_scope(engine) as s:
        import_qdpx(s, _zip(qde))
    assert _count_docs(engine) == 0


def test_case_naming_a_city_gives_city_attributes(engine, tmp_path):
    from quant.data.project import city_resolver

    from coding.exchange.qdpx_export import export_qdpx

    qde = """<Project xmlns="urn:QDA-XML:project:1.0" name="c">
<Variables><Variable guid="30000000-0000-0000-0000-000000000001" name="hukou_share" typeOfVariable="Float"/>
<Variable guid="30000000-0000-0000-0000-000000000002" name="pilot" typeOfVariable="Boolean"/>
<Variable guid="30000000-0000-0000-0000-000000000003" name="note" typeOfVariable="Text"/></Variables>
<Cases><Case guid="d0000000-0000-0000-0000-000000000001" name="广州">
<VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-000000000001"/><FloatValue>0.25</FloatValue>
</VariableValue>
<VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-000000000002"/><BooleanValue>1</BooleanValue>
</VariableValue>
<VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-000000000003"/><TextValue>省会</TextValue></VariableValue>
</Case><Case guid="d0000000-0000-0000-0000-000000000002" name="Respondent 7">
<VariableValue><VariableRef targetGUID="30000000-0000-0000-0000-000000000003"/><TextValue>teacher</TextValue>
</VariableValue>
<SourceRef targetGUID="40000000-0000-0000-0000-000000000001"/></Case></Cases>
<Sources><TextSource guid="40000000-0000-0000-0000-000000000001" name="r7">
<PlainTextContent>Some words.</PlainTextContent>
</TextSource></Sources></Project>"""
    with store.session_scope(engine) as s:
        s.add(store.City(code="440100", name="广州市", short_name="广州", pinyin="Guangzhou",
                         province="广东省"))
    with store.session_scope(engine) as s:
        report = import_qdpx(s, _zip(qde), resolve_city=city_resolver(s).resolve)
    assert report["cases"] == 2
    with store.session_scope(engine) as s:
        attrs = {(a.city_code, a.name): (a.value, a.text) for a in s.scalars(select(store.CityAttribute))}
        assert attrs == {("440100", "hukou_share"): (0.25, None), ("440100", "pilot"): (1.0, None),
                         ("440100", "note"): (None, "省会")}
        assert s.scalars(select(store.Document.attributes)).one() == {"note": "teacher"}
        export_qdpx(s, tmp_path / "c.qdpx")
    with zipfile.ZipFile(tmp_path / "c.qdpx") as zf:
        root = etree.fromstring(zf.read("project.qde"))
    city_case = root.find(".//q:Case[@name='广州']", Q)
    values = [el.text for vv in city_case.iterfind("q:VariableValue", Q) for el in vv if el.text]
    assert sorted(values) == ["0.25", "true", "省会"]  # typed as the file's variables


def test_rich_text_only_source_is_read(engine):
    import docx

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("First paragraph of the transcript.")
    d.add_paragraph("第二段 text.")
    d.save(buf)
    qde = """<Project xmlns="urn:QDA-XML:project:1.0" name="r">
<CodeBook><Codes><Code guid="20000000-0000-0000-0000-000000000000" name="C" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="40000000-0000-0000-0000-000000000001" name="t.docx" richTextPath="internal://t.docx">
<PlainTextSelection guid="50000000-0000-0000-0000-000000000001" name="transcript" startPosition="23" endPosition="33">
<Coding guid="60000000-0000-0000-0000-000000000001"><CodeRef targetGUID="20000000-0000-0000-0000-000000000000"/>
</Coding>
</PlainTextSelection></TextSource></Sources></Project>"""
    with store.session_scope(engine) as s:
        report = import_qdpx(s, _zip(qde, {"sources/t.docx": buf.getvalue()}))
    assert report["sources"]["imported"] == 1 and any("rich-text" in w for w in report["warnings"])
    with store.session_scope(engine) as s:
        assert s.scalars(select(store.Document.text)).one() == "First paragraph of the transcript.\n\n第二段 text."
        assert s.scalars(select(store.Coding.quote)).one() == "transcript"


def test_tolerant_reader_non_guid_ids_bare_paths(engine):
    """Identifiers that are not GUIDs, a bare plainTextPath, upper-case braced GUIDs, offsets into a PDF's
    text: each still meets its references."""
    qde = """<Project xmlns="urn:QDA-XML:project:1.0" name="t" origin="someone's script">
<CodeBook><Codes><Code guid="code-1" name="Theme A" color="#f00"/>
<Code guid="{AAAAAAAA-0000-0000-0000-00000000000B}" name="Theme B"/></Codes></CodeBook>
<Sources><TextSource guid="doc-1" name="interview.txt" plainTextPath="interview.txt">
<PlainTextSelection guid="sel-1" startPosition="0" endPosition="11"><Coding guid="c-1"><CodeRef targetGUID="code-1"/>
</Coding>
<Coding guid="c-2"><CodeRef targetGUID="aaaaaaaa-0000-0000-0000-00000000000b"/></Coding></PlainTextSelection>
<PlainTextSelection guid="sel-9" startPosition="15" endPosition="20"><Description>look here</Description>
</PlainTextSelection>
<PlainTextSelection guid="sel-8" startPosition="21" endPosition="27"/></TextSource>
<PDFSource guid="pdf-1" name="small.pdf" path="internal://pdf-1.pdf">
<PlainTextSelection guid="sel-2" startPosition="6" endPosition="11"><Coding guid="c-3"><CodeRef targetGUID="code-1"/>
</Coding>
</PlainTextSelection><Representation guid="rep-1"><PlainTextContent>Hello world of PDFs.</PlainTextContent>
</Representation>
</PDFSource></Sources></Project>"""
    with store.session_scope(engine) as s:
        report = import_qdpx(s, _zip(qde, {"interview.txt": b"Interview one, about things."}))
    assert report["codings"]["placed"] == 3 and report["codings"]["not_placed"] == 0
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.quote, store.Code.name).join(store.Code)
                         .order_by(store.Coding.id)).all()
        assert [tuple(r) for r in rows] == [("Interview o", "Theme A"), ("Interview o", "Theme B"),
                                           ("world", "Theme A")]
        assert s.scalar(select(store.Code.guid).where(store.Code.name == "Theme B")) == \
            "aaaaaaaa-0000-0000-0000-00000000000b"
        memo = s.scalars(select(store.Memo)).one()  # MAXQDA-style annotation: a selection without codings
        assert memo.target_type == "document" and memo.text == "look here\n\n» [15–20] about"
    assert report["annotations"] == 1 and report["skipped"]["selections without codings or text"] == 1


def test_nvivo_one_selection_per_coding_and_coding_user(engine):
    """NVivo writes one selection per coding (identical spans repeat) and names the coder on the Coding,
    not on the selection (docs/qda.md §2.4)."""
    i = TEXT_NVIVO.index("archive")
    a, b = (len(TEXT_NVIVO[:k].encode("utf-16-le")) // 2 for k in (i, i + len("archive")))
    sel = lambda n, code, user: (
        f'<PlainTextSelection guid="5000000{n}-0000-0000-0000-000000000000" startPosition="{a}" endPosition="{b}" '
        f'creatingUser="10000000-0000-0000-0000-000000000001"><Coding guid="6000000{n}-0000-0000-0000-000000000000" '
        f'creatingUser="10000000-0000-0000-0000-00000000000{user}">'
        f'<CodeRef targetGUID="20000000-0000-0000-0000-00000000000{code}"/></Coding></PlainTextSelection>')
    data = _nvivo_file([], sel(1, 0, 0) + sel(2, 0, 0) + sel(3, 1, 0) + sel(4, 0, 1))
    with store.session_scope(engine) as s:
        report = import_qdpx(s, data, convention="utf16_crlf")
    assert report["codings"] == {"in_file": 4, "placed": 3, "moved": 0, "not_placed": 0, "duplicates": 1}
    with store.session_scope(engine) as s:
        rows = s.execute(select(store.Coding.quote, store.Code.name, store.Coding.coder).join(store.Code)
                         .order_by(store.Coding.id)).all()
    assert [tuple(r) for r in rows] == [("archive", "Place", "Ann"), ("archive", "Topic", "Ann"),
                                        ("archive", "Place", "Bo")]


@pytest.mark.parametrize("unit", ["codepoints", "utf16", "codepoints_crlf"])
def test_other_conventions_detected(engine, unit):
    """ATLAS.ti-style UTF-16 with CRLF = 1, code points, and code points with CRLF = 2 are told apart too."""
    with store.session_scope(engine) as s:
        report = import_qdpx(s, _nvivo_file(TARGETS, origin="unknown", unit=unit))
    assert report["convention"]["chosen"] == unit, report["convention"]["reason"]
    with store.session_scope(engine) as s:
        quotes = s.scalars(select(store.Coding.quote).order_by(store.Coding.start)).all()
    import unicodedata
    assert quotes == [unicodedata.normalize("NFC", w) for w in TARGETS]
