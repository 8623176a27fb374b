"""More case-selection rules (quant.md §4.2, §4.4): pathway, influential (Cook's distance and
leverage), most-similar and most-different pairs. Pure statistics on arrays and case tables
(``quant.cases.rules.case_table``); same output conventions as ``quant.cases.rules``.

References
----------
Cook (1977) Technometrics 19(1): 15–18. Williams (1987) Applied Statistics 36(2): 181–191
(GLM leverage and Cook's distance). Gerring (2007) Comparative Political Studies 40(3): 231–253.
Weller & Barnes (2014) *Finding Pathways*, Cambridge UP. Seawright & Gerring (2008) PRQ
61(2): 294–308.
"""
from __future__ import annotations

import i18n
from i18n import _
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from quant.cases.rules import case_id_columns, order_by
from quant.errors import QuantError

__all__ = ["pathway", "glm_influence", "influential", "standardize", "pair_candidates",
           "similar_pairs", "different_pairs", "EXACT_PAIRS_MAX", "count_interval", "ztnb_mu_from_mean",
           "interval_status"]

#: Up to this many units every pair is scored; above it the candidate pairs are searched
#: (nearest neighbours for similar, the most outlying units for different).
EXACT_PAIRS_MAX = 2500


# ------------------------------------------------------------------ pathway
def pathway(table: pd.DataFrame, reduced_residual, *, variable: str, n: int | None = 10) -> pd.DataFrame:
    """Pathway values (MMRcaseselection ``pathway``) from the full-model residual in
    ``table["residual"]`` and the reduced model's residual (the model without ``variable``).

    Columns added: ``full_residual``, ``reduced_residual``, ``pathway_wb`` = |e_red| − |e_full|
    (Weller & Barnes 2014), ``pathway_gvalue`` = |e_red − e_full| and ``pathway_gtype`` = "yes"
    iff |e_red| > |e_full| (Gerring 2007), ``variable``. Ranked by ``pathway_wb`` descending
    (``score``): the cases the variable helps most come first.

    Raises
    ------
    QuantError
        Lengths differ or a reduced residual is missing.
    """
    red = np.asarray(reduced_residual, dtype=float).reshape(-1)
    full = table["residual"].to_numpy(float)
    if len(red) != len(full):
        raise QuantError(_("the reduced model has {n} residuals for {n2} cases.").format(n=len(red), n2=len(full)))
    if not np.all(np.isfinite(red)):
        raise QuantError(_("{sum} case(s) have no reduced-model residual.").format(sum=int((~np.isfinite(red)).sum())))
    t = table.copy()
    t["full_residual"], t["reduced_residual"] = full, red
    t["pathway_wb"] = np.abs(red) - np.abs(full)
    t["pathway_gvalue"] = np.abs(red - full)
    t["pathway_gtype"] = np.where(np.abs(red) > np.abs(full), "yes", "no")
    t["variable"] = variable
    return order_by(t, t["pathway_wb"].to_numpy(), descending=True, n=n)


# ------------------------------------------------------------------ count prediction interval
def ztnb_mu_from_mean(mean, alpha: float) -> np.ndarray:
    """The NB2 mean μ whose zero-truncated mean μ/(1 − (1 + αμ)^(−1/α)) equals ``mean`` (> 1),
    by bisection on log μ (the truncated mean increases with μ, from 1 at μ → 0)."""
    m = np.asarray(mean, dtype=float)
    if np.any(m <= 1) or alpha <= 0:
        raise QuantError(i18n._("a zero-truncated mean must exceed 1 and alpha must be positive."))
    lo = np.full(m.shape, -30.0)
    hi = np.log(m) + 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        mu = np.exp(mid)
        tm = mu / -np.expm1(-np.log1p(alpha * mu) / alpha)
        big = tm > m
        hi = np.where(big, mid, hi)
        lo = np.where(big, lo, mid)
    return np.exp((lo + hi) / 2)


