"""Cases page: the cases one rule selects from a saved run, with names, one case type each, coded
passages and quotes; tick cases into the fieldwork worklist. Library: ``mixed.case_views``,
``mixed.worklist``; statistics: ``quant.cases.select``."""
import streamlit as st

from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from mixed.case_views import ADVERTISED_RULE, VIEW_RULES, VIEW_TITLES, case_view
from mixed.labels import case_type_label, people_table
from i18n import N_, _
from mixed.worklist import add_cases
from ui import state
from ui.run_picker import pick_run

#: The model dimensions (values stored with runs) -> their names on screen.
DIMENSIONS = {"breadth": N_("breadth"), "connection": N_("connection"), "degree": N_("degree")}
#: Which units of a tie/non-tie run to list -> their names on screen.
UNITS = {"all": N_("all"), "ties": N_("ties"), "non-ties": N_("non-ties")}

st.title(_("Cases"))
st.caption(_("Case selection from a saved run (Seawright & Gerring 2008; Lieberman 2005's nested analysis): "
             "typical cases test the model in the field, deviant cases build it. r is the run's Pearson residual. "
             "Tick cases to put them on the fieldwork worklist."))

rule = st.selectbox(_("Rule"), VIEW_RULES, index=VIEW_RULES.index("deviant") if "deviant" in VIEW_RULES else 0,
                    format_func=lambda r: _(VIEW_TITLES[r]), key="cases_rule")
if rule == ADVERTISED_RULE:
    dimension = "breadth"
    st.caption(_("Cities with many agreements (breadth in the top quartile) but few services per partner (mean "
                 "degree in the bottom quartile), with their passages coded Mark first. A breadth run, if saved, "
                 "adds predicted values."))
else:
    dimension = st.segmented_control(_("Dimension"), list(DIMENSIONS), default="connection",
                                     format_func=lambda d: _(DIMENSIONS[d]), key="cases_dimension",
                                     required=True) or "connection"
run = pick_run(dimension, key=f"cases_run_{dimension}")
if run is None and rule != ADVERTISED_RULE:
    st.stop()
state.simulated_banner()

params: dict = {}
if run is not None and rule != ADVERTISED_RULE:
    from quant.cases.select import covariate_choices

    choices = covariate_choices(run)
    c1, c2, c3 = st.columns(3)
    n_all = c1.toggle(_("Every eligible case"), value=False, key="cases_all")
    params["n"] = None if n_all else int(c1.number_input(_("Cases to list"), 1, 500, 10, key="cases_n"))
    if rule in ("typical", "deviant"):
        params["threshold"] = float(c2.number_input(_("Cut-off c (deviant iff |r| > c)"), 0.1, 10.0, 2.0, 0.1,
                                                    key="cases_c"))
    if rule in ("extreme_x", "pathway", "similar", "different"):
        if not choices:
            st.info(_("This run has no explanatory variables to choose from."))
            st.stop()
        label = {"extreme_x": _("Variable"),
                 "pathway": _("Variable dropped from the reduced model")}.get(rule, _("Key variable"))
        params["variable"] = c2.selectbox(label, choices, key=f"cases_var_{rule}")
    if rule == "pathway":
        reduced = c3.text_input(_("Or the reduced model's formula"), "", key="cases_reduced",
                                help=_("Leave empty to drop the variable above from the run's formula.")).strip()
        params["reduced"] = reduced or None
    if rule in ("similar", "different"):
        rest = [c for c in choices if c != params.get("variable")]
        params["controls"] = c3.multiselect(_("Controls"), rest, default=rest, key=f"cases_controls_{rule}") or None
    if run.info.model in ("logit", "probit"):
        pick = st.segmented_control(_("Units"), list(UNITS), default="all", format_func=lambda u: _(UNITS[u]),
                                    key="cases_outcome") or "all"
        params["outcome"] = {"ties": "tie", "non-ties": "non-tie"}.get(pick)

view = state.attempt(state.read, case_view, run, rule, **params)
if view is None:
    st.stop()
for note in view.attrs.get("notes") or []:
    st.caption(str(note))
