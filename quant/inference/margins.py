"""Average marginal effects (AME) with delta-method standard errors under any of a fit's
covariances (model-based, HC0, dyadic-robust).

For unit d with linear predictor(s) η_pd = x_pdᵀβ_p, the mean is a product of part means
E_d = Π_p f_p(η_pd, α_p): one part for single-index models, two for the hurdle
(P(y > 0)·E[y | y > 0]). For a design column v,

- derivative ("dy/dx"): AME_v = (1/n) Σ_d Σ_{p ∋ v} β_pv ∂f_p/∂η (η_pd) Π_{q≠p} f_q(η_qd);
- discrete change ("0→1", for 0/1 columns): AME_v = (1/n) Σ_d [E_d(x_v = 1) − E_d(x_v = 0)].

The standard error is the delta method, Var(AME) = G V Gᵀ with G = ∂AME/∂θ (Oehlert 1992),
G computed analytically from the first and second derivatives of each f_p (below), and V the
chosen covariance of θ = (β, α). With the model-based V this reproduces statsmodels'
``get_margeff(at="overall")``; with the dyadic-robust V it accounts for dyads sharing cities.

Part means (η = xᵀβ; derivatives f_η, f_ηη, f_α, f_ηα):

- logit: f = Λ(η), f_η = f(1 − f), f_ηη = f_η(1 − 2f);
- probit: f = Φ(η), f_η = φ(η), f_ηη = −ηφ(η);
- cloglog: f = 1 − exp(−e^η), f_η = e^η·exp(−e^η) = e^η(1 − f), f_ηη = f_η(1 − e^η);
- count (Poisson, NB2): f = f_η = f_ηη = e^η (α does not enter the mean); with an offset o
  (log exposure) η = xᵀβ + o, so the AME is that of E[y] = exp(xᵀβ + o) at each unit's own
  exposure;
- Gaussian: f = η, f_η = 1, f_ηη = 0, so dy/dx AMEs are the coefficients and their SEs the
  coefficients' SEs;
- binomial out of m: m·Λ(η);
- zero-truncated NB2: f = μ/q, μ = e^η, q = 1 − P₀, P₀ = e^L, L = −ln(1 + αμ)/α. With
  w = P₀/q, g_η = 1 + wL_η, g_α = wL_α: f_η = f·g_η, f_α = f·g_α, f_ηη = f(g_η² + P₀L_η²/q²
  + wL_ηη), f_ηα = f(g_ηg_α + P₀L_ηL_α/q² + wL_ηα), with L_η, L_α, L_ηη, L_ηα as in
  ``quant.models.ztnb`` (Cameron & Trivedi 2013, §4.5).

References
----------
Oehlert, G. W. (1992). A note on the delta method. *The American Statistician* 46(1): 27–29.
Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed.
"""
from __future__ import annotations

from i18n import _
import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from quant.errors import QuantError
from quant.inference.hypotheses import Part, model_parts
from quant.models.results import FitResult

__all__ = ["average_marginal_effects", "part_mean"]

_SCALE = {
    "logit": "probability", "probit": "probability", "cloglog": "probability", "exp": "expected count",
    "identity": "expected outcome",
    "binomial": "expected count (trials × probability)", "ztnb": "E[y | y > 0]",
}


