"""quant.models.glm against references outside Tandem: statsmodels GLM/OLS/NegativeBinomial and a
brute-force dyadic double sum written with plain loops (quant.md §1.2)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomial

from quant.errors import ModelError, QuantError
from quant.models.glm import fit_glm


def _dyads(n_nodes=14, seed=3):
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n_nodes)
    rows = []
    for i, j in itertools.combinations(range(n_nodes), 2):
        x1 = rng.normal()
        x2 = size[i] + size[j] + rng.normal(scale=0.3)
        expo = rng.uniform(0.5, 3.0)
        mu = np.exp(-0.2 + 0.4 * x1 + 0.3 * x2) * expo
        rows.append({"city_a": f"c{i}", "city_b": f"c{j}", "x1": x1, "x2": x2, "expo": expo,
                     "flow": rng.gamma(2.0, mu / 2.0),  # fractional, non-negative: PPML's case
                     "count": rng.negative_binomial(2.0, 2.0 / (2.0 + mu)),
                     "tie": float(rng.uniform() < 1 - np.exp(-np.exp(-0.8 + 0.7 * x1 + 0.2 * x2))),
                     "cont": 1.0 + 0.5 * x1 - 0.3 * x2 + rng.normal() + size[i] + size[j]})
    return pd.DataFrame(rows)


def _brute_dyadic(S, bread, a, b):
    """V = bread · (Σ_d Σ_d' 1[d and d' share a node] s_d s_d'ᵀ) · bread, plain loops."""
    n, k = S.shape
    B = np.zeros((k, k))
    for d in range(n):
        for e in range(n):
            if a[d] == a[e] or a[d] == b[e] or b[d] == a[e] or b[d] == b[e]:
                B += np.outer(S[d], S[e])
    return bread @ B @ bread


def test_ppml_matches_statsmodels_glm_and_brute_force_dyadic():
    df = _dyads()
    res = fit_glm(df, "flow ~ x1 + x2", family="poisson", unit="dyad")
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    ref = sm.GLM(df["flow"].to_numpy(), X, family=sm.families.Poisson()).fit(tol=1e-14)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=0, atol=1e-8)
    mu = ref.fittedvalues
    S = X * (df["flow"].to_numpy() - mu)[:, None]  # canonical link: s_d = x_d (y_d - mu_d)
    bread = np.linalg.inv(X.T @ (X * mu[:, None]))
    V = _brute_dyadic(S, bread, df["city_a"].to_numpy(), df["city_b"].to_numpy())
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.se["model"].to_numpy(), ref.bse, rtol=1e-7)
    assert res.model == "poisson" and res.se_type == "dyadic"
    np.testing.assert_allclose(res.units["pearson"], (df["flow"] - mu) / np.sqrt(mu), rtol=1e-7)


def test_offset_and_exposure_shift_like_statsmodels():
    df = _dyads()
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    ref = sm.GLM(df["flow"].to_numpy(), X, family=sm.families.Poisson(),
                 offset=np.log(df["expo"].to_numpy())).fit(tol=1e-14)
    df["log_expo"] = np.log(df["expo"])
    by_off = fit_glm(df, "flow ~ x1 + x2", family="poisson", unit="dyad", offset="log_expo")
    by_exp = fit_glm(df, "flow ~ x1 + x2", family="poisson", unit="dyad", exposure="expo")
    np.testing.assert_allclose(by_off.params.to_numpy(), ref.params, atol=1e-8)
    np.testing.assert_allclose(by_exp.params.to_numpy(), ref.params, atol=1e-8)
    assert "log scale" in by_off.meta["offset"] and "log(exposure)" in by_exp.meta["offset"]
    plain = fit_glm(df, "flow ~ x1 + x2", family="poisson", unit="dyad")
    assert abs(plain.params["Intercept"] - by_off.params["Intercept"]) > 1e-3


def test_nb2_on_all_dyads_matches_statsmodels_negative_binomial():
    df = _dyads(n_nodes=20)
    res = fit_glm(df, "count ~ x1 + x2", family="nb", unit="dyad")
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    ref = NegativeBinomial(df["count"].to_numpy(), X, loglike_method="nb2").fit(
        method="newton", maxiter=200, disp=0, tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, atol=1e-6)
    assert list(res.params.index)[-1] == "alpha" and (df["count"] == 0).sum() == (res.units["y"] == 0).sum()
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-9)


def test_gaussian_matches_statsmodels_ols_and_brute_force_dyadic():
    df = _dyads()
    res = fit_glm(df, "cont ~ x1 + x2", family="gaussian", unit="dyad",
                  se=("model", "hc0", "hc1", "hc2", "hc3", "dyadic"))
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    y = df["cont"].to_numpy()
    ref = sm.OLS(y, X).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.se["model"].to_numpy(), ref.bse, rtol=1e-10)
    for key in ("hc0", "hc1", "hc2", "hc3"):
        np.testing.assert_allclose(res.se[key].to_numpy(), ref.get_robustcov_results(key.upper()).bse, rtol=1e-10)
    V = _brute_dyadic(X * ref.resid[:, None], np.linalg.inv(X.T @ X),
                      df["city_a"].to_numpy(), df["city_b"].to_numpy())
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-12)
    assert res.se_type == "dyadic"


