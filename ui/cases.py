"""Cases page: typical and deviant cities and dyads from Pearson residuals, with their evidence."""
import streamlit as st

from mixed.cases import case_table
from ui import fits, state

st.title("Cases")
st.caption("Nested analysis (Lieberman 2005): typical cases (smallest |r|) for model-testing fieldwork, deviant "
           "cases (|r| > c) for model-building. r is the Pearson residual of the chosen model.")

dimension = st.segmented_control("Dimension", ["breadth", "connection", "degree"], default="connection",
                                 key="cases_dimension") or "connection"
c1, c2 = st.columns(2)
c = c1.number_input("Deviance threshold c (|r| > c)", 0.5, 5.0, 2.0, 0.1)
n_typical = c2.number_input("Typical cases to list", 1, 50, 5)
result = fits.current(dimension)
if result is None:
    st.stop()
table = state.attempt(state.read, case_table, result, c=c, n_typical=int(n_typical))
if table is None:
    st.stop()

evidence = int((~table["no_evidence"]).sum()) if "no_evidence" in table.columns else 0
st.caption(f"{len(table)} cases listed · {evidence} already have coded passages · rule: "
           f"{table['rule'].iloc[0] if len(table) else ''}")
for kind in ["deviant", "typical"]:
    part = table[table["case_type"].astype(str).str.contains(kind)]
    st.subheader(f"{kind.capitalize()} cases ({len(part)})")
    if part.empty:
        st.info(f"No {kind} cases under this rule.")
    else:
        st.dataframe(part, hide_index=True, width="stretch",
                     column_config={"no_evidence": st.column_config.CheckboxColumn("no evidence yet")})
