"""The map page (being built)."""
import streamlit as st

from ui import state

state.page_header("Map") if hasattr(state, "page_header") else st.title("Map")
st.info("This page is being built.")
