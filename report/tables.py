"""Regression tables in the usual journal layout, and dependency-free Markdown/HTML renderers.

Journal layout: one column per model; per term a row with the coefficient and significance
stars and a row below with the standard error in parentheses; the number of units, nodes and the
log-likelihood at the bottom; a note naming the standard-error type of each column and the star
levels. ``to_markdown`` / ``to_html`` render any small DataFrame without ``tabulate``; ``to_html``
escapes every cell (``markupsafe``). The downloads (CSV, LaTeX, DOCX) are ``report.table_export``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from markupsafe import Markup, escape

from i18n import _
from report.errors import ReportError

__all__ = ["DEFAULT_STARS", "STAT_ROWS", "fmt_num", "regression_table", "star_string", "stars_note", "to_html",
           "to_markdown"]

#: Rows that may close a regression table, in this order.
STAT_ROWS = ("N", "Nodes", "Log-likelihood", "AIC", "BIC")
#: Significance levels for *, **, *** (two-sided p strictly below each).
DEFAULT_STARS = (0.05, 0.01, 0.001)
#: Parameters listed after the substantive terms.
_TAIL_TERMS = ("Intercept", "const", "alpha")


def _check_stars(stars: Sequence[float]) -> tuple[float, ...]:
    levels = tuple(float(s) for s in stars)
    if any(not 0.0 < s < 1.0 for s in levels) or any(a <= b for a, b in zip(levels, levels[1:])):
        raise ReportError(
            _("stars {value!r} must be significance levels in (0, 1), strictly decreasing (e.g. (0.05, 0.01, 0.001)).")
            .format(value=tuple(stars))
        )
    return levels


def star_string(p: float, stars: Sequence[float] = DEFAULT_STARS) -> str:
    """Stars for a p-value: one ``*`` per level in ``stars`` that ``p`` is strictly below.

    Parameters
    ----------
    p : float
        Two-sided p-value; NaN gives ``""``.
    stars : sequence of float
        Strictly decreasing levels in (0, 1); default (0.05, 0.01, 0.001).

    Returns
    -------
    str
        ``""``, ``"*"``, ``"**"``, ... (at most ``len(stars)``).

    Raises
    ------
    ReportError
        If ``stars`` is not strictly decreasing within (0, 1).
    """
    levels = _check_stars(stars)
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "*" * sum(1 for s in levels if p < s)


def stars_note(stars: Sequence[float] = DEFAULT_STARS) -> str:
    """The legend, e.g. ``"* p < 0.05, ** p < 0.01, *** p < 0.001"``."""
    levels = _check_stars(stars)
    return ", ".join(f"{'*' * (i + 1)} p < {s:g}" for i, s in enumerate(levels))


def fmt_num(x, digits: int = 3) -> str:
    """A number with ``digits`` decimals (``""`` for None/NaN, ``"−0.000"`` never: signed zero dropped)."""
    if x is None:
        return ""
    x = float(x)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def _ordered_terms(results) -> list[str]:
    seen: list[str] = []
    for r in results:
        for t in r.params.index:
            if str(t) not in seen:
                seen.append(str(t))
    body = [t for t in seen if t not in _TAIL_TERMS]
    tail = [t for t in _TAIL_TERMS if t in seen]
    return body + tail


def regression_table(
    results,
    se_type: str | None = None,
    stars: Sequence[float] = DEFAULT_STARS,
    *,
    digits: int = 3,
    labels: Sequence[str] | None = None,
    stats: Sequence[str] = ("N", "Nodes", "Log-likelihood"),
) -> pd.DataFrame:
    """A regression table in journal layout (coefficients with stars, SEs in parentheses).

    Parameters
    ----------
    results : sequence of quant.models.results.FitResult
        One column per fit, in order.
    se_type : str, optional
        SE type for every column (a key of each ``result.se``); default: each fit's own
        ``se_type``.
    stars : sequence of float
        Strictly decreasing significance levels; a coefficient gets one ``*`` per level its
        two-sided p-value is strictly below (default .05/.01/.001). p comes from
        ``FitResult.table`` (z = estimate / SE against the standard normal, or t with N − 1 df
        for fits with ``p_dist="t"``; the note says which).
    digits : int
        Decimals of coefficients and SEs.
    labels : sequence of str, optional
        Column labels; default ``"(1) connection (logit)"`` style.
    stats : sequence of str
        Bottom rows, any of ``STAT_ROWS`` ("N", "Nodes", "Log-likelihood", "AIC", "BIC").

    Returns
    -------
    pandas.DataFrame, (2·terms + len(stats), 1 + len(results))
        Column ``term`` then one string column per fit. For each term (substantive terms in
        order of first appearance, then ``Intercept``/``const``/``alpha``) one row
        ``[term, "0.123**", ...]`` and one row ``["", "(0.045)", ...]`` (blank where a fit lacks
        the term); then rows ``N``, ``Nodes`` and ``Log-likelihood``. ``df.attrs`` holds
        ``note`` (the SE type of each column and the star legend), ``se_labels`` (one per
        column), ``stars`` and ``n_coef_rows`` (rows before the bottom block).

    Raises
    ------
    ReportError
        If ``results`` is empty, ``labels`` has the wrong length, ``stars`` is malformed or a
        ``stats`` row is unknown.
    quant.QuantError
        If ``se_type`` was not computed for a fit.
    """
    results = list(results)
    if not results:
        raise ReportError(_("regression_table needs at least one fitted model."))
    levels = _check_stars(stars)
    bad = [x for x in stats if x not in STAT_ROWS]
    if bad:
        raise ReportError(_("unknown table row(s) {names}; choose from {names2}.")
                          .format(names=', '.join(map(repr, bad)), names2=', '.join(STAT_ROWS)))
    if labels is None:
        labels = [f"({i}) {r.dimension} ({r.model})" for i, r in enumerate(results, start=1)]
    labels = [str(x) for x in labels]
    if len(labels) != len(results) or len(set(labels)) != len(labels):
        raise ReportError(_("labels must be {n} distinct names, got {labels!r}.")
                          .format(n=len(results), labels=labels))
    tables = [r.table(se_type) for r in results]
    terms = _ordered_terms(results)
    rows: list[list[str]] = []
    for term in terms:
        coef, se = [term], [""]
        for tab in tables:
            if term in tab.index:
                t = tab.loc[term]
                coef.append(fmt_num(t["estimate"], digits) + star_string(float(t["p"]), levels))
                s = fmt_num(t["se"], digits)
                se.append(f"({s})" if s else "(n/a)")
            else:
                coef.append("")
                se.append("")
        rows += [coef, se]
    n_coef = len(rows)
    bottom = {
        "N": lambda r: f"{int(r.n):,}",
        "Nodes": lambda r: "" if r.n_nodes is None else f"{int(r.n_nodes):,}",
        "Log-likelihood": lambda r: fmt_num(r.llf, 2),
        "AIC": lambda r: fmt_num(r.aic, 2),
        "BIC": lambda r: fmt_num(r.bic, 2),
    }
    for key in stats:
        rows.append([key] + [bottom[key](r) for r in results])
    df = pd.DataFrame(rows, columns=["term"] + labels)
    keys = [r.se_type if se_type is None else se_type for r in results]
    se_labels = [r.se_labels.get(k, k) for r, k in zip(results, keys)]
    if len(set(se_labels)) == 1:
        se_part = _("Standard errors in parentheses: {se}.").format(se=se_labels[0])
    else:
        se_part = _("Standard errors in parentheses: {se}.").format(
            se="; ".join(f"{lab}: {s}" for lab, s in zip(labels, se_labels)))
    p_labels = [getattr(r, "p_label", lambda: _("standard normal"))() for r in results]
    if len(set(p_labels)) == 1:
        p_part = (_("Two-sided p from the {dist}") if p_labels[0] == _("standard normal") else
                  _("Two-sided p from {dist}")).format(dist=p_labels[0])
    else:
        p_part = _("Two-sided p from {dist}").format(dist="; ".join(f"{lab}: {p}" for lab, p in zip(labels, p_labels)))
    df.attrs.update(
        note=_("{se} {p}; {stars}.").format(se=se_part, p=p_part, stars=stars_note(levels)),
        se_labels=se_labels,
        stars=levels,
        n_coef_rows=n_coef,
    )
    return df


def _md_cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return text.replace("|", "\\|")


def to_markdown(df: pd.DataFrame, *, index: bool = False) -> str:
    """A GitHub-flavoured Markdown pipe table of ``df`` (no ``tabulate`` needed).

    Cells are ``str(value)`` with ``|`` escaped as ``\\|`` and line breaks turned into spaces;
    None/NaN give empty cells. Text is otherwise literal (Markdown is a draft for editing).

    Parameters
    ----------
    df : pandas.DataFrame
    index : bool
        Include the index as the first column.

    Returns
    -------
    str
        Header line, separator line and one line per row, joined by ``\\n`` (no trailing newline).
    """
    frame = df.reset_index() if index else df
    header = "| " + " | ".join(_md_cell(c) for c in frame.columns) + " |"
    sep = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, sep, *body])


def to_html(df: pd.DataFrame, *, index: bool = False, caption: str | None = None,
            note: str | None = None, css_class: str = "table") -> Markup:
    """An HTML ``<table>`` of ``df`` with every header, cell, caption and note escaped.

    Parameters
    ----------
    df : pandas.DataFrame
    index : bool
        Include the index as the first column.
    caption, note : str, optional
        A ``<caption>`` and a ``<tfoot>`` note spanning all columns.
    css_class : str
        The table's ``class`` attribute.

    Returns
    -------
    markupsafe.Markup
        A ``str`` subclass, safe to place in an autoescaping jinja2 template as is.
    """
    frame = df.reset_index() if index else df
    ncol = len(frame.columns)

    def cell(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        return str(escape(str(v)))

    parts = [f'<table class="{escape(css_class)}">']
    if caption:
        parts.append(f"<caption>{escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{cell(c)}</th>" for c in frame.columns) + "</tr></thead>")
    parts.append("<tbody>")
    for row in frame.itertuples(index=False):
        parts.append("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>")
    parts.append("</tbody>")
    if note:
        parts.append(f'<tfoot><tr><td colspan="{ncol}">{escape(note)}</td></tr></tfoot>')
    parts.append("</table>")
    return Markup("\n".join(parts))
