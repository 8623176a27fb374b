"""The network page (being built)."""
import streamlit as st

from ui import state

state.page_header("Network") if hasattr(state, "page_header") else st.title("Network")
st.info("This page is being built.")
