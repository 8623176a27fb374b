"""Inference on a fitted model: its design rebuilt, VIF, standardised coefficients, Wald and
likelihood-ratio tests between nested specifications.

A ``FitResult`` keeps no design matrix (at millions of dyads that would double the memory of a
fit), so the functions here take the table the model was fitted on (``data``; with node
operators, the prepared table of ``quant.runs.analysis.model_data``) and rebuild the design of the
rows used, checking that the outcome agrees row by row.

Marginal effects are in ``quant.inference.margins``, delete-a-city influence in ``quant.inference.influence``.
"""
from __future__ import annotations

from i18n import _
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from quant.models.design import build_design, formula_columns
from quant.errors import QuantError
from quant.models.results import FitResult

__all__ = ["Part", "TestResult", "model_parts", "vif", "standardized", "wald_test", "wald_nested",
           "lr_test"]

_KIND = {"logit": "logit", "probit": "probit", "cloglog": "cloglog", "firth": "logit", "poisson": "exp",
         "nb": "exp", "nb_pos": "exp", "ztnb": "ztnb", "binomial": "binomial", "gaussian": "identity"}
#: Latent-error variance of binary parts, for fully standardised coefficients: logistic π²/3,
#: standard normal 1, standard (minimum) Gumbel π²/6 for the complementary log-log.
_LATENT = {"logit": np.pi**2 / 3.0, "probit": 1.0, "cloglog": np.pi**2 / 6.0}


@dataclass(frozen=True)
class Part:
    """One linear predictor η = Xβ of a fitted model (two for the hurdle).

    Attributes
    ----------
    prefix : str
        ``""``, or ``"zero:"`` / ``"count:"`` for the hurdle's parts.
    kind : {"logit", "probit", "cloglog", "exp", "ztnb", "binomial", "identity"}
        Mean function of the part: Λ(η), Φ(η), 1 − exp(−e^η), e^η, E[y | y > 0] of ZTNB2,
        m·Λ(η), η (Gaussian). Firth's logit has kind "logit" (same mean, penalised estimate).
    X : ndarray, (n, k)
        Design of every unit of the fit (for the hurdle's count part: all dyads, predicted).
    names : list of str, (k,)
        Design column names (without prefix).
    beta : ndarray of int, (k,)
        Positions of the part's coefficients in ``result.params``.
    alpha : int or None
        Position of the part's NB2 ``alpha`` (None if the part has none).
    used : ndarray of bool, (n,)
        Units the part was fitted on (the hurdle's count part: collaborating dyads).
    y : ndarray, (n,)
        The part's outcome (the hurdle's zero part: 0/1).
    trials : ndarray, (n,) or None
        Binomial trials (breadth "binomial").
    offset : ndarray, (n,) or None
        Offset added to η = Xβ (log scale for Poisson/NB; link scale for binary models), rebuilt
        from the offset or exposure column the fit names (``meta["offset_source"]``).
    """

    prefix: str
    kind: str
    X: np.ndarray
    names: list[str]
    beta: np.ndarray
    alpha: int | None
    used: np.ndarray
    y: np.ndarray
    trials: np.ndarray | None = field(default=None)
    offset: np.ndarray | None = field(default=None)

    def eta(self, theta: np.ndarray) -> np.ndarray:
        """Linear predictor Xβ (+ offset) of every unit of the part, (n,)."""
        eta = self.X @ theta[self.beta]
        return eta if self.offset is None else eta + self.offset

    def subset(self, rows: np.ndarray) -> "Part":
        """The part restricted to ``rows`` (boolean or positions)."""
        pick = (lambda v: None if v is None else v[rows])
        return Part(self.prefix, self.kind, self.X[rows], self.names, self.beta, self.alpha, self.used[rows],
                    self.y[rows], pick(self.trials), pick(self.offset))


def _rows_of(design, index: np.ndarray, formula: str) -> np.ndarray:
    pos = np.searchsorted(design.rows, index)
    ok = (pos < len(design.rows))
    ok[ok] = design.rows[pos[ok]] == index[ok]
    if not ok.all():
        raise QuantError(
            _("the table given is not the one the model was fitted on: {sum} row(s) used "
            "by the fit are missing or incomplete for {formula!r}.").format(sum=int((~ok).sum()), formula=formula)
        )
    return pos


def _zero_design(data: pd.DataFrame, rhs: str, index: np.ndarray):
    from quant.models.hurdle import ZERO_OUTCOME

    _, cols = formula_columns("y ~ " + rhs, data.columns)
    frame = data[list(dict.fromkeys(cols))].copy() if cols else pd.DataFrame(index=data.index)
    frame[ZERO_OUTCOME] = 0.0
    design = build_design(frame, f"{ZERO_OUTCOME} ~ {rhs}")
    return design.X[_rows_of(design, index, rhs)], list(design.names)


