"""The worklist page (being built)."""
import streamlit as st

from ui import state

state.page_header("Worklist") if hasattr(state, "page_header") else st.title("Worklist")
st.info("This page is being built.")
