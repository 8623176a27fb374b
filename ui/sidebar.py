"""The sidebar shown on every page: open project, coder name, undo/redo."""
from __future__ import annotations

import streamlit as st

import coding
from ui import state


def _undo_redo() -> None:
    message = st.session_state.pop("_history_toast", None)
    if message:  # shown after the rerun that redraws the page without the undone change
        st.toast(message)
    who = state.coder()
    top = state.attempt(state.read, coding.peek, who)
    if not top:
        return
    c1, c2 = st.columns(2)
    undo_help = top["undo"]["summary"] if top.get("undo") else "Nothing to undo"
    redo_help = top["redo"]["summary"] if top.get("redo") else "Nothing to redo"
    if c1.button("Undo", icon=":material/undo:", disabled=not top.get("undo"), help=undo_help, width="stretch"):
        done = state.write(coding.undo, who)
        if done:
            st.session_state["_history_toast"] = f"Undone: {done['summary']}"
            st.rerun()
    if c2.button("Redo", icon=":material/redo:", disabled=not top.get("redo"), help=redo_help, width="stretch"):
        done = state.write(coding.redo, who)
        if done:
            st.session_state["_history_toast"] = f"Redone: {done['summary']}"
            st.rerun()


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
                      help="Your name or initials; stored with every coding and change. Undo and redo act on "
                           "your own changes only, across pages and restarts.")
        _undo_redo()
        with st.expander("History"):
            log = state.attempt(state.read, coding.history, None, 50)
            if log is not None and len(log):
                st.dataframe(log[["ts", "coder", "summary", "state"]], hide_index=True, width="stretch")
            else:
                st.caption("No changes yet.")
