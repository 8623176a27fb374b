"""quant.data.project: cities and dyads in the project store."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

import store
from quant.data import project as data
from quant.data.cities import load_city_table, standard_cities
from quant.data.resolver import CityResolver
from quant.data.dyads import build_dyads
from quant.errors import DyadError, QuantError, UnknownCityError


@pytest.fixture
def city_table(shared):
    """The 155 cities with their 2020/2010 census figures (joined by city_code)."""
    cities = standard_cities(shared("cities", "cities_southeast.csv"))
    census = load_city_table(shared("cities", "census2020_city_southeast.csv"), resolver=CityResolver(cities))
    return cities.merge(census.drop(columns=["province"]), on="code", how="left", validate="1:1")


@pytest.fixture
def dyad_table(city_table):
    """All 11,935 dyads with 12 attributes: geography, constructions, seeded outcomes."""
    nodes = city_table.assign(log_pop=np.log(city_table["popu_2020"]))
    dyads = build_dyads(nodes, ops={
        "sum": ["log_pop", "age_60_2020"], "absdiff": ["log_pop", "age_60_2020"],
        "product": ["log_pop"], "max": ["household_2020", "age_65_2020"], "min": ["male_female_2020"],
    })
    rng = np.random.default_rng(20240501)
    connection = rng.binomial(1, 0.05, len(dyads))
    dyads["connection"] = connection
    dyads["degree"] = np.where(connection == 1, rng.poisson(20, len(dyads)) + 1, np.nan)
    return dyads


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_data_cities_round_trip(engine, city_table):
    with store.session_scope(engine) as s:
        assert data.save_cities(s, city_table) == 155
    with store.session_scope(engine) as s:
        back = data.city_frame(s)
        assert _count(s, store.City) == 155
        assert _count(s, store.CityAttribute) == 155 * (city_table.shape[1] - 7)
    expected = city_table.sort_values("code").reset_index(drop=True)
    numeric = [c for c in expected.columns[7:] if pd.api.types.is_numeric_dtype(expected[c])]
    expected = expected.astype({c: "float64" for c in numeric})  # attributes are stored as floats
    assert list(back.columns[:7]) == ["code", "name", "short_name", "pinyin", "province", "lat", "lon"]
    assert sorted(back.columns[7:]) == list(back.columns[7:]) == sorted(expected.columns[7:])
    pd.testing.assert_frame_equal(back, expected[back.columns])
    assert back["city"].dtype == "str"  # the census's own name column: a text attribute
    assert pd.isna(back.set_index("code").loc["411600", "popu_urban_2020"])  # missing stays missing


def test_data_dyads_round_trip(engine, city_table, dyad_table):
    with store.session_scope(engine) as s:
        data.save_cities(s, city_table)
        assert data.save_dyads(s, dyad_table) == 11935
    with store.session_scope(engine) as s:
        back = data.dyad_frame(s)
        assert _count(s, store.Dyad) == 11935
        assert _count(s, store.DyadAttribute) == 11935 * (dyad_table.shape[1] - 2)
    assert dyad_table.shape[1] - 2 == 13
    assert back["dyad_id"].is_unique and back["dyad_id"].dtype == "int64"
    expected = dyad_table.astype({c: "float64" for c in dyad_table.columns[2:]})
    pd.testing.assert_frame_equal(back.drop(columns="dyad_id"), expected[["city_a", "city_b"] + sorted(expected.columns[2:])])
    with store.session_scope(engine) as s:
        two = data.dyad_frame(s, columns=["degree", "connection"])
        assert list(two.columns) == ["dyad_id", "city_a", "city_b", "degree", "connection"]
        with pytest.raises(QuantError, match="'gdp'"):
            data.dyad_frame(s, columns=["connection", "gdp"])
        summary = data.project_summary(s)
    assert summary["n_cities"] == 155 and summary["n_dyads"] == 11935
    assert summary["dyad_attributes"] == sorted(dyad_table.columns[2:])
    assert "popu_2020" in summary["city_attributes"] and "name" not in summary["city_attributes"]


def test_data_save_cities_updates_and_validates(engine):
    base = pd.DataFrame({"code": ["1", "2"], "name": ["A市", "B市"], "gdp": [1.5, 2.0], "tier": ["x", "y"]})
    with store.session_scope(engine) as s:
        data.save_cities(s, base)
        # an attribute-only table for known cities: names untouched, gdp replaced, tier kept
        data.save_cities(s, pd.DataFrame({"code": [2], "gdp": [7.0], "rank": [3]}))
        frame = data.city_frame(s).set_index("code")
        assert frame.loc["2", "name"] == "B市" and frame.loc["2", "gdp"] == 7.0 and frame.loc["1", "gdp"] == 1.5
        assert frame.loc["2", "tier"] == "y" and frame.loc["2", "rank"] == 3.0 and pd.isna(frame.loc["1", "rank"])
        with pytest.raises(QuantError, match="no name for them: 3"):
            data.save_cities(s, pd.DataFrame({"code": ["1", "3"], "gdp": [0.0, 1.0]}))
        assert data.city_frame(s).set_index("code").loc["1", "gdp"] == 1.5  # nothing written
        with pytest.raises(QuantError, match="repeats"):
            data.save_cities(s, pd.DataFrame({"code": ["1", "1"], "name": ["A", "A"]}))
        with pytest.raises(QuantError, match="lat is not a number for 1"):
            data.save_cities(s, pd.DataFrame({"code": ["1"], "name": ["A"], "lat": ["north"]}))


def test_data_save_dyads_validates_before_writing(engine):
    with store.session_scope(engine) as s:
        data.save_cities(s, pd.DataFrame({"code": ["1", "2", "3"], "name": ["A", "B", "C"]}))
        with pytest.raises(UnknownCityError, match="2 cities not in the project: 8, 9"):
            data.save_dyads(s, pd.DataFrame({"city_a": ["1", "9", "8"], "city_b": ["2", "1", "3"], "w": [1, 2, 3]}))
        with pytest.raises(DyadError, match="row"):
            data.save_dyads(s, pd.DataFrame({"city_a": ["1", "2"], "city_b": ["2", "2"]}))
        with pytest.raises(DyadError, match="1–2"):
            data.save_dyads(s, pd.DataFrame({"city_a": ["1", "2"], "city_b": ["2", "1"]}))
        assert _count(s, store.Dyad) == 0 and _count(s, store.DyadAttribute) == 0


def test_data_save_dyads_replace_or_update_attributes(engine):
    with store.session_scope(engine) as s:
        data.save_cities(s, pd.DataFrame({"code": ["1", "2", "3"], "name": ["A", "B", "C"]}))
        data.save_dyads(s, pd.DataFrame({"city_a": ["1", "1", "2"], "city_b": ["2", "3", "3"], "w": [1, 2, 3]}))
        # (j, i) order folded; replace=False updates only the listed dyad
        data.save_dyads(s, pd.DataFrame({"city_a": ["3"], "city_b": ["1"], "w": [20]}), replace_attributes=False)
        assert data.dyad_frame(s)["w"].tolist() == [1.0, 20.0, 3.0]
        # replace=True replaces the attribute as a whole
        with pytest.warns(UserWarning, match="note"):
            data.save_dyads(s, pd.DataFrame({"city_a": ["2"], "city_b": ["3"], "w": [30], "note": ["text"]}))
        frame = data.dyad_frame(s)
        assert frame["w"].isna().tolist() == [True, True, False] and frame["w"].iloc[2] == 30.0
        assert _count(s, store.Dyad) == 3


def test_data_dyad_id_folds_and_creates(engine):
    with store.session_scope(engine) as s:
        data.save_cities(s, pd.DataFrame({"code": ["320100", "320500"], "name": ["南京市", "苏州市"]}))
        first = data.dyad_id(s, 320500, "320100")
        assert data.dyad_id(s, "320100", "320500") == first
        row = s.get(store.Dyad, first)
        assert (row.city_a, row.city_b) == ("320100", "320500")
        with pytest.raises(DyadError, match="320100 twice"):
            data.dyad_id(s, "320100", 320100)
        with pytest.raises(UnknownCityError, match="999999"):
            data.dyad_id(s, "320100", "999999")
        assert _count(s, store.Dyad) == 1


def test_data_city_resolver_from_store(engine, city_table):
    with store.session_scope(engine) as s:
        with pytest.raises(QuantError, match="no cities"):
            data.city_resolver(s)
        data.save_cities(s, city_table)
        resolver = data.city_resolver(s)
    assert resolver.resolve("苏州") == "320500" and resolver.resolve("常州市武进区") == "320400"
    assert len(resolver.codes) == 155
