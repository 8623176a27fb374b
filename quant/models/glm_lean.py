"""A lean Newton (= IRLS) Poisson regression for millions of dyads: PPML with an optional offset.

Same contract as ``quant.models.logit_lean.fit_logit_newton``: one blocked pass over X per Newton
iteration accumulates the log-likelihood, score and Hessian of each block while it is in cache
(no n-sized temporaries besides the fitted values), an evenly spaced 1/16 subsample gives the
start from ``WARM_START_MIN_ROWS`` rows, and the last pass can accumulate the node score sums
and Σ s sᵀ that the dyadic-robust covariance needs (``quant.covariance.dyadic.dyadic_vcov_from_sums``)
instead of the (n, k) per-row scores. statsmodels ``GLM(Poisson)`` fits the same MLE with
full-size weighted copies of X in each IRLS step (tests/test_glm_lean.py checks it to 1e-8).

The log link is canonical, so Newton–Raphson and IRLS (Fisher scoring) coincide: score
g = Xᵀ(y − μ), Hessian H = −Xᵀ diag(μ) X, μ = exp(Xβ + offset) (McCullagh & Nelder 1989,
§2.5, §6.2; PPML: Santos Silva & Tenreyro 2006).
"""
from __future__ import annotations

import i18n
from i18n import _
import numpy as np
from scipy.special import gammaln, polygamma, psi

from quant.blas import single_blas_thread
from quant.errors import ModelError
from quant.models.logit_lean import LeanLogit as LeanGLM
from quant.models.logit_lean import NodeSums

