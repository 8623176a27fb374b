"""Pieces of the Code page: the panel for one coding, and unit (sentence/paragraph) coding."""
from __future__ import annotations

import streamlit as st

import coding
from quant.data import project as qdata
from i18n import N_, _
from ui import state

#: The coding units of the unit coder (stored values) and how they are named.
UNIT_LABELS = {"sentence": N_("sentence"), "paragraph": N_("paragraph")}


def _city_options() -> dict[str, str]:
    cities = state.read(qdata.city_frame)
    if cities.empty:
        return {}
    pinyin = cities["pinyin"] if "pinyin" in cities.columns else [""] * len(cities)
    # the name first, its pinyin to type-search by; the adcode is not shown (it is the option's value)
    return {c: f"{n} {p or ''}".strip() for c, n, p in zip(cities["code"], cities["name"], pinyin)}


def coding_panel(row: dict, code_list: list[dict], key_prefix: str = "span") -> None:
    """Edit one coding: code, memo, span, links (with suggestions), delete."""
    cid = int(row["id"])
    k = f"{key_prefix}_{cid}"
    with st.container(border=True):
        head = "**{}**".format(_("Coding {id}").format(id=cid))
        parts = [head, str(row["code"]), _("characters {start:,}–{end:,}").format(start=int(row["start"]),
                                                                                  end=int(row["end"]))]
        if row.get("coder"):
            parts.append(_("coded by {coder}").format(coder=row["coder"]))
        st.markdown(" · ".join(parts))
        st.text(row["quote"])
        names = {c["id"]: c["name"] for c in code_list}
        current = next((c["id"] for c in code_list if c["name"] == row["code"]), None)
        with st.form(key=f"edit_{k}"):
            code_id = st.selectbox(_("Code"), list(names), format_func=names.get,
                                   index=list(names).index(current) if current in names else 0)
            memo = st.text_area(_("Memo"), row.get("memo") or "")
            c1, c2 = st.columns(2)
            start = c1.number_input(_("From character"), 0, None, int(row["start"]),
                                    help=_("Position of the first character (counting from 0)"))
            end = c2.number_input(_("To character"), 1, None, int(row["end"]),
                                  help=_("Position just after the last character"))
            if st.form_submit_button(_("Save")):
                if state.write(coding.update_coding, cid, start=int(start), end=int(end), code_id=int(code_id),
                               memo=memo, coder=state.coder()) is not None:
                    st.rerun()

        st.markdown("**{}**".format(_("Linked to")))
        links = state.read(coding.links_of, cid)
        if not links:
            st.caption(_("No city or pair of cities yet: accept a suggestion below or link one by hand."))
        for link in links:
            c1, c2 = st.columns([4, 1])
            template = _("Pair: {name}") if link.get("kind") == "dyad" else _("City: {name}")
            c1.write(template.format(name=link.get("label") or _("(unnamed)")))
            if c2.button(_("Unlink"), key=f"unlink_{k}_{link['id']}"):
                state.write(coding.unlink, link["id"])
                st.rerun()
        suggestions = state.read(coding.suggest_links, cid)
        if suggestions:
            st.markdown("**{}**".format(_("Suggested from place names")))
            for i, sug in enumerate(suggestions):
                c1, c2 = st.columns([4, 1])
                template = _("Pair: {name}") if sug["kind"] == "dyad" else _("City: {name}")
                c1.write(template.format(name=sug["label"]))
                if c2.button(_("Accept"), key=f"accept_{k}_{i}"):
                    state.write(coding.accept_suggestion, cid, sug)
                    st.rerun()
        cities = _city_options()
        if cities:
            with st.form(key=f"link_{k}"):
                st.caption(_("Link by hand: one city, or two cities for a pair."))
                a = st.selectbox(_("City"), [None] + list(cities), format_func=lambda c: "—" if c is None else cities[c])
                b = st.selectbox(_("Second city (for a pair)"), [None] + list(cities),
                                 format_func=lambda c: "—" if c is None else cities[c])
                if st.form_submit_button(_("Link")):
                    if a and b:
                        ok = state.write(coding.link_dyad, cid, a, b)
                    elif a:
                        ok = state.write(coding.link_city, cid, a)
                    else:
                        st.error(_("Choose a city first (and a second one to link the pair)."))
                        ok = None
                    if ok is not None:
                        st.rerun()
        if st.button(_("Delete this coding"), key=f"delete_{k}", type="secondary"):
            if state.write(coding.delete_coding, cid, coder=state.coder()) is not None:
                st.session_state.pop("selected_coding", None)
                st.rerun()


def unit_coder(doc_id: int, code_list: list[dict]) -> None:
    """Code whole sentences or paragraphs in a table with a multiselect column of codes."""
    kind = st.radio(_("Unit"), list(UNIT_LABELS), horizontal=True, key=f"unit_kind_{doc_id}",
                    format_func=lambda v: _(UNIT_LABELS[v]))
    units = state.read(coding.segments, doc_id, kind)
    if units.empty:
        st.info(_("No sentences in this document: it may be empty; import it again on the Documents page.")
                if kind == "sentence" else
                _("No paragraphs in this document: it may be empty; import it again on the Documents page."))
        return
    per_page = 50
    n_pages = max(1, -(-len(units) // per_page))
    page = st.number_input(_("Page of {n}").format(n=n_pages), 1, n_pages, 1, key=f"unit_page_{doc_id}_{kind}") if n_pages > 1 else 1
    chunk = units.iloc[(page - 1) * per_page: page * per_page].reset_index(drop=True)
    names = [c["name"] for c in code_list]
    table = chunk[["idx", "text", "codes"]].copy()
    table["codes"] = [[c for c in codes if c in names] for codes in table["codes"]]
    edited = st.data_editor(
        table, hide_index=True, width="stretch", disabled=["idx", "text"], key=f"unit_editor_{doc_id}_{kind}_{page}",
        column_config={
            "idx": st.column_config.NumberColumn("#", width="small"),
            "text": st.column_config.TextColumn(_("Sentence") if kind == "sentence" else _("Paragraph"),
                                                width="large"),
            "codes": st.column_config.MultiselectColumn(_("Codes"), options=names),
        },
    )
    if st.button(_("Save unit codes"), key=f"save_units_{doc_id}_{kind}"):
        by_name = {c["name"]: c["id"] for c in code_list}
        changes = [
            (int(idx), [by_name[n] for n in (new or []) if n in by_name])
            for idx, old, new in zip(table["idx"], table["codes"], edited["codes"])
            if sorted(old or []) != sorted(new or [])
        ]
        if not changes:
            st.info(_("Nothing changed: pick codes in the Codes column first."))
            return
        done = state.write(
            lambda s: [coding.set_segment_codes(s, doc_id, kind, idx, ids, coder=state.coder()) for idx, ids in changes]
        )
        if done is not None:
            st.success((_("Saved codes of {n} sentence(s).") if kind == "sentence"
                        else _("Saved codes of {n} paragraph(s).")).format(n=len(changes)))
            st.rerun()
