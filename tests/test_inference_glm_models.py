"""AME, standardised coefficients, VIF and delete-a-city influence for cloglog, Firth, Gaussian,
Poisson and NB2 fits (with and without an offset), on dyads and cities.

References are computed here, outside Tandem: statsmodels' ``get_margeff`` (discrete Poisson and
NegativeBinomial, method="dydx", at="overall"), statsmodels OLS / GLM refits and
``variance_inflation_factor``, and central finite differences of the predicted mean written with
plain numpy (the AME, and the AME's gradient for the delta-method SE)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit
from statsmodels.discrete.discrete_model import NegativeBinomial, Poisson
from statsmodels.stats.outliers_influence import variance_inflation_factor

from quant.inference.hypotheses import standardized, vif
from quant.inference.influence import city_influence
from quant.inference.margins import average_marginal_effects
from quant.models.glm import fit_glm


def _dyads(n_nodes=16, seed=5):
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n_nodes)
    rows = []
    for i, j in itertools.combinations(range(n_nodes), 2):
        x1 = rng.normal()
        x2 = size[i] + size[j] + rng.normal(scale=0.3)
        d = float(rng.uniform() < 0.4)
        expo = rng.uniform(0.5, 3.0)
        mu = np.exp(-0.2 + 0.4 * x1 + 0.3 * x2 - 0.3 * d) * expo
        rows.append({"city_a": f"c{i}", "city_b": f"c{j}", "x1": x1, "x2": x2, "d": d, "expo": expo,
                     "lexpo": np.log(expo),
                     "count": rng.negative_binomial(2.0, 2.0 / (2.0 + mu)),
                     "tie": float(rng.uniform() < 1 - np.exp(-np.exp(-0.8 + 0.7 * x1 + 0.2 * x2))),
                     "cont": 1.0 + 0.5 * x1 - 0.3 * x2 + 0.4 * d + rng.normal() + size[i] + size[j]})
    return pd.DataFrame(rows)


def _cities(n=80, seed=9):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    pop = rng.uniform(1.0, 20.0, n)
    mu = np.exp(0.5 + 0.4 * x1 - 0.2 * x2) * pop
    return pd.DataFrame({"code": [f"k{i}" for i in range(n)], "x1": x1, "x2": x2, "pop": pop,
                         "y": rng.poisson(mu).astype(float),
                         "nb": rng.negative_binomial(3.0, 3.0 / (3.0 + mu)).astype(float),
                         "ycont": 2.0 + x1 - 0.5 * x2 + rng.normal(size=n)})


def _X(df, cols):
    return np.column_stack([np.ones(len(df))] + [df[c].to_numpy(float) for c in cols])


def _fd_ame(mean, beta, X, j, h=1e-6):
    """Average over rows of the central difference of the predicted mean in column j."""
    up, dn = X.copy(), X.copy()
    up[:, j] += h
    dn[:, j] -= h
    return float(np.mean((mean(up, beta) - mean(dn, beta)) / (2 * h)))


def _fd_reference(mean, beta, X, cols, V, h=1e-5):
    """AME of each column (central differences) and its delta-method SE with the AME's gradient in
    β also taken by central differences: SE = sqrt(g V gᵀ)."""
    ames, ses = [], []
    for j in cols:
        ames.append(_fd_ame(mean, beta, X, j))
        g = np.zeros(len(beta))
        for k in range(len(beta)):
            bp, bm = beta.copy(), beta.copy()
            bp[k] += h
            bm[k] -= h
            g[k] = (_fd_ame(mean, bp, X, j) - _fd_ame(mean, bm, X, j)) / (2 * h)
        ses.append(float(np.sqrt(g @ V[: len(beta), : len(beta)] @ g)))
    assert np.all(np.isfinite(ses)) and np.all(np.array(ses) > 0)  # NaN == NaN would pass assert_allclose
    return np.array(ames), np.array(ses)


def test_cloglog_dyads_ame_matches_finite_differences_with_dyadic_se():
    df = _dyads()
    # psd="clip": on 16 nodes the dyadic covariance has a negative eigenvalue (quant.md §1)
    res = fit_glm(df, "tie ~ x1 + x2", family="cloglog", unit="dyad", psd="clip")
    X = _X(df, ["x1", "x2"])
    beta = res.params.to_numpy()
    ame = average_marginal_effects(res, df)
    ref, ref_se = _fd_reference(lambda X, b: 1 - np.exp(-np.exp(X @ b)), beta, X, [1, 2], res.cov["dyadic"])
    np.testing.assert_allclose(ame["ame"].to_numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), ref_se, rtol=1e-4)
    assert ame.attrs["scale"] == "probability" and list(ame["kind"]) == ["dy/dx", "dy/dx"]


def test_cloglog_with_offset_and_binary_column_discrete_change():
    df = _dyads(seed=8)
    res = fit_glm(df, "tie ~ x1 + d", family="cloglog", unit="dyad", offset="lexpo", se=("model", "dyadic"))
    assert res.meta["offset_source"] == {"offset": "lexpo"}
    X = _X(df, ["x1", "d"])
    off = df["lexpo"].to_numpy()
    b = res.params.to_numpy()

    def mean(X, b):
        return 1 - np.exp(-np.exp(X @ b + off))

    ame = average_marginal_effects(res, df, se_type="model")
    x1 = _fd_reference(mean, b, X, [1], res.cov["model"])
    np.testing.assert_allclose(ame.loc["x1", "ame"], x1[0][0], rtol=1e-6)
    np.testing.assert_allclose(ame.loc["x1", "se"], x1[1][0], rtol=1e-4)
    X1, X0 = X.copy(), X.copy()
    X1[:, 2], X0[:, 2] = 1.0, 0.0
    assert ame.loc["d", "kind"] == "0->1"
    np.testing.assert_allclose(ame.loc["d", "ame"], np.mean(mean(X1, b) - mean(X0, b)), rtol=1e-10)


def test_nb2_all_dyads_ame_matches_statsmodels_get_margeff():
    df = _dyads()
    res = fit_glm(df, "count ~ x1 + x2", family="nb", unit="dyad", se=("model", "dyadic"))
    ref = NegativeBinomial(df["count"].to_numpy(float), _X(df, ["x1", "x2"]), loglike_method="nb2").fit(
        method="newton", maxiter=200, tol=1e-12, disp=0)
    mfx = ref.get_margeff(at="overall", method="dydx")
    ame = average_marginal_effects(res, df, se_type="model")
    np.testing.assert_allclose(ame["ame"].to_numpy(), mfx.margeff, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), mfx.margeff_se, rtol=1e-5)


def test_poisson_city_ame_matches_statsmodels_and_exposure_matches_finite_differences():
    df = _cities()
    X = _X(df, ["x1", "x2"])
    res = fit_glm(df, "y ~ x1 + x2", family="poisson", unit="city", se=("model", "hc0"))
    ref = Poisson(df["y"].to_numpy(), X).fit(method="newton", tol=1e-12, disp=0)
    mfx = ref.get_margeff(at="overall", method="dydx")
    ame = average_marginal_effects(res, df, se_type="model")
    np.testing.assert_allclose(ame["ame"].to_numpy(), mfx.margeff, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), mfx.margeff_se, rtol=1e-5)

    res = fit_glm(df, "y ~ x1 + x2", family="poisson", unit="city", exposure="pop", se=("model", "hc0"))
    glm = sm.GLM(df["y"].to_numpy(), X, family=sm.families.Poisson(), exposure=df["pop"].to_numpy()).fit(tol=1e-14)
    np.testing.assert_allclose(res.params.to_numpy(), glm.params, atol=1e-8)
    off = np.log(df["pop"].to_numpy())
    b = res.params.to_numpy()
    ame = average_marginal_effects(res, df, se_type="hc0")
    ref_ame, ref_se = _fd_reference(lambda X, b: np.exp(X @ b + off), b, X, [1, 2], res.cov["hc0"])
    np.testing.assert_allclose(ame["ame"].to_numpy(), ref_ame, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), ref_se, rtol=1e-4)
    # AME of E[y] = exp(xb + log pop): beta times the mean count, not the rate per unit of exposure
    np.testing.assert_allclose(ame.loc["x1", "ame"], b[1] * df["y"].mean(), rtol=1e-6)  # PPML: mean mu = mean y


def test_nb2_city_with_exposure_ame_and_influence_refit():
    df = _cities(n=60, seed=4)
    X = _X(df, ["x1", "x2"])
    res = fit_glm(df, "nb ~ x1 + x2", family="nb", unit="city", exposure="pop", se=("model",))
    off = np.log(df["pop"].to_numpy())
    b = res.params.to_numpy()[:3]
    ame = average_marginal_effects(res, df)
    ref_ame, ref_se = _fd_reference(lambda X, b: np.exp(X @ b + off), b, X, [1, 2], res.cov["model"])
    np.testing.assert_allclose(ame["ame"].to_numpy(), ref_ame, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), ref_se, rtol=1e-4)
    inf = city_influence(res, df, n_exact=2)
    top = inf.table.iloc[0]
    keep = (df["code"] != top["city"]).to_numpy()
    refit = NegativeBinomial(df["nb"].to_numpy()[keep], X[keep], loglike_method="nb2", offset=off[keep]).fit(
        method="newton", maxiter=200, tol=1e-12, disp=0)
    exact = np.array([top[f"exact:{t}"] for t in inf.terms])
    np.testing.assert_allclose(exact, refit.params - res.params.to_numpy(), atol=1e-5)


def test_gaussian_dyads_ame_is_the_coefficients_and_influence_is_exact():
    df = _dyads()
    res = fit_glm(df, "cont ~ x1 + x2 + d", family="gaussian", unit="dyad", se=("hc1", "dyadic"))
    X = _X(df, ["x1", "x2", "d"])
    ols = sm.OLS(df["cont"].to_numpy(), X).fit()
    ame = average_marginal_effects(res, df, se_type="hc1")
    np.testing.assert_allclose(ame["ame"].to_numpy(), ols.params[1:], rtol=1e-10)
    np.testing.assert_allclose(ame["se"].to_numpy(), ols.get_robustcov_results("HC1").bse[1:], rtol=1e-8)
    assert ame.attrs["scale"] == "expected outcome"
    inf = city_influence(res, df, n_exact=3, se_type="dyadic")
    for _, row in inf.table.head(3).iterrows():
        keep = ~((df["city_a"] == row["city"]) | (df["city_b"] == row["city"])).to_numpy()
        ref = sm.OLS(df["cont"].to_numpy()[keep], X[keep]).fit().params - ols.params
        np.testing.assert_allclose([row[f"exact:{t}"] for t in inf.terms], ref, atol=1e-10)
        # least squares is quadratic: the one-step is the exact deletion
        np.testing.assert_allclose([row[f"step:{t}"] for t in inf.terms], ref, atol=1e-10)


def test_gaussian_city_standardised_beta_and_vif_match_statsmodels():
    df = _cities()
    res = fit_glm(df, "ycont ~ x1 + x2", family="gaussian", unit="city")
    z = (df[["x1", "x2", "ycont"]] - df[["x1", "x2", "ycont"]].mean()) / df[["x1", "x2", "ycont"]].std(ddof=1)
    beta_z = sm.OLS(z["ycont"].to_numpy(), sm.add_constant(z[["x1", "x2"]].to_numpy())).fit().params[1:]
    std = standardized(res, df)
    np.testing.assert_allclose(std["b_std"].to_numpy(), beta_z, rtol=1e-10)
    assert std["factor_sdx"].isna().all()
    X = _X(df, ["x1", "x2"])
    np.testing.assert_allclose(vif(res, df)["vif"].to_numpy(),
                               [variance_inflation_factor(X, j) for j in (1, 2)], rtol=1e-10)


def test_cloglog_standardised_uses_gumbel_latent_variance():
    df = _dyads()
    res = fit_glm(df, "tie ~ x1 + x2", family="cloglog", unit="dyad")
    X = _X(df, ["x1", "x2"])
    b = res.params.to_numpy()
    sd_star = np.sqrt(np.var(X @ b, ddof=1) + np.pi**2 / 6)
    std = standardized(res, df)
    sd = df[["x1", "x2"]].std(ddof=1).to_numpy()
    np.testing.assert_allclose(std["b_std"].to_numpy(), b[1:] * sd / sd_star, rtol=1e-10)
    np.testing.assert_allclose(std["factor_sdx"].to_numpy(), np.exp(b[1:] * sd), rtol=1e-10)


def test_firth_ame_and_one_step_influence_near_exact_refit():
    df = _dyads(n_nodes=12, seed=21)
    res = fit_glm(df, "tie ~ x1 + x2", family="firth", unit="dyad", se=("model", "dyadic"), psd="clip")
    X = _X(df, ["x1", "x2"])
    b = res.params.to_numpy()
    ame = average_marginal_effects(res, df)
    ref_ame, ref_se = _fd_reference(lambda X, b: expit(X @ b), b, X, [1, 2], res.cov["dyadic"])
    np.testing.assert_allclose(ame["ame"].to_numpy(), ref_ame, rtol=1e-6)
    np.testing.assert_allclose(ame["se"].to_numpy(), ref_se, rtol=1e-4)
    inf = city_influence(res, df, n_exact=3)
    assert not inf.notes
    top = inf.table.head(3)
    step = top[[f"step:{t}" for t in inf.terms]].to_numpy()
    exact = top[[f"exact:{t}" for t in inf.terms]].to_numpy()
    # one Newton step of the modified score: close to the exact penalised refit
    np.testing.assert_allclose(step, exact, atol=0.25 * np.abs(exact).max())
    assert np.isfinite(top["exact_score"]).all()


@pytest.mark.parametrize("family,outcome,opts", [
    ("cloglog", "tie", {}),
    ("poisson", "count", {"exposure": "expo"}),
    ("nb", "count", {"offset": "lexpo"}),
])
def test_exact_delete_a_city_refit_matches_statsmodels(family, outcome, opts):
    df = _dyads(n_nodes=12, seed=2)
    res = fit_glm(df, f"{outcome} ~ x1 + x2", family=family, unit="dyad", **opts)
    inf = city_influence(res, df, n_exact=1)
    row = inf.table.iloc[0]
    keep = ~((df["city_a"] == row["city"]) | (df["city_b"] == row["city"])).to_numpy()
    X, y = _X(df, ["x1", "x2"])[keep], df[outcome].to_numpy(float)[keep]
    off = np.log(df["expo"].to_numpy())[keep]
    if family == "cloglog":
        ref = sm.GLM(y, X, family=sm.families.Binomial(link=sm.families.links.CLogLog())).fit(tol=1e-14).params
    elif family == "poisson":
        ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=off).fit(tol=1e-14).params
    else:
        ref = NegativeBinomial(y, X, loglike_method="nb2", offset=off).fit(
            method="newton", maxiter=200, tol=1e-12, disp=0).params
    exact = np.array([row[f"exact:{t}"] for t in inf.terms])
    np.testing.assert_allclose(exact, ref - res.params.to_numpy(), atol=1e-5)
    step = np.array([row[f"step:{t}"] for t in inf.terms])
    np.testing.assert_allclose(step, exact, atol=0.2 * np.abs(exact).max())


def test_cloglog_influence_derivatives_match_numerical_loglik():
    """g and h used by the one-step equal numerical derivatives of the Bernoulli log-likelihood."""
    from quant.inference.hypotheses import Part
    from quant.inference.influence import _index_derivatives

    rng = np.random.default_rng(0)
    eta = rng.normal(scale=1.2, size=50)
    y = (rng.uniform(size=50) < 0.4).astype(float)

    def ll(e):
        p = 1 - np.exp(-np.exp(e))
        return y * np.log(p) + (1 - y) * np.log1p(-p)

    part = Part("", "cloglog", eta[:, None], ["e"], np.array([0]), None, np.ones(50, bool), y)

    class R:
        model = "cloglog"

    g, _, h, _, _ = _index_derivatives(R, part, np.arange(50), np.array([1.0]))
    s = 1e-5
    np.testing.assert_allclose(g, (ll(eta + s) - ll(eta - s)) / (2 * s), rtol=1e-6)

    def dll(e):  # the score by central differences of ℓ, then h by central differences of it
        return (ll(e + s) - ll(e - s)) / (2 * s)

    t = 1e-3
    np.testing.assert_allclose(h, (dll(eta + t) - dll(eta - t)) / (2 * t), rtol=1e-4)


def test_cli_ame_and_influence_for_cloglog_and_poisson_with_exposure(tmp_path, capsys):
    """The CLI no longer refuses these fits: AMEs printed in JSON match finite differences."""
    import json

    import cli
    import store
    from quant.data import project as qdata
    from quant_small_project import build

    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    _, dyads = build(engine)
    rng = np.random.default_rng(11)
    extra = dyads[["city_a", "city_b"]].assign(
        flow=rng.gamma(2.0, np.exp(0.2 + 0.3 * dyads["shared_border"]) / 2.0), expo=rng.uniform(0.5, 2.0, len(dyads)))
    with store.session_scope(engine) as s:
        qdata.save_dyads(s, extra)
    engine.dispose()
    frame = dyads.merge(extra, on=["city_a", "city_b"])
    p = str(path)
    assert cli.main(["fit", "--project", p, "--model", "cloglog", "--formula", "connection ~ log_distance",
                     "--ame", "--vif", "--json"]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    b = np.array([out["params"][t]["estimate"] for t in out["terms"]])
    X = _X(frame, ["log_distance"])
    ref = _fd_ame(lambda X, b: 1 - np.exp(-np.exp(X @ b)), b, X, 1)
    assert out["ame"]["table"][0]["term"] == "log_distance"
    np.testing.assert_allclose(out["ame"]["table"][0]["ame"], ref, rtol=1e-6)
    assert cli.main(["fit", "--project", p, "--model", "poisson", "--formula", "flow ~ log_distance",
                     "--exposure", "expo", "--ame", "--influence", "1", "--json"]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    b = np.array([out["params"][t]["estimate"] for t in out["terms"]])
    off = np.log(frame["expo"].to_numpy())
    ref = _fd_ame(lambda X, b: np.exp(X @ b + off), b, X, 1)
    np.testing.assert_allclose(out["ame"]["table"][0]["ame"], ref, rtol=1e-6)
    top = out["influence"]["top"][0]
    assert np.isfinite(top["exact:log_distance"]) and not out["influence"]["notes"]
