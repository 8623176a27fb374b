"""Node-attribute operators inside model formulas.

A dyad formula may use ``sum(x)``, ``absdiff(x)``, ``min(x)``, ``max(x)``, ``product(x)``,
``same(x)`` and ``both(x)`` over a city attribute ``x``:

    connection ~ sum(log_pop) + absdiff(urban_share) + distance_km

``prepare_dyad_formula`` builds those dyad columns from the node table (quant.md §3) and
rewrites the formula to plain column names (``sum_log_pop``, ``absdiff_urban_share``), so
any patsy/statsmodels formula interface can fit it. The formula is checked by
``quant.formula.guard.check_formula`` (operators allowed) before anything reads it, and the
rewritten one is checked again (operators no longer allowed) by ``quant.models.design``.

Directed dyads (ordered pairs sender → receiver, ``quant.data.directed``) use
``prepare_directed_formula``, which adds ``sender(x)``, ``receiver(x)`` (a city attribute of
one end) and ``reciprocal(y)`` (dyad variable y of the opposite ordering); an undirected formula
refuses those three in one sentence.
"""
from __future__ import annotations

import i18n
from i18n import _, ngettext
import keyword
import re

import numpy as np
import pandas as pd

from quant.data.dyads import OPERATORS, collinearity_warnings, node_covariates
from quant.errors import DyadError, QuantError, UnknownCityError
from quant.formula.guard import DIRECTED_OPERATORS, FUNCTIONS, check_formula
from quant.data.tables import normalise_code

__all__ = ["FORMULA_FUNCTIONS", "find_operator_terms", "prepare_dyad_formula", "prepare_directed_formula",
           "unknown_names"]

_OPERATOR_CALL = re.compile(
    r"(?<![\w.])(" + "|".join((*OPERATORS, *DIRECTED_OPERATORS)) + r")\(\s*([A-Za-z_\u4e00-\u9fff][\w]*)\s*\)"
)
_IDENTIFIER = re.compile(r"(?<![\w.])([A-Za-z_][\w]*)(?![\w])")
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")

#: Names a formula may use without being columns (``quant.formula.guard.FUNCTIONS`` and ``np``).
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


def _refuse_unknown_attributes(terms: list[tuple[str, str]], nodes: pd.DataFrame) -> None:
    unknown = list(dict.fromkeys(var for _, var in terms if var not in nodes.columns))
    if unknown:
        calls = [f"{op}({var})" for op, var in terms if var in unknown]
        raise QuantError(
            ngettext("The formula uses {calls}, but {names} is not a city attribute.",
                     "The formula uses {calls}, but {names} are not city attributes.", len(unknown)).format(
                calls=', '.join(calls), names=', '.join(map(repr, unknown)))
        )


def _node_positions(dyads: pd.DataFrame, nodes: pd.DataFrame, id_col: str) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in ``nodes`` of each dyad's city_a and city_b (checked: all found)."""
    for col in ("city_a", "city_b"):
        if col not in dyads.columns:
            raise DyadError(_("The dyad table has no column {col!r}.").format(col=col))
    if id_col not in nodes.columns:
        raise DyadError(_("The node table has no id column {id_col!r}.").format(id_col=id_col))
    ids = pd.Index([normalise_code(v) for v in nodes[id_col]])
    if ids.has_duplicates:
        raise DyadError(_("The node table repeats the ids {map}.").format(map=', '.join(map(str, ids[ids.duplicated()].unique()[:20]))))
    # Codes of a dyad table repeat (each city in many dyads): normalise each distinct value once.
    a_codes, a_uniq = pd.factorize(dyads["city_a"])
    b_codes, b_uniq = pd.factorize(dyads["city_b"])
    a_uniq = pd.Index([normalise_code(v) for v in a_uniq], dtype="object")
    b_uniq = pd.Index([normalise_code(v) for v in b_uniq], dtype="object")
    ia = ids.get_indexer(a_uniq)[a_codes] if len(a_codes) else np.zeros(0, dtype=np.intp)
    ib = ids.get_indexer(b_uniq)[b_codes] if len(b_codes) else np.zeros(0, dtype=np.intp)
    if (ia < 0).any() or (ib < 0).any():
        missing = sorted(set(a_uniq[ids.get_indexer(a_uniq) < 0]) | set(b_uniq[ids.get_indexer(b_uniq) < 0]), key=str)
        raise UnknownCityError(
            ngettext("The dyads name {n} city missing from the node table: {cities}.",
                     "The dyads name {n} cities missing from the node table: {cities}.", len(missing)).format(
                n=len(missing), cities=', '.join(map(str, missing[:20])))
        )
    return ia, ib


def _rewrite(formula: str) -> str:
    return _OPERATOR_CALL.sub(lambda m: f"{m.group(1)}_{m.group(2)}", formula)


