"""Delete-a-city influence: how far the estimates move when all of one city's rows go.

One-step approximation (quant.md §1.8): with H the full-sample Hessian of the log-likelihood,
H_i the part from the rows touching city i and U_i = Σ_{d ∋ i} s_d their score sum at θ̂,

    Δθ_i = θ̂_(−i) − θ̂ ≈ (H − H_i)⁻¹ U_i,

one Newton step from θ̂ on the reduced sample (the score of the reduced sample at θ̂ is −U_i,
since the full score is 0). Cities are ranked by max_k |Δθ_ik| / SE_k (quant.md §4.4). The
top cities are refitted exactly (Newton from θ̂); with every city refitted, the node
jackknife variance ((N − 1)/N) Σ_i (θ̂_(−i) − θ̄)(θ̂_(−i) − θ̄)ᵀ is returned too (conservative).

Check (Florentine marriage logit, quant.md §5): Strozzi one-step (−0.598, 0.00857) vs exact
(−0.595, 0.00824); Ridolfi (0.2050, −0.00256) vs (0.2062, −0.00262).

For the hurdle both parts are handled separately (their Hessian is block diagonal).
"""
from __future__ import annotations

import i18n
from i18n import _
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomialP, Poisson

from quant.models import diagnostics as dg
from quant.covariance.nodes import node_index
from quant.errors import ModelError, QuantError
from quant.inference.hypotheses import Part, model_parts
from quant.models.logit_lean import fit_logit_newton
from quant.models.connection import LEAN_LOGIT_MIN_ROWS
from quant.models.common import Attempt, run_fit
from quant.models.results import FitResult
from quant.models.ztnb import ZTNB2, nb2_derivatives, ztnb_derivatives

__all__ = ["CityInfluence", "city_influence"]


class _Binomial:
    """GLM binomial with the trials fixed, exposing score/hessian at scale 1 like the others."""

    def __init__(self, y, X, trials):
        self.m = sm.GLM(np.column_stack([y, trials - y]), X, family=sm.families.Binomial())

    def score_obs(self, params):
        return self.m.score_obs(params, scale=1.0)

    def hessian(self, params):
        return self.m.hessian(params, scale=1.0)

    def fit(self, start_params=None, method="newton", disp=0, **kw):
        return self.m.fit(start_params=start_params, maxiter=200, tol=1e-12)


class _CLogLog(_Binomial):
    """GLM binomial with the complementary log-log link (and offset), at scale 1."""

    def __init__(self, y, X, offset):
        self.m = sm.GLM(y, X, family=sm.families.Binomial(link=sm.families.links.CLogLog()), offset=offset)


def _model(result: FitResult, part: Part, rows: np.ndarray):
    y, X = part.y[rows], part.X[rows]
    off = None if part.offset is None else part.offset[rows]
    if part.kind == "logit":
        return sm.Logit(y, X, offset=off)
    if part.kind == "probit":
        return sm.Probit(y, X, offset=off)
    if part.kind == "cloglog":
        return _CLogLog(y, X, off)
    if part.kind == "ztnb":
        return ZTNB2(y, X)
    if part.kind == "binomial":
        return _Binomial(y, X, part.trials[rows])
    if result.model == "poisson":
        return Poisson(y, X, offset=off)
    return NegativeBinomialP(y, X, p=2, offset=off)


