"""Codebook page: the code tree with definitions; add, edit, move, delete; code ↔ variable map."""
import streamlit as st

import coding
from ui import state

st.title("Codebook")

book = state.read(coding.codebook)
if book.empty:
    if st.button("Create the default codebook (Mark, Hole, Needs–Supply, dimensions)"):
        state.write(coding.ensure_default_codebook)
        st.rerun()
    st.stop()

show = book.assign(code=["\u2003" * int(d) + n for d, n in zip(book["depth"], book["name"])])
st.dataframe(
    show[["code", "definition", "inclusion", "exclusion", "example", "colour", "codable", "n_codings"]],
    hide_index=True, width="stretch",
    column_config={"codable": st.column_config.CheckboxColumn("codable"),
                   "n_codings": st.column_config.NumberColumn("codings")},
)

labels = dict(zip(book["id"], book["path"]))
tab_add, tab_edit, tab_move, tab_delete, tab_map = st.tabs(["Add", "Edit", "Move", "Delete", "Code ↔ variable"])

with tab_add:
    with st.form("add_code", clear_on_submit=True):
        name = st.text_input("Name")
        parent = st.selectbox("Parent", [None] + list(labels), format_func=lambda i: "(top level)" if i is None else labels[i])
        definition = st.text_area("Definition")
        c1, c2 = st.columns(2)
        inclusion = c1.text_area("Inclusion criteria")
        exclusion = c2.text_area("Exclusion criteria")
        example = st.text_input("Example")
        c3, c4 = st.columns(2)
        colour = c3.color_picker("Colour", "#FFD166")
        codable = c4.checkbox("Codable (untick for a category)", value=True)
        if st.form_submit_button("Add code"):
            if state.write(coding.add_code, name.strip(), parent_id=parent, definition=definition,
                           inclusion=inclusion, exclusion=exclusion, example=example, colour=colour,
                           codable=codable, coder=state.coder()) is not None:
                st.rerun()

with tab_edit:
    code_id = st.selectbox("Code", list(labels), format_func=labels.get, key="edit_code")
    row = book.set_index("id").loc[code_id]
    with st.form("edit_code_form"):
        name = st.text_input("Name", row["name"])
        definition = st.text_area("Definition", row["definition"])
        c1, c2 = st.columns(2)
        inclusion = c1.text_area("Inclusion criteria", row["inclusion"])
        exclusion = c2.text_area("Exclusion criteria", row["exclusion"])
        example = st.text_input("Example", row["example"])
        colour = st.color_picker("Colour", row["colour"])
        if st.form_submit_button("Save"):
            if state.write(coding.update_code, code_id, name=name.strip(), definition=definition,
                           inclusion=inclusion, exclusion=exclusion, example=example, colour=colour) is not None:
                st.rerun()

with tab_move:
    code_id = st.selectbox("Code to move", list(labels), format_func=labels.get, key="move_code")
    parent = st.selectbox("New parent", [None] + list(labels),
                          format_func=lambda i: "(top level)" if i is None else labels[i], key="move_parent")
    if st.button("Move"):
        if state.write(coding.move_code, code_id, parent) is not None:
            st.rerun()

with tab_delete:
    code_id = st.selectbox("Code to delete", list(labels), format_func=labels.get, key="delete_code")
    n = int(book.set_index("id").loc[code_id, "n_codings"])
    force = st.checkbox(f"Also delete its {n} codings", value=False, disabled=n == 0)
    if st.button("Delete", type="primary"):
        if state.write(coding.delete_code, code_id, force=force) is not None:
            st.rerun()

with tab_map:
    st.caption("Which model variables each code speaks to. The joint display puts a code's passages beside "
               "the coefficients of its variables.")
    vmap = state.read(coding.variable_map)
    codable = book[book["codable"].astype(bool)]
    code_id = st.selectbox("Code", list(codable["id"]), format_func=labels.get, key="map_code")
    current = ", ".join(vmap.get(code_id, []))
    with st.form("map_form"):
        text = st.text_input("Variables (comma-separated)", current)
        if st.form_submit_button("Save mapping"):
            variables = [v.strip() for v in text.split(",") if v.strip()]
            if state.write(coding.set_variable_map, code_id, variables) is not None:
                st.rerun()