def _refuse_stray(rewritten: str, data: pd.DataFrame, nodes: pd.DataFrame, hint_ops: str) -> None:
    stray = unknown_names(rewritten, data.columns)
    if stray:
        hint = [s for s in stray if s in nodes.columns]
        names = ", ".join(map(repr, stray))
        if hint:
            raise QuantError(ngettext("The formula names {names}, which is not a dyad column; {hint} is a city "
                                      "attribute: use {ops}.",
                                      "The formula names {names}, which are not dyad columns; {hint} is a city "
                                      "attribute: use {ops}.", len(stray)).format(
                names=names, hint=", ".join(hint), ops=hint_ops))
        raise QuantError(ngettext("The formula names {names}, which is not a dyad column.",
                                  "The formula names {names}, which are not dyad columns.", len(stray)).format(names=names))


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
        :func:`quant.data.dyads.node_covariates`.
    warnings : list of str
        Collinearity sentences (three or more of sum/absdiff/min/max of one variable).

    Raises
    ------
    FormulaError
        The formula is outside Tandem's formula language (``quant.formula.guard``), or has
        no ``~``.
    QuantError
        An operator names a variable that is not a node attribute, a directed operator
        (``sender``, ``receiver``, ``reciprocal``: an undirected pair has no sender and one value),
        or a plain name is neither a dyad column nor a known function.
    UnknownCityError
        A dyad names a city missing from the node table (all such cities listed).
    DyadError
        The dyad table lacks city_a/city_b or the node table lacks ``id_col`` or repeats an id.
    """
    formula = check_formula(formula, operators=True)
    terms = find_operator_terms(formula)
    directed = [f"{op}({var})" for op, var in terms if op in DIRECTED_OPERATORS]
    if directed:
        raise QuantError(
            ngettext("{directed} needs directed dyads (sender → receiver, loaded with `dyads --directed` and fitted as "
                     "directed pairs); an undirected pair has no sender or receiver and one value, so use sum(), "
                     "absdiff(), min(), max(), product(), same() or both().",
                     "{directed} need directed dyads (sender → receiver, loaded with `dyads --directed` and fitted as "
                     "directed pairs); an undirected pair has no sender or receiver and one value, so use sum(), "
                     "absdiff(), min(), max(), product(), same() or both().", len(directed)).format(
                directed=', '.join(directed))
        )
    _refuse_unknown_attributes(terms, nodes)
    data = dyads.copy()
    if terms:
        ia, ib = _node_positions(dyads, nodes, id_col)
        built = node_covariates(nodes.reset_index(drop=True), ia, ib, terms)
        for name, values in built.items():
            data[name] = np.asarray(values, dtype="float64")
    rewritten = _rewrite(formula)
    _refuse_stray(rewritten, data, nodes, "sum(), absdiff(), min(), max(), product(), same() or both()")
    return rewritten, data, collinearity_warnings(terms)


def _sender_receiver_warnings(terms: list[tuple[str, str]]) -> list[str]:
    """sum(x) = sender(x) + receiver(x): the three together are exactly collinear."""
    out = []
    for var in dict.fromkeys(v for _, v in terms):
        if all((op, var) in terms for op in ("sum", "sender", "receiver")):
            out.append(f"sum({var}), sender({var}) and receiver({var}) are exactly collinear "
                       f"(sum = sender + receiver); keep two of them.")
    return out


def _opposite_positions(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Position of the row (b_d, a_d) for each row d = (a_d, b_d), −1 where absent.

    Raises DyadError when an ordered pair repeats (the opposite row would be ambiguous).
    """
    codes, _ = pd.factorize(pd.concat([a, b], ignore_index=True))
    n = len(a)
    ia, ib = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    m = int(codes.max()) + 1 if n else 1
    key = pd.Index(ia * m + ib)
    if key.has_duplicates:
        raise DyadError(i18n._("The directed dyad table repeats an ordered pair (sender, receiver); each may appear once."))
    return key.get_indexer(ib * m + ia)


