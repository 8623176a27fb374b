"""Code page: select text and apply codes, code whole sentences or paragraphs, edit a coding,
link it to cities or a dyad (accepting suggestions from place names).

The page keeps your place: document, section, paragraphs per section, selected coding and
the paragraph to show survive a switch to another page (a plain session key, which
Streamlit does not drop with the widgets) and a reload (the URL's query parameters);
``ui.code_place`` checks every value read back."""
import streamlit as st

import coding
from coding import blind
from i18n import _, pgettext
from ui import code_place, state
from ui.coding_panel import coding_panel, unit_coder
from ui.pieces import section_bounds
from ui.span_coder import span_coder

PLACE = "tandem_code_place"  # {"doc", "per", "firsts": {doc: first paragraph shown, 0-based}, "coding", "p"}

st.title(pgettext("page", "Code"))


def _blind_banner() -> None:
    """Say when the project is blind; an owner may choose to code blind too (coding.blind)."""
    setting = state.read(blind.blind_state)
    if not setting["on"]:
        return
    if state.user() is not None and state.user()["role"] == "owner":
        st.checkbox(_("Code blind myself (see only my codings)"), value=state.blind_self(), key="code_blind_self",
                    on_change=lambda: st.session_state.update(
                        {state.BLIND_SELF_KEY: bool(st.session_state.get("code_blind_self"))}))
        if not state.blind_self():
            st.caption(_("Blind coding is on for coders; as an owner you see everyone's codings."))
            return
    st.info(_("Blind coding is on: you see only your codings."), icon=":material/visibility_off:")


_blind_banner()

docs = state.read(coding.documents)
if docs.empty:
    st.info(_("No documents yet: import some on the Documents page."))
    st.stop()
book = state.read(coding.codebook)
codable = book[book["codable"].astype(bool)]
if codable.empty:
    st.info(_("The codebook has no codable codes: add some on the Codebook page."))
    st.stop()

names = {int(i): n for i, n in zip(docs["id"], docs["name"])}
saved = dict(st.session_state.get(PLACE) or {})
url = code_place.parse(st.query_params.to_dict())
notices: list[str] = []

# Document: the widget's own value while on the page (or one another page handed over), else the
# URL (a reload, a shared link), else the place kept in the session.
if st.session_state.get("code_doc") not in names:
    wanted = st.session_state.pop("code_doc", None)
    if wanted is None:
        wanted = url["doc"] if url["doc"] is not None else saved.get("doc")
    first, notice = code_place.choose_document(wanted, list(names), names)
    st.session_state["code_doc"] = first
    notices += [notice] if notice else []
if "code_per" not in st.session_state:
    st.session_state["code_per"] = code_place.choose_per_section(url["per"] if url["per"] is not None
                                                                 else saved.get("per"))

top = st.columns([3, 1])
doc_id = top[0].selectbox(_("Document"), list(names), format_func=names.get, key="code_doc")
per_section = top[1].selectbox(_("Paragraphs per section"), code_place.PER_SECTION_CHOICES, key="code_per",
                               help=_("Longer sections mean less paging; the browser then gets more text at a time."))
paragraphs = state.read(coding.segment_spans, doc_id, "paragraph")
codings = state.read(coding.codings_in_document, doc_id)
coding_ids = [int(i) for i in codings["id"]]
spans = list(zip(paragraphs["start"], paragraphs["end"]))
n_sections = max(1, section_bounds(spans, 0, per_section)[2])
starts = [int(s) for s in paragraphs["start"]]
section_key = f"section_{doc_id}"
firsts = dict(saved.get("firsts") or {})

