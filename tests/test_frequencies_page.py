"""Word frequencies page (ui/frequencies.py) and the Retrieve page's coded-segments download, on a copy
of the demo project (Streamlit AppTest)."""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import coding
import store
from coding.retrieval.wordfreq import get_stopwords, tokenize, word_frequencies

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("wf") / "demo.sqlite"
    demo_copy(path)
    return path


@pytest.fixture
def project(demo_file, tmp_path):
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


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# The lead registers the page in workbench.py; until then it runs on its own, with the checkout first on
# sys.path (a page file's folder would otherwise shadow the ``report`` package with ui/report.py).
RUNNER = f"""
import runpy, sys
sys.path.insert(0, {str(ROOT)!r})
runpy.run_path({str(ROOT / "ui" / "frequencies.py")!r}, run_name="__main__")
"""


def page(project, monkeypatch, script="ui/frequencies.py") -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(project))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    if script == "ui/retrieve.py":
        at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
        at.run()
        ok(at)
        at.switch_page(script)
    else:
        at = AppTest.from_string(RUNNER, default_timeout=180)
    at.run()
    ok(at)
    return at


def test_frequencies_page_by_document_group_code_and_stop_words(project, monkeypatch):
    at = page(project, monkeypatch)
    assert at.title[0].value == "Word frequencies"
    first_doc = at.selectbox(key="wf_group").value
    shown = at.dataframe[0].value
    expected = read(project, word_frequencies, by="document")
    expected = expected[expected["group"] == first_doc].head(50)
    assert list(shown["word"]) == list(expected["word"]) and list(shown["count"]) == list(expected["count"])
    # the top word's count, recounted here from jieba's tokens of the document text
    text = read(project, coding.document_text, read(project, coding.documents).set_index("name").loc[first_doc, "id"])
    from coding.retrieval.wordfreq import project_words

    words = read(project, project_words)
    top_word = shown["word"].iloc[0]
    assert tokenize(text, words).count(top_word) == shown["count"].iloc[0]
    assert at.session_state["wf_file"][1].startswith(b"\xef\xbb\xbf")  # the CSV download, with its BOM

    at.text_input(key="wf_search").set_value(top_word[:1]).run()
    ok(at)
    assert all(top_word[:1] in w for w in at.dataframe[0].value["word"])

    at.segmented_control(key="wf_by").set_value("group").run()
    ok(at)
    at.selectbox(key="wf_attribute").set_value("kind").run()
    ok(at)
    assert set(at.selectbox(key="wf_group").options) == {"field note", "interview", "policy"} & set(
        read(project, coding.documents)["kind"])
    at.segmented_control(key="wf_by").set_value("code").run()
    ok(at)
    assert "Needs" in at.selectbox(key="wf_group").options
    at.radio(key="wf_format").set_value("xlsx").run()
    ok(at)
    assert at.session_state["wf_file"][1][:2] == b"PK"

    # stop words: save a list of one word, and the word is gone from the counts
    at.segmented_control(key="wf_by").set_value("corpus").run()
    corpus_top = at.dataframe[0].value["word"].iloc[0]
    area = [a for a in at.text_area if a.key.startswith("wf_stop_text_")][0]
    area.set_value(f"{corpus_top}\nthe")
    at.button(key="wf_stop_save").click().run()
    ok(at)
    assert read(project, get_stopwords) == sorted([corpus_top, "the"])
    assert corpus_top not in set(at.dataframe[0].value["word"])
    assert any("Stop words saved: 2 word(s)" in s.value for s in at.success)
    at.button(key="wf_stop_reset").click().run()
    ok(at)
    assert "the" in read(project, get_stopwords) and len(read(project, get_stopwords)) > 100


def test_retrieve_downloads_coded_segments_with_utf16_offsets(project, monkeypatch):
    at = page(project, monkeypatch, "ui/retrieve.py")
    n_rows = len(at.dataframe(key="ret_table").value)
    data = at.session_state["ret_export_memo"][1]
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = rows[0]
    assert {"code path", "start (UTF-16 units)", "end (UTF-16 units)", "quote", "linked to"} <= set(header)
    assert len(rows) - 1 == n_rows == len(read(project, coding.retrieve))
    texts = {}
    for row in rows[1:]:
        rec = dict(zip(header, row))
        doc = rec["document"]
        if doc not in texts:
            docs = read(project, coding.documents).set_index("name")
            texts[doc] = read(project, coding.document_text, int(docs.loc[doc, "id"]))
        s, e = int(rec["start (code points)"]), int(rec["end (code points)"])
        assert texts[doc][s:e] == rec["quote"].removeprefix("'") or rec["quote"].startswith("'")
        assert int(rec["start (UTF-16 units)"]) == len(texts[doc][:s].encode("utf-16-le")) // 2
    at.radio(key="ret_download_format").set_value("xlsx").run()
    ok(at)
    assert at.session_state["ret_export_memo"][1][:2] == b"PK"
