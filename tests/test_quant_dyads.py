"""quant.data.dyads: all pairs, covariates from node attributes, dyad tables, breadth."""
from __future__ import annotations

import csv
import itertools
import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from quant.data.cities import standard_cities
from quant.data.resolver import CityResolver
from quant.data.dyads import (
    EARTH_RADIUS_KM,
    CollinearityWarning,
    all_pairs,
    breadth_from_dyads,
    build_dyads,
    great_circle_km,
    read_dyad_table,
)
from quant.errors import AmbiguousCityError, DyadError, QuantError, UnknownCityError


@pytest.fixture
def cities(shared):
    return standard_cities(shared("cities", "cities_southeast.csv"))


@pytest.fixture
def three():
    """Three nodes whose dyad covariates are worked out by hand in the tests."""
    return pd.DataFrame({
        "code": ["3", "1", "2"],  # unsorted on purpose
        "x": [10.0, 1.0, 4.0],
        "g": ["q", "p", "p"],
        "d": [1, 1, 0],
    })


def test_dyads_great_circle_known_values():
    one_degree = 2 * math.pi * EARTH_RADIUS_KM / 360  # 111.19508... km
    assert great_circle_km(0, 0, 0, 1) == pytest.approx(one_degree, rel=1e-12)
    assert great_circle_km(0, 179.5, 0, -179.5) == pytest.approx(one_degree, rel=1e-9)  # across the antimeridian
    assert great_circle_km(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-12)
    assert great_circle_km(31.2, 121.5, 31.2, 121.5) == 0.0
    out = great_circle_km(np.zeros(3), np.zeros(3), np.zeros(3), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(out, one_degree * np.array([1, 2, 3]), rtol=1e-12)
    assert np.isnan(great_circle_km(np.nan, 0, 0, 0))


def test_dyads_nanjing_suzhou_distance_matches_hand_haversine(shared, cities):
    with open(shared("cities", "cities_southeast.csv"), encoding="utf-8") as fh:
        rows = {r["adcode"]: r for r in csv.DictReader(fh)}
    p1, l1 = math.radians(float(rows["320100"]["lat"])), math.radians(float(rows["320100"]["lon"]))
    p2, l2 = math.radians(float(rows["320500"]["lat"])), math.radians(float(rows["320500"]["lon"]))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    hand = 2 * 6371.0088 * math.asin(math.sqrt(h))
    dyads = build_dyads(cities).set_index(["city_a", "city_b"])
    assert dyads.loc[("320100", "320500"), "distance_km"] == pytest.approx(hand, rel=1e-12)
    assert 180 < hand < 200  # 南京–苏州 city seats are about 190 km apart


def test_dyads_build_155_cities_gives_11935_pairs_once(cities):
    dyads = build_dyads(cities)
    assert len(dyads) == 155 * 154 // 2 == 11935
    assert list(dyads.columns) == ["city_a", "city_b", "distance_km", "log_distance", "same_province"]
    assert np.allclose(np.exp(dyads["log_distance"]), dyads["distance_km"])
    assert (dyads["city_a"] < dyads["city_b"]).all()
    pairs = set(zip(dyads["city_a"], dyads["city_b"]))
    assert pairs == {tuple(sorted(p)) for p in itertools.combinations(cities["code"], 2)}
    # same province: sum over provinces of C(n_p, 2)
    expected_same = sum(n * (n - 1) // 2 for n in Counter(cities["province"]).values())
    assert dyads["same_province"].sum() == expected_same
    assert dyads["distance_km"].notna().all() and (dyads["distance_km"] > 0).all()


def test_dyads_all_pairs_sorted_and_refuses_duplicates():
    pairs = all_pairs([30, "10", 20])
    assert list(map(tuple, pairs.to_numpy())) == [("10", "20"), ("10", "30"), ("20", "30")]
    assert len(all_pairs(["a"])) == 0
    with pytest.raises(DyadError, match="10"):
        all_pairs(["10", 10, "20"])


def test_dyads_operators_hand_checked(three):
    ops = {"sum": ["x"], "absdiff": ["x"], "product": ["x"], "same": ["g"], "both": ["d"]}
    dyads = build_dyads(three, ops=ops)
    assert dyads[["city_a", "city_b"]].to_numpy().tolist() == [["1", "2"], ["1", "3"], ["2", "3"]]
    # x: 1 -> 1, 2 -> 4, 3 -> 10; g: p, p, q; d: 1, 0, 1
    assert dyads["sum_x"].tolist() == [5.0, 11.0, 14.0]
    assert dyads["absdiff_x"].tolist() == [3.0, 9.0, 6.0]
    assert dyads["product_x"].tolist() == [4.0, 10.0, 40.0]
    assert dyads["same_g"].tolist() == [1.0, 0.0, 0.0]
    assert dyads["both_d"].tolist() == [0.0, 1.0, 0.0]
    minmax = build_dyads(three, ops={"min": ["x"], "max": ["x"]})
    assert minmax["min_x"].tolist() == [1.0, 1.0, 4.0]
    assert minmax["max_x"].tolist() == [4.0, 10.0, 10.0]
    assert "distance_km" not in dyads.columns  # no coordinates in the node table


def test_dyads_missing_node_values_propagate(three):
    nodes = three.assign(x=[10.0, np.nan, 4.0], g=["q", None, "p"], d=[1, np.nan, 0])
    dyads = build_dyads(nodes, ops={"sum": ["x"], "same": ["g"], "both": ["d"]})
    assert np.isnan(dyads["sum_x"].to_numpy()[:2]).all() and dyads["sum_x"].iloc[2] == 14.0
    assert np.isnan(dyads["same_g"].to_numpy()[:2]).all() and dyads["same_g"].iloc[2] == 0.0
    assert np.isnan(dyads["both_d"].to_numpy()[:2]).all() and dyads["both_d"].iloc[2] == 0.0


def test_dyads_collinear_set_warns(three):
    with pytest.warns(CollinearityWarning, match="sum, absdiff and min of 'x'"):
        out = build_dyads(three, ops={"sum": ["x"], "absdiff": ["x"], "min": ["x"]})
    assert len(out.attrs["warnings"]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build_dyads(three, ops={"sum": ["x"], "absdiff": ["x"]}).attrs["warnings"] == []
        assert build_dyads(three, ops={"min": ["x"], "max": ["x"], "sum": ["d"]}).attrs["warnings"] == []


def test_dyads_bad_requests_are_named(three):
    with pytest.raises(QuantError, match="Unknown dyad construction 'x'"):
        build_dyads(three, ops={"x": ["sum"]})
    with pytest.raises(QuantError, match="'pop' is not a node attribute"):
        build_dyads(three, ops={"sum": ["pop"]})
    with pytest.raises(QuantError, match="holds text"):
        build_dyads(three, ops={"sum": ["g"]})
    with pytest.raises(QuantError, match="0/1"):
        build_dyads(three, ops={"both": ["x"]})
    with pytest.raises(DyadError, match="repeats"):
        build_dyads(pd.concat([three, three.iloc[:1]]))


def test_dyads_read_dyad_table_folds_reversed_rows(cities):
    resolver = CityResolver(cities)
    table = pd.DataFrame({"from": ["苏州", "320100", "Wuhan"], "to": ["南京市", 340100, "Hefei"], "tie": ["1", "0", "1"]})
    out = read_dyad_table(table, "from", "to", resolver=resolver)
    # row 1 (320500, 320100) and row 3 (420100, 340100) are folded to city_a < city_b
    assert out[["city_a", "city_b"]].to_numpy().tolist() == [
        ["320100", "320500"], ["320100", "340100"], ["340100", "420100"]]
    assert out["tie"].tolist() == [1, 0, 1]
    assert list(out.columns) == ["city_a", "city_b", "tie"]
    ids = read_dyad_table(table.iloc[[1]], "from", "to")  # no resolver: ids kept as strings
    assert ids[["city_a", "city_b"]].to_numpy().tolist() == [["320100", "340100"]]


def test_dyads_read_dyad_table_self_pair_is_an_error():
    table = pd.DataFrame({"i": ["a", "b", "c", "d"], "j": ["b", "b", "a", "d"]})
    with pytest.raises(DyadError) as info:
        read_dyad_table(table, "i", "j")
    assert "row 2, row 4" in str(info.value)


def test_dyads_read_dyad_table_duplicates_refused_or_aggregated(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("i,j,items,label\n2,1,3,x\n1,2,5,y\n1,3,4,z\n3,1,,w\n2,3,7,v\n", encoding="utf-8")
    with pytest.raises(DyadError) as info:
        read_dyad_table(path, "i", "j")
    msg = str(info.value)
    assert "1–2 (row 1, row 2)" in msg and "1–3 (row 3, row 4)" in msg
    expected = {"sum": [8.0, 4.0, 7.0], "max": [5.0, 4.0, 7.0], "mean": [4.0, 4.0, 7.0], "first": [3.0, 4.0, 7.0]}
    for how, items in expected.items():
        out = read_dyad_table(path, "i", "j", aggregate=how)
        assert out[["city_a", "city_b"]].to_numpy().tolist() == [["1", "2"], ["1", "3"], ["2", "3"]]
        assert out["items"].astype(float).tolist() == items, how
        assert out["label"].tolist() == ["x", "z", "v"]  # text keeps the first value
    with pytest.raises(QuantError, match="median"):
        read_dyad_table(path, "i", "j", aggregate="median")


def test_dyads_read_dyad_table_lists_every_bad_city(cities):
    resolver = CityResolver(cities)
    table = pd.DataFrame({"a": ["苏州", "Suzhou", "南京"], "b": ["Atlantis", "合肥", "Taizhou"]})
    with pytest.raises(UnknownCityError) as info:
        read_dyad_table(table, "a", "b", resolver=resolver)
    msg = str(info.value)
    assert "row 2 a: 'Suzhou' is ambiguous" in msg
    assert "row 1 b: 'Atlantis'" in msg
    assert "row 3 b: 'Taizhou' is ambiguous" in msg
    with pytest.raises(AmbiguousCityError):
        read_dyad_table(table.iloc[1:2], "a", "b", resolver=resolver)
    with pytest.raises(QuantError, match="no column 'c'"):
        read_dyad_table(table, "a", "c")


def test_dyads_florentine_table_as_any_units(shared):
    dyads = read_dyad_table(shared("validation", "florentine_dyads.csv"), "i", "j")
    families = sorted(set(dyads["city_a"]) | set(dyads["city_b"]))
    assert len(families) == 16 and len(dyads) == 120  # 16·15/2
    assert dyads["tie"].sum() == 20
    assert (dyads["tie"] * dyads["w_sum"]).sum() == 2168  # quant.md §5
    breadth = breadth_from_dyads(dyads, outcome="tie", codes=families).set_index("code")["breadth"]
    assert breadth.sum() == 2 * 20
    assert breadth["Medici"] == 6 and breadth["Pucci"] == 0  # Padgett's marriage network


def test_dyads_breadth_from_dyads_counts_partners():
    dyads = pd.DataFrame({"city_a": ["1", "1", "2", "3"], "city_b": ["2", "3", "3", "4"], "connection": [1, 0, 1, 1]})
    out = breadth_from_dyads(dyads)
    assert out.to_dict("list") == {"code": ["1", "2", "3", "4"], "breadth": [1, 2, 2, 1]}
    full = breadth_from_dyads(dyads, codes=["5", "4", "3", "2", "1"])
    assert full.to_dict("list") == {"code": ["1", "2", "3", "4", "5"], "breadth": [1, 2, 2, 1, 0]}
    assert breadth_from_dyads(dyads, outcome=None)["breadth"].tolist() == [2, 2, 3, 1]
    with pytest.raises(DyadError, match="outside"):
        breadth_from_dyads(dyads, codes=["1", "2"])
    with pytest.raises(DyadError, match="repeats"):
        breadth_from_dyads(pd.concat([dyads, dyads.iloc[:1].rename(columns={"city_a": "city_b", "city_b": "city_a"})]))
    with pytest.raises(DyadError, match="missing"):
        breadth_from_dyads(dyads.assign(connection=[1, None, 0, 1]))
