"""Case/variable tables as document or city attributes, and document attributes edited after import
(issue 10, part 4): matching, the report, overwrites, undo/redo, a Big5 table."""
from __future__ import annotations

import csv

import pandas as pd
import pytest
from sqlalchemy import select

import coding
import store
from mixed.case_attributes import import_case_table, match_case_table, read_case_table
from coding.documents import (
    delete_attribute, delete_document_attribute, document_attributes, rename_document_attribute,
    set_document_attribute, set_document_attributes,
)
from coding.errors import CodingError
from corpus.importer import import_text
from quant.data import project as qdata

WHO = "olga"


def _docs(s, *names):
    ids = {}
    for n in names:
        ids[n] = import_text(s, f"Interview {n}. We talked about the work.", name=n, language="en").document_id
    return ids


def _attrs(s):
    return {name: dict(a or {}) for name, a in s.execute(select(store.Document.name, store.Document.attributes))}


def _city_attrs(s):
    a = store.CityAttribute
    return {(c, n): (v, t) for c, n, v, t in s.execute(select(a.city_code, a.name, a.value, a.text))}


def test_qualcoder_case_tables_match_documents_by_file_name_without_extension(engine, shared):
    cases = shared("transcripts", "qualcoder", "cases123.csv")
    survey = shared("transcripts", "qualcoder", "survey456.csv")
    with open(cases, newline="", encoding="utf-8") as fh:  # the file read independently, by the csv module
        rows = list(csv.DictReader(fh))
    with store.session_scope(engine) as s:
        ids = _docs(s, "ID1.docx", "ID2.txt", "ID3.odt", "ID5.txt", "Other.txt")
        report = import_case_table(s, cases, per="document", coder=WHO)
        assert report["id_column"] == "case" and not report["id_column_guessed"]
        assert report["columns"] == ["Age", "gender", "interest"]
        assert report["matched"] == 3 and report["unmatched"] == [] and report["overwritten"] == []
        assert report["values_written"] == 9
        got = _attrs(s)
        for row in rows:
            doc = next(n for n in ids if n.split(".")[0] == row["case"])
            assert got[doc] == {"Age": int(row["Age"]), "gender": row["gender"], "interest": row["interest"]}
        assert got["Other.txt"] == {}
        # the survey names its case "Case"; ID4 and ID6 have no document; ID5's empty age is not written
        second = import_case_table(s, survey, per="document", coder=WHO)
        assert second["id_column"] == "Case" and second["matched"] == 1
        assert [(u["row"], u["value"]) for u in second["unmatched"]] == [(2, "ID4"), (4, "ID6")]
        assert all(u["reason"] == "matches no document name or file name" for u in second["unmatched"])
        assert set(_attrs(s)["ID5.txt"]) == {"Gender", "Interest", "freetext"}
        assert _attrs(s)["ID5.txt"]["freetext"].startswith("I needed to upskill")


def test_overwrites_are_reported_and_one_import_is_one_undo(engine):
    with store.session_scope(engine) as s:
        ids = _docs(s, "广州访谈.txt", "佛山访谈.txt")
        set_document_attribute(s, ids["广州访谈.txt"], "区", "天河", coder=WHO)
        table = pd.DataFrame({"文档": ["广州访谈", "佛山访谈", "深圳访谈"], "区": ["越秀", "南海", "福田"],
                              "年龄": ["45", "38", "50"]})
        m = match_case_table(s, table, per="document")
        assert m["matched"]["matched"].tolist() == ["广州访谈.txt", "佛山访谈.txt"]
        assert m["unmatched"] == [{"row": 4, "value": "深圳访谈", "reason": "matches no document name or file name"}]
        report = import_case_table(s, table, per="document", coder=WHO)
        assert report["overwritten"] == [{"row": 2, "matched": "广州访谈.txt", "name": "区", "before": "天河",
                                          "after": "越秀"}]
        assert "2 row(s) matched, 1 not matched" in report["summary"] and "1 overwritten" in report["summary"]
        assert _attrs(s)["广州访谈.txt"] == {"区": "越秀", "年龄": 45}
        undone = coding.undo(s, WHO)
        assert "imported 2 attribute column(s) of 2 document(s)" in undone["summary"]
        assert _attrs(s) == {"广州访谈.txt": {"区": "天河"}, "佛山访谈.txt": {}}
        coding.redo(s, WHO)
        assert _attrs(s)["佛山访谈.txt"] == {"区": "南海", "年龄": 38}


