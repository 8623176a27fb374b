"""Fitting a collaboration dimension from what a project holds.

This is the glue between the store (via ``quant.data``) and the model functions: it
assembles the city or dyad table, chooses the default model and formula for a
dimension, and fits. The UI and the command line both call ``fit_dimension``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from quant.errors import QuantError

DIMENSIONS = ("breadth", "connection", "degree")

MODELS = {
    "breadth": ("nb", "poisson", "binomial"),
    "connection": ("logit", "probit"),
    "degree": ("ztnb", "nb_pos"),
}

DEFAULT_MODEL = {"breadth": "nb", "connection": "logit", "degree": "ztnb"}

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

SE_LABEL = {"model": "model-based", "hc0": "HC0 (heteroskedasticity-robust)", "dyadic": "dyadic-robust"}


@dataclass(frozen=True)
class Spec:
    """A model specification: dimension, model name and a patsy formula."""

    dimension: str
    model: str
    formula: str


def _identifiers(formula: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))


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
            f"The project has no '{outcome}' variable for the {dimension} model; "
            "load a dyad table with it or give a formula."
        )
    terms = [t for t in DEFAULT_TERMS[dimension] if t in cols]
    if not terms:
        terms = fallback_terms(dimension, columns)
    if not terms:
        raise QuantError(
            f"The project has no numeric {('city' if dimension == 'breadth' else 'dyad')} variable to use as a "
            f"predictor of {dimension}; load attributes or build dyad covariates, or give a formula."
        )
    return Spec(dimension, model or DEFAULT_MODEL[dimension], f"{outcome} ~ " + " + ".join(terms))


# Columns that are never default predictors: ids, outcomes and bookkeeping.
NOT_PREDICTORS = {"code", "dyad_id", "city_a", "city_b", "lat", "lon", "breadth", "connection", "degree",
                  "n_events", "n_items_max", "distance_km"}


def fallback_terms(dimension: str, columns) -> list[str]:
    """Default predictors when none of the Needs–Supply proxies exist: every numeric variable
    of the table that is not an id, an outcome or bookkeeping (raw ``distance_km`` gives way to
    ``log_distance``). ``columns`` may be a DataFrame (numeric dtypes checked) or names."""
    if hasattr(columns, "dtypes"):
        names = [c for c in columns.columns if pd.api.types.is_numeric_dtype(columns[c])]
    else:
        names = list(columns)
    return [c for c in names if c not in NOT_PREDICTORS and not str(c).startswith(("connection_", "degree_"))]


def check_dimension(dimension: str, model: str | None = None) -> None:
    """Raise ``QuantError`` unless ``dimension`` (and ``model`` if given) are known."""
    if dimension not in DIMENSIONS:
        raise QuantError(f"Unknown dimension '{dimension}'; choose one of {', '.join(DIMENSIONS)}.")
    if model is not None and model not in MODELS[dimension]:
        raise QuantError(
            f"Model '{model}' does not fit the {dimension} dimension; choose one of {', '.join(MODELS[dimension])}."
        )


def dimension_data(session, dimension: str) -> pd.DataFrame:
    """The table a dimension's model is fitted on.

    breadth: one row per city (``code`` plus city attributes; ``breadth`` computed from
    the dyads' ``connection`` when it is not a stored attribute). connection and degree:
    one row per dyad (``city_a``, ``city_b`` plus dyad attributes); for dyad models,
    city attributes are not merged (dyad covariates are built explicitly).
    """
    from quant import data as qdata
    from quant.dyads import breadth_from_dyads

    check_dimension(dimension)
    if dimension == "breadth":
        cities = qdata.city_frame(session)
        if cities.empty:
            raise QuantError("The project has no cities; load a city table first.")
        if "breadth" not in cities.columns:
            dyads = qdata.dyad_frame(session)
            if "connection" not in dyads.columns:
                raise QuantError("Breadth needs a 'breadth' city attribute or a 'connection' dyad variable.")
            b = breadth_from_dyads(dyads, outcome="connection", codes=cities["code"].tolist())
            cities = cities.merge(b, on="code", how="left")
        return cities
    dyads = qdata.dyad_frame(session)
    if dyads.empty:
        raise QuantError("The project has no dyads; load a dyad table or build dyads from the city table.")
    return dyads


def fit_dimension(session, dimension: str, *, model: str | None = None, formula: str | None = None,
                  se: tuple[str, ...] | None = None, small_sample: str = "none"):
    """Fit the model of one collaboration dimension on the project's data.

    Parameters
    ----------
    session : Session
    dimension : {"breadth", "connection", "degree"}
    model : str, optional
        One of ``MODELS[dimension]``; default ``DEFAULT_MODEL[dimension]``.
    formula : str, optional
        A patsy formula over the dimension's table; default ``default_spec``.
    se : tuple of {"model", "hc0", "dyadic"}, optional
        Standard-error types to compute (dyad models default to all three).
    small_sample : {"none", "nodes"}
        The N/(N−1) option for the dyadic-robust covariance.

    Returns
    -------
    quant.results.FitResult

    Raises
    ------
    QuantError
        Unknown dimension/model, missing data or variables; ``ModelError`` when the fit
        fails (non-convergence, separation), with one sentence saying why.
    """
    from quant import models

    check_dimension(dimension, model)
    data = dimension_data(session, dimension)
    spec = default_spec(dimension, data, model) if formula is None else Spec(
        dimension, model or DEFAULT_MODEL[dimension], formula)
    unknown = sorted(
        name for name in _identifiers(spec.formula.split("~", 1)[-1])
        if name not in data.columns and name not in {"np", "log", "log1p", "exp", "sqrt", "C", "I", "center",
                                                     "standardize", "scale", "Q"}
    )
    if "~" not in spec.formula:
        raise QuantError(f"The formula '{spec.formula}' has no '~' separating outcome and predictors.")
    outcome = spec.formula.split("~", 1)[0].strip()
    if outcome not in data.columns:
        raise QuantError(f"The outcome '{outcome}' is not a variable of the {dimension} table.")
    if unknown:
        raise QuantError(f"Unknown variable(s) in the formula: {', '.join(unknown)}.")
    kwargs = {}
    if se is not None:
        kwargs["se"] = tuple(se)
    if dimension == "breadth":
        if spec.model == "binomial":
            kwargs["n_possible"] = len(data) - 1
        return models.fit_breadth(data, spec.formula, model=spec.model, **kwargs)
    # every city of the project counts as a node (isolated ones too: quant.md §1.5)
    from quant import data as qdata

    n_nodes = max(len(set(data["city_a"]) | set(data["city_b"])), qdata.project_summary(session)["n_cities"])
    kwargs.update(n_nodes=n_nodes, small_sample=small_sample)
    if dimension == "connection":
        return models.fit_connection(data, spec.formula, model=spec.model, **kwargs)
    return models.fit_degree(data, spec.formula, model=spec.model, **kwargs)
