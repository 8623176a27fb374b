"""The agreement table: one row per code and a pooled row, with bootstrap intervals.

The pooled row stacks every code's units (a unit x code pair is one rating), which is how
"pooled over codes" is read for kappa (de Vries et al. 2008 call it the pooled kappa); it is
not the mean of the per-code values.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from coding.agreement.bootstrap import percentile_interval
from coding.agreement.coefficients import COEFFICIENTS, coefficients_batch

__all__ = ["HEADERS", "POOLED", "TABLE_COLUMNS", "agreement_table", "readable"]

POOLED = "(all codes, pooled)"
CI_OF = ("cohen_kappa", "fleiss_kappa", "alpha")
TABLE_COLUMNS = ["code", "units", "both", "only_first", "only_second", "neither", "pct_agreement",
                 "cohen_kappa", "cohen_kappa_low", "cohen_kappa_high", "fleiss_kappa", "fleiss_kappa_low",
                 "fleiss_kappa_high", "alpha", "alpha_low", "alpha_high", "gwet_ac1", "brennan_prediger"]


def _rows(names: Sequence[str], patterns: np.ndarray, counts: np.ndarray, replicates: int, seed: int,
          alphas: Sequence[float | None], categories: tuple) -> list[dict]:
    """Rows for ``counts`` (G, R, k): R tables sharing the patterns, bootstrapped on the same draws."""
    g, r, k = counts.shape

    def stat(w: np.ndarray) -> dict[str, np.ndarray]:  # w: (b, R, k) -> arrays (b, R)
        out = coefficients_batch(patterns, w.reshape(-1, k), categories)
        return {name: out[name].reshape(w.shape[0], r) for name in CI_OF}

    point = coefficients_batch(patterns, counts.sum(axis=0), categories)
    ci = percentile_interval(stat, counts, CI_OF, replicates, seed)
    rows = []
    for j, name in enumerate(names):
        row = {"code": name, **{key: float(point[key][j]) if key in point else np.nan
                                for key in ("units", "both", "only_first", "only_second", "neither", *COEFFICIENTS)}}
        if alphas[j] is not None:
            row["alpha"] = alphas[j]
        for key in CI_OF:
            row[f"{key}_low"], row[f"{key}_high"] = float(ci[key][0][j]), float(ci[key][1][j])
        rows.append(row)
    return rows


def agreement_table(patterns: np.ndarray, counts: np.ndarray, code_names: Sequence[str], *, replicates: int,
                    seed: int, alphas: Sequence[float] | None = None, pooled_alpha: float | None = None,
                    categories: tuple = (0, 1), pooled: bool = True) -> pd.DataFrame:
    """Coefficients per code and pooled, with percentile bootstrap intervals.

    Parameters
    ----------
    patterns : array (k, m)
        Distinct rating patterns (see ``coding.agreement.coefficients``).
    counts : array (G, C, k)
        Pattern weights per cluster (the resampled unit: document or unit) and code.
    code_names : sequence of str
        ``C`` names, in the order of ``counts``' second axis.
    replicates, seed : int
        Bootstrap replicates (0: no intervals) and the seed.
    alphas, pooled_alpha : optional
        Alpha values computed elsewhere (the ``krippendorff`` package) replacing the point
        estimates; the intervals still come from the coincidence formula, which equals it.
    categories : tuple
        The rating values (``(0, 1)``: presence; ``range(C)`` for codes as one variable).
    pooled : bool
        Add the pooled row (stacking the codes).

    Returns
    -------
    DataFrame
        :data:`TABLE_COLUMNS`; ``units`` counts units rated by at least two coders;
        ``both``/``only_first``/``only_second``/``neither`` are the 2x2 cells with two coders
        (NaN otherwise); ``*_low``/``*_high`` bound the 95% interval.
    """
    names = list(code_names)
    given = list(alphas) if alphas is not None else [None] * len(names)
    counts = np.asarray(counts, dtype=float)
    if pooled and names:
        counts = np.concatenate([counts, counts.sum(axis=1, keepdims=True)], axis=1)
        names.append(POOLED)
        given.append(pooled_alpha)
    rows = _rows(names, patterns, counts, replicates, seed, given, categories) if names else []
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


HEADERS = {"code": "Code", "units": "Units", "segments": "Segments", "matched": "Matched", "unmatched": "Unmatched",
           "both": "Both coded", "only_first": "First only", "only_second": "Second only", "neither": "Neither",
           "pct_agreement": "Agreement", "cohen_kappa": "Cohen's κ", "fleiss_kappa": "Fleiss' κ",
           "alpha": "Krippendorff's α", "gwet_ac1": "Gwet's AC1", "brennan_prediger": "Brennan–Prediger"}


def _num(x: float, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "—"
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def readable(table: pd.DataFrame, *, text: bool = True) -> pd.DataFrame:
    """The agreement table for people: named columns, the 95% interval beside each coefficient.

    Parameters
    ----------
    table : DataFrame
        From ``coding.agreement.agreement``.
    text : bool
        True: formatted strings (agreement in %, coefficients to 3 decimals, ``[low, high]``
        intervals, "—" where undefined) for display. False: numbers under the same headings plus
        ``… low``/``… high`` columns, for CSV/XLSX.

    Returns
    -------
    DataFrame
        Columns only for what applies (Cohen's kappa and the 2x2 cells only with two coders).
    """
    two = len(table.attrs.get("coders", [])) == 2
    segment = "segments" in table.columns
    keys = ["code", "segments", "matched", "unmatched", "pct_agreement"] if segment else \
        ["code", "units", *(["both", "only_first", "only_second", "neither"] if two else []), "pct_agreement",
         *(["cohen_kappa"] if two else []), "fleiss_kappa", "alpha", "gwet_ac1", "brennan_prediger"]
    with_ci = {"pct_agreement"} if segment else {"cohen_kappa", "fleiss_kappa", "alpha"}
    out = {}
    for k in keys:
        col = table[k]
        if not text:
            out[HEADERS[k]] = col
            if k in with_ci:
                out[f"{HEADERS[k]} 95% low"] = table[f"{k}_low"]
                out[f"{HEADERS[k]} 95% high"] = table[f"{k}_high"]
        elif k == "code":
            out[HEADERS[k]] = col
        elif k in ("units", "segments", "matched", "unmatched", "both", "only_first", "only_second", "neither"):
            out[HEADERS[k]] = [("—" if np.isnan(v) else f"{int(v):,}") for v in col.astype(float)]
        else:
            pct = k == "pct_agreement"
            out[HEADERS[k]] = [_num(v, pct) for v in col]
            if k in with_ci:
                out[f"{HEADERS[k]} 95% CI"] = [
                    "—" if np.isnan(lo) else f"[{_num(lo, pct)}, {_num(hi, pct)}]"
                    for lo, hi in zip(table[f"{k}_low"], table[f"{k}_high"])]
    return pd.DataFrame(out)
