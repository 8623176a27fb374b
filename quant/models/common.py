"""Pieces shared by the model functions: SE options, guarded statsmodels fits, covariances.

``run_fit`` calls a statsmodels model's ``fit`` under ``captured_warnings`` and tries a list of
optimizer settings in turn, so that convergence warnings, separation warnings, Hessian
inversion warnings and overflow become one ``ModelError`` sentence (or a note in the result's
warnings) instead of leaking. ``covariances`` turns per-row scores and the Hessian into the
"model", "hc0" and "dyadic" covariance matrices with their labels.
"""
from __future__ import annotations

from i18n import _
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quant.models.diagnostics import captured_warnings
from quant.covariance.dyadic import dyadic_vcov, hc0_vcov
from quant.errors import ModelError, QuantError

__all__ = [
    "Attempt",
    "Covariances",
    "standard_errors",
    "check_se",
    "run_fit",
    "covariances",
    "information_criteria",
    "SE_LABELS",
    "ALPHA_FLOOR",
]

#: NB2 estimates of alpha at or below this are treated as the boundary alpha = 0 (no
#: overdispersion), where the NB2 likelihood has no interior maximum.
ALPHA_FLOOR = 1e-6

SE_LABELS = {
    "model": "model-based (inverse observed information)",
    "hc0": "HC0 sandwich (Huber 1967; White 1980), rows treated as independent",
}


def check_se(se: Sequence[str] | str, allowed: tuple[str, ...], level: str) -> tuple[str, ...]:
    """Validate the requested standard-error types.

    Parameters
    ----------
    se : sequence of str or str
        Requested types, e.g. ``("model", "hc0", "dyadic")``.
    allowed : tuple of str
        Types defined for this model.
    level : str
        "dyad" or "city", for the message.

    Returns
    -------
    tuple of str
        The types, de-duplicated, in the order given.

    Raises
    ------
    QuantError
        For HC1–HC3 (undefined for maximum-likelihood models; statsmodels silently returns
        HC0 for them, quant.md pitfall 4), for unknown types and for an empty request.
    """
    if isinstance(se, str):
        se = (se,)
    out: list[str] = []
    for s in se:
        key = str(s).lower()
        if key in ("hc1", "hc2", "hc3"):
            raise QuantError(
                _("standard-error type {s!r} is an OLS correction that maximum-likelihood models do "
                "not have (statsmodels silently returns HC0 for it); use 'hc0' or 'dyadic'.").format(s=s)
            )
        if key not in allowed:
            raise QuantError(
                _("standard-error type {s!r} is not available for {level}-level models; "
                "choose from {allowed}.").format(s=s, level=level, allowed=', '.join(allowed))
            )
        if key not in out:
            out.append(key)
    if not out:
        raise QuantError(_("at least one standard-error type is needed."))
    return tuple(out)


@dataclass(frozen=True)
class Attempt:
    """One optimizer setting for ``run_fit``: a label for messages, method, start and options.

    ``start`` may be a callable returning the start values, evaluated only if the attempt runs.
    """

    label: str
    method: str
    start: np.ndarray | Callable[[], np.ndarray] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def _overflow_note(records) -> list[str]:
    msgs = sorted({str(r.message) for r in records if issubclass(r.category, RuntimeWarning)})
    if not msgs:
        return []
    return [
        "numerical warnings occurred while fitting and were checked: the converged estimate is "
        f"finite ({'; '.join(msgs)[:200]})."
    ]


