"""Worklist page: the cases ticked for fieldwork, with a memo each (editable), removal, order, quotes,
and downloads (CSV, XLSX, DOCX). Library: ``mixed.worklist``, ``mixed.worklist_export``."""
import streamlit as st

from i18n import _
from mixed.worklist import save_edits, worklist_cases
from mixed.worklist_export import to_csv_bytes, to_docx_bytes, to_xlsx_bytes
from ui import state

st.title(_("Worklist"))
st.caption(_("Cases ticked for fieldwork on the Cases page, in the order you will visit them. Write a memo per case "
             "(what to ask, whom to meet); every change can be undone from the sidebar."))

for msg in st.session_state.pop("worklist_flash", []):
    st.success(msg)
cases = state.attempt(state.read, worklist_cases)
if cases is None:
    st.stop()
if cases.empty:
    st.info(_("No case is on the worklist yet: tick cases on the Cases page."))
    st.page_link(page="ui/cases.py", label=_("Go to Cases"), icon=":material/travel_explore:")
    st.stop()

state.simulated_banner()
st.caption(_("{n} case(s) · {m} with coded passages").format(n=len(cases), m=int((~cases["no_evidence"]).sum())))
table = cases[["position", "case", "memo", "case_type", "run_label", "observed", "predicted", "residual",
               "n_passages"]].copy()
table.insert(3, "remove", False)
config = {
    "position": st.column_config.NumberColumn(_("order"), min_value=1, step=1,
                                              help=_("Change the numbers to reorder; cases are sorted by them.")),
    "case": st.column_config.TextColumn(_("case")),
    "case_type": st.column_config.TextColumn(_("case type")),
    "run_label": st.column_config.TextColumn(_("run")),
    "observed": st.column_config.NumberColumn(_("observed"), format="%.3g"),
    "predicted": st.column_config.NumberColumn(_("predicted"), format="%.3g"),
    "residual": st.column_config.NumberColumn(_("Pearson residual"), format="%.2f"),
    "n_passages": st.column_config.NumberColumn(_("coded passages")),
    "memo": st.column_config.TextColumn(_("memo"), width="large", max_chars=20_000),
    "remove": st.column_config.CheckboxColumn(_("remove")),
}
can_edit = state.can("memo")
edited = st.data_editor(table, hide_index=True, width="stretch", column_config=config, key="worklist_editor",
                        disabled=["case", "case_type", "run_label", "observed", "predicted", "residual", "n_passages"]
                        + ([] if can_edit else ["position", "memo", "remove"]))
if not can_edit:
    st.caption(_("Your role may read and export the worklist, not change it."))
elif st.button(_("Save changes"), type="primary", key="worklist_save"):
    ids = cases["id"].tolist()
    memos = {int(i): ("" if m is None else str(m)) for i, m in zip(ids, edited["memo"])}
    remove = [int(i) for i, r in zip(ids, edited["remove"]) if bool(r)]
    ranked = sorted(zip(edited["position"].fillna(10**9).tolist(), range(len(ids)), ids))
    order = [int(i) for _pos, _k, i in ranked]
    done = state.write(save_edits, memos=memos, remove=remove, order=order, by=state.coder())
    if isinstance(done, list):
        st.session_state["worklist_flash"] = done or [_("Nothing changed.")]
        st.rerun()

st.subheader(_("Quotes"))
for row in cases.itertuples(index=False):
    with st.expander(_("{position}. {case} — {case_type} · {n} coded passage(s)").format(
            position=row.position, case=row.case, case_type=row.case_type or _("no case type"), n=row.n_passages)):
        if row.memo:
            st.caption(_("Memo"))
            st.text(row.memo)
        if not row.quotes:
            st.caption(_("No evidence yet: no coded passage is linked to this case."))
        for q in row.quotes:
            st.text(q["quote"])  # literal: a quote is data, never markup
            st.caption(f"{q['cite']} · {q['code']}")

st.subheader(_("Download"))
d1, d2, d3, _rest = st.columns([1, 1, 1, 2])
d1.download_button(_("CSV"), state.read(to_csv_bytes), "worklist.csv", "text/csv", key="worklist_csv",
                   icon=":material/download:", help=_("UTF-8 for Excel; a cell a spreadsheet would run as a formula "
                                                   "starts with '."))
d2.download_button(_("XLSX"), state.read(to_xlsx_bytes), "worklist.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="worklist_xlsx",
                   icon=":material/download:")
d3.download_button(_("DOCX"), state.read(to_docx_bytes), "worklist.docx",
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document", key="worklist_docx",
                   icon=":material/download:", help=_("One section per case: type, run, values, memo and quotes."))
