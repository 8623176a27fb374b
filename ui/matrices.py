"""Matrices page: codes × documents, × cities, × dyads, and code co-occurrence; download as
CSV or XLSX; open the passages behind any cell."""
import io

import pandas as pd
import streamlit as st

import coding
from coding.retrieval.queries import coders
from i18n import N_, _
from quant.data import project as qdata
from ui import state

st.title(_("Matrices"))

KINDS = {"document": N_("Codes × documents"), "city": N_("Codes × cities"), "dyad": N_("Codes × dyads"),
         "cooccurrence": N_("Code co-occurrence")}
UNITS = {"overlap": N_("spans overlap"), "paragraph": N_("same paragraph")}
MEASURES = {"count": N_("counts"), "presence": N_("presence (0/1)")}
CO_MEASURES = {"count": N_("counts"), "c_coefficient": N_("C-coefficient")}
kind = st.segmented_control(_("Matrix"), list(KINDS), format_func=lambda k: _(KINDS[k]), default="document",
                            key="mx_kind") or "document"

docs = state.read(coding.documents)
doc_names = dict(zip(docs["id"], docs["name"]))
cities = state.read(qdata.city_frame)
city_names = dict(zip(cities["code"], cities["name"])) if not cities.empty else {}

with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    if kind == "cooccurrence":
        unit = c1.radio(_("Co-occur when"), list(UNITS), key="mx_unit", horizontal=True,
                        format_func=lambda u: _(UNITS[u]))
        measure = c2.radio(_("Cells"), list(CO_MEASURES), key="mx_co_measure", horizontal=True,
                           format_func=lambda m: _(CO_MEASURES[m]),
                           help=_("C = n₁₂ / (n₁ + n₂ − n₁₂) (ATLAS.ti). With overlapping spans it can exceed 1 "
                                  "when one coding overlaps several of the other code; per paragraph it is the "
                                  "Jaccard index. The diagonal of the counts is each code's own total."))
        subcodes = via_dyads = swap = False
    else:
        measure = c1.radio(_("Cells"), list(MEASURES), key="mx_measure", horizontal=True,
                           format_func=lambda m: _(MEASURES[m]))
        subcodes = c2.checkbox(_("Include sub-codes"), key="mx_subcodes",
                               help=_("A code's row also counts the codings of every code below it; categories "
                                      "get rows."))
        via_dyads = kind == "city" and c2.checkbox(
            _("Count dyad links for their cities"), value=True, key="mx_via",
            help=_("A coding linked to a dyad also counts for both its cities."))
        swap = c2.checkbox(_("Codes as columns"), key="mx_swap",
                           help=_("Swap rows and columns (handy with many documents); the downloads keep codes "
                                  "as rows."))
        unit = "overlap"
    who = c3.multiselect(_("Coders"), state.read(coders), key="mx_coders", placeholder=_("All coders"))
    doc_ids = c4.multiselect(_("Documents"), list(doc_names), format_func=doc_names.get, key="mx_docs",
                             placeholder=_("All documents"))

filters = {"coder": who or None, "document_ids": doc_ids or None}
if kind == "document":
    frame = state.attempt(state.read, coding.code_document_matrix, measure=measure, include_subcodes=subcodes,
                          **filters)
elif kind == "city":
    frame = state.attempt(state.read, coding.code_city_matrix, measure=measure, include_subcodes=subcodes,
                          via_dyads=via_dyads, **filters)
elif kind == "dyad":
    frame = state.attempt(state.read, coding.code_dyad_matrix, measure=measure, include_subcodes=subcodes, **filters)
else:
    frame = state.attempt(state.read, coding.cooccurrence_matrix, unit=unit, measure=measure, **filters)
if frame is None:
    st.stop()
if frame.empty or frame.shape[1] == 0:
    st.info(_("This matrix is empty: code some passages and link them to dyads.") if kind == "dyad"
            else _("This matrix is empty: code some passages."))
    st.stop()


def _column_label(col) -> str:
    if kind == "city":
        return f"{city_names.get(col, col)} ({col})"
    if kind == "dyad":
        a, b = str(col).split("-")
        return f"{city_names.get(a, a)}–{city_names.get(b, b)}"
    return str(col)


