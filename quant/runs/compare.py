"""Saved runs side by side: the terms × runs table of ``estimate (SE)`` with significance stars,
and the formatting of p-values shared by the command line and the Runs page.

Each run is reported under its own SE type and p-value distribution (``quant.runs.saved.compare_runs``
gives the long form); stars follow the usual convention of the applied literature
(* p < 0.05, ** p < 0.01, *** p < 0.001).
"""
from __future__ import annotations

import math

import pandas as pd

__all__ = ["STARS", "stars", "format_p", "format_cell", "compare_wide", "compare_records"]

#: (threshold, stars), strictest first.
STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def stars(p) -> str:
    """``"***"``, ``"**"``, ``"*"`` or ``""`` for a p-value (NaN or None: ``""``)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    for cut, mark in STARS:
        if p < cut:
            return mark
    return ""


def format_p(p) -> str:
    """A p-value for reading: ``"<0.001"``, else three decimals (``"0.042"``); ``"—"`` when missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def format_cell(estimate, se, p, digits: int = 3) -> str:
    """``"0.512 (0.101)***"``; ``"—"`` for a term the run does not have, ``"(—)"`` for a missing SE."""
    if estimate is None or (isinstance(estimate, float) and math.isnan(estimate)):
        return "—"
    shown_se = "—" if se is None or (isinstance(se, float) and math.isnan(se)) else f"{se:.{digits}f}"
    return f"{estimate:.{digits}f} ({shown_se}){stars(p)}"


def compare_wide(long: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Terms × runs from the long form of ``quant.runs.saved.compare_runs``.

    Parameters
    ----------
    long : DataFrame
        Columns ``run, se_type, term, estimate, se, p`` (one row per run and term).
    digits : int
        Decimals of estimates and SEs.

    Returns
    -------
    DataFrame
        Index ``term`` (in order of first appearance), one column per run (in the order given),
        cells ``"estimate (SE)stars"`` or ``"—"``; a last row ``"SE type"`` says which SE each
        column uses.
    """
    runs = list(dict.fromkeys(long["run"]))
    terms = list(dict.fromkeys(long["term"]))
    out = pd.DataFrame("—", index=pd.Index(terms, name="term"), columns=runs, dtype=object)
    for row in long.itertuples(index=False):
        out.loc[row.term, row.run] = format_cell(row.estimate, row.se, row.p, digits)
    se_row = long.drop_duplicates("run").set_index("run")["se_type"]
    out.loc["SE type"] = [se_row[r] for r in runs]
    return out


def compare_records(long: pd.DataFrame) -> list[dict]:
    """The long form as JSON-able records with stable keys ``run, dimension, model, se_type,
    term, estimate, se, p, ci_low, ci_high, stars`` (NaN as None)."""
    records = []
    for row in long.to_dict(orient="records"):
        rec = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for k in ("estimate", "se", "p", "ci_low", "ci_high"):
            if rec.get(k) is not None:
                rec[k] = float(rec[k])
        rec["stars"] = stars(rec.get("p"))
        records.append(rec)
    return records
