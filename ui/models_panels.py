"""Panels of the Models page (ui/models.py): inference on the current fit, saving and loading
specifications, quantitized codes (saved specifications side by side: ``ui/spec_compare.py``). Thin: every number comes from ``quant``/``report``."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import i18n
from coding.spreadsheet import to_csv_bytes
from i18n import N_, _
from quant.data import project as qdata
from quant.runs.analysis import model_data
from quant.cases.typical_deviant import city_residual_from_dyads
from quant.inference.hypotheses import standardized, vif
from quant.inference.influence import city_influence
from quant.inference.margins import average_marginal_effects
from quant.data.quantitize import LEVELS, MEASURES, quantitize, quantitized_status
from quant.errors import QuantError
from quant.runs.specs import load_spec, save_spec
from ui import fits, state

_INFLUENCE_AUTO_ROWS = 50_000

# Labels of models, SE types and table columns shown in a translated interface. In English the page
# shows the keys themselves (logit, nb, hc0, dyadic, estimate, ci_low …), as it always has; the
# values passed to the library are the keys in every language.
MODEL_LABELS = {
    "logit": N_("logit (logistic regression)"), "probit": N_("probit (probit regression)"), "cloglog": N_("cloglog (complementary log-log)"),
    "firth": N_("firth (Firth's penalised logit)"), "poisson": N_("poisson (Poisson regression)"),
    "nb": N_("nb (negative binomial NB2)"), "ztnb": N_("ztnb (zero-truncated negative binomial)"),
    "nb_pos": N_("nb_pos (negative binomial on positive counts)"), "hurdle": N_("hurdle (two-part hurdle model)"),
    "binomial": N_("binomial (binomial regression)"), "gaussian": N_("gaussian (OLS)"),
}
SE_LABELS = {
    "model": N_("model-based SE"), "hc0": N_("HC0 robust SE"), "hc1": N_("HC1 robust SE"),
    "hc2": N_("HC2 robust SE"), "hc3": N_("HC3 robust SE"), "dyadic": N_("dyadic-robust SE"),
    "each fit's default": N_("each fit's default"),
}
COLUMN_LABELS = {
    "term": N_("term"), "estimate": N_("estimate"), "se": N_("se"), "z": N_("z"), "p": N_("p"), "ci_low": N_("95% CI, lower limit"),
    "ci_high": N_("95% CI, upper limit"), "ame": N_("average marginal effect"),
    "profile ci_low": N_("profile-likelihood 95% CI, lower limit"),
    "profile ci_high": N_("profile-likelihood 95% CI, upper limit"),
}
_DUMMY = {"auto": N_("discrete change 0→1"), "derivative": N_("derivative")}
_LEVELS = {"city": N_("city"), "dyad": N_("dyad")}
_MEASURES = {"count": N_("count"), "presence": N_("presence")}


def shown_label(table: dict, key) -> str:
    """``key`` as shown: itself in English, its translated label in another interface language."""
    if i18n.language() == i18n.DEFAULT or key not in table:
        return str(key)
    return _(table[key])


def model_label(model: str) -> str:
    """A model key (``"nb"``) as shown: the key in English, e.g. ``负二项回归 (nb)`` in Chinese."""
    return shown_label(MODEL_LABELS, model)


def se_label(se_type: str) -> str:
    """An SE type key (``"dyadic"``) as shown: the key in English, ``二元稳健标准误`` in Chinese."""
    return shown_label(SE_LABELS, se_type)


def column_label(column: str) -> str:
    """A results-table column (``estimate``, ``se``, ``ci_low``, ``se (dyadic)`` …) as shown."""
    if column.startswith("se (") and column.endswith(")") and i18n.language() != i18n.DEFAULT:
        return _("se ({se_type})").format(se_type=se_label(column[4:-1]))
    return shown_label(COLUMN_LABELS, column)


def with_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its columns (and the index's name) renamed for display (unchanged in English)."""
    out = frame.rename(columns={c: column_label(c) for c in frame.columns if isinstance(c, str)})
    if isinstance(out.index.name, str):
        out = out.rename_axis(index=column_label(out.index.name))
    return out


def city_attributes(session) -> list[str]:
    """Numeric and text city attributes (not ids or coordinates), for the operators hint."""
    frame = qdata.city_frame(session)
    return [c for c in frame.columns if c not in ("code", "name", "short_name", "pinyin", "lat", "lon")]


