"""Fitting a prepared specification (``quant.runs.analysis.model_data``): the options, the dispatcher
call (``quant.models.dispatch.fit``), the few-events and VIF warnings and the result's bookkeeping.

Runs and specifications store the fit options as a dict (``quant.runs.saved.FIT_OPTIONS``);
:func:`fit_with_options` turns such a dict into one ``CovarianceSettings`` and fits."""
from __future__ import annotations

from i18n import _
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import ModelError, QuantError

if TYPE_CHECKING:
    from quant.runs.analysis import ModelData

__all__ = ["fit_prepared", "fit_with_options", "covariance_from_options", "sparse_outcome_note",
           "vif_warnings", "COVARIANCE_OPTIONS"]

#: The fit options (of ``quant.runs.saved.FIT_OPTIONS``) that are covariance settings.
COVARIANCE_OPTIONS = ("se", "small_sample", "psd", "conservative")


def sparse_outcome_note(data: pd.DataFrame, formula: str) -> str:
    """A sentence on how sparse a count outcome is, added to fit errors (empty if not sparse)."""
    outcome = formula.split("~", 1)[0].strip()
    if outcome not in data.columns:
        return ""
    y = pd.to_numeric(data[outcome], errors="coerce")
    zeros, n = int((y == 0).sum()), int(y.notna().sum())
    if n and zeros / n >= 0.8:
        return (f"Note: '{outcome}' is 0 for {zeros} of {n} units, too few partners to estimate this model; "
                "load a fuller agreement list or dyad table.")
    return ""


def covariance_from_options(options: Mapping) -> CovarianceSettings:
    """The ``CovarianceSettings`` of stored fit options (``se`` as a list or tuple, ``small_sample``,
    ``psd``, ``conservative``; None or absent: the default); other keys are ignored.

    Raises
    ------
    QuantError
        A bad value (``CovarianceSettings``).
    """
    opts = {k: options[k] for k in COVARIANCE_OPTIONS if options.get(k) is not None}
    if isinstance(opts.get("se"), list):
        opts["se"] = tuple(opts["se"])
    return CovarianceSettings(**opts)


def fit_with_options(md: ModelData, options: Mapping):
    """``fit_prepared`` with fit options as runs and specifications store them
    (``quant.runs.saved.FIT_OPTIONS``: the covariance options, ``pvalues``, ``min_events``;
    None values are the defaults).

    Raises
    ------
    QuantError, ModelError
        As ``fit_prepared``.
    """
    return fit_prepared(md, covariance_from_options(options),
                        pvalues=options.get("pvalues") or "normal", min_events=options.get("min_events"))


def fit_prepared(md: ModelData, cov: CovarianceSettings | None = None, *, pvalues: str = "normal",
                 min_events: int | None = None, **options):
    """Fit a prepared specification (``model_data``); see ``fit_dimension`` for the options.

    ``cov``: the standard errors and dyadic options (its ``n_nodes`` and ``group`` are the
    data's, ``md.n_nodes`` and ``md.group``); ``options``: its fields as keywords instead.
    """
    from quant.models import dispatch as models
    from quant.models.diagnostics import MIN_EVENTS, few_events_warning

    if pvalues not in ("normal", "t"):
        raise QuantError(_("p-values {pvalues!r} must come from 'normal' or 't' (N - 1 df).").format(pvalues=pvalues))
    if min_events is not None and (int(min_events) != min_events or min_events < 1):
        raise QuantError(_("the least number of events must be a whole number of at least 1, got {min_events!r}.").format(min_events=min_events))
    cov = covariance_settings(cov, options, where="fit_prepared")
    spec = md.spec
    if md.warnings:  # a collinear operator set cannot be estimated: say why in one sentence
        raise ModelError(md.warnings[0])
    kwargs: dict = {"offset": md.offset, "exposure": md.exposure}
    if min_events is not None:
        kwargs["min_events"] = int(min_events)
    if spec.dimension == "breadth":
        if spec.model == "binomial":
            kwargs["n_possible"] = len(md.data) - 1
    else:
        cov = dataclasses.replace(cov, n_nodes=md.n_nodes, group=md.group)
        if spec.model == "hurdle":
            kwargs["zero_formula"] = md.zero_design_formula
    try:
        result = models.fit(md.data, spec.dimension, spec.model, md.design_formula, cov=cov, **kwargs)
    except ModelError as exc:
        if spec.dimension != "breadth":
            raise
        raise ModelError(f"{exc} {sparse_outcome_note(md.data, spec.formula)}".strip()) from exc
    meta = dict(result.meta)
    meta.update(design_formula=md.design_formula, pvalues=pvalues,
                operators=[f"{op}({var})" for op, var in md.operators])
    if md.directed:
        meta["directed"] = True
    if md.offset or md.exposure:
        meta["data_options"] = {"offset": md.offset, "exposure": md.exposure}
    if min_events is not None:
        meta["min_events"] = int(min_events)
    if md.zero_formula:
        meta["zero_formula"] = md.zero_formula
        meta["parts"]["zero"]["written"] = md.zero_formula
    warnings = list(result.warnings)
    if spec.model in ("logit", "probit") and "y" in result.units:  # cloglog/firth warn in fit_glm
        warnings += [w for w in few_events_warning(result.units["y"].to_numpy(), meta.get("outcome", "y"),
                                                   MIN_EVENTS) if w not in warnings]
    # informative sentences of the formula's preparation (e.g. reciprocal(y) missing for some rows)
    warnings += [n for n in md.data.attrs.get("notes", []) if n not in warnings]
    warnings += vif_warnings(result, md.data)
    return dataclasses.replace(result, formula=spec.formula, meta=meta, warnings=warnings, p_dist=pvalues)


def vif_warnings(result, data) -> list[str]:
    """Sentences naming the covariates whose variance inflation factor exceeds
    ``quant.runs.analysis.VIF_WARN`` (none for fewer than 3 terms, above ``VIF_MAX_CELLS`` or
    when VIF cannot be computed for the model)."""
    from quant.runs.analysis import VIF_MAX_CELLS, VIF_WARN
    from quant.inference.hypotheses import vif

    k = len(result.params)
    if result.n * k > VIF_MAX_CELLS or k < 3:
        return []
    try:
        table = vif(result, data)
    except (QuantError, ValueError, IndexError, KeyError):  # KeyError: a model inference.py does not know
        return []
    high = table[table["vif"] > VIF_WARN]
    if high.empty:
        return []
    listed = ", ".join(f"{t} ({v:.3g})" for t, v in high["vif"].items())
    return [_("near-collinear covariates: variance inflation factor above {limit:g} for {listed}; their coefficients "
              "are imprecise and hard to separate.").format(limit=VIF_WARN, listed=listed)]


