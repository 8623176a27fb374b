"""Run-level case selection that refits or matches: influential, pathway, similar, different.

Called by ``quant.cases.select.select_run_cases``; each function returns the rule's frame, the
parameters to record and extra ``attrs`` (``stale``, ``notes``, ``id_columns`` when the cases
are cities of a dyad model).

- **influential**: breadth runs (one row per city): Cook's distance and leverage of the GLM at
  the estimate (``quant.cases.rules_more.glm_influence``, Williams 1987), refitted on the current
  data. Dyad runs (connection, degree): delete-a-city influence (quant.md §1.8, §4.4; 
  ``quant.inference.influence.city_influence``): the one-step preview picks the ``n`` cities, each is
  refitted exactly and ranked by the exact max_k |Δβ_k|/SE_k.
- **pathway**: the run's specification and the reduced one (dropping ``variable``, or the
  formula ``reduced``) are fitted on the project's current data; pathway values come from
  their Pearson residuals (MMRcaseselection's ``pathway`` semantics, quant.md §4.2).
- **similar / different**: pairs of the run's units matched on standardized controls with the
  Mahalanobis distance (``quant.cases.rules_more.similar_pairs`` / ``different_pairs``).
"""
from __future__ import annotations

from i18n import _
import re

import numpy as np
import pandas as pd

from quant.cases import rules as cr
from quant.cases import rules_more as crm
from quant.errors import QuantError

__all__ = ["select", "reduced_formula"]


def _fit(md, run, *, se=None):
    from quant.runs.analysis_fit import fit_with_options
    from quant.runs.saved import FIT_OPTIONS

    opts = {k: v for k, v in (run.info.settings or {}).items() if k in FIT_OPTIONS}
    if se is not None:
        opts["se"] = se
    return fit_with_options(md, opts)


def _current(session, run) -> tuple:
    """(md, stale, notes): the run's specification on the current data, and whether that data
    differs from the data the run was fitted on (its fingerprint, as ``quant.runs.saved.run_status``)."""
    from quant.runs import saved as runs
    from quant.runs.data import fingerprint

    md = runs.run_model_data(session, run.info)
    stale = fingerprint(md) != run.info.fingerprint
    notes = []
    if stale:
        notes.append(_("The data changed since the run '{name}' was fitted; the cases below come from "
                     "a refit on the current data.").format(name=run.info.name))
    return md, stale, notes


def _current_fit(session, run) -> tuple:
    """(result, md, stale, notes): the run's specification fitted on the current data."""
    md, stale, notes = _current(session, run)
    return _fit(md, run), md, stale, notes


# ------------------------------------------------------------------ pathway
def _split_terms(rhs: str) -> list[str]:
    terms, depth, cur = [], 0, ""
    for ch in rhs:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "+" and depth == 0:
            terms.append(cur.strip())
            cur = ""
        else:
            cur += ch
    terms.append(cur.strip())
    return [t for t in terms if t]


def _norm(term: str) -> str:
    t = re.sub(r"\s+", "", term)
    return re.sub(r"^(\w+)\((\w+)\)$", r"\1_\2", t)


def _matches(term: str, variable: str) -> bool:
    v = _norm(variable)
    if _norm(term) == v:
        return True
    parts = re.split(r"[:*]", re.sub(r"\s+", "", term))
    return len(parts) > 1 and any(_norm(p) == v for p in parts)


def reduced_formula(formula: str, variable: str) -> str:
    """``formula`` without the top-level terms naming ``variable`` (an interaction containing it
    goes too); ``y ~ 1`` when nothing is left.

    Raises
    ------
    QuantError
        No term names ``variable`` (the sentence lists the terms).
    """
    lhs, rhs = formula.split("~", 1)
    terms = _split_terms(rhs)
    kept = [t for t in terms if not _matches(t, variable)]
    if len(kept) == len(terms):
        raise QuantError(_("The model has no term {variable!r} to drop; choose one of: {items}.").format(variable=variable, items=', '.join((t for t in terms if t not in ('1', '0')))))
    return f"{lhs.strip()} ~ {' + '.join(kept) if kept else '1'}"


def _reduced_data(md, info, variable):
    """The run's ModelData with ``variable``'s terms dropped from the written and the rewritten
    formula (and the hurdle zero part), so the operator columns are not built again."""
    import dataclasses

    from quant.runs.analysis import Spec

    written = reduced_formula(info.formula, variable)
    design = reduced_formula(md.design_formula, variable)
    zero_w, zero_d = md.zero_formula, md.zero_design_formula
    if zero_d:
        try:
            zero_d = reduced_formula("y ~ " + zero_d, variable).split("~", 1)[1].strip()
            zero_w = reduced_formula("y ~ " + zero_w.split("~", 1)[-1], variable).split("~", 1)[1].strip()
        except QuantError:
            pass
    ops = [(op, v) for op, v in md.operators if _norm(f"{op}({v})") != _norm(variable)]
    return written, dataclasses.replace(md, spec=Spec(md.spec.dimension, md.spec.model, written), design_formula=design,
                                        zero_formula=zero_w, zero_design_formula=zero_d, operators=ops)


