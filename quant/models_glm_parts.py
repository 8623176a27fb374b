"""Pieces of ``quant.models_glm``: ordinary least squares with its covariances (model-based and
HC0–HC3, MacKinnon & White 1985) and Firth's penalised logit through ``quant.firth`` (Firth 1993;
profile-likelihood limits, Heinze & Schemper 2002)."""
from __future__ import annotations

import numpy as np

from quant.dyadic import hc0_vcov
from quant.errors import ModelError
from quant.models_common import SE_LABELS
from quant.residuals import pearson_binary

__all__ = ["_ols", "_fit_firth"]


def _ols(y, X, se):
    """OLS estimate and its covariances (model, HC0–HC3); dyadic goes through ``covariances``."""
    XtX = X.T @ X
    try:
        bread = np.linalg.inv(XtX)
    except np.linalg.LinAlgError:
        raise ModelError("X'X is singular; covariates may be collinear.") from None
    beta = np.linalg.solve(XtX, X.T @ y)
    e = y - X @ beta
    n, k = X.shape
    if n <= k:
        raise ModelError(f"the linear model has {k} parameters but only {n} rows.")
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


def _fit_firth(y, X, names, off):
    """Firth's penalised logit through ``quant.firth`` (Firth 1993; Heinze & Schemper 2002)."""
    try:
        from quant.firth import fit_firth_logit, profile_ci
    except ImportError:
        raise ModelError("Firth's penalised logit is not available in this installation "
                         "(quant.firth is missing).") from None
    fit = fit_firth_logit(y, X, names, offset=off)
    if not fit.converged:
        raise ModelError(f"Firth's penalised logit did not converge in {fit.iterations} iterations.")
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
