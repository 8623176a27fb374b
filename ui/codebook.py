"""Codebook page: the code tree with definitions; add, edit, move, merge, split, delete;
code ↔ variable and code ↔ dimension maps; import (CSV/TXT/XLSX from any tool with a choice of path
column and level separator and a preview of the tree, REFI-QDA .qdc) and export (CSV, XLSX, .qdc)."""
import io

import streamlit as st

import coding
from mixed.case_attributes import read_case_table
from coding.exchange.codebook_csv import SEPARATORS, preview_codebook_csv, table_columns
from coding.exchange.codebook_xlsx import export_codebook_xlsx, import_codebook_xlsx, preview_codebook_xlsx
from coding.codes.dimensions import DIMENSIONS, dimension_map, set_dimension_map
from i18n import N_, _, pgettext
from ui import state

st.title(_("Codebook"))

#: How the collaboration dimensions (stored keys) are named on this page.
DIMENSION_LABELS = {"breadth": N_("breadth"), "connection": N_("connection"), "degree": N_("degree")}


def _dim(key: str) -> str:
    return _(DIMENSION_LABELS[key]) if key in DIMENSION_LABELS else key

if flash := st.session_state.pop("cb_flash", None):
    st.success(flash)


def _done(message: str) -> None:
    st.session_state["cb_flash"] = message
    st.rerun()


def _import_report(report: dict) -> str:
    parts = [_("{n} code(s) created").format(n=len(report["created"])),
             _("{n} matched existing codes").format(n=len(report["matched_guid"]) + len(report["matched_name"]))]
    if report.get("updated"):
        parts.append(_("{n} updated").format(n=len(report["updated"])))
    if report.get("renamed"):
        parts.append(_("{n} renamed to fit").format(n=len(report["renamed"])))
    message = _("Imported: {parts}.").format(parts=_(", ").join(parts))
    return message + (f" {report['summary']}" if report.get("summary") else "")


with st.expander(_("Import and export (CSV, XLSX, REFI-QDA .qdc)")):
    exchange = st.container()

_TABLES = (".csv", ".txt", ".tsv", ".xlsx")
_AUTO = "(automatic)"


def _table_options(upload) -> dict:
    """The path column and separator choices for a table upload, and its preview (names, never ids)."""
    data, name = upload.getvalue(), upload.name
    xlsx = name.lower().endswith(".xlsx")
    columns = state.attempt(lambda: list(read_case_table(data, name).columns) if xlsx else table_columns(data))
    if columns is None:
        return {"ok": False}
    c1, c2 = st.columns(2)
    column = c1.selectbox(_("Path column"), [_AUTO, *columns], key="cb_import_column",
                          format_func=lambda v: _("(automatic)") if v == _AUTO else v,
                          help=_("The column holding each code's path. Automatic: 'path', else the one column "
                                 "named like code_path, Code or Pfad (you are asked when several fit)."))
    sep = c2.selectbox(_("Level separator"), [_AUTO, *SEPARATORS], key="cb_import_separator",
                       format_func=lambda v: _("(automatic)") if v == _AUTO else f"“{v}”  ({SEPARATORS[v]})",
                       help=_("What separates levels in a path. Automatic: the one found in most paths."))
    options = {"path_column": None if column == _AUTO else column, "separator": None if sep == _AUTO else sep}
    preview = state.attempt(preview_codebook_xlsx if xlsx else preview_codebook_csv, data, **options)
    if preview is None:
        return {"ok": False, **options}
    st.caption(preview["summary"])
    tree = preview["tree"]
    shown = tree.assign(code=["\u2003" * int(d) + n for d, n in zip(tree["depth"], tree["name"])],
                        kind=[_("category") if not c else _("code") for c in tree["codable"]])
    st.dataframe(shown[["code", "kind"]], hide_index=True, width="stretch", height=min(300, 38 + 35 * len(shown)),
                 column_config={"code": st.column_config.TextColumn(_("code")),
                                "kind": st.column_config.TextColumn(_("kind"))})
    for warning in preview["warnings"]:
        st.warning(warning)
    return {"ok": True, **options}


