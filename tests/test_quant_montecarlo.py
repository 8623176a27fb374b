"""Monte Carlo coverage of dyadic-robust vs HC0 95% intervals with node-level dependence.

Two data-generating processes on all dyads of N = 155 nodes (the study's size), with node
shocks shared by every dyad of a node, both in the covariate and in the error, so rows that
share a city are correlated (quant.md §5, "Other tests"):

- linear: y_ij = 1 + 0.5·x_ij + u_i + u_j + e_ij, x_ij = w_i + w_j + v_ij, OLS;
- logit: y_ij = 1[−1 + 0.5·x_ij + ε_ij > 0] with ε_ij logistic *marginally* (Gaussian copula
  of z_ij = (u_i + u_j + e_ij)/√(1 + 2σ_u²)), so P(y = 1 | x) is exactly the logit and the slope
  0.5 is the estimand, while ε is correlated across dyads sharing a node.

Dyadic intervals should cover about 95%; HC0 ignores the dependence and under-covers.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logit as logit_fn

from quant.blas import one_blas_thread
from quant.covariance.dyadic import dyadic_vcov, hc0_vcov
from quant.models.logit_lean import fit_logit_newton

Z975 = stats.norm.ppf(0.975)
N = 155


def _design(rng, i, j, sw):
    w = rng.normal(size=N) * sw
    x = w[i] + w[j] + rng.normal(size=len(i))
    return np.column_stack([np.ones(len(i)), x])


def _linear_reps(rng, i, j, reps, su, sw, slope):
    hit_d = hit_h = 0
    for _ in range(reps):
        X = _design(rng, i, j, sw)
        u = rng.normal(size=N) * su
        y = 1.0 + slope * X[:, 1] + u[i] + u[j] + rng.normal(size=len(i))
        bread = np.linalg.inv(X.T @ X)
        beta = bread @ (X.T @ y)
        S = X * (y - X @ beta)[:, None]  # OLS scores x_d e_d
        se_d = np.sqrt(dyadic_vcov(S, bread, i, j).cov[1, 1])
        se_h = np.sqrt(hc0_vcov(S, bread)[1, 1])
        hit_d += abs(beta[1] - slope) <= Z975 * se_d
        hit_h += abs(beta[1] - slope) <= Z975 * se_h
    return hit_d / reps, hit_h / reps


def _logit_reps(rng, i, j, reps, su, sw, b0, b1):
    scale = np.sqrt(1.0 + 2.0 * su**2)
    hit_d = hit_h = 0
    for _ in range(reps):
        X = _design(rng, i, j, sw)
        u = rng.normal(size=N) * su
        z = (u[i] + u[j] + rng.normal(size=len(i))) / scale  # N(0, 1), correlated via nodes
        eps = logit_fn(stats.norm.cdf(z))  # standard logistic marginally
        y = (b0 + b1 * X[:, 1] + eps > 0).astype(float)
        fit = fit_logit_newton(y, X, scores=True)
        assert fit.converged
        Hinv = np.linalg.inv(fit.hessian)
        se_d = np.sqrt(dyadic_vcov(fit.scores, Hinv, i, j).cov[1, 1])
        se_h = np.sqrt(hc0_vcov(fit.scores, Hinv)[1, 1])
        hit_d += abs(fit.params[1] - b1) <= Z975 * se_d
        hit_h += abs(fit.params[1] - b1) <= Z975 * se_h
    return hit_d / reps, hit_h / reps


@pytest.mark.slow
def test_montecarlo_linear_dyadic_coverage():
    rng = np.random.default_rng(20260101)
    i, j = np.triu_indices(N, 1)
    reps = 4000
    with one_blas_thread():  # tiny products: avoid OpenBLAS thread contention on busy machines
        cov_d, cov_h = _linear_reps(rng, i, j, reps, su=0.5, sw=0.5, slope=0.5)
    msg = f"linear, N={N}, {reps} reps: dyadic coverage {cov_d:.3f}, HC0 coverage {cov_h:.3f}"
    print(msg)
    assert 0.93 <= cov_d <= 0.97, msg
    assert cov_h < 0.80 and cov_d - cov_h > 0.15, msg


@pytest.mark.slow
def test_montecarlo_logit_dyadic_coverage():
    rng = np.random.default_rng(20260202)
    i, j = np.triu_indices(N, 1)
    reps = 2500
    with one_blas_thread():
        cov_d, cov_h = _logit_reps(rng, i, j, reps, su=0.35, sw=0.5, b0=-1.0, b1=0.5)
    msg = f"logit, N={N}, {reps} reps: dyadic coverage {cov_d:.3f}, HC0 coverage {cov_h:.3f}"
    print(msg)
    assert 0.93 <= cov_d <= 0.97, msg
    assert cov_h < 0.85 and cov_d - cov_h > 0.10, msg
