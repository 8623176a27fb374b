"""Case-selection rules on residuals and raw values (quant.md §4): pure statistics on tables.

Every rule takes a *case table* (:func:`case_table`: the unit id columns, ``observed``,
``predicted``, ``residual``; ``attrs["residual_type"]`` names the residual) and returns a
DataFrame with the id columns, ``observed``, ``predicted``, ``residual``, ``residual_type``,
``score`` (the quantity ranked), ``rank`` (1 = first selected) and the rule's own columns.
Ties break by the score (compared to 10 decimals), then by the id columns in ascending order,
so the result does not depend on row order.

Linear-model rules follow Rohlfing's R package MMRcaseselection (Rohlfing & Starke 2013;
Seawright 2016): ``residstd`` (after Lieberman 2005) classifies a case as deviant iff
|e_i| > s·σ̂ with σ̂ = √(RSS/(n − k)), the model residual scale (the package's own
``residstd`` refers to an object named ``df`` instead of its argument; Tandem implements the
documented rule), and ``predint`` iff y_i lies strictly outside ŷ_i ± t_{(1+w)/2, n−k}·σ̂·√(1 + h_ii).
GLM rules are Tandem's adaptation (quant.md §4.3): deviant iff |r| > c for the Pearson (or
another named) residual.

Binary outcomes (quant.md §4.3): with Pearson residuals a tie is deviant iff p̂ < 1/(1 + c²)
(an *unexpected collaboration*) and a non-tie iff p̂ > c²/(1 + c²) (a *missing expected
collaboration*); :func:`case_label` names the four cells.

References
----------
Lieberman (2005) APSR 99(3): 435–452. Seawright & Gerring (2008) PRQ 61(2): 294–308.
Rohlfing & Starke (2013) SPSR 19(4): 492–512. Seawright (2016) SMR 45(3): 493–525.
"""
from __future__ import annotations

from i18n import _
import math

import numpy as np
import pandas as pd
from scipy import stats

from quant.errors import QuantError

__all__ = ["case_table", "case_id_columns", "order_by", "typical", "deviant", "deviant_residstd",
           "deviant_predint", "overpredicted", "underpredicted", "extreme_x", "extreme_y", "case_label",
           "case_labels", "leverage"]

BASE = ("observed", "predicted", "residual")


def case_table(ids: pd.DataFrame, observed, predicted, residual, residual_type: str) -> pd.DataFrame:
    """The input of every rule.

    Parameters
    ----------
    ids : DataFrame, (n, 1 or 2)
        Unit id columns (``city`` or ``city_a``, ``city_b``; any names work).
    observed, predicted, residual : array-like, (n,)
        y, ŷ (mean or probability) and the residual the rules rank.
    residual_type : str
        Words naming the residual ("raw residual y - fitted", "Pearson residual", ...).

    Raises
    ------
    QuantError
        Lengths differ or a value is missing.
    """
    n = len(ids)
    cols = {}
    for name, v in zip(BASE, (observed, predicted, residual)):
        a = np.asarray(v, dtype=float).reshape(-1)
        if len(a) != n:
            raise QuantError(_("{name} has {n} values for {n2} units.").format(name=name, n=len(a), n2=n))
        if not np.all(np.isfinite(a)):
            raise QuantError(_("{sum} unit(s) have no {name} value; cases cannot be ranked.").format(sum=int((~np.isfinite(a)).sum()), name=name))
        cols[name] = a
    out = ids.reset_index(drop=True).copy()
    for k, v in cols.items():
        out[k] = v
    out["residual_type"] = residual_type
    out.attrs["id_columns"] = list(ids.columns)
    out.attrs["residual_type"] = residual_type
    return out


def case_id_columns(table: pd.DataFrame) -> list[str]:
    """The id columns of a ``case_table`` (``attrs["id_columns"]``), else whichever of ``city``,
    ``city_a``, ``city_b`` it has."""
    return list(table.attrs.get("id_columns") or [c for c in table.columns if c in ("city", "city_a", "city_b")])


