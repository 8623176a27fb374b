"""Log in (team mode): the only page a browser gets before a login; it shows nothing of the project."""
import streamlit as st

from i18n import _
from applog.program import command_name
from ui import state

st.title(_("Tandem"))
st.caption(_("This workbench is shared by a team. Log in to continue."))

with st.form(key="login", clear_on_submit=True):  # the password does not stay in the session
    name = st.text_input(_("Name"), autocomplete="username", max_chars=100)
    password = st.text_input(_("Password"), type="password", autocomplete="current-password", max_chars=1024)
    submitted = st.form_submit_button(_("Log in"), type="primary")

if submitted:
    if not name.strip() or not password:
        st.error(_("Give your name and your password."))
    else:
        result = state.attempt(state.login, name, password)
        if result is not None and result.ok:
            st.rerun()
        elif result is not None:
            st.error(result.message)

st.caption(_("No account yet? The team's owner adds people on the Users page, or on the server with "
             "`{cli} users add --project P --name NAME --role coder`.").format(cli=command_name()))
