"""Word frequencies page: the most frequent words of the corpus, of each document, of each code's
coded text or of each group of documents, with the project's stop-word list (coding.retrieval.wordfreq)."""
import altair as alt
import pandas as pd
import streamlit as st

from coding.documents import document_attributes
from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from coding.retrieval.wordfreq import (frequency_file_frame, get_stopwords, reset_stopwords, set_stopwords,
                             word_frequencies)
from i18n import N_, _
from report.charts.style import inline, styled
from ui import state

BY_LABELS = {"corpus": N_("Corpus"), "document": N_("Document"), "code": N_("Code"), "group": N_("Group")}
FORMATS = ["csv", "xlsx"]
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)"}
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

st.title(_("Word frequencies"))
st.caption(_("Chinese words as jieba cuts them (the project's city and code names kept whole), other words whole "
             "and in lower case; numbers, punctuation and stop words left out. “Per 1,000” counts against every "
             "word of the text, stop words included."))

if st.session_state.get("wf_flash"):
    st.success(st.session_state.pop("wf_flash"))

docs = state.read(document_attributes)
if docs.empty:
    st.info(_("No documents yet: import documents first (Documents page)."))
    st.stop()
attributes = [c for c in docs.columns if c not in ("id", "name", "superseded_by")]

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([4, 3, 1, 1], vertical_alignment="bottom")
    by = c1.segmented_control(_("Count by"), list(BY_LABELS), default="document", key="wf_by",
                              format_func=lambda k: _(BY_LABELS[k])) or "document"
    attribute = None
    subcodes = True
    if by == "group":
        attribute = c2.selectbox(_("Documents grouped by"), attributes, key="wf_attribute",
                                 help=_("A document attribute (or kind, language): each value is one group of "
                                        "documents."))
    elif by == "code":
        subcodes = c2.checkbox(_("Include sub-codes"), value=True, key="wf_subcodes",
                               help=_("A code also takes the coded text of every code below it."))
    min_length = int(c3.number_input(_("Min. length"), 1, 10, 2, key="wf_min_length",
                                     help=_("The shortest word counted, in characters; 2 leaves out Chinese single "
                                            "characters.")))
    top = int(c4.number_input(_("Top"), 10, 5000, 50, step=10, key="wf_top", help=_("Words shown per group.")))

memo_key = (state.revision(), state.coder(), by, attribute, subcodes, min_length)
memo = st.session_state.get("wf_memo")
if memo and memo[0] == memo_key:
    table = memo[1]
else:
    with st.spinner(_("Counting words…")):
        table = state.attempt(state.read, word_frequencies, by=by, attribute=attribute, include_subcodes=subcodes,
                              min_length=min_length)
    if table is None:
        st.stop()
    st.session_state["wf_memo"] = (memo_key, table)

if table.empty:
    st.info(_("No words to count: nothing is coded yet, or every word is a stop word.") if by == "code"
            else _("No words to count: the documents hold no words outside the stop-word list."))
else:
    groups = list(dict.fromkeys(table["group"]))
    g1, g2 = st.columns([2, 2])
    group = groups[0] if len(groups) == 1 else g1.selectbox(_(BY_LABELS[by]), groups, key="wf_group")
    search = g2.text_input(_("Find a word"), key="wf_search", placeholder=_("e.g. 协议 or agreement"))
    part = table[table["group"] == group]
    tokens, n_docs = int(part["tokens"].iloc[0]), int(part["group_documents"].iloc[0])
    st.markdown(_("**{words} different words** in {tokens} words of text · {docs} document(s)").format(
        words=f"{len(part):,}", tokens=f"{tokens:,}", docs=n_docs))
    ranked = pd.DataFrame({"rank": range(1, len(part) + 1), "word": part["word"].to_numpy(),
                           "count": part["count"].to_numpy(), "per_1000": part["per_1000"].to_numpy(),
                           "documents": part["n_documents"].to_numpy()})
    needle = search.strip().lower()
    view = (ranked[ranked["word"].str.contains(needle, regex=False)] if needle else ranked).head(top)
    left, right = st.columns([1, 1])
    left.dataframe(view, hide_index=True, width="stretch", height=460, key="wf_table",
                   column_config={"rank": st.column_config.NumberColumn("#", width=40),
                                  "word": st.column_config.TextColumn(_("Word"), width=110),
                                  "count": st.column_config.NumberColumn(_("Count"), width="small"),
                                  "per_1000": st.column_config.NumberColumn(_("Per 1,000"), format="%.2f",
                                                                            width="small"),
                                  "documents": st.column_config.NumberColumn(
                                      _("Docs"), width="small", help=_("Documents the word occurs in"))})
    bars = view.head(20)
    if not bars.empty:
        chart = alt.Chart(inline(bars)).mark_bar(color="#4C78A8").encode(
            x=alt.X("count:Q", title=_("count")),
            y=alt.Y("word:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            tooltip=[alt.Tooltip("word:N", title=_("word")), alt.Tooltip("count:Q", title=_("count")),
                     alt.Tooltip("per_1000:Q", title=_("per 1,000"), format=".2f"),
                     alt.Tooltip("documents:Q", title=_("documents"))],
        ).properties(height=alt.Step(22), title=_("Top {n} · {group}").format(n=len(bars), group=group))
        right.altair_chart(styled(chart), width="stretch")

    with st.popover(_("Download"), icon=":material/download:"):
        st.caption(_("Every word of every group (not only the top ones). UTF-8 for Excel; a cell that a spreadsheet "
                     "would run as a formula starts with '."))
        fmt = st.radio(_("Format"), FORMATS, format_func=FORMAT_LABELS.get, horizontal=True, key="wf_format")
        file_key = (memo_key, fmt)
        cached = st.session_state.get("wf_file")
        if not cached or cached[0] != file_key:
            frame = frequency_file_frame(table, by)
            cached = (file_key, to_csv_bytes(frame) if fmt == "csv" else to_xlsx_bytes(frame, sheet="Word frequencies"))
            st.session_state["wf_file"] = cached
        st.download_button(_("Download {format}").format(format=fmt.upper()), cached[1],
                           f"word_frequencies_{by}.{fmt}", MIME[fmt], key="wf_download", width="stretch",
                           icon=":material/download:")

with st.expander(_("Stop words"), icon=":material/block:"):
    words = state.read(get_stopwords)
    st.caption(_("{n} words left out of every count in this project, one a line (Chinese and English; compared in "
                 "lower case). Saving replaces the project's list; “Back to the default” restores Tandem's list.")
               .format(n=f"{len(words):,}"))
    may_edit = state.can("project")
    if not may_edit:
        st.caption(_("Only an owner can change the project's stop words."))
    with st.form(key="wf_stop_form"):
        text = st.text_area(_("Stop words"), "\n".join(words), height=240, key=f"wf_stop_text_{state.revision()}")
        save, default = st.columns(2)
        if save.form_submit_button(_("Save the list"), type="primary", key="wf_stop_save", disabled=not may_edit):
            saved = state.write(set_stopwords, text)
            if saved is not None:
                st.session_state["wf_flash"] = _("Stop words saved: {n} word(s).").format(n=f"{len(saved):,}")
                st.rerun()
        if default.form_submit_button(_("Back to the default"), key="wf_stop_reset", disabled=not may_edit):
            if state.write(reset_stopwords) is not None:
                st.session_state["wf_flash"] = _("Tandem's default stop words restored.")
                st.rerun()