def load_spec_into_widgets(name: str) -> None:
    """Callback: copy a saved specification into the page's widgets and ask for a fit."""
    spec = state.attempt(state.read, load_spec, name)
    if spec is None:
        return
    dim, opts = spec["dimension"], spec["options"]
    st.session_state["model_dimension"] = dim
    st.session_state[f"model_{dim}"] = spec["model"]
    st.session_state[f"formula_{dim}"] = spec["formula"]
    st.session_state[f"zero_{dim}"] = opts.get("zero_formula", "")
    if opts.get("se"):
        st.session_state[f"se_{dim}"] = list(opts["se"])
    st.session_state[f"nn_{dim}"] = opts.get("small_sample") == "nodes"
    st.session_state[f"pv_{dim}"] = opts.get("pvalues", "normal")
    st.session_state[f"min_events_{dim}"] = int(opts.get("min_events") or 10)
    st.session_state[f"directed_{dim}"] = "Directed pairs" if opts.get("directed") else "Undirected pairs"
    st.session_state[f"offset_col_{dim}"] = opts.get("offset") or opts.get("exposure") or "(none)"
    st.session_state[f"offset_kind_{dim}"] = "exposure" if opts.get("exposure") else "offset"
    st.session_state["_models_fit_now"] = True


def save_run_form(result, dimension: str) -> None:
    """The "Save as run" form under a fit: name prefilled "<dimension> <model> <time>", replace box.

    A saved run is what the Joint display, Cases and Report pages read; viewers see why not.
    """
    from datetime import datetime, timezone

    if not state.can("fit"):  # the page's one caption says why
        return
    flash = st.session_state.pop(f"_run_saved_{dimension}", None)
    if flash:
        st.success(flash)
    key = f"run_name_{dimension}"
    if not st.session_state.get(key):
        st.session_state[key] = f"{dimension} {result.model} {datetime.now(timezone.utc):%Y-%m-%d %H:%M}"
    with st.form(key=f"save_run_{dimension}", border=True):
        st.markdown(_("**Save as run** — keep this fit (estimates, covariances, per-unit fit) in the project for "
                      "the Joint display, Cases and Report pages."))
        c1, c2 = st.columns([4, 2], vertical_alignment="bottom")
        name = c1.text_input(_("Run name"), key=key, max_chars=200)
        replace = c2.checkbox(_("Replace a run of that name"), key=f"run_replace_{dimension}",
                              help=_("The replaced run stays restorable by undo."))
        if st.form_submit_button(_("Save as run"), type="primary"):
            info = fits.save_as_run(dimension, name, replace=replace)
            if info is not None:
                st.session_state[f"_run_saved_{dimension}"] = _(
                    "Saved the run “{name}”; the Runs page lists, compares and refits runs.").format(name=info.name)
                del st.session_state[key]
                st.rerun()


def save_current(name: str, dimension: str, spec: dict, replace: bool) -> None:
    """Save the specification on screen under ``name``."""
    options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.items()
               if k not in ("model", "formula") and v not in (None, False, "none", "normal", "")}
    if not spec.get("formula"):
        st.error(_("Write a formula before saving the specification."))
        return
    state.write(save_spec, name, dimension, spec["model"], spec["formula"], options, replace=replace,
                success=_("Saved the specification '{name}'.").format(name=name.strip()))


@st.cache_data(show_spinner=False, max_entries=6)
def _prepared(project: str, revision: int, dimension: str, model: str, formula: str, zero: str | None,
              directed: bool = False, offset: str | None = None, exposure: str | None = None):
    return state.read(model_data, dimension, model=model, formula=formula, zero_formula=zero,
                      directed=directed, offset=offset, exposure=exposure)


def prepared(result):
    """The table the current fit was made on: the one kept with the fit, else read again (cached per
    project revision and specification)."""
    kept = fits.kept_data(result.dimension, result)
    if kept is not None:
        return kept
    opts = result.meta.get("data_options") or {}
    return state.attempt(_prepared, state.project_path(), state.revision(), result.dimension, result.model,
                         result.formula, result.meta.get("zero_formula"), bool(result.meta.get("directed")),
                         opts.get("offset"), opts.get("exposure"))


