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
from i18n import N_, _
from ui import state

st.title(_("Exchange"))
st.caption(_("Move coded work between Tandem and other tools: REFI-QDA projects (.qdpx: NVivo, ATLAS.ti, MAXQDA, "
             "QualCoder) in and out, and MAXQDA's coded-segments table in."))

CONVENTION_LABELS = {
    "auto": N_("Detect from the selections (recommended)"),
    "codepoints": N_("Unicode characters (QualCoder)"),
    "utf16": N_("UTF-16 units (NVivo, ATLAS.ti)"),
    "utf16_crlf": N_("UTF-16 units, a Windows line break counted as two"),
    "codepoints_crlf": N_("Unicode characters, a Windows line break counted as two"),
}
CONVENTIONS = ["auto", *exchange.CONVENTIONS]
QDPX_KEY, EXPORT_KEY, SEGMENTS_KEY = "exchange_qdpx_report", "exchange_export", "exchange_segments_report"
SEGMENT_COLUMNS = {"row": N_("Row"), "status": N_("Status"), "document": N_("Document"), "code": N_("Code"),
                   "text": N_("Text (first 30 characters)"), "coder": N_("Coder"), "reason": N_("Why")}
#: The import report's columns (as ``exchange.report_table`` names them) and statuses, as shown.
QDPX_COLUMNS = {"Status": N_("Status"), "Source": N_("Source"), "Code": N_("Code"), "Coder": N_("Coder"),
                "Text": N_("Text"), "Start in the file": N_("Start in the file"),
                "End in the file": N_("End in the file"), "Start (characters)": N_("Start (characters)"),
                "End (characters)": N_("End (characters)"), "Why": N_("Why")}
QDPX_STATUS = {"placed": N_("placed"), "moved": N_("moved"), "not placed": N_("not placed"),
               "already present": N_("already present")}
#: Elements of a .qdpx file Tandem does not bring in (the importer's counted names), as shown.
SKIPPED_LABELS = {
    "picture sources": N_("picture sources"), "picture selections": N_("picture selections"),
    "codings of picture selections": N_("codings of picture selections"),
    "whole-source codings of picture sources": N_("whole-source codings of picture sources"),
    "audio sources": N_("audio sources"), "audio selections": N_("audio selections"),
    "codings of audio selections": N_("codings of audio selections"),
    "whole-source codings of audio sources": N_("whole-source codings of audio sources"),
    "video sources": N_("video sources"), "video selections": N_("video selections"),
    "codings of video selections": N_("codings of video selections"),
    "whole-source codings of video sources": N_("whole-source codings of video sources"),
    "transcripts": N_("transcripts"), "transcript selections": N_("transcript selections"),
    "codings of transcript selections": N_("codings of transcript selections"),
    "selections inside notes": N_("selections inside notes"), "links without both ends": N_("links without both ends"),
    "graphs": N_("graphs"), "code references of cases": N_("code references of cases"),
}
SEGMENT_STATUS = {"placed": N_("placed"), "already present": N_("already present"), "ambiguous": N_("ambiguous"),
                  "not found": N_("not found"), "refused": N_("refused")}


def _import_qdpx(session, data: bytes, convention: str, coder: str) -> dict:
    from quant.data.project import city_resolver
    from quant.errors import QuantError

    try:
        resolve = city_resolver(session).resolve
    except QuantError:  # no cities yet: cases stay document cases
        resolve = None
    report = exchange.import_qdpx(session, data, convention=convention, coder=coder, resolve_city=resolve)
    return {k: v for k, v in report.items() if not k.startswith("_")}


