"""Which columns of a table a patsy formula refers to (``formula_columns``), read from the
Python code of each of patsy's factors with ``ast`` (the formula itself has passed
``quant.formula.guard`` first).
"""
from __future__ import annotations

from i18n import _
import ast

import patsy

from quant.errors import QuantError
from quant.formula.guard import check_formula

__all__ = ["formula_columns"]


def _names_in(code: str) -> set[str]:
    """Identifiers and ``Q("...")`` strings used in one patsy factor's Python code."""
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Q"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def formula_columns(formula: str, columns) -> tuple[list[str], list[str]]:
    """Columns of a table that a patsy formula refers to.

    Parameters
    ----------
    formula : str
        A two-sided patsy formula, e.g. ``"tie ~ w_sum + np.log(pop)"``.
    columns : iterable of str
        The table's column names.

    Returns
    -------
    lhs, rhs : list of str
        Referenced columns left and right of ``~``, each in order of first appearance.

    Raises
    ------
    FormulaError
        The formula is outside Tandem's formula language (``quant.formula.guard``), has no
        ``~`` or uses a node operator (``sum(x)``…, rewritten by ``quant.formula.nodes`` first).
    QuantError
        If patsy cannot parse it.
    """
    formula = check_formula(formula)
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as exc:
        raise QuantError(_("formula {formula!r} cannot be parsed: {message}").format(formula=formula, message=exc.message)) from None
    cols = set(map(str, columns))

    def collect(termlist) -> list[str]:
        out: list[str] = []
        for term in termlist:
            for factor in term.factors:
                for name in sorted(_names_in(factor.code)):
                    if name in cols and name not in out:
                        out.append(name)
        return out

    return collect(desc.lhs_termlist), collect(desc.rhs_termlist)