def offset_source(result: FitResult) -> dict | None:
    """``{"offset": column}`` or ``{"exposure": column}`` of a fit with an offset, else None.

    Raises
    ------
    QuantError
        When the fit has an offset but does not say which column it came from.
    """
    if not result.meta.get("offset"):
        return None
    src = result.meta.get("offset_source") or result.meta.get("data_options") or {}
    src = {k: v for k, v in src.items() if k in ("offset", "exposure") and v}
    if len(src) != 1:
        raise QuantError(_("this fit has an offset but does not record its column; fit it again to get marginal "
                         "effects, standardised coefficients, VIF or city influence."))
    return src


def _offset_of(result: FitResult, data: pd.DataFrame, index: np.ndarray) -> np.ndarray | None:
    src = offset_source(result)
    if src is None:
        return None
    from quant.models.glm_parts import offset_vector

    off, _ = offset_vector(data, index, src.get("offset"), src.get("exposure"))
    return off


def model_parts(result: FitResult, data: pd.DataFrame) -> list[Part]:
    """The linear predictors of a fit, rebuilt over the rows it used.

    Parameters
    ----------
    result : FitResult
        Any fit of ``quant.models.dispatch`` (or ``quant.runs.analysis.fit_dimension``).
    data : pandas.DataFrame
        The table it was fitted on (same rows, same order).

    Returns
    -------
    list of Part
        One part, or two (zero, count) for the hurdle.

    Raises
    ------
    QuantError
        When the rows or outcome of ``data`` do not match the fit, or the terms differ.
    """
    if not isinstance(data, pd.DataFrame):
        raise QuantError(_("data must be the pandas DataFrame the model was fitted on, got {name__}.").format(name__=type(data).__name__))
    index = np.asarray(result.units.index, dtype=np.intp)
    y = result.units["y"].to_numpy(float)
    formula = result.meta.get("design_formula", result.formula)
    design = build_design(data, formula)
    at = _rows_of(design, index, formula)
    X = design.X if len(at) == len(design.rows) and np.array_equal(at, np.arange(len(at))) else design.X[at]
    if not np.allclose(design.y[at], y, equal_nan=False):
        raise QuantError(_("the outcome in the table given differs from the one the model was fitted on."))
    names = list(design.names)
    params = list(result.params.index)
    if result.model != "hurdle":
        if params[: len(names)] != names:
            raise QuantError(_("the design's terms {names} are not those of the fit {params}.").format(names=names, params=params))
        alpha = len(names) if len(params) == len(names) + 1 and params[-1] == "alpha" else None
        trials = result.units["trials"].to_numpy(float) if "trials" in result.units else None
        if result.model not in _KIND:
            raise QuantError(_("marginal effects, standardised coefficients, VIF and city influence do not cover "
                             "the {model} model.").format(model=result.model))
        return [Part("", _KIND[result.model], X, names, np.arange(len(names)), alpha,
                     np.ones(len(y), bool), y, trials, _offset_of(result, data, index))]
    parts_meta = result.meta["parts"]
    zrhs = parts_meta["zero"].get("design_rhs", parts_meta["zero"]["rhs"])
    if " ".join(zrhs.split()) == " ".join(formula.split("~", 1)[1].split()):
        Xz, znames = X, names  # same right-hand side: one matrix serves both parts
    else:
        Xz, znames = _zero_design(data, zrhs, index)
    pos = result.units["positive"].to_numpy().astype(bool)
    pz = [f"zero:{t}" for t in znames]
    pc = [f"count:{t}" for t in names]
    if params != pz + pc + ["count:alpha"]:
        raise QuantError(_("the design's terms are not those of the hurdle fit {params}.").format(params=params))
    kz = len(znames)
    return [
        Part("zero:", "logit", Xz, znames, np.arange(kz), None, np.ones(len(y), bool), pos.astype(float)),
        Part("count:", "ztnb", X, names, kz + np.arange(len(names)), len(params) - 1, pos, y),
    ]


