"""A lean Newton–Raphson logit for millions of dyads.

statsmodels' ``Logit`` takes several seconds and ~2 GB at 4 million rows (it keeps copies of
the data and works on full-size temporaries). This module fits the same maximum-likelihood
logit in row blocks: each Newton iteration is one pass over X that accumulates the
log-likelihood, score and Hessian of a block while it is in cache, so no n-sized temporary is
made. Tests check it against ``statsmodels.Logit`` to 1e-8.
"""
from __future__ import annotations

import i18n
from i18n import _
from dataclasses import dataclass

import numpy as np

from quant.blas import single_blas_thread
from quant.errors import ModelError

__all__ = ["LeanLogit", "NodeSums", "PassChecks", "fit_logit_newton", "logit_loglike"]

_BLOCK = 1 << 13  # rows per block: X block, η, p and weights stay in L2 cache
#: Rows from which a Newton fit first runs on an evenly spaced 1/16 subsample for its start.
WARM_START_MIN_ROWS = 400_000


@dataclass(frozen=True)
class NodeSums:
    """Score sums accumulated in the last pass, instead of the (n, k) per-row scores.

    Attributes
    ----------
    U : ndarray, (m, k)
        U_i = Σ_{d: a_d = i or b_d = i} s_d, the score sum of every node (quant.covariance.dyadic).
    outer : ndarray, (k, k)
        Σ_d s_d s_dᵀ = Xᵀ diag((y − p̂)²) X, the HC0 meat (and the pair term of the dyadic
        meat when every pair has one row).
    """

    U: np.ndarray
    outer: np.ndarray


@dataclass(frozen=True)
class LeanLogit:
    """Result of ``fit_logit_newton``.

    Attributes
    ----------
    params : ndarray, (k,)
        Maximum-likelihood estimate β̂.
    llf : float
        Log-likelihood at β̂.
    hessian : ndarray, (k, k)
        Hessian of the log-likelihood at β̂, −Σ_d p_d(1 − p_d) x_d x_dᵀ (negative definite).
    fitted : ndarray, (n,)
        p̂_d = 1/(1 + exp(−x_dᵀβ̂)).
    scores : ndarray, (n, k) or None
        Per-row scores x_d(y_d − p̂_d) when requested.
    converged : bool
    iterations : int
        Newton iterations on all rows (the subsample warm start is not counted).
    node_sums : NodeSums or None
        Node score sums and Σ s sᵀ when ``nodes`` was given.
    """

    params: np.ndarray
    llf: float
    hessian: np.ndarray
    fitted: np.ndarray
    scores: np.ndarray | None
    converged: bool
    iterations: int
    node_sums: NodeSums | None = None


class PassChecks:
    """What the pre-fit checks need, accumulated block by block in the first Newton pass over
    all rows (the blocks are in cache there), instead of separate passes over X.

    Attributes (after the pass)
    ---------------------------
    lo, hi : ndarray, (k,)
        Column minima and maxima over all rows.
    G : ndarray, (k, k)
        XᵀX (symmetrised), for ``quant.models.diagnostics.check_covariates_from``.
    rare_min, rare_max : ndarray, (k,)
        Column minima and maxima over the rows where ``rare`` (±inf if none), for
        ``quant.models.separation.find_separation(..., pre=)``.

    Parameters
    ----------
    k : int
        Columns of X.
    rare : ndarray of bool, (n,)
        The rarer outcome class's rows.
    on_done : callable
        ``on_done(self)`` after the pass and before the first Newton step: runs the checks
        (raises ``ModelError`` to stop the fit).
    """

    def __init__(self, k: int, rare: np.ndarray, on_done):
        self.lo, self.hi = np.full(k, np.inf), np.full(k, -np.inf)
        self.rare_min, self.rare_max = np.full(k, np.inf), np.full(k, -np.inf)
        self.G = np.zeros((k, k))
        self.rare = rare
        self.on_done = on_done

    def add(self, XT: np.ndarray, start: int, stop: int) -> None:
        """Accumulate the transposed block XT, (k, stop − start), of rows start:stop."""
        np.minimum(self.lo, XT.min(axis=1), out=self.lo)
        np.maximum(self.hi, XT.max(axis=1), out=self.hi)
        self.G += XT @ XT.T
        m = self.rare[start:stop]
        if m.any():
            R = XT[:, m]
            np.minimum(self.rare_min, R.min(axis=1), out=self.rare_min)
            np.maximum(self.rare_max, R.max(axis=1), out=self.rare_max)

    def done(self) -> None:
        self.G = (self.G + self.G.T) / 2.0
        self.on_done(self)


