"""The case-comparison joint display: selected cases side by side, numbers beside themes.

For an explanatory sequential design, Guetterman, Fetters & Creswell (2015) describe joint
displays that list the cases chosen from the quantitative strand with what the qualitative
strand found in each. Tandem's case comparison (quant.md §6) has one row per selected city or
dyad: how it was selected (``selection_rule``, ``rule_parameters``: the residual rule of
``quant.cases.typical_deviant.select_cases``, Lieberman 2005), its observed and fitted values and residual, the
values of the model's covariates ("key X"), the codes of its coded passages (``qual_themes``)
and the researcher's meta-inference with its note (``mixed.meta``; Fetters, Curry & Creswell
2013).

References
----------
Guetterman, T. C., Fetters, M. D. & Creswell, J. W. (2015). *Annals of Family Medicine* 13(6):
554–561.
Fetters, M. D., Curry, L. A. & Creswell, J. W. (2013). *Health Services Research* 48(6 Pt 2):
2134–2156.
Lieberman, E. S. (2005). *American Political Science Review* 99(3): 435–452.
"""
from __future__ import annotations

import math
import re

import pandas as pd
from sqlalchemy.orm import Session

from coding.tree import codebook as read_codebook
from i18n import _
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex, dyad_label
from mixed.meta import meta_lookup
from mixed.units import unit_level, unit_row

__all__ = ["COMPARISON_COLUMNS", "case_comparison", "x_variables"]

#: Columns of :func:`case_comparison`, in order.
COMPARISON_COLUMNS = [
    "case_id", "label", "selection_rule", "rule_parameters", "y", "fitted", "residual", "residual_type",
    "key_x", "qual_themes", "n_passages", "meta_inference", "note", "meta_author", "meta_updated",
]
_BINARY = ("logit", "probit")
_IDENT = re.compile(r"[^\W\d]\w*")
_ID_COLUMNS = {"city", "code", "city_a", "city_b"}


def x_variables(result, columns) -> list[str]:
    """Covariates of a fit that are columns of a table, in formula order.

    The identifiers on the right of ``~`` in ``result.meta["design_formula"]`` (the formula
    after node-attribute operators were rewritten to columns) or else ``result.formula``, kept
    when they name a column of the table and are neither the outcome nor a unit id.

    Parameters
    ----------
    result : quant.models.results.FitResult
    columns : iterable of str
        Column names of the fit's data table.

    Returns
    -------
    list of str
    """
    formula = str(result.meta.get("design_formula") or result.formula)
    lhs, _sep, rhs = formula.partition("~")
    outcome = set(_IDENT.findall(lhs))
    cols = {str(c) for c in columns}
    out: list[str] = []
    for name in _IDENT.findall(rhs):
        if name in cols and name not in outcome and name not in _ID_COLUMNS and name not in out:
            out.append(name)
    return out


def _x_lookup(result, level: str, data: pd.DataFrame | None, session: Session) -> tuple[dict, list[str], str]:
    """``({unit id: {variable: value}}, variables, note)`` from ``data`` or the project's table."""
    note = ""
    if data is None:
        from quant.runs.analysis import dimension_data

        try:
            data = dimension_data(session, result.dimension)
        except ValueError as exc:  # QuantError: the project holds no table for the dimension
            return {}, [], _("Key X values unavailable: {reason}").format(reason=exc)
    frame = data.copy()
    if level == "city" and "city" not in frame.columns and "code" in frame.columns:
        frame = frame.rename(columns={"code": "city"})
    need = ["city"] if level == "city" else ["city_a", "city_b"]
    if any(c not in frame.columns for c in need):
        return {}, [], _("Key X values unavailable: the data table has no {names} column.").format(
            names=" / ".join(need))
    variables = x_variables(result, frame.columns)
    if not variables:
        note = (_("Key X values unavailable: none of the formula's covariates is a stored column of the "
                  "project's {dimension} table.").format(dimension=result.dimension))
    lookup = {}
    for rec in frame[need + variables].to_dict("records"):
        key = str(rec["city"]) if level == "city" else "-".join(sorted((str(rec["city_a"]), str(rec["city_b"]))))
        lookup[key] = {v: rec[v] for v in variables}
    return lookup, variables, note


def _rule_parameters(row: dict, kind: str, c, n_typical, binary: bool) -> str:
    r = abs(float(row["pearson"]))
    if "typical" not in kind and "deviant" not in kind:  # another rule (its text), or chosen by hand
        rule = row.get("rule")
        return str(rule) if isinstance(rule, str) and rule else f"|r| = {r:.2f}"
    if c is None:
        return f"|r| = {r:.2f}"
    if "deviant" in kind:
        text = f"|r| = {r:.2f} > c = {c:g}"
        if binary and "non-tie" in kind:
            text += _("; a non-tie is deviant iff p̂ > {p:.3g}").format(p=c * c / (1 + c * c))
        elif binary and "tie" in kind:
            text += _("; a tie is deviant iff p̂ < {p:.3g}").format(p=1 / (1 + c * c))
        return text
    text = f"|r| = {r:.2f} ≤ c = {c:g}"
    if n_typical is not None:
        text += (_("; among the {n} smallest |r| of its outcome class") if binary
                 else _("; among the {n} smallest |r|")).format(n=int(n_typical))
    return text