def _pathway(session, run, sub, outcome, *, variable, reduced, n):
    from quant.runs.analysis import model_data

    info = run.info
    if reduced is None and variable is None:
        terms = [t for t in _split_terms(info.formula.split("~", 1)[1]) if t not in ("1", "0")]
        raise QuantError(_("pathway needs the variable to drop or a reduced formula; choose one of: {terms}.").format(terms=', '.join(terms)))
    md, stale, notes = _current(session, run)
    if reduced is not None:
        red = str(reduced).strip()
        if "~" not in red:
            red = f"{info.formula.split('~', 1)[0].strip()} ~ {red}"
        label = variable or "the dropped terms"
        md_red = model_data(session, info.dimension, model=info.model, formula=red, zero_formula=info.zero_formula)
    else:
        red, md_red = _reduced_data(md, info, variable)
        label = variable
    ids = sub.attrs["id_columns"]
    # The full model: the run itself, unless the data changed (then refitted like the reduced one).
    full_units = _fit(md, run, se=("model",)).units if stale else run.units
    red_res = _fit(md_red, run, se=("model",))
    fu = full_units[ids + ["y", "fitted", "pearson"]].copy()
    ru = red_res.units[ids + ["pearson"]].rename(columns={"pearson": "reduced"})
    for c in ids:
        fu[c], ru[c] = fu[c].astype(str), ru[c].astype(str)
    both = fu.merge(ru, on=ids, how="inner")
    if len(both) < len(fu):
        notes.append(_("{value} unit(s) of the full model are missing from the reduced one and are left out.").format(value=len(fu) - len(both)))
    rtype = str(run.result.meta.get("residual") or "Pearson residual")
    table = cr.case_table(both[ids], both["y"], both["fitted"], both["pearson"], rtype)
    if outcome is not None:  # tie / non-tie, on the current data
        mask = (table["observed"].to_numpy() >= 0.5) == (outcome == "tie")
        table, both = table[mask].reset_index(drop=True), both[mask].reset_index(drop=True)
        table.attrs.update(id_columns=ids, residual_type=rtype)
    frame = crm.pathway(table, both["reduced"].to_numpy(float), variable=label, n=n)
    frame["reduced_formula"] = red
    params = {"variable": variable, "reduced": red}
    return frame, params, {"stale": stale, "notes": notes, "reduced_formula": red}


# ------------------------------------------------------------------ influential
_FAMILY = {"poisson": "poisson", "nb": "nb", "binomial": "binomial"}


#: Dyad models with a GLM form for dyad-level Cook's distance (``method="cooks"``).
_DYAD_FAMILY = {"logit": "logit", "nb_pos": "nb"}


def _influential(session, run, sub, keep, *, n, method="residual", outcome=None):
    from quant.inference.hypotheses import model_parts
    from quant.inference.influence import city_influence

    ids = sub.attrs["id_columns"]
    dyad_cooks = ids != ["city"] and method == "cooks"
    if dyad_cooks and run.info.model not in _DYAD_FAMILY:
        raise QuantError(_("Dyad-level Cook's distance needs a logit or nb_pos run; the run '{name}' is "
                         "{model}: use the delete-a-city measure (method 'residual').").format(name=run.info.name, model=run.info.model))
    result, md, stale, notes = _current_fit(session, run)
    if ids == ["city"] or dyad_cooks:
        family = (_DYAD_FAMILY if dyad_cooks else _FAMILY).get(result.model)
        if family is None:
            raise QuantError(_("Cook's distance is not available for the {model} model.").format(model=result.model))
        part = model_parts(result, md.data)[0]
        u = result.units
        alpha = float(result.params["alpha"]) if "alpha" in result.params.index else None
        got = crm.glm_influence(part.X, u["y"].to_numpy(float), u["fitted"].to_numpy(float), family=family,
                                alpha=alpha, trials=u["trials"].to_numpy(float) if "trials" in u else None)
        rtype = str(result.meta.get("residual") or "Pearson residual")
        table = cr.case_table(u[ids].astype(str), u["y"], u["fitted"], u["pearson"], rtype)
        cooks, lev = got["cooks"], got["leverage"]
        if outcome is not None:  # tie / non-tie, on the current data
            mask = (table["observed"].to_numpy() >= 0.5) == (outcome == "tie")
            table = table[mask].reset_index(drop=True)
            table.attrs.update(id_columns=ids, residual_type=rtype)
            cooks, lev = cooks[mask], lev[mask]
        frame = crm.influential(table, cooks, lev, n=n)
        return frame, {"measure": "Cook's distance"}, {"stale": stale, "notes": notes}
    n_exact = -1 if n is None else int(n)
    infl = city_influence(result, md.data, n_exact=n_exact)
    notes += infl.notes
    t = infl.table
    if n is not None:
        t = t.iloc[: int(n)]
    exact = t["exact_score"].to_numpy(float)
    score = np.where(np.isfinite(exact), exact, t["score"].to_numpy(float))
    # observed/predicted/residual of a city: its dyads' totals.
    u = result.units
    long = pd.DataFrame({
        "city": np.concatenate([u["city_a"].astype(str), u["city_b"].astype(str)]),
        "y": np.tile(u["y"].to_numpy(float), 2), "fitted": np.tile(u["fitted"].to_numpy(float), 2),
        "pearson": np.tile(u["pearson"].to_numpy(float), 2),
    })
    g = long.groupby("city").agg(y=("y", "sum"), fitted=("fitted", "sum"), ps=("pearson", "sum"),
                                 k=("pearson", "size"))
    g = g.reindex(t["city"].astype(str))
    resid = (g["ps"] / np.sqrt(g["k"])).to_numpy()
    rtype = "sum of the city's dyad Pearson residuals / √(its dyads)"
    table = cr.case_table(t[["city"]].astype(str).reset_index(drop=True), g["y"].to_numpy(), g["fitted"].to_numpy(),
                          resid, rtype)
    table["measure"] = "delete-a-city"
    table["n_rows"] = t["n_rows"].to_numpy()
    table["one_step_score"] = t["score"].to_numpy()
    table["exact_score"] = exact
    for c in t.columns:
        if c.startswith("exact:"):
            table[c] = t[c].to_numpy()
    frame = cr.order_by(table, score, descending=True)
    frame.attrs["id_columns"] = ["city"]
    attrs = {"stale": stale, "notes": notes, "id_columns": ["city"], "se_type": infl.se_type}
    if keep is not None:
        notes.append(_("Influential cities are cities, not dyads: the tie/non-tie choice does not apply."))
    return frame, {"measure": "delete-a-city", "se_type": infl.se_type}, attrs


