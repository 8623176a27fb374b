"""Code page: select text and apply codes, code whole sentences or paragraphs, edit a coding,
link it to cities or a dyad (accepting suggestions from place names)."""
import streamlit as st

import coding
from ui import state
from ui.coding_panel import coding_panel, unit_coder
from ui.span_coder import span_coder

st.title("Code")

docs = state.read(coding.documents)
if docs.empty:
    st.info("No documents yet: import some on the Documents page.")
    st.stop()
book = state.read(coding.codebook)
codable = book[book["codable"].astype(bool)]
if codable.empty:
    st.info("The codebook has no codable codes: add some on the Codebook page.")
    st.stop()

names = dict(zip(docs["id"], docs["name"]))
doc_id = st.selectbox("Document", list(names), format_func=names.get, key="code_doc")
paragraphs = state.read(coding.segment_spans, doc_id, "paragraph")
codings = state.read(coding.codings_in_document, doc_id)
per_section = 30
n_sections = max(1, -(-len(paragraphs) // per_section))

# Arriving with a coding to show (from Retrieve, Search, Matrices): turn to its section once.
wanted = st.session_state.get("selected_coding")
if wanted is not None and st.session_state.get("_turned_to") != wanted and wanted in set(codings["id"]) and n_sections > 1:
    start_of = int(codings.set_index("id").loc[wanted, "start"])
    position = int((paragraphs["start"] <= start_of).sum()) - 1
    st.session_state[f"section_{doc_id}"] = max(0, position) // per_section + 1
    st.session_state["_turned_to"] = wanted

c1, c2 = st.columns([1, 3])
section = (c1.number_input(f"Section (of {n_sections}; {per_section} paragraphs each)", min_value=1,
                           max_value=n_sections, key=f"section_{doc_id}") if n_sections > 1 else 1)
chunk = paragraphs.iloc[(section - 1) * per_section: section * per_section]
if chunk.empty:
    st.info("This document has no paragraphs.")
    st.stop()
bounds = (int(chunk["start"].iloc[0]), int(chunk["end"].iloc[-1]))
c2.caption(f"Paragraphs ¶ {chunk['idx'].iloc[0]}–{chunk['idx'].iloc[-1]} of {len(paragraphs)} "
           f"(characters {bounds[0]:,}–{bounds[1]:,}).")

text = state.read(coding.document_text, doc_id)
code_list = [{"id": int(r.id), "name": r.name, "colour": r.colour} for r in codable.itertuples()]


def _on_code(start: int, end: int, code_ids: list[int]) -> None:
    ids = state.write(coding.add_coding, doc_id, start, end, code_ids, coder=state.coder())
    if ids:
        st.session_state["selected_coding"] = ids[0]


def _on_select(coding_id: int) -> None:
    st.session_state["selected_coding"] = int(coding_id)


tab_select, tab_units, tab_list = st.tabs(["Select text", "By sentence or paragraph", "Codings in this document"])
with tab_select:
    left, right = st.columns([3, 2])
    with left:
        by_id = {c["id"]: c["name"] for c in code_list}
        chosen = st.multiselect("Several codes at once (searchable; then select text and press “Apply chosen”)",
                                list(by_id), format_func=by_id.get, key=f"chosen_codes_{doc_id}")
        span_coder(
            text,
            [{"id": int(r.id), "start": int(r.start), "end": int(r.end), "code": int(r.code_id), "colour": r.colour}
             for r in codings.itertuples() if getattr(r, "status", "anchored") != "unanchored"],
            code_list, key=f"coder_{doc_id}", section=bounds, on_code=_on_code, on_select_coding=_on_select,
            selected_coding=st.session_state.get("selected_coding"), chosen_codes=chosen,
        )
    with right:
        selected = st.session_state.get("selected_coding")
        if selected is not None and selected in set(codings["id"]):
            coding_panel(codings.set_index("id").loc[selected].to_dict() | {"id": selected}, code_list)
        else:
            st.caption("Select text on the left and press a code button (or keys 1–9) to code it; click a "
                       "highlight to edit, link or delete that coding.")

with tab_units:
    unit_coder(doc_id, code_list)

with tab_list:
    if codings.empty:
        st.info("No codings in this document yet.")
    else:
        view = codings[["id", "code", "start", "end", "quote", "coder", "memo"]]
        event = st.dataframe(view, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                             key=f"codings_table_{doc_id}")
        rows = event.selection.rows if event and event.selection else []
        if rows:
            coding_panel(codings.iloc[rows[0]].to_dict(), code_list, key_prefix="list")
