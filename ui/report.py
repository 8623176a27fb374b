"""Report page: render the mixed-methods draft (Markdown, HTML) and download it."""
import streamlit as st

from report.draft import render
from ui import fits, state

st.title("Report")
st.caption("A draft: data and methods, a results table per dimension, the joint displays, and the selected "
           "cases with quotes cited as document and paragraph.")

dims = st.multiselect("Dimensions", ["breadth", "connection", "degree"], default=["breadth", "connection", "degree"])
if st.button("Draft the report", type="primary") or "report_md" in st.session_state:
    results = {}
    for d in dims:
        r = fits.current(d)
        if r is not None:
            results[d] = r
    md = state.attempt(state.read, render, results, fmt="md")
    html = state.attempt(state.read, render, results, fmt="html")
    if md and html:
        st.session_state["report_md"] = True
        c1, c2 = st.columns(2)
        c1.download_button("Download Markdown", md, file_name="tandem-report.md", mime="text/markdown")
        c2.download_button("Download HTML", html, file_name="tandem-report.html", mime="text/html")
        with st.container(border=True):
            st.markdown(md)
