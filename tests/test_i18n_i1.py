"""The Joint display, Cases, Suggestions and Cities & dyads pages in 简体中文 (issue 12, part 1): each page
runs on the demo project (with one saved connection run) without an exception, shows its labels in
Chinese (the expected words are the translator's, written out here, not read from the catalogue),
and keeps the stored values English (a meta-inference saved from the Chinese page is "expansion")."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import i18n
import store
from mixed.meta import meta_lookup
from quant.runs import saved as runs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("i18n_i1") / "demo.sqlite"
    demo_copy(path)
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        runs.fit_and_save(s, "连接 1", "connection", by="ann")
    engine.dispose()
    return path


def _page(page: str, demo_path, monkeypatch, tmp_path) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(demo_path))
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TANDEM_CODER", "ann")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _texts(at) -> list[str]:
    return ([t.value for t in at.title] + [c.value for c in at.caption] + [m.value for m in at.markdown]
            + [s.value for s in at.subheader] + [i.value for i in at.info])


def test_cities_page_in_chinese(demo_path, monkeypatch, tmp_path):
    at = _page("ui/cities.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "城市与城市对"
    assert [t.label for t in at.tabs][1:] == ["城市对", "导入数据表", "生成城市对", "地名"]
    assert {m.label for m in at.metric} >= {"城市对", "有合作的城市对"}
    assert [m.value for m in at.metric][1] == "11,935"  # the demo's dyads: numbers stay numbers
    assert "仅显示有合作的城市对" in [c.label for c in at.checkbox]
    dup = at.selectbox[0]
    assert dup.label == "重复的城市对" and dup.options[:2] == ["拒绝（报错）", "求和 (sum)"]
    assert dup.value == "refuse"  # the value passed to load_dyads stays the library's
    assert not any("Load tables" in t.label for t in at.tabs)


def test_suggestions_page_in_chinese(demo_path, monkeypatch, tmp_path):
    at = _page("ui/suggestions.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "建议"
    assert [t.label for t in at.tabs] == ["规则", "助手", "审核队列"]
    assert "新建规则" in [s.value for s in at.subheader]
    kind = at.radio(key="sug_new_kind")
    assert kind.options == ["关键词", "正则表达式", "spaCy 词元模式"] and kind.value == "keywords"
    assert at.selectbox(key="sug_new_unit").options == ["匹配文本", "所在句子", "所在段落"]
    assert "保存后立即运行" in [c.label for c in at.checkbox]
    assert any("审核队列" in t for t in _texts(at))


def test_cases_page_in_chinese(demo_path, monkeypatch, tmp_path):
    at = _page("ui/cases.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "案例"
    rule = at.selectbox(key="cases_rule")
    assert rule.label == "规则" and rule.value == "deviant"
    assert "偏离案例（|皮尔逊残差| > c）" in rule.options and "典型案例（|皮尔逊残差| 最小）" in rule.options
    assert at.number_input(key="cases_c").label == "临界值 c（当且仅当 |r| > c 时为偏离案例）"
    assert any(c.value.startswith("已列出 ") and "田野工作清单" in c.value for c in at.caption)
    assert at.button(key="cases_add").label.startswith("将勾选的 ")


def test_joint_page_in_chinese_keeps_stored_values(demo_path, monkeypatch, tmp_path):
    at = _page("ui/joint.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "联合展示"
    assert [t.label for t in at.tabs] == ["并列展示", "代码 × 案例组", "脱耦比较", "统计—主题展示", "案例比较"]
    assert any(c.value.startswith("分析记录“连接 1” · 合作连接 · logit · ") for c in at.caption)
    assert any("个变量项中已判断 0 个" in c.value for c in at.caption)
    key = "mi|side-by-side|connection|log_gravity"
    choice = at.selectbox(key=f"{key}|label")
    assert choice.label == "元推论" and list(choice.options) == ["— 未判断 —", "确认", "扩展", "不一致"]
    # AppTest formats every selectbox's value with the page's format_func in the test's own thread:
    # that thread must speak Chinese too (the page sets the language only in the script's thread)
    with i18n.using("zh"):
        choice.select_index(2)  # 扩展
        at.button(key=f"{key}|save").click()
        at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(m.value == "已保存：扩展。" for m in at.success)
    assert any(":blue-badge[扩展]" in m.value for m in at.markdown)
    assert any("判断者：ann" in c.value for c in at.caption)
    engine = store.connect(demo_path)
    try:
        with store.session_scope(engine) as s:
            stored = meta_lookup(s, "side-by-side", "connection")["log_gravity"]
    finally:
        engine.dispose()
    assert (stored["label"], stored["author"]) == ("expansion", "ann")



@pytest.mark.browser
def test_switching_language_in_the_browser_keeps_choices_valid(demo_path, tmp_path):
    """Switching English ↔ 简体中文 in the sidebar of a real browser (widgets keep their state across the
    switch, and the browser sends them back as their shown labels) leaves the Joint display (all tabs
    drawn, the case multiselect opened) and the Cases page (a rule chosen in English) without an
    exception or error, and in Chinese. Once seen by hand (zh → en → Case comparison tab → zh, before
    the option labels were looked up strictly): a TypeError from the case multiselect; this test
    did not reproduce that sequence, so it guards the switch in general. Known limit, Streamlit's: a
    keyed selectbox the user has not touched may go on SHOWING its old-language label until it is
    drawn afresh (its value is right)."""
    from browser_support import app_env, idle, launched_chromium, new_page, require_browser, streamlit_app

    require_browser()

    def choose(page, label, option):
        page.get_by_role("combobox", name=label, exact=True).click()
        page.get_by_role("option", name=option, exact=True).click()
        time.sleep(1)
        idle(page, 180_000)
        time.sleep(1)
        idle(page, 180_000)

    env = app_env(demo_path, TANDEM_HOME=str(tmp_path / "home"), TANDEM_CODER="ann")
    with streamlit_app("workbench.py", tmp_path, demo_path, env) as app, launched_chromium() as browser:
        page = new_page(browser, 1400, 1200)
        for path, english, chinese in (("joint", "Side-by-side", "并列展示"), ("cases", "Cases", "案例")):
            page.goto(f"{app.url}/{path}")
            page.wait_for_selector("[data-testid='stSidebar']", timeout=120_000)
            idle(page, 180_000)
            if page.get_by_role("combobox", name="Language / 语言", exact=True).input_value() != "English":
                choose(page, "Language / 语言", "English")
            assert page.get_by_text(english, exact=True).count()
            if path == "cases":
                choose(page, "Rule", "Typical cases (smallest |Pearson residual|)")
            if path == "joint":  # open the tab of the case multiselect before switching
                page.get_by_role("tab", name="Case comparison").click()
                time.sleep(1)
                idle(page, 180_000)
            for lang in ("简体中文", "English", "简体中文"):  # back and forth, as a bilingual team does
                choose(page, "Language / 语言", lang)
            assert page.get_by_text(chinese, exact=True).count(), f"the {path} page is not in Chinese"
            failure = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
            assert not failure.count(), f"{path}: {failure.first.inner_text()}\n{app.log.read_text(errors='replace')}"
            if path == "joint":  # every tab is drawn: the case comparison's multiselect too
                page.get_by_role("tab", name="案例比较").click()
                assert page.get_by_text("要比较的案例（默认选中有已编码段落的案例）").count()
        assert not page.errors, page.errors
