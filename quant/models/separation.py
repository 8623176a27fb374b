"""Complete and quasi-complete separation of a binary outcome, with the variables named.

When some linear combination of the covariates splits y = 1 from y = 0 (with ties at most on
the boundary), the logit and probit maximum-likelihood estimates do not exist: coefficients
run to ±∞ and statsmodels warns or stops. ``find_separation`` detects it before fitting, first
column by column (a dummy level with a constant outcome, a threshold on one variable), then
with the linear program of Konis (2007), shrinking the separating direction to a minimal set of
variables so that the message names them.

References
----------
Albert, A. & Anderson, J. A. (1984). On the existence of maximum likelihood estimates in
logistic regression models. *Biometrika* 71(1): 1–10.
Konis, K. (2007). *Linear programming algorithms for detecting separated data in binary
logistic regression models*. DPhil thesis, University of Oxford (the R ``safeBinaryRegression``
and ``detectseparation`` programs).
"""
from __future__ import annotations

from i18n import _, pgettext
from dataclasses import dataclass

import numpy as np

from quant.models.diagnostics import column_ranges
from quant.errors import ModelError

__all__ = ["Separation", "find_separation", "check_separation", "LP_MAX_CELLS"]

LP_MAX_CELLS = 3_000_000  # rows × columns above which the separation LP is skipped
_BLOCK = 1 << 15  # rows per block of the column passes


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class Separation:
    """A detected separation of a binary outcome.

    Attributes
    ----------
    kind : {"complete", "quasi-complete"}
    variables : list of str
        Non-intercept columns with a nonzero component in the separating direction.
    detail : str
        How it shows (e.g. "every row with d = 1 has y = 1").
    n_separated : int
        Rows predicted perfectly along the direction.
    """

    kind: str
    variables: list[str]
    detail: str
    n_separated: int


def _univariate_separation(X: np.ndarray, y: np.ndarray, names: list[str], pre=None) -> Separation | None:
    """Separation by one column: a two-valued column with a constant-outcome level, or a
    threshold on the column splitting y = 0 from y = 1. One blocked pass over X for the column
    ranges, then blocked passes over only the columns that need more (the other class's extreme;
    level counts of two-valued candidates), no sorting and no strided per-column scans."""
    has_intercept = "Intercept" in names
    pos = y == 1
    x1_min, x1_max, x0_min, x0_max = _class_ranges(X, pos, pre)
    lo, hi = np.minimum(x1_min, x0_min), np.maximum(x1_max, x0_max)
    cand = [j for j, name in enumerate(names)
            if name != "Intercept" and has_intercept and lo[j] < hi[j] and np.unique(X[:1000, j]).size <= 2]
    two = _level_counts(X, pos, cand, lo, hi)
    n_pos = int(np.count_nonzero(pos))
    for j, name in enumerate(names):
        if name == "Intercept":
            continue
        if j in two:
            size_hi, ones_hi = two[j]
            ones_lo = n_pos - ones_hi
            for lev, ones, size in ((lo[j], ones_lo, len(y) - size_hi), (hi[j], ones_hi, size_hi)):
                if ones in (0, size):
                    return Separation(
                        "quasi-complete", [name],
                        f"every row with {name} = {_fmt(lev)} has y = {int(ones > 0)}", size,
                    )
        if x0_max[j] < x1_min[j] or x1_max[j] < x0_min[j]:
            return Separation(
                "complete", [name],
                f"y = 1 exactly when {name} is {'above' if x0_max[j] < x1_min[j] else 'below'} "
                "a threshold",
                len(y),
            )
        if has_intercept and (x0_max[j] <= x1_min[j] or x1_max[j] <= x0_min[j]):
            return Separation(
                "quasi-complete", [name],
                f"{name} orders y = 0 and y = 1 rows with overlap only at one value", len(y),
            )
    return None


def _blocks(X: np.ndarray, cols=None):
    """(start, transposed copy of the row block) over X, restricted to ``cols`` if given."""
    n, block = X.shape[0], _BLOCK
    for s in range(0, n, block):
        if hasattr(X, "block_t"):  # a ColumnMatrix: contiguous column copies
            yield s, X.block_t(s, s + block, cols=cols)
            continue
        Xb = X[s : s + block] if cols is None else X[s : s + block, cols]
        yield s, np.ascontiguousarray(Xb.T)


