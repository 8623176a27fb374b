"""Memos page: memos on the project, documents, codes, codings, cities and dyads; list and
search them; add, edit and delete."""
import streamlit as st

import coding
from i18n import N_, _
from coding.memos import memo_target_labels
from quant.data import project as qdata
from ui import state

st.title(_("Memos"))

if flash := st.session_state.pop("memo_flash", None):
    st.success(flash)


def _done(message: str) -> None:
    st.session_state["memo_flash"] = message
    st.rerun()


TYPES = {"project": N_("Project"), "document": N_("Document"), "code": N_("Code"), "coding": N_("Coding"),
         "city": N_("City"), "dyad": N_("Pair of cities")}
docs = state.read(coding.documents)
doc_names = dict(zip(docs["id"], docs["name"]))
book = state.read(coding.codebook)
paths = dict(zip(book["id"], book["path"]))
cities = state.read(qdata.city_frame)
city_names = {c: str(n) for c, n in zip(cities["code"], cities["name"])} if not cities.empty else {}

c1, c2 = st.columns([1, 2])
type_filter = c1.selectbox(_("About"), [None, *TYPES], key="memo_filter_type",
                           format_func=lambda t: _("everything") if t is None else _(TYPES[t]))
needle = c2.text_input(_("Search titles and texts"), key="memo_search", placeholder=_("e.g. 通办 or trust"))
memos = state.attempt(state.read, coding.list_memos, type_filter, None, needle.strip() or None)
if memos is None:
    st.stop()
memos = memos.assign(about=state.read(memo_target_labels, memos))

if st.session_state.pop("memo_show_list", False):  # after adding a memo, show it in the list
    st.session_state["memo_tab"] = _("Memos")  # the tab's state is its (translated) label
tab_list, tab_add = st.tabs([_("Memos"), _("Add a memo")], key="memo_tab", on_change="rerun")

with tab_list:
    filtered = bool(needle or type_filter)
    st.caption((_("{n} memo(s) match.") if filtered else _("{n} memo(s).")).format(n=len(memos)))
    if memos.empty:
        st.info(_("No memo matches.") if filtered else _("No memos yet: add one on the next tab."))
    else:
        event = st.dataframe(
            memos[["id", "about", "title", "text", "author", "updated"]], hide_index=True, width="stretch",
            on_select="rerun", selection_mode="single-row", key="memo_table",
            column_config={"id": st.column_config.NumberColumn(_("Memo"), width=50),
                           "about": st.column_config.TextColumn(_("About"), width=190),
                           "title": st.column_config.TextColumn(_("Title"), width=190),
                           "text": st.column_config.TextColumn(_("Text"), width=290),
                           "author": st.column_config.TextColumn(_("By"), width=70),
                           "updated": st.column_config.DatetimeColumn(_("Updated"), format="YYYY-MM-DD HH:mm",
                                                                      width=120)},
        )
        rows = list(event.selection.rows) if event and event.selection else []
        if not rows:
            st.caption(_("Select a memo to read, edit or delete it."))
        else:
            memo = memos.iloc[rows[0]]
            memo_id = int(memo["id"])
            with st.container(border=True):
                st.markdown("**{}**".format(_("Memo {id}").format(id=memo_id)))
                st.text(memo["about"])
                st.caption(_("by {author} · written {created} · last changed {updated}").format(
                    author=memo["author"], created=f"{memo['created']:%Y-%m-%d %H:%M}",
                    updated=f"{memo['updated']:%Y-%m-%d %H:%M}"))
                with st.form(key=f"memo_edit_{memo_id}"):
                    title = st.text_input(_("Title"), memo["title"], key=f"memo_edit_title_{memo_id}")
                    text = st.text_area(_("Text"), memo["text"], height=200, key=f"memo_edit_text_{memo_id}")
                    if st.form_submit_button(_("Save changes"), type="primary", key=f"memo_edit_save_{memo_id}"):
                        if state.write(coding.update_memo, memo_id, text=text, title=title,
                                       coder=state.coder()) is not None:
                            _done(_("Memo {id} saved.").format(id=memo_id))
                if st.button(_("Delete this memo"), key=f"memo_delete_{memo_id}", icon=":material/delete:"):
                    if state.write(coding.delete_memo, memo_id, coder=state.coder()) is not None:
                        st.session_state.pop("memo_table", None)
                        _done(_("Memo {id} deleted (Undo in the sidebar brings it back).").format(id=memo_id))

with tab_add:
    if not state.can("memo"):
        st.caption(_("Your role ({role}) may read memos; writing them is for coders and owners.").format(
            role=_(state.role_label())))  # owner/coder/viewer: marked on the Users page
        st.stop()
    kind = st.selectbox(_("About"), list(TYPES), format_func=lambda t: _(TYPES[t]), key="memo_new_type")
    target = None
    if kind == "document":
        target = st.selectbox(_("Document"), list(doc_names), format_func=doc_names.get, key="memo_new_doc")
    elif kind == "code":
        target = st.selectbox(_("Code"), list(paths), format_func=paths.get, key="memo_new_code")
    elif kind == "coding":
        target = int(st.number_input(_("Coding id"), 1, None, 1, key="memo_new_coding",
                                     help=_("Shown on the Retrieve and Code pages. You can also write a memo on a "
                                            "passage straight from the Retrieve page.")))
        found = state.read(coding.retrieve, coding_ids=[target])
        if found.empty:
            st.caption(_("There is no coding {id}: find its number on the Retrieve or Code page, or write the "
                         "memo from the passage on the Retrieve page.").format(id=target))
        else:
            st.caption(_("{code} in {document}:").format(code=found["code"].iloc[0],
                                                          document=found["document"].iloc[0]))
            st.text(found["quote"].iloc[0])
    elif kind == "city":
        target = st.selectbox(_("City"), list(city_names), format_func=city_names.get, key="memo_new_city")
    elif kind == "dyad":
        c1, c2 = st.columns(2)
        a = c1.selectbox(_("First city"), list(city_names), format_func=city_names.get, key="memo_new_city_a")
        b = c2.selectbox(_("Second city"), list(city_names), format_func=city_names.get, key="memo_new_city_b",
                         index=min(1, len(city_names) - 1))
        target = (a, b)
    with st.form(key="memo_new_form", clear_on_submit=True):
        title = st.text_input(_("Title"), key="memo_new_title")
        text = st.text_area(_("Text"), height=200, key="memo_new_text")
        if st.form_submit_button(_("Add memo"), type="primary", key="memo_new_go"):
            if kind != "project" and target is None:
                st.error(_("Choose the {what} this memo is about, above the form.").format(what=_(TYPES[kind]).lower()))
            elif state.write(coding.add_memo, kind, target, text, title=title, author=state.coder()) is not None:
                st.session_state["memo_show_list"] = True
                _done(_("Memo added on {what}.").format(what=_(TYPES[kind]).lower()))