shown = frame
if kind in ("city", "dyad") and st.checkbox(_("Hide columns without codings"), value=True, key="mx_hide",
                                            help=_("The downloads keep every column.")):
    shown = frame.loc[:, frame.sum(axis=0) > 0]
display = shown.rename(columns=_column_label)
if swap:
    display = display.T
decimals = kind == "cooccurrence" and measure == "c_coefficient"
if decimals:  # the diagonal (a code with itself) has no C-coefficient
    display = display.map(lambda v: "—" if pd.isna(v) else f"{v:.2f}")
styled = display.style.map(lambda v: "background-color: rgba(255, 209, 102, 0.45)" if v not in (0, "0.00", "—")
                           else "color: #999")
cell_width = max(80, min(160, 720 // max(1, len(display.columns))))
column = st.column_config.TextColumn if decimals else st.column_config.NumberColumn
narrow = {str(c): column(str(c), help=str(c), width=cell_width, alignment="right") for c in display.columns}
st.dataframe(styled, width="stretch", height=min(35 * (len(display) + 1) + 3, 640), key="mx_table",
             column_config=narrow)

c1, c2, _rest = st.columns([1, 1, 3])
csv = io.BytesIO()
coding.export_matrix(frame, csv, "csv")
c1.download_button(_("Download CSV"), csv.getvalue(), f"matrix_{kind}.csv", "text/csv", key="mx_csv",
                   icon=":material/download:", width="stretch")
xlsx = io.BytesIO()
coding.export_matrix(frame, xlsx, "xlsx")
c2.download_button(_("Download XLSX"), xlsx.getvalue(), f"matrix_{kind}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="mx_xlsx",
                   icon=":material/download:", width="stretch")

st.subheader(_("Passages behind a cell"))
c1, c2, c3 = st.columns([2, 2, 1])
row = c1.selectbox(_("Row (code)"), list(frame.index), key="mx_row")
values = frame.loc[row]
nonzero = [c for c in frame.columns if values[c] and values[c] == values[c] and (kind != "cooccurrence" or c != row)]
if not nonzero:
    st.caption(_("{code} has no codings in any column of this matrix.").format(code=row))
    st.stop()
col = c2.selectbox(_("Column"), nonzero, key=f"mx_col_{measure}",
                   format_func=lambda c: f"{_column_label(c)} ({values[c]:.2f})" if isinstance(values[c], float)
                   else f"{_column_label(c)} ({values[c]})")
context = c3.number_input(_("Context"), 0, 500, 40, step=20, key="mx_context")
ids = state.attempt(state.read, coding.matrix_cell_codings, frame.attrs["kind"], row, col,
                    **frame.attrs["options"])
if ids is None:
    st.stop()
passages = state.read(coding.retrieve, coding_ids=ids, context=int(context))
if passages.empty:
    st.info(_("No passage in this cell."))
    st.stop()
view = passages.assign(before=passages.get("context_before", ""), after=passages.get("context_after", ""))
st.caption(_("{n} passage(s). Select one to read it in context and open it in its document.").format(n=len(view)))
event = st.dataframe(view[["document", "paragraph", "code", "quote", "coder"]], hide_index=True, width="stretch",
                     on_select="rerun", selection_mode="single-row", key="mx_passages",
                     column_config={"document": st.column_config.TextColumn(_("document"), width=170),
                                    "paragraph": st.column_config.NumberColumn("¶", width=40),
                                    "code": st.column_config.TextColumn(_("code"), width=150),
                                    "quote": st.column_config.TextColumn(_("passage"), width=460),
                                    "coder": st.column_config.TextColumn(_("coder"), width=80)})
picked = list(event.selection.rows) if event and event.selection else []
if picked:
    chosen = view.iloc[picked[0]]
    with st.container(border=True):
        where = "" if pd.isna(chosen["paragraph"]) else f" · ¶ {chosen['paragraph']}"
        st.text(f"{chosen['document']}{where} · {chosen['code']} · {chosen['coder']}")
        st.text(f"…{chosen['before']}⟦{chosen['quote']}⟧{chosen['after']}…")
        if st.button(_("Open in the document"), icon=":material/open_in_new:", key="mx_open"):
            st.session_state["code_doc"] = int(chosen["document_id"])
            st.session_state["selected_coding"] = int(chosen["coding_id"])
            st.switch_page("ui/code.py")
