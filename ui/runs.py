"""Runs page: the saved analyses (fits kept in the project) with whether the data changed since
each was fitted; rename, delete (undoable), restore, refit, and compare 2–3 runs side by side with
CSV/XLSX downloads. Thin: every number comes from ``quant.runs.saved`` and ``quant.runs.compare``."""
import pandas as pd
import streamlit as st

from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from i18n import N_, _
from applog.program import command_name
from quant.runs import saved as runs
from quant.runs.compare import compare_records, compare_wide, format_p
from ui import state

COLUMNS = {"name": N_("run"), "state": N_("status"), "dimension": N_("dimension"), "model": N_("model"),
           "se_type": N_("SE type"), "n": N_("n"), "created": N_("created (UTC)"), "created_by": N_("by"),
           "formula": N_("formula")}
#: Columns of the comparison (``quant.runs.saved.compare_runs``) -> headers shown.
COMPARED = {"run": N_("run"), "dimension": N_("dimension"), "model": N_("model"), "se_type": N_("se_type"),
            "term": N_("term"), "estimate": N_("estimate"), "se": N_("se"), "p": N_("p"), "ci_low": N_("ci_low"),
            "ci_high": N_("ci_high")}
#: Dimension values (stored) -> labels shown; "all" is the filter for every dimension.
DIMENSIONS = {"all": N_("all"), "breadth": N_("breadth"), "connection": N_("connection"), "degree": N_("degree")}

st.title(_("Runs"))
st.caption(_("A run is a fit saved in the project: its estimates, every covariance, the per-unit fit and a "
             "fingerprint of the data. The Joint display, Cases and Report pages read runs and never refit "
             "silently; save one on the Models page (or `{cli} fit … --save NAME`).").format(cli=command_name()))

flash = st.session_state.pop("runs_flash", None)
if flash:
    st.success(flash)

dims = st.segmented_control(_("Dimension"), list(DIMENSIONS), default="all", key="runs_dimension", required=True,
                            format_func=lambda d: _(DIMENSIONS[d])) or "all"
table = state.attempt(state.read, runs.list_runs, None if dims == "all" else dims, with_status=True)
if not isinstance(table, pd.DataFrame):
    st.stop()
editable = state.can("fit")


def done(message: str) -> None:
    st.session_state["runs_flash"] = message
    st.rerun()


if table.empty:
    if dims == "all":
        st.info(_("No run is saved yet; fit a model on the Models page and use “Save as run”."))
    else:
        st.info(_("No run is saved for {dimension} yet; fit a model on the Models page and use “Save as run”.")
                .format(dimension=_(DIMENSIONS[dims])))
