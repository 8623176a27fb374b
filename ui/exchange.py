"""Exchange page: a whole REFI-QDA project in (.qdpx, with its report: codings placed exactly,
moved or not placed, and every element not brought in, counted), the project out as a checked
.qdpx, and a MAXQDA coded-segments table placed onto the imported documents by their text.

Thin: ``coding.exchange`` does the work (``import_qdpx``, ``qdpx_bytes``, ``report_table``,
``segments_import``); each report is kept in the session so that it stays on screen after the
rerun an import causes."""
from pathlib import Path

import pandas as pd
import streamlit as st

from coding import exchange
from coding.exchange.segments_import import import_coded_segments
from ui import state

st.title("Exchange")
st.caption("Move coded work between Tandem and other tools: REFI-QDA projects (.qdpx: NVivo, ATLAS.ti, MAXQDA, "
           "QualCoder) in and out, and MAXQDA's coded-segments table in.")

CONVENTION_LABELS = {
    "auto": "Detect from the selections (recommended)",
    "codepoints": "Unicode characters (QualCoder)",
    "utf16": "UTF-16 units (NVivo, ATLAS.ti)",
    "utf16_crlf": "UTF-16 units, a Windows line break counted as two",
    "codepoints_crlf": "Unicode characters, a Windows line break counted as two",
}
QDPX_KEY, EXPORT_KEY, SEGMENTS_KEY = "exchange_qdpx_report", "exchange_export", "exchange_segments_report"
SEGMENT_COLUMNS = {"row": "Row", "status": "Status", "document": "Document", "code": "Code",
                   "text": "Text (first 30 characters)", "coder": "Coder", "reason": "Why"}


def _import_qdpx(session, data: bytes, convention: str, coder: str) -> dict:
    try:
        from quant.data import city_resolver

        resolve = city_resolver(session).resolve
    except ValueError:  # no cities yet: cases stay document cases
        resolve = None
    report = exchange.import_qdpx(session, data, convention=convention, coder=coder, resolve_city=resolve)
    return {k: v for k, v in report.items() if not k.startswith("_")}


def show_qdpx_report(r: dict) -> None:
    """The import report: totals as metrics, the convention and why, codings moved or not placed,
    sources not imported and every element not brought in, counted."""
    c = r["codings"]
    st.success(f"{r['file']}: {r['sources']['imported']:,} source(s) imported, {r['sources']['merged']:,} merged; "
               f"{r['codes']['created']:,} code(s) created, {r['codes']['matched']:,} matched.")
    cols = st.columns(4)
    for col, (label, n) in zip(cols, [("Placed exactly", c["placed"]), ("Moved to their text", c["moved"]),
                                      ("Not placed (kept)", c["not_placed"]),
                                      ("Already in the project", c["duplicates"])]):
        col.metric(label, f"{n:,}")
    st.caption(f"Offsets: {r['convention'].get('reason', '')}. Codings of text in the file: {c['in_file']:,}. "
               f"Memos: {r['memos']:,}; cases: {r['cases']:,}; variables: {r['variables']:,}; "
               f"users: {r['users']:,}; sets: {r['sets']:,}.")
    problems = exchange.report_table(r, only_problems=True)
    if not problems.empty:
        st.warning(f"{len(problems):,} coding(s) were not placed exactly; each is listed with the reason.")
        st.dataframe(problems, hide_index=True, width="stretch", key="qdpx_problems")
    missing = r["sources"].get("missing") or []
    if missing:
        st.warning("Sources not imported: " + "; ".join(f"{m['source']} ({m['reason']})" for m in missing))
    if r["skipped"]:
        st.info("Not brought in (counted): " + "; ".join(f"{n:,} {what}" for what, n in r["skipped"].items()) + ".")
        st.dataframe(pd.DataFrame({"Element": list(r["skipped"]), "Count": list(r["skipped"].values())}),
                     hide_index=True, key="qdpx_skipped")
    else:
        st.caption("Every element of the file was brought in.")
    for w in r.get("warnings") or []:
        st.caption(f"Note: {w}")


