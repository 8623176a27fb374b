"""Retrieve page: coded passages filtered by code, document, document kind and attributes,
city, dyad and coder, with surrounding context; open a passage in its document."""
import re

import pandas as pd
import streamlit as st

import coding
from coding.documents import document_attributes, documents_where
from coding.exchange.segments_export import segments_csv_bytes, segments_table, segments_xlsx_bytes
from coding.retrieval.queries import coders
from i18n import N_, _
from quant.data import project as qdata
from ui import state

#: Document kinds as stored and as shown (a kind with no label is shown as stored).
KIND_LABELS = {"interview": N_("interview"), "field note": N_("field note"), "policy": N_("policy")}
VIEWS = ["table", "read"]
VIEW_LABELS = {"table": N_("Table"), "read": N_("Read in context")}
EXPORT_FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)"}

st.title(_("Retrieve"))
st.caption(_("Coded passages that match every filter, in document order. Select a row to read it in context, "
             "open it in its document or write a memo on it."))

book = state.read(coding.codebook)
docs = state.read(document_attributes)
if book.empty or docs.empty:
    st.info(_("Nothing coded yet: import documents and code them first."))
    st.stop()

paths = dict(zip(book["id"], book["path"]))
doc_names = dict(zip(docs["id"], docs["name"]))
cities = state.read(qdata.city_frame)
city_names = dict(zip(cities["code"], cities["name"])) if not cities.empty else {}
by_city = state.read(coding.counts_by_city)
coded_cities = list(by_city.loc[by_city["n_total"] > 0, "city_code"])
by_dyad = state.read(coding.counts_by_dyad)
dyad_pairs = [(a, b) for a, b in zip(by_dyad["city_a"], by_dyad["city_b"])]
attribute_keys = [c for c in docs.columns if c not in ("id", "name", "kind", "language", "superseded_by")]


def _city(code):
    return city_names.get(code, code)


def _dyad(pair):
    return f"{city_names.get(pair[0], pair[0])}–{city_names.get(pair[1], pair[1])}"


with st.container(border=True):
    c1, c2, c3 = st.columns(3)
    code_ids = c1.multiselect(_("Codes"), list(paths), format_func=paths.get, key="ret_codes",
                              placeholder=_("Any code"))
    subcodes = c1.checkbox(_("Include sub-codes"), value=True, key="ret_subcodes",
                           help=_("A code also retrieves the passages of every code below it."))
    doc_ids = c2.multiselect(_("Documents"), list(doc_names), format_func=doc_names.get, key="ret_docs",
                             placeholder=_("Any document"))
    kinds = c2.multiselect(_("Document kinds"), sorted(docs["kind"].unique()), key="ret_kinds",
                           placeholder=_("Any kind"),
                           format_func=lambda k: _(KIND_LABELS[k]) if k in KIND_LABELS else k)
    attr = c3.selectbox(_("Document attribute"), [None] + attribute_keys, key="ret_attr",
                        format_func=lambda k: _("(any)") if k is None else k)
    values = sorted(docs[attr].dropna().unique()) if attr else []
    attr_values = c3.multiselect(_("Attribute value"), values, key="ret_attr_values", disabled=not attr,
                                 placeholder=_("Any value"))
    c4, c5, c6, c7 = st.columns([2, 2, 2, 1])
    city = c4.selectbox(_("City"), [None] + coded_cities, key="ret_city",
                        format_func=lambda c: _("(any)") if c is None else _city(c),
                        help=_("Passages linked to the city, or to a pair of cities that contains it."))
    dyad = c5.selectbox(_("Pair of cities"), [None] + dyad_pairs, key="ret_dyad",
                        format_func=lambda d: _("(any)") if d is None else _dyad(d))
    who = c6.multiselect(_("Coders"), state.read(coders), key="ret_coders", placeholder=_("Any coder"))
    context = c7.number_input(_("Context"), 0, 500, 60, step=20, key="ret_context",
                              help=_("Characters shown before and after each passage."))

document_filter = None
if doc_ids or kinds or (attr and attr_values):
    allowed = state.read(documents_where, kinds=kinds or None,
                         attributes={attr: attr_values} if attr and attr_values else None)
    document_filter = [d for d in allowed if not doc_ids or d in doc_ids]

if document_filter == []:
    st.info(_("No document matches these document filters: widen the documents, kinds or attribute values."))
    st.stop()
found = state.attempt(state.read, coding.retrieve, code_ids=code_ids or None, include_subcodes=subcodes,
                      document_ids=document_filter, city=city, dyad=dyad, coder=who or None, context=int(context))
if found is None:
    st.stop()
if found.empty:
    st.info(_("No coded passage matches these filters: remove a filter, or tick “Include sub-codes”."))
    st.stop()

view = found.assign(
    code=[paths.get(c, n) for c, n in zip(found["code_id"], found["code"])],
    cities=[", ".join(city_names.get(c, c) for c in cs) for cs in found["cities"]],
    dyads=[", ".join(_dyad(d.split("-")) for d in ds) for ds in found["dyads"]],
    before=found["context_before"] if "context_before" in found else "",
    after=found["context_after"] if "context_after" in found else "",
)
view = view.assign(linked=["; ".join(x for x in pair if x) for pair in zip(view["cities"], view["dyads"])])
columns = ["document", "paragraph", "code", "quote", "coder", "linked"]


