"""Case selection from Pearson residuals (quant.md §4): typical and deviant cities or dyads.

Following Lieberman's (2005) nested analysis, a unit is *deviant* when its Pearson residual
exceeds c in absolute value and *typical* when it does not; the typical cases listed are those
closest to the model (smallest |r|). For binary connection models the four cells of quant.md
§4.3 are reported: with c = 2, a tie with p̂ < 0.2 is a "deviant tie" (an unexpected
collaboration) and a non-tie with p̂ > 0.8 a "deviant non-tie" (a missing expected one).
These rules are Tandem's GLM adaptation of Rohlfing & Starke's (2013) linear-model rules.

References
----------
Lieberman, E. S. (2005). Nested analysis as a mixed-method strategy for comparative research.
*American Political Science Review* 99(3): 435–452.
Seawright, J. & Gerring, J. (2008). Case selection techniques in case study research.
*Political Research Quarterly* 61(2): 294–308.
Rohlfing, I. & Starke, P. (2013). Building on solid ground: robust case selection in
multi-method research. *Swiss Political Science Review* 19(4): 492–512.
"""
from __future__ import annotations

from i18n import _
import math

import numpy as np
import pandas as pd

from quant.errors import QuantError
from quant.models.results import FitResult

__all__ = ["select_cases", "city_residual_from_dyads", "unit_id_columns"]

_BINARY = ("logit", "probit")


def unit_id_columns(result: FitResult) -> list[str]:
    """``["city"]`` for city-level fits, ``["city_a", "city_b"]`` for dyad fits.

    Raises
    ------
    QuantError
        If ``result.units`` has neither layout.
    """
    cols = set(result.units.columns)
    if "city" in cols:
        return ["city"]
    if {"city_a", "city_b"} <= cols:
        return ["city_a", "city_b"]
    raise QuantError(
        _("the units of the {dimension} fit have neither a 'city' column nor 'city_a' and "
        "'city_b' columns.").format(dimension=result.dimension)
    )


def _id_sort_keys(frame: pd.DataFrame, ids: list[str]) -> list[np.ndarray]:
    """Integer keys ordering each id column by its own sorted values (for tie-breaking)."""
    keys = []
    for col in ids:
        vals = frame[col]
        try:
            order = pd.Index(pd.unique(vals)).sort_values()
        except TypeError:  # mixed types: compare as text
            vals = vals.astype(str)
            order = pd.Index(pd.unique(vals)).sort_values()
        keys.append(order.get_indexer(vals))
    return keys


def select_cases(
    result: FitResult,
    c: float = 2.0,
    n_typical: int = 5,
    n_deviant: int | None = None,
    include_other: bool = False,
) -> pd.DataFrame:
    """Typical and deviant units of a fit, ranked by |Pearson residual|.

    Parameters
    ----------
    result : FitResult
        Any fit; its ``units`` must hold ids, ``y``, ``fitted`` and ``pearson``.
    c : float
        Cut-off, > 0: deviant iff |r| > c, typical iff |r| ≤ c (quant.md §4.3).
    n_typical : int
        Typical cases to list: those with the smallest |r|. For binary connection models,
        ``n_typical`` ties and ``n_typical`` non-ties.
    n_deviant : int, optional
        Deviant cases to list (largest |r|; per outcome class for binary models); default all.
    include_other : bool
        Also return every remaining unit, with ``case_type = "other"``.

    Returns
    -------
    pandas.DataFrame
        Columns: the unit id column(s) (``city`` or ``city_a``, ``city_b``), ``y``, ``fitted``,
        ``pearson``, ``abs_r``, ``rank`` (1 = largest |r| among all units), ``case_type``
        ("deviant", "typical", "other"), ``cell`` (binary models: "deviant tie", "typical tie",
        "deviant non-tie", "typical non-tie" by the |r| > c rule; None otherwise) and ``rule``
        (text naming the residual and c). Rows: deviant cases by |r| descending, then typical
        cases by |r| ascending, then others by |r| descending; ties broken by |r| (to 10
        decimals), then id.

    Raises
    ------
    QuantError
        If ``c`` is not a positive finite number, counts are negative, the units lack columns,
        or a Pearson residual is missing.
    """
    if not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0:
        raise QuantError(_("cut-off c = {c!r} must be a positive finite number.").format(c=c))
    if not isinstance(n_typical, (int, np.integer)) or n_typical < 0:
        raise QuantError(_("n_typical = {n_typical!r} must be a whole number ≥ 0.").format(n_typical=n_typical))
    if n_deviant is not None and (not isinstance(n_deviant, (int, np.integer)) or n_deviant < 0):
        raise QuantError(_("n_deviant = {n_deviant!r} must be a whole number ≥ 0 or None.").format(n_deviant=n_deviant))
    ids = unit_id_columns(result)
    units = result.units
    missing = [k for k in ("y", "fitted", "pearson") if k not in units.columns]
    if missing:
        raise QuantError(_("the units of the fit lack column(s) {missing}.").format(missing=', '.join(missing)))
    out = units[ids + ["y", "fitted", "pearson"]].reset_index(drop=True).copy()
    if out["pearson"].isna().any():
        raise QuantError(
            _("{sum} unit(s) have no Pearson residual; cases cannot be ranked.").format(sum=int(out['pearson'].isna().sum()))
        )
    out["abs_r"] = out["pearson"].abs()
    idkeys = _id_sort_keys(out, ids)
    # |r| compared to 10 decimals, so values equal up to floating-point noise tie and the id
    # decides (the order then does not depend on row order or optimizer rounding).
    value = np.round(out["abs_r"].to_numpy(), 10)
    # Global rank: |r| descending, ties by id ascending.
    order_desc = np.lexsort(tuple(reversed(idkeys)) + (-value,))
    rank = np.empty(len(out), dtype=int)
    rank[order_desc] = np.arange(1, len(out) + 1)
    out["rank"] = rank
    order_asc = np.lexsort(tuple(reversed(idkeys)) + (value,))

    binary = result.model in _BINARY
    dev = (out["abs_r"] > c).to_numpy()
    y = out["y"].to_numpy()
    classes = [y == 1, y == 0] if binary else [np.ones(len(out), dtype=bool)]
    case = np.full(len(out), "other", dtype=object)
    for cls in classes:
        d_idx = [i for i in order_desc if dev[i] and cls[i]]
        if n_deviant is not None:
            d_idx = d_idx[:n_deviant]
        case[d_idx] = "deviant"
        t_idx = [i for i in order_asc if not dev[i] and cls[i]][:n_typical]
        case[t_idx] = "typical"
    out["case_type"] = case
    if binary:
        cell = np.where(y == 1, np.where(dev, "deviant tie", "typical tie"),
                        np.where(dev, "deviant non-tie", "typical non-tie"))
        out["cell"] = pd.Series(cell, dtype=object)
    else:
        out["cell"] = None
    out["rule"] = _rule_text(result, c, n_typical, n_deviant, binary)

    pos_desc = np.empty(len(out), dtype=int)
    pos_desc[order_desc] = np.arange(len(out))
    pos_asc = np.empty(len(out), dtype=int)
    pos_asc[order_asc] = np.arange(len(out))
    group = np.select([case == "deviant", case == "typical"], [0, 1], 2)
    within = np.where(group == 1, pos_asc, pos_desc)
    final = np.lexsort((within, group))
    out = out.iloc[final]
    if not include_other:
        out = out[out["case_type"] != "other"]
    return out.reset_index(drop=True)


