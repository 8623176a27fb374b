"""Case selection for a saved run (quant.md §4): one entry point over the rules of
``quant.cases.rules`` and ``quant.cases.rules_more``.

``select_run_cases(session, run, rule, ...)`` returns the selected cities or dyads of a run,
ranked, with city names, one label per case (:func:`case_label`) and the rule, its parameters,
the run and the residual type recorded in ``frame.attrs``. Tandem's models are GLMs, so the
residual ranked is the run's Pearson residual (quant.md §4.3); the linear-model rules of
MMRcaseselection (``residstd``, ``predint``) are in ``quant.cases.rules`` for linear fits.
"""
from __future__ import annotations

from i18n import _
import math
import re

import numpy as np
import pandas as pd
from sqlalchemy import select

from i18n import N_
from quant.cases import rules as cr
from quant.cases.rules import case_label
from quant.errors import QuantError

__all__ = ["RULES", "select_run_cases", "case_label", "DEFAULT_C", "RULE_TITLES", "MAX_PAIRS",
           "covariate_choices", "resolve_variable", "variable_label"]

#: Pairs returned by similar/different when n is None.
MAX_PAIRS = 500

#: Every rule ``select_run_cases`` knows, in the order the views list them.
RULES = ("typical", "deviant", "extreme_x", "extreme_y", "overpredicted", "underpredicted",
         "influential", "pathway", "similar", "different")

#: Short descriptions for menus (English; marked for the interface's translation: show with i18n._).
RULE_TITLES = {
    "typical": N_("Typical cases (smallest |Pearson residual|)"),
    "deviant": N_("Deviant cases (|Pearson residual| > c)"),
    "extreme_x": N_("Extreme on an explanatory variable (|x − mean|)"),
    "extreme_y": N_("Extreme on the outcome (|y − mean|)"),
    "overpredicted": N_("Most over-predicted (most negative residual)"),
    "underpredicted": N_("Most under-predicted (most positive residual)"),
    "influential": N_("Influential cases (Cook's distance; delete-a-city for dyad models)"),
    "pathway": N_("Pathway cases (full vs reduced model without a variable)"),
    "similar": N_("Most-similar pairs (close on controls, differ on outcome or key variable)"),
    "different": N_("Most-different pairs (differ on controls, same outcome)"),
}

#: Default cut-off c for |Pearson residual| (quant.md §4.3: c = 2 gives p̂ < 0.2 / p̂ > 0.8 for ties).
DEFAULT_C = 2.0

_BINARY = ("logit", "probit")


def _load(session, run):
    from quant.runs import saved as runs

    if isinstance(run, runs.Run):
        return run
    if isinstance(run, (str, int)) and not isinstance(run, bool):
        return runs.load_run(session, run)
    raise QuantError(_("run must be a saved run or its name, got {name__}.").format(name__=type(run).__name__))


def _id_columns(units: pd.DataFrame) -> list[str]:
    if "city" in units.columns:
        return ["city"]
    if {"city_a", "city_b"} <= set(units.columns):
        return ["city_a", "city_b"]
    raise QuantError(_("the run's units have neither a 'city' column nor 'city_a' and 'city_b' columns."))


def is_binary(run) -> bool:
    """Whether the run's outcome is a tie/non-tie (connection logit or probit)."""
    return run.info.model in _BINARY


def run_case_table(run) -> pd.DataFrame:
    """The run's case table (``quant.cases.rules.case_table``): ids, y, fitted, Pearson residual."""
    units = run.units
    ids = _id_columns(units)
    rtype = str(run.result.meta.get("residual") or "Pearson residual")
    return cr.case_table(units[ids], units["y"], units["fitted"], units["pearson"], rtype)


def covariate_choices(run) -> list[str]:
    """Names ``variable``/``controls`` accept: the run's covariate columns (operator terms as
    written, e.g. ``sum(log_pop)``, and as columns, ``sum_log_pop``)."""
    cols = [c for c in run.covariates().columns if c not in ("city", "city_a", "city_b")]
    return cols


