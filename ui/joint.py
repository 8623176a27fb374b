"""Joint display page: each predictor's estimate beside the coded passages that speak to it."""
import pandas as pd
import streamlit as st

from mixed.evidence import city_names
from mixed.joint import joint_display, unit_evidence
from ui import fits, state

st.title("Joint display")
st.caption("Side-by-side joint display (Guetterman, Fetters & Creswell 2015): each model term with its "
           "estimate and the passages coded with a code mapped to it (Codebook → Code ↔ variable).")

dimension = st.segmented_control("Dimension", ["breadth", "connection", "degree"], default="connection",
                                 key="joint_dimension", required=True) or "connection"
result = fits.current(dimension)
if result is None:
    st.stop()

display = state.attempt(state.read, joint_display, result, max_quotes=10_000)
if display is None:
    st.stop()
st.caption(f"{result.dimension} · {result.model} · {result.formula} · SE: "
           f"{result.se_labels.get(result.se_type, result.se_type)}")

for row in display.itertuples():
    with st.container(border=True):
        left, right = st.columns([2, 3])
        left.markdown(f"**{row.term}**")
        left.metric("estimate", f"{row.estimate:.3f}", help="95% CI and p under the reported SE type")
        left.caption(f"95% CI [{row.ci_low:.3f}, {row.ci_high:.3f}] · p = {row.p:.3g}")
        codes = ", ".join(row.codes) if len(row.codes) else "no code mapped"
        right.markdown(f"Codes: {codes} · {row.n_passages} passage(s)")
        for q in row.quotes[:3]:
            right.text(q["quote"])
            right.caption(f"— {q['cite']} ({q['code']})")
        if len(row.quotes) > 3:
            with right.expander(f"All {len(row.quotes)} passages"):
                st.dataframe(pd.DataFrame(row.quotes)[["cite", "code", "quote"]], hide_index=True, width="stretch",
                             column_config={"quote": st.column_config.TextColumn("quote", width="large")})

st.divider()
st.subheader("One unit: observed vs predicted, with its passages")
units = result.units
names = state.read(city_names)
if "city" in units.columns:
    options = list(units["city"])
    label = lambda u: f"{names.get(u, u)} ({u})"  # noqa: E731
else:
    options = [f"{a}-{b}" for a, b in zip(units["city_a"], units["city_b"])]
    label = lambda u: f"{names.get(u.split('-')[0], '')} – {names.get(u.split('-')[1], '')} ({u})"  # noqa: E731
order = units["pearson"].abs().to_numpy().argsort()[::-1]
options = [options[i] for i in order]
choice = st.selectbox("City or dyad (largest |Pearson residual| first; type a name to search)", options,
                      format_func=label, key="unit_pick")
if choice:
    unit = choice if "city" in units.columns else tuple(choice.split("-"))
    ev = state.attempt(state.read, unit_evidence, result, unit)
    if ev:
        c1, c2, c3 = st.columns(3)
        c1.metric("observed", f"{ev['y']:g}")
        c2.metric("predicted", f"{ev['fitted']:.3f}")
        c3.metric("Pearson residual", f"{ev['pearson']:.2f}")
        passages = pd.DataFrame(ev.get("passages", []))
        if passages.empty:
            st.info("No coded passages for this unit yet.")
        else:
            st.dataframe(passages, hide_index=True, width="stretch")