def part_mean(kind: str, eta: np.ndarray, alpha: float | None = None, trials=None):
    """Mean of one part and its derivatives.

    Parameters
    ----------
    kind : {"logit", "probit", "cloglog", "exp", "binomial", "ztnb", "identity"}
    eta : ndarray, (n,)
        Linear predictor (offset included).
    alpha : float, optional
        NB2 dispersion (required for "ztnb").
    trials : ndarray, (n,), optional
        Binomial trials (required for "binomial").

    Returns
    -------
    f, f_e, f_ee, f_a, f_ea : ndarray, (n,)
        f, ∂f/∂η, ∂²f/∂η², ∂f/∂α, ∂²f/∂η∂α (zeros where α does not enter).
    """
    eta = np.asarray(eta, float)
    zero = np.zeros_like(eta)
    if kind in ("logit", "binomial"):
        f = expit(eta)
        fe = f * (1.0 - f)
        fee = fe * (1.0 - 2.0 * f)
        if kind == "binomial":
            m = np.asarray(trials, float)
            f, fe, fee = m * f, m * fe, m * fee
        return f, fe, fee, zero, zero
    if kind == "probit":
        phi = stats.norm.pdf(eta)
        return stats.norm.cdf(eta), phi, -eta * phi, zero, zero
    if kind == "exp":
        f = np.exp(eta)
        return f, f, f, zero, zero
    if kind == "cloglog":
        mu = np.exp(eta)
        fe = np.exp(eta - mu)
        return -np.expm1(-mu), fe, fe * (1.0 - mu), zero, zero
    if kind == "identity":
        return eta.copy(), np.ones_like(eta), zero, zero, zero
    if kind == "ztnb":
        a = float(alpha)
        mu = np.exp(eta)
        am1 = 1.0 + a * mu
        lg = np.log1p(a * mu)
        L = -lg / a
        P0 = np.exp(L)
        q = -np.expm1(L)
        w = P0 / q
        L_e, L_ee = -mu / am1, -mu / am1**2
        L_a = lg / a**2 - mu / (a * am1)
        L_ea = mu**2 / am1**2
        f = mu / q
        g_e, g_a = 1.0 + w * L_e, w * L_a
        g_ee = P0 * L_e**2 / q**2 + w * L_ee
        g_ea = P0 * L_e * L_a / q**2 + w * L_ea
        return f, f * g_e, f * (g_e**2 + g_ee), f * g_a, f * (g_e * g_a + g_ea)
    raise QuantError(_("no mean function for part kind {kind!r}.").format(kind=kind))


def _pieces(parts: list[Part], theta: np.ndarray, etas: list[np.ndarray]):
    out = []
    for part, eta in zip(parts, etas):
        a = None if part.alpha is None else float(theta[part.alpha])
        out.append(part_mean(part.kind, eta, a, part.trials))
    return out


def _prod_except(F: list[np.ndarray], skip: set[int], n: int) -> np.ndarray:
    out = np.ones(n)
    for q, f in enumerate(F):
        if q not in skip:
            out = out * f
    return out


def _derivative(parts, theta, v_in, n):
    """AME (dy/dx) of column v and its gradient (len θ) for parts ``v_in`` (part → column)."""
    etas = [p.eta(theta) for p in parts]
    pcs = _pieces(parts, theta, etas)
    F = [pc[0] for pc in pcs]
    grad = np.zeros(len(theta))
    terms = np.zeros(n)
    for p, j in v_in.items():
        terms += theta[parts[p].beta[j]] * pcs[p][1] * _prod_except(F, {p}, n)
    for p, part in enumerate(parts):
        _, fe, fee, fa, fea = pcs[p]
        w = np.zeros(n)
        wa = np.zeros(n)
        rest = _prod_except(F, {p}, n)
        if p in v_in:
            bv = theta[part.beta[v_in[p]]]
            w += bv * fee * rest
            wa += bv * fea * rest
            grad[part.beta[v_in[p]]] += np.mean(fe * rest)
        for r, jr in v_in.items():
            if r != p:
                other = theta[parts[r].beta[jr]] * pcs[r][1] * _prod_except(F, {p, r}, n)
                w += other * fe
                wa += other * fa
        grad[part.beta] += part.X.T @ w / n
        if part.alpha is not None:
            grad[part.alpha] += np.mean(wa)
    return float(np.mean(terms)), grad


def _discrete(parts, theta, v_in, n):
    """AME (0→1 change) of column v and its gradient. The design is not copied: with x_v set to
    s, η^s = η + β_v(s − x_v), and Σ_d x^s_dk w_d is Xᵀw with entry v replaced by s·Σ_d w_d."""
    grad = np.zeros(len(theta))
    value = 0.0
    base = [p.eta(theta) for p in parts]
    for level, sign in ((1.0, 1.0), (0.0, -1.0)):
        etas = []
        for p, part in enumerate(parts):
            eta = base[p]
            if p in v_in:
                j = v_in[p]
                eta = eta + theta[part.beta[j]] * (level - part.X[:, j])
            etas.append(eta)
        pcs = _pieces(parts, theta, etas)
        F = [pc[0] for pc in pcs]
        value += sign * float(np.mean(_prod_except(F, set(), n)))
        for p, part in enumerate(parts):
            rest = _prod_except(F, {p}, n)
            w = pcs[p][1] * rest
            g = part.X.T @ w
            if p in v_in:
                g[v_in[p]] = level * w.sum()
            grad[part.beta] += sign * g / n
            if part.alpha is not None:
                grad[part.alpha] += sign * np.mean(pcs[p][3] * rest)
    return value, grad


