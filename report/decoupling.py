"""The decoupling section of a report draft: the saved runs of the three dimensions side by side.

Two tables, both read from saved runs (nothing is refitted):

* the decoupling table of ``mixed.decoupling.decoupling_table`` — one row per Needs–Supply
  factor (then the controls the runs share), one column per run, laid out as a journal table:
  the estimate with significance marks, below it the confidence interval in brackets and the
  model term the factor is mapped to, "—" where the factor is not in that run's model; the note
  names each run's SE type and explains the marks;
* every estimate of the runs in the journal layout of ``report.tables.regression_table`` (one
  column per run, coefficients with marks, SEs in parentheses, N / nodes / log-likelihood).

Marks: one ``*`` per level of ``stars`` that the two-sided p (under the run's own SE type and
reference distribution) is strictly below (default .05/.01/.001).
"""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.orm import Session

from report.run_sections import is_run, optional_module, result_of
from report.tables import DEFAULT_STARS, fmt_num, regression_table, star_string, stars_note, to_markdown

__all__ = ["decoupling_section", "factor_table"]


def _label(key, item) -> str:
    name = item.info.name if is_run(item) else "unsaved fit"
    return f"{str(key).capitalize()}: {name}"


def _finite(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def factor_table(wide: pd.DataFrame, items: dict, *, stars=DEFAULT_STARS, digits: int = 3) -> dict:
    """``mixed.decoupling.decoupling_table`` output in journal layout.

    Parameters
    ----------
    wide : pandas.DataFrame
        ``decoupling_table(session, runs)``.
    items : dict of str to quant.runs.saved.Run
        The runs, keyed by dimension, in column order.
    stars : sequence of float
        Levels of the marks.
    digits : int
        Decimals of estimates and interval limits.

    Returns
    -------
    dict
        ``columns`` (``"Factor"``, ``"Passages"``, one ``"<Dimension>: <run name>"`` per run),
        ``rows`` (three per display row: estimate with marks, ``[low, high]``, the term),
        ``n_coef_rows``, ``note`` and ``markdown``.
    """
    dims = [d for d in items if f"{d} estimate" in wide.columns]
    level = f"{100 * (1 - float(wide.attrs.get('alpha', 0.05))):g}%"
    columns = ["Factor", "Passages"] + [_label(d, items[d]) for d in dims]
    rows: list[list[str]] = []
    for label, r in wide.iterrows():
        est, ci, term = [str(label), str(int(r["n_passages"]))], ["", ""], ["", ""]
        for d in dims:
            if r[f"{d} term"] is None or not _finite(r[f"{d} estimate"]):
                est.append("—")
                ci.append("")
                term.append("")
                continue
            p = r[f"{d} p"]
            est.append(fmt_num(r[f"{d} estimate"], digits) + (star_string(float(p), stars) if _finite(p) else ""))
            ci.append(f"[{fmt_num(r[f'{d} ci_low'], digits)}, {fmt_num(r[f'{d} ci_high'], digits)}]")
            term.append(str(r[f"{d} term"]))
        rows += [est, ci, term]
    n_coef = len(rows)
    rows.append(["N", ""] + [f"{int(result_of(items[d]).n):,}" for d in dims])
    labels = wide.attrs.get("se_labels", {})
    se_part = "; ".join(f"{_label(d, items[d])}: {labels.get(d, '')}" for d in dims)
    note = (f"Each column is one saved run, with its own standard errors ({se_part}). Below each estimate: its "
            f"{level} confidence interval and the model term the factor is mapped to; — : the factor is not in "
            f"that run's model. Passages: coded passages of the factor and its sub-codes. Two-sided p; "
            f"{stars_note(stars)}.")
    frame = pd.DataFrame(rows, columns=columns)
    return {"columns": columns, "rows": rows, "n_coef_rows": n_coef, "note": note, "markdown": to_markdown(frame)}


def decoupling_section(session: Session, items: dict, *, se_type: str | None = None, stars=DEFAULT_STARS,
                       digits: int = 3, alpha: float = 0.05) -> dict:
    """The runs side by side: the decoupling table and every estimate in journal layout.

    Parameters
    ----------
    session : Session
    items : dict of str to Run or FitResult
        Dimension → run, in report order.
    se_type : str, optional
        SE type of the all-estimates table where the run has it, else each run's own (the
        decoupling table always uses each run's own, as ``mixed.decoupling`` does).
    stars : sequence of float
        Significance levels of the marks (explained in the notes).
    digits : int
        Decimals of estimates, SEs and intervals.
    alpha : float
        1 − confidence level of the decoupling table's intervals.

    Returns
    -------
    dict
        ``factors`` (:func:`factor_table`; None when ``mixed.decoupling`` is absent or no run is
        saved), ``factors_note`` (a sentence when it is not shown), ``table`` (every estimate:
        ``columns``, ``rows``, ``n_coef_rows``, ``note``, ``markdown``; None without runs).
    """
    if not items:
        return {"factors": None, "factors_note": "", "table": None}
    results = [result_of(v) for v in items.values()]
    labels = [_label(k, v) for k, v in items.items()]
    keys = {se_type if se_type is not None and se_type in r.se else r.se_type for r in results}
    table = regression_table(results, keys.pop() if len(keys) == 1 else None, stars, digits=digits, labels=labels)
    view = {"columns": [str(c) for c in table.columns],
            "rows": [[str(v) for v in r] for r in table.itertuples(index=False)],
            "n_coef_rows": int(table.attrs["n_coef_rows"]),
            "note": table.attrs["note"] + " Each column is one saved run, named in its heading.",
            "markdown": to_markdown(table)}
    saved = {k: v for k, v in items.items() if is_run(v)}
    module = optional_module("mixed.decoupling")
    factors, note = None, ""
    if module is None:
        note = "The decoupling table is not available in this installation (mixed.decoupling)."
    elif not saved:
        note = "The decoupling table is drawn from saved runs only."
    else:
        wide = module.decoupling_table(session, saved, alpha=alpha)
        if len(wide):
            factors = factor_table(wide, saved, stars=stars, digits=digits)
        else:
            note = "No Needs–Supply factor is in these runs' models, so the decoupling table is empty."
    return {"factors": factors, "factors_note": note, "table": view}
