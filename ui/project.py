"""Project page: what is open, its contents, and (single-user mode only) opening or creating another project."""
from pathlib import Path

import streamlit as st

from coding.blind import blind_state
from i18n import N_, _
from ui import state
from store.summary import project_overview

st.title(_("Project"))

#: The counts shown at the top: (label, key of store.summary.project_overview).
COUNTS = [(N_("Documents"), "documents"), (N_("Codings"), "codings"), (N_("Codes"), "codes"),
          (N_("Cities"), "cities"), (N_("Dyads"), "dyads")]

overview = state.attempt(state.read, project_overview)
if overview:
    st.subheader(overview["name"])
    path = state.project_path()
    # a server URL may carry a password, and a team need not see the server's folders
    st.caption(state.project_label() if state.team_mode() or "://" in path else path)
    if overview.get("simulated_outcomes"):
        st.warning(_("Simulated outcomes — {note}").format(note=overview["simulated_outcomes"]),
                   icon=":material/science:")
    cols = st.columns(5)
    for col, (label, key) in zip(cols, COUNTS):
        col.metric(_(label), f"{overview[key]:,}")
    blind_setting = state.attempt(state.read, blind_state)
    if blind_setting and blind_setting["on"]:
        st.info(_("Blind coding is on: coders see only their own codings until the owner unblinds it "
                  "(on the Agreement page)."), icon=":material/visibility_off:")
    st.markdown(_(
        "**The research loop:** import and read **Documents** → **Code** passages and link them to cities or "
        "dyads → load **Cities & dyads** → fit **Models** for breadth, connection and degree → see coefficients "
        "beside coded evidence in the **Joint display** → pick fieldwork **Cases** from residuals → draft the "
        "**Report**."
    ))

st.divider()
if state.team_mode():
    st.caption(_("This workbench is shared by a team: the server's configuration sets the project, "
                 "so it cannot be switched here."))
    st.stop()

st.subheader(_("Open or create another project"))
with st.form(key="open_project"):
    path = st.text_input(_("Project file (.sqlite or .tandem, in an existing folder) or a postgresql:// URL"),
                         placeholder=str(Path.home() / "tandem" / "my-study.sqlite"))
    submitted = st.form_submit_button(_("Open (creates an empty project if the file is new)"))
if submitted:
    if not path.strip():
        st.error(_("Give a file path or a database URL."))
    else:
        def _open():
            import coding

            state.open_project(path.strip())
            state.read(coding.ensure_default_codebook)

        if state.attempt(_open) is not None:
            st.rerun()

if st.button(_("Back to the demo project")):
    from data.demo.build import default_demo_path, ensure_demo

    building = not default_demo_path().exists()
    with st.status(_("Building the demo project: importing the interviews, segmenting them, finding places, "
                     "coding and loading the cities (first use only, about 15 s)…")
                   if building else _("Opening the demo project…"),
                   expanded=False) as status:
        path = state.attempt(ensure_demo)
        opened = path is not None and state.attempt(state.open_project, str(path)) is not None
        status.update(label=_("Demo project ready.") if opened else _("The demo project could not be opened (see above)."),
                      state="complete" if opened else "error")
    if opened:
        st.rerun()
