"""MAXQDA coded-segments tables placed by text: each expected offset is found in the test with
str.find on the stored text (not through the module's white-space map), each status by hand."""
from __future__ import annotations

import io
import json

import openpyxl

import cli
import store
from coding.exchange.segments_import import import_coded_segments

DOC1 = "访谈者：广州和佛山如何合作？\n\n受访者：我们签了协议。\n\n访谈者：还有呢？\n\n受访者：我们签了协议。然后开通了跨城通办。"
DOC2 = "Interviewer: how did you  meet?\n\nRespondent: We met in\n2019 at the café."
HEADER = ["Color", "Document group", "Document name", "Code", "Segment", "Begin", "End", "Author", "Comment"]
ROWS = [
    ["#ff0000", "广州", "访谈一", "Needs\\Social needs", "广州和佛山如何合作", "1", "1", "李老师", "开头"],   # 2 placed
    ["#ff0000", "广州", "访谈一", "Needs\\Social needs", "我们签了协议。", "4", "4", "", ""],             # 3 placed (2nd)
    ["#ff0000", "广州", "访谈一", "Mark", "我们签了协议。", "", "", "", ""],                              # 4 ambiguous
    ["#ff0000", "广州", "访谈一", "Mark", "我们签了协议。", "1", "1", "", ""],                            # 5 ambiguous
    ["#00ff00", "广州", "访谈一", "Hole\\A/B", "还有呢？\r\n\r\n受访者：我们签了协议。", "3", "4", "", ""],  # 6 placed
    ["#00ff00", "", "P2", "Meeting", "We met in 2019 at the cafe\u0301.", "2", "2", "Ann", ""],  # 7 placed (NFD)
    ["#00ff00", "", "P9", "Meeting", "anything", "1", "1", "", ""],                                      # 8 not found
    ["#00ff00", "", "P2", "Meeting", "never said", "", "", "", ""],                                      # 9 not found
    ["#00ff00", "", "P2", "Meeting", "   ", "", "", "", ""],                                             # 10 refused
    ["#00ff00", "", "P2", "Cat", "how did you meet?", "", "", "", ""],                                   # 11 refused
]


