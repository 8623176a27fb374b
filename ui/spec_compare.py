"""The Models page's "Specifications side by side" panel: saved specifications (and the current fit)
in one journal-style regression table, with downloads in five formats. Thin: the fits come from
``quant.runs.specs``, the table from ``report.tables`` and ``report.table_export``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import i18n
from i18n import N_, _
from quant.errors import QuantError
from quant.inference.hypotheses import lr_test, wald_nested
from quant.runs.specs import delete_spec, fit_spec
from report.table_export import EXPORT_FORMATS, export_table
from report.tables import STAT_ROWS, regression_table
from ui import state
from ui.models_panels import se_label, shown_label

_FORMAT_LABELS = {"md": N_("Markdown"), "html": N_("HTML"), "csv": N_("CSV"), "tex": N_("LaTeX"), "docx": N_("Word (DOCX)")}
_ENGLISH_WORD = "Word"  # the DOCX button's English label, kept as it was ("Word" alone is 词语 elsewhere)
CURRENT_FIT = N_("(current fit)")  # an option value as well as its English label
CMP_SE = ("each fit's default", "model", "hc0", "dyadic")
DEFAULT_ROWS = ("N", "Nodes", "Log-likelihood", "AIC")
STAT_LABELS = {"N": N_("N"), "Nodes": N_("Nodes"), "Log-likelihood": N_("Log-likelihood"), "AIC": N_("AIC"),
               "BIC": N_("BIC")}


@st.cache_data(show_spinner=False, max_entries=24)
def _fit_saved(project: str, revision: int, name: str, signature: str):
    return state.read(fit_spec, name)


def compare_specs(saved: pd.DataFrame, current, dimension: str) -> None:
    """Several saved specifications side by side in one regression table, with downloads."""
    st.subheader(_("Specifications side by side"))
    if saved.empty:
        st.info(_("No saved specification yet: fit one and use “Save this specification”."))
        return
    options = saved["name"].tolist() + ([CURRENT_FIT] if current is not None else [])
    known = st.session_state.get("cmp_known")
    if "cmp_specs" not in st.session_state:
        st.session_state["cmp_specs"] = saved.loc[saved["dimension"] == dimension, "name"].tolist()[:3]
    else:  # keep the choice in step with the saved list: drop deleted specs, add newly saved ones
        fresh = [n for n in saved["name"] if known is not None and n not in known]
        st.session_state["cmp_specs"] = [n for n in st.session_state["cmp_specs"] if n in options] + fresh
    st.session_state["cmp_known"] = saved["name"].tolist()
    chosen = st.multiselect(_("Specifications"), options, key="cmp_specs",
                            format_func=lambda n: _(n) if n == CURRENT_FIT else n)
    c1, c2, c3 = st.columns(3)
    se_choice = c1.selectbox(_("Standard errors"), list(CMP_SE), key="cmp_se", format_func=se_label)
    stars_text = c2.text_input(_("Star levels"), "0.05, 0.01, 0.001", key="cmp_stars",
                               help=_("Significance levels for *, **, ***, strictly decreasing."))
    rows = c3.multiselect(_("Bottom rows"), list(STAT_ROWS), default=list(DEFAULT_ROWS), key="cmp_rows",
                          format_func=lambda k: shown_label(STAT_LABELS, k))
    results, labels = [], []
    for i, name in enumerate(chosen, start=1):
        if name == CURRENT_FIT:
            r = current
        else:
            row = saved[saved["name"] == name].iloc[0]
            signature = f"{row['dimension']}|{row['model']}|{row['formula']}|{row['options']}"
            r = state.attempt(_fit_saved, state.project_path(), state.revision(), name, signature)
        if r is not None:
            results.append(r)
            labels.append(f"({i}) {_(name) if name == CURRENT_FIT else name}")
    if not results:
        return
    try:
        stars = tuple(float(x) for x in stars_text.replace(";", ",").split(",") if x.strip())
    except ValueError:
        st.error(_("Star levels {text} must be numbers separated by commas, e.g. 0.05, 0.01, 0.001.").format(
            text=repr(stars_text)))
        return
    se_key = None if se_choice == "each fit's default" else se_choice
    table = state.attempt(regression_table, results, se_key, stars, labels=labels, stats=rows)
    if table is None:
        return
    st.dataframe(table, hide_index=True, width="stretch", height=min(35 * (len(table) + 1) + 3, 1400))
    st.caption(table.attrs["note"])
    cols = st.columns(len(EXPORT_FORMATS))
    for col, fmt in zip(cols, EXPORT_FORMATS):
        data = state.attempt(export_table, table, fmt, caption=_("Regression estimates"))
        if data is not None:
            col.download_button(_ENGLISH_WORD if fmt == "docx" and i18n.language() == i18n.DEFAULT
                                else _(_FORMAT_LABELS[fmt]), data, f"regression_table.{fmt}", EXPORT_FORMATS[fmt],
                                key=f"cmp_dl_{fmt}")
    if len(results) >= 2:
        lines = []
        for a in range(len(results)):
            for b in range(a + 1, len(results)):
                if results[a].dimension != results[b].dimension:
                    continue  # models of different dimensions are never nested
                (i_small, small), (i_big, big) = sorted(((a, results[a]), (b, results[b])),
                                                        key=lambda pair: len(pair[1].params))
                try:
                    tests = [lr_test(small, big), wald_nested(small, big, se_key)]
                except QuantError:  # not nested, or not on the same rows: no test to show
                    continue
                la, lb = labels[i_small], labels[i_big]
                lines += [_("{small} within {big}: {test}").format(small=la, big=lb, test=t.sentence())
                          for t in tests]
        if lines:
            st.markdown(_("**Nested tests**") + "\n\n" + "\n".join(f"- {x}" for x in lines))
    if not state.can("fit"):
        return
    with st.expander(_("Delete a saved specification")):
        gone = st.selectbox(_("Specification"), saved["name"].tolist(), key="cmp_delete")
        if st.button(_("Delete"), key="cmp_delete_btn"):
            state.write(delete_spec, gone, success=_("Deleted '{name}'.").format(name=gone))