def prepare_directed_formula(
    formula: str, data: pd.DataFrame, cities: pd.DataFrame, id_col: str = "code"
) -> tuple[str, pd.DataFrame, list[str]]:
    """Build the columns of a directed dyad formula and rewrite it to column names.

    Besides the symmetric operators of :func:`prepare_dyad_formula` (``sum(x)`` … ``both(x)``,
    which mean the same on an ordered pair), a directed formula may use

    * ``sender(x)``: city attribute x of the sender (``city_a``), column ``sender_x``;
    * ``receiver(x)``: city attribute x of the receiver (``city_b``), column ``receiver_x``;
    * ``reciprocal(y)``: dyad variable y of the opposite ordering (j, i), column
      ``reciprocal_y``; missing (NaN) where the table has no (j, i) row or it has no value of y
      (a fit then drops that row; the count is said in a note).

    e.g. ``flow ~ sender(log_pop) + receiver(log_pop) + np.log(distance_km) + reciprocal(flow)``.

    Parameters
    ----------
    formula : str
        A patsy formula over directed dyad columns and the operators above.
    data : DataFrame
        One row per directed dyad (``quant.data.directed.directed_frame``): city_a = sender,
        city_b = receiver, each ordered pair once, plus the dyad variables.
    cities : DataFrame
        One row per city: ``id_col`` plus the attributes the operators name
        (``quant.data.project.city_frame``). sender()/receiver() copy numbers as float64 and text as
        text (so ``C(sender(province))`` works); the symmetric operators need numbers as before.
    id_col : str
        The city id column (default ``code``).

    Returns
    -------
    design_formula : str
        The formula with each ``op(x)`` replaced by ``op_x``.
    prepared : DataFrame
        A copy of ``data`` (same rows and order) with the ``op_x`` columns added.
        ``prepared.attrs["notes"]`` (list of str) holds informative sentences that must not
        stop a fit (how many rows have no reciprocal value); those of ``data.attrs["notes"]``
        are kept, so a second call on the prepared frame (a hurdle's zero part) adds to them.
    notes : list of str
        Collinearity sentences (as ``prepare_dyad_formula``'s warnings, plus sum(x) with both
        sender(x) and receiver(x)): a model with such a set cannot be estimated.

    Raises
    ------
    FormulaError
        Outside Tandem's formula language, or no ``~``.
    QuantError
        sender()/receiver() or a symmetric operator names something that is not a city
        attribute; reciprocal() names something that is not a dyad variable; a plain name is
        neither a column nor a function.
    UnknownCityError
        A dyad names a city missing from ``cities``.
    DyadError
        city_a/city_b missing, a repeated ordered pair (with reciprocal()), or a bad ``id_col``.
    """
    formula = check_formula(formula, operators=True)
    terms = find_operator_terms(formula)
    node_terms = [t for t in terms if t[0] != "reciprocal"]
    recip = [var for op, var in terms if op == "reciprocal"]
    _refuse_unknown_attributes(node_terms, cities)
    bad = [v for v in recip if v not in data.columns or v in ("city_a", "city_b", "pair", "dyad_id")]
    text = [v for v in recip if v not in bad and not (pd.api.types.is_numeric_dtype(data[v])
                                                      or pd.api.types.is_bool_dtype(data[v]))]
    if text:
        raise QuantError(_("reciprocal({text}) needs a numeric dyad variable, but {text!r} holds categories "
                         "(text).").format(text=text[0]))
    if bad:
        raise QuantError(
            ngettext("The formula uses {items}, but {names} is not a directed dyad variable (reciprocal() takes the "
                     "value of a dyad variable on the opposite ordering).",
                     "The formula uses {items}, but {names} are not directed dyad variables (reciprocal() takes the "
                     "value of a dyad variable on the opposite ordering).", len(bad)).format(
                items=', '.join(f'reciprocal({v})' for v in bad), names=', '.join(map(repr, bad)))
        )
    out = data.copy()
    informative: list[str] = []
    if node_terms:
        ia, ib = _node_positions(data, cities, id_col)
        nodes = cities.reset_index(drop=True)
        symmetric = [t for t in node_terms if t[0] in OPERATORS]
        for name, values in node_covariates(nodes, ia, ib, symmetric).items():
            out[name] = np.asarray(values, dtype="float64")
        for op, var in node_terms:
            if op in ("sender", "receiver"):
                column = nodes[var]
                values = column.to_numpy()[ia if op == "sender" else ib]
                numeric = pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
                out[f"{op}_{var}"] = values.astype("float64") if numeric else values
    if recip:
        for col in ("city_a", "city_b"):
            if col not in data.columns:
                raise DyadError(_("The directed dyad table has no column {col!r}.").format(col=col))
        pos = _opposite_positions(data["city_a"].map(normalise_code), data["city_b"].map(normalise_code))
        found = pos >= 0
        for var in dict.fromkeys(recip):
            y = pd.to_numeric(data[var], errors="coerce").to_numpy(dtype="float64")
            values = np.full(len(data), np.nan)
            values[found] = y[pos[found]]
            out[f"reciprocal_{var}"] = values
            missing = int(np.isnan(values).sum())
            if missing:
                absent = int((~found).sum())
                informative.append(
                    f"reciprocal({var}) is missing for {missing:,} of {len(data):,} directed dyads "
                    f"({absent:,} have no opposite row (j, i), {missing - absent:,} have one without a value of "
                    f"{var}); a fit leaves those rows out."
                )
    rewritten = _rewrite(formula)
    _refuse_stray(rewritten, out, cities, "sender(), receiver(), sum(), absdiff(), min(), max(), product(), same() "
                                         "or both()")
    # a second call on a prepared frame (the hurdle's zero part) keeps the first call's notes
    out.attrs["notes"] = list(dict.fromkeys([*data.attrs.get("notes", []), *informative]))
    notes = collinearity_warnings([t for t in terms if t[0] in OPERATORS]) + _sender_receiver_warnings(terms)
    return rewritten, out, notes