def vif(result: FitResult, data: pd.DataFrame) -> pd.DataFrame:
    """Variance inflation factors of the covariates, on the rows each part was fitted on.

    Returns
    -------
    pandas.DataFrame, (k_covariates, 2)
        Index ``term`` (prefixed for the hurdle); ``vif`` = 1/(1 − R_j²), R_j² from the OLS
        regression of column j on the part's other columns (centred R² when the part has an
        intercept, else uncentred: as ``statsmodels.stats.outliers_influence.
        variance_inflation_factor`` on the design with its constant), and ``r2``. The
        intercept gets no row. Values above 10 are the usual warning sign (Kutner et al.
        2005, §10.5); ``inf`` marks exact collinearity.

    Notes
    -----
    The VIF of a design column does not depend on the model's weights; for GLMs it describes
    the design, not the information matrix.
    """
    rows = []
    for part in model_parts(result, data):
        X = part.X[part.used]
        const = np.all(X == X[:1], axis=0) & (X[0] != 0)
        for j, name in enumerate(part.names):
            if const[j]:
                continue
            others = np.delete(X, j, axis=1)
            x = X[:, j]
            coef, *_ = np.linalg.lstsq(others, x, rcond=None)
            rss = float(np.sum((x - others @ coef) ** 2))
            tss = float(np.sum((x - x.mean()) ** 2)) if const.any() else float(np.sum(x**2))
            r2 = 1.0 - rss / tss if tss > 0 else np.nan
            rows.append({"term": part.prefix + name, "vif": 1.0 / (1.0 - r2) if r2 < 1 else np.inf, "r2": r2})
    return pd.DataFrame(rows, columns=["term", "vif", "r2"]).set_index("term")


def standardized(result: FitResult, data: pd.DataFrame, se_type: str | None = None) -> pd.DataFrame:
    """Coefficients per standard deviation of each covariate (x-standardised), and for
    binary parts fully standardised on the latent scale.

    Returns
    -------
    pandas.DataFrame
        Index ``term`` (no intercept/alpha). Columns ``estimate`` (β), ``sd_x`` (sample SD of
        the column over the rows the part was fitted on, ddof = 1), ``b_sdx`` = β·sd_x (change
        of the linear predictor per SD of x) and ``se_b_sdx`` = SE(β)·sd_x under ``se_type``;
        ``factor_sdx`` = exp(β·sd_x) (odds ratio per SD for logit and Firth, hazard ratio per SD
        for cloglog, rate ratio per SD for count models; NaN for probit and Gaussian);
        ``b_std`` = β·sd_x/sd(y*) for binary parts, with sd(y*)² = Var(xᵀβ̂) + π²/3 (logit,
        Firth), + 1 (probit) or + π²/6 (cloglog, Gumbel errors) (McKelvey & Zavoina 1975; Long
        1997, ch. 3), β·sd_x/sd_y for Gaussian (the "beta coefficient"; ddof = 1), NaN for count
        parts. Refitting on x/sd_x reproduces ``b_sdx`` and ``se_b_sdx``. The offset does not
        enter: η here is Xβ.
    """
    key = result.se_type if se_type is None else se_type
    if key not in result.se:
        raise QuantError(_("se_type {key!r} was not computed for this fit; available: {se}.").format(key=key, se=', '.join(result.se)))
    rows = []
    b = result.params.to_numpy(float)
    se = result.se[key].to_numpy(float)
    for part in model_parts(result, data):
        X = part.X[part.used]
        eta = X @ b[part.beta]
        latent = _LATENT.get(part.kind)
        if latent is not None:
            sd_star = np.sqrt(np.var(eta, ddof=1) + latent)
        elif part.kind == "identity":
            sd_star = float(np.std(part.y[part.used], ddof=1))
        else:
            sd_star = np.nan
        for j, name in enumerate(part.names):
            sd = float(np.std(X[:, j], ddof=1))
            if sd == 0.0:
                continue
            k = part.beta[j]
            rows.append({
                "term": part.prefix + name, "estimate": b[k], "sd_x": sd, "b_sdx": b[k] * sd,
                "se_b_sdx": se[k] * sd,
                "factor_sdx": np.exp(b[k] * sd) if part.kind not in ("probit", "identity") else np.nan,
                "b_std": b[k] * sd / sd_star,
            })
    cols = ["term", "estimate", "sd_x", "b_sdx", "se_b_sdx", "factor_sdx", "b_std"]
    return pd.DataFrame(rows, columns=cols).set_index("term")


@dataclass(frozen=True)
class TestResult:
    """A test statistic with its reference distribution.

    Attributes
    ----------
    test : str
        "Wald" or "likelihood ratio".
    statistic : float
        W or LR (χ² scale); for ``distribution="F"`` the F statistic W/q.
    df : int or tuple of int
        q, or (q, N − 1) for F.
    p : float
    distribution : {"chi2", "F"}
    terms : list of str
        The parameters tested (= 0).
    note : str
        One sentence on what the test assumes.
    """

    test: str
    statistic: float
    df: int | tuple[int, int]
    p: float
    distribution: str
    terms: list[str]
    note: str

    def sentence(self) -> str:
        """e.g. ``"Wald χ²(2) = 13.4, p = 0.0012 (dyadic-robust …)"``."""
        head = (f"{self.test} chi2({self.df}) = {self.statistic:.4g}" if self.distribution == "chi2"
                else f"{self.test} F{self.df} = {self.statistic:.4g}")
        return f"{head}, p = {self.p:.4g} for {', '.join(self.terms)} = 0; {self.note}"