def resolve_variable(run, variable, *, what: str = "variable") -> str:
    """The covariate column ``variable`` names (``op(x)`` → ``op_x``); QuantError listing the
    valid choices otherwise."""
    cols = covariate_choices(run)
    if isinstance(variable, str):
        v = variable.strip()
        if v in cols:
            return v
        m = re.fullmatch(r"\s*(\w+)\s*\(\s*(\w+)\s*\)\s*", v)
        if m and f"{m.group(1)}_{m.group(2)}" in cols:
            return f"{m.group(1)}_{m.group(2)}"
    if not cols:
        raise QuantError(_("The run '{name}' has no explanatory variables to choose as {what}.").format(name=run.info.name, what=what))
    shown = ", ".join(variable_label(run, c) for c in cols)
    raise QuantError(_("Unknown {what} {variable!r} for the run '{name}'; choose one of: {shown}.").format(what=what, variable=variable, name=run.info.name, shown=shown))


def variable_label(run, column: str) -> str:
    """How the researcher wrote a covariate column in the formula: ``sum_log_pop`` → ``sum(log_pop)``
    for a node-attribute operator term; other columns as they are."""
    for term in run.result.meta.get("operators") or []:
        m = re.fullmatch(r"\s*(\w+)\s*\(\s*(\w+)\s*\)\s*", str(term))
        if m and f"{m.group(1)}_{m.group(2)}" == column:
            return f"{m.group(1)}({m.group(2)})"
    return column


def _names(session, codes) -> dict[str, str]:
    import store

    codes = sorted({str(c) for c in codes})
    if not codes:
        return {}
    rows = session.execute(select(store.City.code, store.City.name)).all()
    return {str(c): (str(n) if n is not None and str(n).strip() else str(c)) for c, n in rows}


def _add_names(session, frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """Insert city names after the ids: ``name`` (cities) or ``name_a``, ``name_b`` (dyads), and
    ``case`` (e.g. 广州市–佛山市); pair rules also get ``partner_case``."""
    names = _names(session, {str(c) for col in ids for c in pd.unique(frame[col])} if len(frame) else set())

    def show(code: str) -> str:
        return names.get(code, code)

    def column(col: str) -> pd.Series:
        codes = frame[col].astype(str)
        return codes.map(names).fillna(codes).astype(object)

    if ids == ["city"]:
        frame.insert(1, "name", column("city"))
        frame.insert(2, "case", frame["name"])
    else:
        frame.insert(2, "name_a", column("city_a"))
        frame.insert(3, "name_b", column("city_b"))
        frame.insert(4, "case", frame["name_a"] + "–" + frame["name_b"])
    if "partner" in frame.columns:
        frame["partner_case"] = frame["partner"].astype(str).map(lambda k: "–".join(show(c) for c in k.split("|")))
    return frame


def _threshold(threshold, default: float, what: str) -> float:
    if threshold is None:
        return default
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(threshold)) or float(threshold) <= 0:
        raise QuantError(_("the {what} {threshold!r} must be a positive number.").format(what=what, threshold=threshold))
    return float(threshold)


