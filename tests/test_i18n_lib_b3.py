"""Library messages of quant/ in 简体中文 (issue 12, B3): errors raised by loading and fitting, the
run status sentence, the fit header and plain-text summary; the city-table reader's Chinese headers;
and a lint that fails on an unmarked message in quant/.

The Chinese expectations are written here by hand (not read back from the catalogue)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

import i18n
import store
from i18n import lint
from quant.data import project as qdata
from quant.runs import saved as runs
from quant.errors import QuantError
from quant.data.loading import load_cities
from quant_small_project import build

ROOT = Path(__file__).resolve().parent.parent


def test_quant_has_no_unmarked_library_message():
    found = {str(p.relative_to(ROOT)): lint.unmarked_library(p) for p in sorted((ROOT / "quant").rglob("*.py"))}
    assert {k: v for k, v in found.items() if v} == {}


# --- the city-table reader understands Chinese headers ------------------------------------------

def test_chinese_header_city_table_loads_names_provinces_and_attributes(engine, tmp_path):
    csv = tmp_path / "城市.csv"
    csv.write_text("代码,城市,省份,纬度,经度,人口\n"
                   "440100,广州市,广东省,23.13,113.26,1873\n"
                   "440600,佛山市,广东省,23.02,113.12,961\n"
                   "350200,厦门市,福建省,24.48,118.09,528\n", encoding="utf-8")
    with store.session_scope(engine) as s:
        load_cities(s, csv)
    with store.session_scope(engine) as s:
        cities = qdata.city_frame(s).set_index("code")
    assert cities.loc["440600", "name"] == "佛山市"
    assert cities.loc["350200", "province"] == "福建省"
    assert cities.loc["440100", "lat"] == pytest.approx(23.13)
    assert cities.loc["440100", "lon"] == pytest.approx(113.26)
    assert cities.loc["350200", "人口"] == 528
    # a second table names its cities under 城市名称 (resolved against the project's cities)
    attrs = tmp_path / "属性.csv"
    attrs.write_text("城市名称,GDP\n佛山市,12698\n广州市,28839\n", encoding="utf-8")
    with store.session_scope(engine) as s:
        load_cities(s, attrs)
    with store.session_scope(engine) as s:
        cities = qdata.city_frame(s).set_index("code")
    assert cities.loc["440600", "GDP"] == 12698 and cities.loc["440100", "GDP"] == 28839
    assert pd.isna(cities.loc["350200", "GDP"])


# --- errors in the current language --------------------------------------------------------------

def test_city_table_errors_in_chinese(engine):
    dup = pd.DataFrame({"代码": ["440100", "440100"], "城市": ["广州市", "广州市"]})
    with i18n.using("zh"), store.session_scope(engine) as s:
        with pytest.raises(QuantError) as err:
            load_cities(s, dup)
        assert str(err.value) == "城市表中有 1 个城市重复出现：440100 (第 1 行, 第 2 行)。"
        with pytest.raises(QuantError) as err:
            load_cities(s, pd.DataFrame({"代码": [], "城市": []}))
        assert str(err.value) == "城市表没有任何行。"
        with pytest.raises(QuantError) as err:
            load_cities(s, pd.DataFrame({"代码": ["440100"], "人口": [1]}))
        assert str(err.value) == ("有 1 个城市不在项目中，且表中没有给出其名称：440100；"
                                  "请先载入城市列表（代码和名称）。")
    with store.session_scope(engine) as s:  # English unchanged
        with pytest.raises(QuantError, match=r"^the city table lists 1 city more than once: 440100 \(row 1, row 2\)\.$"):
            load_cities(s, dup)


@pytest.fixture
def proj(engine):
    build(engine)
    return engine


def test_fit_errors_in_chinese(proj):
    with i18n.using("zh"), store.session_scope(proj) as s:
        with pytest.raises(QuantError) as err:
            runs.fit_and_save(s, "w", "width")
        assert str(err.value) == "未知维度“width”；请从 breadth, connection, degree 中选择。"
        with pytest.raises(QuantError) as err:
            runs.fit_and_save(s, "f", "connection", formula="connection + log_distance")
        assert str(err.value) == "公式 'connection + log_distance'中没有分隔结果变量与各项的“~”。"
        with pytest.raises(QuantError) as err:
            runs.load_run(s, "没有这个")
        assert str(err.value) == "没有名为“没有这个”的分析记录。目前还没有保存任何分析记录；请先保存一个拟合。"


def test_run_status_sentence_follows_the_language_of_each_call(proj):
    with store.session_scope(proj) as s:
        runs.fit_and_save(s, "连接 1", "connection", formula="connection ~ log_distance")
    with store.session_scope(proj) as s:
        assert runs.run_status(s, "连接 1")["message"] == "The run '连接 1' describes the project's current data."
        with i18n.using("zh"):  # the cached status, now in Chinese
            assert runs.run_status(s, "连接 1")["message"] == "分析记录“连接 1”描述的是项目当前的数据。"
    with proj.begin() as con:
        con.execute(text("UPDATE dyad_attributes SET value = value + 1 WHERE name = 'log_distance'"))
    with i18n.using("zh"), store.session_scope(proj) as s:
        status = runs.run_status(s, "连接 1")
        assert status["stale"] is True
        assert status["message"] == ("分析记录“连接 1”拟合之后数据已发生变化；其估计值描述的是先前的数据。"
                                     "请重新拟合以更新。")
        assert runs.list_runs(s, with_status=True)["status"].tolist() == [status["message"]]


def test_fit_header_names_the_outcome_when_it_is_not_the_dimensions(proj):
    with store.session_scope(proj) as s:
        _, own = runs.fit_and_save(s, "c", "connection", formula="connection ~ log_distance")
        _, other = runs.fit_and_save(s, "t", "connection", formula="shared_border ~ log_distance")
    assert own.title() == "connection: logit"
    assert other.title() == "Outcome shared_border (connection): logit"
    with i18n.using("zh"):
        assert own.title() == "合作连接：logit"
        assert other.title(model_label="logit（逻辑回归）") == "结果变量 shared_border（合作连接）：logit（逻辑回归）"
        summary = own.summary_text()
    first, stats = summary.splitlines()[:2]
    assert first == "合作连接 · logit · connection ~ log_distance"
    assert stats.startswith(f"n = {own.n}，节点 = {own.n_nodes}，对数似然 = ")
    assert "标准误：" in summary and "p 值与置信区间：标准正态分布" in summary
    head, rule = summary.splitlines()[3:5]  # Chinese labels take two terminal columns each
    assert head.startswith("变量项") and "[95% 置信区间]" in head
    assert sum(2 if unicodedata.east_asian_width(c) == "W" else 1 for c in head) == len(rule)
    assert own.summary_text().splitlines()[1].startswith(f"n = {own.n}, nodes = {own.n_nodes}, log-likelihood = ")  # English