def _id_keys(table: pd.DataFrame, ids: list[str]) -> list[np.ndarray]:
    keys = []
    for col in ids:
        vals = table[col].astype(str)
        order = pd.Index(pd.unique(vals)).sort_values()
        keys.append(order.get_indexer(vals))
    return keys


def order_by(table: pd.DataFrame, score, *, descending: bool, keep=None, n: int | None = None) -> pd.DataFrame:
    """Rows of ``table`` with ``score`` set, ranked and cut to ``n``.

    ``score`` (n,) is ranked descending or ascending, compared to 10 decimals, ties by the id
    columns ascending; ``keep`` (bool mask, optional) selects the rows eligible; ``rank`` is
    1..m over the eligible rows. ``n=None`` keeps all of them.
    """
    score = np.asarray(score, dtype=float)
    ids = case_id_columns(table)
    value = np.round(score, 10)
    value = -value if descending else value
    order = np.lexsort(tuple(reversed(_id_keys(table, ids))) + (value,))
    if keep is not None:
        keep = np.asarray(keep, bool)
        order = order[keep[order]]
    if n is not None:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise QuantError(_("n = {n!r} must be a whole number ≥ 0.").format(n=n))
        order = order[:n]
    out = table.iloc[order].copy()
    out["score"] = score[order]
    out["rank"] = np.arange(1, len(order) + 1)
    out.attrs = dict(table.attrs)
    return out.reset_index(drop=True)


def _check_positive(name: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v) or v < 0:
        raise QuantError(_("{name} = {v!r} must be a finite number ≥ 0.").format(name=name, v=v))
    return float(v)


def _status(table: pd.DataFrame, deviant_mask) -> np.ndarray:
    return np.where(np.asarray(deviant_mask, bool), "deviant", "typical")


def typical(table: pd.DataFrame, *, c: float = 2.0, n: int | None = 10) -> pd.DataFrame:
    """Typical cases: smallest |r| first (MMRcaseselection ``most_typical``: argmin |e_i|).

    Only cases with |r| ≤ c are listed (``status`` "typical"; quant.md §4.3). ``score`` = |r|;
    extra columns ``abs_residual``, ``status``, ``threshold`` (= c).
    """
    c = _check_positive("c", c)
    a = np.abs(table["residual"].to_numpy(float))
    t = table.copy()
    t["abs_residual"] = a
    t["status"] = _status(t, a > c)
    t["threshold"] = c
    return order_by(t, a, descending=False, keep=a <= c, n=n)


def deviant(table: pd.DataFrame, *, c: float = 2.0, n: int | None = 10) -> pd.DataFrame:
    """Deviant cases by residual: |r| > c, largest |r| first (GLM rule, quant.md §4.3;
    MMRcaseselection ``most_deviant`` is the first row). Extra columns as :func:`typical`."""
    c = _check_positive("c", c)
    a = np.abs(table["residual"].to_numpy(float))
    t = table.copy()
    t["abs_residual"] = a
    t["status"] = _status(t, a > c)
    t["threshold"] = c
    return order_by(t, a, descending=True, keep=a > c, n=n)


