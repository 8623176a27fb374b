"""Agreement page: intercoder agreement per code and pooled (coding.agreement), downloads, and
one document's codings by two coders side by side with their disagreements highlighted."""
import streamlit as st

import coding
from coding import agreement as ag
from coding import blind
from coding.queries import coders as coders_with_codings
from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from ui import state

st.title("Agreement")
st.caption("How far independent coders agree, per code and pooled: percent agreement, Cohen's κ (two coders), "
           "Fleiss' κ, Krippendorff's α, Gwet's AC1 and Brennan–Prediger, with bootstrap 95% intervals.")

UNIT_LABELS = {"character": "Characters (NVivo)", "sentence": "Sentences", "paragraph": "Paragraphs",
               "document": "Documents", "segment": "Coded segments (MAXQDA overlap)"}


def _switch() -> None:
    state.write(blind.set_blind, bool(st.session_state.get("agr_blind")), state.coder())


def _blind_switch() -> None:
    """Blind coding: the switch for whoever may unblind (an owner; anyone in single-user mode), and the
    refusal while the project is blind for the person looking (coding.blind)."""
    setting = state.read(blind.blind_state)
    if state.can("unblind"):
        note = "" if state.team_mode() else " In single-user mode anyone at this machine may switch it."
        # the widget shows the stored setting on every run (switched elsewhere too); only a click writes
        st.session_state["agr_blind"] = setting["on"]
        st.toggle("Blind coding", key="agr_blind", on_change=_switch,
                  help="Coders see only their own codings until you unblind." + note)
        when = str(setting["at"] or "")[:16].replace("T", " ")
        st.caption("Blind coding: coders see only their own codings until you unblind." + note
                   + (f" Switched {'on' if setting['on'] else 'off'} by {setting['by']} at {when} UTC."
                      if setting["by"] and when else ""))
    if state.blind_for_me():
        st.info(blind.AGREEMENT_REFUSED, icon=":material/visibility_off:")
        st.stop()


_blind_switch()
known = state.read(coders_with_codings)
if len(known) < 2:
    st.info("Agreement needs codings by at least two coders; so far "
            + (f"only {known[0]} has coded." if known else "nobody has coded."))
    st.stop()

docs = state.read(coding.documents)
book = state.read(coding.codebook)
code_paths = [p for p, ok in zip(book["path"], book["codable"]) if ok]

c1, c2 = st.columns([2, 1])
chosen = c1.multiselect("Coders", known, default=known[:2], key="agr_coders")
unit = c2.selectbox("Unit", list(UNIT_LABELS), format_func=UNIT_LABELS.get, key="agr_unit")
c3, c4 = st.columns(2)
codes = c3.multiselect("Codes (none: every code the coders applied)", code_paths, key="agr_codes")
documents = c4.multiselect("Documents (none: every document each coder coded)", list(docs["name"]), key="agr_docs")
c5, c6, c7 = st.columns(3)
overlap = 0.9
exclusive = coded_only = False
if unit == "character":
    coded_only = c5.checkbox("Only characters someone coded", key="agr_coded_only",
                             help="Leave out text no coder coded with the code (NVivo counts it, which makes "
                                  "percent agreement high on sparsely coded text).")
elif unit == "segment":
    overlap = c5.slider("Minimum overlap", 0.05, 1.0, ag.DEFAULT_OVERLAP, 0.05, key="agr_overlap",
                        help="Share of the span two segments cover together that both cover (MAXQDA's default 90%).")
elif unit in ("sentence", "paragraph", "document"):
    exclusive = c5.checkbox("Codes as one variable", key="agr_exclusive",
                            help="The chosen codes exclude each other: a coder's value for a unit is the one code "
                                 "applied; a unit left uncoded is missing. One row, nominal α.")
replicates = int(c6.number_input("Bootstrap replicates", 0, 10000, 1000, 100, key="agr_boot"))
seed = int(c7.number_input("Seed", 0, 2**31 - 1, 1, key="agr_seed"))

if len(chosen) < 2:
    st.info("Choose at least two coders.")
    st.stop()

table = state.attempt(state.read, ag.agreement, chosen, codes=codes or None, documents=documents or None, unit=unit,
                      overlap=overlap, bootstrap=replicates, seed=seed, exclusive=exclusive,
                      coded_only=coded_only)
if table is None:
    st.stop()

st.caption(table.attrs["convention"] + f" {len(table.attrs['documents'])} document(s).")
st.dataframe(ag.readable(table), hide_index=True, width="stretch")
export = ag.readable(table, text=False)
d1, d2, _ = st.columns([1, 1, 3])
d1.download_button("Download CSV", to_csv_bytes(export), f"agreement-{unit}.csv", "text/csv", key="agr_csv")
d2.download_button("Download XLSX", to_xlsx_bytes(export, sheet=f"agreement {unit}"), f"agreement-{unit}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="agr_xlsx")
if unit == "segment":
    unmatched = table.attrs.get("unmatched", [])
    with st.expander(f"Unmatched segments ({len(unmatched)})"):
        if unmatched:
            st.dataframe(unmatched, hide_index=True, width="stretch")

st.subheader("Side by side")
s1, s2, s3 = st.columns(3)
pair = s1.multiselect("Two coders", chosen, default=chosen[:2], max_selections=2, key="agr_pair")
doc_name = s2.selectbox("Document", table.attrs["documents"], key="agr_doc")
if len(pair) != 2 or doc_name is None:
    st.info("Choose two coders and a document.")
    st.stop()
cmp = state.attempt(state.read, ag.compare_coders, doc_name, pair, codes=codes or None)
if cmp is None:
    st.stop()
if cmp.empty:
    st.info(f"Neither {pair[0]} nor {pair[1]} coded {doc_name} with these codes.")
    st.stop()
code = s3.selectbox("Code", list(dict.fromkeys(cmp["code"])), key="agr_cmp_code")
st.html(ag.legend_html(pair) + ag.highlight_html(cmp, code))
mine = state.read(ag.coder_codings, doc_name, pair, codes=[code])
left, right = st.columns(2)
for col, who in ((left, pair[0]), (right, pair[1])):
    col.text(who)
    col.dataframe(mine[mine["coder"] == who][["start", "end", "quote"]], hide_index=True, width="stretch")
st.dataframe(cmp[cmp["code"] == code][["start", "end", "status", "quote"]], hide_index=True, width="stretch")
