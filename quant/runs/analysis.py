"""Fitting a collaboration dimension from what a project holds.

This is the glue between the store (via ``quant.data.project``) and the model functions: it
assembles the city or dyad table, builds the dyad columns that node-attribute operators
(``sum(x)``, ``absdiff(x)``, ``min(x)``, ``max(x)``, ``product(x)``, ``same(x)``,
``both(x)``) ask for from the city table (``quant.formula.nodes.prepare_dyad_formula``), chooses
the default model and formula for a dimension, and fits. The UI and the command line both
call ``fit_dimension``; ``model_data`` gives the prepared table that the inference
functions (``quant.inference.margins``, ``quant.inference.hypotheses``, ``quant.inference.influence``) need.
"""
from __future__ import annotations

from i18n import N_, _
from dataclasses import dataclass, field

import pandas as pd

from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import QuantError
from quant.models.dispatch import DEFAULT_MODELS as DEFAULT_MODEL, MODELS_BY_DIMENSION as MODELS
from quant.models.results import DIMENSIONS
from quant.runs.data import formula_names

# Default right-hand sides (Needs–Supply proxies, see data/demo/README.md). Terms
# missing from the project are dropped; an empty right-hand side is an error.
DEFAULT_TERMS = {
    "breadth": ["log_pop", "capital", "urban_share", "in_strategy"],
    "connection": [
        "log_gravity", "same_strategy", "capital_any", "urban_share_min",
        "log_pop_min", "same_province", "log_distance",
    ],
    "degree": [
        "log_gravity", "same_strategy", "capital_any", "urban_share_min",
        "log_pop_min", "same_province",
    ],
}

OUTCOME = {"breadth": "breadth", "connection": "connection", "degree": "degree"}


@dataclass(frozen=True)
class Spec:
    """A model specification: dimension, model name and a patsy formula."""

    dimension: str
    model: str
    formula: str


def default_spec(dimension: str, columns, model: str | None = None) -> Spec:
    """The default specification for ``dimension`` given the available columns (names or a DataFrame).

    The Needs–Supply proxies of ``DEFAULT_TERMS`` that exist are used; if none exists, every
    numeric variable that is not an id or an outcome (``fallback_terms``).

    Raises
    ------
    QuantError
        Unknown dimension or model, or the outcome or every default term is missing.
    """
    check_dimension(dimension, model)
    cols = set(columns.columns) if hasattr(columns, "columns") else set(columns)
    outcome = OUTCOME[dimension]
    if outcome not in cols:
        raise QuantError(
            _("The project has no '{outcome}' variable for the {dimension} model; "
            "load a dyad table with it or give a formula.").format(outcome=outcome, dimension=dimension)
        )
    terms = [t for t in DEFAULT_TERMS[dimension] if t in cols]
    if not terms:
        terms = fallback_terms(dimension, columns)
    if not terms:
        raise QuantError(
            (_("The project has no numeric city variable to use as a predictor of {dimension}; load attributes or "
               "build dyad covariates, or give a formula.") if dimension == "breadth" else
             _("The project has no numeric dyad variable to use as a predictor of {dimension}; load attributes or "
               "build dyad covariates, or give a formula.")).format(dimension=dimension)
        )
    return Spec(dimension, model or DEFAULT_MODEL[dimension], f"{outcome} ~ " + " + ".join(terms))


# Columns that are never default predictors: ids, outcomes and bookkeeping.
NOT_PREDICTORS = {"code", "dyad_id", "city_a", "city_b", "lat", "lon", "breadth", "connection", "degree",
                  "n_events", "n_items_max", "distance_km"}


def fallback_terms(dimension: str, columns) -> list[str]:
    """Default predictors when none of the Needs–Supply proxies exist: every numeric variable
    of the table that is not an id, an outcome or bookkeeping (raw ``distance_km`` gives way to
    ``log_distance``). ``columns`` may be a DataFrame (numeric dtypes checked) or names. Only
    names a formula can hold bare are used (identifiers not starting with ``_``; others need
    ``Q("…")``, ``quant.formula.guard``)."""
    if hasattr(columns, "dtypes"):
        names = [c for c in columns.columns if pd.api.types.is_numeric_dtype(columns[c])]
    else:
        names = list(columns)
    return [c for c in names if c not in NOT_PREDICTORS and not str(c).startswith(("connection_", "degree_"))
            and str(c).isidentifier() and not str(c).startswith("_")]


