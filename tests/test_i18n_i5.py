"""The Documents, Exchange, Retrieve and Word frequencies pages in 简体中文 (issue 12): each runs on a
copy of the demo project with the interface language set to Chinese, shows the Chinese written in
``i18n/locale/zh_CN/parts/i5.tsv`` (asserted literally here, not looked up through the catalogue),
shows none of the page's English source strings, and keeps the researcher's data (document names,
code paths) as written (Streamlit AppTest)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from streamlit.testing.v1 import AppTest

import cli
import coding
import i18n
import store
from i18n import __main__ as tool

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success",
         "metric"]
WIDGETS = ["button", "checkbox", "selectbox", "multiselect", "radio", "text_input", "text_area", "number_input",
           "tabs", "expander", "download_button", "slider"]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("i5") / "demo.sqlite"
    demo_copy(path)
    return path


@pytest.fixture
def project(demo_file, tmp_path):
    target = tmp_path / "project.sqlite"
    shutil.copy(demo_file, target)
    return target


@pytest.fixture(autouse=True)
def chinese_here():
    """AppTest formats a selectbox's options in the test's own thread (``format_func`` of the page) when it
    sends the widget states back: that thread must be in Chinese too, as the page's thread is."""
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def read(path, func_, *args, **kwargs):
    engine = store.connect(path)
    try:
        with store.session_scope(engine) as session:
            return func_(session, *args, **kwargs)
    finally:
        engine.dispose()


def english(page: str) -> set[str]:
    """The page's marked English strings whose Chinese differs from them (``"CSV"`` stays ``"CSV"``)."""
    po = {m.id: m.string for m in tool.read(tool._po("zh")) if m.id}
    found = {msg for _line, msg, _c, _ctx in extract_from_file("python", str(ROOT / page),
                                                               keywords={"_": None, "N_": None})}
    return {m for m in found if po.get(m) != m}


def shown(at: AppTest) -> set[str]:
    """Every label, option, message, metric and table header the page shows."""
    out: set[str] = set()
    for kind in KINDS:
        for e in getattr(at, kind):
            out.add(str(e.label if kind == "metric" else e.value))
    for kind in WIDGETS:
        for e in at.get(kind):
            out.add(str(getattr(e, "label", "") or e.proto.label))
            for attr in ("help", "placeholder"):
                if getattr(e.proto, attr, ""):
                    out.add(getattr(e.proto, attr))
            out |= {str(o) for o in getattr(e, "options", []) or []}
    for group in at.get("button_group"):  # segmented controls
        out.add(group.proto.label)
        out |= {str(o) for o in group.options}
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        out |= {c["label"] for c in config.values() if c.get("label")}
        relabelled = {k.partition(":")[2] or k for k, c in config.items() if c.get("label")}
        out |= {str(c) for c in frame.value.columns if str(c) not in relabelled}
    return out


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def chinese(path: Path, page: str, monkeypatch, state: dict | None = None) -> AppTest:
    """``page`` of the project at ``path`` with the interface in Chinese (``state`` put in the session first)."""
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["tandem_language"] = "zh"
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    ok(at)
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def no_english(at: AppTest, page: str) -> None:
    leaked = english(page) & shown(at)
    assert not leaked, f"English shown on the Chinese {page}: {sorted(leaked)}"


def column_labels(frame) -> dict:
    return {k: c.get("label") for k, c in json.loads(frame.proto.columns or "{}").items()}


def test_documents_page_in_chinese(project, monkeypatch):
    at = chinese(project, "ui/documents.py", monkeypatch)
    assert at.title[0].value == "文档"
    assert {"导入文档", "导入文档的修订版本"} <= {e.label for e in at.expander}
    assert at.selectbox(key="read_doc").label == "阅读文档"
    listing = next(f for f in at.dataframe if "version" in f.value.columns)
    labels = column_labels(listing)
    assert (labels["name"], labels["version"], labels["n_chars"], labels["illustrative"]) == \
        ("文档", "版本", "字符数", "为演示撰写")
    # document kinds are shown translated, document names as the researcher wrote them
    docs = read(project, coding.documents)
    assert set(listing.value["kind"]) <= {"访谈", "田野笔记", "政策文件"}
    assert set(listing.value["name"]) == set(docs["name"])
    assert set(listing.value["version"]) == {"最新"}
    # the import form's options: stored values behind Chinese labels
    kind = next(s for s in at.selectbox if s.label == "类型")
    assert kind.options == ["访谈", "田野笔记", "政策文件"] and kind.value == "interview"
    language = next(s for s in at.selectbox if s.label == "语言")
    assert language.options == ["自动检测", "zh", "en"]
    no_english(at, "ui/documents.py")


