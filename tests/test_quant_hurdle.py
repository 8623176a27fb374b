"""The two-part (hurdle) degree model: logit + zero-truncated NB2 with a joint dyadic-robust
covariance from stacked scores (quant.md §1.5, §2.4).

Checks: each part equals an independent statsmodels fit; the diagonal blocks of the stacked
covariance equal the per-part covariances; every block (cross-blocks included) equals the
brute-force double sum over all pairs of rows sharing a city (§1.2), with statsmodels' own
scores; the fitted mean equals P(y > 0)·E[y | y > 0] summed from the NB2 pmf; the demo's true
coefficients lie inside the dyadic 95% intervals of both parts.
"""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP

from quant.errors import ModelError, QuantError
from quant.models.dispatch import fit, fit_connection, fit_degree, fit_hurdle
from quant_small_project import tables

COUNT = "degree ~ shared_border + log_distance"
ZERO = "~ log_distance + shared_border"


@pytest.fixture(scope="module")
def small():
    cities, dyads = tables(seed=7)
    attr = cities.set_index("code")["log_pop"]
    dyads = dyads.assign(sum_log_pop=dyads["city_a"].map(attr).to_numpy() + dyads["city_b"].map(attr).to_numpy())
    return dyads


@pytest.fixture(scope="module")
def hurdle(small):
    return fit_hurdle(small, COUNT, zero_formula=ZERO + " + sum_log_pop", n_nodes=30)


def _share_matrix(a, b):
    """M[d, e] = 1 when rows d and e share a node (the indicator of the FG double sum)."""
    a, b = np.asarray(a), np.asarray(b)
    return ((a[:, None] == a[None, :]) | (a[:, None] == b[None, :])
            | (b[:, None] == a[None, :]) | (b[:, None] == b[None, :])).astype(float)


def test_hurdle_parts_equal_independent_statsmodels_fits(small, hurdle):
    z = (small["degree"] > 0).to_numpy(float)
    Xz = sm.add_constant(small[["log_distance", "shared_border", "sum_log_pop"]].to_numpy(float))
    logit = sm.Logit(z, Xz).fit(disp=0, method="newton", tol=1e-12)
    pos = z == 1
    Xc = sm.add_constant(small.loc[pos, ["shared_border", "log_distance"]].to_numpy(float))
    start = np.append(sm.Poisson(small.loc[pos, "degree"].to_numpy(float), Xc).fit(disp=0).params, 0.5)
    ztnb = TruncatedLFNegativeBinomialP(small.loc[pos, "degree"].to_numpy(float), Xc, truncation=0, p=2).fit(
        start_params=start, method="newton", disp=0, maxiter=200, tol=1e-12)
    kz = Xz.shape[1]
    np.testing.assert_allclose(hurdle.params.to_numpy()[:kz], logit.params, rtol=1e-7)
    np.testing.assert_allclose(hurdle.params.to_numpy()[kz:], ztnb.params, rtol=1e-6)
    assert hurdle.llf == pytest.approx(logit.llf + ztnb.llf, abs=1e-7)
    assert list(hurdle.params.index) == ["zero:Intercept", "zero:log_distance", "zero:shared_border",
                                         "zero:sum_log_pop", "count:Intercept", "count:shared_border",
                                         "count:log_distance", "count:alpha"]
    k = len(hurdle.params)
    assert hurdle.aic == pytest.approx(2 * k - 2 * hurdle.llf)
    assert hurdle.bic == pytest.approx(k * np.log(len(small)) - 2 * hurdle.llf)
    assert hurdle.model == "hurdle" and hurdle.dimension == "degree" and hurdle.n == len(small)