def check_dimension(dimension: str, model: str | None = None) -> None:
    """Raise ``QuantError`` unless ``dimension`` (and ``model`` if given) are known."""
    if dimension not in DIMENSIONS:
        raise QuantError(_("Unknown dimension '{dimension}'; choose one of {dimensions}.").format(dimension=dimension, dimensions=', '.join(DIMENSIONS)))
    if model is not None and model not in MODELS[dimension]:
        from quant.models.dispatch import MODEL_OUTCOMES, UNIT

        if model in MODEL_OUTCOMES:  # a known model on the other unit
            unit = "cities" if UNIT[dimension] == "city" else "dyads"
            raise QuantError(
                (_("Model '{model}' is fitted on dyads, not cities (the {dimension} dimension's unit); choose one "
                   "of {models}.") if unit == "cities" else
                 _("Model '{model}' is fitted on cities, not dyads (the {dimension} dimension's unit); choose one "
                   "of {models}.")).format(model=model, dimension=dimension, models=', '.join(MODELS[dimension]))
            )
        raise QuantError(
            _("Model '{model}' does not fit the {dimension} dimension; choose one of {models}.").format(model=model, dimension=dimension, models=', '.join(MODELS[dimension]))
        )


def dimension_data(session, dimension: str) -> pd.DataFrame:
    """The table a dimension's model is fitted on.

    breadth: one row per city (``code`` plus city attributes; ``breadth`` computed from
    the dyads' ``connection`` when it is not a stored attribute). connection and degree:
    one row per dyad (``city_a``, ``city_b`` plus dyad attributes); for dyad models,
    city attributes are not merged (dyad covariates are built explicitly).
    """
    from quant.data import project as qdata
    from quant.data.dyads import breadth_from_dyads

    check_dimension(dimension)
    if dimension == "breadth":
        cities = qdata.city_frame(session)
        if cities.empty:
            raise QuantError(_("The project has no cities; load a city table first."))
        if "breadth" not in cities.columns:
            dyads = qdata.dyad_frame(session)
            if "connection" not in dyads.columns:
                raise QuantError(_("Breadth needs a 'breadth' city attribute or a 'connection' dyad variable."))
            b = breadth_from_dyads(dyads, outcome="connection", codes=cities["code"].tolist())
            cities = cities.merge(b, on="code", how="left")
        return cities
    dyads = qdata.dyad_frame(session)
    if dyads.empty:
        raise QuantError(_("The project has no dyads; load a dyad table or build dyads from the city table."))
    return dyads


#: VIF above which ``fit_dimension`` adds a near-collinearity warning (Kutner et al. 2005, §10.5).
VIF_WARN = 10.0
#: Largest rows × columns for which ``fit_dimension`` computes VIFs after the fit.
VIF_MAX_CELLS = 5_000_000


@dataclass(frozen=True)
class ModelData:
    """The table a specification is fitted on, with its formulas rewritten to columns.

    Attributes
    ----------
    data : pandas.DataFrame
        City table (breadth) or dyad table with the operator columns added.
    spec : Spec
        Dimension, model and the formula as the researcher wrote it.
    design_formula : str
        ``spec.formula`` with each ``op(x)`` replaced by its column ``op_x``.
    zero_formula : str or None
        The hurdle zero part as written (right-hand side), if any.
    zero_design_formula : str or None
        Its rewritten right-hand side.
    warnings : list of str
        Collinearity sentences about the operators.
    n_nodes : int or None
        Cities of the project (dyad models), isolated ones included.
    operators : list of (str, str)
        The (operator, attribute) pairs used.
    directed : bool
        Fitted on the directed dyads (``quant.data.directed``): (i, j) and (j, i) are two rows.
    group : str or None
        Pair id column shared by the rows of one unordered pair ("pair" for directed dyads),
        passed to the dyadic covariance so both orderings count as one repeated dyad.
    offset, exposure : str or None
        Offset column (log scale) or exposure column (its log is the offset) of log-link models.
    """

    data: pd.DataFrame
    spec: Spec
    design_formula: str
    zero_formula: str | None = None
    zero_design_formula: str | None = None
    warnings: list[str] = field(default_factory=list)
    n_nodes: int | None = None
    operators: list = field(default_factory=list)
    directed: bool = False
    group: str | None = None
    offset: str | None = None
    exposure: str | None = None


def _check_city_names(rhs: str, columns) -> None:
    """Refuse names in a breadth right-hand side that are not city variables (dyad formulas
    are checked by ``prepare_dyad_formula``)."""
    from quant.formula.nodes import unknown_names

    unknown = unknown_names(rhs, columns)
    if unknown:
        raise QuantError(
            _("Unknown variable(s) in the formula: {unknown} (not city variables of the project).").format(unknown=', '.join(unknown))
        )


