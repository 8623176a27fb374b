"""quant.formula.nodes: node-attribute operators inside dyad formulas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quant.data.cities import standard_cities
from quant.data.dyads import build_dyads
from quant.errors import DyadError, QuantError, UnknownCityError
from quant.formula.nodes import find_operator_terms, prepare_dyad_formula


@pytest.fixture
def nodes():
    return pd.DataFrame({
        "code": ["1", "2", "3"],
        "log_pop": [1.0, 4.0, 10.0],
        "urban_share": [0.5, 0.25, 0.75],
        "province": ["p", "p", "q"],
        "capital": [1, 0, 1],
    })


@pytest.fixture
def dyads():
    # rows deliberately not in (city_a, city_b) order
    return pd.DataFrame({
        "city_a": ["2", "1", "1"],
        "city_b": ["3", "2", "3"],
        "connection": [1, 0, 1],
        "distance_km": [30.0, 10.0, 20.0],
    })


def test_formula_rewrites_operators_and_builds_columns(nodes, dyads):
    formula, data, warns = prepare_dyad_formula(
        "connection ~ sum(log_pop) + absdiff(urban_share) + distance_km", dyads, nodes)
    assert formula == "connection ~ sum_log_pop + absdiff_urban_share + distance_km"
    assert warns == []
    # rows keep the dyad table's order: (2,3), (1,2), (1,3)
    assert data["sum_log_pop"].tolist() == [14.0, 5.0, 11.0]
    assert data["absdiff_urban_share"].tolist() == [0.5, 0.25, 0.25]
    assert data["connection"].tolist() == [1, 0, 1]
    assert "sum_log_pop" not in dyads.columns  # the input is not modified


def test_formula_all_operators_hand_checked(nodes, dyads):
    formula, data, _ = prepare_dyad_formula(
        "connection ~ min(log_pop) + max(log_pop) + product(log_pop) + same(province) + both(capital)",
        dyads, nodes)
    assert formula == "connection ~ min_log_pop + max_log_pop + product_log_pop + same_province + both_capital"
    assert data["min_log_pop"].tolist() == [4.0, 1.0, 1.0]
    assert data["max_log_pop"].tolist() == [10.0, 4.0, 10.0]
    assert data["product_log_pop"].tolist() == [40.0, 4.0, 10.0]
    assert data["same_province"].tolist() == [0.0, 1.0, 0.0]
    assert data["both_capital"].tolist() == [0.0, 0.0, 1.0]


def test_formula_agrees_with_build_dyads(shared):
    cities = standard_cities(shared("cities", "cities_southeast.csv"))
    cities["lat_x2"] = cities["lat"] * 2
    built = build_dyads(cities, ops={"sum": ["lat_x2"], "absdiff": ["lon"]})
    _, data, _ = prepare_dyad_formula("same_province ~ sum(lat_x2) + absdiff(lon) + distance_km",
                                      built[["city_a", "city_b", "same_province", "distance_km"]], cities)
    np.testing.assert_array_equal(data["sum_lat_x2"], built["sum_lat_x2"])
    np.testing.assert_array_equal(data["absdiff_lon"], built["absdiff_lon"])


def test_formula_collinear_set_is_warned(nodes, dyads):
    _, _, warns = prepare_dyad_formula(
        "connection ~ sum(log_pop) + absdiff(log_pop) + min(log_pop) + max(log_pop)", dyads, nodes)
    assert len(warns) == 1 and "'log_pop' are exactly collinear" in warns[0]


def test_formula_unknown_variable_is_named(nodes, dyads):
    with pytest.raises(QuantError, match="'gdp' is not a city attribute"):
        prepare_dyad_formula("connection ~ sum(gdp) + distance_km", dyads, nodes)
    with pytest.raises(QuantError, match="'log_pop'.*use sum"):
        prepare_dyad_formula("connection ~ log_pop", dyads, nodes)
    with pytest.raises(QuantError, match="'migration'"):
        prepare_dyad_formula("connection ~ migration + sum(log_pop)", dyads, nodes)
    with pytest.raises(QuantError, match="no '~'"):
        prepare_dyad_formula("sum(log_pop)", dyads, nodes)


def test_formula_leaves_other_functions_alone(nodes, dyads):
    text = "connection ~ np.log(distance_km) + I(distance_km ** 2) + C(same(province), Treatment('x')) + np.sqrt(distance_km)"
    assert find_operator_terms(text) == [("same", "province")]
    assert find_operator_terms("connection ~ np.max(distance_km)") == []  # module prefix: not an operator
    formula, data, _ = prepare_dyad_formula(text, dyads, nodes)
    assert formula == ("connection ~ np.log(distance_km) + I(distance_km ** 2) + C(same_province, Treatment('x'))"
                       " + np.sqrt(distance_km)")
    assert "same_province" in data.columns
    # numpy functions outside the allowlist are refused before anything is built (quant.formula.guard)
    with pytest.raises(QuantError, match=r"`np\.max`"):
        prepare_dyad_formula("connection ~ np.max(distance_km)", dyads, nodes)


def test_formula_dyads_naming_unknown_cities(nodes, dyads):
    with pytest.raises(UnknownCityError, match="9"):
        prepare_dyad_formula("connection ~ sum(log_pop)", dyads.assign(city_b=["3", "9", "3"]), nodes)
    with pytest.raises(DyadError, match="repeats"):
        prepare_dyad_formula("connection ~ sum(log_pop)", dyads, pd.concat([nodes, nodes.iloc[:1]]))