def _rule_text(result: FitResult, c: float, n_typical: int, n_deviant, binary: bool) -> str:
    resid = result.meta.get("residual", "Pearson residual")
    text = (
        f"{resid}; deviant iff |r| > {c:g}, typical iff |r| <= {c:g}; listed: "
        f"{'all' if n_deviant is None else n_deviant} deviant and the {n_typical} typical with "
        "smallest |r|"
    )
    if binary:
        lo, hi = 1.0 / (1.0 + c * c), c * c / (1.0 + c * c)
        text += (
            f" per outcome class (ties, non-ties); a tie is deviant iff p < {lo:.4g}, "
            f"a non-tie iff p > {hi:.4g}"
        )
    return text + "; ties broken by |r|, then id."


def city_residual_from_dyads(result_connection: FitResult) -> pd.DataFrame:
    """Standardized city residual implied by a dyad connection model (quant.md §2.2).

    Parameters
    ----------
    result_connection : FitResult
        A connection fit (logit or probit) whose ``units`` hold ``city_a``, ``city_b``, ``y``
        and ``fitted`` (p̂) for every dyad.

    Returns
    -------
    pandas.DataFrame, (n_cities, 4)
        ``city`` (sorted), ``degree`` = Σ_j y_ij, ``expected`` = Σ_j p̂_ij and ``residual`` =
        (degree − expected)/√Σ_j p̂_ij(1 − p̂_ij), sums over the dyad rows touching the city.

    Raises
    ------
    QuantError
        If the fit is not a binary dyad model.

    Notes
    -----
    Under conditional independence of dyads given X, deg_i is a sum of independent Bernoulli
    variables with mean Σ_j p̂_ij and variance Σ_j p̂_ij(1 − p̂_ij), so the residual is the
    standardized (Pearson-type) departure of the city's breadth from what the dyad model
    implies, consistent with the dyad model (unlike a separate breadth model).
    """
    if result_connection.model not in _BINARY or result_connection.dimension != "connection":
        raise QuantError(
            _("city residuals need a connection (logit/probit) fit, got {dimension} "
            "{model}.").format(dimension=result_connection.dimension, model=result_connection.model)
        )
    u = result_connection.units
    if not {"city_a", "city_b", "y", "fitted"} <= set(u.columns):
        raise QuantError(_("the connection fit's units lack city_a, city_b, y or fitted."))
    p = u["fitted"].to_numpy(float)
    long = pd.DataFrame(
        {
            "city": np.concatenate([u["city_a"].to_numpy(), u["city_b"].to_numpy()]),
            "degree": np.tile(u["y"].to_numpy(float), 2),
            "expected": np.tile(p, 2),
            "var": np.tile(p * (1.0 - p), 2),
        }
    )
    g = long.groupby("city", sort=True)[["degree", "expected", "var"]].sum()
    out = pd.DataFrame(
        {
            "city": g.index.to_numpy(),
            "degree": g["degree"].to_numpy(),
            "expected": g["expected"].to_numpy(),
            "residual": ((g["degree"] - g["expected"]) / np.sqrt(g["var"])).to_numpy(),
        }
    )
    return out
