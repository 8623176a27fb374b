"""Models per dimension: published anchors (Florentine ERGM = logit), agreement with independent
statsmodels fits, pitfalls of quant.md §2.5, diagnostics that must raise ModelError."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP

from quant.errors import DyadError, ModelError, QuantError
from quant.models.logit_lean import fit_logit_newton
from quant.models.dispatch import fit, fit_breadth, fit_connection, fit_degree
from quant.models.common import Attempt, check_se, run_fit
from quant.models.residuals import pearson_nb2, ztnb_moments

# ergm 4.12.0, flomarriage ~ edges + nodecov("wealth") (quant.md §5)
FLO_COEF = [-2.5949290317864602, 0.010545912833824604]
FLO_SE = [0.53605603993959339, 0.0046742550755461409]
FLO_LLF = -51.554286195409944


@pytest.fixture
def flo(shared):
    return pd.read_csv(shared("validation", "florentine_dyads.csv"))


def _dyads(N, seed, beta=(-1.5, 0.8, -0.5)):
    """A complete dyad table with a dyad-level and a node-sum covariate and a logit outcome."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(N, 1)
    w = rng.normal(size=N)
    x1 = rng.normal(size=len(i))
    x2 = w[i] + w[j]
    eta = beta[0] + beta[1] * x1 + beta[2] * x2
    y = (rng.random(len(i)) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"city_a": [f"{100 + k}" for k in i], "city_b": [f"{100 + k}" for k in j],
                         "y": y, "x1": x1, "x2": x2})


# ---------------------------------------------------------------- anchors
def test_models_florentine_logit_reproduces_ergm(flo):
    assert len(flo) == 120 and int(flo["tie"].sum()) == 20
    assert int((flo["tie"] * flo["w_sum"]).sum()) == 2168
    families = set(flo["i"]) | set(flo["j"])
    assert len(families) == 16 and "Pucci" in families
    pucci = flo[(flo["i"] == "Pucci") | (flo["j"] == "Pucci")]
    assert len(pucci) == 15 and pucci["tie"].sum() == 0  # the isolate
    for engine in ("statsmodels", "lean"):
        res = fit_connection(flo, "tie ~ w_sum", a="i", b="j", engine=engine)
        np.testing.assert_allclose(res.params.to_numpy(), FLO_COEF, rtol=1e-6)
        np.testing.assert_allclose(res.se["model"].to_numpy(), FLO_SE, rtol=1e-5)
        assert abs(res.llf - FLO_LLF) < 1e-5
        assert list(res.params.index) == ["Intercept", "w_sum"]
        assert res.n == 120 and res.n_nodes == 16 and res.se_type == "dyadic"
        assert res.aic == pytest.approx(2 * 2 - 2 * FLO_LLF, abs=1e-4)
        assert res.bic == pytest.approx(2 * np.log(120) - 2 * FLO_LLF, abs=1e-4)


def test_models_lean_logit_matches_statsmodels_to_1e8():
    rng = np.random.default_rng(4)
    n = 30_000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3)), rng.random(n) < 0.3])
    eta = X @ np.array([-2.0, 0.5, -0.4, 0.1, 0.9])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    lean = fit_logit_newton(y, X)
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-14, maxiter=100)
    assert lean.converged
    np.testing.assert_allclose(lean.params, ref.params, rtol=1e-8, atol=1e-10)
    assert abs(lean.llf - ref.llf) < 1e-8
    np.testing.assert_allclose(lean.hessian, ref.model.hessian(ref.params), rtol=1e-8)
    np.testing.assert_allclose(lean.fitted, ref.predict(), rtol=1e-8)


