"""Suggestions page: auto-coding rules per code (keywords, regex, spaCy token patterns), their
preview and runs, and one review queue for suggested codings and place-name links."""
import streamlit as st

import coding
from coding.autocode import parse_rule_pattern
from ui import state

st.title("Suggestions")
st.caption("Rules never code on their own: running a rule fills the review queue, and only what you accept "
           "becomes a coding. Place names in coded passages suggest city and dyad links in the same queue.")

if flash := st.session_state.pop("sug_flash", None):
    st.success(flash)


def _done(message: str) -> None:
    st.session_state["sug_flash"] = message
    st.rerun()


book = state.read(coding.codebook)
codable = book[book["codable"].astype(bool)]
paths = dict(zip(codable["id"], codable["path"]))
docs = state.read(coding.documents)
if not paths or docs.empty:
    st.info("Auto-coding needs documents and codable codes: import documents and build the codebook first.")
    st.stop()
doc_names = dict(zip(docs["id"], docs["name"]))
rule_table = state.read(coding.rules)

tab_rules, tab_queue = st.tabs(["Rules", "Review queue"], key="sug_tab", on_change="rerun")

with tab_rules:
    if rule_table.empty:
        st.caption("No rules yet.")
    else:
        rule_table = rule_table.assign(code=[paths.get(c, n) for c, n in zip(rule_table["code_id"],
                                                                           rule_table["code"])])
        st.dataframe(rule_table[["id", "code", "kind", "pattern", "unit", "fold_traditional", "ignore_case",
                                 "n_pending", "n_accepted", "n_rejected", "created_by"]],
                     hide_index=True, width="stretch",
                     column_config={"id": st.column_config.NumberColumn("rule", width="small"),
                                    "fold_traditional": st.column_config.CheckboxColumn("fold"),
                                    "ignore_case": st.column_config.CheckboxColumn("any case"),
                                    "n_pending": "pending", "n_accepted": "accepted", "n_rejected": "rejected",
                                    "created_by": "by"})
        labels = {int(r.id): f"Rule {r.id} · {r.code} · {r.kind}: {r.pattern}" for r in rule_table.itertuples()}
        rule_id = st.selectbox("Rule", list(labels), format_func=labels.get, key="sug_rule")
        b = st.columns(6)
        if b[0].button("Run", key="sug_run", icon=":material/play_arrow:", width="stretch"):
            n = state.write(coding.run_rules, [rule_id])
            if n is not None:
                _done(f"Rule {rule_id}: {n} new suggestion(s) in the review queue.")
        if b[1].button("Run all rules", key="sug_run_all", width="stretch"):
            n = state.write(coding.run_rules)
            if n is not None:
                _done(f"{n} new suggestion(s) in the review queue.")
        if b[2].button("Accept all pending", key="sug_accept_rule", width="stretch"):
            ids = state.write(coding.accept_rule, rule_id, coder=state.coder())
            if ids is not None:
                _done(f"Rule {rule_id}: {len(ids)} suggestion(s) accepted as codings.")
        if b[3].button("Reject all pending", key="sug_reject_rule", width="stretch"):
            n = state.write(coding.reject_rule, rule_id, coder=state.coder())
            if n is not None:
                _done(f"Rule {rule_id}: {n} suggestion(s) rejected.")
        if b[4].button("Revert accepted", key="sug_revert", width="stretch",
                       help="Undo this rule's batch: delete the codings its acceptances created (unless edited "
                            "since) and put the suggestions back in the queue."):
            n = state.write(coding.revert_rule, rule_id, coder=state.coder())
            if n is not None:
                _done(f"Rule {rule_id}: {n} coding(s) removed; their suggestions are pending again.")
        if b[5].button("Delete rule", key="sug_delete", width="stretch",
                       help="Deletes the rule and its open suggestions; accepted codings stay."):
            if state.write(coding.delete_rule, rule_id) is not None:
                _done(f"Rule {rule_id} deleted.")

    st.subheader("New rule")
    with st.form("sug_new_rule"):
        c1, c2, c3 = st.columns([2, 3, 1])
        code_id = c1.selectbox("Code", list(paths), format_func=paths.get, key="sug_new_code")
        kind = c2.radio("Kind", ["keywords", "regex", "spacy"], horizontal=True, key="sug_new_kind",
                        format_func={"keywords": "Keywords", "regex": "Regular expression",
                                     "spacy": "spaCy token pattern"}.get)
        unit = c3.selectbox("Suggest", ["match", "sentence", "paragraph"], key="sug_new_unit",
                            format_func={"match": "the match", "sentence": "its sentence",
                                         "paragraph": "its paragraph"}.get)
        text = st.text_area("Pattern", key="sug_new_pattern", height=90,
                            help="At most 1,000 characters. A regular expression that runs longer than 2 s on one "
                                 "document stops the preview or run with a message, and nothing is queued.",
                            placeholder="Keywords: one per line or a|b|c (通办|跨省通办).  Regex: 跨(省|市)通办.  "
                                        'spaCy (JSON): [{"LOWER": "hukou"}, {"LOWER": "transfer"}]')
        c4, c5, c6 = st.columns(3)
        fold = c4.checkbox("Fold traditional → simplified", value=True, key="sug_new_fold")
        ignore_case = c5.checkbox("Ignore case", value=True, key="sug_new_case")
        run_now = c6.checkbox("Run it on saving", value=True, key="sug_new_run")
        c7, c8 = st.columns(2)
        preview = c7.form_submit_button("Preview", icon=":material/visibility:", width="stretch",
                                     key="sug_new_preview")
        save = c8.form_submit_button("Save rule", type="primary", width="stretch", key="sug_new_save")
    if preview or save:
        pattern = state.attempt(parse_rule_pattern, kind, text)
        if pattern is not None and preview:
            shown = state.attempt(state.read, coding.preview_rule, kind, pattern, unit=unit, fold_traditional=fold,
                                  ignore_case=ignore_case)
            if shown is not None:
                st.markdown(f"**{len(shown)} passage(s)** would be suggested for {paths[code_id]} "
                            f"(before removing spans already coded or decided).")
                st.dataframe(shown[["document", "before", "quote", "after"]], hide_index=True, width="stretch",
                             key="sug_preview_table")
        elif pattern is not None:
            def _save(session):
                rid = coding.add_rule(session, code_id, kind, pattern, unit=unit, fold_traditional=fold,
                                      ignore_case=ignore_case, coder=state.coder())
                return rid, (coding.run_rules(session, [rid]) if run_now else None)

            made = state.write(_save)
            if made is not None:
                rid, n = made
                _done(f"Rule {rid} saved" + (f"; {n} new suggestion(s) in the review queue." if n is not None
                                             else "; run it to fill the review queue."))

