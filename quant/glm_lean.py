"""A lean Newton (= IRLS) Poisson regression for millions of dyads: PPML with an optional offset.

Same contract as ``quant.logit_lean.fit_logit_newton``: one blocked pass over X per Newton
iteration accumulates the log-likelihood, score and Hessian of each block while it is in cache
(no n-sized temporaries besides the fitted values), an evenly spaced 1/16 subsample gives the
start from ``WARM_START_MIN_ROWS`` rows, and the last pass can accumulate the node score sums
and Σ s sᵀ that the dyadic-robust covariance needs (``quant.dyadic.dyadic_vcov_from_sums``)
instead of the (n, k) per-row scores. statsmodels ``GLM(Poisson)`` fits the same MLE with
full-size weighted copies of X in each IRLS step (tests/test_glm_lean.py checks it to 1e-8).

The log link is canonical, so Newton–Raphson and IRLS (Fisher scoring) coincide: score
g = Xᵀ(y − μ), Hessian H = −Xᵀ diag(μ) X, μ = exp(Xβ + offset) (McCullagh & Nelder 1989,
§2.5, §6.2; PPML: Santos Silva & Tenreyro 2006).
"""
from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from quant._blas import single_blas_thread
from quant.errors import ModelError
from quant.logit_lean import LeanLogit as LeanGLM
from quant.logit_lean import NodeSums

__all__ = ["LeanGLM", "NodeSums", "fit_poisson_newton", "WARM_START_MIN_ROWS"]

_BLOCK = 1 << 13
WARM_START_MIN_ROWS = 400_000


def _pass(y, X, beta, offset=None, fitted=None, scores=None, nodes=None):
    """One blocked pass at β → (llf, grad (k,), H (k, k), NodeSums | None); optionally fills
    μ̂ (n,) and the scores (n, k) in place. llf includes −Σ log y!."""
    n, k = X.shape
    llf, grad, H = 0.0, np.zeros(k), np.zeros((k, k))
    Z = np.empty((min(_BLOCK, max(n, 1)), k))
    if nodes is not None:
        ia, ib, m = nodes
        U, outer = np.zeros((k, m)), np.zeros((k, k))
    for s in range(0, n, _BLOCK):
        Xb, yb = X[s : s + _BLOCK], y[s : s + _BLOCK]
        eta = Xb @ beta
        if offset is not None:
            eta += offset[s : s + _BLOCK]
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        llf += float(yb @ eta - mu.sum() - gammaln(yb + 1.0).sum())
        r = yb - mu
        grad += r @ Xb
        Zb = np.multiply(Xb, np.sqrt(mu)[:, None], out=Z[: len(Xb)])
        H -= Zb.T @ Zb
        if fitted is not None:
            fitted[s : s + _BLOCK] = mu
        if scores is not None:
            np.multiply(Xb, r[:, None], out=scores[s : s + _BLOCK])
        if nodes is not None:
            Sb = np.multiply(Xb, r[:, None], out=Z[: len(Xb)])
            outer += Sb.T @ Sb
            SbT = Sb.T.copy()
            a_b, b_b = ia[s : s + _BLOCK], ib[s : s + _BLOCK]
            for j in range(k):
                U[j] += np.bincount(a_b, SbT[j], m)
                U[j] += np.bincount(b_b, SbT[j], m)
    sums = NodeSums(U=U.T.copy(), outer=(outer + outer.T) / 2.0) if nodes is not None else None
    return llf, grad, (H + H.T) / 2.0, sums


@single_blas_thread
def fit_poisson_newton(
    y: np.ndarray,
    X: np.ndarray,
    offset: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 100,
    start: np.ndarray | None = None,
    scores: bool = False,
    nodes: tuple[np.ndarray, np.ndarray, int] | None = None,
    warm_start: bool = True,
) -> LeanGLM:
    """Maximum-likelihood Poisson regression (PPML) by Newton–Raphson with step halving.

    Parameters
    ----------
    y : ndarray, (n,)
        Outcome ≥ 0 (counts, or any non-negative value for PPML).
    X : ndarray, (n, k)
        Design matrix (C order is fastest).
    offset : ndarray, (n,), optional
        Added to the linear predictor (log exposure).
    tol, maxiter, start, scores, nodes, warm_start
        As ``quant.logit_lean.fit_logit_newton``. The default start is log(ȳ) on an
        ``Intercept``-like first column of ones, else zeros.

    Returns
    -------
    LeanGLM
        (``quant.logit_lean.LeanLogit``): ``fitted`` is μ̂; ``converged`` False when
        ``maxiter`` was reached or no step raised the log-likelihood.

    Raises
    ------
    ModelError
        A singular Hessian (collinear columns) or an overflowing linear predictor.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    off = None if offset is None else np.asarray(offset, dtype=float)
    n, k = X.shape
    if start is not None:
        beta = np.asarray(start, dtype=float).copy()
    else:
        beta = np.zeros(k)
        if n and np.all(X[: min(n, 1000), 0] == 1.0):
            ybar = float(y.mean()) if off is None else float(y.sum() / np.exp(off).sum())
            beta[0] = np.log(max(ybar, 1e-300))
    if warm_start and n >= WARM_START_MIN_ROWS:
        try:
            sub = fit_poisson_newton(
                y[::16].copy(), np.ascontiguousarray(X[::16]),
                None if off is None else off[::16].copy(), tol=1e-6, maxiter=maxiter,
                start=beta, warm_start=False,
            )
            if sub.converged and np.all(np.isfinite(sub.params)):
                beta = sub.params.copy()
        except ModelError:
            pass
    prev_beta, prev_llf, step = None, -np.inf, np.zeros(k)
    converged, it, halvings, last = False, 0, 0, np.inf
    while it < maxiter:
        llf, grad, H, _ = _pass(y, X, beta, off)
        if prev_beta is not None and (not np.isfinite(llf) or llf < prev_llf - 1e-12 * abs(prev_llf)):
            halvings += 1
            if halvings > 30:
                beta = prev_beta
                break
            step, last = step / 2.0, np.inf
            beta = prev_beta + step
            continue
        if not np.isfinite(llf):
            raise ModelError("the Poisson linear predictor overflows at the start values; rescale covariates.")
        halvings = 0
        it += 1
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            raise ModelError(
                "the Poisson Hessian is singular; some covariates are collinear or constant."
            ) from None
        prev_beta, prev_llf = beta, llf
        beta = beta + step
        size, scale = float(np.max(np.abs(step))), tol * (1.0 + float(np.max(np.abs(beta))))
        if size <= scale or (1e-4 > size < last and size**3 <= scale * last**2):
            converged = True
            break
        last = size
    fitted = np.empty(n)
    S = np.empty((n, k)) if scores else None
    llf, _, H, sums = _pass(y, X, beta, off, fitted=fitted, scores=S, nodes=nodes)
    return LeanGLM(params=beta, llf=llf, hessian=H, fitted=fitted, scores=S,
                   converged=converged, iterations=it, node_sums=sums)
