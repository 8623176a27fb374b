"""Report page: draft the mixed-methods report once and download it as Markdown, HTML or Word."""
import streamlit as st

from mixed.themes import GROUPINGS
from report.draft import MIME_TYPES, build_context, render_context
from ui import fits, state

GROUPING_NAMES = {"case_type": "typical vs deviant (|r| > c)", "outcome": "observed outcome",
                  "tercile": "terciles of the fitted value"}

st.title("Report")
st.caption("A draft: data and methods, a results table per dimension, the joint displays (side-by-side, "
           "statistics by themes, case comparison) with your meta-inferences, and the selected cases with "
           "quotes cited as document and paragraph.")

dims = st.multiselect("Dimensions", ["breadth", "connection", "degree"], default=["breadth", "connection", "degree"])
left, right = st.columns([3, 2])
grouping = left.radio("Statistics-by-themes groups", GROUPINGS, format_func=GROUPING_NAMES.get, horizontal=True,
                      key="report_grouping")
colour = right.toggle("Colour rows by meta-inference", value=True, key="report_colour",
                      help="HTML and Word: confirmation green, expansion blue, discordance red.")
if st.button("Draft the report", type="primary") or "report_md" in st.session_state:
    results = {}
    for d in dims:
        r = fits.current(d)
        if r is not None:
            results[d] = r
    context = state.attempt(state.read, build_context, results, themes_grouping=grouping, colour_rows=colour)
    files = {}
    if context:
        for fmt in ("md", "html", "docx"):
            out = state.attempt(render_context, context, fmt)
            if out is not None:
                files[fmt] = out
    if "md" in files:
        st.session_state["report_md"] = True
        columns = st.columns(3)
        names = {"md": "Markdown", "html": "HTML", "docx": "Word (DOCX)"}
        for col, fmt in zip(columns, ("md", "html", "docx")):
            if fmt in files:
                col.download_button(f"Download {names[fmt]}", files[fmt], file_name=f"tandem-report.{fmt}",
                                    mime=MIME_TYPES[fmt], key=f"report_download_{fmt}")
        with st.container(border=True):
            st.markdown(files["md"])
