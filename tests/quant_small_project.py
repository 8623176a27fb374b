"""A small, fully simulated project for the quant tests: 30 cities, all 435 dyads.

City attributes: ``log_pop`` (normal), ``urban`` (uniform 0.3–0.9), ``province`` (3 levels, text),
``prog`` (0/1). Dyad variables: ``log_distance`` (log Euclidean distance of random node coordinates),
``shared_border`` (0/1), ``connection`` (logit in
the sum of log_pop, same province and log distance, plus node shocks), ``degree`` (zero-truncated
NB2 on connected dyads, 0 elsewhere), ``tie`` (a copy of connection under another name).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import store
from quant.data import project as qdata

N_CITIES = 30
TRUE = {"Intercept": -0.3, "sum_log_pop": 0.7, "same_province": 0.8, "log_distance": -0.6}
TRUE_DEGREE = {"Intercept": 1.2, "shared_border": 0.5, "alpha": 0.5}


def tables(seed: int = 7, n: int = N_CITIES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cities, dyads) of the simulated project (codes "100".."1nn", city_a < city_b)."""
    rng = np.random.default_rng(seed)
    cities = pd.DataFrame({
        "code": [str(100 + k) for k in range(n)],
        "name": [f"City {k}" for k in range(n)],
        "log_pop": rng.normal(0, 1, n),
        "urban": rng.uniform(0.3, 0.9, n),
        "province": rng.choice(["P1", "P2", "P3"], n),
        "prog": (rng.random(n) < 0.4).astype(int),
    })
    i, j = np.triu_indices(n, 1)
    u = rng.normal(0, 0.3, n)
    xy = rng.uniform(0, 3, (n, 2))
    log_distance = np.log(np.hypot(*(xy[i] - xy[j]).T))
    same = (cities["province"].to_numpy()[i] == cities["province"].to_numpy()[j]).astype(float)
    sum_pop = cities["log_pop"].to_numpy()[i] + cities["log_pop"].to_numpy()[j]
    eta = (TRUE["Intercept"] + TRUE["sum_log_pop"] * sum_pop + TRUE["same_province"] * same
           + TRUE["log_distance"] * log_distance + u[i] + u[j])
    conn = (rng.random(len(i)) < 1 / (1 + np.exp(-eta))).astype(float)
    border = (rng.random(len(i)) < 0.2).astype(float)
    mu = np.exp(TRUE_DEGREE["Intercept"] + TRUE_DEGREE["shared_border"] * border)
    a = TRUE_DEGREE["alpha"]
    items = rng.negative_binomial(1 / a, 1 / (1 + a * mu))
    while ((items == 0) & (conn == 1)).any():
        redo = (items == 0) & (conn == 1)
        items[redo] = rng.negative_binomial(1 / a, 1 / (1 + a * mu[redo]))
    dyads = pd.DataFrame({
        "city_a": cities["code"].to_numpy()[i], "city_b": cities["code"].to_numpy()[j],
        "log_distance": log_distance, "shared_border": border, "connection": conn,
        "degree": np.where(conn == 1, items, 0).astype(float), "tie": conn,
    })
    return cities, dyads


def build(engine, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write the simulated cities and dyads into a fresh project; returns the tables."""
    cities, dyads = tables(seed)
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
        qdata.save_dyads(s, dyads)
    return cities, dyads


def with_operators(cities: pd.DataFrame, dyads: pd.DataFrame) -> pd.DataFrame:
    """The dyad table with sum_log_pop, absdiff_log_pop, same_province, min_urban and both_prog
    built by hand (loops over dyads, not quant.data.dyads), for checking the formula operators."""
    attr = cities.set_index("code")
    rows = []
    for a, b in zip(dyads["city_a"], dyads["city_b"]):
        xa, xb = attr.loc[a], attr.loc[b]
        rows.append({
            "sum_log_pop": xa["log_pop"] + xb["log_pop"],
            "absdiff_log_pop": abs(xa["log_pop"] - xb["log_pop"]),
            "same_province": float(xa["province"] == xb["province"]),
            "min_urban": min(xa["urban"], xb["urban"]),
            "both_prog": float(xa["prog"] == 1 and xb["prog"] == 1),
        })
    return pd.concat([dyads.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
