"""Inference on fitted models: average marginal effects, standardised coefficients, VIF, Wald and
likelihood-ratio tests, t-based p-values, delete-a-city influence.

Oracles: statsmodels ``get_margeff`` (model-based covariance), a delta method written here with
numerical derivatives in x and in θ (dyadic covariance), refits on rescaled columns, statsmodels
``wald_test`` and ``variance_inflation_factor``, 2·Δℓ of independent statsmodels fits, brute-force
refits without each city, and the published Florentine figures of quant.md §1.8.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomialP, Poisson
from statsmodels.stats.outliers_influence import variance_inflation_factor

from quant.errors import QuantError
from quant.inference.hypotheses import lr_test, standardized, vif, wald_nested, wald_test
from quant.inference.influence import city_influence
from quant.inference.margins import average_marginal_effects, part_mean
from quant.models.dispatch import fit, fit_breadth, fit_connection, fit_degree, fit_hurdle
from quant_small_project import tables
from report.tables import regression_table

CONN = "connection ~ sum_log_pop + same_province + log_distance"


@pytest.fixture(scope="module")
def small():
    cities, dyads = tables(seed=7)
    attr = cities.set_index("code")
    a, b = dyads["city_a"], dyads["city_b"]
    return cities, dyads.assign(
        sum_log_pop=a.map(attr["log_pop"]).to_numpy() + b.map(attr["log_pop"]).to_numpy(),
        same_province=(a.map(attr["province"]).to_numpy() == b.map(attr["province"]).to_numpy()).astype(float),
    )


@pytest.fixture
def flo(shared):
    return pd.read_csv(shared("validation", "florentine_dyads.csv"))


def _breadth(small):
    cities, dyads = small
    deg = pd.concat([dyads[["city_a", "connection"]].rename(columns={"city_a": "code"}),
                     dyads[["city_b", "connection"]].rename(columns={"city_b": "code"})]).groupby("code").sum()
    return cities.assign(breadth=cities["code"].map(deg["connection"]).to_numpy())


# ---------------------------------------------------------------- marginal effects
@pytest.mark.parametrize("model,cls", [("logit", sm.Logit), ("probit", sm.Probit)])
@pytest.mark.parametrize("dummy", [True, False])
def test_ame_matches_statsmodels_get_margeff(small, model, cls, dummy):
    _, d = small
    res = fit_connection(d, CONN, model=model)
    X = sm.add_constant(d[["sum_log_pop", "same_province", "log_distance"]].to_numpy(float))
    ref = cls(d["connection"].to_numpy(float), X).fit(disp=0, method="newton", tol=1e-12).get_margeff(dummy=dummy)
    ame = average_marginal_effects(res, d, se_type="model", dummy="auto" if dummy else "derivative")
    np.testing.assert_allclose(ame["ame"].to_numpy(), ref.margeff, rtol=1e-7)
    np.testing.assert_allclose(ame["se"].to_numpy(), ref.margeff_se, rtol=1e-6)
    assert list(ame["kind"]) == (["dy/dx", "0->1", "dy/dx"] if dummy else ["dy/dx"] * 3)


@pytest.fixture(scope="module")
def demo_cities():
    from data.demo.build import demo_tables

    return demo_tables()[0]


@pytest.mark.parametrize("model,cls", [("poisson", Poisson), ("nb", NegativeBinomialP)])
def test_ame_count_models_match_statsmodels(demo_cities, model, cls):
    cities = demo_cities  # breadth of the demo is overdispersed, so NB2 has an interior alpha
    res = fit_breadth(cities, "breadth ~ log_pop + urban_share + capital", model=model)
    X = sm.add_constant(cities[["log_pop", "urban_share", "capital"]].to_numpy(float))
    ref = cls(cities["breadth"].to_numpy(float), X).fit(disp=0, method="newton", tol=1e-12, maxiter=300)
    me = ref.get_margeff(dummy=True)
    ame = average_marginal_effects(res, cities, se_type="model")
    np.testing.assert_allclose(ame["ame"].to_numpy(), me.margeff, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), me.margeff_se, rtol=1e-5)


def _numeric_delta(mean_fn, theta, V, X_cols, binary, n_theta, h=1e-5):
    """AME by central differences in x (or the 0/1 difference); SE by the delta method with the
    Jacobian in θ by complex step, J_k = Im AME(θ + i·10⁻³⁰·e_k)/10⁻³⁰ (Squire & Trapp 1998),
    so the only approximation is the O(h²) difference in x."""
    def ames(th):
        out = []
        for j, is_bin in zip(X_cols, binary):
            if is_bin:
                out.append(np.mean(mean_fn(th, j, 1.0) - mean_fn(th, j, 0.0)))
            else:
                out.append(np.mean((mean_fn(th, j, +h) - mean_fn(th, j, -h)) / (2 * h)))
        return np.array(out)
    value = ames(theta)
    step = 1e-30
    J = np.column_stack([ames(theta + 1j * step * np.eye(n_theta)[k]).imag / step for k in range(n_theta)])
    return value, np.sqrt(np.diag(J @ V @ J.T))


def test_ame_dyadic_logit_matches_numeric_delta_method(small):
    _, d = small
    res = fit_connection(d, CONN, n_nodes=30)
    X = sm.add_constant(d[["sum_log_pop", "same_province", "log_distance"]].to_numpy(float))

    def mean(th, j, shift):  # j = design column; shift = +-h for derivatives, level for 0/1
        Xs = X.copy()
        if j == 2:
            Xs[:, j] = shift
        else:
            Xs[:, j] += shift
        return 1 / (1 + np.exp(-(Xs @ th)))

    value, se = _numeric_delta(mean, res.params.to_numpy(), res.cov["dyadic"], [1, 2, 3], [False, True, False], 4)
    ame = average_marginal_effects(res, d, se_type="dyadic")
    np.testing.assert_allclose(ame["ame"].to_numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), se, rtol=1e-5)
    assert not np.allclose(ame["se"], average_marginal_effects(res, d, se_type="hc0")["se"], rtol=1e-3)


def _ztnb_mean(eta, alpha):
    mu = np.exp(eta)
    return mu / (1 - (1 + alpha * mu) ** (-1 / alpha))


def test_ame_dyadic_ztnb_and_hurdle_match_numeric_delta_method(small):
    _, d = small
    res = fit_degree(d, "degree ~ shared_border + log_distance", n_nodes=30)
    pos = d["degree"].to_numpy() > 0
    X = sm.add_constant(d.loc[pos, ["shared_border", "log_distance"]].to_numpy(float))

    def mean_z(th, j, shift):
        Xs = X.copy()
        if j == 1:
            Xs[:, j] = shift
        else:
            Xs[:, j] += shift
        return _ztnb_mean(Xs @ th[:-1], th[-1])

    value, se = _numeric_delta(mean_z, res.params.to_numpy(), res.cov["dyadic"], [1, 2], [True, False], 4)
    ame = average_marginal_effects(res, d, se_type="dyadic")
    np.testing.assert_allclose(ame["ame"].to_numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), se, rtol=1e-5)
    assert ame.attrs["scale"] == "E[y | y > 0]"

    # hurdle: E[y] = Λ(zγ) · E[y | y > 0](xβ, α); log_distance enters both parts
    h = fit_hurdle(d, "degree ~ shared_border + log_distance", zero_formula="~ log_distance + sum_log_pop",
                   n_nodes=30)
    Z = sm.add_constant(d[["log_distance", "sum_log_pop"]].to_numpy(float))
    Xa = sm.add_constant(d[["shared_border", "log_distance"]].to_numpy(float))
    cols = {"log_distance": ((1, 2), False), "sum_log_pop": ((2, None), False), "shared_border": ((None, 1), True)}

    def mean_h(th, name, shift):
        (jz, jx), is_bin = cols[name]
        Zs, Xs = Z.copy(), Xa.copy()
        for M, j in ((Zs, jz), (Xs, jx)):
            if j is not None:
                if is_bin:
                    M[:, j] = shift
                else:
                    M[:, j] += shift
        return 1 / (1 + np.exp(-(Zs @ th[:3]))) * _ztnb_mean(Xs @ th[3:6], th[6])

    names = ["log_distance", "sum_log_pop", "shared_border"]
    value, se = _numeric_delta(mean_h, h.params.to_numpy(), h.cov["dyadic"], names, [False, False, True], 7)
    ame = average_marginal_effects(h, d, se_type="dyadic")
    assert list(ame.index) == names
    np.testing.assert_allclose(ame["ame"].to_numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), se, rtol=1e-5)


def test_part_mean_ztnb_derivatives_match_finite_differences():
    eta, alpha, h = np.array([-1.0, 0.3, 2.0]), 0.7, 1e-5
    f, fe, fee, fa, fea = part_mean("ztnb", eta, alpha)
    np.testing.assert_allclose(f, _ztnb_mean(eta, alpha), rtol=1e-12)
    np.testing.assert_allclose(fe, (_ztnb_mean(eta + h, alpha) - _ztnb_mean(eta - h, alpha)) / (2 * h), rtol=1e-7)
    np.testing.assert_allclose(fa, (_ztnb_mean(eta, alpha + h) - _ztnb_mean(eta, alpha - h)) / (2 * h), rtol=1e-7)
    fe_at = lambda e, a: part_mean("ztnb", e, a)[1]  # noqa: E731
    np.testing.assert_allclose(fee, (fe_at(eta + h, alpha) - fe_at(eta - h, alpha)) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(fea, (fe_at(eta, alpha + h) - fe_at(eta, alpha - h)) / (2 * h), rtol=1e-6)


# ---------------------------------------------------------------- standardised, VIF
def test_standardized_equals_refit_on_rescaled_columns(small):
    _, d = small
    res = fit_connection(d, CONN, n_nodes=30)
    sd = d[["sum_log_pop", "same_province", "log_distance"]].std(ddof=1)
    scaled = d.assign(**{c: d[c] / sd[c] for c in sd.index})
    ref = fit_connection(scaled, CONN, n_nodes=30)
    std = standardized(res, d, se_type="dyadic")
    np.testing.assert_allclose(std["b_sdx"].to_numpy(), ref.params.to_numpy()[1:], rtol=1e-7)
    np.testing.assert_allclose(std["se_b_sdx"].to_numpy(), ref.se["dyadic"].to_numpy()[1:], rtol=1e-6)
    X = sm.add_constant(d[sd.index].to_numpy(float))
    sd_star = np.sqrt(np.var(X @ res.params.to_numpy(), ddof=1) + np.pi**2 / 3)
    np.testing.assert_allclose(std["b_std"].to_numpy(), res.params.to_numpy()[1:] * sd.to_numpy() / sd_star, rtol=1e-10)
    np.testing.assert_allclose(std["factor_sdx"].to_numpy(), np.exp(std["b_sdx"].to_numpy()), rtol=1e-12)


def test_vif_matches_statsmodels(small):
    _, d = small
    d = d.assign(near=d["sum_log_pop"] * 0.9 + np.random.default_rng(1).normal(0, 0.3, len(d)))
    res = fit_connection(d, CONN + " + near", n_nodes=30)
    X = sm.add_constant(d[["sum_log_pop", "same_province", "log_distance", "near"]].to_numpy(float))
    expected = [variance_inflation_factor(X, j) for j in range(1, 5)]
    np.testing.assert_allclose(vif(res, d)["vif"].to_numpy(), expected, rtol=1e-9)
    assert vif(res, d).loc["near", "vif"] > 5


def test_model_parts_refuse_another_table(small):
    _, d = small
    res = fit_connection(d, CONN, n_nodes=30)
    with pytest.raises(QuantError, match="not the one the model was fitted on|differs"):
        average_marginal_effects(res, d.assign(connection=1 - d["connection"]))


# ---------------------------------------------------------------- tests between nested fits
def test_lr_equals_twice_the_difference_of_independent_loglikelihoods(small):
    _, d = small
    small_fit = fit_connection(d, "connection ~ sum_log_pop", n_nodes=30)
    big_fit = fit_connection(d, CONN, n_nodes=30)
    y = d["connection"].to_numpy(float)
    ll0 = sm.Logit(y, sm.add_constant(d[["sum_log_pop"]].to_numpy(float))).fit(disp=0, tol=1e-12).llf
    ll1 = sm.Logit(y, sm.add_constant(d[["sum_log_pop", "same_province", "log_distance"]].to_numpy(float))).fit(
        disp=0, tol=1e-12).llf
    t = lr_test(small_fit, big_fit)
    assert t.statistic == pytest.approx(2 * (ll1 - ll0), rel=1e-8)
    assert t.df == 2 and t.p == pytest.approx(stats.chi2.sf(2 * (ll1 - ll0), 2), rel=1e-8)
    assert "dyadic-robust" in t.note and t.terms == ["same_province", "log_distance"]


def test_wald_matches_statsmodels_with_the_same_covariance(small):
    _, d = small
    small_fit = fit_connection(d, "connection ~ sum_log_pop", n_nodes=30)
    big_fit = fit_connection(d, CONN, n_nodes=30)
    X = sm.add_constant(d[["sum_log_pop", "same_province", "log_distance"]].to_numpy(float))
    ref = sm.Logit(d["connection"].to_numpy(float), X).fit(disp=0, tol=1e-12)
    R = np.zeros((2, 4))
    R[0, 2] = R[1, 3] = 1
    for key in ("dyadic", "hc0", "model"):
        expected = ref.wald_test(R, cov_p=big_fit.cov[key], use_f=False, scalar=True)
        t = wald_nested(small_fit, big_fit, key)
        assert t.statistic == pytest.approx(float(expected.statistic), rel=1e-6)
        assert t.p == pytest.approx(float(expected.pvalue), rel=1e-5)
    tf = wald_test(big_fit.__class__(**{**big_fit.__dict__, "p_dist": "t"}), ["same_province", "log_distance"])
    expected = ref.wald_test(R, cov_p=big_fit.cov["dyadic"], use_f=True, scalar=True, df_constraints=2)
    assert tf.distribution == "F" and tf.df == (2, 29)
    assert tf.statistic == pytest.approx(float(expected.statistic), rel=1e-6)
    assert tf.p == pytest.approx(stats.f.sf(float(expected.statistic), 2, 29), rel=1e-8)


def test_nested_tests_refuse_non_nested_and_different_rows(small):
    _, d = small
    a = fit_connection(d, "connection ~ sum_log_pop + log_distance", n_nodes=30)
    b = fit_connection(d, "connection ~ sum_log_pop + same_province", n_nodes=30)
    with pytest.raises(QuantError, match="not nested"):
        lr_test(a, b)
    missing = d.copy()
    missing.loc[:4, "same_province"] = np.nan
    c = fit_connection(missing, CONN, n_nodes=30)
    with pytest.raises(QuantError, match="different rows"):
        lr_test(fit_connection(d, "connection ~ sum_log_pop", n_nodes=30), c)


# ---------------------------------------------------------------- t with N - 1 df
def test_t_pvalues_use_n_minus_one_degrees_of_freedom(small):
    _, d = small
    res = fit_connection(d, CONN, n_nodes=30)
    t_res = res.__class__(**{**res.__dict__, "p_dist": "t"})
    tab, ref = t_res.table("dyadic"), res.table("dyadic")
    z = ref["z"].to_numpy()
    np.testing.assert_allclose(tab["p"].to_numpy(), 2 * stats.t.sf(np.abs(z), 29), rtol=1e-12)
    q = stats.t.ppf(0.975, 29)
    np.testing.assert_allclose(tab["ci_high"] - tab["estimate"], q * ref["se"], rtol=1e-12)
    assert (tab["p"] > ref["p"]).all() and t_res.df == 29
    note = regression_table([t_res]).attrs["note"]
    assert "t with N - 1 = 29 df" in note
    assert t_res.to_dict()["df"] == 29


# ---------------------------------------------------------------- delete-a-city influence
def test_influence_florentine_matches_published_one_step_and_exact(flo):
    res = fit_connection(flo, "tie ~ w_sum", a="i", b="j")
    inf = city_influence(res, flo, n_exact=-1)
    t = inf.table.set_index("city")
    # quant.md §1.8: Strozzi one-step (−0.598, 0.00857) vs exact (−0.595, 0.00824);
    # Ridolfi (0.2050, −0.00256) vs (0.2062, −0.00262)
    assert round(t.loc["Strozzi", "step:Intercept"], 3) == -0.598
    assert round(t.loc["Strozzi", "step:w_sum"], 5) == 0.00857
    assert round(t.loc["Strozzi", "exact:Intercept"], 3) == -0.595
    assert round(t.loc["Strozzi", "exact:w_sum"], 5) == 0.00824
    assert round(t.loc["Ridolfi", "step:Intercept"], 4) == 0.2050
    assert round(t.loc["Ridolfi", "step:w_sum"], 5) == -0.00256
    assert round(t.loc["Ridolfi", "exact:Intercept"], 4) == 0.2062
    assert round(t.loc["Ridolfi", "exact:w_sum"], 5) == -0.00262
    assert inf.table["city"].iloc[0] == "Strozzi"  # the most influential family
    # exact deltas and the jackknife equal brute-force refits
    X = sm.add_constant(flo["w_sum"].to_numpy(float))
    y = flo["tie"].to_numpy(float)
    fams = sorted(set(flo["i"]) | set(flo["j"]))
    est = []
    for fam in fams:
        keep = ((flo["i"] != fam) & (flo["j"] != fam)).to_numpy()
        est.append(sm.Logit(y[keep], X[keep]).fit(disp=0, tol=1e-12, method="newton").params)
    est = np.array(est)
    np.testing.assert_allclose(t.loc[fams, ["exact:Intercept", "exact:w_sum"]].to_numpy(),
                               est - res.params.to_numpy(), rtol=1e-6, atol=1e-9)
    centred = est - est.mean(axis=0)
    np.testing.assert_allclose(inf.jackknife_cov, 15 / 16 * centred.T @ centred, rtol=1e-6)


def test_influence_count_models_exact_matches_refit_and_one_step_is_close(small):
    _, d = small
    res = fit_degree(d, "degree ~ shared_border + log_distance", n_nodes=30)
    inf = city_influence(res, d, n_exact=3)
    top = inf.table.iloc[0]
    pos = d["degree"].to_numpy() > 0
    keep = pos & (d["city_a"] != top["city"]).to_numpy() & (d["city_b"] != top["city"]).to_numpy()
    again = fit_degree(d[keep], "degree ~ shared_border + log_distance", n_nodes=30)
    exact = [top[f"exact:{t}"] for t in res.params.index]
    np.testing.assert_allclose(exact, again.params.to_numpy() - res.params.to_numpy(), rtol=1e-5, atol=1e-8)
    steps = np.array([top[f"step:{t}"] for t in res.params.index])
    big = int(np.argmax(np.abs(exact)))  # one Newton step: a preview, right in sign and size
    assert np.sign(steps[big]) == np.sign(exact[big])
    assert np.abs(steps - np.array(exact)).max() < 0.6 * np.abs(exact).max()
    assert inf.table["exact:Intercept"].notna().sum() == 3
    # breadth (one row per city): deleting a city deletes its row
    cities = _breadth(small)
    b = fit_breadth(cities, "breadth ~ log_pop + urban", model="poisson")
    binf = city_influence(b, cities, n_exact=1)
    first = binf.table.iloc[0]
    refit = fit_breadth(cities[cities["code"] != first["city"]], "breadth ~ log_pop + urban", model="poisson")
    np.testing.assert_allclose([first[f"exact:{t}"] for t in b.params.index],
                               refit.params.to_numpy() - b.params.to_numpy(), rtol=1e-6, atol=1e-9)
    assert (binf.table["n_rows"] == 1).all()


def test_influence_hurdle_covers_both_parts(small):
    _, d = small
    h = fit(d, "degree", "hurdle", "degree ~ shared_border", zero_formula="~ sum_log_pop", n_nodes=30)
    inf = city_influence(h, d, n_exact=1)
    cols = [c for c in inf.table.columns if c.startswith("step:")]
    assert cols == [f"step:{t}" for t in h.params.index]
    assert inf.table[cols].notna().all().all() and (inf.table["n_rows"] == 29).all()


def test_binomial_breadth_ame_and_influence(small):
    """Breadth as successes out of N − 1 = 29 partners: AME on the expected count m·Λ(xβ) by a
    numerical delta method; exact delete-a-city refit against statsmodels' GLM."""
    cities = _breadth(small)
    res = fit_breadth(cities, "breadth ~ log_pop + urban", model="binomial", n_possible=29)
    X = sm.add_constant(cities[["log_pop", "urban"]].to_numpy(float))

    def mean(th, j, shift):
        Xs = X.copy()
        Xs[:, j] += shift
        return 29 / (1 + np.exp(-(Xs @ th)))

    value, se = _numeric_delta(mean, res.params.to_numpy(), res.cov["model"], [1, 2], [False, False], 3)
    ame = average_marginal_effects(res, cities, se_type="model")
    np.testing.assert_allclose(ame["ame"].to_numpy(), value, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), se, rtol=1e-5)
    assert ame.attrs["scale"].startswith("expected count")
    inf = city_influence(res, cities, n_exact=1)
    top = inf.table.iloc[0]
    keep = (cities["code"] != top["city"]).to_numpy()
    y = cities["breadth"].to_numpy(float)[keep]
    ref = sm.GLM(np.column_stack([y, 29 - y]), X[keep], family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose([top[f"exact:{t}"] for t in res.params.index], ref.params - res.params.to_numpy(),
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("model", ["logit", "probit", "poisson", "nb", "binomial", "ztnb", "nb_pos"])
def test_influence_row_derivatives_reproduce_statsmodels_score_and_hessian(small, demo_cities, model):
    from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP

    from quant.inference.hypotheses import model_parts
    from quant.inference.influence import _hessian, _index_derivatives

    _, d = small
    if model in ("logit", "probit"):
        res, data = fit_connection(d, CONN, model=model), d
    elif model in ("ztnb", "nb_pos"):
        res, data = fit_degree(d, "degree ~ shared_border + log_distance", model=model), d
    else:
        data = demo_cities
        res = fit_breadth(data, "breadth ~ log_pop + urban_share", model=model)
    [part] = model_parts(res, data)
    used = np.flatnonzero(part.used)
    theta = res.params.to_numpy()
    g_e, g_a, h_ee, h_ea, h_aa = _index_derivatives(res, part, used, theta)
    X, y = part.X[used], part.y[used]
    S = X * g_e[:, None] if g_a is None else np.column_stack([X * g_e[:, None], g_a])
    ref = {"logit": lambda: sm.Logit(y, X), "probit": lambda: sm.Probit(y, X), "poisson": lambda: Poisson(y, X),
           "nb": lambda: NegativeBinomialP(y, X, p=2), "nb_pos": lambda: NegativeBinomialP(y, X, p=2),
           "ztnb": lambda: TruncatedLFNegativeBinomialP(y, X, truncation=0, p=2),
           "binomial": lambda: sm.GLM(np.column_stack([y, part.trials - y]), X, family=sm.families.Binomial())}[model]()
    kw = {"scale": 1.0} if model == "binomial" else {}
    np.testing.assert_allclose(S, ref.score_obs(theta, **kw), rtol=1e-7, atol=1e-10)
    rtol = 1e-4 if model == "ztnb" else 1e-8  # statsmodels' ZTNB Hessian is numerical (approx_hess)
    np.testing.assert_allclose(_hessian(X, h_ee, h_ea, h_aa), ref.hessian(theta, **kw), rtol=rtol,
                               atol=rtol * np.abs(ref.hessian(theta, **kw)).max())
