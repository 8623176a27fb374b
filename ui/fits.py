"""The Models page's fit of each dimension, kept for this browser tab until it is saved as a run.

Other pages read saved runs (:mod:`ui.run_picker`), never a fit kept here: :func:`current`
no longer fits anything by itself. :func:`save_as_run` stores the fit on screen, with the data it
was fitted on, as a run (``quant.runs.saved.save_run``).
"""
from __future__ import annotations

import streamlit as st

from i18n import _
from quant.runs.analysis import model_data
from quant.runs.analysis_fit import fit_with_options
from quant.runs.saved import DATA_OPTIONS, FIT_OPTIONS, save_run
from ui import state

_FIT, _DATA, _OPTS = "fit_{}", "fit_data_{}", "fit_opts_{}"  # all cleared by state.open_project


def _dimension(dimension: str) -> str:
    from ui.run_picker import dimension_label

    return dimension_label(dimension)


def _fit(session, dimension: str, model=None, formula=None, zero_formula=None, directed=False, offset=None,
         exposure=None, **options):
    md = model_data(session, dimension, model=model, formula=formula, zero_formula=zero_formula,
                    directed=bool(directed), offset=offset or None, exposure=exposure or None)
    return md, fit_with_options(md, options)


def fit(dimension: str, **spec):
    """Fit ``dimension`` on the open project and keep the result (with its data and options for
    :func:`save_as_run`); ``None`` (with a message) on failure.

    ``spec``: ``model``, ``formula``, ``zero_formula``, the data options ``directed``, ``offset``,
    ``exposure`` and the fit options of ``quant.runs.saved.FIT_OPTIONS`` (``min_events`` among them).
    """
    out = state.attempt(state.read, _fit, dimension, **spec)
    if out is not None:
        md, result = out
        st.session_state[_FIT.format(dimension)] = result
        st.session_state[_DATA.format(dimension)] = md
        st.session_state[_OPTS.format(dimension)] = {k: v for k, v in spec.items()
                                                    if k in FIT_OPTIONS + DATA_OPTIONS}
        return result
    for key in (_FIT, _DATA, _OPTS):  # never leave an older fit on screen under a failed specification
        st.session_state.pop(key.format(dimension), None)
    return None


def current(dimension: str, *, fit_default: bool = True):
    """The fit kept for ``dimension`` on the Models page, or None.

    Nothing is fitted here (``fit_default`` is kept for old callers and ignored): pages other
    than Models choose a saved run with ``ui.run_picker.pick_run``. With ``fit_default`` a
    page without a fit says so.
    """
    result = st.session_state.get(_FIT.format(dimension))
    if result is None and fit_default:
        st.info(_("No {dimension} model is fitted in this tab; fit one on the Models page and save it as a run.").format(
            dimension=_dimension(dimension)))
    return result


def save_as_run(dimension: str, name: str, *, replace: bool = False, spec_name: str | None = None):
    """Save the fit kept for ``dimension`` as run ``name`` (by the current coder).

    Returns the ``quant.runs.saved.RunInfo`` or None (a message is shown: no fit, bad or taken name,
    a viewer in team mode).
    """
    result = st.session_state.get(_FIT.format(dimension))
    md = st.session_state.get(_DATA.format(dimension))
    if result is None or md is None:
        st.error(_("Fit the {dimension} model first, then save it as a run.").format(dimension=_dimension(dimension)))
        return None
    settings = dict(st.session_state.get(_OPTS.format(dimension)) or {})
    if spec_name:
        settings["spec"] = spec_name
    info = state.write(save_run, name, result, md, settings=settings, by=state.coder(), replace=replace)
    return info if info is not None and info is not True else None


def kept_data(dimension: str, result):
    """The ``ModelData`` the kept fit of ``dimension`` was made on, if ``result`` is that fit."""
    if st.session_state.get(_FIT.format(dimension)) is result:
        return st.session_state.get(_DATA.format(dimension))
    return None
