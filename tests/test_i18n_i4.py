"""The Project, Codebook, Attributes, Code and Agreement pages in 简体中文 (issue 12): each runs on the
demo project with the interface language set to Chinese, shows the Chinese labels written in
``i18n/locale/zh_CN/parts/i4.tsv`` (asserted literally here, not looked up through the catalogue) and
shows none of its English source strings; the span coder's own words go to the browser translated, and
its JavaScript's English defaults are the Python source strings (Streamlit AppTest)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from streamlit.testing.v1 import AppTest

import coding
import i18n
import store
from i18n import __main__ as tool

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"]
WIDGETS = ["button", "checkbox", "selectbox", "multiselect", "radio", "text_input", "text_area", "number_input",
           "tabs", "expander", "download_button", "toggle", "slider", "color_picker"]


@pytest.fixture(autouse=True)
def chinese_here():
    """The test's thread in Chinese too: AppTest applies a widget's ``format_func`` in this thread."""
    with i18n.using("zh"):
        yield


def _english(*pages: str) -> set[str]:
    """The pages' marked English strings whose Chinese differs (``"Seed"`` → 随机种子; ``"CSV"`` stays)."""
    po = {m.id: m.string for m in tool.read(tool._po("zh")) if m.id}
    found = set()
    for page in pages:
        found |= {msg for _line, msg, _c, _ctx in extract_from_file("python", str(ROOT / page),
                                                                   keywords={"_": None, "N_": None})}
    return {m for m in found if isinstance(m, str) and po.get(m) != m}


def shown(at: AppTest) -> set[str]:
    """Every label, help, placeholder, option, message and table header the page shows."""
    out: set[str] = set()
    for kind in KINDS:
        out |= {str(e.value) for e in getattr(at, kind)}
    for kind in WIDGETS:
        for e in at.get(kind):
            out.add(str(getattr(e, "label", "") or getattr(e.proto, "label", "")))
            for attr in ("help", "placeholder"):
                if getattr(e.proto, attr, ""):
                    out.add(getattr(e.proto, attr))
            out |= {str(o) for o in getattr(e, "options", []) or []}
    for frame in at.get("arrow_data_frame"):
        config = json.loads(frame.proto.columns or "{}")
        labelled = {k for k, c in config.items() if c.get("label")}
        out |= {c["label"] for c in config.values() if c.get("label")}
        out |= {str(c) for c in frame.value.columns if str(c) not in labelled}
    return out


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def researcher_words(path: Path) -> set[str]:
    """The project's own names (codes, documents): data, shown as they are (the demo has a code "Dimensions")."""
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        book, docs = coding.codebook(s), coding.documents(s)
    engine.dispose()
    return set(book["name"]) | set(book["path"]) | set(docs["name"])


def no_english(at: AppTest, *pages: str, data: set[str] = frozenset()) -> None:
    left = (_english(*pages) & shown(at)) - set(data)
    assert not left, f"shown in English on {pages}: {sorted(left)}"