def run_fit(
    model,
    attempts: Sequence[Attempt],
    what: str,
    check: Callable[[Any], str | None] | None = None,
    on_separation: Callable[[], None] | None = None,
    hint: str = "Simplify the formula, rescale covariates, or check for separation.",
):
    """Fit a statsmodels model, trying each optimizer setting until one is acceptable.

    Parameters
    ----------
    model : statsmodels LikelihoodModel
        The model to fit (``fit(start_params=, method=, disp=0, ...)``).
    attempts : sequence of Attempt
        Settings tried in order.
    what : str
        Name of the model for messages, e.g. "zero-truncated NB".
    check : callable, optional
        ``check(res)`` returns a reason string when an otherwise converged result is not
        acceptable (e.g. "alpha ≤ 0"), else None.
    on_separation : callable, optional
        Called when statsmodels reports perfect separation; should raise ``ModelError``
        naming the variable. Without it a generic separation ``ModelError`` is raised.
    hint : str
        Advice appended to the non-convergence message.

    Returns
    -------
    res : statsmodels results
    used : str
        Label of the accepted attempt.
    notes : list of str
        Sentences for the result's warnings (earlier attempts, checked numerical warnings).

    Raises
    ------
    ModelError
        When no attempt gives a converged, finite, acceptable result (the message lists what
        was tried and why each failed), or on perfect separation.
    """
    from statsmodels.tools.sm_exceptions import (  # here: the lean fits never load statsmodels
        ConvergenceWarning, HessianInversionWarning, PerfectSeparationError, PerfectSeparationWarning,
    )

    tried: list[str] = []
    for att in attempts:
        separated = False
        with captured_warnings() as records:
            try:
                start = att.start() if callable(att.start) else att.start
                res = model.fit(start_params=start, method=att.method, disp=0, **att.kwargs)
                llf = float(res.llf)  # evaluated (and cached) here, where warnings are captured
            except PerfectSeparationError:
                separated = True
            except (np.linalg.LinAlgError, ValueError, FloatingPointError, OverflowError,
                    ZeroDivisionError) as exc:
                tried.append(f"{att.label} (failed: {str(exc)[:80]})")
                continue
        cats = [r.category for r in records]
        if separated or any(issubclass(c, PerfectSeparationWarning) for c in cats):
            if on_separation is not None:
                on_separation()
            raise ModelError(
                _("the {what} shows perfect separation (fitted probabilities of exactly 0 or 1); "
                "the maximum-likelihood estimate does not exist, so drop or recode the variable "
                "responsible.").format(what=what)
            )
        params = np.asarray(res.params, dtype=float)
        retvals = getattr(res, "mle_retvals", None) or {}
        converged = bool(retvals.get("converged", getattr(res, "converged", True)))
        reason = None
        if not converged or any(issubclass(c, ConvergenceWarning) for c in cats):
            iters = retvals.get("iterations")
            reason = "did not converge" + (f" in {iters} iterations" if iters is not None else "")
        elif not np.all(np.isfinite(params)) or not np.isfinite(llf):
            reason = "gave non-finite estimates"
        elif check is not None and (why := check(res)) is not None:
            reason = why
        elif any(issubclass(c, HessianInversionWarning) for c in cats):
            reason = "ended where the Hessian cannot be inverted"
        if reason is not None:
            tried.append(f"{att.label} ({reason})")
            continue
        label = att.label
        if att.method != "newton":
            polished = _polish(model, res, check)
            if polished is not None:
                res, label = polished, f"{att.label}, polished by newton"
        notes = []
        if tried:
            notes.append(_("{what}: accepted {label} after {tried}.").format(what=what, label=label, tried="; ".join(tried)))
        notes += _overflow_note(records)
        return res, label, notes
    raise ModelError(
        _("the {what} did not converge to an acceptable maximum; tried {tried}. {hint}").format(
            what=what, tried="; ".join(tried), hint=hint).rstrip()
    )


def _polish(model, res, check):
    """A few Newton steps from a quasi-Newton/simplex optimum, kept only if at least as good."""
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning, HessianInversionWarning, PerfectSeparationError,
    )

    with captured_warnings() as records:
        try:
            new = model.fit(start_params=np.asarray(res.params), method="newton", disp=0, maxiter=50)
            new_llf = float(new.llf)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, OverflowError,
                ZeroDivisionError, PerfectSeparationError):
            return None
    retvals = getattr(new, "mle_retvals", None) or {}
    if (
        not retvals.get("converged", False)
        or any(issubclass(r.category, (ConvergenceWarning, HessianInversionWarning)) for r in records)
        or not np.all(np.isfinite(np.asarray(new.params)))
        or not np.isfinite(new_llf)
        or new_llf < res.llf - 1e-9 * (1.0 + abs(res.llf))
        or (check is not None and check(new) is not None)
    ):
        return None
    return new


@dataclass(frozen=True)
class Covariances:
    """Covariance matrices, SEs and labels of one fit (inputs to ``FitResult``)."""

    cov: dict[str, np.ndarray]
    se: dict[str, pd.Series]
    labels: dict[str, str]
    meta: dict[str, Any]
    warnings: list[str]