def model_data(session, dimension: str, *, model: str | None = None, formula: str | None = None,
               zero_formula: str | None = None, data: pd.DataFrame | None = None,
               directed: bool = False, offset: str | None = None,
               exposure: str | None = None) -> ModelData:
    """Assemble, check and prepare the table one specification is fitted on.

    Parameters
    ----------
    session : Session
    dimension : {"breadth", "connection", "degree"}
    model : str, optional
        One of ``MODELS[dimension]``.
    formula : str, optional
        Patsy formula over the table's columns and, for dyad dimensions, node-attribute
        operators over city attributes; any outcome column may stand left of ``~``.
        Default: ``default_spec``.
    zero_formula : str, optional
        Right-hand side of the hurdle's zero part (model "hurdle" only).
    data : pandas.DataFrame, optional
        The dimension's table as ``dimension_data`` returned it for the current data (a caller
        that reads it once for several specifications); default: read it now.
    directed : bool
        Fit on the project's directed dyads (``quant.data.directed.directed_frame``; dyad dimensions
        only): formulas may also use ``sender(x)``, ``receiver(x)`` and ``reciprocal(y)``
        (``quant.formula.nodes.prepare_directed_formula``), and ``group="pair"``.
    offset, exposure : str, optional
        A column of the table used as offset (log scale) or exposure (log taken) by poisson, nb
        and the binary models.

    Returns
    -------
    ModelData

    Raises
    ------
    FormulaError
        The formula or the zero-part formula is outside Tandem's formula language
        (``quant.formula.guard``: checked before anything else reads it), or has no ``~``.
    QuantError
        Unknown dimension or model, an outcome or variable that the project does not have
        (each named, in one sentence), operators in a breadth formula, or a hurdle zero
        formula with another model.
    UnknownCityError
        A dyad names a city missing from the city table.
    """
    from quant.data import project as qdata
    from quant.formula.nodes import find_operator_terms, prepare_dyad_formula
    from quant.formula.guard import check_formula

    check_dimension(dimension, model)
    if directed and dimension == "breadth":
        raise QuantError(_("directed pairs are dyads, but breadth is modelled on cities; choose the "
                         "connection or degree dimension."))
    if offset and exposure:
        raise QuantError(_("give an offset column or an exposure column, not both."))
    if formula:
        formula = check_formula(formula, operators=True)
    if zero_formula and str(zero_formula).strip():
        zero_formula = check_formula(zero_formula, outcome="optional", operators=True,
                                     what=N_("The zero-part formula"))
    if data is None:
        if directed:
            from quant.data.directed import directed_frame

            data = directed_frame(session)
        else:
            data = dimension_data(session, dimension)
    for col in (offset, exposure):
        if col and col not in data.columns:
            raise QuantError((_("The offset column '{col}' is not a variable of the {dimension} table.")
                              if col == offset else
                              _("The exposure column '{col}' is not a variable of the {dimension} table.")).format(
                col=col, dimension=dimension))
    spec = default_spec(dimension, data, model) if not formula else Spec(
        dimension, model or DEFAULT_MODEL[dimension], formula.strip())
    if "~" not in spec.formula:
        raise QuantError(_("The formula '{formula}' has no '~' separating outcome and predictors.").format(formula=spec.formula))
    if zero_formula and spec.model != "hurdle":
        raise QuantError(_("A zero-part formula belongs to the hurdle model only; choose model 'hurdle' or leave it empty."))
    outcome = spec.formula.split("~", 1)[0].strip()
    lhs_names = set(formula_names(outcome)) - {"np", "log", "log1p", "sqrt", "exp", "abs", "I", "Q"}
    if not outcome or not lhs_names or any(n not in data.columns for n in lhs_names):
        missing = ", ".join(sorted(n for n in lhs_names if n not in data.columns)) or outcome or "(none)"
        raise QuantError(_("The outcome '{missing}' is not a variable of the {dimension} table.").format(missing=missing, dimension=dimension))
    from quant.models.dispatch import UNIT, check_model_outcome, outcome_values

    y = outcome_values(data, spec.formula)
    if y is not None:  # a bare outcome column: refuse a model whose outcome type does not fit, now
        check_model_outcome(spec.model, y, outcome, UNIT[dimension])
    if dimension == "breadth":
        ops = find_operator_terms(spec.formula)
        if ops:
            raise QuantError(
                _("{ops}({ops2}) builds a dyad covariate, but breadth is modelled on cities; "
                "use the city attribute {ops2} itself.").format(ops=ops[0][0], ops2=ops[0][1])
            )
        _check_city_names(spec.formula.split("~", 1)[1], data.columns)
        return ModelData(data=data, spec=spec, design_formula=spec.formula, offset=offset, exposure=exposure)
    cities = qdata.city_frame(session)
    prepare = prepare_dyad_formula
    if directed:
        from quant.formula.nodes import prepare_directed_formula as prepare
    design_formula, prepared, notes = prepare(spec.formula, data, cities)
    operators = find_operator_terms(spec.formula)
    zero_design = None
    if spec.model == "hurdle" and zero_formula and zero_formula.strip():
        rhs = zero_formula.split("~", 1)[-1].strip()
        if not rhs:
            raise QuantError(_("The zero-part formula {zero_formula!r} has no terms.").format(zero_formula=zero_formula))
        zdf, prepared, znotes = prepare(f"{outcome} ~ {rhs}", prepared, cities)
        zero_design = zdf.split("~", 1)[1].strip()
        notes = notes + [n for n in znotes if n not in notes]
        operators += [t for t in find_operator_terms(rhs) if t not in operators]
    # prepare_dyad_formula has refused names that are not columns; the city table holds every city.
    n_nodes = max(len(set(data["city_a"]) | set(data["city_b"])), len(cities))
    return ModelData(data=prepared, spec=spec, design_formula=design_formula,
                     zero_formula=zero_formula.strip() if zero_formula and zero_formula.strip() else None,
                     zero_design_formula=zero_design, warnings=notes, n_nodes=n_nodes, operators=operators,
                     directed=bool(directed), group="pair" if directed else None, offset=offset,
                     exposure=exposure)