__all__ = ["LeanGLM", "NodeSums", "fit_poisson_newton", "fit_nb2_newton", "WARM_START_MIN_ROWS"]

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
        As ``quant.models.logit_lean.fit_logit_newton``. The default start is log(ȳ) on an
        ``Intercept``-like first column of ones, else zeros.

    Returns
    -------
    LeanGLM
        (``quant.models.logit_lean.LeanLogit``): ``fitted`` is μ̂; ``converged`` False when
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
            raise ModelError(i18n._("the Poisson linear predictor overflows at the start values; rescale covariates."))
        halvings = 0
        it += 1
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            raise ModelError(
                i18n._("the Poisson Hessian is singular; some covariates are collinear or constant.")
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


def _nb2_pass(y, X, params, fitted=None, scores=None, nodes=None, yint=None):
    """One blocked pass of the NB2 log-likelihood at (β, α) → (llf, grad (k+1,), H, sums).

    With θ = 1/α and μ = exp(xᵀβ) (Cameron & Trivedi 2013, §3.3; statsmodels
    ``NegativeBinomialP(p=2)`` parametrisation, α last):
    ℓ = lnΓ(y+θ) − lnΓ(θ) − lnΓ(y+1) − (θ + y)·ln(1 + αμ) + y·ln(αμ);
    ∂ℓ/∂β = x(y − μ)/(1 + αμ); ∂ℓ/∂α = −θ²·g with g = ψ(y+θ) − ψ(θ) + ln(θ/(θ+μ)) + (μ−y)/(θ+μ);
    ∂²ℓ/∂β∂βᵀ = −xxᵀ μ(1 + αy)/(1 + αμ)²; ∂²ℓ/∂β∂α = −x μ(y − μ)/(1 + αμ)²;
    ∂²ℓ/∂α² = θ⁴ g′ + 2θ³ g, g′ = ψ′(y+θ) − ψ′(θ) + 1/θ − 1/(θ+μ) − (μ − y)/(θ+μ)².

    With integer counts ``yint`` (n,), lnΓ(y+θ) − lnΓ(θ) − lnΓ(y+1), ψ(y+θ) − ψ(θ) and
    ψ′(y+θ) − ψ′(θ) are evaluated once per distinct count and gathered (same values).
    """
    n, k = X.shape
    beta, alpha = params[:k], float(params[k])
    theta = 1.0 / alpha
    q = k + 1
    llf, grad, H = 0.0, np.zeros(q), np.zeros((q, q))
    if nodes is not None:
        ia, ib, m = nodes
        U, outer = np.zeros((q, m)), np.zeros((q, q))
    const = -gammaln(theta)
    if yint is not None:
        v = np.arange(int(yint.max()) + 1, dtype=float) if len(yint) else np.zeros(1)
        t_lg = gammaln(v + theta) - gammaln(v + 1.0) + const
        t_psi = psi(v + theta) - psi(theta)
        t_psi1 = polygamma(1, v + theta) - polygamma(1, theta)
    for s in range(0, n, _BLOCK):
        Xb, yb = X[s : s + _BLOCK], y[s : s + _BLOCK]
        if yint is not None:
            yi = yint[s : s + _BLOCK]
            lg, dpsi, dpsi1 = t_lg[yi], t_psi[yi], t_psi1[yi]
        else:
            lg = gammaln(yb + theta) - gammaln(yb + 1.0) + const
            dpsi = psi(yb + theta) - psi(theta)
            dpsi1 = polygamma(1, yb + theta) - polygamma(1, theta)
        eta = Xb @ beta
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        am = 1.0 + alpha * mu
        lam = np.log1p(alpha * mu)
        llf += float(lg.sum() - ((theta + yb) * lam).sum() + (yb * (np.log(alpha) + eta)).sum())
        rb = (yb - mu) / am
        tm = theta + mu
        g = dpsi + np.log(theta / tm) + (mu - yb) / tm
        s_alpha = -theta**2 * g
        grad[:k] += rb @ Xb
        grad[k] += s_alpha.sum()
        wbb = mu * (1.0 + alpha * yb) / am**2
        H[:k, :k] -= Xb.T @ (Xb * wbb[:, None])
        H[:k, k] -= (mu * (yb - mu) / am**2) @ Xb
        gp = dpsi1 + 1.0 / theta - 1.0 / tm - (mu - yb) / tm**2
        H[k, k] += float((theta**4 * gp + 2.0 * theta**3 * g).sum())
        if fitted is not None:
            fitted[s : s + _BLOCK] = mu
        if scores is not None or nodes is not None:
            Sb = np.empty((len(yb), q))
            np.multiply(Xb, rb[:, None], out=Sb[:, :k])
            Sb[:, k] = s_alpha
            if scores is not None:
                scores[s : s + _BLOCK] = Sb
            if nodes is not None:
                outer += Sb.T @ Sb
                SbT = Sb.T.copy()
                a_b, b_b = ia[s : s + _BLOCK], ib[s : s + _BLOCK]
                for j in range(q):
                    U[j] += np.bincount(a_b, SbT[j], m)
                    U[j] += np.bincount(b_b, SbT[j], m)
    H[k, :k] = H[:k, k]
    sums = NodeSums(U=U.T.copy(), outer=(outer + outer.T) / 2.0) if nodes is not None else None
    return llf, grad, (H + H.T) / 2.0, sums


@single_blas_thread
def fit_nb2_newton(
    y: np.ndarray,
    X: np.ndarray,
    tol: float = 1e-10,
    maxiter: int = 100,
    start: np.ndarray | None = None,
    scores: bool = False,
    nodes: tuple[np.ndarray, np.ndarray, int] | None = None,
    warm_start: bool = True,
) -> LeanGLM:
    """NB2 regression on all rows (zeros included) by Newton–Raphson in (β, α), blocked.

    Parameters
    ----------
    y : ndarray of counts ≥ 0, (n,)
    X : ndarray, (n, k)
    start : ndarray, (k+1,), optional
        (β, α). Default: the lean Poisson estimate and α from the moment condition
        Σ[(y − μ)² − μ] / Σ μ² (at least 0.05).
    tol, maxiter, scores, nodes, warm_start
        As ``fit_poisson_newton``; scores and node sums have k + 1 columns (α last). The warm
        start (from ``WARM_START_MIN_ROWS`` rows, without ``start``) is a 1/16 subsample's NB2 fit.

    Returns
    -------
    LeanGLM
        ``params`` = (β, α) as statsmodels ``NegativeBinomialP(p=2)``; ``fitted`` = μ̂.
        ``converged`` False when α ran to its bound 0 (no overdispersion: fit Poisson).

    Raises
    ------
    ModelError
        A singular Hessian.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    yint = None
    if n and y.min() >= 0 and y.max() <= 1e6:
        yi = y.astype(np.int64)
        if np.array_equal(yi, y):
            yint = yi
    if start is None and warm_start and n >= WARM_START_MIN_ROWS:
        try:  # an evenly spaced 1/16 subsample's NB2 fit as the start: fewer full passes
            sub = fit_nb2_newton(y[::16].copy(), np.ascontiguousarray(X[::16]), tol=1e-6,
                                 maxiter=maxiter, warm_start=False)
            if sub.converged and np.all(np.isfinite(sub.params)):
                start = sub.params
        except ModelError:
            pass
    if start is None:
        pois = fit_poisson_newton(y, X, tol=1e-8)
        mu = pois.fitted
        alpha0 = float(np.sum((y - mu) ** 2 - mu) / np.sum(mu**2))
        params = np.r_[pois.params, max(alpha0, 0.05)]
        del mu
    else:
        params = np.asarray(start, dtype=float).copy()
    prev, prev_llf, step = None, -np.inf, np.zeros(k + 1)
    converged, it, halvings, last = False, 0, 0, np.inf
    while it < maxiter:
        bad = params[k] <= 0
        llf = -np.inf if bad else None
        if not bad:
            llf, grad, H, _ = _nb2_pass(y, X, params, yint=yint)
        if prev is not None and (not np.isfinite(llf) or llf < prev_llf - 1e-12 * abs(prev_llf)):
            halvings += 1
            if halvings > 40:
                params = prev
                break
            step, last = step / 2.0, np.inf
            params = prev + step
            continue
        halvings = 0
        it += 1
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            raise ModelError(i18n._("the NB2 Hessian is singular; some covariates are collinear or constant.")) from None
        prev, prev_llf = params, llf
        params = params + step
        size, scale = float(np.max(np.abs(step))), tol * (1.0 + float(np.max(np.abs(params))))
        if params[k] > 0 and (size <= scale or (1e-4 > size < last and size**3 <= scale * last**2)):
            converged = True
            break
        last = size
    fitted = np.empty(n)
    S = np.empty((n, k + 1)) if scores else None
    llf, _, H, sums = _nb2_pass(y, X, params, fitted=fitted, scores=S, nodes=nodes, yint=yint)
    return LeanGLM(params=params, llf=llf, hessian=H, fitted=fitted, scores=S,
                   converged=converged, iterations=it, node_sums=sums)