def _import(upload, update: bool, options: dict) -> None:
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        report = state.write(import_codebook_xlsx, upload.getvalue(), upload.name, update_existing=update,
                             coder=state.coder(), **options)
    elif name.endswith(_TABLES):
        report = state.write(coding.import_codebook_csv, upload.getvalue(), update_existing=update,
                             coder=state.coder(), **options)
    else:
        report = state.write(coding.import_codebook_qdc, upload.getvalue(), update_existing=update,
                             coder=state.coder())
    if report is not None:
        st.session_state["cb_import_warnings"] = report.get("warnings", [])
        _done(_import_report(report))


book = state.read(coding.codebook)
with exchange:
    c_in, c_out = st.columns(2)
    with c_in:
        st.markdown("**{}**".format(_("Import")))
        upload = st.file_uploader(_("Codebook file (.csv, .txt, .xlsx from any tool; .qdc, .qde or .qdpx)"),
                                  type=["csv", "txt", "tsv", "xlsx", "qdc", "qde", "qdpx"], key="cb_import_file")
        options = {"ok": True, "path_column": None, "separator": None}
        if upload is not None and upload.name.lower().endswith(_TABLES):
            options = _table_options(upload)
        update = st.checkbox(_("Update matching codes (texts, colours, names)"), key="cb_import_update",
                             help=_("Codes are matched by GUID, then by path; new codes are added either way."))
        if st.button(_("Import codebook"), key="cb_import_go", type="primary"):
            if upload is None:
                st.error(_("Choose a codebook file first."))
            else:  # a file the preview refused is refused again with the same sentence
                _import(upload, update, {k: options.get(k) for k in ("path_column", "separator")}
                        if upload.name.lower().endswith(_TABLES) else {})
        for warning in st.session_state.pop("cb_import_warnings", []):
            st.warning(warning)
    with c_out:
        st.markdown("**{}**".format(_("Export")))
        if book.empty:
            st.caption(_("The codebook is empty."))
        else:
            csv = io.BytesIO()
            state.read(coding.export_codebook_csv, csv)
            st.download_button(_("Download CSV"), csv.getvalue(), "codebook.csv", "text/csv", key="cb_export_csv",
                               icon=":material/download:", help=_("One row per code: path, name, definition, "
                               "inclusion, exclusion, example, colour, codable, GUID (UTF-8 for Excel)."))
            xlsx = io.BytesIO()
            state.read(export_codebook_xlsx, xlsx)
            st.download_button(_("Download XLSX"), xlsx.getvalue(), "codebook.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key="cb_export_xlsx", icon=":material/download:",
                               help=_("The same columns as the CSV, as an Excel workbook (safe to open)."))
            qdc = io.BytesIO()
            checked = state.attempt(state.read, coding.export_codebook_qdc, qdc)
            if checked is not None:
                st.download_button(_("Download REFI-QDA .qdc"), qdc.getvalue(), "codebook.qdc", "application/xml",
                                   key="cb_export_qdc", icon=":material/download:",
                                   help=_("For QualCoder, MAXQDA, ATLAS.ti, NVivo and other REFI-QDA tools."))
                how = (_("Valid against the REFI-QDA Codebook schema") if checked["validation"] == "xsd"
                       else _("Checked against the schema's rules (the XSD file was not found)"))
                st.caption(_("{how}: {n} code(s); {note}.").format(how=how, n=checked["codes"], note=checked["note"]))

if book.empty:
    if st.button(_("Create the default codebook (Mark, Hole, Needs–Supply, dimensions)")):
        state.write(coding.ensure_default_codebook)
        st.rerun()
    st.stop()