def test_models_hc0_matches_statsmodels_and_hc1_is_refused(flo):
    res = fit_connection(flo, "tie ~ w_sum", a="i", b="j")
    X = sm.add_constant(flo["w_sum"].to_numpy(float))
    sm_hc0 = sm.Logit(flo["tie"].to_numpy(float), X).fit(disp=0, cov_type="HC0")
    np.testing.assert_allclose(res.cov["hc0"], sm_hc0.cov_params(), rtol=1e-6)
    # pitfall 4: statsmodels returns HC0 under the HC1 label for Logit, so Tandem refuses it
    sm_hc1 = sm.Logit(flo["tie"].to_numpy(float), X).fit(disp=0, cov_type="HC1")
    np.testing.assert_allclose(sm_hc1.cov_params(), sm_hc0.cov_params(), rtol=1e-12)
    with pytest.raises(QuantError, match="HC0"):
        fit_connection(flo, "tie ~ w_sum", a="i", b="j", se=("model", "HC1"))
    with pytest.raises(QuantError, match="not available"):
        check_se(("dyadic",), ("model", "hc0"), "city")


# ---------------------------------------------------------------- degree (ZTNB / NB)
def test_models_ztnb_with_zero_rows_keeps_ids_aligned():
    rng = np.random.default_rng(21)
    N = 40
    i, j = np.triu_indices(N, 1)
    n = len(i)
    x = rng.normal(size=n)
    connected = rng.random(n) < 0.3
    mu = np.exp(0.7 + 0.6 * x)
    y = rng.negative_binomial(1 / 0.8, 1 / (1 + 0.8 * mu))
    y = np.where(connected, np.maximum(y, 1), 0)  # zeros: unconnected dyads
    df = pd.DataFrame({"city_a": [f"A{k:02d}" for k in i], "city_b": [f"B{k:02d}" for k in j],
                       "items": y, "x": x}).sample(frac=1.0, random_state=9).reset_index(drop=True)
    res = fit_degree(df, "items ~ x")
    pos = df[df["items"] > 0]
    assert res.n == len(pos) and len(res.units) == len(pos)
    # every unit row is the input row it claims to be
    back = df.iloc[res.units.index.to_numpy()]
    assert (back["city_a"].to_numpy() == res.units["city_a"].to_numpy()).all()
    assert (back["city_b"].to_numpy() == res.units["city_b"].to_numpy()).all()
    assert (back["items"].to_numpy() == res.units["y"].to_numpy()).all()
    # same estimate as statsmodels on the positive rows (polished to the same optimum)
    Xp = sm.add_constant(pos["x"].to_numpy())
    m = TruncatedLFNegativeBinomialP(pos["items"].to_numpy(), Xp, truncation=0, p=2)
    r0 = m.fit(start_params=np.append(sm.Poisson(pos["items"].to_numpy(), Xp).fit(disp=0).params, 0.5),
               method="bfgs", disp=0, maxiter=2000)
    r = m.fit(start_params=r0.params, method="newton", disp=0)
    np.testing.assert_allclose(res.params.to_numpy(), r.params, rtol=1e-6)
    assert list(res.params.index) == ["Intercept", "x", "alpha"] and res.params["alpha"] > 0
    # fitted = truncated mean, Pearson from truncated variance, both as statsmodels predicts them
    mean = m.predict(r.params, which="mean")
    var = m.predict(r.params, which="var")
    np.testing.assert_allclose(res.units["fitted"].to_numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(res.units["pearson"].to_numpy(),
                               (pos["items"].to_numpy() - mean) / np.sqrt(var), rtol=1e-4)
    assert any("collaborating dyads" in w for w in res.warnings)


def test_models_ztnb_moments_match_pmf_sum():
    mu = np.array([0.05, 0.7, 2.5, 15.0])
    alpha = 0.6
    mean, var = ztnb_moments(mu, alpha)
    k = np.arange(1, 20_000)
    for mi, m_, v_ in zip(mu, mean, var):
        pmf = stats.nbinom.pmf(k, 1 / alpha, 1 / (1 + alpha * mi))
        pmf = pmf / (1 - stats.nbinom.pmf(0, 1 / alpha, 1 / (1 + alpha * mi)))
        assert m_ == pytest.approx((k * pmf).sum(), rel=1e-10)
        assert v_ == pytest.approx((k**2 * pmf).sum() - (k * pmf).sum() ** 2, rel=1e-8)


def test_models_nb_pos_with_connected_column_and_ztnb_refuses_zero_items():
    rng = np.random.default_rng(8)
    N = 35
    i, j = np.triu_indices(N, 1)
    x = rng.normal(size=len(i))
    conn = (rng.random(len(i)) < 0.35).astype(int)
    mu = np.exp(0.4 + 0.5 * x)
    items = np.where(conn == 1, rng.negative_binomial(1 / 0.7, 1 / (1 + 0.7 * mu)), 0)
    assert ((conn == 1) & (items == 0)).any()  # agreements listing 0 items
    df = pd.DataFrame({"city_a": i, "city_b": j, "items": items, "x": x, "conn": conn})
    res = fit_degree(df, "items ~ x", model="nb_pos", connected="conn")
    sub = df[df["conn"] == 1]
    ref_m = sm.NegativeBinomial(sub["items"].to_numpy(), sm.add_constant(sub["x"].to_numpy()),
                                loglike_method="nb2")
    ref = ref_m.fit(disp=0, method="nm", maxiter=5000)
    ref = ref_m.fit(start_params=ref.params, disp=0, method="newton", maxiter=100)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-5)
    assert res.n == len(sub)
    mu_hat = np.exp(sm.add_constant(sub["x"].to_numpy()) @ ref.params[:2])
    np.testing.assert_allclose(res.units["pearson"].to_numpy(),
                               pearson_nb2(sub["items"].to_numpy(), mu_hat, ref.params[2]), rtol=1e-4)
    with pytest.raises(ModelError, match="nb_pos"):
        fit_degree(df, "items ~ x", model="ztnb", connected="conn")


