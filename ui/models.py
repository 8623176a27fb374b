"""Models page: specify (node operators, hurdle, saved specifications), fit, read the estimates with
every SE type, then marginal effects, standardised coefficients, VIF, city influence, the city
residuals implied by the dyad model, several saved specifications side by side, and quantitized
codes as covariates."""
import altair as alt
import pandas as pd
import streamlit as st

from i18n import N_, _
from quant.runs.analysis import DEFAULT_MODEL, MODELS, default_spec, dimension_data
from quant.models.dispatch import UNIT, inference_note
from quant.errors import QuantError
from quant.runs.specs import list_specs
from ui import fits, models_panels as panels, spec_compare, state
from ui.run_picker import DIMENSION_LABELS, dimension_label

PAIRS = {"Undirected pairs": N_("Undirected pairs"), "Directed pairs": N_("Directed pairs")}
OFFSET_KINDS = {"offset": N_("offset"), "exposure": N_("exposure")}
P_VALUES = {"normal": N_("normal"), "t": N_("t")}
NONE = "(none)"
TABS = {"ame": N_("Marginal effects"), "std": N_("Standardised & VIF"), "influence": N_("City influence"),
        "residuals": N_("City residuals")}

st.title(_("Models"))
st.caption(_("breadth: partners per city (count) · connection: does a pair collaborate (binary, all dyads) · "
             "degree: service items of a collaborating pair (count: zero-truncated, NB on collaborating pairs, or "
             "the two-part hurdle)"))

dimension = st.segmented_control(_("Dimension"), list(DIMENSION_LABELS), default="connection",
                                 format_func=dimension_label, key="model_dimension", required=True) or "connection"


@st.cache_data(max_entries=6, show_spinner=False)
def _dimension_data(project: str, revision: int, dimension: str, directed: bool = False) -> pd.DataFrame:
    """The dimension's model data, read once per project, data revision and dimension (1-2 s on the demo)."""
    if directed:
        from quant.data.directed import directed_frame

        return state.read(directed_frame)
    return state.read(dimension_data, dimension)


@st.cache_data(max_entries=6, show_spinner=False)
def _has_directed(project: str, revision: int) -> bool:
    try:
        from quant.data.directed import has_directed
    except ImportError:
        return False
    return bool(state.read(has_directed))


directed = False
if dimension != "breadth" and state.attempt(_has_directed, state.project_path(), state.revision()):
    directed = st.radio(_("Pairs"), list(PAIRS), key=f"directed_{dimension}", format_func=lambda v: _(PAIRS[v]),
                        horizontal=True,
                        help=_("Directed pairs: (i, j) and (j, i) are two rows (sender → receiver); formulas may "
                               "use sender(x), receiver(x) and reciprocal(y); both orderings of a pair form one "
                               "cluster in the dyadic-robust covariance.")) == "Directed pairs"

data = state.attempt(_dimension_data, state.project_path(), state.revision(), dimension, directed)
if data is None:
    st.stop()

saved = state.attempt(state.read, list_specs)
saved = saved if isinstance(saved, pd.DataFrame) else pd.DataFrame(columns=["name", "dimension"])
mine = saved[saved["dimension"] == dimension]
if len(mine):
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    pick = c1.selectbox(_("Saved specification"), mine["name"].tolist(), key=f"pick_spec_{dimension}",
                        help=_("Load a specification saved in this project into the fields below and fit it."))
    c2.button(_("Load and fit"), on_click=panels.load_spec_into_widgets, args=(pick,), key=f"load_spec_{dimension}")

model_key, formula_key, zero_key = f"model_{dimension}", f"formula_{dimension}", f"zero_{dimension}"
if model_key not in st.session_state:
    st.session_state[model_key] = DEFAULT_MODEL[dimension]
if formula_key not in st.session_state:
    try:
        st.session_state[formula_key] = default_spec(dimension, data, st.session_state[model_key]).formula
    except QuantError as exc:  # no usable columns for a default formula: said, the field left empty
        st.session_state[formula_key] = ""
        st.info(str(exc))
choices = panels.model_choices(MODELS[dimension], data, st.session_state.get(formula_key), UNIT[dimension])
if st.session_state[model_key] not in choices:
    st.info(_("The model is now {model}: {old} does not fit this formula's outcome (the models that do: "
              "{models}).").format(model=panels.model_label(choices[0]),
                                   old=panels.model_label(st.session_state[model_key]),
                                   models=", ".join(panels.model_label(c) for c in choices)))
    st.session_state[model_key] = choices[0]
