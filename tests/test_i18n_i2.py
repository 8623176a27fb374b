"""The Memos, Matrices, Runs, Worklist, Users and Search pages in 简体中文 (issue 12): each runs on a
project with the interface language set to Chinese, shows the Chinese labels written in
``i18n/locale/zh_CN/parts/i2.tsv`` (asserted literally here, not looked up through the catalogue)
and shows none of its English source strings (Streamlit AppTest)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from streamlit.testing.v1 import AppTest

import i18n
import store
from i18n import __main__ as tool

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"]
WIDGETS = ["button", "checkbox", "selectbox", "multiselect", "radio", "text_input", "text_area", "number_input",
           "tabs", "expander", "download_button"]


@pytest.fixture(autouse=True)
def chinese_here():
    """The test's own thread in Chinese too: AppTest formats a widget's value with the page's
    ``format_func`` (``_()`` of a label) in the test's thread when it sends the next run."""
    with i18n.using("zh"):
        yield


def _english(page: str) -> set[str]:
    """The page's marked English strings whose Chinese differs (``"CSV"`` stays ``"CSV"``)."""
    po = {m.id: m.string for m in tool.read(tool._po("zh")) if m.id}
    found = {msg for _line, msg, _c, _ctx in extract_from_file("python", str(ROOT / page),
                                                               keywords={"_": None, "N_": None})}
    return {m for m in found if po.get(m) != m}


def shown(at: AppTest) -> set[str]:
    """Every label, option, message and table header the page shows."""
    out: set[str] = set()
    for kind in KINDS:
        out |= {str(e.value) for e in getattr(at, kind)}
    for kind in WIDGETS:
        for e in at.get(kind):
            out.add(str(getattr(e, "label", "") or e.proto.label))
            if getattr(e.proto, "help", ""):
                out.add(e.proto.help)
            if getattr(e.proto, "placeholder", ""):
                out.add(e.proto.placeholder)
            out |= {str(o) for o in getattr(e, "options", []) or []}
    for group in at.get("button_group"):  # segmented controls
        out.add(group.proto.label)
        out |= {str(o) for o in group.options}
    for frame in at.dataframe:  # st.dataframe and st.data_editor
        config = json.loads(frame.proto.columns or "{}")
        out |= {c["label"] for c in config.values() if c.get("label")}
        out |= {str(c) for c in frame.value.columns if not config.get(str(c), {}).get("label")}
    return out


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def chinese(path: Path, page: str, monkeypatch, *, team_login: tuple[str, str] | None = None) -> AppTest:
    """``page`` of the project at ``path`` with the interface in Chinese (team mode when logging in)."""
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    if team_login:
        monkeypatch.setenv("TANDEM_TEAM", "1")
    else:
        monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if team_login:
        name, password = team_login
        at.text_input[0].set_value(name)
        at.text_input[1].set_value(password)
        at.button[0].click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        at.session_state["tandem_language"] = "zh"  # logging in starts a fresh session state
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def no_english(at: AppTest, page: str) -> None:
    left = _english(page) & shown(at)
    assert not left, f"shown in English on {page}: {sorted(left)}"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("i2") / "demo.sqlite"
    demo_copy(path)
    return path


@pytest.fixture
def demo(demo_file, tmp_path):
    target = tmp_path / "demo.sqlite"
    shutil.copy(demo_file, target)
    return target