def _csv() -> bytes:
    def cell(v):
        return '"' + v.replace('"', '""') + '"'
    lines = [",".join(HEADER)] + [",".join(cell(v) for v in row) for row in ROWS]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in ROWS:
        ws.append([int(v) if v.isdigit() else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _project(s):
    import coding
    from corpus.importer import import_text

    coding.add_code(s, "Cat", codable=False)
    import_text(s, DOC1, name="访谈一")
    import_text(s, DOC2, name="P2")


def _placed(session):
    import coding
    from sqlalchemy import select

    book = coding.codebook(session)
    paths = dict(zip(book["id"], book["path"]))
    rows = session.execute(select(store.Document.name, store.Coding.code_id, store.Coding.start, store.Coding.end,
                                  store.Coding.coder, store.Coding.memo)
                           .join(store.Document, store.Document.id == store.Coding.document_id)).all()
    return sorted((d, paths[c], s, e, who, memo) for d, c, s, e, who, memo in rows), set(book["path"])


def _expected():
    second = DOC1.find("我们签了协议。", DOC1.find("我们签了协议。") + 1)
    span = DOC1.find("还有呢？")
    cafe = DOC2.find("We met in")
    return sorted([
        ("访谈一", "Needs/Social needs", DOC1.find("广州和佛山如何合作"), DOC1.find("广州和佛山如何合作") + 9, "李老师", "开头"),
        ("访谈一", "Needs/Social needs", second, second + 7, "researcher", ""),
        ("访谈一", "Hole/A／B", span, span + len("还有呢？\n\n受访者：我们签了协议。"), "researcher", ""),
        ("P2", "Meeting", cafe, cafe + len("We met in\n2019 at the café."), "Ann", ""),
    ])


def test_coded_segments_csv_placed_ambiguous_not_found_refused(engine):
    import coding

    with store.session_scope(engine) as s:
        _project(s)
        before = set(coding.codebook(s)["path"])
    with store.session_scope(engine) as s:
        report = import_coded_segments(s, _csv(), "segments.csv", coder="researcher")
    counts = {k: report[k] for k in ("rows", "placed", "already_present", "ambiguous", "not_found", "refused")}
    assert counts == {"rows": 10, "placed": 4, "already_present": 0, "ambiguous": 2, "not_found": 2, "refused": 2}
    status = {item["row"]: item["status"] for item in report["items"]}
    assert status == {2: "placed", 3: "placed", 4: "ambiguous", 5: "ambiguous", 6: "placed", 7: "placed",
                      8: "not found", 9: "not found", 10: "refused", 11: "refused"}
    assert report["items"][3]["reason"] == "2 equal matches in the document, none in paragraphs 1–1"
    assert report["items"][9]["reason"].startswith("the code Cat is a category")
    assert report["items"][0]["text"] == "广州和佛山如何合作" and report["items"][0]["document"] == "访谈一"
    wanted = {"Needs", "Needs/Social needs", "Hole", "Hole/A／B", "Meeting"}
    assert set(report["codes_created"]) == wanted - before and len(report["codes_created"]) == len(wanted - before)
    with store.session_scope(engine) as s:
        placed, paths = _placed(s)
    assert placed == _expected()
    assert {"Needs/Social needs", "Hole/A／B", "Meeting"} <= paths
    # DOC2's stored text is NFC: the NFD "café" in the table matched the stored "café"
    assert DOC2.endswith("café.") and "e\u0301" not in DOC2


def test_same_table_as_xlsx_again_is_already_present_nothing_doubled(engine):
    with store.session_scope(engine) as s:
        _project(s)
        import_coded_segments(s, _csv(), "segments.csv")
    with store.session_scope(engine) as s:
        report = import_coded_segments(s, _xlsx(), "segments.xlsx")
    assert (report["placed"], report["already_present"], report["ambiguous"], report["not_found"],
            report["refused"], report["codes_created"]) == (0, 4, 2, 2, 2, [])
    with store.session_scope(engine) as s:
        placed, _ = _placed(s)
    assert placed == _expected()


def test_missing_columns_one_sentence(engine):
    import pytest
    from coding.errors import CodingError

    with store.session_scope(engine) as s, pytest.raises(CodingError) as err:
        import_coded_segments(s, "Document name,Text2\nP1,x\n".encode(), "bad.csv")
    assert str(err.value).startswith("bad.csv has no code, segment column") and "\n" not in str(err.value)


def test_cli_segments_import_json_and_text(tmp_path, capsys):
    project = str(tmp_path / "p.sqlite")
    assert cli.main(["new", "--project", project]) == 0
    engine = store.connect(project)
    try:
        with store.session_scope(engine) as s:
            _project(s)
    finally:
        engine.dispose()
    table = tmp_path / "segments.csv"
    table.write_bytes(_csv())
    capsys.readouterr()
    assert cli.main(["segments-import", "--project", project, str(table), "--json", "--coder", "Olga"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["placed"], report["ambiguous"], report["not_found"], report["refused"]) == (4, 2, 2, 2)
    assert [i["coder"] for i in report["items"] if i["status"] == "placed"] == ["李老师", "Olga", "Olga", "Ann"]
    assert cli.main(["segments-import", "--project", project, str(table), "--coder", "Olga"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("segments.csv: 10 coded segment(s): 0 placed, 4 already present, 2 ambiguous, "
                           "2 not found, 2 refused; 0 code(s) created.")
    assert "row 8 not found: P9 / Meeting: 'anything' — no document of that name" in text
    assert cli.main(["segments-import", "--project", project, str(tmp_path / "none.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_gb18030_table_and_hostile_code_names(engine):
    """A table saved by Excel on Chinese Windows (GB18030, no BOM) reads through the one decoder; a code
    path holding a bidi override or a formula is refused or kept as text, row by row, never crashing."""
    rows = [["访谈一", "需求\\社会需求", "广州和佛山如何合作"],
            ["访谈一", "坏\u202e名", "还有呢？"],
            ["访谈一", "=HYPERLINK(''x'')", "访谈者：还有呢？"]]
    text = "Document name,Code,Segment\r\n" + "".join(",".join(f'"{v}"' for v in r) + "\r\n" for r in rows)
    with store.session_scope(engine) as s:
        _project(s)
        report = import_coded_segments(s, text.encode("gb18030"), "片段.csv")
    status = [(i["status"], i["code"]) for i in report["items"]]
    assert status[0] == ("placed", "需求/社会需求") and status[1][0] == "refused"
    assert "U+202E (right-to-left override)" in report["items"][1]["reason"]
    assert status[2] == ("placed", "=HYPERLINK(''x'')")  # a name, kept as text (exports quote it)
    start = DOC1.find("访谈者：还有呢？")
    assert (report["items"][2]["start"], report["items"][2]["end"]) == (start, start + 8)