else:
    shown = table.assign(created=pd.to_datetime(table["created"], utc=True).dt.strftime("%Y-%m-%d %H:%M"),
                         state=table["stale"].map({True: _("stale"), False: _("current")}),
                         dimension=[_(DIMENSIONS.get(d, d)) for d in table["dimension"]],
                         n=[f"{int(v):,}" if pd.notna(v) else "—" for v in table["n"]])
    shown["formula"] = [_("{formula} | zero: {zero}").format(formula=f, zero=z) if isinstance(z, str) and z else f
                        for f, z in zip(shown["formula"], shown["zero_formula"])]
    st.dataframe(shown[list(COLUMNS)].rename(columns={k: _(v) for k, v in COLUMNS.items()}), hide_index=True,
                 width="stretch",
                 on_select="ignore")
    for row in table[table["stale"]].itertuples(index=False):
        st.warning(row.status, icon=":material/history:")

    names = table["name"].tolist()
    if editable:
        st.subheader(_("Change a run"))
        pick = st.selectbox(_("Run"), names, key="runs_pick")
        rename_tab, refit_tab, delete_tab = st.tabs([_("Rename"), _("Refit"), _("Delete")])
        with rename_tab:
            with st.form(key="runs_rename"):
                new = st.text_input(_("New name"), max_chars=200)
                if st.form_submit_button(_("Rename")):
                    info = state.write(runs.rename_run, pick, new, by=state.coder())
                    if info is not None:
                        done(_("Renamed “{old}” to “{new}”.").format(old=pick, new=info.name))
        with refit_tab:
            st.caption(_("Fit the run's specification and settings again on the project's current data."))
            with st.form(key="runs_refit"):
                target = st.text_input(_("Save the refit as"), value=_("{run} (refit)").format(run=pick),
                                       max_chars=200)
                replace = st.checkbox(_("Replace this run instead (it stays restorable by undo)"))
                if st.form_submit_button(_("Refit")):
                    with st.spinner(_("Refitting “{run}”…").format(run=pick)):
                        info = state.write(runs.refit_run, pick, new_name=None if replace else target,
                                           by=state.coder())
                    if info is not None:
                        done(_("Refitted “{old}” as “{new}”.").format(old=pick, new=info.name))
        with delete_tab:
            if st.button(_("Delete “{run}”").format(run=pick), key="runs_delete", type="secondary"):
                if state.write(runs.delete_run, pick, by=state.coder()) is not None:
                    done(_("Deleted the run “{run}”. Undo in the sidebar or Restore below.").format(run=pick))
    else:
        st.caption(_("A {role} may read and compare runs but not change them.").format(
            role=_(state.role_label())))  # owner/coder/viewer: marked on the Users page

    st.subheader(_("Compare runs"))
    chosen = st.multiselect(_("Runs side by side (2–3)"), names, default=names[:2] if len(names) >= 2 else names,
                            max_selections=3, key="runs_compare")
    if len(chosen) >= 2:
        long = state.attempt(state.read, runs.compare_runs, chosen)
        if isinstance(long, pd.DataFrame):
            st.caption(_("estimate (SE), each run under its own SE type; * p < 0.05, ** p < 0.01, *** p < 0.001"))
            wide = compare_wide(long).rename(index={"SE type": _("SE type")})
            wide.index.name = _("term")
            st.dataframe(wide, width="stretch")
            heads = {c: _(COMPARED.get(c, c)) for c in long.columns}
            tidy = long.assign(p=long["p"].map(format_p),
                               dimension=[_(DIMENSIONS.get(d, d)) for d in long["dimension"]]).rename(columns=heads)
            with st.expander(_("Every estimate with p and 95% interval")):
                st.dataframe(tidy.style.format({heads[c]: "{:.4f}" for c in ("estimate", "se", "ci_low", "ci_high")}),
                             hide_index=True, width="stretch")
            export = pd.DataFrame(compare_records(long))
            d1, d2, _rest = st.columns([1, 1, 3])
            d1.download_button(_("Download CSV"), to_csv_bytes(export), "runs-compared.csv", "text/csv",
                               key="runs_csv", on_click="ignore")
            d2.download_button(_("Download XLSX"), to_xlsx_bytes(export, sheet="runs compared"), "runs-compared.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key="runs_xlsx", on_click="ignore")
    else:
        st.caption(_("Choose two or three runs."))

deleted = state.attempt(state.read, runs.deleted_runs)
if isinstance(deleted, pd.DataFrame) and not deleted.empty:
    st.subheader(_("Deleted runs"))
    if dims != "all":
        deleted = deleted[deleted["dimension"] == dims]
    if deleted.empty:
        st.caption(_("No deleted {dimension} run.").format(dimension=_(DIMENSIONS[dims])))
    elif editable:
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        back = c1.selectbox(_("Deleted run"), deleted["name"].tolist(), key="runs_restore_pick")
        if c2.button(_("Restore"), key="runs_restore"):
            info = state.write(runs.restore_run, back, by=state.coder())
            if info is not None:
                done(_("Restored the run “{run}”.").format(run=info.name))
    else:
        st.dataframe(deleted[["name", "dimension"]].assign(dimension=[_(DIMENSIONS.get(d, d)) for d in
                                                                      deleted["dimension"]])
                     .rename(columns={"name": _("run"), "dimension": _("dimension")}), hide_index=True)