# ---------------------------------------------------------------- breadth
def test_models_breadth_matches_independent_fits():
    rng = np.random.default_rng(12)
    n = 155
    cities = pd.DataFrame({"code": [str(320100 + 100 * k) for k in range(n)],
                           "log_pop": rng.normal(size=n), "capital": (rng.random(n) < 0.2).astype(int)})
    mu = np.exp(2.0 + 0.5 * cities["log_pop"] + 0.3 * cities["capital"])
    cities["breadth"] = np.minimum(rng.negative_binomial(1 / 0.4, 1 / (1 + 0.4 * mu)), n - 1)
    X = sm.add_constant(cities[["log_pop", "capital"]].to_numpy(float))
    y = cities["breadth"].to_numpy(float)

    nb = fit_breadth(cities, "breadth ~ log_pop + capital")
    ref_m = sm.NegativeBinomial(y, X, loglike_method="nb2")  # another class than ours
    ref = ref_m.fit(start_params=ref_m.fit(disp=0, method="nm", maxiter=5000).params,
                    disp=0, method="newton", maxiter=100)
    np.testing.assert_allclose(nb.params.to_numpy(), ref.params, rtol=1e-5)
    np.testing.assert_allclose(nb.se["model"].to_numpy(), ref.bse, rtol=1e-4)
    assert nb.se_type == "model" and set(nb.se) == {"model", "hc0"} and nb.n_nodes == n
    assert list(nb.units.columns) == ["city", "y", "fitted", "pearson"]

    po = fit_breadth(cities, "breadth ~ log_pop + capital", model="poisson")
    glm = sm.GLM(y, X, family=sm.families.Poisson()).fit(cov_type="HC0")
    np.testing.assert_allclose(po.params.to_numpy(), glm.params, rtol=1e-7)
    np.testing.assert_allclose(po.cov["hc0"], glm.cov_params(), rtol=1e-6)

    # binomial out of N-1 partners = logit on the expanded Bernoulli rows (one per possible partner)
    bi = fit_breadth(cities, "breadth ~ log_pop + capital", model="binomial")
    m = n - 1
    ye = np.concatenate([np.r_[np.ones(int(k)), np.zeros(m - int(k))] for k in y])
    Xe = np.repeat(X, m, axis=0)
    lo = sm.Logit(ye, Xe).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(bi.params.to_numpy(), lo.params, rtol=1e-7)
    np.testing.assert_allclose(bi.se["model"].to_numpy(), lo.bse, rtol=1e-6)
    # binomial log-likelihood = Bernoulli one + log C(m, y) per city
    log_choose = np.sum([math.log(math.comb(m, int(k))) for k in y])
    np.testing.assert_allclose(bi.llf - lo.llf, log_choose, rtol=1e-9)
    p = lo.predict(X)
    np.testing.assert_allclose(bi.units["pearson"].to_numpy(), (y - m * p) / np.sqrt(m * p * (1 - p)),
                               rtol=1e-6)


