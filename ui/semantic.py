"""Semantic search page (issue 13): passages that mean something like a query (Chinese or English)
or like a coded passage, ranked by the offline sentence encoder, filtered by document, attribute,
city and pair of cities; each result can be coded with one click."""
import streamlit as st

import coding
from coding.documents import document_attributes, documents_where
from i18n import N_, _, pgettext
from quant.data import project as qdata
from ui import assist_panels as ap
from ui import state

MODES = {"query": N_("Words or a sentence"), "like": N_("Passages like a coding")}
PER_PAGE = 10

st.title(_("Semantic search"))
st.caption(_("Finds passages by meaning, not by the exact words: a question in English finds Chinese passages "
             "too. The sentence encoder runs on this computer; no text leaves it. For exact words use the Search "
             "page."))

for flash_key in ("sem_flash", "sem_prep_flash"):
    if flash := st.session_state.pop(flash_key, None):
        st.success(flash)

search = ap.module("search")
if search is None:
    ap.unavailable()
    st.stop()
docs = state.read(document_attributes)
if docs.empty:
    st.info(_("No documents yet: import some on the Documents page."))
    st.stop()
docs = docs[docs["superseded_by"].isna()]
doc_names = dict(zip(docs["id"], docs["name"]))
book = state.read(coding.codebook)
paths = dict(zip(book["id"], book["path"]))
codable = {c: p for c, p, ok in zip(book["id"], book["path"], book["codable"]) if ok}
cities = state.read(qdata.city_frame)
city_names = dict(zip(cities["code"], cities["name"])) if not cities.empty else {}
by_city = state.read(coding.counts_by_city)
coded_cities = list(by_city.loc[by_city["n_total"] > 0, "city_code"])
by_dyad = state.read(coding.counts_by_dyad)
dyad_pairs = [(a, b) for a, b in zip(by_dyad["city_a"], by_dyad["city_b"])]
attribute_keys = [c for c in docs.columns if c not in ("id", "name", "kind", "language", "superseded_by")]


def _dyad(pair) -> str:
    return f"{city_names.get(pair[0], pair[0])}–{city_names.get(pair[1], pair[1])}"


unit = st.segmented_control(_("Unit"), list(ap.UNITS), default="sentence", key="sem_unit",
                            format_func=lambda u: _(ap.UNITS[u])) or "sentence"
prepared = ap.prepare(unit, "sem_prep")

mode = st.segmented_control(_("Find"), list(MODES), default="query", key="sem_mode",
                            format_func=lambda m: _(MODES[m])) or "query"
query, like = None, None
if mode == "query":
    query = st.text_input(_("Search for"), key="sem_query",
                          placeholder=_("e.g. 材料不齐也先受理 or “the office accepts incomplete files”"))
else:
    c1, c2 = st.columns([1, 2])
    with_codings = [c for c, n in zip(book["id"], book["n_codings"]) if n]
    like_code = c1.selectbox(_("Code"), with_codings, format_func=paths.get, key="sem_like_code")
    examples = state.read(coding.retrieve, code_ids=[like_code], include_subcodes=False) if like_code else None
    if examples is None or examples.empty:
        c2.info(_("This code has no coded passage yet."))
    else:
        quotes = {int(r.coding_id): _("{document}: {quote}").format(document=r.document, quote=ap.short(r.quote))
                  for r in examples.itertuples()}
        like = c2.selectbox(_("Coded passage"), list(quotes), format_func=quotes.get, key="sem_like_coding")

with st.expander(_("Filters"), icon=":material/filter_alt:"):
    c1, c2, c3 = st.columns(3)
    doc_ids = c1.multiselect(_("Documents"), list(doc_names), format_func=doc_names.get, key="sem_docs",
                             placeholder=_("Any document"))
    attr = c2.selectbox(_("Document attribute"), [None] + attribute_keys, key="sem_attr",
                        format_func=lambda k: _("(any)") if k is None else k)
    values = sorted(docs[attr].dropna().unique()) if attr else []
    attr_values = c2.multiselect(_("Attribute value"), values, key="sem_attr_values", disabled=not attr,
                                 placeholder=_("Any value"))
    city_codes = c3.multiselect(_("Cities"), coded_cities, key="sem_cities", placeholder=_("Any city"),
                                format_func=lambda c: city_names.get(c, c),
                                help=_("Passages inside codings linked to the city, or to a pair of cities that "
                                       "contains it."))
    dyads = c3.multiselect(_("Pairs of cities"), dyad_pairs, key="sem_dyads", format_func=_dyad,
                           placeholder=_("Any pair"))
    c4, c5 = st.columns(2)
    uncoded = c4.checkbox(_("Only passages not coded yet"), key="sem_uncoded")
    limit = c5.number_input(_("At most (passages)"), 5, 500, 50, step=5, key="sem_limit")