def _class_ranges(X: np.ndarray, pos: np.ndarray, pre=None):
    """Column minima and maxima over rows with ``pos`` and over the others (±inf if empty):
    (x1_min, x1_max, x0_min, x0_max), (k,) each. ``pre`` = (lo, hi, rare_min, rare_max), the
    overall and rarer-class ranges accumulated elsewhere (``quant.models.logit_lean.PassChecks``).

    The rarer class is gathered by index; the other class's extreme equals the overall one
    unless only the rarer class attains it. The columns where the rarer class attains an
    extreme (a constant column excepted: both classes hold its value) are recomputed together
    in one blocked pass over just those columns.
    """
    n, k = X.shape
    rare_is_pos = np.count_nonzero(pos) <= n / 2
    rare_mask = pos if rare_is_pos else ~pos
    rare = np.flatnonzero(rare_mask)
    if pre is not None:
        lo, hi, r_min, r_max = pre
    else:
        lo, hi = column_ranges(X)
        if len(rare):
            Xr = X[rare]
            r_min, r_max = Xr.min(axis=0), Xr.max(axis=0)
        else:
            r_min, r_max = np.full(k, np.inf), np.full(k, -np.inf)
    c_min, c_max = lo.copy(), hi.copy()
    shared = (lo == hi) if len(rare) < n else np.zeros(k, bool)
    need_min, need_max = (r_min == lo) & ~shared, (r_max == hi) & ~shared
    cols = np.flatnonzero(need_min | need_max)
    if len(cols):
        mn, mx = np.full(len(cols), np.inf), np.full(len(cols), -np.inf)
        for s, b in _blocks(X, cols):
            w = rare_mask[s : s + b.shape[1]][None, :]
            np.minimum(mn, np.where(w, np.inf, b).min(axis=1), out=mn)
            np.maximum(mx, np.where(w, -np.inf, b).max(axis=1), out=mx)
        c_min[cols] = np.where(need_min[cols], mn, c_min[cols])
        c_max[cols] = np.where(need_max[cols], mx, c_max[cols])
    if rare_is_pos:
        return r_min, r_max, c_min, c_max
    return c_min, c_max, r_min, r_max


def _level_counts(X, pos, cand, lo, hi) -> dict[int, tuple[int, int]]:
    """For candidate columns: {j: (rows at hi, rows with y = 1 at hi)} for those whose every value
    is lo or hi (two-valued), in one blocked pass over the candidate columns."""
    if not cand:
        return {}
    cols = np.asarray(cand)
    ok = np.ones(len(cols), bool)
    size_hi = np.zeros(len(cols), np.int64)
    ones_hi = np.zeros(len(cols), np.int64)
    l, h = lo[cols][:, None], hi[cols][:, None]
    for s, b in _blocks(X, cols):
        at_hi = b == h
        ok &= (at_hi | (b == l)).all(axis=1)
        if not ok.any():
            return {}
        size_hi += np.count_nonzero(at_hi, axis=1)
        ones_hi += np.count_nonzero(at_hi & pos[s : s + b.shape[1]], axis=1)
    return {int(j): (int(size_hi[i]), int(ones_hi[i])) for i, j in enumerate(cols) if ok[i]}