def test_documents_new_version_report_in_chinese(project, monkeypatch):
    at = chinese(project, "ui/documents.py", monkeypatch)
    old_text = read(project, coding.document_text, 2)
    n_codings = len(read(project, coding.retrieve, document_ids=[2]))
    at.selectbox(key="version_doc").set_value(2)
    at.text_area(key="version_text").set_value(old_text.replace("。", "。 ", 3) + "\n\n补记：访谈后核对。")
    at.button(key="version_go").click()
    at.run()
    ok(at)
    old, new = read(project, coding.documents).set_index("id").loc[2, "name"], None
    new = at.session_state["doc_version_report"]["new"]
    assert at.success[0].value == f"{new} 取代 {old}：{n_codings} 个编码片段中已定位 {n_codings} 个。"
    assert {m.label for m in at.metric} == {"原位置", "上下文", "最近的引文", "模糊匹配", "未定位"}
    assert sum(int(m.value) for m in at.metric) == n_codings
    listing = next(f for f in at.dataframe if "version" in f.value.columns)
    assert sorted(set(listing.value["version"])) == sorted({f"已被 {new} 取代", "最新"})
    assert (listing.value["version"] == f"已被 {new} 取代").sum() == 1
    assert at.button(key="version_close").label == "关闭报告"
    no_english(at, "ui/documents.py")


def test_exchange_segments_report_in_chinese(tmp_path, monkeypatch):
    from coding.exchange.segments_import import import_coded_segments
    from tests.test_exchange_segments_import import _csv, _project

    project = tmp_path / "交换.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    engine = store.connect(str(project))
    try:
        with store.session_scope(engine) as s:
            _project(s)
            report = import_coded_segments(s, _csv(), "segments.csv")
    finally:
        engine.dispose()
    at = chinese(project, "ui/exchange.py", monkeypatch, {"exchange_segments_report": report})
    assert at.title[0].value == "数据交换"
    assert [t.label for t in at.tabs] == ["导入 REFI-QDA 项目", "导出项目", "MAXQDA 编码片段"]
    # the same counts as the English page (tests/test_exchange_page.py), under Chinese labels
    assert {m.label: int(m.value) for m in at.metric} == {"已定位": 4, "已存在": 0, "有歧义": 2, "未找到": 2,
                                                          "已拒绝": 2}
    table = at.dataframe[0].value
    assert list(table["行号"]) == [4, 5, 7, 8, 9, 10, 11]
    assert list(table["状态"]) == ["有歧义", "有歧义", "已定位", "未找到", "未找到", "已拒绝", "已拒绝"]
    assert "文本（前 30 个字符）" in table.columns and "原因" in table.columns
    assert any(c.value.startswith("segments.csv：10 个编码片段。") for c in at.caption)
    convention = at.selectbox(key="qdpx_convention")
    assert convention.label == "文件的字符位置计数方式" and convention.options[0] == "根据选区自动检测（推荐）"
    assert convention.value == "auto"
    no_english(at, "ui/exchange.py")


def test_retrieve_page_in_chinese(project, monkeypatch):
    at = chinese(project, "ui/retrieve.py", monkeypatch)
    assert at.title[0].value == "检索"
    assert at.multiselect(key="ret_codes").label == "代码"
    assert at.multiselect(key="ret_codes").proto.placeholder == "任意代码"
    assert at.selectbox(key="ret_city").options[0] == "（全部）"
    n = len(read(project, coding.retrieve))
    docs = read(project, coding.retrieve)["document_id"].nunique()
    assert f"**{n} 个文本段**，来自 {docs} 份文档" in [m.value for m in at.markdown]
    view = at.get("button_group")[0]
    assert view.proto.label == "视图" and list(view.options) == ["表格", "在上下文中阅读"]
    labels = column_labels(at.dataframe[0])
    assert (labels["document"], labels["quote"], labels["coder"]) == ("文档", "文本段", "编码者")
    no_english(at, "ui/retrieve.py")
    # the reading view: one passage with its place in Chinese, the researcher's text unchanged
    at.session_state["ret_view"] = "read"
    at.run()
    ok(at)
    first = read(project, coding.retrieve).iloc[0]
    assert any(f"编码片段 {first['coding_id']} · 字符 {first['start']:,}–{first['end']:,} · 关联：" in c.value
               for c in at.caption)
    assert first["quote"] in [t.value for t in at.text]
    no_english(at, "ui/retrieve.py")


