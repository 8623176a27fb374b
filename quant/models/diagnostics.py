"""Checks that stop a model fit with one clear sentence (``ModelError``) before or after fitting.

- outcome checks: binary or count values, constant outcome, too few events;
- covariate checks: constant columns, exact collinearity (naming the columns involved);
- zero-only levels of a dummy in count models (separation in binary models: ``quant.models.separation``);
- ``captured_warnings``: run statsmodels with every warning recorded, so callers turn them into
  sentences instead of letting them leak.

"""
from __future__ import annotations

from i18n import _
import contextlib
import warnings
from collections.abc import Iterator

import numpy as np

from quant.errors import ModelError

__all__ = [
    "captured_warnings",
    "check_binary_outcome",
    "check_count_outcome",
    "check_covariates",
    "check_zero_levels",
    "column_ranges",
    "ranges_and_gram",
    "few_events_warning",
    "MIN_EVENTS",
]

#: Default least number of events (rows of the rarer class of a binary outcome). A user may
#: lower it (``min_events``); below it the fit carries ``few_events_warning``'s sentence.
MIN_EVENTS = 10


def few_events_warning(y: np.ndarray, outcome: str, floor: int = MIN_EVENTS) -> list[str]:
    """A warning sentence when a binary outcome has fewer than ``floor`` events (else []).

    Parameters
    ----------
    y : ndarray of {0, 1}, (n,)
    outcome : str
        Its name, for the sentence.
    floor : int
        The default floor (10 events; Peduzzi et al. 1996 use 10 events per variable).

    Returns
    -------
    list of str
        E.g. ``["only 6 events: the estimates are unstable; consider --model firth."]``.
    """
    y = np.asarray(y, float)
    ones = int((y == 1).sum())
    events = min(ones, len(y) - ones)
    if events >= floor:
        return []
    what = "events" if ones <= len(y) - ones else "non-events"
    return [f"only {events} {what} of {outcome!r}: the estimates are unstable; consider --model firth "
            "(Firth's penalised logit)."]


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
        Least number of rows in the rarer class (default 10; a user may lower it, at least 1).

    Raises
    ------
    ModelError
        Values other than 0 and 1; a constant outcome; fewer than ``min_events`` of either class.
    """
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ModelError(
            _("outcome {outcome!r} must be 0/1 for a binary model; found {fmt} "
            "in {sum} row(s).").format(outcome=outcome, fmt=_fmt(y[bad][0]), sum=int(bad.sum()))
        )
    ones = int(y.sum())
    zeros = len(y) - ones
    if ones == 0 or zeros == 0:
        raise ModelError(
            _("outcome {outcome!r} is constant (every one of the {n} rows is {y}); "
            "a binary model cannot be fitted.").format(outcome=outcome, n=len(y), y=int(y[0]))
        )
    if min(ones, zeros) < min_events:
        raise ModelError(
            (_("outcome {outcome!r} has only {min} ones among {n} rows; at least {min_events} events are needed for a "
               "stable fit (lower the floor with --min-events, or use --model firth).") if ones < zeros else
             _("outcome {outcome!r} has only {min} zeros among {n} rows; at least {min_events} events are needed for a "
               "stable fit (lower the floor with --min-events, or use --model firth).")).format(
                outcome=outcome, min=min(ones, zeros), n=len(y), min_events=min_events)
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
            _("outcome {outcome!r} is a count but has {sum} negative value(s) "
            "(e.g. {fmt}).").format(outcome=outcome, sum=int((y < 0).sum()), fmt=_fmt(y[y < 0][0]))
        )
    frac = y != np.round(y)
    if frac.any():
        raise ModelError(
            _("outcome {outcome!r} is a count but has {sum} non-integer value(s) "
            "(e.g. {fmt}).").format(outcome=outcome, sum=int(frac.sum()), fmt=_fmt(y[frac][0]))
        )
    if upper is not None:
        over = y > upper
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise ModelError(
                _("outcome {outcome!r} = {fmt} exceeds the {fmt2} possible "
                "in {sum} row(s).").format(outcome=outcome, fmt=_fmt(y[i]), fmt2=_fmt(upper[i]), sum=int(over.sum()))
            )
    if len(y) < min_events:
        raise ModelError(
            _("only {n} rows are available for outcome {outcome!r}; at least {min_events} "
            "are needed for a stable fit.").format(n=len(y), outcome=outcome, min_events=min_events)
        )
    if np.all(y == y[0]):
        raise ModelError(
            _("outcome {outcome!r} is constant (every one of the {n} rows is {fmt}); "
            "a count model cannot be fitted.").format(outcome=outcome, n=len(y), fmt=_fmt(y[0]))
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
    check_enough_rows(*X.shape)
    lo, hi, G = ranges_and_gram(X)  # one pass over X for both checks
    check_covariates_from(lo, hi, G, names)


def check_enough_rows(n: int, k: int) -> None:
    """Refuse a model with ``k`` parameters and no more than ``k`` rows (``ModelError``)."""
    if n <= k:
        raise ModelError(_("the model has {k} parameters but only {n} rows; it cannot be fitted.").format(k=k, n=n))


def check_covariates_from(lo: np.ndarray, hi: np.ndarray, G: np.ndarray, names: list[str]) -> None:
    """``check_covariates`` from the column minima and maxima, (k,) each, and XᵀX, (k, k),
    already accumulated (e.g. in a lean fit's first pass, ``quant.models.logit_lean.PassChecks``);
    the same errors."""
    k = len(names)
    constant = np.flatnonzero(lo == hi)
    if len(constant) > 1 or (len(constant) == 1 and names[constant[0]] != "Intercept"):
        for j in constant:
            if names[j] != "Intercept":
                raise ModelError(
                    _("covariate {names!r} is constant (every row used equals {fmt}); "
                    "drop it from the formula.").format(names=names[j], fmt=_fmt(lo[j]))
                )
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
                _("covariate {names!r} is a linear combination of "
                "{value}; drop one of them "
                "(e.g. never enter sum, absdiff, min and max together).").format(names=names[j], value=', '.join((repr(o) for o in others)) or 'earlier columns')
            )
        independent.append(j)


def _block_t(X, start: int, stop: int, buf: np.ndarray) -> np.ndarray:
    """Rows start:stop of X transposed into ``buf`` (k, ≥ rows): one contiguous copy per column
    from a ``quant.models.design_columns.ColumnMatrix``, a transposing copy from an ndarray."""
    if hasattr(X, "block_t"):
        return X.block_t(start, stop, out=buf)
    Xb = X[start:stop]
    b = buf[:, : len(Xb)]
    np.copyto(b, Xb.T)
    return b


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
        b = _block_t(X, s, s + block, buf)
        np.minimum(mn, b.min(axis=1), out=mn)
        np.maximum(mx, b.max(axis=1), out=mx)
    return mn, mx


def ranges_and_gram(X: np.ndarray, block: int = 1 << 15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column minima and maxima, (k,) each, and the cross-product XᵀX, (k, k), in one blocked
    pass over X (each row block copied transposed into a small buffer, as ``column_ranges``).

    The minima and maxima are exact; XᵀX equals ``X.T @ X`` up to rounding (a sum of block
    products), symmetrised.
    """
    n, k = X.shape
    mn = np.full(k, np.inf)
    mx = np.full(k, -np.inf)
    G = np.zeros((k, k))
    buf = np.empty((k, min(block, max(n, 1))))
    for s in range(0, n, block):
        b = _block_t(X, s, s + block, buf)
        np.minimum(mn, b.min(axis=1), out=mn)
        np.maximum(mx, b.max(axis=1), out=mx)
        G += b @ b.T
    return mn, mx, (G + G.T) / 2.0


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
                    _("every row with {name} = {fmt} has {outcome} = 0 "
                    "({sum} rows), so its coefficient diverges to −∞ "
                    "(quasi-complete separation); drop or recode the variable.").format(name=name, fmt=_fmt(lev), outcome=outcome, sum=int(at.sum()))
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
