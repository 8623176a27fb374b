"""Pieces of ``quant.models.glm``: ordinary least squares with its covariances (model-based and
HC0–HC3, MacKinnon & White 1985), Firth's penalised logit through ``quant.models.firth`` (Firth 1993;
profile-likelihood limits, Heinze & Schemper 2002) and Poisson/NB2 on large tables
through ``quant.models.glm_lean`` with the dyadic covariance from node score sums, and the
offset or exposure of a log-link or binary model (``offset_vector``)."""
from __future__ import annotations

from i18n import _
import numpy as np
import pandas as pd

from quant.covariance.dyadic import hc0_vcov
from quant.errors import ModelError, QuantError
from quant.models.common import SE_LABELS
from quant.models.residuals import pearson_binary

__all__ = ["fit_ols", "fit_firth", "sums_plan", "fit_lean", "offset_vector"]


def fit_ols(y, X, se):
    """OLS estimate and its covariances (model, HC0–HC3); dyadic goes through ``covariances``.

    ``y`` (n,), ``X`` (n, k), ``se`` the checked SE types. Returns (β (k,), residuals e (n,),
    σ̂² = RSS/(n − k), X'X (k, k), {type: (k, k) covariance}, {type: label}).

    Raises
    ------
    ModelError
        X'X singular, or no more rows than parameters.
    """
    XtX = X.T @ X
    try:
        bread = np.linalg.inv(XtX)
    except np.linalg.LinAlgError:
        raise ModelError(_("X'X is singular; covariates may be collinear.")) from None
    beta = np.linalg.solve(XtX, X.T @ y)
    e = y - X @ beta
    n, k = X.shape
    if n <= k:
        raise ModelError(_("the linear model has {k} parameters but only {n} rows.").format(k=k, n=n))
    sigma2 = float(e @ e) / (n - k)
    cov, labels = {}, {}
    if "model" in se:
        cov["model"], labels["model"] = sigma2 * bread, "model-based sigma^2 (X'X)^-1, sigma^2 = RSS/(n - k)"
    if any(s in se for s in ("hc2", "hc3")):
        h = np.einsum("ij,jk,ik->i", X, bread, X)  # leverages h_d = x_d'(X'X)^-1 x_d
    for key in ("hc0", "hc1", "hc2", "hc3"):
        if key not in se:
            continue
        w = e if key in ("hc0", "hc1") else e / np.sqrt(1.0 - h) if key == "hc2" else e / (1.0 - h)
        V = hc0_vcov(X * w[:, None], bread)
        if key == "hc1":
            V = V * n / (n - k)
        cov[key] = V
        labels[key] = {"hc0": SE_LABELS["hc0"],
                       "hc1": "HC1 sandwich: HC0 x n/(n - k) (MacKinnon & White 1985)",
                       "hc2": "HC2 sandwich: e^2/(1 - h) (MacKinnon & White 1985)",
                       "hc3": "HC3 sandwich: e^2/(1 - h)^2 (MacKinnon & White 1985)"}[key]
    return beta, e, sigma2, XtX, cov, labels


def fit_firth(y, X, names, off):
    """Firth's penalised logit through ``quant.models.firth`` (Firth 1993; Heinze & Schemper 2002).

    Returns (params, penalised llf, p (n,), Pearson residuals, scores S (n, k), H = −information,
    names, {term: [low, high]} profile-likelihood limits or {"error": sentence}).

    Raises
    ------
    ModelError
        The fit did not converge, or ``quant.models.firth`` is missing.
    """
    try:
        from quant.models.firth import fit_firth_logit, profile_ci
    except ImportError:
        raise ModelError(_("Firth's penalised logit is not available in this installation "
                         "(quant.models.firth is missing).")) from None
    fit = fit_firth_logit(y, X, names, offset=off)
    if not fit.converged:
        raise ModelError(_("Firth's penalised logit did not converge in {iterations} iterations.").format(iterations=fit.iterations))
    params = np.asarray(fit.params, float)
    p = np.asarray(fit.fitted, float)
    try:
        prof = profile_ci(y, X, names, fit, offset=off)
        prof_ci = {str(t): [float(r.ci_low), float(r.ci_high)] for t, r in prof.iterrows()}
    except (ModelError, ValueError, np.linalg.LinAlgError) as exc:
        prof_ci = {"error": str(exc)[:200]}
    H = -np.asarray(fit.info, float)
    S = np.asarray(fit.scores, float)
    return params, float(fit.llf), p, pearson_binary(y, p), S, H, list(names), prof_ci


