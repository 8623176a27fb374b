"""Which models fit which outcome on which unit, and the dispatcher (quant.md §2).

The dimension sets the unit and the defaults; the outcome's type decides which models fit:

=============  ==============================================  =====================================
outcome type   models                                          unit
=============  ==============================================  =====================================
binary (0/1)   logit, probit, cloglog, firth                   city or dyad
count          poisson, nb (NB2 on every row, zeros included)  city or dyad
               binomial (out of N − 1 possible partners)       city
               ztnb, nb_pos (positive rows), hurdle            dyad
y ≥ 0, real    poisson (PPML, Santos Silva & Tenreyro 2006)    city or dyad
any number     gaussian (OLS)                                  city or dyad
=============  ==============================================  =====================================

A count is also non-negative, so Poisson fits counts and fractions (and 0/1, as a log-linear
probability model), and Gaussian (a linear probability or linear count model) fits every outcome;
NB and the positive-count models refuse a 0/1 outcome (no overdispersion to estimate; every
positive value is 1). Names kept from
earlier versions keep their meaning (saved runs and specifications store them): breadth "nb" is
NB2 on cities, "nb_pos" NB2 on positive dyads, "ztnb" the zero-truncated NB2, "hurdle" logit +
ZTNB. Defaults: breadth nb, connection logit, degree ztnb.
"""
from __future__ import annotations

from i18n import N_, _
import inspect

import numpy as np
import pandas as pd

from typing import TYPE_CHECKING

from quant.covariance.settings import FIELDS as COVARIANCE_FIELDS, CovarianceSettings, covariance_settings
from quant.errors import QuantError

if TYPE_CHECKING:  # the fitting modules load on first use (PEP 562 ``__getattr__`` below)
    from quant.models.results import FitResult

# Where each fitting function lives. They are imported on first use, so that importing
# ``quant.models.dispatch`` (for the tables of models and outcomes, or ``fit_connection`` alone) does not
# load statsmodels, scipy.stats and the other model modules a fit may never need (≈ 140 MB of
# resident memory and 2 s of imports; bench/RESULTS.md).
_LAZY = {
    "fit_breadth": "quant.models.breadth", "fit_degree": "quant.models.degree",
    "fit_connection": "quant.models.connection", "LEAN_LOGIT_MIN_ROWS": "quant.models.connection",
    "fit_glm": "quant.models.glm", "fit_hurdle": "quant.models.hurdle",
}