def test_models_breadth_refuses_duplicate_city_and_counts_out_of_range():
    df = pd.DataFrame({"code": ["1", "2", "2"] + [str(k) for k in range(3, 15)],
                       "b": range(15), "x": np.arange(15) % 4})
    with pytest.raises(QuantError, match="more than one row"):
        fit_breadth(df, "b ~ x")
    df["code"] = [str(k) for k in range(15)]
    with pytest.raises(ModelError, match="exceeds"):
        fit_breadth(df, "b ~ x", model="binomial", n_possible=10)


# ---------------------------------------------------------------- diagnostics
def test_models_separating_dummy_is_named(flo):
    df = flo.copy()
    df["medici_tie"] = ((df["i"] == "Medici") | (df["j"] == "Medici")) & (df["tie"] == 1)
    df["medici_tie"] = df["medici_tie"].astype(int)
    with pytest.raises(ModelError, match=r"separation of 'tie' by 'medici_tie'") as err:
        fit_connection(df, "tie ~ w_sum + medici_tie", a="i", b="j")
    # the message says what to do instead, by name and how
    assert "refit with --model firth (Firth's penalized logit)" in str(err.value)
    # complete separation by a continuous variable
    df["score"] = df["tie"] * 10 + df["w_sum"] / 1000
    with pytest.raises(ModelError, match=r"complete separation of 'tie' by 'score'"):
        fit_connection(df, "tie ~ score", a="i", b="j")


def test_models_multivariate_separation_names_both_variables():
    df = _dyads(30, seed=2)
    df["u"] = np.random.default_rng(1).normal(size=len(df))
    df["y"] = (df["x1"] + df["u"] > 0.3).astype(int)  # separable only by x1 and u together
    with pytest.raises(ModelError, match=r"'x1', 'u'"):
        fit_connection(df, "y ~ x1 + x2 + u")


def test_models_nonconvergence_is_a_model_error_not_a_warning():
    rng = np.random.default_rng(0)
    c = pd.DataFrame({"code": [str(k) for k in range(60)], "x": rng.normal(size=60),
                      "b": np.random.default_rng(0).binomial(20, 0.5, size=60)})  # under-dispersed
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any leaked warning fails the test
        with pytest.raises(ModelError, match=r"did not converge to an acceptable maximum; "
                                             r"tried newton .*bfgs .*nelder-mead"):
            fit_breadth(c, "b ~ x", model="nb")
        x = np.linspace(0, 1, 100) + np.random.default_rng(1).normal(size=100)
        m = sm.Logit(np.r_[np.zeros(50), np.ones(50)], sm.add_constant(x))
        with pytest.raises(ModelError, match=r"did not converge in 1 iterations"):
            run_fit(m, [Attempt("newton, 1 step", "newton", None, {"maxiter": 1})], "logit")


def test_models_refuse_constant_collinear_rare_and_infinite(flo):
    df = flo.copy()
    df["one"] = 1.0
    with pytest.raises(ModelError, match=r"covariate 'one' is constant"):
        fit_connection(df, "tie ~ w_sum + one", a="i", b="j")
    df["w_min"] = (df["w_sum"] - df["w_absdiff"]) / 2
    df["w_max"] = (df["w_sum"] + df["w_absdiff"]) / 2
    with pytest.raises(ModelError, match=r"'w_min' is a linear combination of 'w_sum', 'w_absdiff'"):
        fit_connection(df, "tie ~ w_sum + w_absdiff + w_min + w_max", a="i", b="j")
    with pytest.raises(ModelError, match=r"only 5 ones among 120"):
        fit_connection(df.assign(tie=(df.index < 5).astype(int)), "tie ~ w_sum", a="i", b="j")
    with pytest.raises(ModelError, match="constant"):
        fit_connection(df.assign(tie=0), "tie ~ w_sum", a="i", b="j")
    with pytest.raises(ModelError, match=r"variable 'np.log\(w_absdiff\)' has infinite values in 2 row"):
        fit_connection(df, "tie ~ np.log(w_absdiff)", a="i", b="j")
    with pytest.raises(ModelError, match="must be 0/1"):
        fit_connection(df.assign(tie=df["tie"] * 2), "tie ~ w_sum", a="i", b="j")