shown = view.attrs.get("shown") or ["case", "case_type", "observed", "predicted", "residual", "n_passages"]
evidence = int((~view["no_evidence"]).sum()) if len(view) else 0
st.caption(_("{n} cases listed · {evidence} have coded passages · {listed} already on the worklist").format(
    n=len(view), evidence=evidence, listed=int(view["on_worklist"].sum()) if len(view) else 0))
if view.empty:
    st.info(_("No case meets this rule."))
    st.stop()

can_tick = state.can("memo")
table = view[[c for c in shown if c != "on_worklist"]].copy()  # the tick column shows it
if can_tick:
    table.insert(0, "tick", view["on_worklist"].to_numpy())
else:
    table.insert(0, "on worklist", view["on_worklist"].to_numpy())
config = {
    "tick": st.column_config.CheckboxColumn(_("worklist"), help=_("Tick to put the case on the fieldwork worklist.")),
    "on worklist": st.column_config.CheckboxColumn(_("on worklist")),
    "case": st.column_config.TextColumn(_("case")),
    "case_type": st.column_config.TextColumn(_("case type")),
    "partner_case": st.column_config.TextColumn(_("paired with")),
    "observed": st.column_config.NumberColumn(_("observed"), format="%.3g"),
    "predicted": st.column_config.NumberColumn(_("predicted"), format="%.3g"),
    "residual": st.column_config.NumberColumn(_("Pearson residual"), format="%.2f"),
    "mean_degree": st.column_config.NumberColumn(_("mean degree"), format="%.1f"),
    "total_items": st.column_config.NumberColumn(_("service items"), format="%d"),
    "n_passages": st.column_config.NumberColumn(_("coded passages")),
    "n_mark": st.column_config.NumberColumn(_("Mark passages")),
    "no_evidence": st.column_config.CheckboxColumn(_("no evidence yet")),
    "quote_text": st.column_config.TextColumn(_("top quotes"), width="large"),
}
if not can_tick:  # read-only: no tick column, no add button, and why
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    st.caption(_("Your role ({role}) may read and export cases; putting them on the worklist is for coders and "
                 "owners.").format(role=state.role_label()))
else:
    edited = st.data_editor(table, hide_index=True, width="stretch", column_config=config,
                            disabled=[c for c in table.columns if c != "tick"], key=f"cases_editor_{rule}_{dimension}")
    new = view[edited["tick"].to_numpy() & ~view["on_worklist"].to_numpy()]
    if st.button(_("Add {n} ticked case(s) to the worklist").format(n=len(new)), disabled=new.empty, type="primary", key="cases_add",
                 help=_("Unticking a case here does not remove it; use the Worklist page.")):
        new.attrs = dict(view.attrs)
        done = state.write(add_cases, new, run=view.attrs.get("run_id"), rule=rule, by=state.coder())
        if isinstance(done, list):
            st.session_state["cases_flash"] = [d["message"] for d in done]
            st.rerun()
for msg in st.session_state.get("cases_flash", []):  # kept until the next add (a rerun must not hide it)
    st.success(msg)

with_quotes = view[view["n_passages"] > 0]
if len(with_quotes):
    st.subheader(_("Quotes"))
    for row in with_quotes.itertuples(index=False):
        with st.expander(_("{case} — {case_type} · {n} coded passage(s)").format(
                case=row.case, case_type=case_type_label(row.case_type), n=row.n_passages)):
            for q in row.quotes:
                st.text(q["quote"])  # literal: a quote is data, never markup
                st.caption(f"{q['cite']} · {q['code']}")

d1, d2, _spare = st.columns([1, 1, 3])
export = people_table(view[shown])  # headers and case types in the reader's language
d1.download_button(_("Download CSV"), to_csv_bytes(export), f"cases-{rule}.csv", "text/csv", key="cases_csv",
                   icon=":material/download:", help=_("UTF-8 for Excel; a cell a spreadsheet would run as a formula "
                                                      "starts with '."))
d2.download_button(_("Download XLSX"), to_xlsx_bytes(export, sheet=f"cases {rule}"), f"cases-{rule}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cases_xlsx",
                   icon=":material/download:")
