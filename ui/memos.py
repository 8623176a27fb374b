"""Memos page: memos on the project, documents, codes, codings, cities and dyads; list and
search them; add, edit and delete."""
import streamlit as st

import coding
from coding.memos import memo_target_labels
from quant import data as qdata
from ui import state

st.title("Memos")

if flash := st.session_state.pop("memo_flash", None):
    st.success(flash)


def _done(message: str) -> None:
    st.session_state["memo_flash"] = message
    st.rerun()


TYPES = {"project": "Project", "document": "Document", "code": "Code", "coding": "Coding", "city": "City",
         "dyad": "Pair of cities"}
docs = state.read(coding.documents)
doc_names = dict(zip(docs["id"], docs["name"]))
book = state.read(coding.codebook)
paths = dict(zip(book["id"], book["path"]))
cities = state.read(qdata.city_frame)
city_names = {c: str(n) for c, n in zip(cities["code"], cities["name"])} if not cities.empty else {}

c1, c2 = st.columns([1, 2])
type_filter = c1.selectbox("About", [None, *TYPES], key="memo_filter_type",
                           format_func=lambda t: "everything" if t is None else TYPES[t])
needle = c2.text_input("Search titles and texts", key="memo_search", placeholder="e.g. 通办 or trust")
memos = state.attempt(state.read, coding.list_memos, type_filter, None, needle.strip() or None)
if memos is None:
    st.stop()
memos = memos.assign(about=state.read(memo_target_labels, memos))

if st.session_state.pop("memo_show_list", False):  # after adding a memo, show it in the list
    st.session_state["memo_tab"] = "Memos"
tab_list, tab_add = st.tabs(["Memos", "Add a memo"], key="memo_tab", on_change="rerun")

with tab_list:
    st.caption(f"{len(memos)} memo(s)" + (" match." if needle or type_filter else "."))
    if memos.empty:
        st.info("No memo matches." if needle or type_filter else "No memos yet: add one on the next tab.")
    else:
        event = st.dataframe(
            memos[["id", "about", "title", "text", "author", "updated"]], hide_index=True, width="stretch",
            on_select="rerun", selection_mode="single-row", key="memo_table",
            column_config={"id": st.column_config.NumberColumn("Memo", width=50),
                           "about": st.column_config.TextColumn("About", width=190),
                           "title": st.column_config.TextColumn("Title", width=190),
                           "text": st.column_config.TextColumn("Text", width=290),
                           "author": st.column_config.TextColumn("By", width=70),
                           "updated": st.column_config.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm",
                                                                      width=120)},
        )
        rows = list(event.selection.rows) if event and event.selection else []
        if not rows:
            st.caption("Select a memo to read, edit or delete it.")
        else:
            memo = memos.iloc[rows[0]]
            memo_id = int(memo["id"])
            with st.container(border=True):
                st.markdown(f"**Memo {memo_id}**")
                st.text(memo["about"])
                st.caption(f"by {memo['author']} · written {memo['created']:%Y-%m-%d %H:%M} · "
                           f"last changed {memo['updated']:%Y-%m-%d %H:%M}")
                with st.form(f"memo_edit_{memo_id}"):
                    title = st.text_input("Title", memo["title"], key=f"memo_edit_title_{memo_id}")
                    text = st.text_area("Text", memo["text"], height=200, key=f"memo_edit_text_{memo_id}")
                    if st.form_submit_button("Save changes", type="primary", key=f"memo_edit_save_{memo_id}"):
                        if state.write(coding.update_memo, memo_id, text=text, title=title,
                                       coder=state.coder()) is not None:
                            _done(f"Memo {memo_id} saved.")
                if st.button("Delete this memo", key=f"memo_delete_{memo_id}", icon=":material/delete:"):
                    if state.write(coding.delete_memo, memo_id, coder=state.coder()) is not None:
                        st.session_state.pop("memo_table", None)
                        _done(f"Memo {memo_id} deleted (Undo in the sidebar brings it back).")

with tab_add:
    if not state.can("memo"):
        st.caption(f"Your role ({state.role_label()}) may read memos; writing them is for coders and owners.")
        st.stop()
    kind = st.selectbox("About", list(TYPES), format_func=TYPES.get, key="memo_new_type")
    target = None
    if kind == "document":
        target = st.selectbox("Document", list(doc_names), format_func=doc_names.get, key="memo_new_doc")
    elif kind == "code":
        target = st.selectbox("Code", list(paths), format_func=paths.get, key="memo_new_code")
    elif kind == "coding":
        target = int(st.number_input("Coding id", 1, None, 1, key="memo_new_coding",
                                     help="Shown on the Retrieve and Code pages. You can also write a memo on a "
                                          "passage straight from the Retrieve page."))
        found = state.read(coding.retrieve, coding_ids=[target])
        if found.empty:
            st.caption(f"There is no coding {target}: find its number on the Retrieve or Code page, or write the "
                       "memo from the passage on the Retrieve page.")
        else:
            st.caption(f"{found['code'].iloc[0]} in {found['document'].iloc[0]}:")
            st.text(found["quote"].iloc[0])
    elif kind == "city":
        target = st.selectbox("City", list(city_names), format_func=city_names.get, key="memo_new_city")
    elif kind == "dyad":
        c1, c2 = st.columns(2)
        a = c1.selectbox("First city", list(city_names), format_func=city_names.get, key="memo_new_city_a")
        b = c2.selectbox("Second city", list(city_names), format_func=city_names.get, key="memo_new_city_b",
                         index=min(1, len(city_names) - 1))
        target = (a, b)
    with st.form("memo_new_form", clear_on_submit=True):
        title = st.text_input("Title", key="memo_new_title")
        text = st.text_area("Text", height=200, key="memo_new_text")
        if st.form_submit_button("Add memo", type="primary", key="memo_new_go"):
            if kind != "project" and target is None:
                st.error(f"Choose the {TYPES[kind].lower()} this memo is about, above the form.")
            elif state.write(coding.add_memo, kind, target, text, title=title, author=state.coder()) is not None:
                st.session_state["memo_show_list"] = True
                _done(f"Memo added on {TYPES[kind].lower()}.")
