"""Report page: choose the saved runs, choose a format, draft and download. Nothing is refitted:
the draft reads the runs (report.draft), and a run whose data changed is flagged in it."""
import streamlit as st

from mixed.themes import GROUPINGS
from report.draft import MIME_TYPES, build_context, render_context
from report.options import ReportOptions
from ui import state
from ui.run_picker import pick_runs

FORMATS = {"html": "HTML", "docx": "Word (DOCX)", "md": "Markdown"}
GROUPING_NAMES = {"case_type": "typical vs deviant (|r| > c)", "outcome": "observed outcome",
                  "tercile": "terciles of the fitted value"}

st.title("Report")
st.caption("A draft from saved runs: each run named with its data fingerprint and date, the decoupling table "
           "of the three dimensions, per run the results table, the joint displays with your meta-inferences "
           "and the codes mapped to the dimension, the selected cases and the fieldwork worklist with quotes "
           "cited as document and paragraph. Nothing is refitted.")

chosen = pick_runs("report_runs")
left, mid, right = st.columns([2, 3, 2])
fmt = left.radio("Format", list(FORMATS), format_func=FORMATS.get, key="report_format")
grouping = mid.radio("Statistics-by-themes groups", GROUPINGS, format_func=GROUPING_NAMES.get,
                     key="report_grouping")
colour = right.toggle("Colour rows by meta-inference", value=True, key="report_colour",
                      help="HTML and Word: confirmation green, expansion blue, discordance red.")
figures = right.toggle("Figures", value=True, key="report_figures",
                       help="Coefficient plot, residual plots and maps of deviant pairs; rendering takes "
                            "seconds (the maps most). Markdown carries them as embedded images.")
signature = (tuple((d, r.info.id) for d, r in chosen.items()), fmt, grouping, colour, figures, state.revision())

if st.button("Draft the report", type="primary", key="report_draft", disabled=not chosen,
             help=None if chosen else "Save a run first (Models page)."):
    options = ReportOptions(themes_grouping=grouping, colour_rows=colour, figures=figures)
    with st.spinner("Drafting from the saved runs…"):
        context = state.attempt(state.read, build_context, chosen, options=options)
        if context:
            out = state.attempt(render_context, context, fmt)
            light = {**context, "figures": {**context["figures"], "all": [], "coefficients": None},
                     "dimensions": [{**d, "figures": []} for d in context["dimensions"]]}
            preview = state.attempt(render_context, light, "md")  # the preview without images
            if out is not None:
                st.session_state["report_file"] = {"signature": signature, "fmt": fmt, "data": out,
                                                   "preview": preview or ""}

drafted = st.session_state.get("report_file")
if drafted and drafted["signature"] == signature:
    st.download_button(f"Download {FORMATS[drafted['fmt']]}", drafted["data"],
                       file_name=f"tandem-report.{drafted['fmt']}", mime=MIME_TYPES[drafted["fmt"]],
                       key="report_download", type="primary")
    with st.container(border=True):
        st.markdown(drafted["preview"])
elif drafted:
    st.info("The runs, format or settings changed since the last draft; draft again to download.")
