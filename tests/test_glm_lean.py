"""Lean Poisson (quant.models.glm_lean) against statsmodels GLM(Poisson) and numpy sums of its scores."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import quant.models.glm_lean as gl
from quant.covariance.dyadic import dyadic_vcov_from_sums


def _data(n=30_000, seed=2):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    off = rng.normal(0, 0.3, n)
    y = rng.poisson(np.exp(X @ [0.3, -0.4, 0.5] + off)).astype(float)
    return y, X, off


@pytest.mark.parametrize("with_offset", [False, True])
def test_lean_poisson_matches_statsmodels_glm(with_offset, monkeypatch):
    y, X, off = _data()
    off = off if with_offset else None
    monkeypatch.setattr(gl, "WARM_START_MIN_ROWS", 1000)  # the warm-start path too
    fit = gl.fit_poisson_newton(y, X, offset=off, scores=True)
    ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=off).fit(tol=1e-13)
    assert fit.converged
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-9)
    assert abs(fit.llf - ref.llf) < 1e-6
    np.testing.assert_allclose(fit.hessian, ref.model.hessian(ref.params, scale=1.0), rtol=1e-8)
    np.testing.assert_allclose(fit.fitted, ref.fittedvalues, rtol=1e-8)
    np.testing.assert_allclose(fit.scores, ref.model.score_obs(ref.params, scale=1.0), rtol=1e-7, atol=1e-10)


def test_lean_poisson_node_sums_give_the_brute_force_dyadic_covariance():
    rng = np.random.default_rng(4)
    m = 40
    i, j = np.triu_indices(m, 1)
    n = len(i)
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = rng.poisson(np.exp(0.5 + 0.3 * X[:, 1])).astype(float)
    fit = gl.fit_poisson_newton(y, X, nodes=(i, j, m))
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13)
    S = ref.model.score_obs(ref.params, scale=1.0)
    Hinv = np.linalg.inv(ref.model.hessian(ref.params, scale=1.0))
    share = ((i[:, None] == i[None, :]) | (i[:, None] == j[None, :]) | (j[:, None] == i[None, :])
             | (j[:, None] == j[None, :])).astype(float)
    brute = Hinv @ (S.T @ share @ S) @ Hinv
    d = dyadic_vcov_from_sums(fit.node_sums.U, fit.node_sums.outer, np.linalg.inv(fit.hessian),
                              n_pairs=n, n_rows=n, n_nodes=m)
    np.testing.assert_allclose(d.cov, brute, rtol=1e-8)
    U = pd.DataFrame(S).groupby(i).sum().reindex(range(m), fill_value=0).to_numpy() \
        + pd.DataFrame(S).groupby(j).sum().reindex(range(m), fill_value=0).to_numpy()
    np.testing.assert_allclose(fit.node_sums.U, U, rtol=1e-7, atol=1e-9)


def test_lean_nb2_matches_statsmodels_negativebinomialp():
    from statsmodels.discrete.discrete_model import NegativeBinomialP

    rng = np.random.default_rng(3)
    n = 20_000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    mu = np.exp(X @ [0.2, -0.4, 0.5])
    y = rng.negative_binomial(1 / 0.6, 1 / (1 + 0.6 * mu)).astype(float)
    fit = gl.fit_nb2_newton(y, X, scores=True)
    m = NegativeBinomialP(y, X, p=2)
    ref = m.fit(method="newton", disp=0, maxiter=200, tol=1e-12)
    assert fit.converged
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-8)
    assert abs(fit.llf - ref.llf) < 1e-7
    np.testing.assert_allclose(fit.hessian, m.hessian(ref.params), rtol=1e-8)
    np.testing.assert_allclose(fit.scores, m.score_obs(ref.params), rtol=1e-7, atol=1e-10)


def test_lean_nb2_node_sums_give_the_brute_force_dyadic_covariance():
    from statsmodels.discrete.discrete_model import NegativeBinomialP

    rng = np.random.default_rng(8)
    m = 45
    i, j = np.triu_indices(m, 1)
    n = len(i)
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    mu = np.exp(0.8 + 0.3 * X[:, 1])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    fit = gl.fit_nb2_newton(y, X, nodes=(i, j, m))
    sm_m = NegativeBinomialP(y, X, p=2)
    ref = sm_m.fit(method="newton", disp=0, maxiter=200, tol=1e-12)
    S = sm_m.score_obs(ref.params)
    Hinv = np.linalg.inv(sm_m.hessian(ref.params))
    share = ((i[:, None] == i[None, :]) | (i[:, None] == j[None, :]) | (j[:, None] == i[None, :])
             | (j[:, None] == j[None, :])).astype(float)
    d = dyadic_vcov_from_sums(fit.node_sums.U, fit.node_sums.outer, np.linalg.inv(fit.hessian),
                              n_pairs=n, n_rows=n, n_nodes=m)
    np.testing.assert_allclose(d.cov, Hinv @ (S.T @ share @ S) @ Hinv, rtol=1e-7)


def test_lean_nb2_count_tables_equal_the_special_functions_row_by_row():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(500), rng.normal(size=500)])
    y = rng.poisson(3.0, 500).astype(float)
    params = np.array([1.0, 0.2, 0.7])
    direct = gl._nb2_pass(y, X, params)
    table = gl._nb2_pass(y, X, params, yint=y.astype(np.int64))
    assert abs(direct[0] - table[0]) < 1e-9
    np.testing.assert_allclose(table[1], direct[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(table[2], direct[2], rtol=1e-12)


def test_lean_nb2_warm_start_same_estimate(monkeypatch):
    rng = np.random.default_rng(6)
    n = 30_000
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    mu = np.exp(0.5 + 0.3 * X[:, 1])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    cold = gl.fit_nb2_newton(y, X, warm_start=False)
    monkeypatch.setattr(gl, "WARM_START_MIN_ROWS", 1000)
    warm = gl.fit_nb2_newton(y, X)
    assert warm.converged and cold.converged
    np.testing.assert_allclose(warm.params, cold.params, rtol=1e-9)