def test_memos_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/memos.py", monkeypatch)
    assert [t.value for t in at.title] == ["备忘录"]
    assert [t.label for t in at.tabs] == ["备忘录", "添加备忘录"]
    assert at.selectbox(key="memo_new_type").options == ["项目", "文档", "代码", "编码片段", "城市", "城市对"]
    assert at.text_input(key="memo_search").placeholder == "例如 通办 或 trust"
    no_english(at, "ui/memos.py")
    at.selectbox(key="memo_new_type").set_value("project")
    at.text_input(key="memo_new_title").set_value("总体印象")
    at.text_area(key="memo_new_text").set_value("各市做法差别很大。")
    at.button(key="memo_new_go").click()
    at.run()
    ok(at)
    assert [s.value for s in at.success] == ["已添加关于项目的备忘录。"]
    assert at.session_state["memo_tab"] == "备忘录"  # back on the (translated) list tab
    at.session_state["memo_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    ok(at)
    memo = at.dataframe(key="memo_table").value.iloc[0]
    line = re.compile(rf"作者 {re.escape(memo['author'])} · 写于 \d{{4}}-\d\d-\d\d \d\d:\d\d · "
                      rf"最后修改于 {memo['updated']:%Y-%m-%d %H:%M}")
    assert [c.value for c in at.caption if line.fullmatch(c.value)], [c.value for c in at.caption]
    assert "删除此备忘录" in [b.label for b in at.button]
    no_english(at, "ui/memos.py")


def test_matrices_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/matrices.py", monkeypatch)
    assert [t.value for t in at.title] == ["矩阵"]
    assert at.get("button_group")[0].options == ["代码 × 文档", "代码 × 城市", "代码 × 城市对", "代码共现"]
    assert at.radio(key="mx_measure").options == ["计数", "是否出现（0/1）"]
    assert [b.label for b in at.download_button] == ["下载 CSV", "下载 XLSX"]
    labels = json.loads(at.dataframe(key="mx_passages").proto.columns)
    assert [labels[c]["label"] for c in ("document", "code", "quote", "coder")] == ["文档", "代码", "段落", "编码者"]
    no_english(at, "ui/matrices.py")
    at.session_state["mx_kind"] = "cooccurrence"
    at.run()
    ok(at)
    assert at.radio(key="mx_unit").options == ["片段重叠", "同一段落"]
    assert at.radio(key="mx_co_measure").options == ["计数", "C 系数"]
    no_english(at, "ui/matrices.py")


def test_search_in_chinese(demo, monkeypatch):
    at = chinese(demo, "ui/search.py", monkeypatch)
    assert [t.value for t in at.title] == ["搜索"]
    assert "输入一个词或模式，然后点击“搜索”。" in [c.value for c in at.caption]
    at.text_input(key="search_pattern").set_value("通辦")
    at.button(key="search_go").click()
    at.run()
    ok(at)
    hits = len(at.dataframe(key="search_hits").value)
    docs = at.dataframe(key="search_hits").value["document"].nunique()
    assert f"**{hits} 条结果**，分布在 {docs} 个文档中" in [m.value for m in at.markdown]
    labels = json.loads(at.dataframe(key="search_hits").proto.columns)
    assert [labels[c]["label"] for c in ("document", "before", "match", "after")] == ["文档", "…前文", "匹配", "后文…"]
    assert at.checkbox(key="search_all").label == f"全部 {hits} 条结果"
    assert at.button(key="search_code").label == "为 0 条结果编码"
    no_english(at, "ui/search.py")


@pytest.fixture
def small(tmp_path, monkeypatch):
    """The 30-city project with two saved connection runs."""
    from quant.runs import saved as runs
    from tests import quant_small_project

    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    try:
        quant_small_project.build(engine)
        with store.session_scope(engine) as s:
            runs.fit_and_save(s, "广州市–佛山市 model", "connection",
                              formula="connection ~ log_distance + sum(log_pop)")
            runs.fit_and_save(s, "distance only", "connection", formula="connection ~ log_distance")
    finally:
        engine.dispose()
    return path


def test_runs_in_chinese(small, monkeypatch):
    at = chinese(small, "ui/runs.py", monkeypatch)
    assert [t.value for t in at.title] == ["分析记录"]
    assert at.get("button_group")[0].options == ["全部", "合作广度", "合作连接", "合作深度"]
    listed = at.dataframe[0].value
    assert list(listed.columns) == ["分析记录", "状态", "维度", "模型", "标准误类型", "n", "创建时间（UTC）", "创建者",
                                    "公式"]
    assert set(listed["状态"]) == {"最新"} and set(listed["维度"]) == {"合作连接"}
    assert [t.label for t in at.tabs] == ["重命名", "重新拟合", "删除"]
    wide = at.dataframe[1].value
    assert wide.index.name == "变量项" and "标准误类型" in wide.index
    no_english(at, "ui/runs.py")
    at.selectbox(key="runs_pick").set_value("distance only")
    at.button(key="runs_delete").click()
    at.run()
    ok(at)
    assert [s.value for s in at.success] == ["已删除分析记录“distance only”。可点击侧边栏的“撤销”或下方的“恢复”找回。"]
    assert at.button(key="runs_restore").label == "恢复"


def test_worklist_in_chinese(tmp_path, monkeypatch):
    from case_views_project import build
    from mixed import worklist as wl

    path = tmp_path / "p.sqlite"
    engine = store.connect(str(path), create=True)
    try:
        build(engine)
        with store.session_scope(engine) as s:
            wl.add_case(s, {"city_a": "100", "city_b": "101", "case_type": "typical non-tie"}, run="conn")
            wl.update_memo(s, ("dyad", "100|101"), "先问局长")
    finally:
        engine.dispose()
    at = chinese(path, "ui/worklist.py", monkeypatch)
    assert [t.value for t in at.title] == ["田野工作清单"]
    assert "1 个案例 · 1 个有已编码段落" in [c.value for c in at.caption]
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["residual"]["label"] == "皮尔逊残差" and config["position"]["label"] == "顺序"
    assert at.expander[0].label == "1. 城00市–城01市 — typical non-tie · 2 个已编码段落"
    assert [s.value for s in at.subheader] == ["引文", "下载"]
    no_english(at, "ui/worklist.py")


def test_users_in_chinese(demo, monkeypatch):
    import team

    engine = store.connect(demo)
    with store.session_scope(engine) as s:
        team.add_user(s, "Olga", "owner-pass-123", "owner")
        team.add_user(s, "Bo", "coder-pass-456", "coder")
    engine.dispose()
    at = chinese(demo, "ui/users.py", monkeypatch, team_login=("Olga", "owner-pass-123"))
    assert [t.value for t in at.title] == ["用户"]
    listed = at.dataframe[0].value
    assert list(listed.columns) == ["姓名", "角色", "加入时间"]
    assert list(zip(listed["姓名"], listed["角色"])) == [("Olga", "所有者"), ("Bo", "编码者")]
    assert [e.label for e in at.expander][:4] == ["添加用户", "重置密码", "更改角色", "删除用户"]
    assert at.selectbox[0].options == ["所有者", "编码者", "查看者"]
    no_english(at, "ui/users.py")
    form = {t.label: t for t in at.text_input}
    form["名称"].set_value("小李")
    form["密码"].set_value("li-pass-12345")
    form["再次输入密码"].set_value("li-pass-12345")
    next(b for b in at.button if b.label == "添加用户").click()
    at.run()
    ok(at)
    assert [s.value for s in at.success] == ["已添加 小李（编码者）。"]