def select_run_cases(session, run, rule: str, *, variable: str | None = None, reduced: str | None = None,
                     threshold: float | None = None, n: int | None = 10, controls=None,
                     outcome: str | None = None, method: str = "residual") -> pd.DataFrame:
    """Select cases of a saved run by one rule.

    Parameters
    ----------
    session : Session
    run : quant.runs.saved.Run or str
        The run (or its name).
    rule : str
        One of :data:`RULES`.
    variable : str, optional
        extreme_x: the covariate (required); pathway: the variable dropped from the reduced
        model; similar/different: the key explanatory variable (similar then ranks pairs that
        differ on it, Seawright & Gerring's estimating use).
    reduced : str, optional
        pathway: the reduced model's formula instead of dropping ``variable``.
    threshold : float, optional
        typical/deviant: c in |r| ≤ c / |r| > c (default 2).
    n : int or None
        Cases (pairs for similar/different) to return; None = all eligible.
    controls : list of str, optional
        similar/different: the control covariates (default: every covariate but ``variable``).
    outcome : {"tie", "non-tie"}, optional
        Binary runs only: keep ties or non-ties (e.g. typical ties).
    method : {"residual", "interval"}
        typical/deviant: by |Pearson residual| against c (default), or, for count models
        (poisson, nb, binomial, nb_pos, ztnb), by whether y lies in the central ``threshold``
        (default 0.95) interval of the unit's fitted distribution (quant.md §4.3; parameter
        uncertainty ignored). influential on a dyad run: "cooks" ranks dyads by Cook's distance
        (logit and nb_pos runs) instead of the delete-a-city measure.

    Notes
    -----
    Rules: typical = smallest |r| with |r| ≤ c; deviant = |r| > c, largest first (Lieberman
    2005; Tandem's GLM form of Rohlfing & Starke 2013); over-/under-predicted = most negative /
    most positive r; extreme_x / extreme_y = |x − x̄| / |y − ȳ| (Seawright 2016), with the
    signed difference and its size in SDs; influential = Cook's distance (breadth GLMs, expected
    information, Williams 1987) or exact delete-a-city refits ranked by max_k |Δβ_k|/SE_k (dyad
    models, quant.md §4.4); pathway = Weller & Barnes |e_red| − |e_full| and Gerring
    |e_red − e_full| with type "yes" iff |e_red| > |e_full| (MMRcaseselection), on Pearson
    residuals, ranked by the Weller & Barnes value.
    Most-similar (Seawright & Gerring 2008): pairs close on the controls and different on the
    key: D = Mahalanobis distance between the standardized controls (inverse correlation
    matrix), Δ = |key_i − key_j| with key the outcome (exploratory) or ``variable``
    (estimating); score Δ/(1 + D), Δ > 0. Most-different: far apart on the controls and alike on
    the outcome: score D/(1 + ΔY); with a discrete outcome only pairs with equal outcomes. Above
    ``quant.cases.rules_more.EXACT_PAIRS_MAX`` units the candidate pairs are searched (nearest
    neighbours; the most outlying units), and ``attrs["notes"]`` says so.

    Returns
    -------
    pandas.DataFrame
        The rule's frame (``quant.cases.rules``): id columns, ``name``/``name_a``, ``name_b``,
        ``case`` (city names, e.g. 广州市–佛山市), ``observed``, ``predicted``, ``residual``,
        ``residual_type``, ``score``, ``rank``, the rule's columns and ``label``
        (:func:`case_label`). ``attrs``: ``rule``, ``parameters``, ``run``, ``run_id``,
        ``dimension``, ``model``, ``binary``, ``residual_type``, ``stale`` and ``notes``
        where the rule refits (influential, pathway).

    Raises
    ------
    QuantError
        Unknown rule or variable (one sentence listing the valid choices), bad threshold or n.
    """
    if rule not in RULES:
        raise QuantError(_("Unknown case-selection rule {rule!r}; choose one of: {rules}.").format(rule=rule, rules=', '.join(RULES)))
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0):
        raise QuantError(_("n = {n!r} must be a whole number ≥ 0, or None for every case.").format(n=n))
    if outcome not in (None, "tie", "non-tie"):
        raise QuantError(_("outcome {outcome!r} must be 'tie', 'non-tie' or None.").format(outcome=outcome))
    run = _load(session, run)
    binary = is_binary(run)
    if outcome is not None and not binary:
        raise QuantError(_("Choosing ties or non-ties needs a connection (logit/probit) run."))
    table = run_case_table(run)
    ids = table.attrs["id_columns"]
    params: dict = {"n": n}
    if method != "residual":
        params["method"] = method
    attrs: dict = {}
    keep = None
    if outcome is not None:
        keep = (table["observed"].to_numpy() >= 0.5) == (outcome == "tie")
        params["outcome"] = outcome
    sub = table if keep is None else _subset(table, keep)
    if method not in ("residual", "interval", "cooks"):
        raise QuantError(_("method {method!r} must be 'residual' (|Pearson residual| > c), 'interval' "
                         "(outside the fitted count distribution's central interval) or 'cooks' "
                         "(influential dyads by Cook's distance).").format(method=method))
    if rule in ("typical", "deviant") and method == "interval":
        w = _threshold(threshold, 0.95, "interval width")
        frame = _interval(run, sub, rule, w, n, keep)
        params.update(method="interval", piwidth=w)
    elif rule in ("typical", "deviant"):
        c = _threshold(threshold, DEFAULT_C, "cut-off c")
        params["c"] = c
        frame = (cr.typical if rule == "typical" else cr.deviant)(sub, c=c, n=n)
    elif rule == "overpredicted":
        frame = cr.overpredicted(sub, n=n)
    elif rule == "underpredicted":
        frame = cr.underpredicted(sub, n=n)
    elif rule == "extreme_x":
        if variable is None:
            shown = ", ".join(variable_label(run, c) for c in covariate_choices(run)) or "(none)"
            raise QuantError(_("extreme_x needs a variable; choose one of: {shown}.").format(shown=shown))
        col = resolve_variable(run, variable)
        values = run.covariates()[col].to_numpy(float)
        if keep is not None:
            values = values[keep]
        params["variable"] = col
        frame = cr.extreme_x(sub, values, variable_label(run, col), n=n)
    elif rule == "extreme_y":
        name = str(run.result.meta.get("outcome") or run.info.dimension)
        frame = cr.extreme_y(sub, variable=name, n=n)
    else:
        from quant.cases import select_more as more

        frame, extra_params, attrs = more.select(session, run, rule, sub, keep, variable=variable,
                                                 reduced=reduced, n=n, controls=controls, outcome=outcome,
                                                 method=method)
        params.update(extra_params)
    ids = list(attrs.get("id_columns") or ids)
    rtype = frame.attrs.get("residual_type", table.attrs["residual_type"])
    frame = _add_names(session, frame.reset_index(drop=True), ids)
    # A city of a dyad model (influential) is not a tie or a non-tie.
    as_binary = binary and ids != ["city"]
    frame["label"] = cr.case_labels(frame, rule, as_binary)
    frame.attrs = {
        "rule": rule, "parameters": params, "run": run.info.name, "run_id": run.info.id,
        "dimension": run.info.dimension, "model": run.info.model, "binary": binary,
        "residual_type": rtype, "stale": None, "notes": [], **attrs, "id_columns": ids,
    }
    return frame