def case_comparison(
    session: Session,
    result,
    cases: pd.DataFrame,
    *,
    c: float | None = None,
    n_typical: int | None = None,
    data: pd.DataFrame | None = None,
    index: EvidenceIndex | None = None,
) -> pd.DataFrame:
    """One row per selected case: selection, numbers, key X, themes and meta-inference.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    result : quant.models.results.FitResult
        The fit the cases were selected from.
    cases : pandas.DataFrame
        Selected cases, usually ``mixed.cases.case_table`` output (any subset of its rows);
        needs the unit id column(s); ``case_type``, ``cell``, ``y``, ``fitted`` and ``pearson``
        are taken from the fit when absent.
    c, n_typical : float, int, optional
        The selection settings, for ``rule_parameters``; default ``cases.attrs`` (set by
        ``case_table``).
    data : pandas.DataFrame, optional
        The table the model was fitted on, for the key X values; default the project's table of
        the dimension (``quant.runs.analysis.dimension_data``).
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARISON_COLUMNS`, cases in the given order: ``case_id`` (city code or
        ``"a-b"``), ``label`` (name(s)), ``selection_rule`` (``cell`` for binary models, e.g.
        "deviant tie", else ``case_type``), ``rule_parameters`` (e.g. ``"|r| = 2.31 > c = 2"``),
        ``y``, ``fitted`` (ŷ or p̂), ``residual`` and ``residual_type`` (the fit's residual,
        Pearson), ``key_x`` (dict variable → value; see :func:`x_variables`), ``qual_themes``
        (names of the codes of the case's passages, codebook order; a city's passages include
        those linked to its dyads), ``n_passages``, ``meta_inference`` and ``note`` (stored for
        display ``"case"``; ``""`` if none), ``meta_author`` and ``meta_updated``.
        ``df.attrs`` holds ``dimension``, ``model``, ``formula``, ``x_variables`` and
        ``x_note`` (why key X is empty, or ``""``).

    Raises
    ------
    MixedError
        If the cases lack unit ids, or a case is not a unit of the fit.
    """
    level = unit_level(result)
    need = ["city"] if level == "city" else ["city_a", "city_b"]
    if any(col not in cases.columns for col in need):
        raise MixedError(_("The selected cases lack the id column(s) {names} of the {dimension} fit.")
                         .format(names=', '.join(need), dimension=result.dimension))
    c = cases.attrs.get("c") if c is None else c
    n_typical = cases.attrs.get("n_typical") if n_typical is None else n_typical
    if c is not None and (not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0):
        raise MixedError(_("cut-off c = {c!r} must be a positive finite number.").format(c=c))
    idx = index if index is not None else EvidenceIndex.from_session(session)
    xs, variables, x_note = _x_lookup(result, level, data, session)
    judged = meta_lookup(session, "case", result.dimension)
    book = read_codebook(session)
    position = {int(i): k for k, i in enumerate(book["id"])}
    names = dict(zip(book["id"].astype(int), book["name"].astype(str)))
    code_of = dict(zip(idx.frame["coding_id"].astype(int), idx.frame["code_id"].astype(int)))
    binary = result.model in _BINARY
    resid_type = str(result.meta.get("residual", "Pearson residual"))
    rows = []
    for rec in cases.to_dict("records"):
        if level == "city":
            unit = str(rec["city"])
            direct, via = idx.city(unit)
            ids, label = direct + via, idx.names.get(unit, unit)
        else:
            a, b = sorted((str(rec["city_a"]), str(rec["city_b"])))
            unit = f"{a}-{b}"
            ids, label = idx.dyad(a, b), dyad_label(a, b, idx.names)
        if any(k not in rec or pd.isna(rec[k]) for k in ("y", "fitted", "pearson")):
            found = unit_row(result, unit if level == "city" else (a, b), level)
            rec = {**rec, "y": found["y"], "fitted": found["fitted"], "pearson": found["pearson"]}
        kind = rec.get("cell")
        if kind is None or (isinstance(kind, float) and pd.isna(kind)) or not str(kind):
            kind = rec.get("case_type") or "selected"
        kind = str(kind)
        themes = sorted({code_of[i] for i in ids if i in code_of}, key=lambda k: (position.get(k, 1 << 30), k))
        meta = judged.get(unit, {})
        rows.append({
            "case_id": unit,
            "label": label,
            "selection_rule": kind,
            "rule_parameters": _rule_parameters(rec, kind, c, n_typical, binary),
            "y": float(rec["y"]),
            "fitted": float(rec["fitted"]),
            "residual": float(rec["pearson"]),
            "residual_type": resid_type,
            "key_x": dict(xs.get(unit, {})),
            "qual_themes": [names.get(k, str(k)) for k in themes],
            "n_passages": len(ids),
            "meta_inference": meta.get("label", ""),
            "note": meta.get("note", ""),
            "meta_author": meta.get("author", ""),
            "meta_updated": meta.get("updated"),
        })
    df = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    df.attrs.update(dimension=result.dimension, model=result.model, formula=result.formula,
                    x_variables=variables, x_note=x_note)
    return df