# Section: as the selected coding; else the widget; else the URL or the place kept (re-counted when
# the number of paragraphs per section changed, so the same paragraphs stay in view).
if section_key not in st.session_state:
    if url["doc"] == doc_id and url["section"] is not None and saved.get("doc") != doc_id:
        wanted, per_then = url["section"], (url["per"] or per_section)
    else:
        first = firsts.get(str(doc_id))
        wanted, per_then = (None if first is None else int(first) // per_section + 1), per_section
    if wanted is not None and per_then != per_section:
        wanted = ((int(wanted) - 1) * int(per_then)) // per_section + 1
    section, notice = code_place.choose_section(wanted, n_sections)
    st.session_state[section_key] = section
    notices += [notice] if notice else []
elif saved.get("doc") == doc_id and saved.get("per") not in (None, per_section):
    first_para = (int(st.session_state[section_key]) - 1) * int(saved["per"])
    st.session_state[section_key] = first_para // per_section + 1
st.session_state[section_key] = min(max(1, int(st.session_state[section_key])), n_sections)

# Selection: kept in the session; from the URL on a fresh start (checked against this document).
if "selected_coding" not in st.session_state and url["coding"] is not None and url["doc"] == doc_id:
    chosen, notice = code_place.choose_coding(url["coding"], coding_ids)
    notices += [notice] if notice else []
    if chosen is not None:
        st.session_state["selected_coding"] = chosen
        if url["section"] is not None:
            st.session_state["_turned_to"] = chosen  # the URL's section already shows it
selected = st.session_state.get("selected_coding")
selected = int(selected) if selected is not None and int(selected) in coding_ids else None

# Arriving with a coding to show (from Retrieve, Search, Matrices): turn to its section once.
if selected is not None and st.session_state.get("_turned_to") != selected and n_sections > 1:
    start_of = int(codings.set_index("id").loc[selected, "start"])
    st.session_state[section_key] = code_place.section_of(start_of, starts, per_section)
    st.session_state["_turned_to"] = selected

for notice in notices:
    st.info(notice, icon=":material/info:")

scroll_para = saved.get("p") if saved.get("doc") == doc_id else (url["p"] if url["doc"] == doc_id else None)


def _go_to_paragraph() -> None:
    number = st.session_state.get(f"goto_{doc_id}")
    if number:
        st.session_state[section_key] = (int(number) - 1) // per_section + 1
        st.session_state["_code_scroll_p"] = int(number)


c1, c2, c3 = st.columns([1, 1, 2])
section = (c1.number_input(_("Section (of {n}; {per} paragraphs each)").format(n=n_sections, per=per_section),
                           min_value=1,
                           max_value=n_sections, key=section_key) if n_sections > 1 else 1)
if len(paragraphs) > 1:
    c2.number_input(_("Go to paragraph (1–{n})").format(n=len(paragraphs)), min_value=1, max_value=len(paragraphs),
                    value=None, key=f"goto_{doc_id}", on_change=_go_to_paragraph, placeholder=_("¶ number"))
if "_code_scroll_p" in st.session_state:
    scroll_para = st.session_state.pop("_code_scroll_p")
chunk = paragraphs.iloc[(section - 1) * per_section: section * per_section]
if chunk.empty:
    st.info(_("This document has no paragraphs: it may be empty, or its import was cut short. Import it again on "
              "the Documents page."))
    st.stop()
bounds = section_bounds(spans, section - 1, per_section)[:2]
c3.caption(_("Paragraphs ¶ {first}–{last} of {n} (characters {start:,}–{end:,}).").format(
    first=chunk["idx"].iloc[0], last=chunk["idx"].iloc[-1], n=len(paragraphs), start=bounds[0], end=bounds[1]))

# The scroll target: the paragraph asked for, else the selected coding.
scroll_to = None
if scroll_para is not None and 1 <= int(scroll_para) <= len(paragraphs):
    scroll_to = int(paragraphs["start"].iloc[int(scroll_para) - 1])
elif selected is not None:
    scroll_to = int(codings.set_index("id").loc[selected, "start"])
if scroll_to is not None and not bounds[0] <= scroll_to < bounds[1]:
    scroll_to, scroll_para = None, None

# Keep the place: in the session (page switches) and in the URL (reloads, links).
firsts[str(doc_id)] = (int(section) - 1) * per_section
place = {"doc": int(doc_id), "per": int(per_section), "firsts": firsts, "coding": selected,
         "p": int(scroll_para) if scroll_para is not None else None}
st.session_state[PLACE] = place
wanted_params = code_place.to_params({**place, "section": int(section)})
if {k: v for k, v in st.query_params.to_dict().items() if k in code_place.PARAMS} != wanted_params:
    for k in code_place.PARAMS:
        if k in wanted_params:
            st.query_params[k] = wanted_params[k]
        elif k in st.query_params:
            del st.query_params[k]

text = state.read(coding.document_text, doc_id)
code_list = [{"id": int(r.id), "name": r.name, "colour": r.colour} for r in codable.itertuples()]


def _on_code(start: int, end: int, code_ids: list[int]) -> None:
    ids = state.write(coding.add_coding, doc_id, start, end, code_ids, coder=state.coder())
    if ids:
        _select(ids[0])


def _select(coding_id: int) -> None:
    st.session_state["selected_coding"] = int(coding_id)
    st.session_state["_turned_to"] = int(coding_id)
    st.session_state[PLACE] = {**st.session_state.get(PLACE, {}), "p": None}  # the coding is now the place


def _on_select(coding_id: int) -> None:
    _select(coding_id)


# The coding panel stays beside the text while it scrolls (Streamlit wraps the keyed container
# in a layout wrapper as tall as its content: that wrapper is what must stick).
_STICKY = ("<style>[data-testid='stLayoutWrapper']:has(> .st-key-tdm_code_panel){position:sticky;top:1rem;"
           "z-index:2;}.st-key-tdm_code_panel{max-height:calc(100vh - 2rem);overflow-y:auto;}</style>")
st.html(_STICKY)
tab_select, tab_units, tab_list = st.tabs([_("Select text"), _("By sentence or paragraph"),
                                           _("Codings in this document")])
with tab_select:
    left, right = st.columns([3, 2])
    with left:
        by_id = {c["id"]: c["name"] for c in code_list}
        chosen = st.multiselect(_("Several codes at once (searchable; then select text and press “Apply chosen”)"),
                                list(by_id), format_func=by_id.get, key=f"chosen_codes_{doc_id}",
                                placeholder=_("Choose options"))
        span_coder(
            text,
            [{"id": int(r.id), "start": int(r.start), "end": int(r.end), "code": int(r.code_id), "colour": r.colour}
             for r in codings.itertuples() if getattr(r, "status", "anchored") != "unanchored"],
            code_list, key=f"coder_{doc_id}", section=bounds, on_code=_on_code, on_select_coding=_on_select,
            selected_coding=selected, chosen_codes=chosen,
            paragraphs=list(zip(chunk["start"].astype(int), chunk["end"].astype(int))), scroll_to=scroll_to,
        )
    with right, st.container(key="tdm_code_panel"):
        if selected is not None:
            coding_panel(codings.set_index("id").loc[selected].to_dict() | {"id": selected}, code_list)
        else:
            st.caption(_("Select text on the left and press a code button (keys 1–9, or type a code's name in the "
                         "box above the buttons) to code it; click a highlight to edit, link or delete that coding. "
                         "The stripes left of each paragraph show which codes touch it."))

with tab_units:
    unit_coder(doc_id, code_list)

with tab_list:
    if codings.empty:
        st.info(_("No codings in this document yet: select text on the first tab and press a code button."))
    else:
        view = codings[["code", "quote", "start", "end", "coder", "memo"]].rename(
            columns={"code": "Code", "quote": "Passage", "start": "From", "end": "To", "coder": "Coder",
                     "memo": "Memo"})
        event = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                             key=f"codings_table_{doc_id}",
                             column_config={"Code": st.column_config.TextColumn(_("Code")),
                                            "Passage": st.column_config.TextColumn(_("Passage"), width="large"),
                                            "From": st.column_config.NumberColumn(_("From"),
                                                                                  help=_("Character offset")),
                                            "To": st.column_config.NumberColumn(_("To"),
                                                                                help=_("Character offset (end)")),
                                            "Coder": st.column_config.TextColumn(_("Coder")),
                                            "Memo": st.column_config.TextColumn(_("Memo"))})
        rows = event.selection.rows if event and event.selection else []
        if rows:
            coding_panel(codings.iloc[rows[0]].to_dict(), code_list, key_prefix="list")
