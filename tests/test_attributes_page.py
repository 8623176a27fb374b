"""The Attributes page (ui/attributes.py) and the Codebook page's table import (ui/codebook.py) in
Streamlit AppTest: a case/variable table previewed by name and imported, columns renamed, added and
deleted (undoable), and a codebook CSV previewed with its path column and separator."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import cli
import coding
import store
from coding.documents import changes_from_table, document_attributes
from corpus.importer import import_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path) -> Path:
    path = tmp_path / "属性.sqlite"
    assert cli.main(["new", "--project", str(path)]) == 0
    engine = store.connect(str(path))
    try:
        with store.session_scope(engine) as s:
            for name in ("ID1.docx", "ID2.docx", "访谈：佛山市.txt"):
                import_text(s, f"{name}: we talked about the work.", name=name, language="en")
    finally:
        engine.dispose()
    return path


def _read(path, func, *args, **kwargs):
    engine = store.connect(str(path))
    try:
        with store.session_scope(engine) as s:
            return func(s, *args, **kwargs)
    finally:
        engine.dispose()


def _attrs(path) -> dict:
    frame = _read(path, document_attributes)
    keys = [c for c in frame.columns if c not in ("id", "name", "kind", "language", "superseded_by")]
    return {r["name"]: {k: r[k] for k in keys if isinstance(r[k], str)} for r in frame.to_dict("records")}


def _page(path, page, monkeypatch) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    at = AppTest.from_file(str(ROOT / "ui" / page), default_timeout=120)
    at.run()
    _ok(at)
    return at


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_case_table_preview_by_name_then_import_and_column_edits(project, monkeypatch, shared):
    cases = shared("transcripts", "qualcoder", "cases123.csv")
    with open(cases, newline="", encoding="utf-8") as fh:
        rows = {r["case"]: r for r in csv.DictReader(fh)}
    at = _page(project, "attributes.py", monkeypatch)
    at.file_uploader(key="attr_file").set_value(("cases123.csv", cases.read_bytes(), "text/csv"))
    at.run()
    _ok(at)
    assert [m.value for m in at.metric] == ["2", "1"]
    matched = next(d.value for d in at.dataframe if "document in the project" in d.value.columns)
    assert matched["document in the project"].tolist() == ["ID1.docx", "ID2.docx"]  # names, never ids
    assert "id" not in matched.columns and "key" not in matched.columns
    assert any("row 4 “ID3” matches no document" in w.value for w in at.warning)
    at.button(key="attr_import_go").click().run()
    _ok(at)
    assert "2 row(s) matched, 1 not matched" in at.success[0].value
    got = _attrs(project)
    assert got["ID1.docx"] == {"Age": rows["ID1"]["Age"], "gender": rows["ID1"]["gender"],
                               "interest": rows["ID1"]["interest"]}
    assert got["访谈：佛山市.txt"] == {}

    at.selectbox(key="attr_rename_old").set_value("interest")
    at.text_input(key="attr_rename_new").set_value("兴趣")
    at.button(key="attr_rename_go").click().run()
    _ok(at)
    assert _attrs(project)["ID2.docx"]["兴趣"] == rows["ID2"]["interest"]
    at.selectbox(key="attr_delete_name").set_value("gender")
    at.button(key="attr_delete_go").click().run()
    _ok(at)
    assert "gender" not in _attrs(project)["ID1.docx"]
    _read(project, coding.undo, "tester")  # what the sidebar's Undo calls
    assert _attrs(project)["ID1.docx"]["gender"] == rows["ID1"]["gender"]

    at.text_input(key="attr_add_name").set_value("城市")
    at.text_input(key="attr_add_value").set_value("佛山市")
    at.multiselect(key="attr_add_docs").set_value([3])
    next(b for b in at.button if b.label == "Add").click().run()
    _ok(at)
    assert _attrs(project)["访谈：佛山市.txt"] == {"城市": "佛山市"}
    assert "城市" not in _attrs(project)["ID1.docx"]


def test_changes_from_an_edited_table_are_typed_and_only_what_changed():
    before = pd.DataFrame({"Age": ["20", None, "007"], "town": ["广州", "佛山", None]}, index=[1, 2, 3])
    after = pd.DataFrame({"Age": ["20", "45", "007"], "town": ["", "佛山", "深圳"]}, index=[1, 2, 3])
    assert changes_from_table(before, after) == {1: {"town": None}, 2: {"Age": 45}, 3: {"town": "深圳"}}
    after.loc[3, "Age"] = "-3.5"
    assert changes_from_table(before, after)[3] == {"Age": -3.5, "town": "深圳"}


def test_codebook_page_previews_column_and_separator_before_import(project, monkeypatch):
    text = "# MAXQDA export\nCode,Memo\nNeeds > Social,社会\nNeeds > Fiscal / tax,财政\n"
    at = _page(project, "codebook.py", monkeypatch)
    assert "cb_export_xlsx" in {b.key for b in at.download_button}
    at.file_uploader(key="cb_import_file").set_value(("maxqda.csv", text.encode("gb18030"), "text/csv"))
    at.run()
    _ok(at)
    assert any("column 'Code'" in c.value and "' > ' (detected)" in c.value and "1 comment line" in c.value
               for c in at.caption)
    tree = next(d.value for d in at.dataframe if "kind" in d.value.columns)
    assert [c.strip("\u2003") for c in tree["code"]] == ["Needs", "Social", "Fiscal / tax"]
    assert tree["kind"].tolist() == ["category", "code", "code"]
    assert any("'Fiscal / tax'" in w.value for w in at.warning)
    at.selectbox(key="cb_import_separator").set_value("/")
    at.run()
    assert any("'/' (chosen)" in c.value for c in at.caption)
    at.selectbox(key="cb_import_separator").set_value(" > ")
    at.button(key="cb_import_go").click().run()
    _ok(at)
    # the new project's default codebook already has "Needs": matched, its two sub-codes created
    assert at.success[0].value.startswith("Imported: 2 code(s) created, 1 matched existing codes")
    assert "levels split on ' > ' (chosen)" in at.success[0].value
    book = _read(project, coding.codebook).set_index("path")
    assert book.loc["Needs/Social", "definition"] == "社会"
