"""Tandem workbench: `python -m streamlit run workbench.py`.

Opens the project named by TANDEM_PROJECT, or the embedded demo project (built on first
start into the user data folder, in the background while ui/first_start.py shows its progress).
Pages live in ui/ and call the library.

Team mode (TANDEM_TEAM=1, or the project's own setting): until someone logs in, the
navigation holds only the login page and nothing else runs (no sidebar, no project data);
after a login the pages are those the user's role may use (viewers get no Code or
Suggestions page, owners also get Users), and every session is guarded by the role
(ui/state.py).
"""

import streamlit as st

import applog
import store
import team
from applog.errors import TandemError
from i18n import _, pgettext
from ui import language, sidebar, state, uploader_words

st.set_page_config(page_title=_("Tandem"), page_icon=":material/join_inner:", layout="wide")
language.apply()  # this rerun's interface language (sidebar switch, remembered; browser default)
uploader_words.uploader_words()  # Streamlit's own file-uploader words in that language
applog.ensure_setup(applog.verbose_from_env())  # the log file in the user data folder (TANDEM_VERBOSE: also stderr)

PAGES = {
    _("Project"): [
        st.Page("ui/project.py", title=_("Project"), icon=":material/folder_open:", default=True),
        st.Page("ui/exchange.py", title=_("Exchange"), icon=":material/swap_horiz:"),
    ],
    _("Qualitative"): [
        st.Page("ui/documents.py", title=_("Documents"), icon=":material/description:"),
        st.Page("ui/attributes.py", title=_("Attributes"), icon=":material/table_chart:"),
        st.Page("ui/code.py", title=pgettext("page", "Code"), icon=":material/ink_highlighter:"),
        st.Page("ui/codebook.py", title=_("Codebook"), icon=":material/account_tree:"),
        st.Page("ui/retrieve.py", title=_("Retrieve"), icon=":material/format_quote:"),
        st.Page("ui/search.py", title=_("Search"), icon=":material/search:"),
        st.Page("ui/semantic.py", title=_("Semantic search"), icon=":material/manage_search:"),
        st.Page("ui/frequencies.py", title=_("Word frequencies"), icon=":material/bar_chart:"),
        st.Page("ui/suggestions.py", title=_("Suggestions"), icon=":material/auto_fix_high:"),
        st.Page("ui/matrices.py", title=_("Matrices"), icon=":material/grid_on:"),
        st.Page("ui/memos.py", title=_("Memos"), icon=":material/sticky_note_2:"),
        st.Page("ui/agreement.py", title=_("Agreement"), icon=":material/compare_arrows:"),
    ],
    _("Quantitative"): [
        st.Page("ui/cities.py", title=_("Cities & dyads"), icon=":material/hub:"),
        st.Page("ui/models.py", title=_("Models"), icon=":material/functions:"),
        st.Page("ui/runs.py", title=_("Runs"), icon=":material/inventory_2:"),
        st.Page("ui/map.py", title=_("Map"), icon=":material/map:"),
        st.Page("ui/network.py", title=_("Network"), icon=":material/share:"),
    ],
    _("Mixed methods"): [
        st.Page("ui/joint.py", title=_("Joint display"), icon=":material/join_inner:"),
        st.Page("ui/cases.py", title=_("Cases"), icon=":material/person_search:"),
        st.Page("ui/worklist.py", title=_("Worklist"), icon=":material/checklist:"),
        st.Page("ui/report.py", title=_("Report"), icon=":material/article:"),
    ],
}
CODING_ONLY = {"code", "suggestions"}  # url paths of pages that exist to change codings


def _team_pages() -> dict:
    """The navigation of the logged-in user: no coding pages without the right to code; Users for owners."""
    pages = {section: [p for p in items if state.can("code") or p.url_path not in CODING_ONLY]
             for section, items in PAGES.items()}
    if state.can("manage_users"):
        pages[_("Team")] = [st.Page("ui/users.py", title=_("Users"), icon=":material/group:")]
    return pages


if state.demo_pending():  # first start on this computer: a first page at once, the demo builds behind it
    from ui import first_start

    first_start.render_waiting()
    st.stop()

try:
    auth = state.refresh_auth()
except team.TeamError as exc:  # a bad TANDEM_TEAM, or team mode without TANDEM_PROJECT
    st.error(str(exc))
    st.stop()
except Exception as exc:  # the team's project cannot be read: the reason goes to the server's log only
    applog.log_unexpected(exc, "workbench")
    st.error(_("The team's project cannot be opened now; the server's log says why."))
    st.stop()

if auth["team"] and auth["role"] is None:
    st.navigation([st.Page("ui/login.py", title=_("Log in"), icon=":material/login:", default=True)],
                  position="hidden").run()
    st.stop()

if auth["error"]:  # single-user, unreadable project: only the Project page (the sidebar says why), to open another
    page = st.navigation([PAGES[_("Project")][0]], position="hidden")
else:
    page = st.navigation(_team_pages() if auth["team"] else PAGES, expanded=True)
try:
    sidebar.render()
except TandemError as exc:  # e.g. a project that cannot be opened: one sentence, and the page still runs
    st.error(store.mask_secrets(str(exc)))  # (the Project page, to open another project)
except Exception as exc:
    state.unexpected(exc)
try:
    page.run()
except TandemError as exc:  # a refusal that reached the page (e.g. through state.read): its one sentence, no log
    st.error(store.mask_secrets(str(exc)))
except Exception as exc:  # one sentence on the page; the traceback goes to the log file (applog)
    state.unexpected(exc)