def show_qdpx_report(r: dict) -> None:
    """The import report: totals as metrics, the convention and why, codings moved or not placed,
    sources not imported and every element not brought in, counted."""
    c = r["codings"]
    st.success(_("{file}: {imported} source(s) imported, {merged} merged; {created} code(s) created, "
                 "{matched} matched.").format(file=r["file"], imported=f"{r['sources']['imported']:,}",
                                              merged=f"{r['sources']['merged']:,}",
                                              created=f"{r['codes']['created']:,}",
                                              matched=f"{r['codes']['matched']:,}"))
    cols = st.columns(4)
    for col, (label, n) in zip(cols, [(N_("Placed exactly"), c["placed"]), (N_("Moved to their text"), c["moved"]),
                                      (N_("Not placed (kept)"), c["not_placed"]),
                                      (N_("Already in the project"), c["duplicates"])]):
        col.metric(_(label), f"{n:,}")
    st.caption(_("Offsets: {reason}. Codings of text in the file: {in_file}. Memos: {memos}; cases: {cases}; "
                 "variables: {variables}; users: {users}; sets: {sets}.").format(
        reason=r["convention"].get("reason", ""), in_file=f"{c['in_file']:,}", memos=f"{r['memos']:,}",
        cases=f"{r['cases']:,}", variables=f"{r['variables']:,}", users=f"{r['users']:,}", sets=f"{r['sets']:,}"))
    problems = exchange.report_table(r, only_problems=True)
    if not problems.empty:
        st.warning(_("{n} coding(s) were not placed exactly; each is listed with the reason.").format(
            n=f"{len(problems):,}"))
        for status in {"Status", _("Status")} & set(problems.columns):  # the library names it in the reader's language
            problems[status] = [_(QDPX_STATUS[v]) if v in QDPX_STATUS else v for v in problems[status]]
        problems = problems.rename(columns=lambda c: _(QDPX_COLUMNS[c]) if c in QDPX_COLUMNS else c)
        st.dataframe(problems, hide_index=True, width="stretch", key="qdpx_problems")
    missing = r["sources"].get("missing") or []
    if missing:
        st.warning(_("Sources not imported: {sources}").format(
            sources="; ".join(f"{m['source']} ({m['reason']})" for m in missing)))
    if r["skipped"]:
        skipped = {(_(SKIPPED_LABELS[what]) if what in SKIPPED_LABELS else what): n for what, n in r["skipped"].items()}
        st.info(_("Not brought in (counted): {elements}.").format(
            elements="; ".join(_("{n} {element}").format(n=f"{n:,}", element=what) for what, n in skipped.items())))
        st.dataframe(pd.DataFrame({_("Element"): list(skipped), _("Count"): list(skipped.values())}),
                     hide_index=True, key="qdpx_skipped")
    else:
        st.caption(_("Every element of the file was brought in."))
    for w in r.get("warnings") or []:
        st.caption(_("Note: {note}").format(note=w))


def show_segments_report(r: dict) -> None:
    """The coded-segments report: totals, codes created, and every row not placed, with why."""
    cols = st.columns(5)
    for col, (label, key) in zip(cols, [(N_("Placed"), "placed"), (N_("Already present"), "already_present"),
                                        (N_("Ambiguous"), "ambiguous"), (N_("Not found"), "not_found"),
                                        (N_("Refused"), "refused")]):
        col.metric(_(label), f"{r[key]:,}")
    created = r["codes_created"]
    st.caption((_("{file}: {rows} coded segment(s). Codes created: {codes}.") if created
                else _("{file}: {rows} coded segment(s). No code had to be created.")).format(
        file=r["file"], rows=f"{r['rows']:,}", codes=", ".join(created)))
    rows = [i for i in r["items"] if i["status"] not in ("placed", "already present") or i["reason"]]
    if rows:
        frame = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
        frame["coder"] = frame["coder"].fillna("")
        frame["status"] = [_(SEGMENT_STATUS[v]) if v in SEGMENT_STATUS else v for v in frame["status"]]
        names = {c: _(label) for c, label in SEGMENT_COLUMNS.items()}
        st.dataframe(frame.rename(columns=names), hide_index=True, width="stretch", key="segments_problems",
                     column_config={names["reason"]: st.column_config.TextColumn(names["reason"], width="large"),
                                    names["row"]: st.column_config.NumberColumn(names["row"], width="small")})
    for w in r.get("warnings") or []:
        st.caption(_("Note: {note}").format(note=w))


