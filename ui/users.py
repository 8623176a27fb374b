"""Users (team mode, owners only): who may log in, with which role; add, reset, change, remove."""
import streamlit as st

import team
from ui import state

st.title("Users")
try:
    state.require("manage_users")
except team.AccessDenied as exc:
    st.error(str(exc))
    st.stop()

ROLE_HELP = ("owner: manage users, the codebook and the project, undo anyone's changes; "
             "coder: code, memo, link, fit; viewer: read and export.")
if flash := st.session_state.pop("users_flash", None):
    st.success(flash)

users = state.read(team.list_users)
st.dataframe([{"name": u["name"], "role": u["role"], "since": u["created"]} for u in users],
             hide_index=True, width="stretch")
names = [u["name"] for u in users]
me = state.coder()


def _done(message: str) -> None:
    st.session_state["users_flash"] = message
    st.rerun()


def _same(first: str, second: str) -> bool:
    if first != second:
        st.error("The two passwords differ; nothing was changed.")
        return False
    return True


with st.expander("Add a user", expanded=len(users) < 2):
    with st.form("user_add", clear_on_submit=True):
        name = st.text_input("Name", help="What the history and every coding will show.")
        role = st.selectbox("Role", team.ROLES, index=1, help=ROLE_HELP)
        first = st.text_input("Password", type="password", autocomplete="new-password",
                              help="At least 10 characters; tell it to the person in person, not by e-mail.")
        second = st.text_input("Repeat the password", type="password", autocomplete="new-password")
        if st.form_submit_button("Add user", type="primary") and _same(first, second):
            made = state.write(team.add_user, name, first, role)
            if made is not None:
                _done(f"Added {made['name']} ({made['role']}).")

with st.expander("Reset a password"):
    with st.form("user_passwd", clear_on_submit=True):
        who = st.selectbox("User", names, key="users_passwd_who")
        first = st.text_input("New password", type="password", autocomplete="new-password")
        second = st.text_input("Repeat the new password", type="password", autocomplete="new-password")
        if st.form_submit_button("Set password") and who and _same(first, second):
            if state.write(team.set_password, who, first) is not None:
                if who == me:  # one's own new password does not end one's own session
                    state.renew_stamp()
                _done(f"Changed the password of {who}." + ("" if who == me else " Their open sessions end now."))

with st.expander("Change a role"):
    with st.form("user_role"):
        who = st.selectbox("User", names, key="users_role_who")
        role = st.selectbox("New role", team.ROLES, help=ROLE_HELP)
        if st.form_submit_button("Change role") and who:
            changed = state.write(team.set_role, who, role)
            if changed is not None:
                _done(f"{changed['name']} is now {changed['role']}.")

with st.expander("Remove a user"):
    with st.form("user_remove"):
        who = st.selectbox("User", names, key="users_remove_who")
        sure = st.checkbox("Yes, remove this user (their codings and history keep the name)")
        if st.form_submit_button("Remove user") and who:
            if not sure:
                st.error("Tick the box to confirm the removal.")
            else:
                gone = state.write(team.remove_user, who)
                if gone is not None:
                    _done(f"Removed {gone['name']}." + (" You will be logged out." if gone["name"] == me else ""))
