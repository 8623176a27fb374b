"""The "Place names" tab of the Cities & dyads page: the project's context rules for finding city
and county names in documents (``corpus.place_context``), and finding places again in documents
already imported (``corpus.mentions``)."""
from __future__ import annotations

import streamlit as st

from corpus.mentions import refind_mentions
from corpus.place_context import DEFAULT_RULES, project_rules, set_project_rules
from i18n import _
from ui import state


def render() -> None:
    """Show and edit the rules; one rule per line."""
    st.caption(_("City names are found only where the word segmenter agrees they stand as a word, and "
                 "districts and counties count for their prefecture. A rule below stops a name in a "
                 "context: {}路 (a street named after a city), {}大学 (an institution), or a plain word "
                 "(会同) that is never read as a place. {} stands for the name."))
    rules = state.attempt(state.read, project_rules) or list(DEFAULT_RULES)
    text = st.text_area(_("Rules, one per line"), "\n".join(rules), height=220, key="place_rules_text")
    c1, c2, c3 = st.columns(3)
    if c1.button(_("Save rules"), type="primary", width="stretch"):
        saved = state.write(set_project_rules, text.splitlines(),
                            success=_("Rules saved; documents imported from now on use them."))
        if saved is not None:
            st.rerun()
    if c2.button(_("Restore the default rules"), width="stretch"):
        if state.write(set_project_rules, list(DEFAULT_RULES), success=_("Default rules restored.")) is not None:
            st.session_state.pop("place_rules_text", None)
            st.rerun()
    if c3.button(_("Find places again in every document"), width="stretch",
                 help=_("Replaces the stored place mentions of every document with what the current rules and "
                        "cities find; codings and their links are not changed.")):
        out = state.write(refind_mentions)
        if out is not None:
            st.success(_("{documents:,} documents searched: {before:,} mentions before, {after:,} now "
                         "({ambiguous:,} names shared by several cities left for you to link by hand).").format(**out))