def sums_plan(data, rows, n_rows: int, unit: str, cov, se: tuple[str, ...]):
    """Nodes of a dyad fit and, when the dyadic covariance can come from per-node score sums (one
    row per pair, no group column, ``cov.n_nodes`` not below the observed nodes), the keyword
    arguments of ``quant.models.shared.covariances_from_sums`` (``se`` the SE types, ``cov`` the
    ``CovarianceSettings``); (None, None) for cities, (nodes, None) when the (n, k) scores are
    needed (``dyadic_vcov`` then names any error)."""
    if unit != "dyad":
        return None, None
    from quant.covariance.nodes import pair_count
    from quant.models.shared import DyadNodes

    nodes = DyadNodes(data, cov.a, cov.b, rows)
    N = nodes.n_input_nodes if cov.n_nodes is None else cov.n_nodes
    n_pairs = pair_count(nodes.ia, nodes.ib, len(nodes.labels))
    if cov.group is None and n_pairs == n_rows and N >= max(2, len(nodes.labels)):
        return nodes, dict(se=se, cov=cov, n_nodes=N, n_pairs=n_pairs, n_rows=n_rows)
    return nodes, None


def fit_lean(family: str, y, X, names, off, nodes, cov_args: dict | None):
    """Poisson (PPML) or NB2 on every row through ``quant.models.glm_lean`` (blocked Newton; NB2 in
    (β, α)), without an offset for NB2.

    With ``cov_args`` (see ``sums_plan``) the last pass accumulates the per-node score sums and
    Σ s sᵀ, and the covariances come from them (``quant.models.shared.covariances_from_sums``, the
    same matrices as from the (n, k) scores); otherwise the scores are returned.

    Returns
    -------
    params, llf, fitted, pearson, S (or None), H, parameter names, Covariances (or None)

    Raises
    ------
    ModelError
        Non-convergence, or NB2's alpha at its bound 0.
    """
    from quant.models import diagnostics as dg
    from quant.models.glm_lean import fit_nb2_newton, fit_poisson_newton
    from quant.models.common import ALPHA_FLOOR
    from quant.models.shared import covariances_from_sums
    from quant.models.residuals import pearson_nb2, pearson_poisson

    by_sums = cov_args is not None
    node_arg = (nodes.ia, nodes.ib, len(nodes.labels)) if by_sums else None
    with dg.captured_warnings():
        if family == "poisson":
            fit = fit_poisson_newton(y, X, offset=off, scores=not by_sums, nodes=node_arg)
        else:
            fit = fit_nb2_newton(y, X, scores=not by_sums, nodes=node_arg)
    what = "Poisson" if family == "poisson" else "NB2"
    if not fit.converged or not np.all(np.isfinite(fit.params)):
        raise ModelError(_("the {what} model did not converge in {iterations} Newton iterations (lean "
                         "engine); look for a covariate that predicts zeros perfectly, or rescale covariates.").format(what=what, iterations=fit.iterations))
    if family == "poisson":
        pnames, pearson = list(names), pearson_poisson(y, fit.fitted)
    else:
        alpha = float(fit.params[-1])
        if alpha <= ALPHA_FLOOR:
            raise ModelError(_("the NB2 model ended at alpha = {alpha:.3g}, at its bound 0 (no overdispersion). "
                             "If the outcome is not overdispersed, alpha sits at its bound 0: fit model 'poisson'.").format(alpha=alpha))
        pnames, pearson = list(names) + ["alpha"], pearson_nb2(y, fit.fitted, alpha)
    cov = covariances_from_sums(fit.hessian, fit.node_sums, pnames, **cov_args) if by_sums else None
    return fit.params, float(fit.llf), fit.fitted, pearson, fit.scores, fit.hessian, pnames, cov


def offset_vector(data: pd.DataFrame, rows: np.ndarray, offset: str | None, exposure: str | None):
    """The offset vector (n,) on the log scale over ``rows`` of ``data`` and a sentence saying
    where it came from; (None, None) without either column. ``exposure``: log of the column.

    Raises
    ------
    QuantError
        Both columns given, or the column is not in the table.
    ModelError
        Missing or infinite values among the rows, or an exposure ≤ 0.
    """
    if offset and exposure:
        raise QuantError(_("give an offset column or an exposure column, not both."))
    col = offset or exposure
    if not col:
        return None, None
    if col not in data.columns:
        raise QuantError((_("the offset column {col!r} is not in the table.") if offset else
                          _("the exposure column {col!r} is not in the table.")).format(col=col))
    v = pd.to_numeric(data[col], errors="coerce").to_numpy(float)[rows]
    if not np.all(np.isfinite(v)):
        raise ModelError((_("the offset column {col!r} has {sum} missing or infinite value(s) among the rows used.")
                          if offset else
                          _("the exposure column {col!r} has {sum} missing or infinite value(s) among the rows used.")
                          ).format(col=col, sum=int((~np.isfinite(v)).sum())))
    if offset:
        return v, f"offset {col} (already on the log scale)"
    if (v <= 0).any():
        raise ModelError(_("the exposure column {col!r} must be positive; {sum} row(s) are not.").format(col=col, sum=int((v <= 0).sum())))
    return np.log(v), f"exposure {col} (log(exposure) as offset)"