def _md(text: str) -> str:
    """Text shown literally in a caption (which reads Markdown): escape its syntax characters."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def _open(doc_id: int, coding_id: int) -> None:
    st.session_state["code_doc"] = int(doc_id)
    st.session_state["selected_coding"] = int(coding_id)
    st.switch_page("ui/code.py")


def _passage(row, key: str) -> None:
    """One passage with its context, where it is, and a button to open it in its document."""
    para = "" if pd.isna(row["paragraph"]) else f" · ¶ {row['paragraph']}"
    st.markdown(f"**{_md(row['code'])}** · {_md(row['coder'])}")
    st.caption(_("{document}{paragraph} · coding {coding} · characters {start}–{end} · linked to {linked}").format(
        document=_md(row["document"]), paragraph=para, coding=row["coding_id"], start=f"{row['start']:,}",
        end=f"{row['end']:,}", linked=_md(row["linked"] or _("no city or pair"))))
    if row["before"]:
        st.caption("…" + _md(row["before"]))
    st.text(row["quote"])
    if row["after"]:
        st.caption(_md(row["after"]) + "…")
    if st.button(_("Open in the document"), icon=":material/open_in_new:", key=key):
        _open(row["document_id"], row["coding_id"])


head, mode_col, download = st.columns([3, 2, 1], vertical_alignment="bottom")
head.markdown(_("**{n} passage(s)** in {documents} document(s)").format(n=len(view),
                                                                         documents=view["document_id"].nunique()))
mode = mode_col.segmented_control(_("View"), VIEWS, default="table", key="ret_view",
                                  format_func=lambda v: _(VIEW_LABELS[v])) or "table"


def _export(fmt: str) -> bytes:
    """The coded segments of the current filters as CSV or XLSX (built again only when they change)."""
    memo_key = (state.revision(), state.coder(), fmt, tuple(int(i) for i in found["coding_id"]), tuple(found["memo"]))
    memo = st.session_state.get("ret_export_memo")
    if memo and memo[0] == memo_key:
        return memo[1]
    table = state.read(segments_table, code_ids=code_ids or None, include_subcodes=subcodes,
                       document_ids=document_filter, city=city, dyad=dyad, coder=who or None)
    data = segments_csv_bytes(table) if fmt == "csv" else segments_xlsx_bytes(table)
    st.session_state["ret_export_memo"] = (memo_key, data)
    return data


EXPORT_FORMATS = ["csv", "xlsx"]
with download.popover(_("Download"), icon=":material/download:", width="stretch"):
    st.caption(_("One row per passage: document, code path, coder, start and end in characters (code points) and "
                 "in UTF-16 units (as NVivo, ATLAS.ti and browsers count), paragraph, passage, memo, linked cities "
                 "and pairs, when it was coded. UTF-8 for Excel; a cell that a spreadsheet would run as a formula "
                 "starts with '."))
    fmt = st.radio(_("Format"), EXPORT_FORMATS, format_func=EXPORT_FORMAT_LABELS.get,
                   horizontal=True, key="ret_download_format")
    st.download_button(
        _("Download {format}").format(format=fmt.upper()), _export(fmt), f"coded_segments.{fmt}",
        "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="ret_download", width="stretch", icon=":material/download:")
if mode == "read":
    per_page = 20
    n_pages = max(1, -(-len(view) // per_page))
    page = st.columns([1, 4])[0].number_input(_("Page of {n}").format(n=n_pages), 1, n_pages, 1, key="ret_page") \
        if n_pages > 1 else 1
    for _row_no, row in view.iloc[(page - 1) * per_page: page * per_page].iterrows():
        with st.container(border=True):
            _passage(row, f"ret_open_{row['coding_id']}")
    st.stop()

event = st.dataframe(
    view[columns], hide_index=True, width="stretch", height=420, on_select="rerun", selection_mode="single-row",
    key="ret_table",
    column_config={"document": st.column_config.TextColumn(_("Document"), width=120),
                   "paragraph": st.column_config.NumberColumn("¶", width=40),
                   "code": st.column_config.TextColumn(_("Code"), width=150),
                   "quote": st.column_config.TextColumn(_("Passage"), width=400),
                   "coder": st.column_config.TextColumn(_("Coder"), width=70),
                   "linked": st.column_config.TextColumn(_("Linked to"), width=110)},
)
rows = list(event.selection.rows) if event and event.selection else []
if not rows:
    st.caption(_("Select a row to read the passage in its context, open it in its document or write a memo on it. "
                 "“Read in context” lists every passage with its context."))
    st.stop()
row = view.iloc[rows[0]]
cid = int(row["coding_id"])
left, right = st.columns([3, 2])
with left.container(border=True):
    _passage(row, "ret_open")
    if row["memo"]:
        st.caption(_("Coding memo:"))
        st.text(row["memo"])
with right.form(key="ret_memo_form", clear_on_submit=True):
    title = st.text_input(_("Memo title"), key="ret_memo_title")
    text = st.text_area(_("Memo on this passage"), key="ret_memo_text")
    if st.form_submit_button(_("Add memo"), key="ret_memo_go"):
        state.write(coding.add_memo, "coding", cid, text, title=title, author=state.coder(),
                    success=_("Memo added (see the Memos page)."))