def test_big5_city_table_as_city_attributes_with_undo(engine, tmp_path):
    with store.session_scope(engine) as s:
        qdata.save_cities(s, pd.DataFrame({"code": ["440100", "440600", "710100"],
                                           "name": ["广州市", "佛山市", "臺北市"], "short_name": ["广州", "佛山", "臺北"],
                                           "pop": [1868.0, 950.0, 260.0]}))
    path = tmp_path / "城市.csv"
    path.write_bytes("城市,人口,類型\n臺北市,251,直轄市\n440600,961,地級市\n高雄市,277,直轄市\n".encode("big5"))
    frame = read_case_table(path)
    assert frame["類型"].tolist() == ["直轄市", "地級市", "直轄市"]  # not mojibake
    with store.session_scope(engine) as s:
        before = _city_attrs(s)
        report = import_case_table(s, path, per="city", coder=WHO)
        assert report["id_column"] == "城市" and report["matched_names"] == ["臺北市", "佛山市"]
        assert [(u["row"], u["value"]) for u in report["unmatched"]] == [(4, "高雄市")]
        after = _city_attrs(s)
        assert after[("710100", "人口")] == (251.0, None) and after[("440600", "類型")] == (None, "地級市")
        assert after[("440100", "pop")] == before[("440100", "pop")]
        coding.undo(s, WHO)
        assert _city_attrs(s) == before
        coding.redo(s, WHO)
        assert _city_attrs(s) == after
        # a second import overwrites a city value: reported, and undo puts the old number back
        again = import_case_table(s, pd.DataFrame({"code": ["440600"], "人口": ["970"]}), per="city", coder=WHO)
        assert again["overwritten"] == [{"row": 2, "matched": "佛山市", "name": "人口", "before": 961.0,
                                         "after": 970}]
        coding.undo(s, WHO)
        assert _city_attrs(s)[("440600", "人口")] == (961.0, None)


def test_id_column_choice_and_refusals(engine):
    with store.session_scope(engine) as s:
        _docs(s, "a.txt")
        both = pd.DataFrame({"case": ["a"], "document": ["a"], "x": ["1"]})
        with pytest.raises(CodingError, match=r"Several columns could name the document .*\(case, document\)"):
            match_case_table(s, both, per="document")
        assert match_case_table(s, both, per="document", id_column="document")["columns"] == ["case", "x"]
        with pytest.raises(CodingError, match="No row of the table names a document"):
            import_case_table(s, pd.DataFrame({"case": ["zzz"], "x": ["1"]}), per="document", coder=WHO)
        with pytest.raises(CodingError, match="project has no cities"):
            match_case_table(s, both, per="city", id_column="case")
        m = match_case_table(s, pd.DataFrame({"Interviewee": ["a"], "kind": ["x"], "ok": ["y"]}), per="document")
        assert m["id_column_guessed"] and m["id_column"] == "Interviewee" and "kind" in m["skipped_columns"]


def test_document_attribute_edits_are_validated_and_undoable(engine):
    with store.session_scope(engine) as s:
        ids = _docs(s, "a.txt", "b.txt")
        a, b = ids["a.txt"], ids["b.txt"]
        cell = set_document_attribute(s, a, " 城市 ", "广州市", coder=WHO)
        assert cell["name"] == "城市" and cell["before"] is None and cell["after"] == "广州市"
        assert set_document_attribute(s, a, "城市", "广州市", coder=WHO) is None  # unchanged: no event
        set_document_attribute(s, b, "年龄", 3.5, coder=WHO)
        for bad, message in (("", "cannot be empty"), ("x" * 101, "at most 100"), ("a\nb", "control character"),
                             ("a\u202eb", "control character"), ("Name", "reserved"), (7, "must be text")):
            with pytest.raises(CodingError, match=message):
                set_document_attribute(s, a, bad, "v", coder=WHO)
        for bad in (True, float("nan"), [1], None):
            with pytest.raises(CodingError):
                set_document_attribute(s, a, "x", bad, coder=WHO)
        assert delete_document_attribute(s, b, "年龄", coder=WHO) == 3.5
        with pytest.raises(CodingError, match="has no attribute"):
            delete_document_attribute(s, b, "年龄", coder=WHO)
        coding.undo(s, WHO)
        assert _attrs(s)["b.txt"] == {"年龄": 3.5}
        set_document_attributes(s, {a: {"组": "A"}, b: {"组": "B"}}, coder=WHO)
        assert rename_document_attribute(s, "组", "group", coder=WHO) == 2
        assert document_attributes(s).set_index("name")["group"].to_dict() == {"a.txt": "A", "b.txt": "B"}
        set_document_attribute(s, a, "年龄", 1, coder=WHO)
        with pytest.raises(CodingError, match="already exists on a.txt"):
            rename_document_attribute(s, "group", "年龄", coder=WHO)
        assert delete_attribute(s, "group", coder=WHO) == 2
        coding.undo(s, WHO)  # the deletion
        coding.undo(s, WHO)  # 年龄 on a
        coding.undo(s, WHO)  # the rename
        assert _attrs(s) == {"a.txt": {"城市": "广州市", "组": "A"}, "b.txt": {"年龄": 3.5, "组": "B"}}
        top = coding.history(s, WHO).iloc[0]
        assert top["type"] == "undo" and top["summary"].endswith("(attributes_set)")
        renamed = coding.history(s, WHO).set_index("id").loc[int(top["target_event"]), "summary"]
        assert renamed == "renamed attribute “组” to “group” (2 document(s))"


def test_ambiguous_file_names_are_not_matched_and_traditional_names_fold(engine):
    with store.session_scope(engine) as s:
        _docs(s, "ID1.docx", "ID1.txt", "访谈：广州市.txt")
        m = match_case_table(s, pd.DataFrame({"case": ["ID1", "ID1.txt", "訪談：廣州市"], "x": ["a", "b", "c"]}),
                             per="document")
        assert m["matched"]["matched"].tolist() == ["ID1.txt", "访谈：广州市.txt"]
        assert m["unmatched"] == [{"row": 2, "value": "ID1", "reason": "names 2 documents (ID1.docx, ID1.txt)"}]
