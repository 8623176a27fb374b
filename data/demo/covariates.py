"""Dyad covariates of the demo, derived from the city facts.

The variable names are a contract: the default codebook maps codes to them
(``coding.codes.default.DEFAULT_VARIABLE_MAP``) and ``quant.runs.analysis`` uses them as
default model terms. Definitions (README.md repeats them):

==================  ====================================================================
distance_km         great-circle distance between the city seats, km
log_distance        ln(distance_km)
same_province       1 if both cities are in one province
shared_border       1 if the two city polygons share a border (facts.load_borders)
log_gravity         ln(P_i·P_j / D²) with P in millions of persons (2020 census) and D =
                    distance_km / 100: social needs (proxy for migrant flows). Not centred:
                    0 means two cities of one million people 100 km apart
same_strategy       1 if both cities belong to one regional strategy (regional needs)
capital_any         1 if either city is a capital or sub-provincial city (organizational needs)
urban_share_min     the smaller 2020 urban share of the two, 0–1 (financial supply proxy)
log_pop_min         the smaller ln(population in millions) (administrative supply proxy)
==================  ====================================================================
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.demo.facts import STRATEGY_COLUMNS

DYAD_COVARIATES = (
    "distance_km", "log_distance", "same_province", "shared_border", "log_gravity",
    "same_strategy", "capital_any", "urban_share_min", "log_pop_min",
)
"""Dyad covariate columns, in the order :func:`dyad_covariates` returns them."""

CITY_VARIABLES = ("log_pop", "capital", "urban_share", "in_strategy")
"""City-level model variables (for breadth), all present in ``facts.load_cities()``."""


def dyad_covariates(cities: pd.DataFrame, borders: pd.DataFrame | None = None) -> pd.DataFrame:
    """All n(n−1)/2 dyads of ``cities`` with the demo covariates.

    Parameters
    ----------
    cities : DataFrame
        As returned by ``facts.load_cities()`` (code, lat, lon, province, log_pop, capital,
        urban_share and the strategy columns).
    borders : DataFrame, optional
        Columns city_a, city_b of neighbouring pairs; None sets ``shared_border`` to 0.

    Returns
    -------
    DataFrame
        n(n−1)/2 rows sorted by (city_a, city_b) with city_a < city_b, columns
        city_a, city_b and ``DYAD_COVARIATES`` (float64; 0/1 for the indicators).

    Raises
    ------
    ValueError
        Two cities share coordinates (distance 0, so log_distance is undefined), or a
        border pair names a city that is not in ``cities``.
    """
    from quant.data.dyads import build_dyads

    ops = {"min": ["urban_share", "log_pop"], "max": ["capital"], "both": list(STRATEGY_COLUMNS)}
    raw = build_dyads(cities, id_col="code", ops=ops, distance=True)
    if (raw["distance_km"] <= 0).any():
        row = raw[raw["distance_km"] <= 0].iloc[0]
        raise ValueError(f"Cities {row.city_a} and {row.city_b} have the same coordinates.")
    sum_log_pop = (
        cities.set_index("code")["log_pop"].reindex(raw["city_a"]).to_numpy()
        + cities.set_index("code")["log_pop"].reindex(raw["city_b"]).to_numpy()
    )
    out = raw[["city_a", "city_b", "distance_km"]].copy()
    out["log_distance"] = np.log(out["distance_km"])
    out["same_province"] = raw["same_province"].astype("float64")
    out["shared_border"] = _shared_border(out, borders)
    out["log_gravity"] = sum_log_pop - 2.0 * np.log(out["distance_km"] / 100.0)
    out["same_strategy"] = raw[[f"both_{s}" for s in STRATEGY_COLUMNS]].max(axis=1).astype("float64")
    out["capital_any"] = raw["max_capital"].astype("float64")
    out["urban_share_min"] = raw["min_urban_share"]
    out["log_pop_min"] = raw["min_log_pop"]
    return out[["city_a", "city_b", *DYAD_COVARIATES]]


def _shared_border(dyads: pd.DataFrame, borders: pd.DataFrame | None) -> np.ndarray:
    flag = np.zeros(len(dyads))
    if borders is None or borders.empty:
        return flag
    key = pd.MultiIndex.from_frame(dyads[["city_a", "city_b"]].astype(str))
    pairs = pd.MultiIndex.from_frame(borders[["city_a", "city_b"]].astype(str))
    unknown = pairs.difference(key)
    if len(unknown):
        a, b = unknown[0]
        raise ValueError(f"Border pair {a}-{b} is not a dyad of the city table.")
    flag[key.isin(pairs)] = 1.0
    return flag
