"""Runs page: the saved analyses (fits kept in the project) with whether the data changed since
each was fitted; rename, delete (undoable), restore, refit, and compare 2–3 runs side by side with
CSV/XLSX downloads. Thin: every number comes from ``quant.runs`` and ``quant.run_compare``."""
import pandas as pd
import streamlit as st

from coding.spreadsheet import to_csv_bytes, to_xlsx_bytes
from quant import runs
from quant.run_compare import compare_records, compare_wide, format_p
from ui import state

COLUMNS = {"name": "run", "state": "status", "dimension": "dimension", "model": "model", "se_type": "SE type",
           "n": "n", "created": "created (UTC)", "created_by": "by", "formula": "formula"}

st.title("Runs")
st.caption("A run is a fit saved in the project: its estimates, every covariance, the per-unit fit and a "
           "fingerprint of the data. The Joint display, Cases and Report pages read runs and never refit "
           "silently; save one on the Models page (or `python cli.py fit … --save NAME`).")

flash = st.session_state.pop("runs_flash", None)
if flash:
    st.success(flash)

dims = st.segmented_control("Dimension", ["all", "breadth", "connection", "degree"], default="all",
                            key="runs_dimension", required=True) or "all"
table = state.attempt(state.read, runs.list_runs, None if dims == "all" else dims, with_status=True)
if not isinstance(table, pd.DataFrame):
    st.stop()
editable = state.can("fit")


def done(message: str) -> None:
    st.session_state["runs_flash"] = message
    st.rerun()


if table.empty:
    st.info("No run is saved" + ("" if dims == "all" else f" for {dims}") + " yet; fit a model on the Models page "
            "and use “Save as run”.")
else:
    shown = table.assign(created=pd.to_datetime(table["created"], utc=True).dt.strftime("%Y-%m-%d %H:%M"),
                         state=table["stale"].map({True: "stale", False: "current"}),
                         n=[f"{int(v):,}" if pd.notna(v) else "—" for v in table["n"]])
    shown["formula"] = [f + (f" | zero: {z}" if isinstance(z, str) and z else "")
                        for f, z in zip(shown["formula"], shown["zero_formula"])]
    st.dataframe(shown[list(COLUMNS)].rename(columns=COLUMNS), hide_index=True, width="stretch",
                 on_select="ignore")
    for row in table[table["stale"]].itertuples(index=False):
        st.warning(row.status, icon=":material/history:")

    names = table["name"].tolist()
    if editable:
        st.subheader("Change a run")
        pick = st.selectbox("Run", names, key="runs_pick")
        rename_tab, refit_tab, delete_tab = st.tabs(["Rename", "Refit", "Delete"])
        with rename_tab:
            with st.form("runs_rename"):
                new = st.text_input("New name", max_chars=200)
                if st.form_submit_button("Rename"):
                    info = state.write(runs.rename_run, pick, new, by=state.coder())
                    if info is not None:
                        done(f"Renamed “{pick}” to “{info.name}”.")
        with refit_tab:
            st.caption("Fit the run's specification and settings again on the project's current data.")
            with st.form("runs_refit"):
                target = st.text_input("Save the refit as", value=f"{pick} (refit)", max_chars=200)
                replace = st.checkbox("Replace this run instead (it stays restorable by undo)")
                if st.form_submit_button("Refit"):
                    with st.spinner(f"Refitting “{pick}”…"):
                        info = state.write(runs.refit_run, pick, new_name=None if replace else target,
                                           by=state.coder())
                    if info is not None:
                        done(f"Refitted “{pick}” as “{info.name}”.")
        with delete_tab:
            if st.button(f"Delete “{pick}”", key="runs_delete", type="secondary"):
                if state.write(runs.delete_run, pick, by=state.coder()) is not None:
                    done(f"Deleted the run “{pick}”. Undo in the sidebar or Restore below.")
    else:
        st.caption(f"A {state.role_label()} may read and compare runs but not change them.")

    st.subheader("Compare runs")
    chosen = st.multiselect("Runs side by side (2–3)", names, default=names[:2] if len(names) >= 2 else names,
                            max_selections=3, key="runs_compare")
    if len(chosen) >= 2:
        long = state.attempt(state.read, runs.compare_runs, chosen)
        if isinstance(long, pd.DataFrame):
            st.caption("estimate (SE), each run under its own SE type; * p < 0.05, ** p < 0.01, *** p < 0.001")
            st.dataframe(compare_wide(long), width="stretch")
            tidy = long.assign(p=long["p"].map(format_p))
            with st.expander("Every estimate with p and 95% interval"):
                st.dataframe(tidy.style.format({c: "{:.4f}" for c in ("estimate", "se", "ci_low", "ci_high")}),
                             hide_index=True, width="stretch")
            export = pd.DataFrame(compare_records(long))
            d1, d2, _ = st.columns([1, 1, 3])
            d1.download_button("Download CSV", to_csv_bytes(export), "runs-compared.csv", "text/csv",
                               key="runs_csv", on_click="ignore")
            d2.download_button("Download XLSX", to_xlsx_bytes(export, sheet="runs compared"), "runs-compared.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key="runs_xlsx", on_click="ignore")
    else:
        st.caption("Choose two or three runs.")

deleted = state.attempt(state.read, runs.deleted_runs)
if isinstance(deleted, pd.DataFrame) and not deleted.empty:
    st.subheader("Deleted runs")
    if dims != "all":
        deleted = deleted[deleted["dimension"] == dims]
    if deleted.empty:
        st.caption(f"No deleted {dims} run.")
    elif editable:
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        back = c1.selectbox("Deleted run", deleted["name"].tolist(), key="runs_restore_pick")
        if c2.button("Restore", key="runs_restore"):
            info = state.write(runs.restore_run, back, by=state.coder())
            if info is not None:
                done(f"Restored the run “{info.name}”.")
    else:
        st.dataframe(deleted[["name", "dimension"]], hide_index=True)
