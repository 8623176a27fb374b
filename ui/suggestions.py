"""Suggestions page: auto-coding rules per code (keywords, regex, spaCy token patterns), their
preview and runs, and one review queue for suggested codings and place-name links."""
import streamlit as st

import coding
from coding.autocoding.autocode import parse_rule_pattern
from i18n import pgettext, N_, _
from ui import assist_panels, state

st.title(_("Suggestions"))
st.caption(_("Rules never code on their own: running a rule fills the review queue, and only what you accept "
             "becomes a coding. Place names in coded passages suggest city and dyad links in the same queue."))

#: Rule kinds, suggestion units and queue views (stored values -> labels on screen).
KINDS = {"keywords": N_("Keywords"), "regex": N_("Regular expression"), "spacy": N_("spaCy token pattern")}
UNITS = {"match": N_("the match"), "sentence": N_("its sentence"), "paragraph": N_("its paragraph")}
QUEUES = {"coding": N_("Suggested codings"), "link": N_("Place-name links")}
LINK_KINDS = {"city": N_("city"), "dyad": N_("dyad")}

if flash := st.session_state.pop("sug_flash", None):
    st.success(flash)


def _done(message: str) -> None:
    st.session_state["sug_flash"] = message
    # a new queue table after every decision: the old one's ticks would otherwise stay on the row
    # positions, now other suggestions (a second click accepted rows nobody ticked)
    st.session_state["sug_queue_generation"] = st.session_state.get("sug_queue_generation", 0) + 1
    st.rerun()


def _fresh(key: str) -> str:
    """``key`` for the first queue table of the session, then ``key_<n>`` after the n-th decision."""
    generation = st.session_state.get("sug_queue_generation", 0)
    return f"{key}_{generation}" if generation else key


book = state.read(coding.codebook)
codable = book[book["codable"].astype(bool)]
paths = dict(zip(codable["id"], codable["path"]))
docs = state.read(coding.documents)
if not paths or docs.empty:
    st.info(_("Auto-coding needs documents and codable codes: import documents and build the codebook first."))
    st.stop()
doc_names = dict(zip(docs["id"], docs["name"]))
rule_table = state.read(coding.rules)

tab_rules, tab_assist, tab_queue = st.tabs([_("Rules"), _("Assistant"), _("Review queue")], key="sug_tab",
                                           on_change="rerun")

with tab_assist:
    assist_panels.examples_panel(paths, _done)
    with st.expander(_("Evaluation"), icon=":material/fact_check:"):
        assist_panels.evaluation_panel(paths)
    with st.expander(_("Local LLM (optional)"), icon=":material/smart_toy:"):
        assist_panels.llm_panel(doc_names, paths, _done)

