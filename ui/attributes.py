"""Attributes page: import a case/variable table (one row per document or per city) with a preview of
the matching by name, then edit document attributes in a table (add, rename and delete columns). Every
change is one undoable step (sidebar Undo). Calls mixed.case_attributes and coding.documents only."""
import streamlit as st

from mixed.case_attributes import ID_ALIASES, import_case_table, match_case_table, read_case_table
from coding.documents import (
    changes_from_table, delete_attribute, document_attributes, parse_value, rename_document_attribute,
    set_document_attributes,
)
from i18n import N_, _
from ui import state

st.title(_("Attributes"))
st.caption(_("Variables of cases: a document's interviewee, date or district; a city's figures. Import them from "
             "a table made in any tool, or type them here. Each change can be undone from the sidebar."))

if flash := st.session_state.pop("attr_flash", None):
    st.success(flash)

_AUTO = "(automatic)"
_PER = {"document": N_("one row per document"), "city": N_("one row per city")}
#: The column naming each row, by what the rows name.
_ID_LABEL = {"document": N_("Column naming the document"), "city": N_("Column naming the city")}
#: The project's column in the preview of the matching.
_IN_PROJECT = {"document": N_("document in the project"), "city": N_("city in the project")}
may_edit = state.can("project")


def _done(message: str) -> None:
    st.session_state["attr_flash"] = message
    st.rerun()


st.subheader(_("Import a case/variable table"))
upload = st.file_uploader(_("Table (.csv, .tsv, .txt or .xlsx; any encoding)"), type=["csv", "tsv", "txt", "xlsx"],
                          key="attr_file")
per = st.radio(_("Each row names"), list(_PER), format_func=lambda v: _(_PER[v]), horizontal=True, key="attr_per",
               help=_("Documents are matched by name or by file name without the extension (ID1 → ID1.docx); "
                      "cities by adcode, full name, short name or pinyin."))
if upload is not None:
    frame = state.attempt(read_case_table, upload.getvalue(), upload.name)
    if frame is not None:
        id_col = st.selectbox(_(_ID_LABEL[per]), [_AUTO, *frame.columns], key="attr_id",
                              format_func=lambda v: _("(automatic)") if v == _AUTO else v,
                              help=_("Automatic: the one column headed like {names}; else the first column.").format(
                                  names=", ".join(ID_ALIASES[per][:6])))
        chosen = None if id_col == _AUTO else id_col
        m = state.attempt(state.read, match_case_table, frame, per=per, id_column=chosen)
        if m is not None:
            if per == "document":
                where = (_("Rows name the document in column “{column}” (no header named them, so the first column).")
                         if m["id_column_guessed"] else _("Rows name the document in column “{column}”."))
            else:
                where = (_("Rows name the city in column “{column}” (no header named them, so the first column).")
                         if m["id_column_guessed"] else _("Rows name the city in column “{column}”."))
            st.caption(where.format(column=m["id_column"]) + " " + _("Columns to import: {columns}.").format(
                columns=_(", ").join(m["columns"]) or _("none")))
            c1, c2 = st.columns(2)
            c1.metric(_("rows matched"), len(m["matched"]))
            c2.metric(_("rows not matched"), len(m["unmatched"]))
            if not m["matched"].empty:
                st.dataframe(m["matched"][["row", "value", "matched"]].rename(
                    columns={"row": _("row"), "value": _("in the table"), "matched": _(_IN_PROJECT[per])}),
                    hide_index=True, width="stretch", key="attr_matched")
            if m["unmatched"]:
                listed = _("; ").join(_("row {row} “{value}” {reason}").format(row=u["row"], value=u["value"],
                                                                              reason=u["reason"])
                                      for u in m["unmatched"][:20])
                more = len(m["unmatched"]) - 20
                st.warning(_("Not matched: {rows}; and {n} more.").format(rows=listed, n=more) if more > 0
                           else _("Not matched: {rows}.").format(rows=listed))
            for col, why in m["skipped_columns"].items():
                st.caption(_("Column “{column}” is not imported: {reason}").format(column=col, reason=why))
            if m["overwritten"]:
                st.warning(_("{n} stored value(s) will be replaced: {values}.").format(
                    n=len(m["overwritten"]),
                    values=_("; ").join(f"{o['matched']} {o['name']}: {o['before']} → {o['after']}"
                                        for o in m["overwritten"][:10])))
            if st.button(_("Import the attributes"), key="attr_import_go", type="primary",
                         disabled=m["matched"].empty or not may_edit):
                report = state.write(import_case_table, frame, per=per, id_column=chosen, filename=upload.name,
                                     coder=state.coder())
                if report is not None:
                    _done(f"{upload.name}: {report['summary']}")

