"""Fitted models kept for the session (plain FitResult objects, keyed by dimension)."""
from __future__ import annotations

import streamlit as st

from quant.analysis import fit_dimension
from ui import state


def fit(dimension: str, **spec):
    """Fit ``dimension`` on the open project and keep the result; ``None`` (with a message) on failure."""
    result = state.attempt(state.read, fit_dimension, dimension, **spec)
    if result is not None:
        st.session_state[f"fit_{dimension}"] = result
    else:  # never leave an older fit on screen under a failed specification
        st.session_state.pop(f"fit_{dimension}", None)
    return result


def current(dimension: str, *, fit_default: bool = True):
    """The result kept for ``dimension``; fit the default specification if there is none yet."""
    result = st.session_state.get(f"fit_{dimension}")
    if result is None and fit_default:
        with st.spinner(f"Fitting the default {dimension} model…"):
            result = fit(dimension)
    return result