with tab_rules:
    if rule_table.empty:
        st.caption(_("No rules yet."))
    else:
        rule_table = rule_table.assign(code=[paths.get(c, n) for c, n in zip(rule_table["code_id"],
                                                                           rule_table["code"])])
        st.dataframe(rule_table[["id", "code", "kind", "pattern", "unit", "fold_traditional", "ignore_case",
                                 "n_pending", "n_accepted", "n_rejected", "created_by"]],
                     hide_index=True, width="stretch",
                     column_config={"id": st.column_config.NumberColumn(_("rule"), width="small"),
                                    "code": _("code"), "kind": _("kind"), "pattern": _("pattern"),
                                    "unit": _("unit"),
                                    "fold_traditional": st.column_config.CheckboxColumn(_("fold")),
                                    "ignore_case": st.column_config.CheckboxColumn(_("any case")),
                                    "n_pending": _("pending"), "n_accepted": _("accepted"),
                                    "n_rejected": _("rejected"), "created_by": _("by")})
        labels = {int(r.id): _("Rule {id} · {code} · {kind}: {pattern}").format(
            id=r.id, code=r.code, kind=r.kind, pattern=r.pattern) for r in rule_table.itertuples()}
        rule_id = st.selectbox(_("Rule"), list(labels), format_func=lambda i: labels[i], key="sug_rule")
        b = st.columns(6)
        if b[0].button(pgettext("button", "Run"), key="sug_run", icon=":material/play_arrow:", width="stretch"):
            n = state.write(coding.run_rules, [rule_id])
            if n is not None:
                _done(_("Rule {id}: {n} new suggestion(s) in the review queue.").format(id=rule_id, n=n))
        if b[1].button(_("Run all rules"), key="sug_run_all", width="stretch"):
            n = state.write(coding.run_rules)
            if n is not None:
                _done(_("{n} new suggestion(s) in the review queue.").format(n=n))
        if b[2].button(_("Accept all pending"), key="sug_accept_rule", width="stretch"):
            ids = state.write(coding.accept_rule, rule_id, coder=state.coder())
            if ids is not None:
                _done(_("Rule {id}: {n} suggestion(s) accepted as codings.").format(id=rule_id, n=len(ids)))
        if b[3].button(_("Reject all pending"), key="sug_reject_rule", width="stretch"):
            n = state.write(coding.reject_rule, rule_id, coder=state.coder())
            if n is not None:
                _done(_("Rule {id}: {n} suggestion(s) rejected.").format(id=rule_id, n=n))
        if b[4].button(_("Revert accepted"), key="sug_revert", width="stretch",
                       help=_("Undo this rule's batch: delete the codings its acceptances created (unless edited "
                              "since) and put the suggestions back in the queue.")):
            n = state.write(coding.revert_rule, rule_id, coder=state.coder())
            if n is not None:
                _done(_("Rule {id}: {n} coding(s) removed; their suggestions are pending again.").format(id=rule_id, n=n))
        if b[5].button(_("Delete rule"), key="sug_delete", width="stretch",
                       help=_("Deletes the rule and its open suggestions; accepted codings stay.")):
            if state.write(coding.delete_rule, rule_id) is not None:
                _done(_("Rule {id} deleted.").format(id=rule_id))

    st.subheader(_("New rule"))
    with st.form(key="sug_new_rule"):
        c1, c2, c3 = st.columns([2, 3, 1])
        code_id = c1.selectbox(_("Code"), list(paths), format_func=paths.get, key="sug_new_code")
        kind = c2.radio(_("Kind"), list(KINDS), horizontal=True, key="sug_new_kind",
                        format_func=lambda k: _(KINDS[k]))
        unit = c3.selectbox(_("Suggest"), list(UNITS), key="sug_new_unit", format_func=lambda u: _(UNITS[u]))
        text = st.text_area(_("Pattern"), key="sug_new_pattern", height=90,
                            help=_("At most 1,000 characters. A regular expression that runs longer than 2 s on one "
                                   "document stops the preview or run with a message, and nothing is queued."),
                            placeholder=_("Keywords: one per line or a|b|c (通办|跨省通办).  Regex: 跨(省|市)通办.  "
                                          'spaCy (JSON): [{"LOWER": "hukou"}, {"LOWER": "transfer"}]'))
        c4, c5, c6 = st.columns(3)
        fold = c4.checkbox(_("Fold traditional → simplified"), value=True, key="sug_new_fold")
        ignore_case = c5.checkbox(_("Ignore case"), value=True, key="sug_new_case")
        run_now = c6.checkbox(_("Run it on saving"), value=True, key="sug_new_run")
        c7, c8 = st.columns(2)
        preview = c7.form_submit_button(_("Preview"), icon=":material/visibility:", width="stretch",
                                     key="sug_new_preview")
        save = c8.form_submit_button(_("Save rule"), type="primary", width="stretch", key="sug_new_save")
    if preview or save:
        pattern = state.attempt(parse_rule_pattern, kind, text)
        if pattern is not None and preview:
            shown = state.attempt(state.read, coding.preview_rule, kind, pattern, unit=unit, fold_traditional=fold,
                                  ignore_case=ignore_case)
            if shown is not None:
                st.markdown(_("**{n} passage(s)** would be suggested for {code} (before removing spans already coded or "
                              "decided).").format(n=len(shown), code=paths[code_id]))
                st.dataframe(shown[["document", "before", "quote", "after"]], hide_index=True, width="stretch",
                             key="sug_preview_table",
                             column_config={"document": _("document"), "before": _("before"), "quote": _("passage"),
                                            "after": _("after")})
        elif pattern is not None:
            def _save(session):
                rid = coding.add_rule(session, code_id, kind, pattern, unit=unit, fold_traditional=fold,
                                      ignore_case=ignore_case, coder=state.coder())
                return rid, (coding.run_rules(session, [rid]) if run_now else None)

            made = state.write(_save)
            if made is not None:
                rid, n = made
                _done(_("Rule {id} saved; {n} new suggestion(s) in the review queue.").format(id=rid, n=n) if n is not None
                      else _("Rule {id} saved; run it to fill the review queue.").format(id=rid))

