"""quant.data.agreements: folding the agreement-events list into prefecture dyads."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from quant.data.agreements import fold_agreements, parse_event_date, parse_item_count
from quant.data.cities import read_table, standard_cities
from quant.data.resolver import CityResolver
from quant.errors import QuantError

# Derived by reading tongban_agreement_events_from_news.csv by hand: each party mapped to
# its prefecture (武进区 -> 常州 320400, 海门区 -> 南通 320600, 江阴市 -> 无锡 320200,
# 崇阳县 -> 咸宁 421200, 临湘市 -> 岳阳 430600, 东明县 -> 菏泽 371700, 濮阳县 -> 濮阳 410900,
# 福鼎市 -> 宁德 350900, 苍南县 -> 温州 330300, 光明区 -> 深圳 440300, 金平区 -> 汕头 440500).
# (city_a, city_b): (event, items, date)
EXPECTED = {
    ("320400", "320900"): ("E01", 26.0, "2021-04-23"),  # 常州–盐城
    ("320400", "320600"): ("E01", 26.0, "2021-04-23"),  # 常州–南通
    ("320200", "320400"): ("E01", 26.0, "2021-04-23"),  # 无锡–常州
    ("320400", "321300"): ("E01", 26.0, "2021-04-23"),  # 常州–宿迁
    ("320400", "320800"): ("E01", 26.0, "2021-04-23"),  # 常州–淮安
    ("320400", "340800"): ("E01", 26.0, "2021-04-23"),  # 常州–安庆
    ("421200", "430600"): ("E02", math.nan, "2021-03-30"),  # 咸宁–岳阳, items "not stated"
    ("371700", "410900"): ("E03", 70.0, "2021-05-28"),  # 菏泽–濮阳, "70+ (...)"
    ("350600", "445100"): ("E04", 60.0, "2021-04"),  # 漳州–潮州, "by 2021-04"
    ("330300", "350900"): ("E05", 36.0, "2021-04"),  # 温州–宁德
    ("420100", "420200"): ("E06", math.nan, "2021-04-21"),  # 武汉–黄石
    ("340100", "430100"): ("E07", math.nan, "2023"),  # 合肥–长沙
    ("440300", "440500"): ("E08", math.nan, "2023-12"),  # 深圳–汕头
}

# (data row, event): rows that yield no dyad of the study set, and a word of the reason.
EXPECTED_DROPPED = [
    (7, "E01", "上海市宝山区", "no adcode"),
    (15, "E09", "广东省", "province-level"),
    (16, "E10", "福建省", "province-level"),
    (17, "E11", "绵阳市", "no adcode"),
]


@pytest.fixture
def resolver(shared):
    return CityResolver(standard_cities(shared("cities", "cities_southeast.csv")))


@pytest.fixture
def events_path(shared):
    return shared("dyads", "tongban_agreement_events_from_news.csv")


def test_agreements_fold_real_file_gives_expected_dyads(resolver, events_path):
    dyads, report = fold_agreements(events_path, resolver)
    assert list(dyads.columns) == ["city_a", "city_b", "n_events", "n_items_max", "first_date", "event_ids"]
    got = {(r.city_a, r.city_b): r for r in dyads.itertuples()}
    assert set(got) == set(EXPECTED)
    for pair, (event, items, date) in EXPECTED.items():
        row = got[pair]
        assert row.event_ids == event and row.n_events == 1
        assert (math.isnan(items) and math.isnan(row.n_items_max)) or row.n_items_max == items
        assert row.first_date == date
    assert (dyads["city_a"] < dyads["city_b"]).all()
    assert dyads[["city_a", "city_b"]].apply(tuple, axis=1).tolist() == sorted(EXPECTED)


def test_agreements_fold_real_file_reports_dropped_rows(resolver, events_path):
    _, report = fold_agreements(events_path, resolver)
    assert list(report.columns) == ["row", "event_id", "party_a_unit", "party_b_unit", "reason"]
    assert len(report) == len(EXPECTED_DROPPED)
    raw = read_table(events_path)
    assert len(raw) == len(EXPECTED) + len(EXPECTED_DROPPED)  # nothing vanishes: 13 folded + 4 reported
    for row, (line, event, unit, why) in zip(report.itertuples(), EXPECTED_DROPPED):
        assert (row.row, row.event_id) == (line, event)
        assert unit in (row.party_a_unit, row.party_b_unit)
        assert unit in row.reason and why in row.reason


def test_agreements_by_unit_names_only(resolver, events_path):
    raw = read_table(events_path)
    names_only = raw.drop(columns=[c for c in raw.columns if c.endswith(("_adcode", "_prefecture"))])
    dyads, report = fold_agreements(names_only, resolver)
    # Only units whose names start with a city's full name resolve: 常州市武进区, 南通市海门区,
    # 深圳市光明区, 汕头市金平区 and the prefecture names themselves.
    assert set(zip(dyads["city_a"], dyads["city_b"])) == {
        ("320400", "320900"), ("320400", "320600"), ("320400", "321300"), ("320400", "320800"),
        ("320400", "340800"), ("350600", "445100"), ("420100", "420200"), ("340100", "430100"),
        ("440300", "440500"),
    }
    dropped = dict(zip(report["row"], report["reason"]))
    assert set(dropped) == {3, 7, 8, 9, 11, 15, 16, 17}
    assert "江阴市" in dropped[3] and "崇阳县" in dropped[8] and "临湘市" in dropped[8]


def test_agreements_aggregate_events_and_flag_problems(resolver):
    rows = pd.DataFrame({
        "event_id": ["X1", "X1", "X2", "X3", "X4", "X5"],
        "date": ["2022-05-01", "2022-05-01", "by 2021-11", "2023", "2022", "2022"],
        "party_a_unit": ["常州市武进区", "常州市", "盐城市", "常州市武进区", "南京市", "Suzhou"],
        "party_b_unit": ["盐城市", "盐城市东台市", "常州市", "常州市天宁区", "合肥市", "南京市"],
        "both_in_155_set": ["yes", "yes", "yes", "yes", "no", "yes"],
        "n_items_reported": ["12", "40 (second batch)", "about twenty", "5", "3", "1"],
    })
    dyads, report = fold_agreements(rows, resolver)
    assert len(dyads) == 1
    d = dyads.iloc[0]
    assert (d.city_a, d.city_b) == ("320400", "320900")
    assert d.n_events == 2 and d.n_items_max == 40.0  # X1 (two rows) and X2
    assert d.first_date == "2021-11" and d.event_ids == "X1;X2"
    reasons = dict(zip(report["event_id"], report["reason"]))
    assert set(reasons) == {"X3", "X4", "X5"}
    assert "same prefecture" in reasons["X3"] and "常州市 320400" in reasons["X3"]
    assert "both_in_155_set says no" in reasons["X4"]
    assert "ambiguous" in reasons["X5"] and "宿州市 341300" in reasons["X5"]


def test_agreements_restrict_to_reports_outside_pairs(resolver, events_path):
    jiangsu = [c for c in resolver.codes if c.startswith("32")]
    dyads, report = fold_agreements(events_path, resolver, restrict_to=jiangsu)
    assert set(zip(dyads["city_a"], dyads["city_b"])) == {p for p in EXPECTED if p[0][:2] == p[1][:2] == "32"}
    assert len(dyads) + len(report) == 17
    assert "安庆市 340800 outside the restricted city set" in set(report["reason"])


def test_agreements_parse_items_and_dates():
    assert parse_item_count("26 (first batch, enterprise-related)") == 26.0
    assert parse_item_count("70+ (东明 total across partners)") == 70.0
    assert parse_item_count(26) == 26.0
    assert math.isnan(parse_item_count("not stated"))
    assert math.isnan(parse_item_count(None)) and math.isnan(parse_item_count(float("nan")))
    assert parse_event_date("2021-04-23") == "2021-04-23"
    assert parse_event_date("by 2021-4") == "2021-04"
    assert parse_event_date("2023") == "2023"
    assert parse_event_date("unknown") is None


def test_agreements_refuses_a_table_of_another_shape(resolver):
    with pytest.raises(QuantError, match="party_b_unit"):
        fold_agreements(pd.DataFrame({"event_id": ["E1"], "party_a_unit": ["南京市"]}), resolver)
