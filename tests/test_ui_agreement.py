"""The Agreement page renders with two coders (Streamlit AppTest): the table with intervals, the
downloads, and the side-by-side view whose HTML escapes the document's text."""
from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import coding
import store
from coding.agreement import highlight_html, compare_coders

ROOT = Path(__file__).resolve().parent.parent
TEXT = "广州市与佛山市<script>alert(1)</script>签署协议。\n第二句说明需求 & 信任。"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ui_agreement") / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        doc = store.Document(name="访谈：广州市–佛山市", kind="interview", language="zh", text=TEXT,
                             text_sha256="0" * 64, n_chars=len(TEXT))
        s.add(doc)
        s.flush()
        code = coding.add_code(s, "协议动因")
        coding.add_coding(s, doc.id, 0, 30, code, coder="甲")
        coding.add_coding(s, doc.id, 5, 40, code, coder="乙")
    engine.dispose()
    return path


def test_highlight_html_escapes_text_and_marks_who_coded(project):
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        cmp = compare_coders(s, "访谈：广州市–佛山市", ["甲", "乙"])
    engine.dispose()
    out = highlight_html(cmp, "协议动因")
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert out.count("<span") == 3  # only 甲 [0, 5), both [5, 30), only 乙 [30, 40)
    assert 'title="only 甲 [0, 5)"' in out and 'title="both [5, 30)"' in out
    # the text comes back whole once the tags are removed and the entities undone
    import re

    assert html.unescape(re.sub(r"<[^>]+>", "", out.replace("<br>", "\n"))) == TEXT


def test_agreement_page_renders_with_two_coders(project, monkeypatch):
    monkeypatch.setenv("TANDEM_PROJECT", str(project))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page("ui/agreement.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table["Code"]) == ["协议动因", "(all codes, pooled)"]
    # characters [0, 49): 甲 codes [0, 30), 乙 [5, 40): both 25, 甲 only 5, 乙 only 10, neither 9
    n = len(TEXT)
    assert table["Both coded"].iloc[0] == "25" and table["Neither"].iloc[0] == str(n - 40)
    po = (25 + n - 40) / n
    pe = (30 / n) * (35 / n) + (1 - 30 / n) * (1 - 35 / n)
    assert table["Cohen's κ"].iloc[0] == f"{(po - pe) / (1 - pe):.3f}"
    assert "Cohen's κ 95% CI" in table.columns
    shown = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "&lt;script&gt;" in shown and "<script>" not in shown
