"""Tandem workbench: `python -m streamlit run workbench.py`.

Opens the project named by TANDEM_PROJECT, or the embedded demo project (built on first
start into the user data folder). Pages live in ui/ and call the library.
"""
import streamlit as st

from ui import sidebar

st.set_page_config(page_title="Tandem", page_icon=":material/join_inner:", layout="wide")

PAGES = {
    "Project": [
        st.Page("ui/project.py", title="Project", icon=":material/folder_open:", default=True),
    ],
    "Qualitative": [
        st.Page("ui/documents.py", title="Documents", icon=":material/description:"),
        st.Page("ui/code.py", title="Code", icon=":material/ink_highlighter:"),
        st.Page("ui/codebook.py", title="Codebook", icon=":material/account_tree:"),
        st.Page("ui/retrieve.py", title="Retrieve", icon=":material/format_quote:"),
        st.Page("ui/search.py", title="Search", icon=":material/search:"),
        st.Page("ui/suggestions.py", title="Suggestions", icon=":material/auto_fix_high:"),
        st.Page("ui/matrices.py", title="Matrices", icon=":material/grid_on:"),
        st.Page("ui/memos.py", title="Memos", icon=":material/sticky_note_2:"),
    ],
    "Quantitative": [
        st.Page("ui/cities.py", title="Cities & dyads", icon=":material/hub:"),
        st.Page("ui/models.py", title="Models", icon=":material/functions:"),
    ],
    "Mixed methods": [
        st.Page("ui/joint.py", title="Joint display", icon=":material/join_inner:"),
        st.Page("ui/cases.py", title="Cases", icon=":material/person_search:"),
        st.Page("ui/report.py", title="Report", icon=":material/article:"),
    ],
}

page = st.navigation(PAGES, expanded=True)
sidebar.render()
page.run()