if not (query or "").strip() and like is None:
    st.caption(_("Type words or a sentence, or pick a coded passage, to see the passages closest in meaning."))
    st.stop()

documents = None
if doc_ids or (attr and attr_values):
    allowed = state.read(documents_where, attributes={attr: attr_values} if attr and attr_values else None,
                         current_only=True)
    documents = [d for d in allowed if not doc_ids or d in doc_ids]
    if not documents:
        st.info(_("No document matches these document filters: widen the documents or attribute values."))
        st.stop()
signature = (state.revision(), unit, mode, (query or "").strip() if mode == "query" else like,
             tuple(documents or ()), tuple(city_codes), tuple(dyads), uncoded, int(limit))
kept = st.session_state.get("sem_result")
if kept and kept[0] == signature:
    found = kept[1]
else:
    asked = dict(query=(query or "").strip() if mode == "query" else None, like_coding=like if mode == "like" else None,
                 unit=unit, documents=documents, cities=city_codes or None, dyads=dyads or None,
                 uncoded_only=uncoded, limit=int(limit))
    if prepared:
        with st.spinner(_("Searching…")):
            found = state.attempt(state.read, search.search, ensure=False, **asked)
    else:  # the first search prepares the passages it needs, with a progress bar
        bar = st.progress(0.0, text=_("Preparing…"))

        def _progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / total) if total else 1.0,
                         text=_("{done:,} of {total:,} passages").format(done=done, total=total))

        found = state.write(search.search, ensure=True, progress=_progress, **asked)
        bar.empty()
    if found is None:
        st.stop()
    st.session_state["sem_result"] = (state.revision(),) + signature[1:], found
    signature = st.session_state["sem_result"][0]
if found.empty:
    st.info(_("No passage found: prepare the passages above, or widen the filters."))
    st.stop()

head, pick = st.columns([2, 2], vertical_alignment="bottom")
head.markdown(_("**{n} passage(s)**, closest first (score: cosine similarity, 1 = same meaning)").format(n=len(found)))
may_code = state.can("code")  # a viewer searches and reads; coding is for coders
code_id = pick.selectbox(_("Code with"), list(codable), format_func=codable.get, key="sem_code_with",
                         index=None, placeholder=_("Choose a code, then press Code on a passage"), disabled=not may_code,
                         help=None if may_code else _("Your role may search and read passages; coding them is for coders."))
n_pages = max(1, -(-len(found) // PER_PAGE))
page = st.columns([1, 4])[0].number_input(_("Page of {n}").format(n=n_pages), 1, n_pages, 1, key="sem_page") \
    if n_pages > 1 else 1
for row in found.iloc[(page - 1) * PER_PAGE: page * PER_PAGE].itertuples():
    with st.container(border=True):
        left, right = st.columns([6, 1], vertical_alignment="top")
        codes = row.codes if isinstance(row.codes, str) else ", ".join(str(c) for c in (row.codes or []))
        left.caption(_("Rank {rank} · score {score:.2f} · {document} · characters {start:,}–{end:,}").format(
            rank=row.rank, score=float(row.score), document=ap.md(row.document), start=int(row.start),
            end=int(row.end)) + (" · " + _("coded: {codes}").format(codes=ap.md(codes)) if codes else ""))
        left.text(row.text)
        if right.button(pgettext("button", "Code"), key=f"sem_code_{row.document_id}_{row.start}_{row.end}",
                        disabled=code_id is None or not may_code, icon=":material/ink_highlighter:", width="stretch"):
            made = state.write(coding.add_coding, int(row.document_id), int(row.start), int(row.end), [code_id],
                               coder=state.coder())
            if made is not None:
                st.session_state["sem_flash"] = _("Coded as {code}: {quote}").format(
                    code=codable[code_id], quote=ap.short(row.text, 60))
                st.rerun()