def test_models_missing_values_reported_and_rows_aligned(flo):
    df = flo.copy()
    df.loc[[3, 50, 77], "w_sum"] = np.nan
    df.loc[[50, 90], "w_absdiff"] = np.nan
    res = fit_connection(df, "tie ~ w_sum + w_absdiff", a="i", b="j")
    assert res.n == 116
    assert any("4 of 120 rows dropped for missing values (w_sum: 3, w_absdiff: 2" in w for w in res.warnings)
    assert not set(res.units.index) & {3, 50, 77, 90}
    assert (df.loc[res.units.index, "i"].to_numpy() == res.units["city_a"].to_numpy()).all()
    ref = sm.Logit.from_formula("tie ~ w_sum + w_absdiff", df.dropna()).fit(disp=0)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-7)


def test_models_parameter_recovery_simulated_dyad_logit():
    beta = (-1.5, 0.8, -0.5)
    df = _dyads(80, seed=31, beta=beta)
    res = fit_connection(df, "y ~ x1 + x2")
    tab = res.table()  # dyadic by default
    assert res.se_type == "dyadic" and res.n == 3160 and res.n_nodes == 80
    for term, true in zip(["Intercept", "x1", "x2"], beta):
        assert tab.loc[term, "ci_low"] < true < tab.loc[term, "ci_high"], (term, tab.loc[term].to_dict())
    # estimates are informative: within 3 model SEs, and the CI excludes 0 for each slope
    assert (tab.loc[["x1", "x2"], "p"] < 1e-3).all()


# ---------------------------------------------------------------- results and dispatch
def test_models_fitresult_table_dict_and_summary(flo):
    res = fit(flo, "connection", formula="tie ~ w_sum", a="i", b="j", small_sample="nodes")
    tab = res.table("hc0", alpha=0.10)
    est, se = res.params["w_sum"], res.se["hc0"]["w_sum"]
    assert tab.loc["w_sum", "z"] == pytest.approx(est / se)
    assert tab.loc["w_sum", "p"] == pytest.approx(2 * stats.norm.sf(abs(est / se)))
    assert tab.loc["w_sum", "ci_high"] == pytest.approx(est + stats.norm.ppf(0.95) * se)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["params"]["w_sum"]["se"]["dyadic"] == pytest.approx(res.se["dyadic"]["w_sum"])
    assert set(d["params"]["Intercept"]["se"]) == {"model", "hc0", "dyadic"}
    assert d["n"] == 120 and d["meta"]["covariance"]["small_sample"] == "nodes"
    assert "N/(N-1)" in res.se_labels["dyadic"]
    text = res.summary_text()
    assert "w_sum" in text and "dyadic-robust (Fafchamps & Gubert 2007)" in text
    with pytest.raises(QuantError, match="not computed"):
        fit_connection(flo, "tie ~ w_sum", a="i", b="j", se=("model",)).table("dyadic")


def test_models_fit_dispatch_defaults_and_errors(flo):
    assert fit(flo, "connection", formula="tie ~ w_sum", a="i", b="j").model == "logit"
    assert fit(flo, "connection", "probit", "tie ~ w_sum", a="i", b="j").model == "probit"
    with pytest.raises(QuantError, match="does not fit"):
        fit(flo, "connection", "ztnb", "tie ~ w_sum")
    with pytest.raises(QuantError, match="dimension"):
        fit(flo, "width", formula="tie ~ w_sum")
    with pytest.raises(QuantError, match="formula"):
        fit(flo, "breadth")
    with pytest.raises(DyadError):
        fit(flo.assign(j=flo["i"]), "connection", formula="tie ~ w_sum", a="i", b="j")