model_help = (_("The models that fit the formula's outcome: 0/1 → logit, probit, cloglog, firth (Firth's penalised "
                "logit, for rare events or separation); count → poisson, nb (NB2, zeros included), binomial; y ≥ 0 "
                "with fractions → poisson (PPML); any number → gaussian (OLS). Change the outcome and press Fit to "
                "see its models.") if dimension == "breadth"
              else _("The models that fit the formula's outcome: 0/1 → logit, probit, cloglog, firth (Firth's "
                     "penalised logit, for rare events or separation); count → poisson, nb (NB2, zeros included), "
                     "ztnb, nb_pos, hurdle (logit on all dyads + zero-truncated NB on collaborating ones, joint "
                     "dyadic-robust covariance); y ≥ 0 with fractions → poisson (PPML); any number → gaussian "
                     "(OLS). Change the outcome and press Fit to see its models."))
model = st.selectbox(_("Model"), choices, key=model_key, format_func=panels.model_label, help=model_help)
language_help = _("Formulas are data, never code: column names, numbers, + - * / ** : ( ), I(), C() (with "
                  "Treatment('level')), Q(\"column name\"), log, log1p, exp, sqrt, abs (also np.log …), center, "
                  "standardize, scale; anything else is refused before it runs.")
operators_help = _("Any outcome left of ~. Dyad formulas may build covariates from city attributes: sum(x), "
                   "absdiff(x), min(x), max(x), product(x), same(x), both(x); never sum, absdiff, min and max "
                   "of one variable together.")
formula = st.text_input(_("Formula (patsy)"), key=formula_key,
                        help=(operators_help if dimension != "breadth" else _("Any outcome left of ~; city variables."))
                        + " " + language_help)
zero = ""
if model == "hurdle":
    zero = st.text_input(_("Zero part (logit) right-hand side"), key=zero_key,
                         placeholder="~ log_gravity + same_strategy",  # i18n: data
                         help=_("Covariates of whether a pair collaborates; empty = those of the count part."))
offset = exposure = None
if model in ("poisson", "nb"):
    o1, o2 = st.columns([3, 2])
    col = o1.selectbox(_("Offset or exposure column"), [NONE] + panels.numeric_columns(data),
                       key=f"offset_col_{dimension}", format_func=lambda c: _("(none)") if c == NONE else c,
                       help=_("A column added to the linear predictor: as it is (offset, already on the log scale) "
                              "or its log (exposure, e.g. population or years at risk)."))
    kind = o2.radio(_("Column is"), list(OFFSET_KINDS), key=f"offset_kind_{dimension}", horizontal=True,
                    format_func=lambda k: _(OFFSET_KINDS[k]), disabled=col == NONE)
    if col != NONE:
        offset, exposure = (col, None) if kind == "offset" else (None, col)
se_choices = ["model", "hc0"] + (["hc1", "hc2", "hc3"] if model == "gaussian" else []) + (
    [] if dimension == "breadth" else ["dyadic"])
if f"se_{dimension}" not in st.session_state:
    st.session_state[f"se_{dimension}"] = [c for c in se_choices if c not in ("hc1", "hc2", "hc3")]
st.session_state[f"se_{dimension}"] = [c for c in st.session_state[f"se_{dimension}"] if c in se_choices]
c1, c2, c3 = st.columns([3, 1, 1])
se = c1.multiselect(_("Standard errors"), se_choices, key=f"se_{dimension}", format_func=panels.se_label)
nn = c2.checkbox(_("N/(N−1) correction"), key=f"nn_{dimension}", disabled=dimension == "breadth",
                 help=_("Multiply the dyadic-robust covariance by N/(N−1), N = number of cities."))
pv = c3.radio(_("p-values"), list(P_VALUES), key=f"pv_{dimension}", horizontal=True,
              format_func=lambda k: _(P_VALUES[k]),
              help=_("t: Student t with N − 1 degrees of freedom, N = number of cities (quant.md §1.6)."))
if f"min_events_{dimension}" not in st.session_state:
    st.session_state[f"min_events_{dimension}"] = 10
min_events = st.number_input(_("Least number of events"), min_value=1, max_value=1_000_000, step=1,
                             key=f"min_events_{dimension}",
                             help=_("Rows of the rarer class of a 0/1 outcome (rows, for counts) needed to fit; "
                                    "default 10. Below 10 the fit carries a warning: the estimates are unstable "
                                    "(consider firth)."))
with st.expander(_("Variables available")):
    columns = ", ".join(c for c in data.columns if c not in ("dyad_id",))
    st.write((_("**City variables:** {columns}") if dimension == "breadth"
              else _("**Dyad variables:** {columns}")).format(columns=columns))
    if dimension != "breadth":
        cities = state.attempt(state.read, panels.city_attributes)
        if cities:
            st.write(_("**City attributes (use with sum(), absdiff(), min(), max(), product(), same(), both()):** "
                       "{columns}").format(columns=", ".join(cities)))

