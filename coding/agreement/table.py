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

__all__ = ["POOLED", "TABLE_COLUMNS", "agreement_table"]

POOLED = "(all codes, pooled)"
CI_OF = ("cohen_kappa", "fleiss_kappa", "alpha")
TABLE_COLUMNS = ["code", "units", "both", "only_first", "only_second", "neither", "pct_agreement",
                 "cohen_kappa", "cohen_kappa_low", "cohen_kappa_high", "fleiss_kappa", "fleiss_kappa_low",
                 "fleiss_kappa_high", "alpha", "alpha_low", "alpha_high", "gwet_ac1", "brennan_prediger"]


def _row(name: str, patterns: np.ndarray, counts: np.ndarray, replicates: int, seed: int,
         alpha: float | None, categories: tuple) -> dict:
    point = {k: float(v[0]) for k, v in coefficients_batch(patterns, counts.sum(axis=0)[None, :], categories).items()}
    if alpha is not None:
        point["alpha"] = alpha
    ci = percentile_interval(lambda w: coefficients_batch(patterns, w, categories), counts, CI_OF, replicates, seed)
    row = {"code": name, **{k: point.get(k, np.nan) for k in ("units", "both", "only_first", "only_second",
                                                            "neither", *COEFFICIENTS)}}
    for k in CI_OF:
        row[f"{k}_low"], row[f"{k}_high"] = ci[k]
    return row


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
    rows = [_row(name, patterns, counts[:, j, :], replicates, seed, None if alphas is None else alphas[j], categories)
            for j, name in enumerate(code_names)]
    if pooled and len(code_names) > 0:
        rows.append(_row(POOLED, patterns, counts.sum(axis=1), replicates, seed, pooled_alpha, categories))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