def __getattr__(name: str):
    """``quant.models.dispatch.fit_breadth`` etc., imported from their module on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'quant.models.dispatch' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _fitter(name: str):
    """The fitting function ``name`` (as patched on this module, or imported on first use)."""
    return globals()[name] if name in globals() else __getattr__(name)

__all__ = [
    "fit", "fit_breadth", "fit_connection", "fit_degree", "fit_hurdle", "fit_glm",
    "DEFAULT_MODELS", "MODELS_BY_DIMENSION", "MODELS_BY_UNIT", "MODEL_OUTCOMES", "UNIT",
    "LEAN_LOGIT_MIN_ROWS", "outcome_type", "models_for", "check_model_outcome", "outcome_values",
    "INFERENCE_MODELS", "inference_note",
]

DEFAULT_MODELS = {"breadth": "nb", "connection": "logit", "degree": "ztnb"}
UNIT = {"breadth": "city", "connection": "dyad", "degree": "dyad"}
MODELS_BY_UNIT = {
    "city": ("nb", "poisson", "binomial", "logit", "probit", "cloglog", "firth", "gaussian"),
    "dyad": ("logit", "probit", "cloglog", "firth", "poisson", "nb", "ztnb", "nb_pos", "hurdle", "gaussian"),
}
#: Every model a dimension's unit takes, the dimension's own models first.
MODELS_BY_DIMENSION = {
    "breadth": MODELS_BY_UNIT["city"],
    "connection": MODELS_BY_UNIT["dyad"],
    "degree": ("ztnb", "nb_pos", "hurdle", "poisson", "nb", "gaussian", "logit", "probit", "cloglog", "firth"),
}
#: Models that ``quant.inference.margins``, ``quant.inference.hypotheses`` and ``quant.inference.influence`` (AME, standardised
#: coefficients, VIF, city influence) know, with or without an offset.
INFERENCE_MODELS = ("logit", "probit", "cloglog", "firth", "poisson", "nb", "binomial", "ztnb", "nb_pos",
                    "hurdle", "gaussian")
OUTCOME_TYPES = ("binary", "count", "nonnegative", "continuous")
MODEL_OUTCOMES = {
    "logit": ("binary",), "probit": ("binary",), "cloglog": ("binary",), "firth": ("binary",),
    "poisson": ("binary", "count", "nonnegative"),
    "nb": ("count",), "binomial": ("binary", "count"), "ztnb": ("count",),
    "nb_pos": ("count",), "hurdle": ("count",),
    "gaussian": OUTCOME_TYPES,
}
_TYPE_WORDS = {"binary": N_("binary (0/1)"), "count": N_("a count"), "nonnegative": N_("non-negative with fractions"),
               "continuous": N_("continuous (negative values occur)")}
# Order in which a message suggests models for each outcome type.
_SUGGEST = ("logit", "probit", "cloglog", "firth", "poisson", "nb", "binomial", "ztnb", "nb_pos", "hurdle",
            "gaussian")


def outcome_type(y) -> str:
    """The type of an outcome: "binary", "count", "nonnegative" or "continuous".

    Parameters
    ----------
    y : array_like, (n,)
        Outcome values; missing values are ignored.

    Raises
    ------
    QuantError
        No finite value at all.
    """
    v = pd.to_numeric(pd.Series(np.asarray(y).ravel()), errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    if not len(v):
        raise QuantError(_("the outcome has no numeric values."))
    if np.isin(v, (0.0, 1.0)).all():
        return "binary"
    if (v >= 0).all():
        return "count" if (v == np.round(v)).all() else "nonnegative"
    return "continuous"


def models_for(kind: str, unit: str) -> tuple[str, ...]:
    """Models that take an outcome of type ``kind`` on ``unit`` ("city" or "dyad"), in the order
    a message suggests them (binary: only the binary models; gaussian last)."""
    models = [m for m in _SUGGEST if m in MODELS_BY_UNIT[unit] and kind in MODEL_OUTCOMES[m]]
    if kind == "binary":  # a 0/1 outcome is a count too, but the binary models are its models
        models = [m for m in models if MODEL_OUTCOMES[m] == ("binary",)] + ["poisson", "gaussian"]
    return tuple(models)


def _or(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else _("{items} or {last}").format(items=", ".join(names[:-1]), last=names[-1])


def check_model_outcome(model: str, y, outcome: str, unit: str) -> str:
    """Refuse a model whose outcome type does not fit, saying which models do.

    Returns
    -------
    str
        The outcome type.

    Raises
    ------
    QuantError
        E.g. "'degree' is a count; choose poisson, nb, ztnb, nb_pos, hurdle or gaussian." or
        "model 'ztnb' is fitted on dyads, not cities; ...".
    """
    if model not in MODELS_BY_UNIT[unit]:
        raise QuantError((_("model {model!r} is fitted on dyads, not cities; choose one of {models_by_unit}.")
                          if unit == "city" else
                          _("model {model!r} is fitted on cities, not dyads; choose one of {models_by_unit}.")).format(
            model=model, models_by_unit=', '.join(MODELS_BY_UNIT[unit])))
    kind = outcome_type(y)
    if kind not in MODEL_OUTCOMES[model]:
        raise QuantError(_("'{outcome}' is {type_words}, which {model} does not fit; choose "
                         "{or_}.").format(outcome=outcome, type_words=_(_TYPE_WORDS[kind]), model=model, or_=_or(models_for(kind, unit))))
    return kind


def outcome_values(data: pd.DataFrame, formula: str):
    """The outcome column named left of ``~`` (a bare column name), or None for an expression."""
    lhs = formula.split("~", 1)[0].strip()
    if lhs.startswith('Q("') and lhs.endswith('")'):
        lhs = lhs[3:-2]
    return data[lhs] if lhs in data.columns else None


def _call(func, data, formula, kw):
    params = inspect.signature(func).parameters
    return func(data, formula, **{k: v for k, v in kw.items() if k in params})


def fit(data: pd.DataFrame, dimension: str, model: str | None = None, formula: str | None = None,
        cov: CovarianceSettings | None = None, **kw) -> FitResult:
    """Fit any model that fits the outcome on the dimension's unit.

    Parameters
    ----------
    data : pandas.DataFrame
        City table (breadth) or dyad table (connection, degree).
    dimension : {"breadth", "connection", "degree"}
        Sets the unit (city or dyad) and the default model.
    model : str, optional
        One of ``MODELS_BY_DIMENSION[dimension]`` whose outcome type fits (``MODEL_OUTCOMES``).
    formula : str
        Patsy formula (required).
    cov : CovarianceSettings, optional
        Standard errors and the dyadic covariance options (``quant.covariance.settings``), passed
        to the fitter as one object.
    **kw
        Options of the fitter: ``min_events``, ``offset``/``exposure`` (log-link and binary
        models), ``zero_formula`` (hurdle), ``n_possible`` (binomial), ``engine``. Options a
        fitter does not take are ignored, except ``offset``/``exposure``. The fields of
        ``CovarianceSettings`` (``se``, ``n_nodes``...) are also taken here, instead of ``cov``.

    Routing: breadth nb/poisson/binomial → ``fit_breadth``; dyad logit/probit →
    ``fit_connection``; ztnb/nb_pos → ``fit_degree``; hurdle → ``fit_hurdle``; the rest (and
    any model with an offset, or Poisson on a fractional city outcome) → ``fit_glm``.

    Raises
    ------
    QuantError
        Unknown dimension or model, no formula, or an outcome type the model does not take
        (naming the models that do); otherwise whatever the fitter raises.
    """
    if dimension not in UNIT:
        raise QuantError(_("dimension {dimension!r} is not one of {unit}.").format(dimension=dimension, unit=', '.join(UNIT)))
    unit = UNIT[dimension]
    model = DEFAULT_MODELS[dimension] if model is None else model
    if model not in MODEL_OUTCOMES:
        raise QuantError(_("model {model!r} is not one of {models_by_unit}.").format(model=model, models_by_unit=', '.join(MODELS_BY_UNIT[unit])))
    if not formula:
        raise QuantError(_("a formula is needed to fit the {dimension} model, e.g. 'y ~ x'.").format(dimension=dimension))
    y = outcome_values(data, formula)
    kind = check_model_outcome(model, y, formula.split("~", 1)[0].strip(), unit) if y is not None else None
    kw = {k: v for k, v in kw.items() if v is not None}
    cov = covariance_settings(cov, {k: kw.pop(k) for k in COVARIANCE_FIELDS if k in kw}, where="fit")
    kw["cov"] = cov
    if unit == "city" and cov.se is not None and "dyadic" in (s.lower() for s in cov.se):
        raise QuantError(
            _("dyadic-robust standard errors are for dyads (rows that share a city); a city-level "
            "model has no pairs, so use 'model' or 'hc0'."))
    has_offset = bool(kw.get("offset") or kw.get("exposure"))
    if has_offset and model not in ("poisson", "nb", "logit", "probit", "cloglog", "firth"):
        raise QuantError(_("an offset or exposure is available for poisson, nb and the binary models, not {model}.").format(model=model))
    if model == "hurdle":
        return _call(_fitter('fit_hurdle'), data, formula, kw)
    if model in ("ztnb", "nb_pos"):
        return _relabel(_call(_fitter('fit_degree'), data, formula, dict(kw, model=model)), dimension)
    if not has_offset and unit == "city" and (model in ("nb", "binomial") or
                                              (model == "poisson" and kind != "nonnegative")):
        return _call(_fitter('fit_breadth'), data, formula, dict(kw, model=model))
    if not has_offset and unit == "dyad" and model in ("logit", "probit"):
        return _relabel(_call(_fitter('fit_connection'), data, formula, dict(kw, model=model)), dimension)
    return _call(_fitter('fit_glm'), data, formula, dict(kw, family=model, unit=unit, dimension=dimension))


def _relabel(result: FitResult, dimension: str) -> FitResult:
    import dataclasses

    return result if result.dimension == dimension else dataclasses.replace(result, dimension=dimension)


def inference_note(result: FitResult) -> str | None:
    """None when marginal effects, standardised coefficients, VIF and city influence cover the fit,
    else one sentence saying they do not (yet)."""
    if result.model not in INFERENCE_MODELS:
        return (f"marginal effects, standardised coefficients, VIF and city influence are not available for "
                f"the {result.model} model yet; they cover {', '.join(INFERENCE_MODELS)}.")
    if result.meta.get("offset") and not (result.meta.get("offset_source") or result.meta.get("data_options")):
        return ("this fit has an offset but does not record its column; fit it again to get marginal effects, "
                "standardised coefficients, VIF and city influence.")
    return None
