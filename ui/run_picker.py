"""Choosing a saved run on a page (Joint display, Cases, Report, …): one shared widget.

:func:`pick_run` shows a selectbox of one dimension's runs (newest first, the latest by
default), says when the project's data changed since the chosen run was fitted (with a button to
refit it as a NEW run — never silently), and, when the dimension has no run yet, offers to fit
the default model and save it. :func:`pick_runs` does the same for every dimension that has a
run. Viewers (team mode) see no save or refit buttons.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from quant.runs import saved as runs
from i18n import N_, _
from quant.models.results import DIMENSIONS
from ui import state

__all__ = ["pick_run", "pick_runs", "run_label", "default_run_name", "DIMENSION_LABELS", "dimension_label"]

#: The three dimensions as shown (translate with ``dimension_label``); the values stay the keys.
DIMENSION_LABELS = {"breadth": N_("breadth"), "connection": N_("connection"), "degree": N_("degree")}


def dimension_label(dimension: str) -> str:
    """A dimension's name in the interface language (the key itself when unknown)."""
    return _(DIMENSION_LABELS[dimension]) if dimension in DIMENSION_LABELS else str(dimension)


def run_label(row) -> str:
    """``"name · model · n · created"`` for one row of ``runs.list_runs``."""
    created = pd.Timestamp(row["created"])
    when = created.tz_convert("UTC") if created.tzinfo else created
    return f"{row['name']} · {row['model']} · n = {int(row['n']):,} · {when:%Y-%m-%d %H:%M}"


def default_run_name(dimension: str, what: str = "default", now: datetime | None = None) -> str:
    """A new run's suggested name, e.g. ``"connection default 2026-12-03 05:30"`` (UTC)."""
    now = now or datetime.now(timezone.utc)
    return f"{dimension} {what} {now:%Y-%m-%d %H:%M}"


def _unique(name: str, taken) -> str:
    taken = set(taken)
    if name not in taken:
        return name
    i = 2
    while f"{name} ({i})" in taken:
        i += 1
    return f"{name} ({i})"


def _all_names(session) -> list[str]:
    names = runs.list_runs(session)["name"].tolist()
    return names + runs.deleted_runs(session)["name"].tolist()


def _fit_default(dimension: str, key: str) -> None:
    names = state.attempt(state.read, _all_names) or []
    name = _unique(default_run_name(dimension), names if isinstance(names, list) else [])
    with st.spinner(_("Fitting the default {dimension} model…").format(dimension=dimension_label(dimension))):
        saved = state.write(runs.fit_and_save, name, dimension, by=state.coder())
    if saved is not None:
        st.session_state[f"{key}__next"] = saved[0].name
        st.session_state[f"{key}__flash"] = _("Saved the default {dimension} model as the run “{name}”.").format(
            dimension=dimension_label(dimension), name=saved[0].name)
        st.rerun()


def _refit(name: str, dimension: str, key: str) -> None:
    names = state.attempt(state.read, _all_names) or []
    new = _unique(default_run_name(dimension, "refit"), names if isinstance(names, list) else [])
    with st.spinner(_("Refitting “{name}” on the current data…").format(name=name)):
        info = state.write(runs.refit_run, name, new_name=new, by=state.coder())
    if info is not None:
        st.session_state[f"{key}__next"] = info.name
        st.session_state[f"{key}__flash"] = _("Refitted “{name}” as the new run “{new}”.").format(
            name=name, new=info.name)
        st.rerun()


@st.cache_data(show_spinner=False, max_entries=16)
def _load(project: str, run_id: int, name: str, fingerprint: str, created: str):
    """A run read back, cached: what a run stores under its id never changes (name, fingerprint and
    time are part of the key: a rename changes the name, a rebuilt project reuses ids)."""
    return state.read(runs.load_run, run_id)


def _models_link(box) -> None:
    try:
        box.page_link(page="ui/models.py", label=_("Specify and save a model on the Models page"),
                      icon=":material/functions:")
    except Exception:  # a page shown outside the workbench's navigation (tests, embedding)
        box.caption(_("Specify and save a model on the Models page."))


def pick_run(dimension: str, *, key: str, container=None):
    """Let the researcher choose one saved run of ``dimension``.

    Parameters
    ----------
    dimension : str
        ``"breadth"``, ``"connection"`` or ``"degree"``.
    key : str
        Widget key, unique on the page (the chosen run's name is kept under it).
    container : streamlit container, optional
        Where to draw (default: the page body).

    Returns
    -------
    quant.runs.saved.Run or None
        The chosen run (estimates and units read back, nothing refitted), or None when the
        dimension has no run yet or reading failed (a message is shown then).
    """
    box = container or st
    flash = st.session_state.pop(f"{key}__flash", None)
    if flash:
        box.success(flash)
    table = state.attempt(state.read, runs.list_runs, dimension)
    if not isinstance(table, pd.DataFrame):
        return None
    if table.empty:
        box.info(_("No {dimension} run is saved yet: joint displays, cases and reports read saved runs, "
                   "never a fit made on the fly.").format(dimension=dimension_label(dimension)))
        if state.can("fit"):
            if box.button(_("Fit the default model and save it as a run"), key=f"{key}__default"):
                _fit_default(dimension, key)
        _models_link(box)
        return None
    names = table["name"].tolist()
    labels = {row["name"]: run_label(row) for _i, row in table.iterrows()}
    chosen = st.session_state.pop(f"{key}__next", None)
    if chosen in names:
        st.session_state[key] = chosen
    elif st.session_state.get(key) not in names:
        st.session_state[key] = names[0]
    name = box.selectbox(_("Run ({dimension})").format(dimension=dimension_label(dimension)), names, key=key,
                         format_func=labels.get,
                         help=_("Saved runs of this dimension, newest first (Models page: fit and save; "
                                "Runs page: rename, compare, delete)."))
    status = state.attempt(state.read, runs.run_status, name)
    if isinstance(status, dict) and status["stale"]:
        box.warning(status["message"], icon=":material/history:")
        if state.can("fit"):
            if box.button(_("Refit as a new run"), key=f"{key}__refit",
                          help=_("Fit the same specification on the current data and save it under a new "
                                 "name; this run stays as it is.")):
                _refit(name, dimension, key)
    row = table.loc[table["name"] == name].iloc[0]
    run = state.attempt(_load, state.project_path(), int(row["id"]), name, str(row["fingerprint"]),
                        str(row["created"]))
    return run if isinstance(run, runs.Run) else None


def pick_runs(key: str, dimensions=DIMENSIONS) -> dict:
    """One run per dimension that has runs (a selectbox each, in columns).

    Returns ``{dimension: quant.runs.saved.Run}`` for the dimensions with a run chosen; a dimension
    without runs shows nothing here (the Models page or :func:`pick_run` saves one).
    """
    latest = state.attempt(state.read, runs.latest_runs)
    if not isinstance(latest, dict):
        return {}
    dims = [d for d in dimensions if d in latest]
    if not dims:
        st.info(_("No run is saved yet; fit a model and save it as a run on the Models page."))
        _models_link(st)
        return {}
    out = {}
    for col, dim in zip(st.columns(len(dims)), dims):
        run = pick_run(dim, key=f"{key}__{dim}", container=col)
        if run is not None:
            out[dim] = run
    return out