def count_interval(mu, *, family: str, piwidth: float = 0.95, alpha: float | None = None, trials=None,
                   truncated: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Central ``piwidth`` interval [q_{(1−w)/2}, q_{(1+w)/2}] of each unit's fitted count
    distribution (quant.md §4.3, the count analogue of MMRcaseselection's ``predint``); q_p is
    the smallest k with F(k) ≥ p. Parameter uncertainty is ignored.

    Parameters
    ----------
    mu : array_like, (n,)
        Untruncated mean (binomial: the mean count m·p).
    family : {"poisson", "nb", "binomial"}
    alpha : float
        NB2 dispersion (Var = μ + αμ²).
    trials : array_like, (n,)
        Binomial trials.
    truncated : bool
        Zero-truncated distribution (F_T(k) = (F(k) − F(0))/(1 − F(0)), k ≥ 1).
    """
    from scipy import stats

    w = float(piwidth)
    if not 0 < w < 1:
        raise QuantError(_("piwidth = {piwidth!r} must lie strictly between 0 and 1.").format(piwidth=piwidth))
    mu = np.asarray(mu, dtype=float)
    if family == "poisson":
        dist = stats.poisson(mu)
    elif family == "nb":
        if alpha is None or alpha <= 0:
            raise QuantError(_("the NB2 interval needs a positive alpha."))
        dist = stats.nbinom(1.0 / alpha, 1.0 / (1.0 + alpha * mu))
    elif family == "binomial":
        m = np.asarray(trials, dtype=float)
        dist = stats.binom(m, mu / m)
    else:
        raise QuantError(_("family {family!r} is not one of poisson, nb, binomial.").format(family=family))
    qs = np.array([(1 - w) / 2, (1 + w) / 2])
    if truncated:
        f0 = dist.cdf(0)
        out = [np.maximum(dist.ppf(f0 + q * (1 - f0)), 1) for q in qs]
    else:
        out = [dist.ppf(q) for q in qs]
    return out[0], out[1]


def interval_status(table: pd.DataFrame, lower, upper, *, piwidth: float, deviant: bool,
                    n: int | None = 10) -> pd.DataFrame:
    """Typical iff lower ≤ y ≤ upper, deviant otherwise (the boundary is typical, as in
    ``predint``). ``deviant=True`` lists deviant cases by |r| descending, else typical ones by
    |r| ascending; columns ``lower``, ``upper``, ``abs_residual``, ``status``, ``threshold``
    (= piwidth)."""
    y = table["observed"].to_numpy(float)
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    dev = (y < lo) | (y > hi)
    a = np.abs(table["residual"].to_numpy(float))
    t = table.copy()
    t["lower"], t["upper"], t["abs_residual"] = lo, hi, a
    t["status"] = np.where(dev, "deviant", "typical")
    t["threshold"] = float(piwidth)
    if deviant:
        return order_by(t, a, descending=True, keep=dev, n=n)
    return order_by(t, a, descending=False, keep=~dev, n=n)


# ------------------------------------------------------------------ influence
def glm_influence(X, y, mu, *, family: str, alpha: float | None = None, trials=None,
                  scale: float = 1.0) -> dict[str, np.ndarray]:
    """Leverage, standardized Pearson residual and Cook's distance of a GLM at its estimate.

    Parameters
    ----------
    X : ndarray, (n, k)
        Design (with intercept) of the rows used.
    y, mu : ndarray, (n,)
        Outcome and fitted mean (for "binomial": the count out of ``trials``, mean m·p).
    family : {"gaussian", "poisson", "nb", "binomial", "logit"}
        Canonical-link families: IRLS weights w = 1, μ, μ/(1 + αμ), m·p(1 − p), p(1 − p).
    alpha : float
        NB2 dispersion (family "nb").
    scale : float
        Dispersion φ (1 for Poisson, binomial, NB2; σ̂² for Gaussian).

    Returns
    -------
    dict
        ``leverage`` h_ii = diag(W^½X(XᵀWX)⁻¹XᵀW^½), ``pearson`` (y − μ)/√V(μ),
        ``cooks`` D_i = r_i² h_ii / (k φ (1 − h_ii)²) (Williams 1987; for the Gaussian family
        this is Cook's 1977 distance).

    Raises
    ------
    QuantError
        Unknown family or mismatched shapes.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    mu = np.asarray(mu, dtype=float)
    if X.ndim != 2 or len(X) != len(y) or len(y) != len(mu):
        raise QuantError(i18n._("design {shape}, outcome ({n}) and means ({n2}) do not match.").format(shape=X.shape, n=len(y), n2=len(mu)))
    if family == "gaussian":
        var = np.ones_like(mu)
    elif family == "poisson":
        var = mu
    elif family == "nb":
        if alpha is None:
            raise QuantError(i18n._("the NB2 family needs its alpha."))
        var = mu + alpha * mu**2
    elif family in ("binomial", "logit"):
        m = np.ones_like(mu) if trials is None else np.asarray(trials, dtype=float)
        p = mu / m
        var = m * p * (1 - p)
    else:
        raise QuantError(i18n._("family {family!r} is not one of gaussian, poisson, nb, binomial, logit.").format(family=family))
    # Canonical links (NB2 with log link: dμ/dη = μ, w = μ²/V): w = (dμ/dη)²/V.
    if family == "gaussian":
        w = np.ones_like(mu)
    elif family == "nb":
        w = mu**2 / var
    else:
        w = var
    q, _ = np.linalg.qr(X * np.sqrt(w)[:, None], mode="reduced")
    h = np.einsum("ij,ij->i", q, q)
    r = (y - mu) / np.sqrt(var)
    k = X.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        cooks = r**2 * h / (k * scale * (1 - h) ** 2)
    return {"leverage": h, "pearson": r, "cooks": cooks}


def influential(table: pd.DataFrame, cooks, leverage, *, n: int | None = 10) -> pd.DataFrame:
    """Influential units by Cook's distance, largest first (Seawright & Gerring 2008).
    Columns added: ``cooks_distance``, ``leverage``, ``measure`` = "Cook's distance"."""
    d = np.asarray(cooks, dtype=float)
    t = table.copy()
    t["cooks_distance"], t["leverage"], t["measure"] = d, np.asarray(leverage, float), "Cook's distance"
    return order_by(t, np.nan_to_num(d, nan=-np.inf), descending=True, n=n)


# ------------------------------------------------------------------ matching
def standardize(C, *, metric: str = "mahalanobis") -> np.ndarray:
    """Rows of controls C (n, m) mapped so that Euclidean distance is the chosen distance.

    Each column is standardized (mean 0, SD 1 with n − 1; constant columns dropped). For
    ``"mahalanobis"`` the standardized controls are whitened with the inverse of their
    correlation matrix R (W = Z V Λ^{-1/2}, R = V Λ Vᵀ, eigenvalues below 1e-10·max dropped),
    so ‖W_i − W_j‖ = √((Z_i − Z_j)ᵀ R⁻¹ (Z_i − Z_j)), the Mahalanobis distance D_Z of
    quant.md §4.4; ``"euclidean"`` returns Z.
    """
    C = np.asarray(C, dtype=float)
    if C.ndim == 1:
        C = C[:, None]
    if not np.all(np.isfinite(C)):
        raise QuantError(_("a control variable has missing values; matching needs complete controls."))
    sd = C.std(axis=0, ddof=1) if len(C) > 1 else np.zeros(C.shape[1])
    keep = sd > 0
    Z = (C[:, keep] - C[:, keep].mean(axis=0)) / sd[keep]
    if metric == "euclidean" or Z.shape[1] <= 1:
        return Z
    if metric != "mahalanobis":
        raise QuantError(_("metric {metric!r} is not 'mahalanobis' or 'euclidean'.").format(metric=metric))
    R = np.corrcoef(Z, rowvar=False)
    lam, V = np.linalg.eigh(R)
    ok = lam > 1e-10 * lam.max()
    return Z @ V[:, ok] / np.sqrt(lam[ok])


def _pairs_frame(i, j, n):
    i, j = np.minimum(i, j), np.maximum(i, j)
    keep = i != j
    code = np.unique(i[keep].astype(np.int64) * n + j[keep])
    return code // n, code % n


def pair_candidates(W: np.ndarray, *, kind: str, groups=None, k: int = 10, m: int = 300):
    """Candidate pairs (i < j) to score.

    Up to :data:`EXACT_PAIRS_MAX` units: every pair. Above it, for ``kind="similar"`` each
    unit's ``k`` nearest neighbours in W; with ``groups`` (a discrete key), for every two
    groups each unit of the smaller one and its ``k`` nearest units of the larger one, which
    contains the ``k`` closest pairs across the two groups exactly (a pair among the k closest
    has its partner among the unit's k nearest). For ``kind="different"``: every pair among the
    ``m`` units farthest from the centre (per group when given), a heuristic.
    """
    n = len(W)
    if n <= EXACT_PAIRS_MAX:
        i, j = np.triu_indices(n, 1)
        return i, j
    if kind == "different":
        norm = np.einsum("ij,ij->i", W, W)
        sets = [np.arange(n)] if groups is None else [np.flatnonzero(groups == g) for g in np.unique(groups)]
        ii, jj = [], []
        for s in sets:
            top = np.sort(s[np.argsort(-norm[s], kind="stable")[:m]])
            a, b = np.triu_indices(len(top), 1)
            ii.append(top[a])
            jj.append(top[b])
        return np.concatenate(ii), np.concatenate(jj)  # i < j, no repeats (the sets are disjoint)
    if groups is None:
        tree = cKDTree(W)
        _, nb = tree.query(W, k=min(k + 1, n))
        i = np.repeat(np.arange(n), nb.shape[1])
        return _pairs_frame(i, nb.reshape(-1), n)
    ii, jj = [], []
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    for a in range(len(members)):
        for b in range(a + 1, len(members)):
            src, dst = sorted((members[a], members[b]), key=len)
            kk = min(k, len(dst))
            _, nb = cKDTree(W[dst]).query(W[src], k=kk)
            nb = np.asarray(nb).reshape(len(src), kk)
            ii.append(np.repeat(src, kk))
            jj.append(dst[nb.reshape(-1)])
    if not ii:
        return np.array([], int), np.array([], int)
    return _pairs_frame(np.concatenate(ii), np.concatenate(jj), n)


def _keys(frame: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """Unit keys as text: the city code, or "a|b" for a dyad (as quant.runs.saved.unit_key)."""
    out = frame[ids[0]].astype(str)
    for c in ids[1:]:
        out = out + "|" + frame[c].astype(str)
    return out.to_numpy()


def _pair_output(table, i, j, dist, delta, score, n, kind, key_name):
    ids = case_id_columns(table)
    score = np.asarray(score, float)
    if n is not None and len(score) > 4 * max(n, 1):
        # Only pairs scoring at least the n-th best (to 10 decimals) can be selected.
        r = np.round(score, 10)
        keep = r >= np.partition(r, len(r) - max(n, 1))[len(r) - max(n, 1)]
        i, j, dist, delta, score = i[keep], j[keep], dist[keep], delta[keep], score[keep]
    # Ties broken by the ids of the member with the smaller id, then of the other one.
    key = _keys(table, ids)
    swap = key[i] > key[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    cand = pd.DataFrame({"pi": i, "pj": j, "distance": dist, "delta": delta})
    for col in ids:
        cand[col] = table[col].astype(str).to_numpy()[i]
    for col in ids:
        cand[col + "_2"] = table[col].astype(str).to_numpy()[j]
    cand.attrs["id_columns"] = ids + [c + "_2" for c in ids]
    ranked = order_by(cand, score, descending=True, n=n)
    a = ranked["pi"].to_numpy(int)
    b = ranked["pj"].to_numpy(int)
    u = np.column_stack([a, b]).reshape(-1)
    v = np.column_stack([b, a]).reshape(-1)
    rep = np.repeat(np.arange(len(ranked)), 2)
    out = table.iloc[u].reset_index(drop=True)
    out["pair"] = ranked["rank"].to_numpy()[rep]
    out["member"] = np.tile([1, 2], len(ranked))
    partner = table.iloc[v].reset_index(drop=True)
    out["partner"] = _keys(partner, ids) if len(u) else []
    out["distance"] = ranked["distance"].to_numpy()[rep]
    out["delta"] = ranked["delta"].to_numpy()[rep]
    out["key"] = key_name
    out["score"] = ranked["score"].to_numpy()[rep]
    out["rank"] = out["pair"]
    out["kind"] = kind
    out.attrs = dict(table.attrs)
    return out


def similar_pairs(table: pd.DataFrame, controls, key, *, key_name: str, metric: str = "mahalanobis",
                  n: int | None = 10, discrete: bool | None = None) -> pd.DataFrame:
    """Most-similar pairs (Seawright & Gerring 2008, quant.md §4.4): close on the controls,
    different on the key variable.

    Operationalisation: D_Z = distance between the standardized controls (Mahalanobis by
    default, see :func:`standardize`), Δ = |key_i − key_j| where key is the outcome
    (exploratory use) or a key explanatory variable (estimating use); score = Δ/(1 + D_Z),
    pairs with Δ > 0 only, highest score first.

    Returns two rows per pair (``member`` 1 and 2, each a case with its own ids), with
    ``pair`` (= ``rank``), ``partner`` (the other unit's id, "a|b" for dyads), ``distance``
    (D_Z), ``delta`` (Δ), ``key`` (its name), ``score``.
    """
    W = standardize(controls, metric=metric)
    key = np.asarray(key, dtype=float)
    if discrete is None:
        discrete = len(np.unique(key)) <= 10
    i, j = pair_candidates(W, kind="similar", groups=key if discrete else None, k=max(10, min(n or 0, 50)))
    dist = np.sqrt(np.einsum("ij,ij->i", W[i] - W[j], W[i] - W[j]))
    delta = np.abs(key[i] - key[j])
    keep = delta > 0
    i, j, dist, delta = i[keep], j[keep], dist[keep], delta[keep]
    return _pair_output(table, i, j, dist, delta, delta / (1 + dist), n, "most-similar", key_name)


def different_pairs(table: pd.DataFrame, controls, outcome, *, key_name: str, metric: str = "mahalanobis",
                    n: int | None = 10, discrete: bool | None = None) -> pd.DataFrame:
    """Most-different pairs (Seawright & Gerring 2008, quant.md §4.4): far apart on the
    controls, alike on the outcome. score = D_Z/(1 + ΔY), ΔY = |y_i − y_j|; for a discrete
    outcome (≤ 10 values) only pairs with the same outcome. Output as :func:`similar_pairs`.
    """
    W = standardize(controls, metric=metric)
    y = np.asarray(outcome, dtype=float)
    if discrete is None:
        discrete = len(np.unique(y)) <= 10
    i, j = pair_candidates(W, kind="different", groups=y if discrete else None)
    dist = np.sqrt(np.einsum("ij,ij->i", W[i] - W[j], W[i] - W[j]))
    delta = np.abs(y[i] - y[j])
    if discrete:
        keep = delta == 0
        i, j, dist, delta = i[keep], j[keep], dist[keep], delta[keep]
    return _pair_output(table, i, j, dist, delta, dist / (1 + delta), n, "most-different", key_name)
