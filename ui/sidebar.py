"""The sidebar shown on every page: open project, coder name."""
from __future__ import annotations

import streamlit as st

from ui import state


def render() -> None:
    with st.sidebar:
        try:
            label = state.project_label()
        except Exception as exc:  # a broken project file must not break every page
            st.error(f"Cannot open the project: {exc}")
            return
        st.caption("Project")
        st.markdown(f"**{label}**")
        st.text_input("Coder", key=state.CODER_KEY, placeholder="researcher",
                      help="Your name or initials; stored with every coding and change.")
