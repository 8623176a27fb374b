"""select_run_cases on saved runs of the simulated small project (tests/quant_small_project.py).

Expected values are computed here from the project's own tables (quant_small_project.tables,
with the operator columns built by hand in with_operators) and the run's fitted values, with
numpy and statsmodels fits done in the test — not by calling the rules being tested.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import store
from quant.runs import saved as runs
from quant.cases.select import RULES, case_label, select_run_cases
from quant.errors import QuantError
from tests import quant_small_project as qs

CONN = "connection ~ sum(log_pop) + log_distance + same(province)"
BREADTH = "breadth ~ log_pop"


def _build(engine):
    cities, dyads = qs.build(engine)
    with store.session_scope(engine) as s:
        runs.fit_and_save(s, "conn", "connection", formula=CONN)
        runs.fit_and_save(s, "breadth", "breadth", model="poisson", formula=BREADTH)
        runs.fit_and_save(s, "deg", "degree", formula="degree ~ shared_border")
    return cities, dyads


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    eng = store.connect(tmp_path_factory.mktemp("cases") / "project.sqlite")
    cities, dyads = _build(eng)
    yield {"engine": eng, "cities": cities, "dyads": qs.with_operators(cities, dyads)}
    eng.dispose()


def _run(project, name):
    with store.session_scope(project["engine"]) as s:
        return runs.load_run(s, name)


def _select(project, *args, **kw):
    with store.session_scope(project["engine"]) as s:
        return select_run_cases(s, *args, **kw)


def test_rules_tuple_and_errors(project):
    assert RULES == ("typical", "deviant", "extreme_x", "extreme_y", "overpredicted", "underpredicted",
                     "influential", "pathway", "similar", "different")
    run = _run(project, "conn")
    with pytest.raises(QuantError, match="choose one of: typical, deviant"):
        _select(project, run, "wild")
    with pytest.raises(QuantError, match=r"choose one of: log_distance, same\(province\), sum\(log_pop\)"):
        _select(project, run, "extreme_x", variable="log_gdp")
    with pytest.raises(QuantError, match="choose one of"):
        _select(project, run, "pathway", variable="log_gdp")
    with pytest.raises(QuantError, match="extreme_x needs a variable"):
        _select(project, run, "extreme_x")
    # Both spellings of an operator term name the same column.
    a = _select(project, run, "extreme_x", variable="same(province)", n=3)
    b = _select(project, run, "extreme_x", variable="same_province", n=3)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(QuantError, match="positive"):
        _select(project, run, "deviant", threshold=-1)
    with pytest.raises(QuantError, match="connection"):
        _select(project, _run(project, "breadth"), "typical", outcome="tie")


def test_deviant_and_typical_ties_follow_the_probability_cut(project):
    run = _run(project, "conn")
    u = run.units
    y, p = u["y"].to_numpy(), u["fitted"].to_numpy()
    r = (y - p) / np.sqrt(p * (1 - p))  # Pearson residual by hand from the run's p̂
    dev = _select(project, run, "deviant", threshold=2.0, n=None)
    # |r| > 2 ⇔ a tie with p̂ < 0.2 or a non-tie with p̂ > 0.8 (quant.md §4.3).
    expected = u[((y == 1) & (p < 0.2)) | ((y == 0) & (p > 0.8))]
    assert len(dev) == len(expected) > 0
    assert set(zip(dev["city_a"], dev["city_b"])) == set(zip(expected["city_a"], expected["city_b"]))
    assert (np.diff(np.abs(dev["residual"])) <= 1e-12).all()
    np.testing.assert_allclose(np.abs(dev["residual"]).iloc[0], np.abs(r).max(), rtol=1e-9)
    for row in dev.to_dict("records"):
        assert row["label"] == ("deviant tie (unexpected collaboration)" if row["observed"] == 1
                                else "deviant non-tie (missing expected collaboration)")
    typ = _select(project, run, "typical", n=5, outcome="tie")
    ties = u[y == 1].assign(a=np.abs(r[y == 1])).sort_values(["a", "city_a", "city_b"])
    assert list(zip(typ["city_a"], typ["city_b"])) == list(zip(ties["city_a"], ties["city_b"]))[:5]
    assert set(typ["label"]) == {"typical tie"}
    non = _select(project, run, "typical", n=3, outcome="non-tie")
    assert set(non["label"]) == {"typical non-tie"} and (non["observed"] == 0).all()
    # Names, not codes, in the case column; the rule is recorded.
    assert dev["case"].iloc[0] == f"City {int(dev['city_a'].iloc[0]) - 100}–City {int(dev['city_b'].iloc[0]) - 100}"
    assert dev.attrs["rule"] == "deviant" and dev.attrs["parameters"]["c"] == 2.0
    assert dev.attrs["run"] == "conn" and "Pearson" in dev.attrs["residual_type"]


def test_over_and_under_predicted(project):
    run = _run(project, "breadth")
    u = run.units
    r = (u["y"] - u["fitted"]) / np.sqrt(u["fitted"])  # Poisson Pearson residual by hand
    over = _select(project, run, "overpredicted", n=3)
    under = _select(project, run, "underpredicted", n=3)
    assert over["city"].tolist() == u["city"].to_numpy()[np.argsort(r.to_numpy())[:3]].tolist()
    assert under["city"].tolist() == u["city"].to_numpy()[np.argsort(-r.to_numpy())[:3]].tolist()
    assert set(over["label"]) == {"over-predicted"} and set(under["label"]) == {"under-predicted"}


def test_extreme_on_x_and_y(project):
    d = project["dyads"]
    x = d["sum_log_pop"].to_numpy()
    got = _select(project, _run(project, "conn"), "extreme_x", variable="sum(log_pop)", n=4)
    order = np.argsort(-np.abs(x - x.mean()))[:4]
    assert list(zip(got["city_a"], got["city_b"])) == list(zip(d["city_a"].to_numpy()[order], d["city_b"].to_numpy()[order]))
    sd_units = (x[order[0]] - x.mean()) / x.std(ddof=1)
    where = "above" if sd_units > 0 else "below"
    assert got["label"].iloc[0] == f"extreme on sum(log_pop) ({sd_units:+.1f} SD {where} the mean)"
    assert got.attrs["parameters"]["variable"] == "sum_log_pop"
    # Breadth: |y − ȳ| with y the number of partner cities, counted here from the dyads.
    conn = d[d["connection"] == 1]
    breadth = pd.concat([conn["city_a"], conn["city_b"]]).value_counts().reindex(project["cities"]["code"], fill_value=0)
    ey = _select(project, _run(project, "breadth"), "extreme_y", n=1)
    top = (breadth - breadth.mean()).abs().sort_values(ascending=False)
    assert ey["city"].iloc[0] == top.index[0]
    assert ey["score"].iloc[0] == pytest.approx(top.iloc[0])


def test_influential_breadth_matches_statsmodels(project):
    run = _run(project, "breadth")
    u = run.units.copy()
    X = sm.add_constant(u["x:log_pop"].to_numpy())
    res = sm.GLM(u["y"].to_numpy(), X, family=sm.families.Poisson()).fit()
    cooks = res.get_influence().cooks_distance[0]
    got = _select(project, run, "influential", n=5)
    order = np.argsort(-cooks)[:5]
    assert got["city"].tolist() == u["city"].to_numpy()[order].tolist()
    np.testing.assert_allclose(got["cooks_distance"], cooks[order], rtol=1e-5)
    assert got["label"].iloc[0] == f"influential (Cook's distance {cooks[order[0]]:.3g})"
    assert got.attrs["stale"] is False


def test_influential_city_of_dyad_model_is_an_exact_refit(project):
    run = _run(project, "conn")
    got = _select(project, run, "influential", n=2)
    assert got.attrs["id_columns"] == ["city"] and got.attrs["parameters"]["measure"] == "delete-a-city"
    d = project["dyads"]
    city = got["city"].iloc[0]
    cols = ["sum_log_pop", "log_distance", "same_province"]
    keep = (d["city_a"] != city) & (d["city_b"] != city)
    full = sm.Logit(d["connection"], sm.add_constant(d[cols])).fit(disp=0)
    drop = sm.Logit(d.loc[keep, "connection"], sm.add_constant(d.loc[keep, cols])).fit(disp=0)
    se = run.result.se["dyadic"]
    delta = (drop.params - full.params).rename({"const": "Intercept"})
    score = max(abs(delta[c]) / se[c] for c in cols)  # max_k |Δβ_k|/SE_k over the slopes
    assert got["score"].iloc[0] == pytest.approx(score, rel=1e-4)
    assert got["label"].iloc[0].startswith("influential city")
    assert got["name"].iloc[0] == f"City {int(city) - 100}"


def test_pathway_matches_a_reduced_fit_by_hand(project):
    run = _run(project, "conn")
    got = _select(project, run, "pathway", variable="log_distance", n=None)
    d = project["dyads"]
    red = sm.Logit(d["connection"], sm.add_constant(d[["sum_log_pop", "same_province"]])).fit(disp=0)
    p = red.predict()
    r_red = (d["connection"] - p) / np.sqrt(p * (1 - p))
    u = run.units
    r_full = (u["y"] - u["fitted"]) / np.sqrt(u["fitted"] * (1 - u["fitted"]))
    by_hand = pd.DataFrame({"city_a": d["city_a"], "city_b": d["city_b"], "red": r_red}).merge(
        pd.DataFrame({"city_a": u["city_a"], "city_b": u["city_b"], "full": r_full}), on=["city_a", "city_b"])
    by_hand["wb"] = by_hand["red"].abs() - by_hand["full"].abs()
    m = got.merge(by_hand, on=["city_a", "city_b"])
    assert len(m) == len(d)
    np.testing.assert_allclose(m["pathway_wb"], m["wb"], atol=1e-6)
    np.testing.assert_allclose(m["pathway_gvalue"], (m["red"] - m["full"]).abs(), atol=1e-6)
    assert (m["pathway_gtype"] == np.where(m["red"].abs() > m["full"].abs(), "yes", "no")).all()
    assert got["pathway_wb"].is_monotonic_decreasing
    assert got.attrs["reduced_formula"] == "connection ~ sum(log_pop) + same(province)"
    first = got.iloc[0]
    assert first["label"] == ("pathway case (log_distance reduces its residual)" if first["pathway_gtype"] == "yes"
                              else "pathway candidate, Gerring's criterion not met (log_distance does not reduce its residual)")
    # A reduced formula given directly gives the same values.
    again = _select(project, run, "pathway", reduced="sum(log_pop) + same(province)", n=3)
    np.testing.assert_allclose(again["pathway_wb"], got["pathway_wb"].iloc[:3], rtol=1e-9)


def test_most_similar_and_most_different_pairs_by_brute_force(project):
    run = _run(project, "conn")
    u = run.units
    cols = ["log_distance", "sum_log_pop"]
    Z = u[["x:" + c for c in cols]].to_numpy()
    Z = (Z - Z.mean(0)) / Z.std(0, ddof=1)
    Rinv = np.linalg.inv(np.corrcoef(Z, rowvar=False))
    i, j = np.triu_indices(len(u), 1)
    dz = Z[i] - Z[j]
    D = np.sqrt(np.einsum("ij,jk,ik->i", dz, Rinv, dz))
    y = u["y"].to_numpy()
    dy = np.abs(y[i] - y[j])
    sim = _select(project, run, "similar", controls=["log_distance", "sum(log_pop)"], n=1)
    best = np.argmax(np.where(dy > 0, dy / (1 + D), -1))
    assert sim["distance"].iloc[0] == pytest.approx(D[best])
    pair = {tuple(u.iloc[i[best]][["city_a", "city_b"]]), tuple(u.iloc[j[best]][["city_a", "city_b"]])}
    assert set(zip(sim["city_a"], sim["city_b"])) == pair
    assert sim["label"].tolist() == ["most-similar pair 1"] * 2
    assert sim["partner_case"].iloc[0] == sim["case"].iloc[1]
    diff = _select(project, run, "different", controls=["log_distance", "sum(log_pop)"], n=1)
    best = np.argmax(np.where(dy == 0, D, -1))
    assert diff["distance"].iloc[0] == pytest.approx(D[best])
    assert diff["observed"].iloc[0] == diff["observed"].iloc[1]
    assert diff.attrs["parameters"]["metric"] == "mahalanobis"


def test_fast_rules_on_every_backend(engine):
    """The first-version rules through a project on SQLite and PostgreSQL."""
    _build(engine)
    with store.session_scope(engine) as s:
        run = runs.load_run(s, "deg")
        u = run.units
        for rule in ("typical", "deviant", "overpredicted", "underpredicted", "extreme_y"):
            got = select_run_cases(s, run, rule, n=3)
            assert len(got) <= 3 and got["rank"].tolist() == list(range(1, len(got) + 1))
            assert all(isinstance(x, str) and x for x in got["label"])
        got = select_run_cases(s, run, "extreme_x", variable="shared_border", n=None)
        assert len(got) == len(u)
        assert got["rank"].is_monotonic_increasing


def test_stale_run_says_so_for_refitting_rules(tmp_path):
    eng = store.connect(tmp_path / "p.sqlite")
    cities, dyads = _build(eng)
    from quant.data import project as qdata

    changed = dyads.copy()
    changed.loc[0, "log_distance"] += 0.5
    with store.session_scope(eng) as s:
        qdata.save_dyads(s, changed)
    with store.session_scope(eng) as s:
        got = select_run_cases(s, "conn", "pathway", variable="log_distance", n=2)
        assert got.attrs["stale"] is True
        assert any("refit on the current data" in note for note in got.attrs["notes"])
        fresh = select_run_cases(s, "conn", "typical", n=2)
        assert fresh.attrs["run"] == "conn"
    eng.dispose()


@pytest.mark.parametrize("rule", ["typical", "deviant", "overpredicted", "underpredicted", "extreme_x", "extreme_y"])
def test_case_label_from_run_rows(project, rule):
    """The vectorized labels of select_run_cases equal case_label row by row, one per case."""
    for name, binary in (("conn", True), ("breadth", False)):
        run = _run(project, name)
        kw = {"variable": run.covariates().columns[-1]} if rule == "extreme_x" else {}
        got = _select(project, run, rule, n=None, threshold=1.0 if rule in ("typical", "deviant") else None, **kw)
        assert len(got)
        for row in got.to_dict("records"):
            assert case_label(row, rule, binary) == row["label"]
        if binary and rule == "typical":
            assert set(got["label"]) == {"typical tie", "typical non-tie"}


def _quantile_by_pmf(pmf, q):
    """Smallest k with Σ_{j≤k} pmf(j) ≥ q, by summing the pmf."""
    total, k = 0.0, 0
    while True:
        total += pmf(k)
        if total >= q - 1e-12:
            return k
        k += 1


def test_count_interval_rule_for_poisson_breadth(project):
    from math import exp, lgamma, log

    run = _run(project, "breadth")
    u = run.units
    dev = _select(project, run, "deviant", method="interval", threshold=0.9, n=None)
    expected = []
    for city, y, mu in zip(u["city"], u["y"], u["fitted"]):
        pmf = lambda k, mu=mu: exp(k * log(mu) - mu - lgamma(k + 1))  # noqa: E731
        lo, hi = _quantile_by_pmf(pmf, 0.05), _quantile_by_pmf(pmf, 0.95)
        if y < lo or y > hi:
            expected.append(city)
    assert sorted(dev["city"]) == sorted(expected) and len(expected) > 0
    assert (dev["status"] == "deviant").all() and dev.attrs["parameters"]["piwidth"] == 0.9
    typ = _select(project, run, "typical", method="interval", threshold=0.9, n=None)
    assert len(typ) + len(dev) == len(u)
    with pytest.raises(QuantError, match="count model"):
        _select(project, _run(project, "conn"), "deviant", method="interval")


def test_count_interval_rule_for_zero_truncated_nb(project):
    from math import exp, lgamma, log

    from scipy.optimize import brentq

    run = _run(project, "deg")
    u = run.units
    a = float(run.result.params["alpha"])
    r = 1 / a
    got = _select(project, run, "deviant", method="interval", threshold=0.8, n=None)
    expected = []
    for city_a, city_b, y, m in zip(u["city_a"], u["city_b"], u["y"], u["fitted"]):
        # μ of the untruncated NB2 from the truncated mean, by Brent's method.
        mu = brentq(lambda x: x / (1 - (1 + a * x) ** (-r)) - m, 1e-9, 10 * m)
        p0 = (1 + a * mu) ** (-r)

        def pmf(k, mu=mu, p0=p0):
            if k == 0:
                return 0.0
            lp = lgamma(k + r) - lgamma(r) - lgamma(k + 1) + r * log(r / (r + mu)) + k * log(mu / (r + mu))
            return exp(lp) / (1 - p0)
        lo, hi = _quantile_by_pmf(pmf, 0.1), _quantile_by_pmf(pmf, 0.9)
        if y < lo or y > hi:
            expected.append((city_a, city_b))
    assert sorted(zip(got["city_a"], got["city_b"])) == sorted(expected) and len(expected) > 0


def test_dyad_cooks_distance_matches_statsmodels(project):
    d = project["dyads"]
    cols = ["sum_log_pop", "log_distance", "same_province"]
    res = sm.GLM(d["connection"], sm.add_constant(d[cols]), family=sm.families.Binomial()).fit()
    cooks = res.get_influence().cooks_distance[0]
    got = _select(project, _run(project, "conn"), "influential", method="cooks", n=5)
    order = np.argsort(-cooks)[:5]
    assert list(zip(got["city_a"], got["city_b"])) == list(zip(d["city_a"].to_numpy()[order], d["city_b"].to_numpy()[order]))
    np.testing.assert_allclose(got["cooks_distance"], cooks[order], rtol=1e-4)
    assert got["label"].iloc[0].startswith("influential (Cook's distance")
    with pytest.raises(QuantError, match="logit or nb_pos"):
        _select(project, _run(project, "deg"), "influential", method="cooks")