def marginal_effects(result, se_type: str) -> None:
    md = prepared(result)
    if md is None:
        return
    dummy = st.radio(_("0/1 covariates"), list(_DUMMY), horizontal=True, key="ame_dummy",
                     format_func=lambda k: _(_DUMMY[k]))
    ame = state.attempt(average_marginal_effects, result, md.data, se_type=se_type, dummy=dummy)
    if ame is None:
        return
    st.caption(_("Average marginal effect on {scale}, averaged over {n:,} units; delta-method SE under the "
                 "{se_type} covariance ({se_label}); p from the {p_label}.").format(
        scale=ame.attrs["scale"], n=ame.attrs["n"], se_type=se_label(se_type), se_label=ame.attrs["se_label"],
        p_label=ame.attrs["p_label"]))
    numbers = [column_label(c) for c in ("ame", "se", "z", "p", "ci_low", "ci_high")]
    st.dataframe(with_headers(ame).style.format(precision=4, subset=numbers), width="stretch")


def standardised_and_vif(result, se_type: str) -> None:
    md = prepared(result)
    if md is None:
        return
    std = state.attempt(standardized, result, md.data, se_type=se_type)
    if std is not None:
        st.caption(_("b·sd(x): change in the linear predictor per standard deviation of x; factor = exp(b·sd(x)) "
                     "(odds or rate ratio per SD); b_std: fully standardised on the latent scale (logit/probit)."))
        st.dataframe(std.style.format(precision=4), width="stretch")
    table = state.attempt(vif, result, md.data)
    if table is not None:
        st.caption(_("Variance inflation factors of the design (above 10: coefficients hard to separate)."))
        st.dataframe(table.style.format(precision=3), width="stretch")


def influence(result, se_type: str) -> None:
    md = prepared(result)
    if md is None:
        return
    n_cities = int(result.n_nodes or 1000)
    n_exact = st.number_input(_("Exact refits for the most influential cities"), 0, n_cities, min(5, n_cities),
                              key="inf_exact",
                              help=_("{n} refits every city and adds the node-jackknife SEs.").format(n=n_cities))
    if result.n > _INFLUENCE_AUTO_ROWS and not st.button(_("Compute city influence")):
        st.info(_("{n:,} rows: press the button to compute (one Hessian per city, then refits).").format(n=result.n))
        return
    with st.spinner(_("Deleting one city at a time…")):
        inf = state.attempt(city_influence, result, md.data, se_type=se_type,
                            n_exact=-1 if int(n_exact) >= n_cities else int(n_exact))
    if inf is None:
        return
    st.caption(_("Δ = estimate without the city − estimate with it. step: one Newton step (H − H_i)⁻¹U_i "
                 "(quant.md §1.8); exact: refit. score = max |Δ|/SE over the substantive terms "
                 "({se_type}).").format(se_type=se_label(se_type) if i18n.language() != i18n.DEFAULT
                                        else f"{se_type} SE"))
    names = state.attempt(state.read, _city_names) or {}
    table = inf.table.copy()
    table.insert(1, "name", table["city"].map(names))
    order = ["rank", "city", "name", "score", "exact_score"]
    order += [c for t in inf.terms for c in (f"step:{t}", f"exact:{t}")] + ["n_rows"]
    st.dataframe(table[order].head(25), hide_index=True, width="stretch",
                 column_config={"rank": st.column_config.NumberColumn(_("rank")),
                                "city": st.column_config.TextColumn(_("city code")),
                                "name": st.column_config.TextColumn(_("city")),
                                "exact_score": st.column_config.NumberColumn(_("exact score"), format="%.4f"),
                                "score": st.column_config.NumberColumn(_("score (one-step)"), format="%.4f"),
                                "n_rows": st.column_config.NumberColumn(_("rows"))})
    if inf.jackknife_cov is not None:
        st.caption(_("Node-jackknife SEs (every city refitted): {values}").format(
            values=", ".join(f"{t} {v:.4g}" for t, v in zip(inf.terms, np.sqrt(np.diag(inf.jackknife_cov))))))
    for note in inf.notes:
        st.warning(note)


def _city_names(session) -> dict:
    frame = qdata.city_frame(session)
    return dict(zip(frame["code"], frame["name"]))


def city_residuals(result) -> None:
    if result.model not in ("logit", "probit"):
        st.info(_("City residuals need a logit or probit connection model."))
        return
    res = state.attempt(city_residual_from_dyads, result)
    if res is None:
        return
    names = state.attempt(state.read, _city_names) or {}
    res.insert(1, "name", res["city"].map(names))
    res = res.reindex(res["residual"].abs().sort_values(ascending=False).index)
    st.caption(_("(partners − Σ p̂)/√Σ p̂(1 − p̂): how far each city's breadth is from what the dyad model implies "
                 "(quant.md §2.2); large positive = more partners than expected."))
    st.dataframe(res, hide_index=True, width="stretch",
                 column_config={"city": st.column_config.TextColumn(_("city code")),
                                "name": st.column_config.TextColumn(_("city"))})
    st.download_button(_("Download CSV"), to_csv_bytes(res), "city_residuals.csv", "text/csv",
                       key="cityres_csv")


