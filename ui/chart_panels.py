"""Pieces shared by the Map and Network pages: the evidence index (read once per data
revision), the coded passages of a clicked city or pair, and PNG/SVG downloads of a chart."""
from __future__ import annotations

import streamlit as st

from i18n import _
from mixed.evidence import EvidenceIndex
from report.charts import export
from ui import state

__all__ = ["evidence_index", "cached_read", "kept", "selected", "show_selection", "downloads"]

MAX_SHOWN = 30


def md(text) -> str:
    """User text made literal for st.markdown."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|~<>$:" else ch for ch in str(text))


def evidence_index() -> EvidenceIndex | None:
    """Every coding indexed by city and pair, rebuilt when the project's data changed."""
    key = ("chart_evidence", state.project_path(), state.revision())
    cached = st.session_state.get("chart_evidence")
    if cached is not None and cached[0] == key:
        return cached[1]
    index = state.attempt(state.read, EvidenceIndex.from_session)
    if index is not None:
        st.session_state["chart_evidence"] = (key, index)
    return index


def cached_read(slot: str, key: tuple, func, *args, **kwargs):
    """``state.read(func, *args, **kwargs)`` shown through ``state.attempt``, kept in the session
    until the project, its data revision or ``key`` (what names the arguments) changes."""
    full = (state.project_path(), state.revision(), key)
    cached = st.session_state.get(slot)
    if cached is not None and cached[0] == full:
        return cached[1]
    value = state.attempt(state.read, func, *args, **kwargs)
    if value is not None:
        st.session_state[slot] = (full, value)
    return value


def selected(event, name: str, field: str) -> list[str]:
    """Values of ``field`` in the point selection ``name`` of an ``st.altair_chart`` event."""
    if not event:
        return []
    sel = event.get("selection", {}) if isinstance(event, dict) else getattr(event, "selection", {})
    items = sel.get(name) if isinstance(sel, dict) else getattr(sel, name, None)
    return [str(i[field]) for i in (items or []) if isinstance(i, dict) and field in i]


def _passages(index: EvidenceIndex, ids: list[int], heading: str) -> None:
    st.markdown(_("**{heading}** · {n} coded passage(s)").format(heading=md(heading), n=len(ids)))
    for rec in index.records(ids, max_n=MAX_SHOWN):
        with st.container(border=True):
            st.markdown(f"**{md(rec['code'])}** · {md(rec['cite'])} · {md(rec['coder'])}")
            st.text(rec["quote"])
    if len(ids) > MAX_SHOWN:
        st.caption(_("The first {shown} of {n} are shown; the Retrieve page lists them all.").format(
            shown=MAX_SHOWN, n=len(ids)))


def show_selection(event, index: EvidenceIndex | None) -> None:
    """The coded passages of the clicked city (direct, then via its pairs) or pair."""
    if index is None:
        return
    for code in selected(event, "city", "code"):
        direct, via = index.city(code)
        name = index.names.get(code, code)
        _passages(index, direct, _("{city}: passages linked to the city").format(city=name))
        if via:
            _passages(index, via, _("{city}: passages linked to its pairs").format(city=name))
    for key in selected(event, "pair", "pair"):
        a, _sep, b = key.partition("-")
        label = f"{index.names.get(a, a)} – {index.names.get(b, b)}"
        _passages(index, index.dyad(a, b), label)


def kept(slot: str, key: tuple, make):
    """``make()`` kept in the session while the project, its data revision and ``key`` stay the same
    (building and validating a large chart spec takes about a second; a rerun need not repeat it)."""
    full = (state.project_path(), state.revision(), key)
    cached = st.session_state.get(slot)
    if cached is not None and cached[0] == full:
        return cached[1]
    value = make()
    st.session_state[slot] = (full, value)
    return value


def downloads(chart, stem: str, key: str, *, stamp=None) -> None:
    """A button that renders the chart (offline, vl-convert), then PNG and SVG download buttons.

    ``stamp`` names the chart's content (e.g. the page's choices); without it the spec is built on
    every rerun to tell whether prepared files still match."""
    slot = f"{key}__files"
    stamp = hash(str(export.chart_spec(chart))) if stamp is None else hash((state.revision(), stamp))
    c1, c2, c3 = st.columns(3)
    if c1.button(_("Prepare PNG and SVG"), key=f"{key}__render"):
        spec = export.chart_spec(chart)
        with st.spinner(_("Drawing the figure…")):
            png = state.attempt(export.to_png, spec, scale=2)
            svg = state.attempt(export.to_svg, spec)
        if png is not None and svg is not None:
            st.session_state[slot] = (stamp, png, svg)
    files = st.session_state.get(slot)
    if files and files[0] == stamp:
        c2.download_button(_("Download PNG"), files[1], file_name=f"{stem}.png", mime="image/png", key=f"{key}__png")
        c3.download_button(_("Download SVG"), files[2].encode("utf-8"), file_name=f"{stem}.svg", mime="image/svg+xml",
                           key=f"{key}__svg")
