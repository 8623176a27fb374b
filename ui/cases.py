"""Cases page: typical and deviant cities and dyads from Pearson residuals, with their evidence."""
import streamlit as st

from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from mixed.cases import add_evidence, advertised_not_implemented
from quant import data as qdata
from quant.cases import select_cases
from ui import fits, state

st.title("Cases")
st.caption("Nested analysis (Lieberman 2005): typical cases (smallest |r|) for model-testing fieldwork, deviant "
           "cases (|r| > c) for model-building. r is the Pearson residual of the chosen model.")

dimension = st.segmented_control("Dimension", ["breadth", "connection", "degree"], default="connection",
                                 key="cases_dimension", required=True) or "connection"
c1, c2, c3 = st.columns(3)
c = c1.number_input("Deviance threshold c (|r| > c)", 0.5, 5.0, 2.0, 0.1)
n_typical = c2.number_input("Typical cases to list", 1, 50, 5)
only_evidence = c3.toggle("Only cases with coded passages", value=False)
result = fits.current(dimension)
if result is None:
    st.stop()
state.simulated_banner()
# every unit classified once (typical / deviant / other), with its evidence counted once
selected = state.attempt(select_cases, result, c=c, n_typical=int(n_typical), include_other=True)
every = None if selected is None else state.attempt(state.read, add_evidence, selected)
if every is None:
    st.stop()
table = every[every["case_type"] != "other"]

rule = table["rule"].iloc[0] if len(table) else ""
evidence = int((~table["no_evidence"]).sum())
st.caption(f"{len(table)} cases listed · {evidence} already have coded passages · rule: {rule}")
columns = [col for col in table.columns if col not in ("rule",)]
d1, d2, _ = st.columns([1, 1, 3])
d1.download_button("Download CSV", to_csv_bytes(table), f"cases-{dimension}.csv", "text/csv", key="cases_csv",
                   icon=":material/download:", help="Every listed case with its rule; UTF-8 for Excel, and a cell "
                   "that a spreadsheet would run as a formula starts with '.")
d2.download_button("Download XLSX", to_xlsx_bytes(table, sheet=f"cases {dimension}"), f"cases-{dimension}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cases_xlsx",
                   icon=":material/download:")
config = {"no_evidence": st.column_config.CheckboxColumn("no evidence yet"),
          "n_passages": st.column_config.NumberColumn("passages")}
for kind in ["deviant", "typical"]:
    part = table[table["case_type"] == kind]
    if only_evidence:
        part = part[~part["no_evidence"]]
    st.subheader(f"{kind.capitalize()} cases ({len(part)})")
    if part.empty:
        st.info(f"No {kind} cases under this rule{' with coded passages' if only_evidence else ''}.")
    else:
        st.dataframe(part[columns], hide_index=True, width="stretch", column_config=config)

st.subheader("Every unit with coded passages")
st.caption("Where the units your passages speak about sit in the model: residual and case type under the rule above.")
with_ev = every[every["n_passages"] > 0].sort_values("abs_r", ascending=False)
if with_ev.empty:
    st.info("No coded passage is linked to a unit of this model yet.")
else:
    st.dataframe(with_ev[columns], hide_index=True, width="stretch", column_config=config)

if dimension == "breadth":
    st.subheader("Advertised partners, few services")
    dyads = state.read(qdata.dyad_frame)
    if {"connection", "degree"} <= set(dyads.columns):
        adv = state.attempt(state.read, advertised_not_implemented, dyads)
        if adv is not None:
            if len(adv):
                st.caption(str(adv["rule"].iloc[0]))
                st.dataframe(adv.drop(columns=["rule"]), hide_index=True, width="stretch", column_config=config)
            else:
                st.info("No city meets the rule.")
    else:
        st.info("Needs dyad variables 'connection' and 'degree'.")