def average_marginal_effects(
    result: FitResult,
    data: pd.DataFrame,
    se_type: str | None = None,
    dummy: str = "auto",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Average marginal effects of every covariate on the model's mean, with delta-method SEs.

    Parameters
    ----------
    result : FitResult
    data : pandas.DataFrame
        The table the model was fitted on (see ``quant.inference.hypotheses.model_parts``).
    se_type : str, optional
        Covariance to propagate (default ``result.se_type``).
    dummy : {"auto", "derivative"}
        "auto": columns holding only 0 and 1 get the discrete change 0→1 (statsmodels
        ``dummy=True``); "derivative": every column gets dy/dx.
    alpha : float
        1 − confidence level.

    Returns
    -------
    pandas.DataFrame
        Index ``term`` (design columns except the intercept, unprefixed: for the hurdle a
        variable in both parts has one effect on E[y]); columns ``ame``, ``se``, ``z``, ``p``,
        ``ci_low``, ``ci_high`` (reference distribution ``result.p_dist``) and ``kind``
        ("dy/dx" or "0->1"). ``attrs``: ``scale`` (the mean differentiated: probability,
        expected count, E[y | y > 0], or E[y] for the hurdle), ``se_label``, ``n``, ``jacobian``
        (terms × parameters).

    Raises
    ------
    QuantError
        Unknown ``se_type`` or ``dummy``, or a table that does not match the fit.
    """
    key = result.se_type if se_type is None else se_type
    if key not in result.cov:
        raise QuantError(_("se_type {key!r} was not computed for this fit; available: {cov}.").format(key=key, cov=', '.join(result.cov)))
    if dummy not in ("auto", "derivative"):
        raise QuantError(_("dummy {dummy!r} is not one of auto, derivative.").format(dummy=dummy))
    parts = model_parts(result, data)
    if result.model != "hurdle":  # the mean of a single-part fit is averaged over its own rows
        parts = [p if p.used.all() else p.subset(p.used) for p in parts]
    theta = result.params.to_numpy(float)
    n = parts[0].X.shape[0]
    names: list[str] = []
    for part in parts:
        names += [t for t in part.names if t != "Intercept" and t not in names]
    rows, jac = [], []
    for v in names:
        v_in = {p: part.names.index(v) for p, part in enumerate(parts) if v in part.names}
        col = next(parts[p].X[:, j] for p, j in v_in.items())
        binary = dummy == "auto" and np.isin(col, (0.0, 1.0)).all() and len(np.unique(col)) == 2
        value, grad = (_discrete if binary else _derivative)(parts, theta, v_in, n)
        rows.append((v, value, "0->1" if binary else "dy/dx"))
        jac.append(grad)
    G = np.array(jac).reshape(len(rows), len(theta))
    V = G @ np.asarray(result.cov[key]) @ G.T
    diag = np.diag(V)
    se = np.sqrt(np.where(diag < 0, np.nan, diag))  # a non-PSD covariance gives NaN, never 0
    ame = np.array([r[1] for r in rows])
    z = ame / se
    ref = stats.norm if result.p_dist == "normal" else stats.t(result.df)
    q = ref.ppf(1.0 - alpha / 2.0)
    out = pd.DataFrame({"ame": ame, "se": se, "z": z, "p": 2.0 * ref.sf(np.abs(z)),
                        "ci_low": ame - q * se, "ci_high": ame + q * se,
                        "kind": [r[2] for r in rows]}, index=pd.Index([r[0] for r in rows], name="term"))
    scale = ("E[y] = P(y > 0) E[y | y > 0] over all dyads" if result.model == "hurdle"
             else _SCALE[parts[0].kind])
    out.attrs.update(scale=scale, se_label=result.se_labels.get(key, key), n=n, jacobian=G.tolist(),
                     p_label=result.p_label())
    return out
