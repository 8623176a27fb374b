"""Case groups of a fit: typical/deviant, over/under-predicted and tie/non-tie labels per unit.

Each unit (a city for breadth, a dyad for connection and degree) is put into groups that the
joint display cross-tabulates against coded passages:

* ``fit_group`` — "typical" iff |r| ≤ c, "deviant" iff |r| > c, r the Pearson residual
  (Lieberman 2005's residual rule as adapted to GLMs in quant.md §4.3; the boundary is typical);
* ``direction`` — "over-predicted" when y < fitted (the model expected more), else
  "under-predicted" (y ≥ fitted, including the exact fit);
* ``tie`` — "tie"/"non-tie" for binary connection models (y = 1 / 0) and for dyad count models
  (degree: y > 0 / y = 0); None for city (breadth) models, which have no ties. For binary
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

import math

import numpy as np
import pandas as pd

from quant.errors import QuantError
from quant.results import MODELS

__all__ = ["case_groups", "FIT_GROUPS", "DIRECTIONS", "TIES", "group_labels", "CITY_MODELS"]

FIT_GROUPS = ("typical", "deviant")
DIRECTIONS = ("over-predicted", "under-predicted")
TIES = ("tie", "non-tie")
#: Models whose units are cities (breadth): no tie label.
CITY_MODELS = ("nb", "poisson", "binomial")
_SEP = " · "


def group_labels(model: str) -> list[str]:
    """Every combined ``group`` label possible for ``model``, in display order.

    Raises
    ------
    QuantError
        If ``model`` is not a Tandem model name.
    """
    _check_model(model)
    labels = []
    for fit in FIT_GROUPS:
        for direction in DIRECTIONS:
            if model in CITY_MODELS:
                labels.append(_SEP.join((fit, direction)))
            else:
                for tie in TIES:
                    labels.append(_SEP.join((fit, direction, tie)))
    return labels


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise QuantError(f"model {model!r} is not one of {', '.join(MODELS)}.")


def case_groups(units: pd.DataFrame, model: str, c: float = 2.0) -> pd.DataFrame:
    """Add the case-group columns to a fit's per-unit frame.

    Parameters
    ----------
    units : DataFrame
        One row per unit with at least ``y`` (observed outcome), ``fitted`` (model mean) and
        ``pearson`` (Pearson residual); id columns (``city`` or ``city_a``/``city_b``) and
        any others are kept.
    model : str
        The fit's model (``FitResult.model``): "nb"/"poisson"/"binomial" are city models (no tie
        label); "logit"/"probit" are binary dyad models (tie iff y = 1); "ztnb"/"nb_pos"/"hurdle"
        are dyad count models (tie iff y > 0).
    c : float, default 2.0
        Residual threshold, > 0 and finite: deviant iff |pearson| > c (quant.md §4.3).

    Returns
    -------
    DataFrame
        A copy of ``units`` (same index and order) with string columns ``fit_group``,
        ``direction``, ``tie`` (None for city models) and ``group``.

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
        raise QuantError(f"the residual threshold c must be a number, not {c!r}.") from None
    if not math.isfinite(c) or c <= 0:
        raise QuantError(f"the residual threshold c must be a positive number, not {c}.")
    missing = [col for col in ("y", "fitted", "pearson") if col not in units.columns]
    if missing:
        raise QuantError(f"the fit's units lack the column(s) {', '.join(missing)}.")
    out = units.copy()
    y = pd.to_numeric(out["y"], errors="coerce").to_numpy(dtype=float)
    fitted = pd.to_numeric(out["fitted"], errors="coerce").to_numpy(dtype=float)
    r = pd.to_numeric(out["pearson"], errors="coerce").to_numpy(dtype=float)
    if len(out) and not (np.isfinite(y).all() and np.isfinite(fitted).all() and np.isfinite(r).all()):
        raise QuantError("some units have a missing or non-finite outcome, fitted value or Pearson residual.")
    fit_group = np.where(np.abs(r) > c, "deviant", "typical")
    direction = np.where(y < fitted, "over-predicted", "under-predicted")
    out["fit_group"] = pd.Series(fit_group, index=out.index, dtype=object)
    out["direction"] = pd.Series(direction, index=out.index, dtype=object)
    if model in CITY_MODELS:
        out["tie"] = pd.Series([None] * len(out), index=out.index, dtype=object)
        out["group"] = out["fit_group"] + _SEP + out["direction"]
    else:
        tie = np.where(y > 0, "tie", "non-tie")
        out["tie"] = pd.Series(tie, index=out.index, dtype=object)
        out["group"] = out["fit_group"] + _SEP + out["direction"] + _SEP + out["tie"]
    return out
