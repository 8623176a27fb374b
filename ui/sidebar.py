"""The sidebar shown on every page: open project, who is coding (or who is logged in), undo/redo."""
from __future__ import annotations

import streamlit as st

import coding
from ui import state

WHOSE_KEY = "tandem_undo_whose"


def _whose() -> str | None:
    """Whose changes Undo/Redo act on: one's own; an owner in team mode may pick another user."""
    if not (state.team_mode() and state.can("undo_others")):
        return None
    import team

    me = state.coder()
    names = [u["name"] for u in state.read(team.list_users)]
    options = [me] + [n for n in names if n != me]
    chosen = st.selectbox("Undo and redo changes of", options, key=WHOSE_KEY,
                          help="As an owner you may undo another person's latest change; the history "
                               "records that you did.")
    return None if chosen == me else chosen


def _undo_redo() -> None:
    message = st.session_state.pop("_history_toast", None)
    if message:  # shown after the rerun that redraws the page without the undone change
        st.toast(message)
    if state.team_mode() and not state.can("code"):
        return  # a viewer makes no changes, so has none to undo
    whose = _whose()
    who = whose or state.coder()
    top = state.attempt(state.read, coding.peek, who)
    if not top:
        return
    c1, c2 = st.columns(2)
    undo_help = top["undo"]["summary"] if top.get("undo") else "Nothing to undo"
    redo_help = top["redo"]["summary"] if top.get("redo") else "Nothing to redo"
    if c1.button("Undo", icon=":material/undo:", disabled=not top.get("undo"), help=undo_help, width="stretch"):
        done = state.undo(whose)
        if done:
            st.session_state["_history_toast"] = f"Undone: {done['summary']}"
            st.rerun()
    if c2.button("Redo", icon=":material/redo:", disabled=not top.get("redo"), help=redo_help, width="stretch"):
        done = state.redo(whose)
        if done:
            st.session_state["_history_toast"] = f"Redone: {done['summary']}"
            st.rerun()


def _who() -> None:
    """Single-user: the free-text coder box. Team mode: the logged-in user, their role, Log out."""
    person = state.user()
    if person is None:
        st.text_input("Coder", key=state.CODER_KEY, placeholder="researcher",
                      help="Your name or initials; stored with every coding and change. Undo and redo act on "
                           "your own changes only, across pages and restarts.")
        return
    st.caption("Logged in as")
    st.text(f"{person['name']} ({person['role']})")  # st.text: a name is shown as typed, never as Markdown
    if st.button("Log out", icon=":material/logout:", width="stretch"):
        state.logout()
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
        _who()
        _undo_redo()
        with st.expander("History"):
            log = state.attempt(state.read, coding.history, None, 50)
            if log is not None and len(log):
                st.dataframe(log[["ts", "coder", "summary", "state"]], hide_index=True, width="stretch")
            else:
                st.caption("No changes yet.")