def find_separation(
    X: np.ndarray, y: np.ndarray, names: list[str], max_cells: int = LP_MAX_CELLS, pre=None,
) -> Separation | None:
    """Detect complete or quasi-complete separation of a binary outcome.

    Parameters
    ----------
    X : ndarray, (n, k)
        Design matrix.
    y : ndarray of {0, 1}, (n,)
        Binary outcome.
    names : list of str, (k,)
        Column names.
    max_cells : int
        The linear program runs only when n·k ≤ ``max_cells``; above, only univariate checks.
    pre : (lo, hi, rare_min, rare_max), optional
        Column minima and maxima, (k,) each, over all rows and over the rarer outcome class,
        when already accumulated (a lean fit's first pass): the univariate checks skip that pass.

    Returns
    -------
    Separation or None
        None when no separating direction exists (the MLE is finite).

    Notes
    -----
    With X̃ = diag(2y − 1)·X (columns scaled to max |x| = 1), the data are separated iff some
    β ≠ 0 has X̃β ≥ 0 (Albert & Anderson 1984). Konis (2007) finds such β by the linear program
    max 1ᵀX̃β subject to X̃β ≥ 0, −1 ≤ β ≤ 1: its optimum is 0 iff there is no separation. The
    variables named are a minimal subset that still separates (greedy removal, each step one
    more LP). "Complete" when max_β min_d (X̃β)_d > 0 (a second LP), else "quasi-complete".
    """
    found = _univariate_separation(X, y, names, pre)
    if found is not None:
        return found
    n, k = X.shape
    if n * k > max_cells:
        return None
    X = np.asarray(X, dtype=float)  # a ColumnMatrix made whole (small: at most max_cells)
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xt = (X / scale) * (2.0 * y - 1.0)[:, None]
    free = np.ones(k, dtype=bool)
    beta = _lp_direction(Xt, free)
    if beta is None:
        return None
    # Shrink to a minimal set of variables that still separates (the intercept stays free).
    for j in np.flatnonzero(np.abs(beta) > 1e-7):
        if names[j] == "Intercept":
            continue
        trial = free.copy()
        trial[j] = False
        b2 = _lp_direction(Xt, trial)
        if b2 is not None:
            free, beta = trial, b2
    involved = [names[j] for j in np.flatnonzero(free & (np.abs(beta) > 1e-7)) if names[j] != "Intercept"]
    margin = Xt @ beta
    n_sep = int((margin > 1e-7).sum())
    kind = "complete" if _max_min_margin(Xt, free) > 1e-7 else "quasi-complete"
    return Separation(
        kind, involved or ["Intercept"],
        f"a linear combination of {', '.join(involved) or 'the intercept'} predicts "
        f"{n_sep} of {n} rows perfectly", n_sep,
    )


def _lp_direction(Xt: np.ndarray, free: np.ndarray) -> np.ndarray | None:
    """Konis's LP restricted to the columns where ``free``: a separating β, or None."""
    n, k = Xt.shape
    bounds = [(-1.0, 1.0) if f else (0.0, 0.0) for f in free]
    from scipy import optimize  # only when the linear program runs

    res = optimize.linprog(
        c=-Xt.sum(axis=0), A_ub=-Xt, b_ub=np.zeros(n), bounds=bounds, method="highs"
    )
    if res.status != 0 or res.x is None:
        return None
    beta = res.x
    margin = Xt @ beta
    if margin.min() < -1e-9 or (margin > 1e-7).sum() == 0:
        return None
    return beta


def _max_min_margin(Xt: np.ndarray, free: np.ndarray) -> float:
    """max t subject to X̃β ≥ t, −1 ≤ β ≤ 1, t ≤ 1 (positive iff complete separation)."""
    n, k = Xt.shape
    c = np.zeros(k + 1)
    c[-1] = -1.0
    A = np.hstack([-Xt, np.ones((n, 1))])
    bounds = [(-1.0, 1.0) if f else (0.0, 0.0) for f in free] + [(None, 1.0)]
    from scipy import optimize  # only when the linear program runs

    res = optimize.linprog(c=c, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return 0.0
    return float(res.x[-1])


def check_separation(X: np.ndarray, y: np.ndarray, names: list[str], outcome: str,
                     max_cells: int = LP_MAX_CELLS, pre=None) -> None:
    """Raise ``ModelError`` naming the variable(s) if ``find_separation`` finds separation."""
    sep = find_separation(X, y, names, max_cells=max_cells, pre=pre)
    if sep is not None:
        raise ModelError(
            _("{kind} separation of {outcome!r} by {items} "
            "({detail}); the maximum-likelihood estimate does not exist, so drop or recode "
            "the variable, or refit with --model firth (Firth's penalized logit), whose "
            "estimates stay finite.").format(kind=pgettext("separation", "complete") if sep.kind == "complete" else pgettext("separation", "quasi-complete"), outcome=outcome, items=', '.join((repr(v) for v in sep.variables)), detail=sep.detail)
        )