def test_cloglog_matches_statsmodels_glm():
    df = _dyads(n_nodes=18)
    res = fit_glm(df, "tie ~ x1 + x2", family="cloglog", unit="dyad")
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    ref = sm.GLM(df["tie"].to_numpy(), X,
                 family=sm.families.Binomial(link=sm.families.links.CLogLog())).fit(tol=1e-14)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, atol=1e-8)
    # model-based SEs are the inverse *observed* information (statsmodels' IRLS bse use the
    # expected one, which differs for a non-canonical link)
    observed = np.linalg.inv(-ref.model.hessian(ref.params, observed=True))
    np.testing.assert_allclose(res.se["model"].to_numpy(), np.sqrt(np.diag(observed)), rtol=1e-6)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-10)


def test_city_unit_logit_and_no_dyadic():
    rng = np.random.default_rng(5)
    cities = pd.DataFrame({"code": [f"{i:06d}" for i in range(80)], "x": rng.normal(size=80)})
    cities["cap"] = (rng.uniform(size=80) < 1 / (1 + np.exp(-(0.3 + 1.2 * cities["x"])))).astype(float)
    res = fit_glm(cities, "cap ~ x", family="logit", unit="city")
    ref = sm.Logit(cities["cap"].to_numpy(), sm.add_constant(cities["x"].to_numpy())).fit(disp=0)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, atol=1e-7)
    assert res.dimension == "breadth" and list(res.units.columns[:1]) == ["city"]
    with pytest.raises(QuantError, match="city-level model has no pairs"):
        fit_glm(cities, "cap ~ x", family="logit", unit="city", se=("dyadic",))
    with pytest.raises(QuantError, match="maximum-likelihood"):
        fit_glm(cities, "cap ~ x", family="logit", unit="city", se=("hc1",))


def test_min_events_lowered_fits_with_warning():
    df = _dyads(n_nodes=14)
    df["rare"] = 0.0
    pick = [3, 17, 40, 55, 70, 88]
    df.loc[pick, "rare"] = 1.0
    with pytest.raises(ModelError, match="at least 10 events"):
        fit_glm(df, "rare ~ x1", family="cloglog", unit="dyad")
    res = fit_glm(df, "rare ~ x1", family="cloglog", unit="dyad", min_events=5)
    assert any("only 6 events" in w and "firth" in w for w in res.warnings)


def test_city_gaussian_matches_ols_with_hc_types():
    rng = np.random.default_rng(8)
    cities = pd.DataFrame({"code": [f"c{i}" for i in range(60)], "x": rng.normal(size=60)})
    cities["y"] = 2.0 - 0.7 * cities["x"] + rng.standard_t(4, size=60)
    res = fit_glm(cities, "y ~ x", family="gaussian", unit="city", se=("model", "hc1", "hc3"))
    ref = sm.OLS(cities["y"].to_numpy(), sm.add_constant(cities["x"].to_numpy())).fit()
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, atol=1e-10)
    assert res.se_type == "model" and list(res.se) == ["model", "hc1", "hc3"]
    np.testing.assert_allclose(res.se["model"].to_numpy(), ref.bse, rtol=1e-10)
    np.testing.assert_allclose(res.se["hc3"].to_numpy(), ref.get_robustcov_results("HC3").bse, rtol=1e-10)
    np.testing.assert_allclose(res.units["pearson"].to_numpy(), ref.resid / np.sqrt(ref.scale), rtol=1e-10)


def test_ppml_lean_engine_equals_statsmodels_path():
    pytest.importorskip("quant.models.glm_lean")
    df = _dyads(n_nodes=25, seed=12)
    df["log_expo"] = np.log(df["expo"])
    lean = fit_glm(df, "flow ~ x1 + x2", family="poisson", unit="dyad", offset="log_expo", engine="lean")
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    ref = sm.GLM(df["flow"].to_numpy(), X, family=sm.families.Poisson(), offset=df["log_expo"].to_numpy()).fit(
        tol=1e-14)
    np.testing.assert_allclose(lean.params.to_numpy(), ref.params, atol=1e-8)
    mu = ref.fittedvalues
    V = _brute_dyadic(X * (df["flow"].to_numpy() - mu)[:, None], np.linalg.inv(X.T @ (X * mu[:, None])),
                      df["city_a"].to_numpy(), df["city_b"].to_numpy())
    np.testing.assert_allclose(lean.cov["dyadic"], V, rtol=1e-8, atol=1e-14)
    assert "lean" in lean.meta["engine"]