def logit_loglike(y: np.ndarray, eta: np.ndarray) -> float:
    """Σ_d [y_d η_d − log(1 + exp(η_d))], computed stably with ``logaddexp``."""
    return float(np.dot(y, eta) - np.logaddexp(0.0, eta).sum())


def _pass(y, X, beta, fitted=None, scores=None, nodes=None, checks=None):
    """One blocked pass at β: log-likelihood, score (k,), Hessian (k, k); optionally fill the
    fitted probabilities (n,) and per-row scores (n, k) in place, and accumulate node score
    sums (``nodes`` = (ia, ib, m)) and the pre-fit checks' statistics (``checks``, a
    ``PassChecks``) → (llf, grad, H, NodeSums | None).

    X is an ndarray (n, k) or a ``quant.models.design_columns.ColumnMatrix`` (the table's columns,
    copied block by block into a small transposed buffer: no (n, k) matrix). Per block, with
    the block transposed, Xᵀ (k, rows): η = βᵀXᵀ; e = exp(−|η|); p = 1/(1 + e) or e/(1 + e) by
    the sign of η (no overflow); log(1 + exp(η)) = max(η, 0) + log1p(e); the Hessian as −ZᵀZ
    with Zᵀ = Xᵀ·√(p(1 − p)), which BLAS computes as a symmetric rank-k update.
    """
    n, k = X.shape
    llf = 0.0
    grad = np.zeros(k)
    H = np.zeros((k, k))
    B = min(_BLOCK, max(n, 1))
    by_columns = hasattr(X, "block_t")
    buf = np.empty((k, B)) if by_columns else None
    Z = np.empty((k, B)) if by_columns else np.empty((B, k))
    if nodes is not None:
        ia, ib, m = nodes
        U = np.zeros((k, m))
        outer = np.zeros((k, k))
        ST_buf = np.empty((k, B))
    for s in range(0, n, _BLOCK):
        e_ = min(s + _BLOCK, n)
        XT = X.block_t(s, e_, out=buf) if by_columns else X[s:e_].T
        if checks is not None:
            checks.add(XT, s, e_)
        ZT = Z[:, : e_ - s] if by_columns else Z[: e_ - s].T  # the same memory layout as XT
        yb = y[s:e_]
        eta = beta @ XT
        e = np.exp(-np.abs(eta))
        one_e = 1.0 + e
        p = np.where(eta >= 0.0, 1.0, e) / one_e
        llf += float(yb @ eta - np.maximum(eta, 0.0).sum() - np.log1p(e).sum())
        r = yb - p
        grad += XT @ r
        w = p * (1.0 - p)
        np.sqrt(w, out=w)
        Zt = np.multiply(XT, w, out=ZT)
        H -= Zt @ Zt.T
        if fitted is not None:
            fitted[s:e_] = p
        if scores is not None:
            np.multiply(XT, r, out=scores[s:e_].T)
        if nodes is not None:
            St = np.multiply(XT, r, out=ST_buf[:, : e_ - s])
            outer += St @ St.T
            a_b, b_b = ia[s:e_], ib[s:e_]
            for j in range(k):
                U[j] += np.bincount(a_b, St[j], m)
                U[j] += np.bincount(b_b, St[j], m)
    sums = NodeSums(U=U.T.copy(), outer=(outer + outer.T) / 2.0) if nodes is not None else None
    return llf, grad, (H + H.T) / 2.0, sums


