"""Node-attribute operators inside model formulas.

A dyad formula may use ``sum(x)``, ``absdiff(x)``, ``min(x)``, ``max(x)``, ``product(x)``,
``same(x)`` and ``both(x)`` over a city attribute ``x``:

    connection ~ sum(log_pop) + absdiff(urban_share) + distance_km

``prepare_dyad_formula`` builds those dyad columns from the node table (quant.md §3) and
rewrites the formula to plain column names (``sum_log_pop``, ``absdiff_urban_share``), so
any patsy/statsmodels formula interface can fit it. The formula is checked by
``quant.formula_guard.check_formula`` (operators allowed) before anything reads it, and the
rewritten one is checked again (operators no longer allowed) by ``quant.design``.
"""
from __future__ import annotations

import keyword
import re

import numpy as np
import pandas as pd

from quant.dyads import OPERATORS, collinearity_warnings, node_covariates
from quant.errors import DyadError, QuantError, UnknownCityError
from quant.formula_guard import FUNCTIONS, check_formula
from quant.tables import normalise_code

__all__ = ["FORMULA_FUNCTIONS", "find_operator_terms", "prepare_dyad_formula", "unknown_names"]

_OPERATOR_CALL = re.compile(
    r"(?<![\w.])(" + "|".join(OPERATORS) + r")\(\s*([A-Za-z_\u4e00-\u9fff][\w]*)\s*\)"
)
_IDENTIFIER = re.compile(r"(?<![\w.])([A-Za-z_][\w]*)(?![\w])")
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")

#: Names a formula may use without being columns (``quant.formula_guard.FUNCTIONS`` and ``np``).
FORMULA_FUNCTIONS = frozenset({"np", *FUNCTIONS})


def find_operator_terms(formula: str) -> list[tuple[str, str]]:
    """The (operator, variable) pairs used in a formula, in order of first use.

    Parameters
    ----------
    formula : str
        e.g. ``"connection ~ sum(log_pop) + absdiff(urban_share)"``.

    Returns
    -------
    list of (str, str)
        e.g. ``[("sum", "log_pop"), ("absdiff", "urban_share")]``. Calls with a module
        prefix (``np.max(x)``) or several arguments are not operators.
    """
    out: list[tuple[str, str]] = []
    for match in _OPERATOR_CALL.finditer(formula):
        term = (match.group(1), match.group(2))
        if term not in out:
            out.append(term)
    return out


def unknown_names(formula: str, columns) -> list[str]:
    """Plain names in a formula that are neither columns nor known functions.

    Parameters
    ----------
    formula : str
        A patsy formula (operators already rewritten, or none used).
    columns : iterable of str
        The table's column names.

    Returns
    -------
    list of str
        In order of first appearance; quoted strings, Python keywords, names followed by
        ``(``, ``.`` or ``=`` (a keyword argument) and ``FORMULA_FUNCTIONS`` are ignored.
    """
    cols = set(map(str, columns))
    stray: list[str] = []
    bare = _STRING.sub(" ", formula)
    for match in _IDENTIFIER.finditer(bare):
        name, after = match.group(1), bare[match.end():].lstrip()
        keyword_arg = after.startswith("=") and not after.startswith("==")  # Treatment(reference=...)
        if after.startswith(("(", ".")) or keyword_arg or keyword.iskeyword(name) or name in FORMULA_FUNCTIONS:
            continue
        if name not in cols and name not in stray:
            stray.append(name)
    return stray


def prepare_dyad_formula(
    formula: str, dyads: pd.DataFrame, nodes: pd.DataFrame, id_col: str = "code"
) -> tuple[str, pd.DataFrame, list[str]]:
    """Build the dyad columns a formula's operators need and rewrite it to column names.

    Parameters
    ----------
    formula : str
        A patsy formula over dyad columns and node-attribute operators, e.g.
        ``"connection ~ sum(log_pop) + absdiff(urban_share) + distance_km"``.
    dyads : DataFrame
        One row per dyad with city_a, city_b and the dyad columns (outcome, distance_km...).
    nodes : DataFrame
        One row per city: ``id_col`` plus the attributes the operators name.
    id_col : str
        The node id column (default ``code``).

    Returns
    -------
    formula : str
        The formula with each ``op(x)`` replaced by the column ``op_x``.
    data : DataFrame
        A copy of ``dyads`` (same rows and order) with the ``op_x`` columns added
        (float64; an existing column of that name is recomputed). Constructions as in
        :func:`quant.dyads.node_covariates`.
    warnings : list of str
        Collinearity sentences (three or more of sum/absdiff/min/max of one variable).

    Raises
    ------
    FormulaError
        The formula is outside Tandem's formula language (``quant.formula_guard``), or has
        no ``~``.
    QuantError
        An operator names a variable that is not a node attribute, or a plain name is
        neither a dyad column nor a known function.
    UnknownCityError
        A dyad names a city missing from the node table (all such cities listed).
    DyadError
        The dyad table lacks city_a/city_b or the node table lacks ``id_col`` or repeats an id.
    """
    formula = check_formula(formula, operators=True)
    terms = find_operator_terms(formula)
    unknown = list(dict.fromkeys(var for _, var in terms if var not in nodes.columns))
    if unknown:
        calls = [f"{op}({var})" for op, var in terms if var in unknown]
        raise QuantError(
            f"The formula uses {', '.join(calls)}, but {', '.join(map(repr, unknown))} "
            f"{'is not a city attribute' if len(unknown) == 1 else 'are not city attributes'}."
        )
    data = dyads.copy()
    if terms:
        for col in ("city_a", "city_b"):
            if col not in dyads.columns:
                raise DyadError(f"The dyad table has no column {col!r}.")
        if id_col not in nodes.columns:
            raise DyadError(f"The node table has no id column {id_col!r}.")
        ids = pd.Index([normalise_code(v) for v in nodes[id_col]])
        if ids.has_duplicates:
            raise DyadError(f"The node table repeats the ids {', '.join(map(str, ids[ids.duplicated()].unique()[:20]))}.")
        a = dyads["city_a"].map(normalise_code)
        b = dyads["city_b"].map(normalise_code)
        ia, ib = ids.get_indexer(a), ids.get_indexer(b)
        if (ia < 0).any() or (ib < 0).any():
            missing = sorted(set(a[ia < 0]) | set(b[ib < 0]), key=str)
            raise UnknownCityError(
                f"The dyads name {len(missing)} cit{'y' if len(missing) == 1 else 'ies'} missing from the node table: "
                f"{', '.join(map(str, missing[:20]))}."
            )
        built = node_covariates(nodes.reset_index(drop=True), ia, ib, terms)
        for name, values in built.items():
            data[name] = np.asarray(values, dtype="float64")
    rewritten = _OPERATOR_CALL.sub(lambda m: f"{m.group(1)}_{m.group(2)}", formula)
    stray = unknown_names(rewritten, data.columns)
    if stray:
        hint = [s for s in stray if s in nodes.columns]
        raise QuantError(
            f"The formula names {', '.join(map(repr, stray))}, which "
            f"{'is not a dyad column' if len(stray) == 1 else 'are not dyad columns'}"
            + (f"; {', '.join(hint)} is a city attribute: use sum(), absdiff(), min(), max(), product(), same() or both()"
               if hint else "")
            + "."
        )
    return rewritten, data, collinearity_warnings(terms)
