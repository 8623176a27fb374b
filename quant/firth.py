"""Firth's penalized-likelihood logit, with penalized profile-likelihood intervals.

Maximum likelihood for a logit does not exist under separation and is biased by O(1/events)
when events are rare. Firth (1993) maximises instead the penalized log-likelihood

.. math::

    \\ell^*(\\beta) = \\ell(\\beta) + \\tfrac12 \\log |I(\\beta)|,
    \\qquad I(\\beta) = X^\\top W X,\\; W = \\mathrm{diag}\\{p_i (1 - p_i)\\},

whose estimate is always finite and has bias O(1/n²). Its gradient is the modified score
(Heinze & Schemper 2002, eq. 2)

.. math::

    U^*_j(\\beta) = \\sum_i x_{ij}\\,\\{y_i - p_i + h_i(\\tfrac12 - p_i)\\},

with h_i the diagonal of the hat matrix W^½X(XᵀWX)⁻¹XᵀW^½. Tandem solves U* = 0 with the
iteration of Heinze & Schemper (2002, eq. 3), β ← β + I(β)⁻¹U*(β), each step capped and halved
until ℓ* does not fall (as R's ``logistf``), with two speed-ups that keep the maximiser: the
curvature of the penalty, ∂a/∂β with a = Xᵀ(h(½ − p)), is learned by secant updates so the
step is (I − A)⁻¹U* (superlinear where Fisher scoring is slow: sex2 in 9 iterations, not 15;
3 events in 100,000 rows in 5, not 15), and the step cap grows while capped steps succeed.
Confidence intervals are from the penalized profile likelihood (Heinze & Schemper 2002, §2.3),
where Wald intervals are poor.

Memory is O(n·k): h_i = w_i‖L⁻¹x_i‖² with L the Cholesky factor of I(β), computed block by
block; no n×n matrix is formed. Each accepted iteration makes two passes over X (one for
ℓ, I and Xᵀ(y − p); one for h at the same β), a rejected half-step one. Beyond X the fit
holds the (n, k) scores it returns and two n-vectors (p, h). Measured on this 2-core machine
under load: 4,048,435 rows × 5 columns, 6 iterations, 8.4 s, 5–9× faster than firthmodels
0.8.2 (numpy backend) at 10⁵–4·10⁶ rows, estimates equal to 1e-10.

For a sandwich (e.g. the dyadic-robust covariance of ``quant.dyadic.dyadic_vcov``) use the
per-row modified scores ``FirthFit.scores`` with bread ``inv(FirthFit.info)``: U*(β̂) = 0
defines β̂, and the Hessian of ℓ* differs from −I(β̂) only by the O(1) penalty term.

References
----------
Firth, D. (1993). Bias reduction of maximum likelihood estimates. *Biometrika* 80(1): 27–38.
Heinze, G. & Schemper, M. (2002). A solution to the problem of separation in logistic
regression. *Statistics in Medicine* 21(16): 2409–2419.
Heinze, G., Ploner, M., Jiricka, L. & Steiner, G. (2023). logistf: Firth's bias-reduced
logistic regression (R package).
Dennis, J. E. & Moré, J. J. (1977). Quasi-Newton methods, motivation and theory. *SIAM
Review* 19(1): 46–89 (the Powell-symmetric-Broyden update).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from quant._blas import single_blas_thread
from quant.errors import ModelError, QuantError

__all__ = ["FirthFit", "fit_firth_logit", "profile_ci", "firth_lr_test"]

_BLOCK = 1 << 14
_MAXSTEP = 5.0       # largest change of any coefficient in one iteration (logistf's maxstep)
_MAXHALF = 30        # step halvings per iteration at most
_SECANT = True       # learn the penalty's curvature by secant updates (superlinear steps)


@dataclass(frozen=True)
class FirthFit:
    """Result of ``fit_firth_logit``.

    Attributes
    ----------
    params : ndarray, (k,)
        Penalized estimate β̂ (log-odds scale).
    llf : float
        Penalized log-likelihood ℓ(β̂) + ½ log|I(β̂)| (natural log; as logistf's ``loglik``).
    info : ndarray, (k, k)
        Fisher information XᵀWX at β̂, W = p(1 − p). Its inverse is the model-based covariance
        (logistf's ``var``); with ``scores`` it is the bread of a sandwich (sign: positive).
    scores : ndarray, (n, k)
        Per-row modified scores x_i (y_i − p_i + h_i(½ − p_i)); their column sums are ≈ 0.
    fitted : ndarray, (n,)
        p̂_i = 1/(1 + exp(−x_iᵀβ̂ − offset_i)).
    hat : ndarray, (n,)
        h_i, diagonal of W^½X(XᵀWX)⁻¹XᵀW^½ (sums to k).
    converged : bool
    iterations : int
    """

    params: np.ndarray
    llf: float
    info: np.ndarray
    scores: np.ndarray
    fitted: np.ndarray
    hat: np.ndarray
    converged: bool
    iterations: int

    @property
    def cov(self) -> np.ndarray:
        """Model-based covariance I(β̂)⁻¹, (k, k)."""
        return np.linalg.inv(self.info)

    @property
    def bse(self) -> np.ndarray:
        """Model-based standard errors √diag(I(β̂)⁻¹), (k,)."""
        return np.sqrt(np.diag(self.cov))


def _check_inputs(y, X, names, offset):
    """Validated float64 copies (only when needed): y (n,), X (n, k), offset (n,) or None."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if X.ndim != 2:
        raise QuantError(f"the design matrix must be 2-d (rows × columns), got {X.ndim} dimensions.")
    n, k = X.shape
    if len(y) != n:
        raise QuantError(f"the outcome has {len(y)} rows but the design matrix {n}.")
    if len(names) != k:
        raise QuantError(f"{len(names)} names were given for {k} columns of the design matrix.")
    if n == 0 or k == 0:
        raise ModelError("Firth's logit needs at least one row and one column.")
    if not np.all((y == 0) | (y == 1)):
        raise ModelError("Firth's logit needs an outcome coded 0/1; other values were found.")
    if not np.isfinite(X.sum()):
        bad = int(np.flatnonzero(~np.all(np.isfinite(X), axis=0))[0])
        raise ModelError(f"the covariate {names[bad]!r} has missing or infinite values.")
    if offset is not None:
        offset = np.asarray(offset, dtype=np.float64).ravel()
        if len(offset) != n or not np.all(np.isfinite(offset)):
            raise ModelError("the offset must be finite and have one value per row.")
    return y, X, offset


class _Problem:
    """Data and work buffers for repeated passes (the main fit and the profile refits).

    ``p`` (n,) holds the fitted probabilities of the last ``eval``; ``hat`` (n,), when kept,
    the hat values of the last ``hat_term``. No other n-sized state is kept.
    """

    def __init__(self, y, X, offset, names, keep_hat=False):
        self.y, self.X, self.offset, self.names = y, X, offset, list(names)
        n = X.shape[0]
        self.p = np.empty(n)
        self.hat = np.empty(n) if keep_hat else None

    def eval(self, beta):
        """Pass 1 at β: unpenalized log-likelihood, XᵀWX (k, k), Xᵀ(y − p) (k,); stores p.

        One exponential per row: with e = exp(−|η|), log(1 + e^η) = max(η, 0) + log1p(e)
        and p = 1/(1 + e) for η ≥ 0, e/(1 + e) otherwise (both stable for any η); y is 0/1.
        """
        X, y, off, p_all = self.X, self.y, self.offset, self.p
        k = X.shape[1]
        llf = 0.0
        g = np.zeros(k)
        info = np.zeros((k, k))
        for s in range(0, X.shape[0], _BLOCK):
            Xb = X[s:s + _BLOCK]
            yb = y[s:s + _BLOCK]
            eta = Xb @ beta
            if off is not None:
                eta += off[s:s + _BLOCK]
            e = np.exp(-np.abs(eta))
            # y·η − max(η, 0) is 0 or −|η| row by row: summing it so (not Σyη − Σmax(η, 0))
            # avoids cancellation between two large totals when |η| is large.
            llf += float((yb - (eta > 0.0)) @ eta - np.log1p(e).sum())
            p = np.where(eta >= 0.0, 1.0, e)
            p /= 1.0 + e
            p_all[s:s + _BLOCK] = p
            g += Xb.T @ (yb - p)
            info += Xb.T @ (Xb * (p * (1.0 - p))[:, None])
        return llf, g, (info + info.T) / 2.0

    def hat_term(self, Linv):
        """Pass 2 (after ``eval`` at the same β): Σ_i x_i h_i(½ − p_i), (k,).

        h_i = w_i‖L⁻¹x_i‖² with I = LLᵀ (stored in ``hat`` when kept).
        """
        X, p_all, hat = self.X, self.p, self.hat
        k = X.shape[1]
        total = np.zeros(k)
        A = Linv.T  # x_iᵀ A = (L⁻¹ x_i)ᵀ
        for s in range(0, X.shape[0], _BLOCK):
            Xb = X[s:s + _BLOCK]
            p = p_all[s:s + _BLOCK]
            Z = Xb @ A
            h = np.einsum("ij,ij->i", Z, Z)
            h *= p * (1.0 - p)
            if hat is not None:
                hat[s:s + _BLOCK] = h
            total += Xb.T @ (h * (0.5 - p))
        return total


def _chol(info, names):
    """Cholesky factor L of I (lower, k × k) and log|I|.

    Factorises the scale-free correlation form D^-½ I D^-½ (D = diag I), so a covariate in
    large units is not mistaken for a collinear one; a pivot below 1e-7 there (condition
    number above ~1e14) names the column that the earlier columns reproduce.

    Raises
    ------
    ModelError
        When I is singular or numerically so.
    """
    k = info.shape[0]
    scale = np.sqrt(np.diag(info))
    bad = None
    if not np.all(np.isfinite(info)):
        bad = 0
    elif np.any(~(scale > 1e-150)):
        bad = int(np.flatnonzero(~(scale > 1e-150))[0])
    else:
        C = info / np.outer(scale, scale)
        try:
            Lc = linalg.cholesky(C, lower=True, check_finite=False)
            d = np.diag(Lc)
            if np.any(~(d > 1e-7)):
                bad = int(np.flatnonzero(~(d > 1e-7))[0])
        except linalg.LinAlgError:
            bad = _first_dependent(C)
    if bad is not None:
        who = names[bad] if k > 1 else names[0]
        raise ModelError(
            f"the Fisher information of Firth's logit is singular: {who!r} is constant or a "
            "combination of the columns before it (collinear); drop or recode it."
        )
    return Lc * scale[:, None], 2.0 * float(np.log(d).sum() + np.log(scale).sum())


def _first_dependent(C):
    """Index of the first column of C whose leading block is not positive definite."""
    for j in range(1, C.shape[0] + 1):
        try:
            linalg.cholesky(C[:j, :j], lower=True, check_finite=False)
        except linalg.LinAlgError:
            return j - 1
    return C.shape[0] - 1


def _tri_inv(L):
    """L⁻¹ for lower-triangular L (LAPACK dtrtri; k × k)."""
    Linv, info = linalg.lapack.dtrtri(L, lower=1)
    if info != 0:
        raise ModelError("the Fisher information of Firth's logit is singular.")
    return Linv


def _newton(prob: _Problem, beta, free, maxiter, tol, stall_ok=False):
    """Maximise ℓ* over the coordinates where ``free`` (others fixed at ``beta``).

    Returns (β, penalized llf, converged, iterations, info, L). The step is
    I_ff⁻¹ U*_f (Heinze & Schemper 2002, eq. 3; logistf's restricted fit), corrected by the
    secant estimate A of the penalty's curvature when I_ff − A is positive definite, capped at
    ``_MAXSTEP`` in any coordinate and halved while ℓ* falls. Unlike logistf the cap doubles
    after each capped step accepted whole (and halves back after a halving), so finely
    separated data, whose penalized estimate is finite but far out, converge in tens of
    iterations rather than thousands; the maximiser is the same. With ``stall_ok`` (profile
    refits, which need ℓ*, not β, precisely) five accepted steps in a row that raise ℓ* by
    less than rounding (1e-13 relative) also end the iteration as converged.
    """
    names = prob.names
    beta = np.array(beta, dtype=np.float64)
    llf0, g, info = prob.eval(beta)
    L, logdet = _chol(info, names)
    pen = llf0 + 0.5 * logdet
    converged = False
    it = 0
    idx = np.flatnonzero(free)
    if len(idx) == 0:
        return beta, pen, True, 0, info, L
    cap = _MAXSTEP
    m = len(idx)
    A = np.zeros((m, m))  # secant estimate of ∂a/∂β_f, a = penalty gradient Xᵀ(h(½ − p))
    prev = None           # (β_f, a_f) of the previous accepted iterate
    stalls = 0
    while it < maxiter:
        it += 1
        Linv = _tri_inv(L)
        a = prob.hat_term(Linv)[idx]
        Uf = g[idx] + a
        if prev is not None and _SECANT:
            A = _psb_update(A, beta[idx] - prev[0], a - prev[1])
        prev = (beta[idx].copy(), a)
        step = np.zeros_like(beta)
        step[idx] = _ascent_step(info[np.ix_(idx, idx)], A, Uf)
        decrement = float(step[idx] @ Uf)  # U*ᵀK⁻¹U*: twice the gain a full step promises
        big = np.max(np.abs(step))
        capped = big > cap
        if capped:
            step *= cap / big
        if big <= tol * (1.0 + np.max(np.abs(beta[idx]))):
            converged = True
            break
        for halvings in range(_MAXHALF + 1):
            trial = beta + step
            llf_t, g_t, info_t = prob.eval(trial)
            try:
                L_t, logdet_t = _chol(info_t, names)
                pen_t = llf_t + 0.5 * logdet_t
            except ModelError:
                pen_t = -np.inf
            if pen_t >= pen - 1e-12 * abs(pen):
                break
            step /= 2.0
        else:
            # No half-step raised ℓ*: at the optimum up to rounding when the gain the quadratic
            # model promises, ½ΔᵀU* (half the squared Newton decrement), is below rounding.
            prob.eval(beta)
            prob.hat_term(Linv)  # buffers back at β
            converged = 0.5 * decrement <= 1e-9 * (1.0 + abs(pen))
            break
        stalls = stalls + 1 if pen_t - pen <= 1e-13 * (1.0 + abs(pen)) else 0
        beta, pen, g, info, L = trial, pen_t, g_t, info_t, L_t
        if stall_ok and stalls >= 5:
            prob.hat_term(_tri_inv(L))  # buffers at β, as on the other exits
            converged = True
            break
        # A capped step taken whole heads the same way as the estimate runs off (fine
        # separation): let the next one be twice as long; shrink back after halvings.
        if capped and halvings == 0:
            cap *= 2.0
        elif halvings:
            cap = max(_MAXSTEP, cap / 2.0)
    return beta, pen, converged, it, info, L


def _psb_update(A, s, d):
    """Powell-symmetric-Broyden update of a symmetric A so that A s = d (Dennis & Moré 1977).

    A (m, m) estimates the Jacobian of the penalty gradient a(β) = ∇½log|I(β)|, which is
    symmetric (a Hessian); s is the last step and d the change of a along it.
    """
    ss = float(s @ s)
    if not ss > 0.0 or not np.all(np.isfinite(d)):
        return A
    r = d - A @ s
    return A + (np.outer(r, s) + np.outer(s, r)) / ss - float(r @ s) / ss**2 * np.outer(s, s)


def _ascent_step(info_ff, A, Uf):
    """Quasi-Newton step (I_ff − A)⁻¹U*_f for ℓ*, whose Hessian is −I + ∂a/∂β; the Fisher
    step I_ff⁻¹U*_f (Heinze & Schemper 2002, eq. 3) when I_ff − A is not positive definite."""
    if A.any():
        try:
            c = linalg.cho_factor(info_ff - A, lower=True)
            step = linalg.cho_solve(c, Uf)
            if np.all(np.isfinite(step)):
                return step
        except linalg.LinAlgError:
            pass
    return linalg.solve(info_ff, Uf, assume_a="pos")


def _start(y, X, offset):
    """Start values: zeros, except the intercept (a column of ones, when there is no offset)
    at the intercept-only Firth estimate logit((Σy + ½)/(n + 1))."""
    n, k = X.shape
    beta = np.zeros(k)
    if offset is None:
        for j in np.flatnonzero(X[0] == 1.0):
            if np.all(X[:, j] == 1.0):
                beta[j] = np.log((y.sum() + 0.5) / (n - y.sum() + 0.5))
                break
    return beta


@single_blas_thread
def fit_firth_logit(
    y,
    X,
    names: Sequence[str],
    *,
    offset=None,
    maxiter: int = 100,
    tol: float = 1e-10,
) -> FirthFit:
    """Firth's penalized-likelihood logit (Firth 1993; Heinze & Schemper 2002).

    Parameters
    ----------
    y : array_like of {0, 1}, (n,)
        Outcome.
    X : array_like, (n, k)
        Design matrix (include the intercept column; C-ordered float64 avoids a copy).
    names : sequence of str, (k,)
        Column names, used in error messages.
    offset : array_like, (n,), optional
        Known part of the linear predictor, η = Xβ + offset.
    maxiter : int
        Iterations at most.
    tol : float
        Stop when the largest step satisfies max|Δβ| ≤ tol·(1 + max|β|).

    Returns
    -------
    FirthFit
        Always finite, also under complete or quasi-complete separation.

    Raises
    ------
    QuantError
        If shapes disagree.
    ModelError
        If y is not 0/1, X has missing or infinite values, the information is singular
        (collinear or constant columns), or the iteration does not converge (one sentence).

    Notes
    -----
    Start at β = 0 (the intercept at its intercept-only value). Each iteration:
    U*(β) = Xᵀ(y − p + h(½ − p)), Δ = I(β)⁻¹U*(β) (Heinze & Schemper 2002, eq. 2–3), from the
    second iteration on (I(β) − A)⁻¹U*(β) with A the secant estimate of the penalty's
    curvature; every |Δ_j| ≤ 5 at first (logistf's ``maxstep``; the cap doubles while capped
    steps succeed), halved up to 30 times while ℓ*(β + Δ) < ℓ*(β) (logistf's ``maxhs``).
    Converged when the step computed at β is small, so p̂ and h come from that iteration's
    passes (no extra pass over X).
    """
    names = [str(v) for v in names]
    y, X, offset = _check_inputs(y, X, names, offset)
    k = X.shape[1]
    prob = _Problem(y, X, offset, names, keep_hat=True)
    beta, pen, converged, it, info, L = _newton(prob, _start(y, X, offset), np.ones(k, bool),
                                                maxiter, tol)
    if not converged:
        raise ModelError(
            f"Firth's penalized logit did not converge in {it} iterations "
            + ("(the iteration limit)" if it >= maxiter else
               "(no step along the modified score raised the penalized likelihood)")
            + ", so its estimates cannot be trusted; check the covariates for extreme values."
        )
    # The converged iteration left p and h at β̂ in the buffers: no further pass over X.
    p, hat = prob.p, prob.hat
    r = y - p
    r += hat * (0.5 - p)
    scores = np.multiply(X, r[:, None])
    return FirthFit(
        params=beta, llf=float(pen), info=info, scores=scores, fitted=p, hat=hat,
        converged=True, iterations=it,
    )


def _check_fit(prob: _Problem, fit: FirthFit) -> None:
    """QuantError unless ℓ*(β̂) on these data equals ``fit.llf`` (same rows, columns, offset)."""
    k = prob.X.shape[1]
    if len(fit.params) != k:
        raise QuantError(f"the fit has {len(fit.params)} coefficients but X has {k} columns.")
    llf, _, info = prob.eval(np.asarray(fit.params, dtype=np.float64))
    _, logdet = _chol(info, prob.names)
    if not abs(llf + 0.5 * logdet - fit.llf) <= 1e-7 * (1.0 + abs(fit.llf)):
        raise QuantError(
            "the Firth fit was made on other data (rows, columns or offset differ from those "
            "given here); pass the data it was fitted on."
        )


def _profile(prob: _Problem, j: int, value: float, start, tol: float, maxiter: int = 200):
    """max over β_{−j} of ℓ*(β) with β_j = value; returns (ℓ*, β). Penalty on the full X."""
    beta = np.array(start, dtype=np.float64)
    beta[j] = value
    free = np.ones(len(beta), bool)
    free[j] = False
    try:
        beta, pen, converged, it, _, _ = _newton(prob, beta, free, maxiter, tol, stall_ok=True)
        why = f"in {it} iterations"
    except ModelError:  # the information underflows to singular that far out
        converged, why = False, "(the Fisher information is numerically singular there)"
    if not converged:
        raise ModelError(
            f"the penalized profile likelihood of {prob.names[j]!r} could not be maximised at "
            f"{value:.6g} {why}; its confidence interval is not available (the data are "
            "separated so finely that the interval is extremely wide)."
        )
    return pen, beta


@single_blas_thread
def profile_ci(
    y,
    X,
    names: Sequence[str],
    fit: FirthFit,
    *,
    level: float = 0.95,
    offset=None,
    which: Sequence[str] | None = None,
    tol: float = 1e-10,
) -> pd.DataFrame:
    """Penalized profile-likelihood confidence intervals (Heinze & Schemper 2002, §2.3).

    Parameters
    ----------
    y, X, names, offset
        The data ``fit`` was fitted on (same rows, columns and offset).
    fit : FirthFit
        From ``fit_firth_logit``.
    level : float
        Coverage, 0 < level < 1.
    which : sequence of str, optional
        Names of the coefficients to profile (default all); the others get NaN.
    tol : float
        Tolerance of the refits and of the root finder (absolute, on the β scale).

    Returns
    -------
    pandas.DataFrame
        Index ``names``; columns ``ci_low``, ``ci_high`` (log-odds scale).

    Raises
    ------
    QuantError
        If ``level`` is outside (0, 1), a name in ``which`` is unknown, or ``fit`` was made on
        other data (its penalized log-likelihood is recomputed here: one pass).
    ModelError
        If a refit does not converge or a bound cannot be bracketed.

    Notes
    -----
    Each bound solves 2[ℓ*(β̂) − ℓ*_j(b)] = χ²₁(level), where ℓ*_j(b) is ℓ* maximised over the
    other coefficients with β_j = b fixed (entered as an offset; the penalty ½log|I| keeps
    all k columns, as logistf's profile method). Brent's method (``scipy.optimize.brentq``)
    solves the equivalent √(2[ℓ*(β̂) − ℓ*_j(b)]) = √χ²₁(level), nearly linear in b, inside a
    bracket that starts at the Wald bound β̂_j ± z·se_j and is extended by linear
    extrapolation of that root. Each refit starts from the nearest solved one.
    """
    if not 0.0 < level < 1.0:
        raise QuantError(f"the confidence level must be between 0 and 1, got {level}.")
    names = [str(v) for v in names]
    y, X, offset = _check_inputs(y, X, names, offset)
    wanted = names if which is None else list(which)
    for w in wanted:
        if w not in names:
            raise QuantError(f"{w!r} is not a coefficient of this model ({', '.join(names)}).")
    prob = _Problem(y, X, offset, names)
    _check_fit(prob, fit)
    z = float(np.sqrt(stats.chi2.ppf(level, 1)))
    bhat = np.asarray(fit.params, dtype=np.float64)
    se = np.sqrt(np.diag(np.linalg.inv(fit.info)))
    out = pd.DataFrame(np.nan, index=names, columns=["ci_low", "ci_high"])
    for j, name in enumerate(names):
        if name not in wanted:
            continue
        starts: list[tuple[float, np.ndarray]] = [(bhat[j], bhat)]

        seen: dict[float, float] = {}

        def g(b, j=j, starts=starts, seen=seen):
            """Signed root of the profile deviance minus its cut: √(2[ℓ̂* − ℓ*_j(b)]) − z."""
            if b not in seen:  # brentq re-evaluates the bracket's ends
                near = min(starts, key=lambda t: abs(t[0] - b))[1]
                pen, beta = _profile(prob, j, b, near, tol)
                starts.append((b, beta))
                seen[b] = np.sqrt(max(2.0 * (fit.llf - pen), 0.0)) - z
            return seen[b]

        for col, sign in (("ci_low", -1.0), ("ci_high", 1.0)):
            inner, outer = bhat[j], None
            dist = z * max(se[j], 1e-6)  # start at the Wald bound
            for _ in range(60):
                b = bhat[j] + sign * dist
                gb = g(b)
                if gb > 0:
                    outer = b
                    break
                inner = b
                r = gb + z  # the root grows about linearly with the distance
                dist *= 1.05 * z / r if r > 1e-8 else 4.0  # a factor ≥ 1.05 (r ≤ z here)
            if outer is None:
                raise ModelError(
                    f"the {'lower' if sign < 0 else 'upper'} profile-likelihood bound of "
                    f"{name!r} could not be bracketed; the penalized likelihood is flat there."
                )
            lo, hi = (outer, inner) if sign < 0 else (inner, outer)
            out.loc[name, col] = optimize.brentq(g, lo, hi, xtol=tol, rtol=4 * np.finfo(float).eps)
    return out


@single_blas_thread
def firth_lr_test(
    y,
    X,
    names: Sequence[str],
    fit: FirthFit,
    drop: Sequence[str],
    *,
    offset=None,
    tol: float = 1e-10,
) -> tuple[float, int, float]:
    """Penalized likelihood-ratio test that the coefficients ``drop`` are all zero.

    Parameters
    ----------
    y, X, names, offset, fit
        As for ``profile_ci``.
    drop : sequence of str
        Coefficients set to zero under the null.

    Returns
    -------
    (statistic, df, p) : (float, int, float)
        2[ℓ*(β̂) − ℓ*(β̂₀)], where β̂₀ maximises ℓ* with the ``drop`` coefficients at 0 and the
        penalty on the full X (Heinze & Schemper 2002, §2.3; logistf's per-coefficient
        "Chisq"), referred to χ² with len(drop) degrees of freedom.

    Raises
    ------
    QuantError
        If ``drop`` is empty or names an unknown coefficient, or ``fit`` was made on other data.
    ModelError
        If the restricted fit does not converge.
    """
    names = [str(v) for v in names]
    y, X, offset = _check_inputs(y, X, names, offset)
    if not drop:
        raise QuantError("name at least one coefficient to test.")
    free = np.ones(len(names), bool)
    for d in drop:
        if d not in names:
            raise QuantError(f"{d!r} is not a coefficient of this model ({', '.join(names)}).")
        free[names.index(d)] = False
    prob = _Problem(y, X, offset, names)
    _check_fit(prob, fit)
    start = np.where(free, fit.params, 0.0)
    _, pen0, converged, it, _, _ = _newton(prob, start, free, 200, tol)
    if not converged:
        raise ModelError(
            f"the restricted Firth fit without {', '.join(repr(d) for d in drop)} did not "
            f"converge in {it} iterations."
        )
    stat = max(2.0 * (fit.llf - pen0), 0.0)
    df = int((~free).sum())
    return stat, df, float(stats.chi2.sf(stat, df))