@single_blas_thread
def fit_logit_newton(
    y: np.ndarray,
    X: np.ndarray,
    tol: float = 1e-10,
    maxiter: int = 50,
    start: np.ndarray | None = None,
    scores: bool = False,
    nodes: tuple[np.ndarray, np.ndarray, int] | None = None,
    warm_start: bool = True,
    checks: PassChecks | None = None,
) -> LeanLogit:
    """Maximum-likelihood logit by Newton–Raphson with step halving.

    Parameters
    ----------
    y : ndarray of {0, 1}, (n,)
        Outcome.
    X : ndarray, (n, k), or quant.models.design_columns.ColumnMatrix
        Design matrix (C order is fastest), or the table's columns read block by block.
    tol : float
        Stop when max_j |Δβ_j| ≤ tol·(1 + max_j |β_j|), or when the next step is predicted to
        be (quadratic convergence: |Δ_next| ≈ |Δ|³/|Δ_prev|², once |Δ| < 1e-4 and shrinking).
    maxiter : int
        Newton iterations at most.
    start : ndarray, (k,), optional
        Start values (default zeros, as statsmodels). The log-likelihood is concave, so the
        start changes only the number of iterations, not the estimate.
    scores : bool
        Also return the (n, k) per-row scores x_d(y_d − p̂_d) at β̂.
    nodes : (ia, ib, m), optional
        Integer node indices (n,) of each row's two nodes, in 0..m−1: the last pass then
        accumulates the node score sums U (m, k) and Σ s sᵀ that the dyadic-robust covariance
        needs (``quant.covariance.dyadic.dyadic_vcov_from_sums``), without an (n, k) score matrix.
    warm_start : bool
        From ``WARM_START_MIN_ROWS`` rows, first fit every 16th row (a 1/16 copy of X) and
        start the full Newton iterations there: about half the passes over all rows. The
        estimate is the same (the full-data iterations run to ``tol``); if the subsample fit
        fails (separation, collinearity in the subsample) ``start`` is used as given.
    checks : PassChecks, optional
        Accumulated in the first pass over all rows; its ``done()`` (the caller's checks, which
        may raise) runs before the first Newton step on all rows.

    Returns
    -------
    LeanLogit
        ``converged`` is False when ``maxiter`` was reached or no step could raise the
        log-likelihood (separation makes the MLE infinite).

    Raises
    ------
    ModelError
        If the Hessian is singular (collinear columns).

    Notes
    -----
    Score g = Xᵀ(y − p), Hessian H = −Xᵀ diag(p(1 − p)) X, Newton step Δ = −H⁻¹g (McCullagh &
    Nelder 1989, §4.4). Each iteration is one pass over X at the current β; if the
    log-likelihood fell since the previous β, the step is halved (up to 30 times) instead.
    After convergence a last pass evaluates the fitted values, Hessian, log-likelihood (and the
    optional scores or node sums) at the returned β̂.
    """
    y = np.asarray(y, dtype=float)
    if not hasattr(X, "block_t"):  # a ColumnMatrix is read block by block as it is
        X = np.asarray(X, dtype=float)
    n, k = X.shape
    beta = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    if warm_start and n >= WARM_START_MIN_ROWS:
        try:
            sub = fit_logit_newton(
                y[::16].copy(), np.ascontiguousarray(np.asarray(X[::16], dtype=float)), tol=1e-6, maxiter=maxiter,
                start=beta, warm_start=False,
            )
            if sub.converged and np.all(np.isfinite(sub.params)):
                beta = sub.params.copy()
        except ModelError:
            pass
    prev_beta, prev_llf = None, -np.inf
    step = np.zeros(k)
    converged = False
    it = 0
    halvings = 0
    last_size = np.inf
    while it < maxiter:
        llf, grad, H, _ = _pass(y, X, beta, checks=checks)
        if checks is not None:
            checks.done()  # may raise: constant or collinear covariates, separation
            checks = None
        if prev_beta is not None and llf < prev_llf - 1e-12 * abs(prev_llf):
            halvings += 1
            if halvings > 30:
                beta = prev_beta
                break
            step = step / 2.0
            beta = prev_beta + step
            last_size = np.inf  # not in the quadratic regime
            continue
        halvings = 0
        it += 1
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            raise ModelError(
                i18n._("the logit Hessian is singular; some covariates are collinear or constant.")
            ) from None
        prev_beta, prev_llf = beta, llf
        beta = beta + step
        size, scale = float(np.max(np.abs(step))), tol * (1.0 + float(np.max(np.abs(beta))))
        # Newton converges quadratically: |Δ_next| ≈ |Δ|³/|Δ_prev|²; stop when the step after
        # this one is predicted below tol (saves a pass over all rows), or this one already is.
        if size <= scale or (1e-4 > size < last_size and size**3 <= scale * last_size**2):
            converged = True
            break
        last_size = size
    fitted = np.empty(n)
    S = np.empty((n, k)) if scores else None
    llf, _, H, sums = _pass(y, X, beta, fitted=fitted, scores=S, nodes=nodes)
    return LeanLogit(
        params=beta, llf=llf, hessian=H, fitted=fitted, scores=S,
        converged=converged, iterations=it, node_sums=sums,
    )