def test_frequencies_page_in_chinese(project, monkeypatch):
    at = chinese(project, "ui/frequencies.py", monkeypatch)
    assert at.title[0].value == "词频"
    by = at.get("button_group")[0]
    assert by.proto.label == "统计单位" and list(by.options)[0] == "语料库"
    labels = column_labels(at.dataframe[0])
    assert (labels["word"], labels["count"], labels["per_1000"], labels["documents"]) == \
        ("词语", "数量", "每千词", "文档数")
    assert "停用词" in [e.label for e in at.expander]
    no_english(at, "ui/frequencies.py")


def test_exchange_qdpx_report_in_chinese(tmp_path, monkeypatch, shared):
    from coding.exchange import import_qdpx
    from tests.test_exchange_segments_import import _project

    qdpx = shared("refi", "qdpx_toolkit_hand_authored.qdpx")
    project = tmp_path / "交换.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    engine = store.connect(str(project))
    try:
        with store.session_scope(engine) as s:
            _project(s)
            report = import_qdpx(s, qdpx.read_bytes())
    finally:
        engine.dispose()
    report = {**{k: v for k, v in report.items() if not k.startswith("_")}, "file": "样例.qdpx"}
    at = chinese(project, "ui/exchange.py", monkeypatch, {"exchange_qdpx_report": report})
    c = report["codings"]
    assert {m.label: int(m.value) for m in at.metric} == {
        "精确定位": c["placed"], "按文本迁移": c["moved"], "未定位（已保留）": c["not_placed"],
        "项目中已有": c["duplicates"]}
    assert at.success[0].value.startswith(f"样例.qdpx：导入 {report['sources']['imported']} 个来源")
    assert any(x.value.startswith("位置计数：") for x in at.caption)
    # the file's third coding of text is moved (tests/test_exchange_qdpx_import.py)
    assert [i["status"] for i in report["items"]] == ["placed", "placed", "moved"]
    table = at.dataframe[0].value
    assert {"状态", "来源", "编码者", "原因", "起点（字符）", "文件中的起点"} <= set(table.columns)
    assert list(table["状态"]) == ["已迁移"]
    # the elements not brought in: the importer's counts under Chinese names
    skipped = at.dataframe[1].value
    assert dict(zip(skipped["元素"], skipped["数量"])) == {
        "图片来源": 1, "图片选区": 1, "图片选区的编码片段": 1, "音频来源": 1, "转录稿": 1, "转录稿选区": 1,
        "转录稿选区的编码片段": 1, "音频选区": 1, "音频选区的编码片段": 1, "视频来源": 1, "视频选区": 1,
        "视频选区的编码片段": 1, "关系图": 1, "案例的代码引用": 1}
    assert at.button(key="qdpx_close").label == "关闭报告"
    no_english(at, "ui/exchange.py")


@pytest.mark.parametrize("text", ["zh_pages", "Line one of a note\nwrapped here.\n\nPage 2 of 3\nAnother paragraph."])
def test_cleaning_sentence_is_the_library_sentence_in_english(text):
    """The Documents page builds the cleaning report from the counts; in English it is word for word the
    sentence ``CleanReport.summary`` writes (what the CLI prints)."""
    from corpus.transcript_clean import clean_transcript
    from tests.test_corpus_transcript_clean import ZH_PAGES
    from ui.cleaning_text import cleaning_sentence

    _text, report = clean_transcript(ZH_PAGES if text == "zh_pages" else text)
    with i18n.using("en"):
        assert cleaning_sentence("访谈七.txt", report.as_dict()) == \
            f"访谈七.txt: {report.summary(examples=False)}"


def test_cleaning_sentence_in_chinese():
    from corpus.transcript_clean import clean_transcript
    from tests.test_corpus_transcript_clean import ZH_PAGES
    from ui.cleaning_text import cleaning_sentence

    _text, report = clean_transcript(ZH_PAGES)  # 8 line numbers, 3 page markers, 3 running lines (see that test)
    assert cleaning_sentence("访谈七.txt", report.as_dict()) == (
        "访谈七.txt：已清理：删除行号 8 处、页码标记 3 处、页眉/页脚 3 行；将 3 处硬换行合并为 5 段话语"
        "（访谈者 3, 受访者 2），共 5 个文本块。")