with tab_queue:
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    what = c1.segmented_control("Show", ["coding", "link"], default="coding", key="sug_q_kind",
                                format_func={"coding": "Suggested codings", "link": "Place-name links"}.get) \
        or "coding"
    rule_filter = None
    if what == "coding":
        rule_labels = {int(r.id): f"Rule {r.id} · {r.code}" for r in rule_table.itertuples()}
        rule_filter = c2.selectbox("Rule", [None] + list(rule_labels), key="sug_q_rule",
                                   format_func=lambda r: "(any)" if r is None else rule_labels[r])
    elif c2.button("Find place-name links", key="sug_find_links", icon=":material/travel_explore:",
                   help="Look at the place names in every coded passage and queue city and dyad links."):
        found = state.write(coding.place_link_suggestions)
        if found is not None:
            _done(f"{len(found)} place-name link suggestion(s) pending.")
    doc_filter = c3.selectbox("Document", [None] + list(doc_names), key="sug_q_doc",
                              format_func=lambda d: "(any)" if d is None else doc_names[d])
    queue = state.attempt(state.read, coding.pending, kind="coding" if what == "coding" else ["city", "dyad"],
                          rule_id=rule_filter, document_id=doc_filter, context=40)
    if queue is None:
        st.stop()
    if queue.empty:
        st.info("Nothing waiting for review." + (" Run a rule on the Rules tab." if what == "coding" else
                                                 " Press “Find place-name links” to look for place names in coded "
                                                 "passages."))
        st.stop()
    if what == "link":
        passages = state.read(coding.retrieve, coding_ids=[int(c) for c in queue["coding_id"].dropna().unique()])
        quotes = dict(zip(passages["coding_id"], passages["quote"]))
        codes = dict(zip(passages["coding_id"], passages["code_id"]))
        queue = queue.assign(quote=[quotes.get(c, "") for c in queue["coding_id"]],
                             code=[paths.get(codes.get(c), "") for c in queue["coding_id"]],
                             kind=queue["kind"].map({"city": "city", "dyad": "dyad"}))
        columns = ["document", "coding_id", "label", "kind", "code", "quote", "reason"]
    else:
        queue = queue.assign(label=[paths.get(c, n) for c, n in zip(queue["code_id"], queue["label"])])
        columns = ["document", "rule_id", "label", "quote", "reason"]
    st.markdown(f"**{len(queue)} pending suggestion(s)**")
    event = st.dataframe(queue[columns], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="multi-row", key=f"sug_queue_{what}",
                         column_config={"document": st.column_config.TextColumn("document", width=150),
                                        "label": st.column_config.TextColumn("suggests", width=150),
                                        "kind": st.column_config.TextColumn("link", width=45),
                                        "code": st.column_config.TextColumn("code", width=130),
                                        "rule_id": st.column_config.NumberColumn("rule", width=45),
                                        "coding_id": st.column_config.NumberColumn("coding", width=60),
                                        "quote": st.column_config.TextColumn("passage", width=360),
                                        "reason": st.column_config.TextColumn("why", width=200)})
    rows = list(event.selection.rows) if event and event.selection else []
    if len(rows) == 1 and what == "coding":
        with st.container(border=True):
            picked = queue.iloc[rows[0]]
            st.caption(f"{picked['document']} · characters {picked['start']:,}–{picked['end']:,}")
            st.text(f"…{picked['before'] or ''}⟦{picked['quote']}⟧{picked['after'] or ''}…")
    every = st.checkbox(f"All {len(queue)} shown", key=f"sug_all_{what}")
    chosen = [int(i) for i in (queue["id"] if every else queue["id"].iloc[rows])]
    b1, b2, _ = st.columns([1, 1, 3])
    if b1.button(f"Accept {len(chosen)}", type="primary", disabled=not chosen, key="sug_accept", width="stretch"):
        made = state.write(lambda s: [coding.accept(s, i, coder=state.coder()) for i in chosen])
        if made is not None:
            _done(f"Accepted {len(made)} suggestion(s).")
    if b2.button(f"Reject {len(chosen)}", disabled=not chosen, key="sug_reject", width="stretch"):
        if state.write(lambda s: [coding.reject(s, i, coder=state.coder()) for i in chosen]) is not None:
            _done(f"Rejected {len(chosen)} suggestion(s); they will not be suggested again.")