def fit_dimension(session, dimension: str, *, model: str | None = None, formula: str | None = None,
                  cov: CovarianceSettings | None = None, pvalues: str = "normal", zero_formula: str | None = None,
                  min_events: int | None = None, directed: bool = False, offset: str | None = None,
                  exposure: str | None = None, **options):
    """Fit the model of one collaboration dimension on the project's data.

    Parameters
    ----------
    session : Session
    dimension : {"breadth", "connection", "degree"}
    model : str, optional
        One of ``MODELS[dimension]`` whose outcome type fits (``quant.models.dispatch``: binary → logit,
        probit, cloglog, firth; count → poisson, nb, binomial (cities), ztnb, nb_pos, hurdle
        (dyads); y ≥ 0 → poisson (PPML); any → gaussian); default ``DEFAULT_MODEL[dimension]``.
    formula : str, optional
        A patsy formula over the dimension's table; any outcome column may stand left of
        ``~``. Dyad formulas may use node-attribute operators over city attributes:
        ``sum(x)``, ``absdiff(x)``, ``min(x)``, ``max(x)``, ``product(x)``, ``same(x)``,
        ``both(x)`` (quant.md §3). Default ``default_spec``.
    cov : CovarianceSettings, optional
        ``se``: standard-error types to compute ("model", "hc0", "dyadic"; dyad models default
        to all three; gaussian also takes "hc1", "hc2", "hc3"; "dyadic" is for dyads only);
        ``small_sample`` ("none" or "nodes": × N/(N−1)), ``psd`` ("clip": negative eigenvalues
        to zero), ``conservative`` (Graham's V̂ + V̂_HC0). N and the pair column come from the
        data. The same fields are taken as keywords (``se=``...) instead of ``cov``.
    pvalues : {"normal", "t"}
        Reference distribution of p-values and intervals (t: N − 1 df, N = cities).
    zero_formula : str, optional
        Right-hand side of the hurdle's zero part (default: the count part's).
    min_events : int, optional
        Least number of events (binary) or rows (counts); default 10. Lower values fit, with a
        warning sentence below 10 events.
    directed : bool
        Fit on the directed dyads (see ``model_data``).
    offset, exposure : str, optional
        Offset (log scale) or exposure column for poisson, nb and the binary models.

    Returns
    -------
    quant.models.results.FitResult
        ``formula`` as written; ``meta["design_formula"]`` the rewritten one; ``warnings``
        include VIFs above 10.

    Raises
    ------
    QuantError
        Unknown dimension/model, missing data or variables; ``ModelError`` when the fit
        fails (non-convergence, separation, collinear operator sets), with one sentence
        saying why.
    """
    cov = covariance_settings(cov, options, where="fit_dimension")
    md = model_data(session, dimension, model=model, formula=formula, zero_formula=zero_formula,
                    directed=directed, offset=offset, exposure=exposure)
    return fit_prepared(md, cov, pvalues=pvalues, min_events=min_events)


# fit_prepared lives in quant/runs/analysis_fit.py (kept importable from here)
from quant.runs.analysis_fit import fit_prepared  # noqa: E402,F401
