"""The whole research loop on a real policy document, through the library the pages call.

Import a real Chinese policy document into the demo project, code an exact Chinese phrase,
link it to a dyad, fit the three dimensions, and find the passage in the joint display, in the
case evidence and in both report drafts.
"""
from __future__ import annotations

import pytest

import coding
import corpus
import store
from mixed.cases import add_evidence
from mixed.joint import joint_display
from quant.runs.analysis import fit_dimension
from report.draft import render

PHRASE = "跨省通办"


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("flow") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path)
    yield engine
    engine.dispose()


def test_flow_code_link_fit_display_cases_report(demo_engine, shared):
    source = shared("policy_docs", "05_上海市人大常委会关于进一步促进和保障一网通办改革的决定_2021.txt")
    with store.session_scope(demo_engine) as s:
        result = corpus.import_document(s, source, kind="policy")
        text = coding.document_text(s, result.document_id)
        start = text.find(PHRASE)
        assert start >= 0, "the phrase is in the real document"
        end = start + len(PHRASE)
        code_id = coding.code_id_by_name(s, "Social needs")
        (cid,) = coding.add_coding(s, result.document_id, start, end, [code_id], coder="flow")
        # 常州 (320400) – 盐城 (320900), given in reverse order: folded into one dyad
        coding.link_dyad(s, cid, "320900", "320400")
    with store.session_scope(demo_engine) as s:
        stored = coding.codings_in_document(s, result.document_id).set_index("id").loc[cid]
        assert stored["quote"] == PHRASE == coding.document_text(s, result.document_id)[stored["start"]:stored["end"]]
        fits = {d: fit_dimension(s, d) for d in ("breadth", "connection", "degree")}
        display = joint_display(s, fits["connection"], max_quotes=10_000)
        row = display.set_index("term").loc["log_gravity"]
        assert cid in [q["coding_id"] for q in row["quotes"]]
        units = fits["connection"].units
        dyad = units[(units["city_a"] == "320400") & (units["city_b"] == "320900")]
        assert len(dyad) == 1
        counted = add_evidence(s, dyad.assign(abs_r=dyad["pearson"].abs(), case_type="other"))
        assert int(counted["n_passages"].iloc[0]) >= 1
        paragraph = coding.paragraph_of(s, result.document_id, start)
        md = render(s, fits, fmt="md")
        html = render(s, fits, fmt="html")
    assert f'"{PHRASE}" — {result.name}, ¶ {paragraph}' in md
    assert PHRASE in html and f"{result.name}, ¶ {paragraph}" in html