spec = dict(model=model, formula=formula or None, se=tuple(se) or None, pvalues=pv,
            min_events=None if int(min_events) == 10 else int(min_events), directed=directed,
            offset=offset, exposure=exposure)
if dimension != "breadth":
    spec["small_sample"] = "nodes" if nn else "none"
if model == "hurdle" and zero.strip():
    spec["zero_formula"] = zero
b1, b2, _b3 = st.columns([1, 2, 5])
fit_now = b1.button(_("Fit"), type="primary") or st.session_state.pop("_models_fit_now", False)
if state.can("fit"):  # fitting writes nothing (a viewer may fit and look); saving is for coders and owners
    with b2.popover(_("Save this specification")):
        name = st.text_input(_("Name"), key=f"spec_name_{dimension}", placeholder=_("e.g. needs only"))
        replace = st.checkbox(_("Replace a saved one of that name"), key=f"spec_replace_{dimension}")
        if st.button(_("Save"), key=f"spec_save_{dimension}"):
            panels.save_current(name, dimension, spec, replace)
else:
    st.caption(_("Your role ({role}) may fit, read and export models but may not save runs, specifications or "
                 "covariates; that is for coders and owners.").format(role=state.role_label()))
if fit_now or f"fit_{dimension}" not in st.session_state:
    with st.spinner(_("Fitting…")):
        fits.fit(dimension, **spec)

result = fits.current(dimension, fit_default=False)
if result is not None:
    state.simulated_banner()
    st.subheader(result.title(model_label=panels.model_label(result.model),
                              dimension_label=dimension_label(result.dimension)))
    zero_part = result.meta.get("zero_formula")
    st.code(result.formula + ("\n" + _("zero part: {formula}").format(formula=zero_part) if zero_part else ""),
            language=None, wrap_lines=True)
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(_("n"), f"{result.n:,}")
    m2.metric(_("log-likelihood"), f"{result.llf:,.2f}")
    m3.metric(_("AIC"), f"{result.aic:,.1f}")
    m4.metric(_("BIC"), f"{result.bic:,.1f}")
    m5.metric(_("nodes"), f"{result.n_nodes:,}" if result.n_nodes else "—")
    for w in result.warnings:
        st.warning(w)
    panels.save_run_form(result, dimension)

    se_type = st.radio(_("Report standard errors"), list(result.se), index=list(result.se).index(result.se_type),
                       horizontal=True, key=f"show_se_{dimension}", format_func=panels.se_label)
    st.caption(_("{se_label}; p-values and 95% intervals from the {p_label}.").format(
        se_label=result.se_labels.get(se_type, se_type), p_label=result.p_label()))
    table = result.table(se_type)
    wide = table.copy()
    for key, series in result.se.items():
        wide[f"se ({key})"] = series
    wide = panels.profile_ci_columns(result, wide)
    if "profile ci_low" in wide:
        st.caption(_("Firth's fit: profile ci_low/high are penalised profile-likelihood limits (Heinze & Schemper "
                     "2002), beside the Wald limits."))
    st.dataframe(panels.with_headers(wide).style.format(precision=4), width="stretch")

    plot = table.drop(index=[t for t in table.index if t.split(":")[-1] in ("Intercept", "alpha")]).reset_index(names="term")
    if not plot.empty:
        base = alt.Chart(plot).encode(y=alt.Y("term:N", sort=None, title=None))
        chart = (base.mark_rule().encode(x=alt.X("ci_low:Q", title=_("estimate with 95% CI ({se_type})").format(
            se_type=f"{se_type} SE" if panels.se_label(se_type) == se_type else panels.se_label(se_type))), x2="ci_high:Q")
                 + base.mark_point(filled=True, size=60).encode(x="estimate:Q", tooltip=["term", "estimate", "se", "p"])
                 + alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="x:Q"))
        st.altair_chart(chart.properties(height=40 * len(plot) + 40), width="stretch")

    note = inference_note(result)
    tabs = [] if note else ["ame", "std", "influence"]
    if result.dimension == "connection":
        tabs.append("residuals")
    if note:
        st.caption(note[0].upper() + note[1:])
    shown = dict(zip(tabs, st.tabs([_(TABS[t]) for t in tabs]))) if tabs else {}
    if not note:
        with shown["ame"]:
            panels.marginal_effects(result, se_type)
        with shown["std"]:
            panels.standardised_and_vif(result, se_type)
        with shown["influence"]:
            panels.influence(result, se_type)
    if "residuals" in shown:
        with shown["residuals"]:
            panels.city_residuals(result)

st.divider()
spec_compare.compare_specs(saved, result, dimension)
st.divider()
panels.quantitized_codes()