def test_hurdle_diagonal_blocks_equal_per_part_covariances(small, hurdle):
    zero = fit_connection(small.assign(pos=(small["degree"] > 0).astype(float)),
                          "pos ~ log_distance + shared_border + sum_log_pop", n_nodes=30)
    count = fit_degree(small, COUNT, n_nodes=30)
    kz = len(zero.params)
    for key in ("model", "hc0", "dyadic"):
        V = hurdle.cov[key]
        np.testing.assert_allclose(V[:kz, :kz], zero.cov[key], rtol=1e-7, atol=1e-14)
        np.testing.assert_allclose(V[kz:, kz:], count.cov[key], rtol=1e-6, atol=1e-14)
        np.testing.assert_allclose(V, V.T, rtol=0, atol=1e-15)
    assert np.all(hurdle.cov["model"][:kz, kz:] == 0)  # block-diagonal information


def test_hurdle_every_block_equals_brute_force_double_sum(small, hurdle):
    """V = H⁻¹ (Σ_d Σ_e 1[d ∩ e ≠ ∅] s_d s_eᵀ) H⁻¹ with statsmodels' scores and the per-part
    model-based covariances as −H⁻¹; the cross-block is the part the stacking adds."""
    z = (small["degree"] > 0).to_numpy(float)
    Xz = sm.add_constant(small[["log_distance", "shared_border", "sum_log_pop"]].to_numpy(float))
    kz = Xz.shape[1]
    theta = hurdle.params.to_numpy()
    Sz = sm.Logit(z, Xz).score_obs(theta[:kz])
    pos = z == 1
    Xc = sm.add_constant(small.loc[pos, ["shared_border", "log_distance"]].to_numpy(float))
    Sc = np.zeros((len(z), Xc.shape[1] + 1))
    Sc[pos] = TruncatedLFNegativeBinomialP(small.loc[pos, "degree"].to_numpy(float), Xc, truncation=0,
                                           p=2).score_obs(theta[kz:])
    S = np.hstack([Sz, Sc])
    M = _share_matrix(small["city_a"], small["city_b"])
    meat = S.T @ M @ S
    Hinv = -hurdle.cov["model"]  # blockdiag(H_logit⁻¹, H_ztnb⁻¹)
    brute = Hinv @ meat @ Hinv
    np.testing.assert_allclose(hurdle.cov["dyadic"], brute, rtol=1e-6, atol=1e-12 * np.abs(brute).max())
    cross = hurdle.cov["dyadic"][:kz, kz:]
    np.testing.assert_allclose(cross, Hinv[:kz, :kz] @ (Sz.T @ M @ Sc) @ Hinv[kz:, kz:], rtol=1e-6,
                               atol=1e-12 * np.abs(cross).max())
    assert np.abs(cross).max() > 1e-4  # the parts are dependent through shared cities
    # HC0 stacks the same way with the identity instead of M
    np.testing.assert_allclose(hurdle.cov["hc0"], Hinv @ (S.T @ S) @ Hinv, rtol=1e-6,
                               atol=1e-12 * np.abs(brute).max())


def test_hurdle_fitted_mean_and_pearson_from_the_pmf(small, hurdle):
    u = hurdle.units
    theta = hurdle.params
    alpha = theta["count:alpha"]
    for row in (0, 5, 17):
        r = u.iloc[row]
        x = small.iloc[int(u.index[row])]
        p = 1 / (1 + np.exp(-(theta["zero:Intercept"] + theta["zero:log_distance"] * x["log_distance"]
                              + theta["zero:shared_border"] * x["shared_border"]
                              + theta["zero:sum_log_pop"] * x["sum_log_pop"])))
        mu = np.exp(theta["count:Intercept"] + theta["count:shared_border"] * x["shared_border"]
                    + theta["count:log_distance"] * x["log_distance"])
        n_, q_ = 1 / alpha, 1 / (1 + alpha * mu)
        k = np.arange(1, 3000)
        pmf = stats.nbinom.pmf(k, n_, q_) / (1 - stats.nbinom.pmf(0, n_, q_))
        m1, m2 = (k * pmf).sum(), (k**2 * pmf).sum()
        assert r["p_positive"] == pytest.approx(p, rel=1e-9)
        assert r["count_mean"] == pytest.approx(m1, rel=1e-8)
        assert r["fitted"] == pytest.approx(p * m1, rel=1e-8)
        var = p * m2 - (p * m1) ** 2
        assert r["pearson"] == pytest.approx((x["degree"] - p * m1) / np.sqrt(var), rel=1e-7)
    assert set(u["positive"]) == {0, 1} and int(u["positive"].sum()) == int((small["degree"] > 0).sum())