def _index_derivatives(result: FitResult, part: Part, used: np.ndarray, theta: np.ndarray):
    """Per-row derivatives of the log-likelihood through η = xᵀβ (and α), over the rows used.

    Every model here is single-index: ℓ_d depends on β only through η_d, so the score is
    (g_η,d x_d, g_α,d) and the Hessian Σ_d [[h_ηη x xᵀ, h_ηα x], [h_ηα xᵀ, h_αα]].

    Returns
    -------
    g_e, g_a, h_ee, h_ea, h_aa : ndarray, (n_used,) or None (no α)
        logit: g = y − p, h = −p(1 − p); Firth's logit: the modified score g = y − p + h_d(½ − p)
        with h_d the leverage of the full fit (Firth 1993), h = −p(1 − p); probit (q = 2y − 1,
        λ = qφ(qη)/Φ(qη)): g = λ, h = −λ(λ + η); cloglog (μ = e^η, p = 1 − e^−μ):
        g = (y − p)μ/p, h = −μ²(1 − p)/p + (y − p)μ(p − μ(1 − p))/p²; Gaussian (ℓ = −½e²):
        g = e, h = −1 (the one-step is then the exact delete-a-city OLS change); Poisson:
        g = y − μ, h = −μ; binomial of m: g = y − mp, h = −mp(1 − p); NB2 and ZTNB2:
        ``quant.models.ztnb.nb2_derivatives`` / ``ztnb_derivatives``. η includes the fit's offset.
    """
    from scipy.special import expit, log_ndtr

    y = part.y[used]
    X = part.X[used] if len(used) < len(part.used) else part.X
    k = len(part.beta)
    eta = X @ theta[:k]
    if part.offset is not None:
        eta = eta + part.offset[used]
    if part.kind in ("logit", "binomial"):
        p = expit(eta)
        m = 1.0 if part.kind == "logit" else part.trials[used]
        g = y - m * p
        if result.model == "firth":
            w = p * (1.0 - p)
            info = X.T @ (X * w[:, None])
            hat = w * np.einsum("ij,ij->i", X, np.linalg.solve(info, X.T).T)
            g = g + hat * (0.5 - p)
        return g, None, -m * p * (1.0 - p), None, None
    if part.kind == "identity":
        return y - eta, None, -np.ones(len(y)), None, None
    if part.kind == "cloglog":
        mu = np.exp(eta)
        p = -np.expm1(-mu)
        fe = mu * (1.0 - p)
        return (y - p) * mu / p, None, -fe * mu / p + (y - p) * mu * (p - fe) / p**2, None, None
    if part.kind == "probit":
        q = 2.0 * y - 1.0
        lam = q * np.exp(-0.5 * eta**2 - 0.5 * np.log(2 * np.pi) - log_ndtr(q * eta))
        return lam, None, -lam * (lam + eta), None, None
    if part.kind == "ztnb":
        return ztnb_derivatives(y, eta, theta[k])
    if result.model == "poisson":
        mu = np.exp(eta)
        return y - mu, None, -mu, None, None
    return nb2_derivatives(y, eta, theta[k])


def _refit_closed(result, part, keep, start):
    """Exact refits that need no statsmodels model: OLS (least squares) and Firth's logit."""
    X, y = part.X[keep], part.y[keep]
    if part.kind == "identity":
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        return beta
    from quant.models.firth import fit_firth_logit

    fit = fit_firth_logit(y, X, list(part.names), offset=None if part.offset is None else part.offset[keep])
    if not fit.converged:
        raise ModelError(i18n._("the refit without the city (firth) did not converge."))
    return np.asarray(fit.params, float)


def _hessian(X, h_ee, h_ea, h_aa) -> np.ndarray:
    """Σ_d of the per-row Hessians of a single-index model, (k(+1), k(+1)), in row blocks."""
    k = X.shape[1]
    top = np.zeros((k, k))
    for s in range(0, len(X), 1 << 16):
        Xb = X[s:s + (1 << 16)]
        top += Xb.T @ (Xb * h_ee[s:s + (1 << 16), None])
    if h_ea is None:
        return (top + top.T) / 2.0
    H = np.empty((k + 1, k + 1))
    H[:k, :k] = (top + top.T) / 2.0
    H[:k, k] = H[k, :k] = X.T @ h_ea
    H[k, k] = h_aa.sum()
    return H


