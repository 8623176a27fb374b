"""Flows through the qualitative pages (Retrieve, Search, Suggestions, Matrices, Memos, Codebook,
Documents) with Streamlit AppTest on a copy of the demo project, and the small library
functions those pages use."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import coding
import corpus
import store
from coding.autocoding.autocode import parse_rule_pattern
from coding.documents import document_attributes, documents_where
from coding.memos import memo_target_labels
from coding.retrieval.queries import coders

ROOT = Path(__file__).resolve().parent.parent


def queue_key(at, what="coding"):
    """The review queue table's key: a new table (a fresh key) after every accept or reject."""
    try:
        generation = at.session_state["sug_queue_generation"]
    except KeyError:
        generation = 0
    return f"sug_queue_{what}_{generation}" if generation else f"sug_queue_{what}"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    demo_copy(path)
    return path


@pytest.fixture
def project(demo_file, tmp_path):
    """A fresh copy of the demo project for one test."""
    target = tmp_path / "project.sqlite"
    shutil.copy(demo_file, target)
    return target


def read(path, func_, *args, **kwargs):
    engine = store.connect(path)
    try:
        with store.session_scope(engine) as session:
            return func_(session, *args, **kwargs)
    finally:
        engine.dispose()


def open_page(path, page, monkeypatch) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def select_rows(at: AppTest, key: str, rows: list[int]) -> None:
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    ok(at)


def code_id(path, name):
    return read(path, coding.code_id_by_name, name)


# --- library helpers used by the pages ------------------------------------------------------

def test_helpers_on_demo(demo_file):
    assert read(demo_file, coders) == ["coder A", "coder B"]
    some = read(demo_file, coding.retrieve, coding_ids=[3, 1, 2])
    assert list(some["coding_id"]) == [1, 2, 3]
    assert read(demo_file, coding.retrieve, coding_ids=[]).empty
    attrs = read(demo_file, document_attributes)
    assert {"id", "name", "kind", "place", "date"} <= set(attrs.columns)
    interviews = read(demo_file, documents_where, kinds="interview")
    assert interviews and set(attrs.set_index("id").loc[interviews, "kind"]) == {"interview"}
    april = read(demo_file, documents_where, attributes={"date": ["2023-04"]})
    assert april and all(attrs.set_index("id").loc[d, "date"] == "2023-04" for d in april)
    assert read(demo_file, documents_where, kinds=["policy"], attributes={"date": "1999"}) == []
    with pytest.raises(coding.CodingError):
        read(demo_file, documents_where, attributes=["date"])
    memos = read(demo_file, coding.list_memos)
    labels = read(demo_file, memo_target_labels, memos)
    assert labels[0] == "Project" and any(label.startswith("Dyad: ") and "–" in label for label in labels)


def test_parse_rule_pattern():
    assert parse_rule_pattern("keywords", "通办|跨省\n专窗\n") == ["通办", "跨省", "专窗"]
    assert parse_rule_pattern("regex", "跨(省|市)\n") == "跨(省|市)"
    assert parse_rule_pattern("spacy", '[{"LOWER": "hukou"}]') == [{"LOWER": "hukou"}]
    for kind, text in (("spacy", "[{LOWER"), ("keywords", "  "), ("magic", "x")):
        with pytest.raises(coding.CodingError):
            parse_rule_pattern(kind, text)


def test_import_new_version_from_uploaded_bytes(project):
    engine = store.connect(project)
    try:
        with store.session_scope(engine) as session:
            text = coding.document_text(session, 1)
            read_back = corpus.read_bytes(("更正：" + text).encode("utf-8"), "corrected.txt")
            report = coding.import_new_version(session, 1, read_back, coder="tester")
            new = session.get(store.Document, report.new_document_id)
            assert new.source_filename == "corrected.txt" and new.source_sha256 == read_back.source_sha256
            assert report.counts and "unanchored" not in report.counts
    finally:
        engine.dispose()


# --- pages ---------------------------------------------------------------------------------

def test_search_codes_selected_hits_in_bulk(project, monkeypatch):
    at = open_page(project, "ui/search.py", monkeypatch)
    at.text_input(key="search_pattern").set_value("通辦")  # traditional: folded to 通办
    at.button(key="search_go").click()
    at.run()
    ok(at)
    hits = read(project, coding.search, "通办")
    assert len(at.dataframe(key="search_hits").value) == len(hits) > 2
    select_rows(at, "search_hits", [0, 2])
    mark = code_id(project, "Behaviour/Mark")
    at.multiselect(key="search_codes").set_value([mark])
    at.run()
    at.button(key="search_code").click()
    at.run()
    ok(at)
    assert "Coded 2 hit(s)" in at.success[0].value
    coded = read(project, coding.retrieve, code_ids=[mark], coder="tester")
    assert {(int(d), int(s)) for d, s in zip(coded["document_id"], coded["start"])} == {
        (int(hits["document_id"].iloc[k]), int(hits["start"].iloc[k])) for k in (0, 2)}
    assert set(coded["quote"]) == {"通办"}


