"""The numerical engine of Firth's penalized logit (``quant.models.firth``): blocked passes over X,
the Cholesky factor of the Fisher information, and the step rule.

Kept apart from the public functions so each module holds one concept: ``quant.models.firth`` has
the result type, the fit, the profile intervals and the penalized LR test; this module has
the iteration they share. The formulas and references are in ``quant.models.firth``'s docstring
(Firth 1993; Heinze & Schemper 2002; Dennis & Moré 1977 for the secant update).
"""
from __future__ import annotations

from i18n import _
import numpy as np
from scipy import linalg

from quant.errors import ModelError, QuantError

__all__ = ["check_inputs", "FirthProblem", "cholesky_information", "penalized_newton", "start_values"]

_BLOCK = 1 << 14
_MAXSTEP = 5.0       # largest change of any coefficient in one iteration (logistf's maxstep)
_MAXHALF = 30        # step halvings per iteration at most
_SECANT = True       # learn the penalty's curvature by secant updates (superlinear steps)


def check_inputs(y, X, names, offset):
    """Validated float64 copies (only when needed): y (n,), X (n, k), offset (n,) or None.

    Raises
    ------
    QuantError
        Shapes that disagree (X not 2-d, y or ``names`` of another length).
    ModelError
        No rows or columns, an outcome other than 0/1, a non-finite covariate (named) or offset.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if X.ndim != 2:
        raise QuantError(_("the design matrix must be 2-d (rows × columns), got {ndim} dimensions.").format(ndim=X.ndim))
    n, k = X.shape
    if len(y) != n:
        raise QuantError(_("the outcome has {n} rows but the design matrix {n2}.").format(n=len(y), n2=n))
    if len(names) != k:
        raise QuantError(_("{n} names were given for {k} columns of the design matrix.").format(n=len(names), k=k))
    if n == 0 or k == 0:
        raise ModelError(_("Firth's logit needs at least one row and one column."))
    if not np.all((y == 0) | (y == 1)):
        raise ModelError(_("Firth's logit needs an outcome coded 0/1; other values were found."))
    if not np.isfinite(X.sum()):
        bad = int(np.flatnonzero(~np.all(np.isfinite(X), axis=0))[0])
        raise ModelError(_("the covariate {names!r} has missing or infinite values.").format(names=names[bad]))
    if offset is not None:
        offset = np.asarray(offset, dtype=np.float64).ravel()
        if len(offset) != n or not np.all(np.isfinite(offset)):
            raise ModelError(_("the offset must be finite and have one value per row."))
    return y, X, offset


class FirthProblem:
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


def cholesky_information(info, names):
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
            _("the Fisher information of Firth's logit is singular: {who!r} is constant or a "
            "combination of the columns before it (collinear); drop or recode it.").format(who=who)
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
        raise ModelError(_("the Fisher information of Firth's logit is singular."))
    return Linv


def penalized_newton(prob: FirthProblem, beta, free, maxiter, tol, stall_ok=False):
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
    L, logdet = cholesky_information(info, names)
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
                L_t, logdet_t = cholesky_information(info_t, names)
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


def start_values(y, X, offset):
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