def _rows_by_node(ia: np.ndarray, ib: np.ndarray, m: int) -> list[np.ndarray]:
    """For each node 0..m−1 the sorted positions of the rows touching it (a row with ia = ib,
    breadth's one row per city, is listed once)."""
    n = len(ia)
    node = np.concatenate([ia, ib])
    row = np.concatenate([np.arange(n), np.arange(n)])
    order = np.lexsort((row, node))
    node, row = node[order], row[order]
    keep = np.ones(len(row), bool)
    keep[1:] = (node[1:] != node[:-1]) | (row[1:] != row[:-1])
    node, row = node[keep], row[keep]
    bounds = np.searchsorted(node, np.arange(m + 1))
    return [row[bounds[c]:bounds[c + 1]] for c in range(m)]


def _param_index(part: Part) -> np.ndarray:
    return np.append(part.beta, part.alpha) if part.alpha is not None else part.beta


@dataclass(frozen=True)
class CityInfluence:
    """Delete-a-city influence of one fit.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per city with rows in the fit, most influential first: ``city``, ``n_rows``,
        ``score`` (max_k |Δ_k|/SE_k, one-step, over the substantive terms), ``rank``, then
        ``step:<term>`` (one-step Δ) and ``exact:<term>`` (exact refit Δ; NaN where not
        refitted) for every parameter, and ``exact_score``.
    terms : list of str
        Parameter names.
    se_type : str
        Covariance whose SEs scale the score.
    jackknife_cov : ndarray, (k, k) or None
        Node-jackknife covariance when every city was refitted.
    notes : list of str
        Refits that failed, and why.
    """

    table: pd.DataFrame
    terms: list[str]
    se_type: str
    jackknife_cov: np.ndarray | None
    notes: list[str]


def _refit(result, part, keep, start):
    what = f"refit without the city ({part.prefix or result.model})"
    if part.kind == "identity" or result.model == "firth":
        return _refit_closed(result, part, keep, start)
    # blocked Newton, no copies of X (the lean logit takes no offset)
    if part.kind == "logit" and part.offset is None and len(keep) >= LEAN_LOGIT_MIN_ROWS:
        with dg.captured_warnings():
            fit = fit_logit_newton(part.y[keep], part.X[keep], start=start)
        if not fit.converged:
            raise ModelError(i18n._("the {what} did not converge.").format(what=what))
        return fit.params
    model = _model(result, part, keep)
    with dg.captured_warnings():
        if part.kind in ("binomial", "cloglog"):
            res = model.fit(start_params=start)
            if not res.converged:
                raise ModelError(i18n._("the {what} did not converge.").format(what=what))
            return np.asarray(res.params, float)
        res, _, _ = run_fit(model, [Attempt("newton from the full estimate", "newton", start, {"maxiter": 100}),
                                    Attempt("bfgs from the full estimate", "bfgs", start, {"maxiter": 2000})], what)
    return np.asarray(res.params, float)