def test_search_bad_regex_is_a_message(project, monkeypatch):
    at = open_page(project, "ui/search.py", monkeypatch)
    at.text_input(key="search_pattern").set_value("跨(省")
    at.checkbox(key="search_regex").check()
    at.button(key="search_go").click()
    at.run()
    assert not at.exception and "not valid" in at.error[0].value


def test_suggestions_rule_run_accept_revert_and_links(project, monkeypatch):
    at = open_page(project, "ui/suggestions.py", monkeypatch)
    hole = code_id(project, "Behaviour/Hole")
    at.selectbox(key="sug_new_code").set_value(hole)
    at.text_area(key="sug_new_pattern").set_value("专窗")
    at.selectbox(key="sug_new_unit").set_value("sentence")
    at.button(key="sug_new_preview").click()
    at.run()
    ok(at)
    assert any("would be suggested for Behaviour/Hole" in m.value for m in at.markdown)
    at.text_area(key="sug_new_pattern").set_value("专窗")
    at.button(key="sug_new_save").click()
    at.run()
    ok(at)
    rules = read(project, coding.rules)
    assert len(rules) == 1 and rules["n_pending"].iloc[0] > 0
    n_pending = int(rules["n_pending"].iloc[0])
    before = read(project, coding.retrieve, code_ids=[hole])

    select_rows(at, queue_key(at), [0])
    at.button(key="sug_accept").click()
    at.run()
    ok(at)
    after = read(project, coding.retrieve, code_ids=[hole])
    assert len(after) == len(before) + 1
    rules = read(project, coding.rules)
    assert (rules["n_accepted"].iloc[0], rules["n_pending"].iloc[0]) == (1, n_pending - 1)

    at.button(key="sug_revert").click()
    at.run()
    ok(at)
    assert len(read(project, coding.retrieve, code_ids=[hole])) == len(before)
    assert read(project, coding.rules)["n_pending"].iloc[0] == n_pending

    at.button(key="sug_reject_rule").click()
    at.run()
    ok(at)
    assert read(project, coding.rules)["n_rejected"].iloc[0] == n_pending

    at.segmented_control(key="sug_q_kind").set_value("link")
    at.run()
    at.button(key="sug_find_links").click()
    at.run()
    ok(at)
    links = read(project, coding.pending, kind=["city", "dyad"])
    assert len(links) > 0
    n_links = read(project, lambda s: s.scalar(select(func.count(store.CodingLink.id))))
    select_rows(at, queue_key(at, "link"), [0])
    at.button(key="sug_accept").click()
    at.run()
    ok(at)
    assert read(project, lambda s: s.scalar(select(func.count(store.CodingLink.id)))) == n_links + 1


def test_matrices_download_and_cell_passages(project, monkeypatch):
    at = open_page(project, "ui/matrices.py", monkeypatch)
    assert {b.key for b in at.download_button} >= {"mx_csv", "mx_xlsx"}
    row = at.selectbox(key="mx_row").value
    col = at.selectbox(key="mx_col_count").value
    frame = read(project, coding.code_document_matrix)
    assert len(at.dataframe(key="mx_passages").value) == frame.loc[row, col] > 0
    for kind in ("city", "dyad", "cooccurrence"):
        at.session_state["mx_kind"] = kind
        at.run()
        ok(at)
        assert {b.key for b in at.download_button} >= {"mx_csv", "mx_xlsx"}
    at.radio(key="mx_co_measure").set_value("c_coefficient")
    at.radio(key="mx_unit").set_value("paragraph")
    at.run()
    ok(at)
    assert len(at.dataframe(key="mx_passages").value) > 0


def test_memos_add_edit_delete(project, monkeypatch):
    at = open_page(project, "ui/memos.py", monkeypatch)
    n = len(read(project, coding.list_memos))
    at.selectbox(key="memo_new_type").set_value("code")
    at.run()
    at.selectbox(key="memo_new_code").set_value(code_id(project, "Behaviour/Mark"))
    at.text_input(key="memo_new_title").set_value("Mark vs hole")
    at.text_area(key="memo_new_text").set_value("Marks appear where 专窗 exist.")
    at.button(key="memo_new_go").click()
    at.run()
    ok(at)
    memos = read(project, coding.list_memos)
    assert len(memos) == n + 1 and memos["title"].iloc[-1] == "Mark vs hole"
    assert "Code: Behaviour/Mark" in list(at.dataframe(key="memo_table").value["about"])

    at.text_input(key="memo_search").set_value("专窗")
    at.run()
    listed = at.dataframe(key="memo_table").value
    assert list(listed["title"]) == ["Mark vs hole"]
    memo_id = int(listed["id"].iloc[0])
    select_rows(at, "memo_table", [0])
    at.text_area(key=f"memo_edit_text_{memo_id}").set_value("Edited.")
    at.button(key=f"memo_edit_save_{memo_id}").click()
    at.run()
    ok(at)
    assert read(project, coding.list_memos, search="Edited.")["id"].tolist() == [memo_id]
    at.text_input(key="memo_search").set_value("Edited")
    at.run()
    select_rows(at, "memo_table", [0])
    at.button(key=f"memo_delete_{memo_id}").click()
    at.run()
    ok(at)
    assert memo_id not in set(read(project, coding.list_memos)["id"])


