"""Attributes page: import a case/variable table (one row per document or per city) with a preview of
the matching by name, then edit document attributes in a table (add, rename and delete columns). Every
change is one undoable step (sidebar Undo). Calls coding.case_table and coding.documents only."""
import streamlit as st

from coding.case_table import ID_ALIASES, import_case_table, match_case_table, read_case_table
from coding.documents import (
    changes_from_table, delete_attribute, document_attributes, parse_value, rename_document_attribute,
    set_document_attributes,
)
from ui import state

st.title("Attributes")
st.caption("Variables of cases: a document's interviewee, date or district; a city's figures. Import them from "
           "a table made in any tool, or type them here. Each change can be undone from the sidebar.")

if flash := st.session_state.pop("attr_flash", None):
    st.success(flash)

_AUTO = "(automatic)"
_PER = {"document": "one row per document", "city": "one row per city"}
may_edit = state.can("project")


def _done(message: str) -> None:
    st.session_state["attr_flash"] = message
    st.rerun()


st.subheader("Import a case/variable table")
upload = st.file_uploader("Table (.csv, .tsv, .txt or .xlsx; any encoding)", type=["csv", "tsv", "txt", "xlsx"],
                          key="attr_file")
per = st.radio("Each row names", list(_PER), format_func=_PER.get, horizontal=True, key="attr_per",
               help="Documents are matched by name or by file name without the extension (ID1 → ID1.docx); "
                    "cities by adcode, full name, short name or pinyin.")
if upload is not None:
    frame = state.attempt(read_case_table, upload.getvalue(), upload.name)
    if frame is not None:
        id_col = st.selectbox("Column naming the " + per, [_AUTO, *frame.columns], key="attr_id",
                              help="Automatic: the one column headed like " + ", ".join(ID_ALIASES[per][:6])
                                   + "; else the first column.")
        chosen = None if id_col == _AUTO else id_col
        m = state.attempt(state.read, match_case_table, frame, per=per, id_column=chosen)
        if m is not None:
            guessed = " (no header named them, so the first column)" if m["id_column_guessed"] else ""
            st.caption(f"Rows name the {per} in column “{m['id_column']}”{guessed}. Columns to import: "
                       f"{', '.join(m['columns']) or 'none'}.")
            c1, c2 = st.columns(2)
            c1.metric("rows matched", len(m["matched"]))
            c2.metric("rows not matched", len(m["unmatched"]))
            if not m["matched"].empty:
                st.dataframe(m["matched"][["row", "value", "matched"]].rename(
                    columns={"value": "in the table", "matched": f"{per} in the project"}),
                    hide_index=True, width="stretch", key="attr_matched")
            if m["unmatched"]:
                st.warning("Not matched: " + "; ".join(f"row {u['row']} “{u['value']}” {u['reason']}"
                                                       for u in m["unmatched"][:20])
                           + (f"; and {len(m['unmatched']) - 20} more." if len(m["unmatched"]) > 20 else "."))
            for col, why in m["skipped_columns"].items():
                st.caption(f"Column “{col}” is not imported: {why}")
            if m["overwritten"]:
                st.warning(f"{len(m['overwritten'])} stored value(s) will be replaced: "
                           + "; ".join(f"{o['matched']} {o['name']}: {o['before']} → {o['after']}"
                                       for o in m["overwritten"][:10]) + ".")
            if st.button("Import the attributes", key="attr_import_go", type="primary",
                         disabled=m["matched"].empty or not may_edit):
                report = state.write(import_case_table, frame, per=per, id_column=chosen, filename=upload.name,
                                     coder=state.coder())
                if report is not None:
                    _done(f"{upload.name}: {report['summary']}")

st.subheader("Document attributes")
table = state.read(document_attributes)
if table.empty:
    st.info("The project has no documents yet; import some on the Documents page.")
    st.stop()
names = [c for c in table.columns if c not in ("id", "name", "kind", "language", "superseded_by")]
shown = table.set_index("id")[["name", *names]]
if not may_edit:
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(f"Your role ({state.role_label()}) may read attributes; changing them is for owners.")
    st.stop()
# keyed by the project revision: after a save or an undo the editor starts again from the stored values
edited = st.data_editor(shown, hide_index=True, width="stretch", disabled=["name"],
                        key=f"attr_editor_{state.revision()}",
                        column_config={"name": st.column_config.TextColumn("document")})
changes = changes_from_table(shown[names], edited[names])
if st.button(f"Save {sum(len(v) for v in changes.values())} changed cell(s)", key="attr_save",
             disabled=not changes):
    cells = state.write(set_document_attributes, changes, coder=state.coder())
    if cells is not None:
        _done(f"Saved {len(cells)} attribute value(s).")

tab_add, tab_rename, tab_delete = st.tabs(["Add a column", "Rename a column", "Delete a column"])
labels = dict(zip(table["id"], table["name"]))
with tab_add:
    with st.form("attr_add_form", clear_on_submit=True):
        new = st.text_input("Attribute name", key="attr_add_name")
        value = st.text_input("Value", key="attr_add_value", help="A number stays a number (45, 3.5).")
        docs = st.multiselect("For the documents", list(labels), format_func=labels.get, key="attr_add_docs",
                              help="Empty: every document.")
        if st.form_submit_button("Add"):
            typed = parse_value(value)
            if typed is None:
                st.error("Give a value; a column cannot be empty.")
            else:
                targets = docs or list(labels)
                cells = state.write(set_document_attributes, {d: {new: typed} for d in targets}, coder=state.coder(),
                                    description=f"added attribute “{new.strip()}” to {len(targets)} document(s)")
                if cells is not None:
                    _done(f"Added “{new.strip()}” to {len(targets)} document(s).")
with tab_rename:
    if names:
        old = st.selectbox("Column", names, key="attr_rename_old")
        to = st.text_input("New name", key="attr_rename_new")
        if st.button("Rename", key="attr_rename_go"):
            n = state.write(rename_document_attribute, old, to, coder=state.coder())
            if n is not None:
                _done(f"Renamed “{old}” to “{to.strip()}” on {n} document(s).")
    else:
        st.caption("No attribute yet.")
with tab_delete:
    if names:
        gone = st.selectbox("Column", names, key="attr_delete_name")
        if st.button("Delete the column", key="attr_delete_go"):
            n = state.write(delete_attribute, gone, coder=state.coder())
            if n is not None:
                _done(f"Deleted “{gone}” from {n} document(s); Undo in the sidebar brings it back.")
    else:
        st.caption("No attribute yet.")