def deviant_residstd(table: pd.DataFrame, k: int, *, stdshare: float = 1.0, n: int | None = 10,
                     all_rows: bool = False) -> pd.DataFrame:
    """Linear models: deviant iff |e_i| > s·σ̂, σ̂ = √(RSS/(n − k)) (MMRcaseselection
    ``residstd``, after Lieberman 2005). ``residual`` must be the raw residual y − ŷ and ``k``
    the number of coefficients (intercept included).

    Returns deviant cases by |e| descending (``all_rows``: every case, deviant first), with
    ``residual_scale`` (σ̂), ``lower`` = ŷ − s·σ̂, ``upper`` = ŷ + s·σ̂, ``status``, ``threshold`` (= s).

    Raises
    ------
    QuantError
        n − k ≤ 0 or a negative share.
    """
    s = _check_positive("stdshare", stdshare)
    e = table["residual"].to_numpy(float)
    dof = len(e) - int(k)
    if dof <= 0:
        raise QuantError(_("{n} cases and {k} coefficients leave no residual degrees of freedom.").format(n=len(e), k=k))
    sigma = math.sqrt(float(e @ e) / dof)
    fit = table["predicted"].to_numpy(float)
    y = table["observed"].to_numpy(float)
    lo, hi = fit - s * sigma, fit + s * sigma
    dev = (y < lo) | (y > hi)
    t = table.copy()
    t["residual_scale"], t["lower"], t["upper"] = sigma, lo, hi
    t["status"], t["threshold"] = _status(t, dev), s
    a = np.abs(e)
    if all_rows:
        return order_by(t, np.where(dev, a + 1e12, a), descending=True, n=n).assign(score=lambda f: np.abs(f["residual"]))
    return order_by(t, a, descending=True, keep=dev, n=n)


def leverage(X) -> np.ndarray:
    """Diagonal of the hat matrix X(XᵀX)⁻¹Xᵀ, (n,), from a thin QR of X (n, k), full column rank."""
    X = np.asarray(X, dtype=float)
    q, _ = np.linalg.qr(X, mode="reduced")
    return np.einsum("ij,ij->i", q, q)


def deviant_predint(table: pd.DataFrame, X, *, piwidth: float = 0.95, n: int | None = 10,
                    all_rows: bool = False) -> pd.DataFrame:
    """Linear models: deviant iff y_i is strictly outside the (piwidth) prediction interval
    ŷ_i ± t_{(1+w)/2, n−k}·σ̂·√(1 + h_ii) (MMRcaseselection ``predint``; Rohlfing & Starke 2013).

    ``X`` (n, k) is the design with intercept; ``residual`` must be y − ŷ. ``score`` =
    |e_i|/(σ̂√(1 + h_ii)) (deviant iff score > the t quantile); columns ``lower``, ``upper``,
    ``leverage``, ``status``, ``threshold`` (= piwidth).
    """
    w = _check_positive("piwidth", piwidth)
    if not 0 < w < 1:
        raise QuantError(_("piwidth = {piwidth!r} must lie strictly between 0 and 1.").format(piwidth=piwidth))
    X = np.asarray(X, dtype=float)
    e = table["residual"].to_numpy(float)
    if X.ndim != 2 or X.shape[0] != len(e):
        raise QuantError(_("the design has shape {shape}; it needs one row per case ({n}).").format(shape=X.shape, n=len(e)))
    dof = X.shape[0] - X.shape[1]
    if dof <= 0:
        raise QuantError(_("{n} cases and {shape} coefficients leave no residual degrees of freedom.").format(n=len(e), shape=X.shape[1]))
    sigma = math.sqrt(float(e @ e) / dof)
    h = leverage(X)
    half = stats.t.ppf((1 + w) / 2, dof) * sigma * np.sqrt(1 + h)
    fit = table["predicted"].to_numpy(float)
    y = table["observed"].to_numpy(float)
    lo, hi = fit - half, fit + half
    dev = (y < lo) | (y > hi)
    t = table.copy()
    t["lower"], t["upper"], t["leverage"] = lo, hi, h
    t["status"], t["threshold"] = _status(t, dev), w
    score = np.abs(e) / (sigma * np.sqrt(1 + h))
    if all_rows:
        out = order_by(t, np.where(dev, score + 1e12, score), descending=True, n=n)
        out["score"] = np.abs(out["residual"]) / (sigma * np.sqrt(1 + out["leverage"]))
        return out
    return order_by(t, score, descending=True, keep=dev, n=n)