def chinese(path: Path, page: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(page)
    at.run()
    ok(at)
    return at


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("i4") / "demo.sqlite"
    demo_copy(path)
    return path


@pytest.fixture
def demo(demo_file, tmp_path):
    target = tmp_path / "demo.sqlite"
    shutil.copy(demo_file, target)
    return target


def test_project_page_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/project.py", monkeypatch)
    assert [t.value for t in at.title] == ["项目"]
    assert [m.label for m in at.metric] == ["文档", "编码片段", "代码", "城市", "城市对"]
    assert "返回示例项目" in [b.label for b in at.button]
    assert any(m.value.startswith("**研究流程：**导入并阅读**文档**") for m in at.markdown)
    assert "项目文件（位于已有文件夹中的 .sqlite 或 .tandem）或 postgresql:// 地址" in [t.label for t in at.text_input]
    no_english(at, "ui/project.py")


def test_codebook_page_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/codebook.py", monkeypatch)
    assert [t.value for t in at.title] == ["代码本"]
    assert [t.label for t in at.tabs] == ["添加", "编辑", "移动", "合并", "拆分", "删除", "代码 ↔ 变量 / 维度"]
    assert at.selectbox(key="move_code").label == "要移动的代码"
    assert at.selectbox(key="move_parent").options[0] == "（顶层）"
    assert [b.label for b in at.download_button] == ["下载 CSV", "下载 XLSX", "下载 REFI-QDA .qdc"]
    assert next(m for m in at.multiselect if m.label == "维度").options == ["合作广度", "合作连接", "合作深度"]
    config = json.loads(at.dataframe[0].proto.columns)
    assert [config[c]["label"] for c in ("code", "definition", "codable", "n_codings")] == \
        ["代码", "定义", "可编码", "编码片段数"]
    no_english(at, "ui/codebook.py", data=researcher_words(demo))
    # a change reports itself in Chinese, with the researcher's names as they are
    at.text_area(key="split_names").set_value("甲类\n乙类")
    at.button(key="split_go").click()
    at.run()
    ok(at)
    assert [s.value for s in at.success][0].endswith(" 新增 2 个子代码：甲类、乙类。"), [s.value for s in at.success]


def test_attributes_page_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/attributes.py", monkeypatch)
    assert [t.value for t in at.title] == ["属性"]
    assert [s.value for s in at.subheader] == ["导入案例/变量表", "文档属性"]
    assert at.radio(key="attr_per").options == ["每行一份文档", "每行一个城市"]
    assert [t.label for t in at.tabs] == ["添加列", "重命名列", "删除列"]
    assert at.button(key="attr_save").label == "保存 0 个已更改的单元格"
    no_english(at, "ui/attributes.py")
    at.text_input(key="attr_add_name").set_value("访谈年份")
    at.text_input(key="attr_add_value").set_value("2024")
    at.button[[b.label for b in at.button].index("添加")].click()
    at.run()
    ok(at)
    engine = store.connect(demo)
    with store.session_scope(engine) as s:
        n = len(coding.documents(s))
    engine.dispose()
    assert [x.value for x in at.success] == [f"已为 {n} 份文档添加“访谈年份”。"]


def test_code_page_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/code.py", monkeypatch)
    assert [t.value for t in at.title] == ["编码"]
    assert [t.label for t in at.tabs] == ["选择文本", "按句子或段落", "本文档的编码片段"]
    assert at.selectbox(key="code_per").label == "每节段落数"
    doc = at.selectbox(key="code_doc").value
    unit = at.radio(key=f"unit_kind_{doc}")
    assert unit.label == "单位" and unit.options == ["句子", "段落"]
    config = json.loads(at.dataframe(key=f"codings_table_{doc}").proto.columns)
    assert [config[c]["label"] for c in ("Code", "Passage", "From", "To", "Coder")] == \
        ["代码", "文本段", "起点", "终点", "编码者"]
    no_english(at, "ui/code.py", "ui/coding_panel.py")
    # the panel of one coding, opened from the list
    at.session_state[f"codings_table_{doc}"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    ok(at)
    assert any(re.fullmatch(r"\*\*编码片段 \d+\*\* · .+ · 字符 [\d,]+–[\d,]+( · 编码者：.+)?", m.value)
               for m in at.markdown), [m.value for m in at.markdown]
    assert "删除此编码片段" in [b.label for b in at.button]
    no_english(at, "ui/code.py", "ui/coding_panel.py")


@pytest.fixture
def two_coders(demo):
    """The demo with a second coder's codings on the first document (the codes the first coder used)."""
    engine = store.connect(demo)
    with store.session_scope(engine) as s:
        doc = int(coding.documents(s)["id"].iloc[0])
        rows = coding.codings_in_document(s, doc)
        book = coding.codebook(s).set_index("name")
        for r in rows.head(5).itertuples():
            coding.add_coding(s, doc, int(r.start), int(r.end) + 3, [int(book.loc[r.code, "id"])], coder="乙")
    engine.dispose()
    return demo


def test_agreement_page_in_chinese(two_coders, monkeypatch):
    at = chinese(two_coders, "ui/agreement.py", monkeypatch)
    assert [t.value for t in at.title] == ["编码者间一致性"]
    assert at.toggle(key="agr_blind").label == "盲编码"
    assert at.selectbox(key="agr_unit").options == ["字符（NVivo）", "句子", "段落", "文档", "编码片段（MAXQDA 重叠）"]
    table = at.dataframe[0].value
    assert {"代码", "双方均编码", "科恩 κ", "科恩 κ 95% 置信区间", "克里彭多夫 α"} <= set(table.columns)
    assert table["代码"].iloc[-1] == "（全部代码，汇总）"
    assert "百分比一致性" in table.columns and "编码者间一致性" not in table.columns
    assert [s.value for s in at.subheader] == ["并排对照"]
    legend = " ".join(str(h.proto.body) for h in at.get("html"))
    first, second = at.multiselect(key="agr_pair").value
    assert f"双方均编码</span> · " in legend and f">仅 {first}</span>" in legend and f">仅 {second}</span>" in legend
    no_english(at, "ui/agreement.py")


def test_span_coder_words_in_both_languages():
    from ui.span_coder import LABELS, labels

    js = (ROOT / "ui" / "span_coder.js").read_text(encoding="utf-8")
    block = js[js.index("const ENGLISH = {"):js.index("};", js.index("const ENGLISH = {"))]
    english = {k: "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', v))
               for k, v in re.findall(r"\n  (\w+):\s*((?:\"[^\n]*\"\s*\+?\s*)+),", block)}
    assert english == LABELS, "the JavaScript's English defaults must be the Python source strings"
    with i18n.using("en"):
        assert labels() == LABELS
    zh = labels()
    assert zh["hint"].startswith("选择文本，然后点击代码按钮") and zh["apply"] == "应用所选（{n}）"
    assert all("{n}" in zh[k] for k in ("code_key", "apply", "selected"))


@pytest.mark.browser
def test_code_page_in_chinese_in_a_browser(demo_file, tmp_path):
    """The Code page switched to 简体中文 with the sidebar's language switch, in Chromium: the span coder's
    own words (filter box, status line, button titles) come from Python translated; a screenshot is kept
    in the test's folder (``code-zh.png``)."""
    from browser_support import app_env, fail_on_exception, idle, launched_chromium, new_page, require_browser, \
        streamlit_app

    require_browser()
    project = tmp_path / "demo.sqlite"
    shutil.copy(demo_file, project)
    env = app_env(project, TANDEM_HOME=str(tmp_path / "home"))  # the remembered language goes there
    with streamlit_app("workbench.py", tmp_path, project, env) as app, launched_chromium() as browser:
        page = new_page(browser, 1400, 900)
        page.goto(f"{app.url}/code")
        page.wait_for_selector(".tdm-sc-text .tdm-sc-piece, [data-testid='stException']", timeout=60_000)
        idle(page, 60_000)
        fail_on_exception(app, page, "the Code page in English")
        assert page.locator(".tdm-sc-filter").get_attribute("placeholder") == "Find a code… (Enter applies the first)"
        # the span coder keeps the keyboard for its shortcuts, so the list may not open on the first click:
        # open it the way a keyboard user does
        switch = page.get_by_role("combobox", name="Language / 语言", exact=True)
        switch.click()
        switch.press("ArrowDown")
        page.get_by_role("option", name="简体中文", exact=True).click()
        page.wait_for_function("document.querySelector('.tdm-sc-filter') && "
                               "document.querySelector('.tdm-sc-filter').placeholder.startsWith('查找代码')",
                               timeout=60_000)
        idle(page, 60_000)
        fail_on_exception(app, page, "the Code page in Chinese", errors=True)
        assert page.locator(".tdm-sc-filter").get_attribute("aria-label") == "查找代码"
        assert page.locator(".tdm-sc-status").inner_text().startswith("选择文本，然后点击代码按钮")
        assert page.locator(".tdm-sc-code").first.get_attribute("title") == "为所选文本编码（按键 1）"
        assert page.get_by_role("tab", name="按句子或段落").count() == 1
        assert not page.errors, page.errors
        page.screenshot(path=str(tmp_path / "code-zh.png"), full_page=False)
