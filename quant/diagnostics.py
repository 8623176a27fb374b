"""Checks that stop a model fit with one clear sentence (``ModelError``) before or after fitting.

- outcome checks: binary or count values, constant outcome, too few events;
- covariate checks: constant columns, exact collinearity (naming the columns involved);
- separation in binary models: univariate checks plus the linear program of Konis (2007),
  naming the variables of the separating direction; zero-only levels of a dummy in count models;
- ``captured_warnings``: run statsmodels with every warning recorded, so callers turn them into
  sentences instead of letting them leak.

References
----------
Albert, A. & Anderson, J. A. (1984). On the existence of maximum likelihood estimates in
logistic regression models. *Biometrika* 71(1): 1–10.
Konis, K. (2007). *Linear programming algorithms for detecting separated data in binary
logistic regression models*. DPhil thesis, University of Oxford (the R ``safeBinaryRegression``
and ``detectseparation`` programs).
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from quant.errors import ModelError

__all__ = [
    "Separation",
    "captured_warnings",
    "check_binary_outcome",
    "check_count_outcome",
    "check_covariates",
    "find_separation",
    "check_separation",
    "check_zero_levels",
    "column_ranges",
    "MIN_EVENTS",
    "LP_MAX_CELLS",
]

MIN_EVENTS = 10
LP_MAX_CELLS = 3_000_000  # rows × columns above which the separation LP is skipped


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def check_binary_outcome(y: np.ndarray, outcome: str, min_events: int = MIN_EVENTS) -> None:
    """Refuse a binary outcome that is not 0/1, is constant, or has too few events.

    Parameters
    ----------
    y : ndarray, (n,)
        Outcome of the rows used.
    outcome : str
        Its name, for the message.
    min_events : int
        Least number of rows in the rarer class (default 10).

    Raises
    ------
    ModelError
        Values other than 0 and 1; a constant outcome; fewer than ``min_events`` of either class.
    """
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ModelError(
            f"outcome {outcome!r} must be 0/1 for a binary model; found {_fmt(y[bad][0])} "
            f"in {int(bad.sum())} row(s)."
        )
    ones = int(y.sum())
    zeros = len(y) - ones
    if ones == 0 or zeros == 0:
        raise ModelError(
            f"outcome {outcome!r} is constant (every one of the {len(y)} rows is {int(y[0])}); "
            "a binary model cannot be fitted."
        )
    if min(ones, zeros) < min_events:
        rare = "ones" if ones < zeros else "zeros"
        raise ModelError(
            f"outcome {outcome!r} has only {min(ones, zeros)} {rare} among {len(y)} rows; "
            f"at least {min_events} events are needed for a stable fit."
        )


def check_count_outcome(
    y: np.ndarray, outcome: str, min_events: int = MIN_EVENTS, upper: np.ndarray | None = None
) -> None:
    """Refuse a count outcome that is negative, fractional, constant, or too small a sample.

    Parameters
    ----------
    y : ndarray, (n,)
        Outcome of the rows used.
    outcome : str
        Its name, for the message.
    min_events : int
        Least number of rows (default 10).
    upper : ndarray, (n,), optional
        Largest allowed value per row (binomial trials).

    Raises
    ------
    ModelError
        Negative or non-integer counts, counts above ``upper``, a constant outcome, or fewer
        than ``min_events`` rows.
    """
    if (y < 0).any():
        raise ModelError(
            f"outcome {outcome!r} is a count but has {int((y < 0).sum())} negative value(s) "
            f"(e.g. {_fmt(y[y < 0][0])})."
        )
    frac = y != np.round(y)
    if frac.any():
        raise ModelError(
            f"outcome {outcome!r} is a count but has {int(frac.sum())} non-integer value(s) "
            f"(e.g. {_fmt(y[frac][0])})."
        )
    if upper is not None:
        over = y > upper
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise ModelError(
                f"outcome {outcome!r} = {_fmt(y[i])} exceeds the {_fmt(upper[i])} possible "
                f"in {int(over.sum())} row(s)."
            )
    if len(y) < min_events:
        raise ModelError(
            f"only {len(y)} rows are available for outcome {outcome!r}; at least {min_events} "
            "are needed for a stable fit."
        )
    if np.all(y == y[0]):
        raise ModelError(
            f"outcome {outcome!r} is constant (every one of the {len(y)} rows is {_fmt(y[0])}); "
            "a count model cannot be fitted."
        )


def check_covariates(X: np.ndarray, names: list[str]) -> None:
    """Refuse constant covariates and exactly collinear columns, naming them.

    Parameters
    ----------
    X : ndarray, (n, k)
        Design matrix of the rows used.
    names : list of str, (k,)
        Column names (``"Intercept"`` for the constant).

    Raises
    ------
    ModelError
        More columns than rows; a non-intercept column constant on the rows used (when an
        intercept or another constant is present); a column that is a linear combination of
        earlier ones (R² > 1 − 1e−10 on the scaled cross-product matrix).
    """
    n, k = X.shape
    if n <= k:
        raise ModelError(f"the model has {k} parameters but only {n} rows; it cannot be fitted.")
    lo, hi = column_ranges(X)
    constant = np.flatnonzero(lo == hi)
    if len(constant) > 1 or (len(constant) == 1 and names[constant[0]] != "Intercept"):
        for j in constant:
            if names[j] != "Intercept":
                raise ModelError(
                    f"covariate {names[j]!r} is constant (every row used equals {_fmt(lo[j])}); "
                    "drop it from the formula."
                )
    G = X.T @ X
    d = np.sqrt(np.diag(G))
    C = G / np.outer(d, d)
    independent: list[int] = []
    for j in range(k):
        if independent:
            P = np.array(independent)
            coef = np.linalg.solve(C[np.ix_(P, P)], C[P, j])
            resid = C[j, j] - C[j, P] @ coef
        else:
            coef, resid = np.zeros(0), C[j, j]
        if resid < 1e-10:
            others = [names[p] for p, c in zip(independent, coef) if abs(c) > 1e-8]
            raise ModelError(
                f"covariate {names[j]!r} is a linear combination of "
                f"{', '.join(repr(o) for o in others) or 'earlier columns'}; drop one of them "
                "(e.g. never enter sum, absdiff, min and max together)."
            )
        independent.append(j)


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


def _univariate_separation(X: np.ndarray, y: np.ndarray, names: list[str]) -> Separation | None:
    """Separation by one column: a two-valued column with a constant-outcome level, or a
    threshold on the column splitting y = 0 from y = 1. O(n) per column (no sorting)."""
    has_intercept = "Intercept" in names
    pos = y == 1
    x1_min, x1_max, x0_min, x0_max = _class_ranges(X, pos)
    for j, name in enumerate(names):
        if name == "Intercept":
            continue
        lo, hi = min(x1_min[j], x0_min[j]), max(x1_max[j], x0_max[j])
        x = X[:, j]
        two_valued = (
            has_intercept and lo < hi and np.unique(x[:1000]).size <= 2
            and np.all((x == lo) | (x == hi))
        )
        if two_valued:
            at_hi = x == hi
            size_hi = int(np.count_nonzero(at_hi))
            ones_hi = int(np.count_nonzero(pos & at_hi))
            ones_lo = int(np.count_nonzero(pos)) - ones_hi
            for lev, ones, size in ((lo, ones_lo, len(y) - size_hi), (hi, ones_hi, size_hi)):
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


def column_ranges(X: np.ndarray, block: int = 1 << 15) -> tuple[np.ndarray, np.ndarray]:
    """Column minima and maxima of X, (k,) each, in one blocked pass.

    Each row block is copied transposed into a small buffer so that the reductions run over
    contiguous memory (``X.min(axis=0)`` on a tall, narrow C-order array is several times slower).
    """
    n, k = X.shape
    mn = np.full(k, np.inf)
    mx = np.full(k, -np.inf)
    buf = np.empty((k, min(block, max(n, 1))))
    for s in range(0, n, block):
        Xb = X[s : s + block]
        b = buf[:, : len(Xb)]
        np.copyto(b, Xb.T)
        np.minimum(mn, b.min(axis=1), out=mn)
        np.maximum(mx, b.max(axis=1), out=mx)
    return mn, mx


def _class_ranges(X: np.ndarray, pos: np.ndarray):
    """Column minima and maxima over rows with ``pos`` and over the others (±inf if empty).

    The rarer class is gathered by index; the other class's extreme equals the overall one
    unless only the rarer class attains it, in which case that column is recomputed.
    """
    lo, hi = column_ranges(X)
    rare_is_pos = np.count_nonzero(pos) <= len(pos) / 2
    rare_mask = pos if rare_is_pos else ~pos
    rare = np.flatnonzero(rare_mask)
    k = X.shape[1]
    if len(rare):
        Xr = X[rare]
        r_min, r_max = Xr.min(axis=0), Xr.max(axis=0)
    else:
        r_min, r_max = np.full(k, np.inf), np.full(k, -np.inf)
    c_min, c_max = lo.copy(), hi.copy()
    for j in range(k):
        if r_min[j] == lo[j] or r_max[j] == hi[j]:
            x = X[:, j]
            if r_min[j] == lo[j]:
                c_min[j] = np.where(rare_mask, np.inf, x).min()
            if r_max[j] == hi[j]:
                c_max[j] = np.where(rare_mask, -np.inf, x).max()
    if rare_is_pos:
        return r_min, r_max, c_min, c_max
    return c_min, c_max, r_min, r_max


def find_separation(
    X: np.ndarray, y: np.ndarray, names: list[str], max_cells: int = LP_MAX_CELLS
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
    found = _univariate_separation(X, y, names)
    if found is not None:
        return found
    n, k = X.shape
    if n * k > max_cells:
        return None
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
    res = optimize.linprog(c=c, A_ub=A, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return 0.0
    return float(res.x[-1])


def check_separation(X: np.ndarray, y: np.ndarray, names: list[str], outcome: str,
                     max_cells: int = LP_MAX_CELLS) -> None:
    """Raise ``ModelError`` naming the variable(s) if ``find_separation`` finds separation."""
    sep = find_separation(X, y, names, max_cells=max_cells)
    if sep is not None:
        raise ModelError(
            f"{sep.kind} separation of {outcome!r} by {', '.join(repr(v) for v in sep.variables)} "
            f"({sep.detail}); the maximum-likelihood estimate does not exist, so drop or recode "
            "the variable or use a penalized (Firth) logit."
        )


def check_zero_levels(X: np.ndarray, y: np.ndarray, names: list[str], outcome: str) -> None:
    """Refuse a dummy with a level where the count outcome is always 0 (coefficient → −∞).

    Raises
    ------
    ModelError
        Naming the dummy and the level.
    """
    if "Intercept" not in names:
        return
    for j, name in enumerate(names):
        if name == "Intercept":
            continue
        levels = np.unique(X[:, j])
        if len(levels) != 2:
            continue
        for lev in levels:
            at = X[:, j] == lev
            if y[at].max() == 0:
                raise ModelError(
                    f"every row with {name} = {_fmt(lev)} has {outcome} = 0 "
                    f"({int(at.sum())} rows), so its coefficient diverges to −∞ "
                    "(quasi-complete separation); drop or recode the variable."
                )


@contextlib.contextmanager
def captured_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning raised inside the block (nothing is shown).

    Yields
    ------
    list of warnings.WarningMessage
        Filled as warnings occur; callers inspect ``.category`` and ``.message``.
    """
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            yield records