show = book.assign(code=["\u2003" * int(d) + n for d, n in zip(book["depth"], book["name"])])
st.dataframe(
    show[["code", "definition", "inclusion", "exclusion", "example", "colour", "codable", "n_codings"]],
    hide_index=True, width="stretch",
    column_config={"code": st.column_config.TextColumn(_("code")),
                   "definition": st.column_config.TextColumn(_("definition")),
                   "inclusion": st.column_config.TextColumn(_("inclusion")),
                   "exclusion": st.column_config.TextColumn(_("exclusion")),
                   "example": st.column_config.TextColumn(_("example")),
                   "colour": st.column_config.TextColumn(_("colour")),
                   "codable": st.column_config.CheckboxColumn(_("codable")),
                   "n_codings": st.column_config.NumberColumn(_("codings"))},
)

if not state.can("codebook"):
    st.caption(_("Your role ({role}) may read and export the codebook; changing it is for owners.").format(
        role=_(state.role_label())))
    st.stop()

labels = dict(zip(book["id"], book["path"]))
tab_add, tab_edit, tab_move, tab_merge, tab_split, tab_delete, tab_map = st.tabs(
    [_("Add"), _("Edit"), _("Move"), _("Merge"), _("Split"), _("Delete"), _("Code ↔ variable / dimension")],
    key="cb_tab", on_change="rerun")

with tab_add:
    with st.form(key="add_code", clear_on_submit=True):
        name = st.text_input(pgettext("code", "Name"))
        parent = st.selectbox(_("Parent"), [None] + list(labels),
                              format_func=lambda i: _("(top level)") if i is None else labels[i])
        definition = st.text_area(_("Definition"))
        c1, c2 = st.columns(2)
        inclusion = c1.text_area(_("Inclusion criteria"))
        exclusion = c2.text_area(_("Exclusion criteria"))
        example = st.text_input(_("Example"))
        c3, c4 = st.columns(2)
        colour = c3.color_picker(_("Colour"), "#FFD166")
        codable = c4.checkbox(_("Codable (untick for a category)"), value=True)
        if st.form_submit_button(_("Add code")):
            if state.write(coding.add_code, name.strip(), parent_id=parent, definition=definition,
                           inclusion=inclusion, exclusion=exclusion, example=example, colour=colour,
                           codable=codable, coder=state.coder()) is not None:
                st.rerun()

with tab_edit:
    code_id = st.selectbox(_("Code"), list(labels), format_func=labels.get, key="edit_code")
    row = book.set_index("id").loc[code_id]
    with st.form(key="edit_code_form"):
        name = st.text_input(pgettext("code", "Name"), row["name"])
        definition = st.text_area(_("Definition"), row["definition"])
        c1, c2 = st.columns(2)
        inclusion = c1.text_area(_("Inclusion criteria"), row["inclusion"])
        exclusion = c2.text_area(_("Exclusion criteria"), row["exclusion"])
        example = st.text_input(_("Example"), row["example"])
        colour = st.color_picker(_("Colour"), row["colour"])
        if st.form_submit_button(_("Save")):
            if state.write(coding.update_code, code_id, name=name.strip(), definition=definition,
                           inclusion=inclusion, exclusion=exclusion, example=example, colour=colour) is not None:
                st.rerun()

with tab_move:
    code_id = st.selectbox(_("Code to move"), list(labels), format_func=labels.get, key="move_code")
    parent = st.selectbox(_("New parent"), [None] + list(labels),
                          format_func=lambda i: _("(top level)") if i is None else labels[i], key="move_parent")
    if st.button(_("Move")):
        if state.write(coding.move_code, code_id, parent) is not None:
            st.rerun()