@st.cache_data(show_spinner=False, max_entries=2)
def _codebook(project: str, revision: int):
    from coding.tree import codebook

    return state.read(codebook)


def quantitized_codes() -> None:
    """Make city or dyad variables from the codings of a code, and show the ones made."""
    st.subheader(_("Quantitized codes as covariates"))
    st.caption(_("Count (or presence) of coded passages of a code — sub-codes included — linked to each city or "
                 "dyad, stored as a variable; its construction is recorded in the project."))
    book = state.attempt(_codebook, state.project_path(), state.revision())
    if book is None or book.empty:
        st.info(_("The project has no codes yet."))
        return
    if state.can("fit"):
        _quantitize_form(book)
    status = state.attempt(state.read, quantitized_status)
    if status is not None and len(status):
        st.dataframe(status, hide_index=True, width="stretch",
                     column_config={"current": st.column_config.CheckboxColumn(_("matches codings now"))})


def _quantitize_form(book) -> None:
    """The form that makes a quantitized variable (coders and owners)."""
    c1, c2, c3 = st.columns([3, 1, 1])
    path = c1.selectbox(_("Code"), book["path"].tolist(), key="q_code")  # i18n: data
    level = c2.radio(_("Level"), list(LEVELS), horizontal=True, key="q_level",
                     format_func=lambda k: _(_LEVELS[k]) if k in _LEVELS else k)
    measure = c3.radio(_("Measure"), list(MEASURES), horizontal=True, key="q_measure",
                       format_func=lambda k: _(_MEASURES[k]) if k in _MEASURES else k)
    c4, c5, c6, c7 = st.columns([1, 1, 2, 1], vertical_alignment="bottom")
    via = c4.checkbox(_("via dyads"), value=True, key="q_via", disabled=level == "dyad",
                      help=_("City level: also count passages linked to a dyad containing the city."))
    subs = c5.checkbox(_("sub-codes"), value=True, key="q_subs")
    name = c6.text_input(_("Variable name"), key="q_name", placeholder=_("default: q_<code>_<measure>"))
    replace = c7.checkbox(_("rebuild"), key="q_replace", help=_("Overwrite a quantitized variable of that name."))
    if st.button(_("Create variable"), key="q_make"):
        code_id = int(book.loc[book["path"] == path, "id"].iloc[0])
        made = state.write(quantitize, code_id, level=level, measure=measure, via_dyads=via, include_subcodes=subs,
                           name=name or None, replace=replace)
        if made:
            template = (_("Made city variable '{name}': {nonzero} of {units:,} units non-zero. Use it in a formula, "
                          "e.g. sum({name}).") if made["level"] == "city"
                        else _("Made {level} variable '{name}': {nonzero} of {units:,} units non-zero. Use it in a "
                               "formula."))
            st.success(template.format(level=_(_LEVELS.get(made["level"], made["level"])), name=made["name"],
                                       nonzero=made["n_nonzero"], units=made["n_units"]))


def model_choices(models, data: pd.DataFrame, formula: str | None, unit: str) -> list[str]:
    """The models (of ``models``) whose outcome type fits the formula's outcome column; all of them
    when the outcome is an expression or not a column."""
    from quant.models.dispatch import MODEL_OUTCOMES, outcome_type, outcome_values

    y = outcome_values(data, formula) if formula and "~" in formula else None
    if y is None:
        return list(models)
    try:
        kind = outcome_type(y)
    except QuantError:  # no numeric outcome: every model stays offered
        return list(models)
    return [m for m in models if kind in MODEL_OUTCOMES[m]] or list(models)


def numeric_columns(data: pd.DataFrame) -> list[str]:
    """Numeric columns of the table, for the offset/exposure choice."""
    return [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])
            and c not in ("dyad_id", "pair", "lat", "lon")]


def profile_ci_columns(result, wide: pd.DataFrame) -> pd.DataFrame:
    """Add Firth's penalised profile-likelihood limits beside the Wald ones (if the fit has them)."""
    prof = result.meta.get("profile_ci")
    if not isinstance(prof, dict) or "error" in prof:
        return wide
    wide = wide.copy()
    wide["profile ci_low"] = [prof.get(str(t), [np.nan, np.nan])[0] for t in wide.index]
    wide["profile ci_high"] = [prof.get(str(t), [np.nan, np.nan])[1] for t in wide.index]
    return wide
