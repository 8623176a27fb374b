"""The fast paths of the large-table fits against independent references: the plain-numeric
design against patsy itself, node score sums accumulated in the lean logit's last pass against
statsmodels' per-row scores summed with np.add.at, the lean fit_connection (no n × k scores)
against statsmodels Logit + a brute-force dyadic double sum, and the subsample warm start."""
from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm

import quant.models.logit_lean as ll
import quant.models.connection as md
from quant.models.design import _plain_numeric, build_design
from quant.covariance.dyadic import pair_count
from quant.models.dispatch import fit_connection


def _table(n_nodes=50, seed=11):
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n_nodes, 1)
    n = len(i)
    df = pd.DataFrame({
        "city_a": [f"广州{k}" for k in i], "city_b": [f"佛山{k}" if k % 2 else f"广州{k}" for k in j],
        "x1": rng.normal(size=n), "x2": rng.integers(0, 5, n).astype(np.int32),
        "x3": rng.normal(size=n) + i * 0.01, "flag": rng.random(n) < 0.5,
    })
    eta = -1.2 + 0.7 * df["x1"] - 0.3 * df["x2"] + 0.2 * df["x3"]
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    return df


@pytest.mark.parametrize("formula", ["y ~ x1 + x2 + x3", "y ~ x3 + x1 - 1", "y ~ 0 + x2", "x1 ~ x2"])
def test_plain_numeric_design_equals_patsy(formula):
    df = _table()
    plain = _plain_numeric(formula, df)
    assert plain is not None
    ym, xm = patsy.dmatrices(formula, df, return_type="dataframe")
    np.testing.assert_array_equal(plain[0], ym.to_numpy()[:, 0])
    np.testing.assert_array_equal(plain[1], xm.to_numpy())
    assert plain[2] == list(xm.columns)
    d = build_design(df, formula)
    np.testing.assert_array_equal(d.X, xm.to_numpy())
    assert d.X.flags.c_contiguous and d.X.dtype == np.float64


@pytest.mark.parametrize("formula", ["y ~ x1 + flag", "y ~ np.log(x3 + 10)", "y ~ x1:x2", "y ~ C(x2)",
                                     "y ~ city_a", "y ~ x1 + I(x2 * 2)"])
def test_plain_numeric_falls_back_to_patsy(formula):
    assert _plain_numeric(formula, _table()) is None


def test_plain_numeric_missing_and_infinite_values_still_reported():
    df = _table()
    df.loc[[0, 5], "x1"] = np.nan
    d = build_design(df, "y ~ x1 + x2")
    assert len(d.y) == len(df) - 2 and "2 of" in d.warnings[0]
    df.loc[7, "x3"] = np.inf
    with pytest.raises(Exception, match="'x3' has infinite values in 1 row"):
        build_design(df, "y ~ x3")