with tab_queue:
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    what = c1.segmented_control(_("Show"), list(QUEUES), default="coding", key="sug_q_kind",
                                format_func=lambda q: _(QUEUES[q])) \
        or "coding"
    rule_filter = None
    if what == "coding":
        rule_labels = {int(r.id): _("Rule {id} · {code}").format(id=r.id, code=r.code) for r in rule_table.itertuples()}
        rule_filter = c2.selectbox(_("Rule"), [None] + list(rule_labels), key="sug_q_rule",
                                   format_func=lambda r: _("(any)") if r is None else rule_labels[r])
    elif c2.button(_("Find place-name links"), key="sug_find_links", icon=":material/travel_explore:",
                   help=_("Look at the place names in every coded passage and queue city and dyad links.")):
        found = state.write(coding.place_link_suggestions)
        if found is not None:
            _done(_("{n} place-name link suggestion(s) pending.").format(n=len(found)))
    doc_filter = c3.selectbox(_("Document"), [None] + list(doc_names), key="sug_q_doc",
                              format_func=lambda d: _("(any)") if d is None else doc_names[d])
    queue = state.attempt(state.read, coding.pending, kind="coding" if what == "coding" else ["city", "dyad"],
                          rule_id=rule_filter, document_id=doc_filter, context=40)
    if queue is None:
        st.stop()
    if queue.empty:
        st.info(_("Nothing waiting for review. Run a rule on the Rules tab, or ask the assistant on the Assistant "
                  "tab.") if what == "coding" else
                _("Nothing waiting for review. Press “Find place-name links” to look for place names in coded "
                  "passages."))
        st.stop()
    if what == "link":
        passages = state.read(coding.retrieve, coding_ids=[int(c) for c in queue["coding_id"].dropna().unique()])
        quotes = dict(zip(passages["coding_id"], passages["quote"]))
        codes = dict(zip(passages["coding_id"], passages["code_id"]))
        queue = queue.assign(quote=[quotes.get(c, "") for c in queue["coding_id"]],
                             code=[paths.get(codes.get(c), "") for c in queue["coding_id"]],
                             kind=[_(LINK_KINDS.get(k, k)) for k in queue["kind"]])
        columns = ["document", "coding_id", "label", "kind", "code", "quote", "reason"]
    else:
        queue = queue.assign(label=[paths.get(c, n) for c, n in zip(queue["code_id"], queue["label"])])
        queue, columns = assist_panels.queue_filters(queue, paths, ["document", "rule_id", "label", "quote", "reason"])
        if queue.empty:
            st.info(_("No pending suggestion matches these filters."))
            st.stop()
    st.markdown(_("**{n} pending suggestion(s)**").format(n=len(queue)))
    event = st.dataframe(queue[columns], hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="multi-row", key=_fresh(f"sug_queue_{what}"),
                         column_config={"document": st.column_config.TextColumn(_("document"), width=150),
                                        "label": st.column_config.TextColumn(_("suggests"), width=150),
                                        "kind": st.column_config.TextColumn(_("link"), width=45),
                                        "code": st.column_config.TextColumn(_("code"), width=130),
                                        "rule_id": st.column_config.NumberColumn(_("rule"), width=45),
                                        "coding_id": st.column_config.NumberColumn(_("coding"), width=60),
                                        "quote": st.column_config.TextColumn(_("passage"), width=360),
                                        "reason": st.column_config.TextColumn(_("why"), width=200),
                                        **assist_panels.queue_column_config()})
    rows = list(event.selection.rows) if event and event.selection else []
    if len(rows) == 1 and what == "coding":
        with st.container(border=True):
            picked = queue.iloc[rows[0]]
            st.caption(_("{document} · characters {start:,}–{end:,}").format(document=picked["document"],
                                                                              start=picked["start"], end=picked["end"]))
            st.text(f"…{picked['before'] or ''}⟦{picked['quote']}⟧{picked['after'] or ''}…")
            if picked.get("origin", "rule") != "rule" and picked["score"] == picked["score"]:  # not NaN
                st.caption(_("Suggested by the {origin} ({model}), score {score:.2f}.").format(
                    origin=_(assist_panels.ORIGINS.get(picked["origin"], picked["origin"])),
                    model=assist_panels.md(picked.get("model") or ""), score=float(picked["score"])))
                st.caption(_("Suggested code: {code}").format(code=assist_panels.md(str(picked.get("label") or ""))))
                if picked.get("origin") == "llm" and isinstance(picked.get("reason"), str) and picked["reason"]:
                    st.caption(_("The model's reason:"))
                    st.text(picked["reason"])  # the model's words: data, never markup
                if isinstance(picked.get("example_quote"), str) and picked["example_quote"]:  # not None/NaN
                    st.caption(_("Nearest coded example:"))
                    st.text(picked["example_quote"])
    every = st.checkbox(_("All {n} shown").format(n=len(queue)), key=_fresh(f"sug_all_{what}"))
    chosen = [int(i) for i in (queue["id"] if every else queue["id"].iloc[rows])]
    b1, b2, _spare = st.columns([1, 1, 3])
    if b1.button(_("Accept {n}").format(n=len(chosen)), type="primary", disabled=not chosen, key="sug_accept", width="stretch"):
        made = state.write(lambda s: [coding.accept(s, i, coder=state.coder()) for i in chosen])
        if made is not None:
            _done(_("Accepted {n} suggestion(s).").format(n=len(made)))
    if b2.button(_("Reject {n}").format(n=len(chosen)), disabled=not chosen, key="sug_reject", width="stretch"):
        if state.write(lambda s: [coding.reject(s, i, coder=state.coder()) for i in chosen]) is not None:
            _done(_("Rejected {n} suggestion(s); they will not be suggested again.").format(n=len(chosen)))