def wald_test(result: FitResult, terms, se_type: str | None = None) -> TestResult:
    """Joint Wald test that the named parameters are 0, under one of the fit's covariances.

    W = b_Rᵀ (V_RR)⁻¹ b_R ~ χ²(q) (Wald 1943); with ``result.p_dist == "t"`` the F form
    W/q ~ F(q, N − 1) is used (the analogue of G − 1 in cluster-robust inference).

    Raises
    ------
    QuantError
        Unknown terms, an SE type not computed, or a singular V_RR.
    """
    key = result.se_type if se_type is None else se_type
    if key not in result.cov:
        raise QuantError(_("se_type {key!r} was not computed for this fit; available: {cov}.").format(key=key, cov=', '.join(result.cov)))
    terms = [terms] if isinstance(terms, str) else list(terms)
    index = list(result.params.index)
    unknown = [t for t in terms if t not in index]
    if unknown or not terms:
        raise QuantError(_("cannot test {value}: the fit's terms are {index}.").format(value=', '.join(map(repr, unknown)) or 'no terms', index=', '.join(index)))
    idx = [index.index(t) for t in terms]
    b = result.params.to_numpy(float)[idx]
    V = np.asarray(result.cov[key])[np.ix_(idx, idx)]
    try:
        W = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        raise QuantError(_("the {key} covariance of {terms} is singular; the Wald test is undefined.").format(key=key, terms=', '.join(terms))) from None
    q = len(terms)
    note = f"covariance: {result.se_labels.get(key, key)}."
    if result.p_dist == "t":
        df2 = int(result.df)
        return TestResult("Wald", W / q, (q, df2), float(stats.f.sf(W / q, q, df2)), "F", terms, note)
    return TestResult("Wald", W, q, float(stats.chi2.sf(W, q)), "chi2", terms, note)


def _nested_terms(restricted: FitResult, full: FitResult) -> list[str]:
    if (restricted.dimension, restricted.model) != (full.dimension, full.model):
        raise QuantError(
            _("the fits are not nested: {dimension} {model} vs {dimension2} {model2}.").format(dimension=restricted.dimension, model=restricted.model, dimension2=full.dimension, model2=full.model)
        )
    r_terms, f_terms = list(restricted.params.index), list(full.params.index)
    outside = [t for t in r_terms if t not in f_terms]
    if outside:
        raise QuantError(_("the fits are not nested: {outside} is in the smaller fit but not the larger.").format(outside=', '.join(outside)))
    extra = [t for t in f_terms if t not in r_terms]
    if not extra:
        raise QuantError(_("the two fits have the same terms; there is nothing to test."))
    ri, fi = restricted.units.index, full.units.index
    if len(ri) != len(fi) or not np.array_equal(np.asarray(ri), np.asarray(fi)):
        raise QuantError(
            _("the fits use different rows ({n:,} vs {n2:,}); refit both on the same complete "
            "cases before comparing them.").format(n=len(ri), n2=len(fi))
        )
    return extra


def wald_nested(restricted: FitResult, full: FitResult, se_type: str | None = None) -> TestResult:
    """Wald test of the terms the larger fit adds, under the larger fit's covariance ``se_type``."""
    return wald_test(full, _nested_terms(restricted, full), se_type)


def lr_test(restricted: FitResult, full: FitResult) -> TestResult:
    """Likelihood-ratio test of nested fits on the same rows: LR = 2(ℓ_full − ℓ_restricted) ~ χ²(q)
    (Wilks 1938), q = number of added parameters.

    The χ² reference assumes independent rows; for dyads sharing cities it is not valid, so
    the note points to the dyadic-robust Wald test.
    """
    extra = _nested_terms(restricted, full)
    lr = max(2.0 * (float(full.llf) - float(restricted.llf)), 0.0)
    q = len(extra)
    note = ("assumes independent rows; dyads sharing a city are dependent, so prefer the Wald test "
            "with the dyadic-robust covariance." if full.dimension != "breadth"
            else "assumes independent cities.")
    return TestResult("likelihood ratio", lr, q, float(stats.chi2.sf(lr, q)), "chi2", extra, note)