def overpredicted(table: pd.DataFrame, *, n: int | None = 10) -> pd.DataFrame:
    """Most over-predicted: most negative residual first, only r < 0 (MMRcaseselection
    ``most_overpredicted``). ``score`` = r; extra column ``direction`` = "over"."""
    r = table["residual"].to_numpy(float)
    t = table.copy()
    t["direction"] = "over"
    return order_by(t, r, descending=False, keep=r < 0, n=n)


def underpredicted(table: pd.DataFrame, *, n: int | None = 10) -> pd.DataFrame:
    """Most under-predicted: most positive residual first, only r > 0 (MMRcaseselection
    ``most_underpredicted``). ``score`` = r; extra column ``direction`` = "under"."""
    r = table["residual"].to_numpy(float)
    t = table.copy()
    t["direction"] = "under"
    return order_by(t, r, descending=True, keep=r > 0, n=n)


def _extreme(table: pd.DataFrame, values, variable: str, n) -> pd.DataFrame:
    v = np.asarray(values, dtype=float).reshape(-1)
    if len(v) != len(table):
        raise QuantError(_("{variable} has {n} values for {n2} cases.").format(variable=variable, n=len(v), n2=len(table)))
    if not np.all(np.isfinite(v)):
        raise QuantError(_("{sum} case(s) have no value of {variable}.").format(sum=int((~np.isfinite(v)).sum()), variable=variable))
    diff = v - v.mean()
    sd = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
    t = table.copy()
    t["variable"], t["value"], t["mean"] = variable, v, float(v.mean())
    t["difference"] = diff
    t["sd_units"] = diff / sd if sd > 0 else np.nan
    return order_by(t, np.abs(diff), descending=True, n=n)


def extreme_x(table: pd.DataFrame, values, variable: str, *, n: int | None = 10) -> pd.DataFrame:
    """Extreme on an explanatory variable (Seawright 2016; MMRcaseselection ``extreme_on_x``):
    ``score`` = |x_i − x̄|, largest first. Extra columns ``variable``, ``value`` (x_i), ``mean``,
    ``difference`` (x_i − x̄, signed) and ``sd_units`` ((x_i − x̄)/s_x, s_x with n − 1)."""
    return _extreme(table, values, variable, n)


def extreme_y(table: pd.DataFrame, *, variable: str = "the outcome", n: int | None = 10) -> pd.DataFrame:
    """Extreme on the outcome (MMRcaseselection ``extreme_on_y``): |y_i − ȳ|, largest first;
    columns as :func:`extreme_x`."""
    return _extreme(table, table["observed"].to_numpy(float), variable, n)


# ------------------------------------------------------------------ labels
def _num(x, fmt=".2g") -> str:
    try:
        return format(float(x), fmt)
    except (TypeError, ValueError):
        return "?"