# ------------------------------------------------------------------ matching
def _numeric(frame: pd.DataFrame, col: str) -> np.ndarray | None:
    v = pd.to_numeric(frame[col], errors="coerce")
    if v.isna().any():
        return None
    return v.to_numpy(float)


def _matching(run, sub, keep, rule, *, variable, controls, n):
    from quant.cases.select import covariate_choices, resolve_variable

    cov = run.covariates()
    if keep is not None:
        cov = cov[np.asarray(keep, bool)].reset_index(drop=True)
    key_col = resolve_variable(run, variable) if variable is not None else None
    if controls is None:
        ctrl = [c for c in covariate_choices(run) if c != key_col]
        ctrl = [c for c in ctrl if _numeric(cov, c) is not None]
    else:
        if isinstance(controls, str):
            controls = [controls]
        ctrl = [resolve_variable(run, c, what="control") for c in controls]
        bad = [c for c in ctrl if _numeric(cov, c) is None]
        if bad:
            raise QuantError(_("The control(s) {bad} are not numbers for every case; choose numeric controls.").format(bad=', '.join(bad)))
        if key_col in ctrl:
            raise QuantError(_("{key_col} cannot be both the key variable and a control.").format(key_col=key_col))
    if not ctrl:
        raise QuantError(_("Matching needs at least one numeric control variable; the run has none besides the key variable."))
    C = np.column_stack([cov[c].to_numpy(float) for c in ctrl])
    notes = []
    if n is None:
        from quant.cases.select import MAX_PAIRS

        n = MAX_PAIRS
        notes.append(_("At most {max_pairs} pairs are listed.").format(max_pairs=MAX_PAIRS))
    outcome_name = str(run.result.meta.get("outcome") or run.info.dimension)
    if rule == "similar":
        if key_col is not None:
            key = _numeric(cov, key_col)
            if key is None:
                raise QuantError(_("The key variable {key_col} is not a number for every case.").format(key_col=key_col))
            frame = crm.similar_pairs(sub, C, key, key_name=key_col, n=n)
        else:
            frame = crm.similar_pairs(sub, C, sub["observed"].to_numpy(float), key_name=outcome_name, n=n)
            notes.append(_("These pairs differ on the outcome, which suits exploratory work (finding causes); to "
                         "estimate a variable's effect choose pairs that differ on that variable instead "
                         "(Seawright & Gerring 2008)."))
    else:
        frame = crm.different_pairs(sub, C, sub["observed"].to_numpy(float), key_name=outcome_name, n=n)
    params = {"controls": ctrl, "metric": "mahalanobis", "key": key_col or outcome_name}
    if len(sub) > crm.EXACT_PAIRS_MAX:
        notes.append(_("With {n} cases not every pair is scored: candidates are each case's nearest "
                     "neighbours (most-similar) or the most outlying cases (most-different).").format(n=len(sub)))
    return frame, params, {"notes": notes, "metric": "Mahalanobis distance on standardized controls"}


def select(session, run, rule, sub, keep, *, variable, reduced, n, controls, outcome=None, method="residual"):
    """Dispatch for ``select_run_cases``: (frame, parameters, attrs)."""
    if rule == "pathway":
        return _pathway(session, run, sub, outcome, variable=variable, reduced=reduced, n=n)
    if rule == "influential":
        return _influential(session, run, sub, keep, n=n, method=method, outcome=outcome)
    if rule in ("similar", "different"):
        return _matching(run, sub, keep, rule, variable=variable, controls=controls, n=n)
    raise QuantError(_("Unknown case-selection rule {rule!r}.").format(rule=rule))