_INTERVAL_FAMILY = {"poisson": ("poisson", False), "nb": ("nb", False), "binomial": ("binomial", False),
                    "nb_pos": ("nb", False), "ztnb": ("nb", True)}


def _interval(run, sub: pd.DataFrame, rule: str, w: float, n, keep) -> pd.DataFrame:
    from quant.cases import rules_more as crm

    model = run.info.model
    if model not in _INTERVAL_FAMILY:
        raise QuantError(_("Prediction intervals need a count model (poisson, nb, binomial, nb_pos, ztnb); the run "
                         "'{name}' is {model}: use method 'residual'.").format(name=run.info.name, model=model))
    if w >= 1:
        raise QuantError(_("the interval width {w:g} must lie strictly between 0 and 1.").format(w=w))
    family, truncated = _INTERVAL_FAMILY[model]
    units = run.units if keep is None else run.units[np.asarray(keep, bool)].reset_index(drop=True)
    alpha = float(run.result.params["alpha"]) if "alpha" in run.result.params.index else None
    mu = units["fitted"].to_numpy(float)
    if truncated:  # the stored fitted value is E[y | y > 0]; the interval needs the NB2 mean
        mu = crm.ztnb_mu_from_mean(mu, alpha)
    trials = units["trials"].to_numpy(float) if "trials" in units.columns else None
    lo, hi = crm.count_interval(mu, family=family, piwidth=w, alpha=alpha, trials=trials, truncated=truncated)
    return crm.interval_status(sub, lo, hi, piwidth=w, deviant=rule == "deviant", n=n)


def _subset(table: pd.DataFrame, keep) -> pd.DataFrame:
    out = table[np.asarray(keep, bool)].reset_index(drop=True)
    out.attrs = dict(table.attrs)
    return out