def show_segments_report(r: dict) -> None:
    """The coded-segments report: totals, codes created, and every row not placed, with why."""
    cols = st.columns(5)
    for col, (label, key) in zip(cols, [("Placed", "placed"), ("Already present", "already_present"),
                                        ("Ambiguous", "ambiguous"), ("Not found", "not_found"),
                                        ("Refused", "refused")]):
        col.metric(label, f"{r[key]:,}")
    created = r["codes_created"]
    st.caption(f"{r['file']}: {r['rows']:,} coded segment(s). "
               + (f"Codes created: {', '.join(created)}." if created else "No code had to be created."))
    rows = [i for i in r["items"] if i["status"] not in ("placed", "already present") or i["reason"]]
    if rows:
        frame = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
        frame["coder"] = frame["coder"].fillna("")
        st.dataframe(frame.rename(columns=SEGMENT_COLUMNS), hide_index=True, width="stretch", key="segments_problems",
                     column_config={"Why": st.column_config.TextColumn("Why", width="large"),
                                    "Row": st.column_config.NumberColumn("Row", width="small")})
    for w in r.get("warnings") or []:
        st.caption(f"Note: {w}")


tab_in, tab_out, tab_segments = st.tabs(["Import a REFI-QDA project", "Export the project",
                                         "MAXQDA coded segments"])

with tab_in:
    if state.can("project"):
        with st.form("qdpx_import_form", clear_on_submit=True):
            upload = st.file_uploader("REFI-QDA project (.qdpx)", type=["qdpx"], key="qdpx_upload")
            convention = st.selectbox("How the file counts character positions", ["auto", *exchange.CONVENTIONS],
                                      format_func=lambda c: CONVENTION_LABELS.get(c, c), key="qdpx_convention",
                                      help="Detected from the selections' own text unless you choose. NVivo and "
                                           "ATLAS.ti count UTF-16 units, QualCoder counts characters.")
            go = st.form_submit_button("Import", type="primary")
        if go and upload is not None:
            with st.spinner(f"Importing {upload.name}…"):
                report = state.write(_import_qdpx, upload.getvalue(), convention, state.coder())
            if report is not None:
                st.session_state[QDPX_KEY] = {**report, "file": upload.name}
        elif go:
            st.error("Choose a .qdpx file first.")
    else:
        st.info("Importing a project changes its documents and codebook: it needs the owner role.")
    if st.session_state.get(QDPX_KEY):
        show_qdpx_report(st.session_state[QDPX_KEY])
        if st.button("Close the report", key="qdpx_close"):
            st.session_state.pop(QDPX_KEY, None)
            st.rerun()

with tab_out:
    st.caption("The whole project — documents, codebook, codings with their coders, memos, cases and variables — as "
               "one .qdpx file. Positions are counted in Unicode characters over each document's text.")
    if st.button("Prepare the .qdpx file", key="qdpx_prepare", icon=":material/package_2:"):
        made = state.write(exchange.qdpx_bytes)
        if made is not None:
            data, report = made
            st.session_state[EXPORT_KEY] = {"data": data, "report": report}
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared:
        r = prepared["report"]
        if r.get("checked") == "structure":
            st.warning(r["note"])
        else:
            st.success(f"Valid against the REFI-QDA Project schema ({Path(r['schema']).name}).")
        st.caption(f"{r['sources']:,} source(s), {r['codes']:,} code(s), {r['codings']:,} coding(s) in "
                   f"{r['selections']:,} selection(s), {r['notes']:,} memo(s), {r['cases']:,} case(s), "
                   f"{r['variables']:,} variable(s)."
                   + (f" {r['codings_not_exported']:,} unanchored coding(s) have no place in the text and were "
                      "left out." if r.get("codings_not_exported") else ""))
        stem = Path(state.project_label().rpartition("/")[2]).stem or "project"
        st.download_button("Download the .qdpx", prepared["data"], file_name=f"{stem}.qdpx",
                           mime="application/zip", key="qdpx_download", icon=":material/download:")

with tab_segments:
    st.caption("MAXQDA › Reports › Export › Coded segments (.xlsx or .csv). Each segment is placed on the imported "
               "document of the same name by its exact text (within its paragraphs Begin–End when given); codes are "
               "created along their paths (levels separated by a backslash). Import the documents first.")
    if state.can("project"):
        with st.form("segments_form", clear_on_submit=True):
            table = st.file_uploader("Coded segments table", type=["xlsx", "csv"], key="segments_upload")
            go_segments = st.form_submit_button("Import coded segments", type="primary")
        if go_segments and table is not None:
            report = state.write(import_coded_segments, table.getvalue(), table.name, coder=state.coder())
            if report is not None:
                st.session_state[SEGMENTS_KEY] = report
        elif go_segments:
            st.error("Choose the coded-segments table first.")
    else:
        st.info("Importing coded segments may add codes to the codebook: it needs the owner role.")
    if st.session_state.get(SEGMENTS_KEY):
        show_segments_report(st.session_state[SEGMENTS_KEY])
        if st.button("Close the report", key="segments_close"):
            st.session_state.pop(SEGMENTS_KEY, None)
            st.rerun()
