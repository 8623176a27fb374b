"""Fitting a prepared specification (``quant.runs.analysis.model_data``): the options, the dispatcher
call (``quant.models.dispatch.fit``), the few-events and VIF warnings and the result's bookkeeping."""
from __future__ import annotations

from i18n import _
import dataclasses
from typing import TYPE_CHECKING

import pandas as pd

from quant.errors import ModelError, QuantError

if TYPE_CHECKING:
    from quant.runs.analysis import ModelData

__all__ = ["fit_prepared"]


def _sparse_outcome_note(data: pd.DataFrame, formula: str) -> str:
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


def fit_prepared(md: ModelData, *, se: tuple[str, ...] | None = None, small_sample: str = "none",
                 psd: str = "none", conservative: bool = False, pvalues: str = "normal",
                 min_events: int | None = None):
    """Fit a prepared specification (``model_data``); see ``fit_dimension`` for the options."""
    from quant.models import dispatch as models
    from quant.models.diagnostics import MIN_EVENTS, few_events_warning

    if pvalues not in ("normal", "t"):
        raise QuantError(_("p-values {pvalues!r} must come from 'normal' or 't' (N - 1 df).").format(pvalues=pvalues))
    if min_events is not None and (int(min_events) != min_events or min_events < 1):
        raise QuantError(_("the least number of events must be a whole number of at least 1, got {min_events!r}.").format(min_events=min_events))
    spec = md.spec
    if md.warnings:  # a collinear operator set cannot be estimated: say why in one sentence
        raise ModelError(md.warnings[0])
    kwargs: dict = {"offset": md.offset, "exposure": md.exposure}
    if se is not None:
        kwargs["se"] = tuple(se)
    if min_events is not None:
        kwargs["min_events"] = int(min_events)
    if spec.dimension == "breadth":
        if spec.model == "binomial":
            kwargs["n_possible"] = len(md.data) - 1
    else:
        kwargs.update(n_nodes=md.n_nodes, small_sample=small_sample, psd=psd, conservative=conservative,
                      group=md.group)
        if spec.model == "hurdle":
            kwargs["zero_formula"] = md.zero_design_formula
    try:
        result = models.fit(md.data, spec.dimension, spec.model, md.design_formula, **kwargs)
    except ModelError as exc:
        if spec.dimension != "breadth":
            raise
        raise ModelError(f"{exc} {_sparse_outcome_note(md.data, spec.formula)}".strip()) from exc
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
    warnings += _vif_warnings(result, md.data)
    return dataclasses.replace(result, formula=spec.formula, meta=meta, warnings=warnings, p_dist=pvalues)


def _vif_warnings(result, data) -> list[str]:
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