def city_influence(
    result: FitResult,
    data: pd.DataFrame,
    n_exact: int = 5,
    se_type: str | None = None,
) -> CityInfluence:
    """One-step delete-a-city influence for every city, exact refits for the top ``n_exact``.

    Parameters
    ----------
    result : FitResult
        Any fit (dyad models: a city's rows are those touching it; breadth: its own row).
    data : pandas.DataFrame
        The table the model was fitted on.
    n_exact : int
        Cities refitted exactly, by one-step rank; ``-1`` refits every city and returns the
        node-jackknife covariance.
    se_type : str, optional
        SEs scaling the ranking score (default ``result.se_type``).

    Returns
    -------
    CityInfluence

    Raises
    ------
    QuantError
        Bad arguments or a table that does not match the fit.
    """
    key = result.se_type if se_type is None else se_type
    if key not in result.se:
        raise QuantError(i18n._("se_type {key!r} was not computed for this fit; available: {se}.").format(key=key, se=', '.join(result.se)))
    if not isinstance(n_exact, (int, np.integer)) or n_exact < -1:
        raise QuantError(i18n._("n_exact = {n_exact!r} must be a whole number ≥ 0, or -1 for every city.").format(n_exact=n_exact))
    parts = model_parts(result, data)
    units = result.units
    if "city" in units.columns:
        ia, _, cities = node_index(units["city"].astype(str), units["city"].astype(str))
        ib = ia
    else:
        ia, ib, cities = node_index(units["city_a"].astype(str), units["city_b"].astype(str))
    cities = np.asarray(cities, dtype=str)
    rows_of = _rows_by_node(ia, ib, len(cities))
    theta = result.params.to_numpy(float)
    terms = [str(t) for t in result.params.index]
    k = len(theta)
    steps = np.zeros((len(cities), k))
    n_rows = np.array([len(r) for r in rows_of])
    for part in parts:
        idx = _param_index(part)
        th = theta[idx]
        used = np.flatnonzero(part.used)
        g_e, g_a, h_ee, h_ea, h_aa = _index_derivatives(result, part, used, th)
        Xu = part.X[used] if len(used) < len(part.used) else part.X
        H = _hessian(Xu, h_ee, h_ea, h_aa)
        pos = np.full(len(part.used), -1)
        pos[used] = np.arange(len(used))  # unit row -> row of the part's fit
        for c, rows in enumerate(rows_of):
            touch = pos[rows[part.used[rows]]]
            if not len(touch):
                continue
            Xt = Xu[touch]
            Ui = Xt.T @ g_e[touch]
            if g_a is not None:
                Ui = np.append(Ui, g_a[touch].sum())
            Hi = _hessian(Xt, h_ee[touch], None if h_ea is None else h_ea[touch],
                          None if h_aa is None else h_aa[touch])
            try:
                steps[c, idx] = np.linalg.solve(H - Hi, Ui)
            except np.linalg.LinAlgError:
                steps[c, idx] = np.nan
    se = result.se[key].to_numpy(float)
    substantive = [j for j, t in enumerate(terms) if t.split(":")[-1] not in ("Intercept", "alpha")] or list(range(k))
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.nanmax(np.abs(steps[:, substantive]) / se[substantive], axis=1)
    order = np.lexsort((cities, -np.nan_to_num(score, nan=-np.inf)))
    chosen = order if n_exact == -1 else order[: min(n_exact, len(order))]
    exact = np.full((len(cities), k), np.nan)
    notes: list[str] = []
    for c in chosen:
        for part in parts:
            idx = _param_index(part)
            drop = np.zeros(len(part.used), bool)
            drop[rows_of[c]] = True
            keep = np.flatnonzero(part.used & ~drop)
            try:
                dg.check_covariates(part.X[keep], part.names)
                exact[c, idx] = _refit(result, part, keep, theta[idx]) - theta[idx]
            except (ModelError, QuantError, ValueError, np.linalg.LinAlgError) as exc:
                notes.append(i18n._("refit without {cities} ({value}) failed: {exc}").format(cities=cities[c], value=part.prefix or result.model, exc=exc))
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cities not refitted: an all-NaN row
        # nanmax: one parameter with an undefined SE must not hide a city's shift in the others
        exact_score = np.nanmax(np.abs(exact[:, substantive]) / se[substantive], axis=1)
    jack = None
    if n_exact == -1 and np.all(np.isfinite(exact)):
        est = theta + exact
        centred = est - est.mean(axis=0)
        N = len(cities)
        jack = (N - 1) / N * centred.T @ centred
    table = pd.DataFrame({"city": cities, "n_rows": n_rows, "score": score})
    table["rank"] = np.empty(len(cities), dtype=int)
    table.loc[order, "rank"] = np.arange(1, len(cities) + 1)
    for j, t in enumerate(terms):
        table[f"step:{t}"] = steps[:, j]
    for j, t in enumerate(terms):
        table[f"exact:{t}"] = exact[:, j]
    table["exact_score"] = exact_score
    table = table.iloc[order].reset_index(drop=True)
    return CityInfluence(table=table, terms=terms, se_type=key, jackknife_cov=jack, notes=notes)