with tab_merge:
    st.caption(_("Merge one code into another: its codings, memos, sub-codes, rules and variables move to the "
                 "target, its definition is appended to the target's, and it is deleted. Undo restores it exactly."))
    c1, c2 = st.columns(2)
    source = c1.selectbox(_("Merge this code"), list(labels), format_func=labels.get, key="merge_source")
    below = set(state.read(coding.descendants, source))
    target = c2.selectbox(_("into"), [i for i in labels if i != source and i not in below], format_func=labels.get,
                          key="merge_target", help=_("Codes below the merged one are not offered: they move with it."))
    if st.button(_("Merge"), key="merge_go", type="primary", disabled=target is None):
        done = state.write(coding.merge_codes, source, target, coder=state.coder())
        if done is not None:
            _done(_("Merged {source} into {target}: {moved} coding(s) moved, {collapsed} duplicate(s) collapsed, "
                    "{children} sub-code(s) and {memos} memo(s) moved.").format(
                source=labels[source], target=labels[target], moved=done["moved"], collapsed=done["collapsed"],
                children=done["children"], memos=done["memos"]))

with tab_split:
    st.caption(_("Split a code into new sub-codes. The code keeps its passages; recode them into the new "
                 "sub-codes on the Code page (retrieval with sub-codes still finds every passage)."))
    code_id = st.selectbox(_("Code to split"), list(labels), format_func=labels.get, key="split_code")
    names = st.text_area(_("New sub-codes (one name per line)"), key="split_names", height=110)
    if st.button(_("Split"), key="split_go", type="primary"):
        new = [n.strip() for n in names.splitlines() if n.strip()]
        made = state.write(coding.split_code, code_id, new, coder=state.coder())
        if made is not None:
            _done(_("{code} now has {n} new sub-code(s): {names}.").format(
                code=labels[code_id], n=len(made), names=_(", ").join(new)))

with tab_delete:
    code_id = st.selectbox(_("Code to delete"), list(labels), format_func=labels.get, key="delete_code")
    n = int(book.set_index("id").loc[code_id, "n_codings"])
    force = st.checkbox(_("Also delete its {n} codings").format(n=n), value=False, disabled=n == 0)
    if st.button(_("Delete"), type="primary"):
        if state.write(coding.delete_code, code_id, force=force) is not None:
            st.rerun()

with tab_map:
    st.caption(_("Which model variables each code speaks to. The joint display puts a code's passages beside "
                 "the coefficients of its variables."))
    vmap = state.read(coding.variable_map)
    codable = book[book["codable"].astype(bool)]
    code_id = st.selectbox(_("Code"), list(codable["id"]), format_func=labels.get, key="map_code")
    current = ", ".join(vmap.get(code_id, []))
    with st.form(key="map_form"):
        text = st.text_input(_("Variables (comma-separated)"), current)
        if st.form_submit_button(_("Save mapping")):
            variables = [v.strip() for v in text.split(",") if v.strip()]
            if state.write(coding.set_variable_map, code_id, variables) is not None:
                st.rerun()
    st.caption(_("Which collaboration dimensions the code is evidence for. The joint display of a run of "
                 "that dimension shows how the code's passages fall across the run's typical and deviant "
                 "cases, even when the code speaks to no single variable (Mark, Hole)."))
    dmap = state.read(dimension_map)
    with st.form(key="dim_map_form"):
        dims = st.multiselect(_("Dimensions"), list(DIMENSIONS), default=dmap.get(code_id, []),
                              key=f"dim_map_{code_id}", placeholder=_("Choose options"), format_func=_dim)
        if st.form_submit_button(_("Save dimensions")):
            if state.write(set_dimension_map, code_id, dims, coder=state.coder()) is not None:
                _done(_("{code}: evidence for {dimensions}.").format(
                    code=labels[code_id], dimensions=_(", ").join(_dim(d) for d in dims) if dims else _("no dimension")))
    overview = codable.assign(variables=[", ".join(vmap.get(i, [])) for i in codable["id"]],
                              dimensions=[_(", ").join(_dim(d) for d in dmap.get(i, [])) for i in codable["id"]])
    st.dataframe(overview[["path", "variables", "dimensions", "n_codings"]], hide_index=True, width="stretch",
                 column_config={"path": _("code"), "variables": _("variables"), "dimensions": _("dimensions"),
                                "n_codings": st.column_config.NumberColumn(_("codings"))})
