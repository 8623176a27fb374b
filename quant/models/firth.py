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

The passes over X and the step rule are in ``quant.models.firth_engine``.

For a sandwich (e.g. the dyadic-robust covariance of ``quant.covariance.dyadic.dyadic_vcov``) use the
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

import i18n
from i18n import _
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from quant.blas import single_blas_thread
from quant.errors import ModelError, QuantError
from quant.models.firth_engine import (
    FirthProblem, check_inputs, cholesky_information, penalized_newton, start_values,
)

__all__ = ["FirthFit", "fit_firth_logit", "profile_ci", "firth_lr_test"]


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
    y, X, offset = check_inputs(y, X, names, offset)
    k = X.shape[1]
    prob = FirthProblem(y, X, offset, names, keep_hat=True)
    beta, pen, converged, it, info, L = penalized_newton(prob, start_values(y, X, offset), np.ones(k, bool),
                                                maxiter, tol)
    if not converged:
        raise ModelError(
            (_("Firth's penalized logit did not converge in {it} iterations (the iteration limit), so its "
              "estimates cannot be trusted; check the covariates for extreme values.") if it >= maxiter else
            _("Firth's penalized logit did not converge in {it} iterations (no step along the modified score "
              "raised the penalized likelihood), so its estimates cannot be trusted; check the covariates "
              "for extreme values.")).format(it=it))
    # The converged iteration left p and h at β̂ in the buffers: no further pass over X.
    p, hat = prob.p, prob.hat
    r = y - p
    r += hat * (0.5 - p)
    scores = np.multiply(X, r[:, None])
    return FirthFit(
        params=beta, llf=float(pen), info=info, scores=scores, fitted=p, hat=hat,
        converged=True, iterations=it,
    )


def _check_fit(prob: FirthProblem, fit: FirthFit) -> None:
    """QuantError unless ℓ*(β̂) on these data equals ``fit.llf`` (same rows, columns, offset)."""
    k = prob.X.shape[1]
    if len(fit.params) != k:
        raise QuantError(i18n._("the fit has {n} coefficients but X has {k} columns.").format(n=len(fit.params), k=k))
    llf, _, info = prob.eval(np.asarray(fit.params, dtype=np.float64))
    _, logdet = cholesky_information(info, prob.names)
    if not abs(llf + 0.5 * logdet - fit.llf) <= 1e-7 * (1.0 + abs(fit.llf)):
        raise QuantError(
            i18n._("the Firth fit was made on other data (rows, columns or offset differ from those "
            "given here); pass the data it was fitted on.")
        )


def _profile(prob: FirthProblem, j: int, value: float, start, tol: float, maxiter: int = 200):
    """max over β_{−j} of ℓ*(β) with β_j = value; returns (ℓ*, β). Penalty on the full X."""
    beta = np.array(start, dtype=np.float64)
    beta[j] = value
    free = np.ones(len(beta), bool)
    free[j] = False
    try:
        beta, pen, converged, it, _, _ = penalized_newton(prob, beta, free, maxiter, tol, stall_ok=True)
        why = f"in {it} iterations"
    except ModelError:  # the information underflows to singular that far out
        converged, why = False, "(the Fisher information is numerically singular there)"
    if not converged:
        raise ModelError(
            i18n._("the penalized profile likelihood of {names!r} could not be maximised at "
            "{value:.6g} {why}; its confidence interval is not available (the data are "
            "separated so finely that the interval is extremely wide).").format(names=prob.names[j], value=value, why=why)
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
        raise QuantError(i18n._("the confidence level must be between 0 and 1, got {level}.").format(level=level))
    names = [str(v) for v in names]
    y, X, offset = check_inputs(y, X, names, offset)
    wanted = names if which is None else list(which)
    for w in wanted:
        if w not in names:
            raise QuantError(i18n._("{w!r} is not a coefficient of this model ({names}).").format(w=w, names=', '.join(names)))
    prob = FirthProblem(y, X, offset, names)
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
                    (i18n._("the lower profile-likelihood bound of {name!r} could not be bracketed; the penalized "
                            "likelihood is flat there.") if sign < 0 else
                     i18n._("the upper profile-likelihood bound of {name!r} could not be bracketed; the penalized "
                            "likelihood is flat there.")).format(name=name)
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
    y, X, offset = check_inputs(y, X, names, offset)
    if not drop:
        raise QuantError(i18n._("name at least one coefficient to test."))
    free = np.ones(len(names), bool)
    for d in drop:
        if d not in names:
            raise QuantError(i18n._("{d!r} is not a coefficient of this model ({names}).").format(d=d, names=', '.join(names)))
        free[names.index(d)] = False
    prob = FirthProblem(y, X, offset, names)
    _check_fit(prob, fit)
    start = np.where(free, fit.params, 0.0)
    _, pen0, converged, it, _, _ = penalized_newton(prob, start, free, 200, tol)
    if not converged:
        raise ModelError(
            i18n._("the restricted Firth fit without {items} did not "
            "converge in {it} iterations.").format(items=', '.join((repr(d) for d in drop)), it=it)
        )
    stat = max(2.0 * (fit.llf - pen0), 0.0)
    df = int((~free).sum())
    return stat, df, float(stats.chi2.sf(stat, df))
