"""Search page: keyword in context across the corpus (traditional Chinese folded to simplified,
regular expressions optional); review the hits and code the selected ones in bulk."""
import streamlit as st

import coding
from i18n import _
from ui import state

st.title(_("Search"))
st.caption(_("Find every occurrence of a word or pattern in the corpus, read it in context, then code the hits "
             "you select. Chinese needs no spaces: any substring matches, and 通辦 finds 通办. To keep a search "
             "as a reusable rule with a review queue, use the Suggestions page."))

if flash := st.session_state.pop("search_flash", None):
    st.success(flash)

docs = state.read(coding.documents)
if docs.empty:
    st.info(_("No documents yet: import some on the Documents page."))
    st.stop()
current = docs[docs["superseded_by"].isna()]
names = dict(zip(current["id"], current["name"]))

with st.form(key="search_form"):
    c1, c2 = st.columns([4, 1])
    pattern = c1.text_input(_("Search for"), key="search_pattern", placeholder=_("e.g. 通办, 异地, cross-city"))
    context = c2.number_input(_("Context (characters)"), 0, 300, 20, step=5, key="search_context")
    c3, c4, c5, c6 = st.columns(4)
    regex = c3.checkbox(_("Regular expression"), key="search_regex",
                        help=_("Python syntax, e.g. 跨(省|市|城) or \\d{4}年. A pattern that runs longer than "
                               "2 s on one document is stopped with a message (simplify it)."))
    fold = c4.checkbox(_("Fold traditional → simplified"), value=True, key="search_fold")
    ignore_case = c5.checkbox(_("Ignore case"), value=True, key="search_case")
    limit = c6.number_input(_("At most (hits)"), 10, 20000, 1000, step=100, key="search_limit")
    doc_ids = st.multiselect(_("Documents"), list(names), format_func=names.get, key="search_docs",
                             placeholder=_("All current documents"))
    st.form_submit_button(_("Search"), icon=":material/search:", type="primary", key="search_go")

if not pattern.strip():
    st.caption(_("Type a word or pattern and press Search."))
    st.stop()

hits = state.attempt(state.read, coding.search, pattern, regex=regex, document_ids=doc_ids or list(names),
                     fold_traditional=fold, ignore_case=ignore_case, context=int(context), limit=int(limit))
if hits is None:
    st.stop()
signature = (pattern, regex, fold, ignore_case, int(context), int(limit), tuple(doc_ids))
if st.session_state.get("search_signature") != signature:  # a new search starts with nothing selected
    st.session_state["search_signature"] = signature
    st.session_state.pop("search_hits", None)
if hits.empty:
    st.info(_("No occurrence in the chosen documents."))
    st.stop()

if len(hits) >= int(limit):
    found_line = _("**{hits} hit(s)** (the limit: raise it to see more) in {docs} document(s)")
else:
    found_line = _("**{hits} hit(s)** in {docs} document(s)")
st.markdown(found_line.format(hits=len(hits), docs=hits["document_id"].nunique()))
event = st.dataframe(
    hits[["document", "paragraph", "before", "match", "after"]], hide_index=True, width="stretch",
    on_select="rerun", selection_mode="multi-row", key="search_hits",
    column_config={"document": st.column_config.TextColumn(_("document"), width=150),
                   "paragraph": st.column_config.NumberColumn("¶", width=40),
                   "before": st.column_config.TextColumn(_("…before"), width=300, alignment="right"),
                   "match": st.column_config.TextColumn(_("match"), width=110, alignment="center"),
                   "after": st.column_config.TextColumn(_("after…"), width=300)},
)
rows = list(event.selection.rows) if event and event.selection else []

book = state.read(coding.codebook)
codable = book[book["codable"].astype(bool)]
paths = dict(zip(codable["id"], codable["path"]))
with st.container(border=True):
    st.markdown("**{}**".format(_("Code the hits")))
    st.caption(_("Tick rows in the table (click the left edge; shift-click for a range) or take every hit. "
                 "Each hit becomes one coding of exactly the matched text; a hit already coded with that code "
                 "by you is left as it is."))
    every = st.checkbox(_("All {n} hits").format(n=len(hits)), key="search_all")
    chosen = hits if every else hits.iloc[rows]
    c1, c2 = st.columns([2, 3])
    code_ids = c1.multiselect(_("Codes"), list(paths), format_func=paths.get, key="search_codes")
    memo = c2.text_input(_("Memo on each new coding (optional)"), key="search_memo")
    if st.button(_("Code {n} hit(s)").format(n=len(chosen)), type="primary", disabled=chosen.empty or not code_ids,
                 key="search_code", icon=":material/ink_highlighter:"):
        done = state.write(coding.code_hits, chosen, code_ids, coder=state.coder(), memo=memo)
        if done is not None:
            st.session_state["search_flash"] = _("Coded {n} hit(s) with {codes}: {m} coding(s).").format(
                n=len(chosen), codes=", ".join(paths[c] for c in code_ids), m=len(done))
            st.session_state.pop("search_hits", None)
            st.rerun()