def test_models_probit_agrees_with_statsmodels(flo):
    res = fit_connection(flo, "tie ~ w_sum", model="probit", a="i", b="j")
    ref = sm.Probit(flo["tie"].to_numpy(float), sm.add_constant(flo["w_sum"].to_numpy(float))).fit(disp=0)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-6)
    np.testing.assert_allclose(res.se["model"].to_numpy(), ref.bse, rtol=1e-5)
    p = ref.predict()
    np.testing.assert_allclose(res.units["pearson"].to_numpy(),
                               (flo["tie"].to_numpy() - p) / np.sqrt(p * (1 - p)), rtol=1e-6)


def test_models_ztnb_analytic_hessian_matches_numerical():
    from statsmodels.tools.numdiff import approx_fprime

    from quant.models.ztnb import ZTNB2

    rng = np.random.default_rng(17)
    X = sm.add_constant(rng.normal(size=(900, 2)))
    mu = np.exp(X @ [0.5, 0.4, -0.3])
    y = rng.negative_binomial(1 / 0.6, 1 / (1 + 0.6 * mu))
    X, y = X[y > 0], y[y > 0]
    ours = ZTNB2(y, X)
    ref = TruncatedLFNegativeBinomialP(y, X, truncation=0, p=2)  # analytic score, numerical Hessian
    for params in ([0.5, 0.4, -0.3, 0.6], [0.1, 0.2, 0.1, 2.0], [1.0, -0.2, 0.3, 0.05]):
        params = np.array(params)
        np.testing.assert_allclose(ours.score_obs(params), ref.score_obs(params), rtol=1e-9, atol=1e-12)
        H = ours.hessian(params)
        np.testing.assert_allclose(H, ref.hessian(params), rtol=1e-5, atol=1e-6 * np.abs(H).max())
        np.testing.assert_allclose(H, approx_fprime(params, ours.score, centered=True),
                                   rtol=1e-6, atol=1e-7 * np.abs(H).max())


def test_models_transformation_nan_rows_are_dropped_and_named(flo):
    df = flo.copy()
    df["z"] = df["w_absdiff"] - 2.5  # below -1 in some rows: the log gives NaN there
    res = fit_connection(df, "tie ~ w_sum + np.log(z + 1)", a="i", b="j")
    bad = int(((df["z"] + 1) < 0).sum())
    assert bad > 0 and res.n == 120 - bad
    assert any(f"{bad} row(s) dropped because a transformation gave NaN (np.log(z + 1): {bad})" in w
               for w in res.warnings)


def test_models_formula_functions_and_categoricals(flo):
    a = fit_connection(flo, "tie ~ log(w_sum)", a="i", b="j")
    b = fit_connection(flo.assign(lw=np.log(flo["w_sum"])), "tie ~ lw", a="i", b="j")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)
    df = flo.assign(rich=pd.cut(flo["w_sum"], [0, 60, 120, 1000], labels=["low", "mid", "high"]).astype(str))
    res = fit_connection(df, "tie ~ C(rich, Treatment('low'))", a="i", b="j")
    ref = sm.Logit.from_formula("tie ~ C(rich, Treatment('low'))", df).fit(disp=0)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), rtol=1e-7)
    assert list(res.params.index) == list(ref.params.index)


def test_models_chunked_design_equals_one_chunk(flo, monkeypatch):
    import quant.models.design as design

    df = flo.assign(band=(flo["w_sum"] // 50).astype(int).astype(str))
    formula = "tie ~ C(band) + center(w_sum) + np.log(w_absdiff + 1)"
    whole = design.build_design(df, formula)
    monkeypatch.setattr(design, "_CHUNK", 7)  # 18 chunks; levels and the mean span chunks
    chunked = design.build_design(df, formula)
    assert chunked.names == whole.names
    np.testing.assert_array_equal(chunked.X, whole.X)
    np.testing.assert_array_equal(chunked.y, whole.y)
