"""Report pieces for the statistics-by-themes and case-comparison joint displays.

Each function turns ``mixed`` output (``mixed.themes.themes_display``,
``mixed.comparison.case_comparison``) into plain display strings plus a Markdown table, so the
templates and the DOCX writer only lay them out (Guetterman, Fetters & Creswell 2015; meta-
inference labels after Fetters, Curry & Creswell 2013).
"""
from __future__ import annotations

import math

import pandas as pd

from report.sections import meta_view
from report.tables import fmt_num, to_markdown

__all__ = ["comparison_section", "format_x", "themes_section"]


def themes_section(display: pd.DataFrame) -> dict:
    """Header, rows and a Markdown table for one statistics-by-themes display.

    Parameters
    ----------
    display : pandas.DataFrame
        Output of ``mixed.themes.themes_display``.

    Returns
    -------
    dict
        ``grouping``, ``rule`` (the grouping rule in words), ``n_units`` (units with coded
        evidence), ``n_fit_units``, ``unit`` ("cities" | "dyads"), ``columns`` (``"Theme"``, then
        each group as ``"label (N = n)"`` and ``"All (N = n)"``), ``rows`` (lists of strings:
        the theme, indented by two spaces per level below the top, then the ``"n (p%)"`` cells)
        and ``markdown``.
    """
    attrs = display.attrs
    groups = list(attrs["groups"])
    sizes = attrs["sizes"]
    columns = ["Theme"] + [f"{g} (N = {sizes[g]})" for g in groups] + [f"All (N = {sizes['all']})"]
    rows = [
        ["\u00a0\u00a0" * int(r["depth"]) + str(r["theme"])] + [str(r[g]) for g in groups] + [str(r["all"])]
        for r in display.to_dict("records")
    ]
    table = pd.DataFrame(rows, columns=columns)
    return {
        "grouping": attrs["grouping"],
        "rule": attrs["rule"],
        "n_units": int(attrs["n_units"]),
        "n_fit_units": int(attrs["n_fit_units"]),
        "unit": "cities" if attrs.get("level") == "city" else "dyads",
        "columns": columns,
        "rows": rows,
        "markdown": to_markdown(table),
    }


def format_x(values: dict, digits: int = 3) -> str:
    """``"log_gravity = 1.23; same_province = 1"``: key X values, numbers to ``digits``
    significant digits (whole numbers as integers), in the given order."""
    parts = []
    for name, v in values.items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            text = "NA"
        elif isinstance(v, (int, float)) and float(v).is_integer() and abs(float(v)) < 1e15:
            text = str(int(v))
        elif isinstance(v, (int, float)):
            text = f"{float(v):.{digits}g}"
        else:
            text = str(v)
        parts.append(f"{name} = {text}")
    return "; ".join(parts)


def comparison_section(comparison: pd.DataFrame, *, digits: int = 3) -> dict:
    """Rows and a Markdown table for one case-comparison display.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Output of ``mixed.comparison.case_comparison``.
    digits : int
        Decimals of fitted values and residuals.

    Returns
    -------
    dict
        ``rows`` (dicts: ``case_id``, ``label``, ``selection_rule``, ``rule_parameters``,
        ``y``, ``fitted``, ``residual``, ``residual_type``, ``key_x`` (:func:`format_x`),
        ``themes`` (code names joined by ``"; "``), ``n_passages`` and the fields of
        ``report.sections.meta_view``), ``x_note``, ``residual_type`` and ``markdown``.
    """
    rows = []
    for r in comparison.to_dict("records"):
        rows.append({
            "case_id": str(r["case_id"]),
            "label": str(r["label"]),
            "selection_rule": str(r["selection_rule"]),
            "rule_parameters": str(r["rule_parameters"]),
            "y": f"{float(r['y']):g}",
            "fitted": fmt_num(r["fitted"], digits),
            "residual": fmt_num(r["residual"], 2),
            "residual_type": str(r["residual_type"]),
            "key_x": format_x(r["key_x"] or {}),
            "themes": "; ".join(r["qual_themes"]) if len(r["qual_themes"]) else "—",
            "n_passages": int(r["n_passages"]),
            **meta_view(r["meta_inference"], r["note"], r["meta_author"], r["meta_updated"]),
        })
    table = pd.DataFrame(
        [[row["label"], row["case_id"], row["selection_rule"], row["rule_parameters"], row["y"], row["fitted"],
          row["residual"], row["key_x"], row["themes"], row["meta_inference"], row["note"]] for row in rows],
        columns=["Case", "Id", "Selection", "Rule parameters", "y", "Fitted", "Residual", "Key X",
                 "Themes", "Meta-inference", "Note"],
    )
    residual_type = rows[0]["residual_type"] if rows else ""
    return {
        "rows": rows,
        "x_note": str(comparison.attrs.get("x_note", "")),
        "residual_type": residual_type,
        "markdown": to_markdown(table),
    }
