"""Models page: fit breadth, connection and degree; estimates with every SE type; coefficient plot."""
import altair as alt
import pandas as pd
import streamlit as st

from quant.analysis import DEFAULT_MODEL, MODELS, default_spec, dimension_data
from ui import fits, state

st.title("Models")
st.caption("breadth: partners per city (count) · connection: does a pair collaborate (binary, all dyads) · "
           "degree: service items of a collaborating pair (count, zero-truncated)")

dimension = st.segmented_control("Dimension", ["breadth", "connection", "degree"], default="connection",
                                 key="model_dimension", required=True) or "connection"
data = state.attempt(state.read, dimension_data, dimension)
if data is None:
    st.stop()

model = st.selectbox("Model", MODELS[dimension], index=MODELS[dimension].index(DEFAULT_MODEL[dimension]),
                     key=f"model_{dimension}")
try:
    default_formula = default_spec(dimension, data, model).formula
except ValueError as exc:
    default_formula = ""
    st.info(str(exc))
formula = st.text_input("Formula (patsy)", default_formula, key=f"formula_{dimension}")
se_choices = ["model"] if dimension == "breadth" else ["model", "hc0", "dyadic"]
c1, c2 = st.columns([3, 1])
se = c1.multiselect("Standard errors", se_choices, default=se_choices, key=f"se_{dimension}")
nn = c2.checkbox("N/(N−1) correction", value=False, disabled=dimension == "breadth",
                 help="Multiply the dyadic-robust covariance by N/(N−1), N = number of cities.")
with st.expander("Variables available"):
    st.write(", ".join(c for c in data.columns if c not in ("dyad_id",)))

if st.button("Fit", type="primary") or f"fit_{dimension}" not in st.session_state:
    spec = dict(model=model, formula=formula or None, se=tuple(se) or None)
    if dimension != "breadth":
        spec["small_sample"] = "nodes" if nn else "none"
    with st.spinner("Fitting…"):
        fits.fit(dimension, **spec)

result = fits.current(dimension, fit_default=False)
if result is None:
    st.stop()

state.simulated_banner()

st.subheader(f"{result.dimension}: {result.model}")
st.code(result.formula, language=None)
m1, m2, m3, m4 = st.columns(4)
m1.metric("n", f"{result.n:,}")
m2.metric("log-likelihood", f"{result.llf:,.2f}")
m3.metric("AIC", f"{result.aic:,.1f}")
m4.metric("nodes", f"{result.n_nodes:,}" if result.n_nodes else "—")
for w in result.warnings:
    st.warning(w)

se_type = st.radio("Report standard errors", list(result.se), index=list(result.se).index(result.se_type),
                   horizontal=True, key=f"show_se_{dimension}")
st.caption(result.se_labels.get(se_type, se_type))
table = result.table(se_type)
wide = table.copy()
for key, series in result.se.items():
    wide[f"se ({key})"] = series
st.dataframe(wide.style.format(precision=4), width="stretch")

plot = table.drop(index=[t for t in table.index if t in ("Intercept", "alpha")]).reset_index(names="term")
if not plot.empty:
    base = alt.Chart(plot).encode(y=alt.Y("term:N", sort=None, title=None))
    chart = (base.mark_rule().encode(x=alt.X("ci_low:Q", title=f"estimate with 95% CI ({se_type} SE)"), x2="ci_high:Q")
             + base.mark_point(filled=True, size=60).encode(x="estimate:Q", tooltip=["term", "estimate", "se", "p"])
             + alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="x:Q"))
    st.altair_chart(chart.properties(height=40 * len(plot) + 40), width="stretch")