tab_in, tab_out, tab_segments = st.tabs([_("Import a REFI-QDA project"), _("Export the project"),
                                         _("MAXQDA coded segments")])

with tab_in:
    if state.can("project"):
        with st.form(key="qdpx_import_form", clear_on_submit=True):
            upload = st.file_uploader(_("REFI-QDA project (.qdpx)"), type=["qdpx"], key="qdpx_upload")
            convention = st.selectbox(_("How the file counts character positions"), CONVENTIONS,
                                      format_func=lambda c: _(CONVENTION_LABELS[c]) if c in CONVENTION_LABELS else c,
                                      key="qdpx_convention",
                                      help=_("Detected from the selections' own text unless you choose. NVivo and "
                                             "ATLAS.ti count UTF-16 units, QualCoder counts characters."))
            go = st.form_submit_button(_("Import"), type="primary")
        if go and upload is not None:
            with st.spinner(_("Importing {file}…").format(file=upload.name)):
                report = state.write(_import_qdpx, upload.getvalue(), convention, state.coder())
            if report is not None:
                st.session_state[QDPX_KEY] = {**report, "file": upload.name}
        elif go:
            st.error(_("Choose a .qdpx file first."))
    else:
        st.info(_("Importing a project changes its documents and codebook: it needs the owner role."))
    if st.session_state.get(QDPX_KEY):
        show_qdpx_report(st.session_state[QDPX_KEY])
        if st.button(_("Close the report"), key="qdpx_close"):
            st.session_state.pop(QDPX_KEY, None)
            st.rerun()

with tab_out:
    st.caption(_("The whole project — documents, codebook, codings with their coders, memos, cases and variables — "
                 "as one .qdpx file. Positions are counted in Unicode characters over each document's text."))
    if st.button(_("Prepare the .qdpx file"), key="qdpx_prepare", icon=":material/package_2:"):
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
            st.success(_("Valid against the REFI-QDA Project schema ({schema}).").format(schema=Path(r["schema"]).name))
        counts = {k: f"{r[k]:,}" for k in ("sources", "codes", "codings", "selections", "notes", "cases", "variables")}
        contents = _("{sources} source(s), {codes} code(s), {codings} coding(s) in {selections} selection(s), "
                     "{notes} memo(s), {cases} case(s), {variables} variable(s).").format(**counts)
        if r.get("codings_not_exported"):
            contents += " " + _("{n} unanchored coding(s) have no place in the text and were left out.").format(
                n=f"{r['codings_not_exported']:,}")
        st.caption(contents)
        stem = Path(state.project_label().rpartition("/")[2]).stem or "project"
        st.download_button(_("Download the .qdpx"), prepared["data"], file_name=f"{stem}.qdpx",
                           mime="application/zip", key="qdpx_download", icon=":material/download:")

with tab_segments:
    st.caption(_("MAXQDA › Reports › Export › Coded segments (.xlsx or .csv). Each segment is placed on the imported "
                 "document of the same name by its exact text (within its paragraphs Begin–End when given); codes "
                 "are created along their paths (levels separated by a backslash). Import the documents first."))
    if state.can("project"):
        with st.form(key="segments_form", clear_on_submit=True):
            table = st.file_uploader(_("Coded segments table"), type=["xlsx", "csv"], key="segments_upload")
            go_segments = st.form_submit_button(_("Import coded segments"), type="primary")
        if go_segments and table is not None:
            report = state.write(import_coded_segments, table.getvalue(), table.name, coder=state.coder())
            if report is not None:
                st.session_state[SEGMENTS_KEY] = report
        elif go_segments:
            st.error(_("Choose the coded-segments table first."))
    else:
        st.info(_("Importing coded segments may add codes to the codebook: it needs the owner role."))
    if st.session_state.get(SEGMENTS_KEY):
        show_segments_report(st.session_state[SEGMENTS_KEY])
        if st.button(_("Close the report"), key="segments_close"):
            st.session_state.pop(SEGMENTS_KEY, None)
            st.rerun()
