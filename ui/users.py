"""Users (team mode, owners only): who may log in, with which role; add, reset, change, remove."""
import streamlit as st

import team
from i18n import N_, _
from ui import state

st.title(_("Users"))
try:
    state.require("manage_users")
except team.AccessDenied as exc:
    st.error(str(exc))
    st.stop()

#: Roles (stored values of ``team.ROLES``) -> names shown.
ROLES = {"owner": N_("owner"), "coder": N_("coder"), "viewer": N_("viewer")}


def _role(role: str) -> str:
    return _(ROLES.get(role, role))


ROLE_HELP = _("owner: manage users, the codebook and the project, undo anyone's changes; "
              "coder: code, memo, link, fit; viewer: read and export.")
if flash := st.session_state.pop("users_flash", None):
    st.success(flash)

users = state.read(team.list_users)
st.dataframe([{_("name"): u["name"], _("role"): _role(u["role"]), _("since"): u["created"]} for u in users],
             hide_index=True, width="stretch")
names = [u["name"] for u in users]
me = state.coder()


def _done(message: str) -> None:
    st.session_state["users_flash"] = message
    st.rerun()


def _same(first: str, second: str) -> bool:
    if first != second:
        st.error(_("The two passwords differ; nothing was changed."))
        return False
    return True


with st.expander(_("Add a user"), expanded=len(users) < 2):
    with st.form(key="user_add", clear_on_submit=True):
        name = st.text_input(_("Name"), help=_("What the history and every coding will show."))
        role = st.selectbox(_("Role"), team.ROLES, index=1, help=ROLE_HELP, format_func=_role)
        first = st.text_input(_("Password"), type="password", autocomplete="new-password",
                              help=_("At least 10 characters; tell it to the person in person, not by e-mail."))
        second = st.text_input(_("Repeat the password"), type="password", autocomplete="new-password")
        if st.form_submit_button(_("Add user"), type="primary") and _same(first, second):
            made = state.write(team.add_user, name, first, role)
            if made is not None:
                _done(_("Added {name} ({role}).").format(name=made["name"], role=_role(made["role"])))

with st.expander(_("Reset a password")):
    with st.form(key="user_passwd", clear_on_submit=True):
        who = st.selectbox(_("User"), names, key="users_passwd_who")
        first = st.text_input(_("New password"), type="password", autocomplete="new-password")
        second = st.text_input(_("Repeat the new password"), type="password", autocomplete="new-password")
        if st.form_submit_button(_("Set password")) and who and _same(first, second):
            if state.write(team.set_password, who, first) is not None:
                if who == me:  # one's own new password does not end one's own session
                    state.renew_stamp()
                _done(_("Changed the password of {name}.").format(name=who) if who == me else
                      _("Changed the password of {name}. Their open sessions end now.").format(name=who))

with st.expander(_("Change a role")):
    with st.form(key="user_role"):
        who = st.selectbox(_("User"), names, key="users_role_who")
        role = st.selectbox(_("New role"), team.ROLES, help=ROLE_HELP, format_func=_role)
        if st.form_submit_button(_("Change role")) and who:
            changed = state.write(team.set_role, who, role)
            if changed is not None:
                _done(_("{name} is now {role}.").format(name=changed["name"], role=_role(changed["role"])))

with st.expander(_("Remove a user")):
    with st.form(key="user_remove"):
        who = st.selectbox(_("User"), names, key="users_remove_who")
        sure = st.checkbox(_("Yes, remove this user (their codings and history keep the name)"))
        if st.form_submit_button(_("Remove user")) and who:
            if not sure:
                st.error(_("Tick the box to confirm the removal."))
            else:
                gone = state.write(team.remove_user, who)
                if gone is not None:
                    _done(_("Removed {name}. You will be logged out.").format(name=gone["name"]) if gone["name"] == me
                          else _("Removed {name}.").format(name=gone["name"]))