def test_lean_logit_node_sums_equal_summed_statsmodels_scores():
    df = _table()
    X = sm.add_constant(df[["x1", "x2", "x3"]].to_numpy(dtype=float))
    y = df["y"].to_numpy(float)
    codes, labels = pd.factorize(pd.concat([df["city_a"], df["city_b"]]))
    ia, ib = codes[: len(df)], codes[len(df):]
    fit = ll.fit_logit_newton(y, X, nodes=(ia, ib, len(labels)))
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    S = ref.model.score_obs(ref.params)
    U = np.zeros((len(labels), X.shape[1]))
    np.add.at(U, ia, S)
    np.add.at(U, ib, S)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(fit.node_sums.U, U, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(fit.node_sums.outer, S.T @ S, rtol=1e-7)
    assert fit.scores is None


def test_lean_fit_connection_without_scores_matches_brute_double_sum(monkeypatch):
    df = _table()
    monkeypatch.setattr(md, "LEAN_LOGIT_MIN_ROWS", 0)
    res = fit_connection(df, "y ~ x1 + x2 + x3", small_sample="nodes")
    assert res.meta["engine"] == "tandem lean Newton logit"
    X = sm.add_constant(df[["x1", "x2", "x3"]].to_numpy(dtype=float))
    ref = sm.Logit(df["y"].to_numpy(float), X).fit(disp=0, method="newton", tol=1e-12)
    S = ref.model.score_obs(ref.params)
    Hinv = np.linalg.inv(ref.model.hessian(ref.params))
    a, b = df["city_a"].to_numpy(), df["city_b"].to_numpy()
    share = ((a[:, None] == a[None, :]) | (a[:, None] == b[None, :]) | (b[:, None] == a[None, :])
             | (b[:, None] == b[None, :])).astype(float)
    N = len(set(a) | set(b))
    V = Hinv @ (S.T @ share @ S) @ Hinv * N / (N - 1)
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-8)
    np.testing.assert_allclose(res.cov["hc0"], Hinv @ S.T @ S @ Hinv, rtol=1e-8)
    np.testing.assert_allclose(res.cov["model"], -Hinv, rtol=1e-8)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-8)
    assert res.meta["covariance"]["n_pairs"] == len(df)
    # conservative form: Σ_i U_i U_iᵀ only
    cons = fit_connection(df, "y ~ x1 + x2 + x3", conservative=True)
    np.testing.assert_allclose(cons.cov["dyadic"], V * (N - 1) / N + Hinv @ S.T @ S @ Hinv, rtol=1e-8)


def test_warm_start_gives_the_same_estimate(monkeypatch):
    rng = np.random.default_rng(5)
    n = 40_000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [-2.0, 0.5, -0.3])))).astype(float)
    monkeypatch.setattr(ll, "WARM_START_MIN_ROWS", 1000)
    warm = ll.fit_logit_newton(y, X)
    cold = ll.fit_logit_newton(y, X, warm_start=False)
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(warm.params, ref.params, rtol=1e-9)
    np.testing.assert_allclose(cold.params, ref.params, rtol=1e-9)
    assert warm.iterations < cold.iterations


def test_pair_count_bitmap_and_sort_paths_agree():
    rng = np.random.default_rng(0)
    ia, ib = rng.integers(0, 300, 5000), rng.integers(0, 300, 5000)
    keep = ia != ib
    ia, ib = ia[keep], ib[keep]
    expect = len({(min(p, q), max(p, q)) for p, q in zip(ia, ib)})
    assert pair_count(ia, ib, 300) == expect
    assert pair_count(ia, ib, 10_000) == expect  # m² above the bitmap limit: the sort path


def test_lean_engine_still_names_separating_variables():
    """The lean path runs the separation LP after the fit fails: the same sentence as before."""
    from quant.errors import ModelError

    df = _table(40)
    df["u"] = np.random.default_rng(1).normal(size=len(df))
    df["y"] = (df["x1"] + df["u"] > 0.3).astype(int)  # separable only by x1 and u together
    with pytest.raises(ModelError, match=r"complete separation of 'y' by 'x1', 'u'"):
        fit_connection(df, "y ~ x1 + x3 + u", engine="lean")
    df["y"] = (df["x1"] > 0.5).astype(int)  # by one column: found before fitting
    with pytest.raises(ModelError, match=r"separation of 'y' by 'x1'"):
        fit_connection(df, "y ~ x1 + x3", engine="lean")


def test_lean_path_refuses_n_nodes_below_the_observed_nodes(monkeypatch):
    from quant.errors import DyadError

    df = _table(30)
    monkeypatch.setattr(md, "LEAN_LOGIT_MIN_ROWS", 0)
    with pytest.raises(DyadError, match="fewer than the"):
        fit_connection(df, "y ~ x1 + x3", n_nodes=5)
    res = fit_connection(df, "y ~ x1 + x3", n_nodes=100, small_sample="nodes")
    ref = fit_connection(df, "y ~ x1 + x3", n_nodes=100, small_sample="nodes", engine="statsmodels")
    np.testing.assert_allclose(res.se["dyadic"], ref.se["dyadic"], rtol=1e-8)
    assert res.n_nodes == 100 and "N = 100 nodes" in res.se_labels["dyadic"]
