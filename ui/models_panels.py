"""Panels of the Models page (ui/models.py): inference on the current fit, saved specifications
side by side with downloads, quantitized codes. Thin: every number comes from ``quant``/``report``."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from coding.spreadsheet import to_csv_bytes
from quant import data as qdata
from quant.analysis import model_data
from quant.cases import city_residual_from_dyads
from quant.inference import lr_test, standardized, vif, wald_nested
from quant.influence import city_influence
from quant.margins import average_marginal_effects
from quant.quantitize import LEVELS, MEASURES, quantitize, quantitized_status
from quant.specs import delete_spec, fit_spec, load_spec, save_spec
from report.tables import EXPORT_FORMATS, STAT_ROWS, export_table, regression_table
from ui import fits, state

_FORMAT_LABELS = {"md": "Markdown", "html": "HTML", "csv": "CSV", "tex": "LaTeX", "docx": "Word"}
_INFLUENCE_AUTO_ROWS = 50_000


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
    with st.form(f"save_run_{dimension}", border=True):
        st.markdown("**Save as run** — keep this fit (estimates, covariances, per-unit fit) in the project for "
                    "the Joint display, Cases and Report pages.")
        c1, c2 = st.columns([4, 2], vertical_alignment="bottom")
        name = c1.text_input("Run name", key=key, max_chars=200)
        replace = c2.checkbox("Replace a run of that name", key=f"run_replace_{dimension}",
                              help="The replaced run stays restorable by undo.")
        if st.form_submit_button("Save as run", type="primary"):
            info = fits.save_as_run(dimension, name, replace=replace)
            if info is not None:
                st.session_state[f"_run_saved_{dimension}"] = (f"Saved the run “{info.name}”; the Runs page lists, "
                                                               "compares and refits runs.")
                del st.session_state[key]
                st.rerun()


def save_current(name: str, dimension: str, spec: dict, replace: bool) -> None:
    """Save the specification on screen under ``name``."""
    options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.items()
               if k not in ("model", "formula") and v not in (None, False, "none", "normal", "")}
    if not spec.get("formula"):
        st.error("Write a formula before saving the specification.")
        return
    state.write(save_spec, name, dimension, spec["model"], spec["formula"], options, replace=replace,
                success=f"Saved the specification '{name.strip()}'.")


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
    dummy = st.radio("0/1 covariates", ["auto", "derivative"], horizontal=True, key="ame_dummy",
                     format_func=lambda k: {"auto": "discrete change 0→1", "derivative": "derivative"}[k])
    ame = state.attempt(average_marginal_effects, result, md.data, se_type=se_type, dummy=dummy)
    if ame is None:
        return
    st.caption(f"Average marginal effect on {ame.attrs['scale']}, averaged over {ame.attrs['n']:,} units; delta-method "
               f"SE under the {se_type} covariance ({ame.attrs['se_label']}); p from the {ame.attrs['p_label']}.")
    st.dataframe(ame.style.format(precision=4, subset=["ame", "se", "z", "p", "ci_low", "ci_high"]), width="stretch")


def standardised_and_vif(result, se_type: str) -> None:
    md = prepared(result)
    if md is None:
        return
    std = state.attempt(standardized, result, md.data, se_type=se_type)
    if std is not None:
        st.caption("b·sd(x): change in the linear predictor per standard deviation of x; factor = exp(b·sd(x)) "
                   "(odds or rate ratio per SD); b_std: fully standardised on the latent scale (logit/probit).")
        st.dataframe(std.style.format(precision=4), width="stretch")
    table = state.attempt(vif, result, md.data)
    if table is not None:
        st.caption("Variance inflation factors of the design (above 10: coefficients hard to separate).")
        st.dataframe(table.style.format(precision=3), width="stretch")


def influence(result, se_type: str) -> None:
    md = prepared(result)
    if md is None:
        return
    n_cities = int(result.n_nodes or 1000)
    n_exact = st.number_input("Exact refits for the most influential cities", 0, n_cities, min(5, n_cities),
                              key="inf_exact", help=f"{n_cities} refits every city and adds the node-jackknife SEs.")
    if result.n > _INFLUENCE_AUTO_ROWS and not st.button("Compute city influence"):
        st.info(f"{result.n:,} rows: press the button to compute (one Hessian per city, then refits).")
        return
    with st.spinner("Deleting one city at a time…"):
        inf = state.attempt(city_influence, result, md.data, se_type=se_type,
                            n_exact=-1 if int(n_exact) >= n_cities else int(n_exact))
    if inf is None:
        return
    st.caption("Δ = estimate without the city − estimate with it. step: one Newton step (H − H_i)⁻¹U_i "
               "(quant.md §1.8); exact: refit. score = max |Δ|/SE over the substantive terms "
               f"({se_type} SE).")
    names = state.attempt(state.read, _city_names) or {}
    table = inf.table.copy()
    table.insert(1, "name", table["city"].map(names))
    order = ["rank", "city", "name", "score", "exact_score"]
    order += [c for t in inf.terms for c in (f"step:{t}", f"exact:{t}")] + ["n_rows"]
    st.dataframe(table[order].head(25), hide_index=True, width="stretch",
                 column_config={"exact_score": st.column_config.NumberColumn("exact score", format="%.4f"),
                                "score": st.column_config.NumberColumn("score (one-step)", format="%.4f")})
    if inf.jackknife_cov is not None:
        st.caption("Node-jackknife SEs (every city refitted): "
                   + ", ".join(f"{t} {v:.4g}" for t, v in zip(inf.terms, np.sqrt(np.diag(inf.jackknife_cov)))))
    for note in inf.notes:
        st.warning(note)


def _city_names(session) -> dict:
    frame = qdata.city_frame(session)
    return dict(zip(frame["code"], frame["name"]))


def city_residuals(result) -> None:
    if result.model not in ("logit", "probit"):
        st.info("City residuals need a logit or probit connection model.")
        return
    res = state.attempt(city_residual_from_dyads, result)
    if res is None:
        return
    names = state.attempt(state.read, _city_names) or {}
    res.insert(1, "name", res["city"].map(names))
    res = res.reindex(res["residual"].abs().sort_values(ascending=False).index)
    st.caption("(partners − Σ p̂)/√Σ p̂(1 − p̂): how far each city's breadth is from what the dyad model implies "
               "(quant.md §2.2); large positive = more partners than expected.")
    st.dataframe(res, hide_index=True, width="stretch")
    st.download_button("Download CSV", to_csv_bytes(res), "city_residuals.csv", "text/csv",
                       key="cityres_csv")


@st.cache_data(show_spinner=False, max_entries=24)
def _fit_saved(project: str, revision: int, name: str, signature: str):
    return state.read(fit_spec, name)


def compare_specs(saved: pd.DataFrame, current, dimension: str) -> None:
    """Several saved specifications side by side in one regression table, with downloads."""
    st.subheader("Specifications side by side")
    if saved.empty:
        st.info("No saved specification yet: fit one and use “Save this specification”.")
        return
    options = saved["name"].tolist() + (["(current fit)"] if current is not None else [])
    known = st.session_state.get("cmp_known")
    if "cmp_specs" not in st.session_state:
        st.session_state["cmp_specs"] = saved.loc[saved["dimension"] == dimension, "name"].tolist()[:3]
    else:  # keep the choice in step with the saved list: drop deleted specs, add newly saved ones
        fresh = [n for n in saved["name"] if known is not None and n not in known]
        st.session_state["cmp_specs"] = [n for n in st.session_state["cmp_specs"] if n in options] + fresh
    st.session_state["cmp_known"] = saved["name"].tolist()
    chosen = st.multiselect("Specifications", options, key="cmp_specs")
    c1, c2, c3 = st.columns(3)
    se_choice = c1.selectbox("Standard errors", ["each fit's default", "model", "hc0", "dyadic"], key="cmp_se")
    stars_text = c2.text_input("Star levels", "0.05, 0.01, 0.001", key="cmp_stars",
                               help="Significance levels for *, **, ***, strictly decreasing.")
    rows = c3.multiselect("Bottom rows", list(STAT_ROWS), default=["N", "Nodes", "Log-likelihood", "AIC"],
                          key="cmp_rows")
    results, labels = [], []
    for i, name in enumerate(chosen, start=1):
        if name == "(current fit)":
            r = current
        else:
            row = saved[saved["name"] == name].iloc[0]
            signature = f"{row['dimension']}|{row['model']}|{row['formula']}|{row['options']}"
            r = state.attempt(_fit_saved, state.project_path(), state.revision(), name, signature)
        if r is not None:
            results.append(r)
            labels.append(f"({i}) {name}")
    if not results:
        return
    try:
        stars = tuple(float(x) for x in stars_text.replace(";", ",").split(",") if x.strip())
    except ValueError:
        st.error(f"Star levels {stars_text!r} must be numbers separated by commas, e.g. 0.05, 0.01, 0.001.")
        return
    se_key = None if se_choice == "each fit's default" else se_choice
    table = state.attempt(regression_table, results, se_key, stars, labels=labels, stats=rows)
    if table is None:
        return
    st.dataframe(table, hide_index=True, width="stretch", height=min(35 * (len(table) + 1) + 3, 1400))
    st.caption(table.attrs["note"])
    cols = st.columns(len(EXPORT_FORMATS))
    for col, fmt in zip(cols, EXPORT_FORMATS):
        data = state.attempt(export_table, table, fmt, caption="Regression estimates")
        if data is not None:
            col.download_button(_FORMAT_LABELS[fmt], data, f"regression_table.{fmt}", EXPORT_FORMATS[fmt],
                                key=f"cmp_dl_{fmt}")
    if len(results) >= 2:
        lines = []
        for a in range(len(results)):
            for b in range(a + 1, len(results)):
                if results[a].dimension != results[b].dimension:
                    continue  # models of different dimensions are never nested
                (i_small, small), (i_big, big) = sorted(((a, results[a]), (b, results[b])),
                                                        key=lambda pair: len(pair[1].params))
                try:
                    tests = [lr_test(small, big), wald_nested(small, big, se_key)]
                except ValueError:
                    continue
                la, lb = labels[i_small], labels[i_big]
                lines += [f"{la} within {lb}: {t.sentence()}" for t in tests]
        if lines:
            st.markdown("**Nested tests**\n\n" + "\n".join(f"- {x}" for x in lines))
    if not state.can("fit"):
        return
    with st.expander("Delete a saved specification"):
        gone = st.selectbox("Specification", saved["name"].tolist(), key="cmp_delete")
        if st.button("Delete", key="cmp_delete_btn"):
            state.write(delete_spec, gone, success=f"Deleted '{gone}'.")


@st.cache_data(show_spinner=False, max_entries=2)
def _codebook(project: str, revision: int):
    from coding.tree import codebook

    return state.read(codebook)


def quantitized_codes() -> None:
    """Make city or dyad variables from the codings of a code, and show the ones made."""
    st.subheader("Quantitized codes as covariates")
    st.caption("Count (or presence) of coded passages of a code — sub-codes included — linked to each city or dyad, "
               "stored as a variable; its construction is recorded in the project.")
    book = state.attempt(_codebook, state.project_path(), state.revision())
    if book is None or book.empty:
        st.info("The project has no codes yet.")
        return
    if state.can("fit"):
        _quantitize_form(book)
    status = state.attempt(state.read, quantitized_status)
    if status is not None and len(status):
        st.dataframe(status, hide_index=True, width="stretch",
                     column_config={"current": st.column_config.CheckboxColumn("matches codings now")})


def _quantitize_form(book) -> None:
    """The form that makes a quantitized variable (coders and owners)."""
    c1, c2, c3 = st.columns([3, 1, 1])
    path = c1.selectbox("Code", book["path"].tolist(), key="q_code")
    level = c2.radio("Level", list(LEVELS), horizontal=True, key="q_level")
    measure = c3.radio("Measure", list(MEASURES), horizontal=True, key="q_measure")
    c4, c5, c6, c7 = st.columns([1, 1, 2, 1], vertical_alignment="bottom")
    via = c4.checkbox("via dyads", value=True, key="q_via", disabled=level == "dyad",
                      help="City level: also count passages linked to a dyad containing the city.")
    subs = c5.checkbox("sub-codes", value=True, key="q_subs")
    name = c6.text_input("Variable name", key="q_name", placeholder="default: q_<code>_<measure>")
    replace = c7.checkbox("rebuild", key="q_replace", help="Overwrite a quantitized variable of that name.")
    if st.button("Create variable", key="q_make"):
        code_id = int(book.loc[book["path"] == path, "id"].iloc[0])
        made = state.write(quantitize, code_id, level=level, measure=measure, via_dyads=via, include_subcodes=subs,
                           name=name or None, replace=replace)
        if made:
            st.success(f"Made {made['level']} variable '{made['name']}': {made['n_nonzero']} of {made['n_units']:,} "
                       "units non-zero. Use it in a formula"
                       + (f", e.g. sum({made['name']})." if made["level"] == "city" else "."))


def model_choices(models, data: pd.DataFrame, formula: str | None, unit: str) -> list[str]:
    """The models (of ``models``) whose outcome type fits the formula's outcome column; all of them
    when the outcome is an expression or not a column."""
    from quant.models import MODEL_OUTCOMES, outcome_type, outcome_values

    y = outcome_values(data, formula) if formula and "~" in formula else None
    if y is None:
        return list(models)
    try:
        kind = outcome_type(y)
    except ValueError:
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
