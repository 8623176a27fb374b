"""The result of one model fit: ``FitResult``, the contract between ``quant`` and its callers.

A ``FitResult`` holds the estimates of one model for one collaboration dimension, every
standard-error type computed for it (each with a label naming it), the units used (one row per
city or dyad, with ids, outcome, fitted value and Pearson residual) and bookkeeping (rows used,
nodes, log-likelihood, warnings). It is built once by ``quant.models.dispatch`` and not changed after;
a new covariance makes a new result.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from i18n import N_, _
from quant.errors import QuantError

__all__ = ["FitResult", "json_value", "DIMENSIONS", "DIMENSION_OUTCOMES", "DIMENSION_NAMES", "MODELS", "P_DISTS", "SE_TYPES"]

DIMENSIONS = ("breadth", "connection", "degree")
MODELS = ("logit", "probit", "poisson", "nb", "binomial", "ztnb", "nb_pos", "hurdle", "cloglog", "firth",
          "gaussian")
P_DISTS = ("normal", "t")
#: Each dimension's own outcome variable, and its name as shown (translate with ``_``).
DIMENSION_OUTCOMES = {"breadth": "breadth", "connection": "connection", "degree": "degree"}
DIMENSION_NAMES = {"breadth": N_("breadth"), "connection": N_("connection"), "degree": N_("degree")}
SE_TYPES = ("model", "hc0", "hc1", "hc2", "hc3", "dyadic")


def _num(x: Any) -> str:
    """A number for a text table (5 significant digits), "n/a" for None or NaN."""
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.5g}"


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, n: int) -> str:
    return text + " " * max(0, n - _width(text))


def _rjust(text: str, n: int) -> str:
    return " " * max(0, n - _width(text)) + text


def _json_float(x: Any) -> float | None:
    """A float for JSON: NaN and infinities become ``None``."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def json_value(v: Any) -> Any:
    """Recursively turn numpy/pandas scalars and containers into JSON-able Python values.

    Dicts (keys as str), lists, tuples and arrays are converted item by item; numpy booleans,
    integers and floats become Python ones, NaN and infinities ``None``.
    """
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, np.ndarray):
        return json_value(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _json_float(v)
    if v is None or isinstance(v, str):
        return v
    return str(v)


@dataclass(frozen=True)
class FitResult:
    """Estimates, standard errors and per-unit fit of one model.

    Attributes
    ----------
    dimension : {"breadth", "connection", "degree"}
        The collaboration dimension modelled.
    model : {"logit", "probit", "cloglog", "firth", "poisson", "nb", "binomial", "ztnb", "nb_pos", "hurdle", "gaussian"}
        The model family ("ztnb" = zero-truncated NB2, "nb_pos" = NB2 on positive dyads,
        "hurdle" = logit on all dyads + ZTNB2 on the positive ones, parameters prefixed
        ``zero:`` and ``count:``; "nb" = NB2 on every unit, zeros included; "poisson" also
        PPML on a non-negative outcome; "firth" = Firth's penalised logit, ``llf`` penalised
        and ``meta["profile_ci"]`` its profile limits; "gaussian" = OLS). Which unit (city or
        dyad) is ``meta["unit"]`` for ``quant.models.glm`` fits, else the dimension's.
    formula : str
        The patsy formula as given.
    params : pandas.Series, (k,)
        Estimates indexed by term name (``"Intercept"``; ``"alpha"`` where estimated).
    se : dict of str to pandas.Series
        Standard errors keyed by type (``"model"``, ``"hc0"``, ``"dyadic"``; ``"hc1"``–``"hc3"``
        for gaussian; those computed),
        each indexed like ``params``.
    cov : dict of str to ndarray, (k, k)
        The covariance matrix behind each entry of ``se``.
    se_type : str
        Key of ``se`` reported by default (``"dyadic"`` for dyad models, ``"model"`` for breadth).
    se_labels : dict of str to str
        A sentence naming each SE type, e.g. ``"dyadic-robust (Fafchamps & Gubert 2007),
        HC0-type, N = 155 nodes, no clipping"``.
    n : int
        Rows (units) used in the fit.
    n_nodes : int or None
        Number of nodes (cities) behind the dyads; for breadth the number of cities.
    llf, aic, bic : float
        Log-likelihood at the estimate and the information criteria.
    converged : bool
        Whether the optimizer reported convergence.
    warnings : list of str
        Sentences about the fit (rows dropped for missing values, optimizer fallbacks, ...).
    units : pandas.DataFrame
        One row per unit used: id column ``city`` (breadth) or ``city_a``, ``city_b`` (dyads),
        then ``y``, ``fitted`` (mean or probability) and ``pearson``.
    meta : dict
        Other settings (covariance options, optimizer, residual definition, outcome name;
        ``design_formula`` when node-attribute operators were rewritten to columns).
    p_dist : {"normal", "t"}
        Reference distribution of z = estimate/SE for p-values and intervals: the standard
        normal (default) or Student t with N − 1 degrees of freedom, N = ``n_nodes`` (the
        analogue of G − 1 in one-way clustering; quant.md §1.6).
    """

    dimension: str
    model: str
    formula: str
    params: pd.Series
    se: dict[str, pd.Series]
    cov: dict[str, np.ndarray]
    se_type: str
    se_labels: dict[str, str]
    n: int
    n_nodes: int | None
    llf: float
    aic: float
    bic: float
    converged: bool
    warnings: list[str] = field(default_factory=list)
    units: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)
    p_dist: str = "normal"

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise QuantError(
                _("dimension {dimension!r} is not one of {dimensions}.").format(dimension=self.dimension, dimensions=', '.join(DIMENSIONS))
            )
        if self.model not in MODELS:
            raise QuantError(_("model {model!r} is not one of {models}.").format(model=self.model, models=', '.join(MODELS)))
        if self.se_type not in self.se:
            raise QuantError(
                _("se_type {se_type!r} was not computed; available: {se}.").format(se_type=self.se_type, se=', '.join(self.se))
            )
        if self.p_dist not in P_DISTS:
            raise QuantError(_("p_dist {p_dist!r} is not one of {p_dists}.").format(p_dist=self.p_dist, p_dists=', '.join(P_DISTS)))

    @property
    def df(self) -> int | None:
        """Degrees of freedom of the t reference (N − 1, N = nodes), or None for the normal."""
        if self.p_dist != "t":
            return None
        nodes = self.n_nodes if self.n_nodes is not None else self.n
        return max(int(nodes) - 1, 1)

    def p_label(self) -> str:
        """How p-values are computed, e.g. ``"t with N − 1 = 154 df"`` or ``"standard normal"``."""
        return _("standard normal") if self.p_dist == "normal" else _("t with N - 1 = {df} df").format(df=self.df)

    @property
    def outcome(self) -> str:
        """The outcome of the formula (its left-hand side, e.g. ``"connection"`` or ``"n_projects"``)."""
        return str(self.formula).split("~", 1)[0].strip()

    def title(self, model_label: str | None = None, dimension_label: str | None = None) -> str:
        """The fit's header line in the current language.

        ``"{dimension}: {model}"`` when the outcome is the dimension's own variable (``breadth``,
        ``connection``, ``degree``); otherwise the outcome is named, ``"{outcome} ({dimension}): {model}"``,
        so a model of another outcome is not presented as the default dimension's. ``model_label``
        and ``dimension_label`` are the names as shown (default: the model key and the translated
        dimension word).
        """
        dim = dimension_label if dimension_label is not None else (
            _(DIMENSION_NAMES[self.dimension]) if self.dimension in DIMENSION_NAMES else str(self.dimension))
        model = model_label if model_label is not None else str(self.model)
        if self.outcome == DIMENSION_OUTCOMES.get(self.dimension):
            return _("{dimension}: {model}").format(dimension=dim, model=model)
        return _("Outcome {outcome} ({dimension}): {model}").format(outcome=self.outcome, dimension=dim, model=model)

    # ------------------------------------------------------------------ tables
    def table(self, se_type: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
        """Coefficient table with z, p and confidence limits (normal, or t when ``p_dist="t"``).

        Parameters
        ----------
        se_type : str, optional
            Key of ``se`` to use; default ``self.se_type``.
        alpha : float
            1 − confidence level, in (0, 1).

        Returns
        -------
        pandas.DataFrame, (k, 6)
            Index ``term``; columns ``estimate``, ``se``, ``z``, ``p`` (two-sided, from the
            standard normal, or from t with N − 1 df when ``p_dist="t"``), ``ci_low``,
            ``ci_high`` (estimate ∓ q_{1−α/2}·se with the same reference distribution).

        Raises
        ------
        QuantError
            If ``se_type`` was not computed or ``alpha`` is outside (0, 1).
        """
        key = self.se_type if se_type is None else se_type
        if key not in self.se:
            raise QuantError(
                _("se_type {key!r} was not computed for this fit; available: {se}.").format(key=key, se=', '.join(self.se))
            )
        if not 0.0 < alpha < 1.0:
            raise QuantError(_("alpha {alpha!r} must lie strictly between 0 and 1.").format(alpha=alpha))
        est = self.params.astype(float)
        se = self.se[key].reindex(est.index).astype(float)
        z = est / se
        from scipy import stats  # here, not at import: a fit need not load scipy.stats (≈ 45 MB)

        ref = stats.norm if self.p_dist == "normal" else stats.t(self.df)
        p = 2.0 * ref.sf(np.abs(z))
        q = ref.ppf(1.0 - alpha / 2.0)
        out = pd.DataFrame(
            {
                "estimate": est,
                "se": se,
                "z": z,
                "p": p,
                "ci_low": est - q * se,
                "ci_high": est + q * se,
            }
        )
        out.index.name = "term"
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description of the fit (no units table).

        Returns
        -------
        dict
            Keys ``dimension``, ``model``, ``formula``, ``n``, ``n_nodes``, ``llf``, ``aic``,
            ``bic``, ``converged``, ``warnings``, ``se_type``, ``se_labels``, ``p_dist``, ``df``
            (None for the normal), ``terms`` (names in order), ``params`` (term →
            ``{"estimate": x, "se": {type: se}, "p": {type: p}}``), ``cov`` (type → nested list,
            k × k) and ``meta`` (covariance settings and other options). NaN and infinities
            become ``None``.
        """
        pvals = {k: self.table(k)["p"] for k in self.se}
        params = {}
        for term, value in self.params.items():
            params[str(term)] = {
                "estimate": _json_float(value),
                "se": {k: _json_float(s.get(term, np.nan)) for k, s in self.se.items()},
                "p": {k: _json_float(p.get(term, np.nan)) for k, p in pvals.items()},
            }
        return {
            "dimension": self.dimension,
            "model": self.model,
            "formula": self.formula,
            "n": int(self.n),
            "n_nodes": None if self.n_nodes is None else int(self.n_nodes),
            "llf": _json_float(self.llf),
            "aic": _json_float(self.aic),
            "bic": _json_float(self.bic),
            "converged": bool(self.converged),
            "warnings": list(self.warnings),
            "se_type": self.se_type,
            "se_labels": dict(self.se_labels),
            "p_dist": self.p_dist,
            "df": self.df,
            "terms": [str(t) for t in self.params.index],
            "params": params,
            "cov": {k: json_value(np.asarray(v)) for k, v in self.cov.items()},
            "meta": json_value(self.meta),
        }

    def summary_text(self, se_type: str | None = None, alpha: float = 0.05) -> str:
        """A plain-text summary: header, coefficient table, SE label and warnings.

        Parameters
        ----------
        se_type : str, optional
            SE type for the table; default ``self.se_type``.
        alpha : float
            1 − confidence level.

        Returns
        -------
        str
            Several lines, ending without a newline.
        """
        key = self.se_type if se_type is None else se_type
        tab = self.table(key, alpha)
        level = round(100 * (1 - alpha), 6)
        dim = _(DIMENSION_NAMES[self.dimension]) if self.dimension in DIMENSION_NAMES else str(self.dimension)
        stats = (_("n = {n}, nodes = {nodes}, log-likelihood = {llf:.6g}, AIC = {aic:.6g}, BIC = {bic:.6g}")
                 if self.n_nodes is not None else
                 _("n = {n}, log-likelihood = {llf:.6g}, AIC = {aic:.6g}, BIC = {bic:.6g}"))
        lines = [
            f"{dim} · {self.model} · {self.formula}",
            stats.format(n=self.n, nodes=self.n_nodes, llf=self.llf, aic=self.aic, bic=self.bic)
            + ("" if self.converged else _(", NOT CONVERGED")),
            "",
        ]
        width = max(8, *(_width(str(t)) for t in tab.index))
        prof = self.meta.get("profile_ci") if isinstance(self.meta.get("profile_ci"), dict) else None
        prof = prof if prof and "error" not in prof else None
        term_h, est_h, se_h = _("term"), _("estimate"), _("se")
        width = max(width, _width(term_h))
        ci_h, prof_h = _("[{level}% CI]").format(level=f"{level:g}"), _("[95% profile CI]")
        head = (
            f"{_ljust(term_h, width)}  {_rjust(est_h, 11)} {_rjust(se_h, 11)} {'z':>8} {'p':>8}  {_rjust(ci_h, 25)}"
            + (f"  {_rjust(prof_h, 25)}" if prof else "")
        )
        lines.append(head)
        lines.append("-" * _width(head))
        for term, row in tab.iterrows():
            lines.append(
                f"{_ljust(str(term), width)}  {row.estimate:>11.5g} {row.se:>11.5g} {row.z:>8.3f}"
                f" {row.p:>8.4f}  {row.ci_low:>12.5g} {row.ci_high:>12.5g}"
                + (f"  {_num(prof.get(str(term), [None])[0]):>12} {_num(prof.get(str(term), [None, None])[-1]):>12}"
                   if prof else "")
            )
        lines.append("")
        lines.append(_("SE: {se}; p and CI: {p}").format(se=self.se_labels.get(key, key), p=self.p_label()))
        if prof:
            lines.append(_("Profile CI: penalised profile likelihood (Heinze & Schemper 2002)"))
        elif isinstance(self.meta.get("profile_ci"), dict) and "error" in self.meta["profile_ci"]:
            lines.append(_("Profile CI not available: {error}").format(error=self.meta["profile_ci"]["error"]))
        for w in self.warnings:
            lines.append(_("warning: {warning}").format(warning=w))
        return "\n".join(lines)
