"""The runs page (being built)."""
import streamlit as st

from ui import state

state.page_header("Runs") if hasattr(state, "page_header") else st.title("Runs")
st.info("This page is being built.")
