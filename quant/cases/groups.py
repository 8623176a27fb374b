"""Case groups of a fit: typical/deviant, over/under-predicted and tie/non-tie labels per unit.

Each unit (a city for breadth, a dyad for connection and degree) is put into groups that the
joint display cross-tabulates against coded passages:

* ``fit_group`` — "typical" iff |r| ≤ c, "deviant" iff |r| > c, r the Pearson residual
  (Lieberman 2005's residual rule as adapted to GLMs in quant.md §4.3; the boundary is typical);
* ``direction`` — "over-predicted" when y < fitted (the model expected more), else
  "under-predicted" (y ≥ fitted, including the exact fit);
* ``tie`` — "tie"/"non-tie" for every model fitted on dyads: y = 1 / 0 for binary models,
  y > 0 / y = 0 for count models (degree, or Poisson/NB on all dyads); None for models fitted on
  cities, which have no ties. The unit, not the model name, decides. For binary
  dyads this gives quant.md §4.3's four cells (typical tie, deviant tie, deviant non-tie,
  typical non-tie);
* ``group`` — one label joining the three with " · ", e.g. "deviant · over-predicted · tie"
  (the tie part left out for city models).

References
----------
Lieberman, E. S. (2005). Nested analysis as a mixed-method strategy for comparative research.
*American Political Science Review* 99(3): 435–452.
quant.md §4.3 (Tandem's GLM adaptation of the typical/deviant rule).
"""
from __future__ import annotations

from i18n import _
import math

import numpy as np
import pandas as pd

from quant.errors import QuantError
from quant.models.results import MODELS

__all__ = ["case_groups", "FIT_GROUPS", "DIRECTIONS", "TIES", "group_labels", "CITY_MODELS", "fit_unit"]

FIT_GROUPS = ("typical", "deviant")
DIRECTIONS = ("over-predicted", "under-predicted")
TIES = ("tie", "non-tie")
#: Models whose units are cities when nothing else says so (older callers that give only the
#: model name). Any model can be fitted on either unit, so the unit decides when it is known.
CITY_MODELS = ("nb", "poisson", "binomial")
UNITS = ("city", "dyad")
_SEP = " · "


def fit_unit(result) -> str:
    """"city" or "dyad": the unit of a ``FitResult`` — ``meta["unit"]`` when set, else its units'
    id columns (``city`` vs ``city_a``/``city_b``), else its dimension (breadth → city)."""
    unit = (getattr(result, "meta", None) or {}).get("unit")
    if unit in UNITS:
        return unit
    units = getattr(result, "units", None)
    if units is not None and {"city_a", "city_b"} <= set(units.columns):
        return "dyad"
    if units is not None and "city" in units.columns:
        return "city"
    return "city" if getattr(result, "dimension", None) == "breadth" else "dyad"


def _resolve_unit(model: str, unit: str | None, units: pd.DataFrame | None = None) -> str:
    if unit is not None:
        if unit not in UNITS:
            raise QuantError(_("unit {unit!r} is not one of {units}.").format(unit=unit, units=', '.join(UNITS)))
        return unit
    if units is not None and {"city_a", "city_b"} <= set(units.columns):
        return "dyad"
    if units is not None and "city" in units.columns:
        return "city"
    return "city" if model in CITY_MODELS else "dyad"


def group_labels(model: str, unit: str | None = None) -> list[str]:
    """Every combined ``group`` label possible for ``model`` fitted on ``unit``, in display order.

    Parameters
    ----------
    model : str
        ``FitResult.model``.
    unit : {"city", "dyad"}, optional
        The fit's unit (``fit_unit(result)``); cities have no tie label. When omitted,
        "nb"/"poisson"/"binomial" are taken as city models (the dimension defaults).

    Raises
    ------
    QuantError
        If ``model`` is not a Tandem model name or ``unit`` is not city/dyad.
    """
    _check_model(model)
    city = _resolve_unit(model, unit) == "city"
    labels = []
    for fit in FIT_GROUPS:
        for direction in DIRECTIONS:
            if city:
                labels.append(_SEP.join((fit, direction)))
            else:
                for tie in TIES:
                    labels.append(_SEP.join((fit, direction, tie)))
    return labels


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise QuantError(_("model {model!r} is not one of {models}.").format(model=model, models=', '.join(MODELS)))


def case_groups(units: pd.DataFrame, model: str, c: float = 2.0, unit: str | None = None) -> pd.DataFrame:
    """Add the case-group columns to a fit's per-unit frame.

    Parameters
    ----------
    units : DataFrame
        One row per unit with at least ``y`` (observed outcome), ``fitted`` (model mean) and
        ``pearson`` (Pearson residual); id columns (``city`` or ``city_a``/``city_b``) and
        any others are kept.
    model : str
        The fit's model (``FitResult.model``).
    c : float, default 2.0
        Residual threshold, > 0 and finite: deviant iff |pearson| > c (quant.md §4.3).
    unit : {"city", "dyad"}, optional
        The fit's unit (``fit_unit(result)``). City units get no tie label; dyads get "tie"
        iff y > 0 (y = 1 for binary models), whatever the model — a Poisson or NB fit on
        dyads keeps its tie/non-tie groups. When omitted: "dyad" if ``units`` has
        ``city_a``/``city_b``, "city" if it has ``city``, else decided by the model name
        (nb/poisson/binomial → city).

    Returns
    -------
    DataFrame
        A copy of ``units`` (same index and order) with string columns ``fit_group``,
        ``direction``, ``tie`` (None for city units) and ``group``.

    Raises
    ------
    QuantError
        If c is not a positive finite number, the model is unknown, a column is missing, or a
        residual is not finite.
    """
    _check_model(model)
    try:
        c = float(c)
    except (TypeError, ValueError):
        raise QuantError(_("the residual threshold c must be a number, not {c!r}.").format(c=c)) from None
    if not math.isfinite(c) or c <= 0:
        raise QuantError(_("the residual threshold c must be a positive number, not {c}.").format(c=c))
    missing = [col for col in ("y", "fitted", "pearson") if col not in units.columns]
    if missing:
        raise QuantError(_("the fit's units lack the column(s) {missing}.").format(missing=', '.join(missing)))
    out = units.copy()
    y = pd.to_numeric(out["y"], errors="coerce").to_numpy(dtype=float)
    fitted = pd.to_numeric(out["fitted"], errors="coerce").to_numpy(dtype=float)
    r = pd.to_numeric(out["pearson"], errors="coerce").to_numpy(dtype=float)
    if len(out) and not (np.isfinite(y).all() and np.isfinite(fitted).all() and np.isfinite(r).all()):
        raise QuantError(_("some units have a missing or non-finite outcome, fitted value or Pearson residual."))
    fit_group = np.where(np.abs(r) > c, "deviant", "typical")
    direction = np.where(y < fitted, "over-predicted", "under-predicted")
    out["fit_group"] = pd.Series(fit_group, index=out.index, dtype=object)
    out["direction"] = pd.Series(direction, index=out.index, dtype=object)
    if _resolve_unit(model, unit, units) == "city":
        out["tie"] = pd.Series([None] * len(out), index=out.index, dtype=object)
        out["group"] = out["fit_group"] + _SEP + out["direction"]
    else:
        tie = np.where(y > 0, "tie", "non-tie")
        out["tie"] = pd.Series(tie, index=out.index, dtype=object)
        out["group"] = out["fit_group"] + _SEP + out["direction"] + _SEP + out["tie"]
    return out
