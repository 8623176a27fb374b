"""The Map, Network, Report and Log-in pages, the shared run picker and the first-start page in
简体中文 (issue 12, part 1): each page runs on the demo project (with one saved connection run)
without an exception and shows its labels in Chinese — the expected words are the translator's,
written out here, not read from the catalogue — while the values the pages pass on stay the
library's English keys ("deviant", "geo", "html")."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import i18n
import store
import team
from quant.runs import saved as runs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("i18n_i3") / "demo.sqlite"
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
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page)
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _texts(at) -> list[str]:
    return ([t.value for t in at.title] + [c.value for c in at.caption] + [m.value for m in at.markdown]
            + [i.value for i in at.info] + [s.value for s in at.success])


def test_map_page_in_chinese(demo_path, monkeypatch, tmp_path):
    at = _page("ui/map.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "地图"
    assert at.expander[0].label == "导入城市边界（GeoJSON、含 WKT 的 CSV 或 .wkt）"
    source = at.radio(key="map_source")
    assert source.label == "城市对来源" and source.options == ["项目数据", "已保存的分析记录"]
    assert source.value == "project data"
    pairs = at.selectbox(key="map_pairs")
    assert pairs.label == "绘制的城市对" and pairs.options == ["有合作的城市对", "有编码证据的城市对"]
    assert at.selectbox(key="map_colour").options == ["合作 / 未合作", "合作深度", "已编码段落数"]
    assert at.selectbox(key="map_strategy").options[0] == "— 全部城市 —"
    assert any(t.endswith("个城市对") and "155 个城市" in t for t in _texts(at))  # the demo's 155 cities
    assert "生成 PNG 和 SVG" in [b.label for b in at.button]

    with i18n.using("zh"):  # the widget's format_func (translating labels) runs in the test's thread
        source.set_value("a saved run").run()
    _ok(at)
    dim = at.selectbox(key="map_dimension")
    assert dim.label == "维度" and dim.options == ["合作连接", "合作深度", "合作广度"]
    assert dim.value == "connection"
    run = at.selectbox(key="map_run")
    assert run.label == "分析记录（合作连接）" and run.value == "连接 1"
    assert run.options[0].startswith("连接 1 · logit · n = 11,935")  # the run's name is data: as saved
    pairs = at.selectbox(key="map_pairs")
    assert pairs.options == ["有合作的城市对", "偏离案例城市对（|皮尔逊残差| > c）", "有编码证据的城市对", "全部城市对"]
    with i18n.using("zh"):
        pairs.set_value("deviant").run()
    _ok(at)
    assert at.selectbox(key="map_pairs").value == "deviant"  # the value passed to map_data stays the key
    assert at.number_input(key="map_c").label == "偏离案例临界值 c（|皮尔逊残差| > c）"

    # a dimension with no run: the picker says so in Chinese and offers the default fit
    with i18n.using("zh"):
        at.selectbox(key="map_dimension").set_value("breadth").run()
    _ok(at)
    assert any(i.startswith("尚未保存合作广度的分析记录") for i in [x.value for x in at.info])
    assert "拟合默认模型并保存为分析记录" in [b.label for b in at.button]


def test_network_page_in_chinese(demo_path, monkeypatch, tmp_path):
    at = _page("ui/network.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "网络"
    layout = at.selectbox(key="net_layout")
    assert layout.label == "布局" and layout.options == ["地理位置（经纬度）", "力导向布局"]
    assert layout.value == "geo"
    assert at.number_input(key="net_seed").label == "布局随机种子"
    assert at.radio(key="net_source").options == ["项目数据", "已保存的分析记录"]
    assert any("个有合作的城市 · " in t and t.endswith("条合作连线") for t in _texts(at))
    with i18n.using("zh"):
        at.radio(key="net_source").set_value("a saved run").run()
    _ok(at)
    assert at.selectbox(key="net_dimension").options == ["合作连接", "合作深度"]
    assert at.selectbox(key="net_run").label == "分析记录（合作连接）"


def test_report_page_in_chinese_drafts_and_offers_the_download(demo_path, monkeypatch, tmp_path):
    at = _page("ui/report.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "报告"
    fmt = at.radio(key="report_format")
    assert fmt.label == "格式" and fmt.options == ["HTML", "Word (DOCX)", "Markdown"] and fmt.value == "html"
    grouping = at.radio(key="report_grouping")
    assert grouping.options == ["典型与偏离（|r| > c）", "观测结果", "拟合值三分位"]
    assert grouping.value == "case_type"
    assert at.toggle(key="report_colour").label == "按元推论为行着色"
    assert at.selectbox(key="report_runs__connection").label == "分析记录（合作连接）"
    lang = at.selectbox(key="report_language")
    assert lang.label == "草稿语言" and lang.options == ["English", "中文"]
    assert lang.value == "zh"  # a Chinese interface drafts in Chinese unless told otherwise
    with i18n.using("zh"):
        at.toggle(key="report_figures").set_value(False)
        at.radio(key="report_format").set_value("md")
        at.button(key="report_draft").click().run()
    _ok(at)
    assert at.button(key="report_draft").label == "生成报告草稿"
    download = at.get("download_button")
    assert [d.proto.label for d in download] == ["下载 Markdown"]
    preview = "\n".join(m.value for m in at.markdown)
    assert "一、研究设计" in preview and "六、结论与讨论" in preview  # the Chinese paper's sections

    # an English draft from the Chinese interface: the value passed on is "en"
    with i18n.using("zh"):
        at.selectbox(key="report_language").set_value("en")
        at.button(key="report_draft").click().run()
    _ok(at)
    preview = "\n".join(m.value for m in at.markdown)
    assert "研究设计" not in preview and "mixed-methods report (draft)" in preview


def test_login_page_in_chinese(demo_path, monkeypatch, tmp_path):
    import shutil

    path = tmp_path / "team.sqlite"
    shutil.copy(demo_path, path)
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        team.add_user(s, "Olga", "owner-pass-123", "owner")
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_TEAM", "1")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.session_state["tandem_language"] = "zh"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Tandem"]
    assert [t.label for t in at.text_input] == ["名称", "密码"]  # the lead's word for "Name"
    assert at.caption[0].value == "此工作台由团队共享。请登录后继续。"
    submit = next(b for b in at.button if b.label == "登录")
    submit.click().run()
    assert [e.value for e in at.error] == ["请输入你的名称和密码。"]


def test_history_words_and_first_start_steps_in_chinese():
    from ui import first_start, words

    snap = {"step": "segmenting", "detail": "访谈 1 (1 of 12)", "done": False, "error": None, "seconds": 3.0}
    with i18n.using("zh"):
        steps = first_start._steps_markdown(snap)
        points = words.humanize("imported document “x” (1,234 code points)")
        unknown = words.pair("not-a-number")
    assert steps.splitlines()[0] == ":material/check_circle: 城市：普查数据、边界、模拟的合作广度  "
    assert "将文档切分为句子和章节 — 访谈 1 (1 of 12)" in steps
    assert points == "imported document “x” (1,234 个字符)"
    assert unknown == "城市对 not-a-number"
    # English is unchanged
    with i18n.using("en"):
        assert words.humanize("x (7 code points)") == "x (7 characters)"
        assert words.pair("not-a-number") == "pair not-a-number"


def test_models_page_in_chinese_labels_models_and_standard_errors(demo_path, monkeypatch, tmp_path):
    at = _page("ui/models.py", demo_path, monkeypatch, tmp_path)
    assert at.title[0].value == "模型"
    dim = at.segmented_control(key="model_dimension")
    assert dim.options == ["合作广度", "合作连接", "合作深度"] and dim.value == "connection"
    model = at.selectbox(key="model_connection")
    assert model.label == "模型" and model.value == "logit"  # the value given to the fit stays the key
    assert model.options == ["logit（逻辑回归）", "probit（probit 回归）", "cloglog（互补双对数）", "firth（Firth 惩罚 logit）",
                             "poisson（泊松回归）", "gaussian（OLS 线性回归）"]  # those of a 0/1 outcome
    se = at.multiselect(key="se_connection")
    assert se.label == "标准误" and se.options == ["模型标准误", "HC0 稳健标准误", "二元稳健标准误"]
    assert se.value == ["model", "hc0", "dyadic"]
    assert at.radio(key="pv_connection").options == ["正态分布", "t 分布"]
    assert "拟合" in [b.label for b in at.button]
    # the fit made on opening: metrics, the SE choice and the regression table's headers in Chinese
    assert [m.label for m in at.metric] == ["n", "对数似然值", "AIC", "BIC", "节点数"]
    assert at.metric[0].value == "11,935"
    shown = at.radio(key="show_se_connection")
    assert shown.label == "报告的标准误" and shown.value == "dyadic"
    assert shown.options == ["模型标准误", "HC0 稳健标准误", "二元稳健标准误"]
    table = at.dataframe[0].value
    assert table.index.name == "变量项"
    assert list(table.columns)[:6] == ["估计值", "标准误", "z", "p", "95% 置信区间下限", "95% 置信区间上限"]
    assert "标准误（二元稳健标准误）" in table.columns and "标准误（模型标准误）" in table.columns
    # the dyadic-robust SE column is the SE of the table reported with dyadic SEs
    assert table["标准误"].tolist() == table["标准误（二元稳健标准误）"].tolist()
    assert [t.label for t in at.tabs] == ["边际效应", "标准化系数与 VIF", "城市影响力", "城市残差"]
    assert any(s.value.startswith("合作连接：logit（逻辑回归）") for s in at.subheader)
    assert "模型设定并列比较" in [s.value for s in at.subheader]