def test_retrieve_filters_memo_and_jump(project, monkeypatch):
    at = open_page(project, "ui/retrieve.py", monkeypatch)
    needs = code_id(project, "Needs")
    at.multiselect(key="ret_codes").set_value([needs])
    at.multiselect(key="ret_kinds").set_value(["interview"])
    at.run()
    ok(at)
    interviews = read(project, documents_where, kinds="interview")
    expected = read(project, coding.retrieve, code_ids=[needs], document_ids=interviews)
    assert len(at.dataframe(key="ret_table").value) == len(expected) > 0
    at.checkbox(key="ret_subcodes").uncheck()
    at.run()
    ok(at)
    assert "No coded passage" in at.info[0].value  # a category holds no codings itself
    assert all(d.key != "ret_table" for d in at.dataframe)
    at.checkbox(key="ret_subcodes").check()
    at.run()
    select_rows(at, "ret_table", [0])
    cid = int(expected["coding_id"].iloc[0])
    at.text_area(key="ret_memo_text").set_value("Worth quoting.")
    at.button(key="ret_memo_go").click()
    at.run()
    ok(at)
    assert list(read(project, coding.list_memos, "coding", cid)["text"]) == ["Worth quoting."]
    select_rows(at, "ret_table", [0])
    at.button(key="ret_open").click()
    at.run()
    ok(at)
    assert at.session_state["selected_coding"] == cid
    assert at.session_state["code_doc"] == int(expected["document_id"].iloc[0])
    assert at.title[0].value == "Code"


def test_codebook_merge_split_import_export(project, monkeypatch):
    at = open_page(project, "ui/codebook.py", monkeypatch)
    assert {b.key for b in at.download_button} >= {"cb_export_csv", "cb_export_qdc"}
    assert any("Valid against the REFI-QDA Codebook schema" in c.value for c in at.caption)
    breadth, degree = code_id(project, "Dimensions/Breadth"), code_id(project, "Dimensions/Degree")
    n_degree = len(read(project, coding.retrieve, code_ids=[degree]))
    n_breadth = len(read(project, coding.retrieve, code_ids=[breadth]))
    at.selectbox(key="merge_source").set_value(breadth)
    at.run()
    at.selectbox(key="merge_target").set_value(degree)
    at.button(key="merge_go").click()
    at.run()
    ok(at)
    assert "Merged" in at.success[0].value
    assert len(read(project, coding.retrieve, code_ids=[degree])) == n_degree + n_breadth
    assert breadth not in set(read(project, coding.codebook)["id"])

    at.selectbox(key="split_code").set_value(degree)
    at.text_area(key="split_names").set_value("Degree high\nDegree low\n")
    at.button(key="split_go").click()
    at.run()
    ok(at)
    book = read(project, coding.codebook)
    assert {"Dimensions/Degree/Degree high", "Dimensions/Degree/Degree low"} <= set(book["path"])

    csv = "path,definition\nImported/Trust,Passages on trust between officials\n".encode("utf-8")
    at.file_uploader(key="cb_import_file").set_value(("codes.csv", csv, "text/csv"))
    at.button(key="cb_import_go").click()
    at.run()
    ok(at)
    assert "Imported/Trust" in set(read(project, coding.codebook)["path"])
    assert "1 code(s) created" in at.success[0].value or "2 code(s) created" in at.success[0].value


def test_documents_new_version_report(project, monkeypatch):
    at = open_page(project, "ui/documents.py", monkeypatch)
    old_text = read(project, coding.document_text, 2)
    n_codings = len(read(project, coding.retrieve, document_ids=[2]))
    at.selectbox(key="version_doc").set_value(2)
    at.text_area(key="version_text").set_value(old_text.replace("。", "。 ", 3) + "\n\n补记：访谈后核对。")
    at.button(key="version_go").click()
    at.run()
    ok(at)
    docs = read(project, coding.documents)
    new_id = int(docs["superseded_by"].dropna().iloc[0])
    assert docs.set_index("id").loc[2, "superseded_by"] == new_id
    assert len(read(project, coding.retrieve, document_ids=[new_id])) == n_codings
    assert "coding(s) placed" in at.success[0].value
    assert sum(int(m.value) for m in at.metric) == n_codings
    listing = next(d.value for d in at.dataframe if "version" in d.value.columns)
    assert listing["version"].str.startswith("superseded by").sum() == 1