def test_hurdle_lean_zero_part_equals_statsmodels(small, hurdle, monkeypatch):
    import quant.inference.influence
    import quant.models.hurdle

    monkeypatch.setattr(quant.models.hurdle, "LEAN_LOGIT_MIN_ROWS", 0)  # the path used from 200,000 dyads
    lean = fit_hurdle(small, COUNT, zero_formula=ZERO + " + sum_log_pop", n_nodes=30)
    assert lean.meta["optimizer"].startswith("zero: tandem lean Newton logit")
    np.testing.assert_allclose(lean.params, hurdle.params, rtol=1e-8)
    for key in ("model", "hc0", "dyadic"):
        np.testing.assert_allclose(lean.cov[key], hurdle.cov[key], rtol=1e-6, atol=1e-14)
    assert lean.llf == pytest.approx(hurdle.llf, abs=1e-8)
    from quant.inference.influence import city_influence

    monkeypatch.setattr(quant.inference.influence, "LEAN_LOGIT_MIN_ROWS", 0)
    a = city_influence(lean, small, n_exact=2).table
    monkeypatch.setattr(quant.inference.influence, "LEAN_LOGIT_MIN_ROWS", 10**9)
    b = city_influence(lean, small, n_exact=2).table
    cols = [c for c in a.columns if c.startswith(("exact:zero:", "step:"))]
    np.testing.assert_allclose(a[cols].to_numpy(float), b[cols].to_numpy(float), rtol=1e-6, atol=1e-10)
    assert a["exact:zero:Intercept"].notna().sum() == 2


def test_hurdle_default_zero_part_and_dispatch(small):
    r = fit(small, "degree", "hurdle", COUNT, n_nodes=30)
    assert [t for t in r.params.index if t.startswith("zero:")] == ["zero:Intercept", "zero:shared_border",
                                                                   "zero:log_distance"]
    assert r.meta["parts"]["zero"]["rhs"] == "shared_border + log_distance"


def test_hurdle_errors_are_one_sentence(small):
    bad = small.copy()
    bad["conn"] = (bad["degree"] > 0).astype(float)
    bad.loc[bad.index[bad["conn"] == 0][0], "conn"] = 1.0  # a "connected" dyad with 0 items
    with pytest.raises(ModelError, match="collaborating dyad"):
        fit_hurdle(bad, COUNT, connected="conn")
    with pytest.raises(QuantError, match="no terms"):
        fit_hurdle(small, COUNT, zero_formula="~ ")
    with pytest.raises(ModelError, match="constant"):
        fit_hurdle(small.assign(degree=0.0), COUNT)


def test_hurdle_recovers_the_demo_truth_inside_dyadic_intervals():
    from data.demo.build import demo_tables
    from data.demo.simulate import load_truth

    _, dyads, _ = demo_tables()
    truth = load_truth()
    res = fit_hurdle(dyads, truth["degree"]["formula"], zero_formula=truth["connection"]["formula"],
                     n_nodes=155, se=("dyadic",))
    table = res.table("dyadic")
    expected = {f"zero:{t}": v for t, v in truth["connection"]["coefficients"].items()}
    expected |= {f"count:{t}": v for t, v in truth["degree"]["coefficients"].items()}
    expected["count:alpha"] = truth["degree"]["alpha"]
    outside = {t: (v, table.loc[t, "ci_low"], table.loc[t, "ci_high"]) for t, v in expected.items()
               if not table.loc[t, "ci_low"] <= v <= table.loc[t, "ci_high"]}
    assert outside == {}
    assert table.loc["count:capital_any", "ci_low"] > 0 and table.loc["zero:capital_any", "ci_low"] > 0