def case_label(row, rule: str, binary: bool) -> str:
    """One label for one selected case; never two.

    Parameters
    ----------
    row : mapping (a DataFrame row or dict)
        A row of a rule's output (``observed``, ``residual`` and the rule's columns).
    rule : str
        One of ``quant.cases.select.RULES``.
    binary : bool
        The outcome is a tie/non-tie (connection logit/probit).

    Returns
    -------
    str
        e.g. "deviant tie (unexpected collaboration)", "typical non-tie", "over-predicted",
        "extreme on log_gravity (+2.3 SD above the mean)".

    Raises
    ------
    QuantError
        Unknown rule.
    """
    get = row.get if hasattr(row, "get") else (lambda k, d=None: d)
    y = get("observed")
    r = get("residual")
    tie = binary and y is not None and float(y) >= 0.5
    if rule in ("typical", "deviant"):
        status = get("status") or rule
        if status not in ("typical", "deviant"):
            status = rule
        if binary:
            if status == "deviant":
                return ("deviant tie (unexpected collaboration)" if tie
                        else "deviant non-tie (missing expected collaboration)")
            return "typical tie" if tie else "typical non-tie"
        if status == "deviant":
            return "deviant (under-predicted)" if r is not None and float(r) > 0 else "deviant (over-predicted)"
        return "typical"
    if rule == "overpredicted":
        return "over-predicted non-tie (missing expected collaboration)" if binary and not tie else "over-predicted"
    if rule == "underpredicted":
        return "under-predicted tie (unexpected collaboration)" if binary and tie else "under-predicted"
    if rule in ("extreme_x", "extreme_y"):
        var = get("variable") or ("the outcome" if rule == "extreme_y" else "x")
        sdu = get("sd_units")
        if sdu is None or not np.isfinite(float(sdu)):
            return f"extreme on {var}"
        where = "above" if float(sdu) >= 0 else "below"
        return f"extreme on {var} ({float(sdu):+.1f} SD {where} the mean)"
    if rule == "influential":
        if get("measure") == "delete-a-city":
            return f"influential city (estimates move up to {_num(get('score'), '.2f')} SE without it)"
        return f"influential (Cook's distance {_num(get('score'), '.3g')})"
    if rule == "pathway":
        if get("pathway_gtype") == "yes":
            return f"pathway case ({get('variable') or 'the variable'} reduces its residual)"
        return f"pathway candidate, Gerring's criterion not met ({get('variable') or 'the variable'} does not reduce its residual)"
    if rule in ("similar", "different"):
        kind = "most-similar" if rule == "similar" else "most-different"
        return f"{kind} pair {int(get('pair', get('rank', 0)) or 0)}"
    raise QuantError(_("unknown case-selection rule {rule!r}.").format(rule=rule))


def case_labels(frame: pd.DataFrame, rule: str, binary: bool) -> list[str]:
    """:func:`case_label` for every row of a rule's frame, vectorized where it matters (rules
    whose label depends only on the outcome class, the status and the sign of the residual);
    identical to calling :func:`case_label` row by row."""
    if not len(frame):
        return []
    if rule in ("typical", "deviant", "overpredicted", "underpredicted"):
        tie = frame["observed"].to_numpy(float) >= 0.5 if binary else np.zeros(len(frame), bool)
        pos = frame["residual"].to_numpy(float) > 0
        if rule in ("typical", "deviant"):
            st = frame["status"].to_numpy(object) if "status" in frame.columns else np.full(len(frame), rule, object)
            st = np.where(np.isin(st, ["typical", "deviant"]), st, rule)
            dev = st == "deviant"
            if binary:
                out = np.where(dev, np.where(tie, "deviant tie (unexpected collaboration)",
                                             "deviant non-tie (missing expected collaboration)"),
                               np.where(tie, "typical tie", "typical non-tie"))
            else:
                out = np.where(dev, np.where(pos, "deviant (under-predicted)", "deviant (over-predicted)"), "typical")
        elif rule == "overpredicted":
            out = np.where(binary & ~tie, "over-predicted non-tie (missing expected collaboration)", "over-predicted")
        else:
            out = np.where(binary & tie, "under-predicted tie (unexpected collaboration)", "under-predicted")
        return [str(x) for x in out]
    if rule in ("extreme_x", "extreme_y"):
        var = frame["variable"].astype(str).to_numpy() if "variable" in frame.columns else \
            np.full(len(frame), "the outcome" if rule == "extreme_y" else "x")
        sdu = frame["sd_units"].to_numpy(float) if "sd_units" in frame.columns else np.full(len(frame), np.nan)
        # Format each distinct (variable, SD) once: the same strings case_label builds.
        keys = pd.DataFrame({"v": var, "z": sdu})
        uniq = keys.drop_duplicates()
        text = {(v, z if np.isfinite(z) else "nan"): (
            f"extreme on {v}" if not np.isfinite(z) else
            f"extreme on {v} ({z:+.1f} SD {'above' if z >= 0 else 'below'} the mean)")
            for v, z in zip(uniq["v"], uniq["z"])}
        return [text[(v, z if np.isfinite(z) else "nan")] for v, z in zip(var, sdu)]
    return [case_label(r, rule, binary) for r in frame.to_dict("records")]