st.subheader(_("Document attributes"))
table = state.read(document_attributes)
if table.empty:
    st.info(_("The project has no documents yet; import some on the Documents page."))
    st.stop()
names = [c for c in table.columns if c not in ("id", "name", "kind", "language", "superseded_by")]
shown = table.set_index("id")[["name", *names]]
if not may_edit:
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={"name": st.column_config.TextColumn(_("document"))})
    st.caption(_("Your role ({role}) may read attributes; changing them is for owners.").format(
        role=_(state.role_label())))
    st.stop()
# keyed by the project revision: after a save or an undo the editor starts again from the stored values
edited = st.data_editor(shown, hide_index=True, width="stretch", disabled=["name"],
                        key=f"attr_editor_{state.revision()}",
                        column_config={"name": st.column_config.TextColumn(_("document"))})
changes = changes_from_table(shown[names], edited[names])
if st.button(_("Save {n} changed cell(s)").format(n=sum(len(v) for v in changes.values())), key="attr_save",
             disabled=not changes):
    cells = state.write(set_document_attributes, changes, coder=state.coder())
    if cells is not None:
        _done(_("Saved {n} attribute value(s).").format(n=len(cells)))

tab_add, tab_rename, tab_delete = st.tabs([_("Add a column"), _("Rename a column"), _("Delete a column")])
labels = dict(zip(table["id"], table["name"]))
with tab_add:
    with st.form(key="attr_add_form", clear_on_submit=True):
        new = st.text_input(_("Attribute name"), key="attr_add_name")
        value = st.text_input(_("Value"), key="attr_add_value", help=_("A number stays a number (45, 3.5)."))
        docs = st.multiselect(_("For the documents"), list(labels), format_func=labels.get, key="attr_add_docs",
                              placeholder=_("Choose options"), help=_("Empty: every document."))
        if st.form_submit_button(_("Add")):
            typed = parse_value(value)
            if typed is None:
                st.error(_("Give a value; a column cannot be empty."))
            else:
                targets = docs or list(labels)
                cells = state.write(set_document_attributes, {d: {new: typed} for d in targets}, coder=state.coder(),
                                    description=f"added attribute “{new.strip()}” to {len(targets)} document(s)")
                if cells is not None:
                    _done(_("Added “{name}” to {n} document(s).").format(name=new.strip(), n=len(targets)))
with tab_rename:
    if names:
        old = st.selectbox(_("Column"), names, key="attr_rename_old")
        to = st.text_input(_("New name"), key="attr_rename_new")
        if st.button(_("Rename"), key="attr_rename_go"):
            n = state.write(rename_document_attribute, old, to, coder=state.coder())
            if n is not None:
                _done(_("Renamed “{old}” to “{new}” on {n} document(s).").format(old=old, new=to.strip(), n=n))
    else:
        st.caption(_("No attribute yet."))
with tab_delete:
    if names:
        gone = st.selectbox(_("Column"), names, key="attr_delete_name")
        if st.button(_("Delete the column"), key="attr_delete_go"):
            n = state.write(delete_attribute, gone, coder=state.coder())
            if n is not None:
                _done(_("Deleted “{name}” from {n} document(s); Undo in the sidebar brings it back.").format(
                    name=gone, n=n))
    else:
        st.caption(_("No attribute yet."))