def covariances(
    S: np.ndarray,
    H: np.ndarray,
    names: list[str],
    se: tuple[str, ...],
    *,
    a: np.ndarray | None = None,
    b: np.ndarray | None = None,
    group: np.ndarray | None = None,
    n_nodes: int | None = None,
    small_sample: str = "none",
    psd: str = "none",
    conservative: bool = False,
    model_label: str | None = None,
    blocks: list[slice] | None = None,
) -> Covariances:
    """Model-based, HC0 and dyadic-robust covariance matrices from scores and Hessian.

    Parameters
    ----------
    S : ndarray, (n, k)
        Per-row scores at the estimate.
    H : ndarray, (k, k)
        Hessian of the log-likelihood at the estimate (negative definite at a maximum).
    names : list of str, (k,)
        Parameter names.
    se : tuple of {"model", "hc0", "dyadic"}
        Types to compute.
    a, b, group, n_nodes, small_sample, psd, conservative, blocks
        Passed to ``quant.covariance.dyadic.dyadic_vcov`` for "dyadic".
    model_label : str, optional
        Label of the model-based covariance (default ``SE_LABELS["model"]``).

    Returns
    -------
    Covariances

    Raises
    ------
    ModelError
        If H is singular or the model-based variances are not positive (not a maximum).
    """
    try:
        Hinv = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        raise ModelError(
            _("the Hessian is singular at the estimate; covariates may be collinear.")
        ) from None
    if not np.all(np.isfinite(Hinv)):
        raise ModelError(_("the Hessian cannot be inverted at the estimate (non-finite values)."))
    cov: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    meta: dict[str, Any] = {}
    notes: list[str] = []
    for key in se:
        if key == "model":
            V = -Hinv
            V = (V + V.T) / 2.0
            bad = np.diag(V) <= 0
            if bad.any():
                raise ModelError(
                    _("the log-likelihood is not at a maximum for {names!r} "
                    "(non-positive model-based variance); the fit cannot be trusted.").format(names=names[int(np.flatnonzero(bad)[0])])
                )
            cov[key], labels[key] = V, model_label or SE_LABELS["model"]
        elif key == "hc0":
            cov[key], labels[key] = hc0_vcov(S, Hinv), SE_LABELS["hc0"]
        elif key == "dyadic":
            if a is None or b is None:
                raise QuantError(_("dyadic standard errors need the two node id columns."))
            d = dyadic_vcov(
                S, Hinv, a, b, group=group, n_nodes=n_nodes, small_sample=small_sample,
                psd=psd, conservative=conservative, blocks=blocks,
            )
            cov[key], labels[key] = d.cov, d.description
            meta = {
                "small_sample": small_sample,
                "psd": psd,
                "conservative": bool(conservative),
                "clipped": d.clipped,
                "min_eigenvalue": d.min_eigenvalue,
                "n_nodes": d.n_nodes,
                "n_pairs": d.n_pairs,
            }
    return Covariances(cov=cov, se=standard_errors(cov, names, notes), labels=labels, meta=meta, warnings=notes)


def standard_errors(cov: dict[str, np.ndarray], names, notes: list[str]) -> dict[str, pd.Series]:
    """The SEs of each covariance (square roots of its diagonal, indexed by ``names``).

    A negative variance (a covariance that is not positive semi-definite, possible for the
    dyadic form without ``psd="clip"``) gives a NaN SE and one sentence appended to ``notes``.
    """
    ses: dict[str, pd.Series] = {}
    for key, V in cov.items():
        diag = np.diag(V)
        neg = diag < 0
        if neg.any():
            notes.append(
                _("the {key} variance of {items} is "
                "negative (the matrix is not positive semi-definite), so its SE is NaN; use "
                "psd='clip' or conservative=True.").format(key=key, items=', '.join((names[j] for j in np.flatnonzero(neg))))
            )
        ses[key] = pd.Series(np.sqrt(np.where(neg, np.nan, diag)), index=names, dtype=float)
    return ses


def information_criteria(llf: float, k: int, n: int) -> tuple[float, float]:
    """AIC = 2k − 2ℓ (Akaike 1974) and BIC = k·ln n − 2ℓ (Schwarz 1978), k counting alpha."""
    return 2.0 * k - 2.0 * llf, k * np.log(n) - 2.0 * llf
