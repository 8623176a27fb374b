"""Map page: city polygons and pairs (ties, deviant pairs of a run, pairs with coded passages),
coloured by tie, degree, Pearson residual or coded-passage count; click a city or a pair to read
its coded passages; PNG/SVG downloads; load a boundary file. Library: ``report.charts.map``,
``quant.data.boundaries``, ``mixed.evidence``."""
import tempfile
from pathlib import Path

import streamlit as st

from i18n import N_, _
from quant.data import project as qdata
from quant.data.boundaries import load_boundaries, save_shared_border
from report.charts import map as cmap
from ui import chart_panels, state
from ui.run_picker import dimension_label, pick_run

#: Labels of cmap.PAIR_SETS / cmap.PAIR_COLOURS keys (the English text is the library's).
PAIR_SET_LABELS = {
    "ties": N_("合作的城市对 collaborating pairs"),
    "deviant": N_("偏离个案 deviant pairs (|Pearson| > c)"),
    "evidence": N_("有编码证据的城市对 pairs with coded passages"),
    "all": N_("全部城市对 all pairs"),
}
PAIR_COLOUR_LABELS = {
    "tie": N_("合作 / 未合作 tie"),
    "degree": N_("合作深度 degree"),
    "pearson": N_("Pearson 残差 residual"),
    "evidence": N_("编码片段数 coded passages"),
}
RUN_DIMENSIONS = ("connection", "degree", "breadth")
SOURCES = {"project data": N_("project data"), "a saved run": N_("a saved run")}


def _label(table: dict, fallback: dict, key: str) -> str:
    return _(table[key]) if key in table else str(fallback.get(key, key))


st.title(_("Map"))
st.caption(_("Cities drawn from their stored boundaries (no map tiles, nothing fetched from the internet); pairs "
             "as lines between city centroids. Click a city or a line to read its coded passages."))
state.simulated_banner()

with st.expander(_("Load city boundaries (GeoJSON, CSV with WKT, or .wkt)")):
    st.caption(_("Each feature or row names a city by adcode or name; polygons in longitude/latitude degrees. "
                 "They are simplified together (shared borders stay shared) and stored with each city."))
    upload = st.file_uploader(_("Boundary file"), type=["geojson", "json", "csv", "wkt", "txt"],
                              key="map_boundary_file")
    if upload is not None and st.button(_("Store these boundaries"), key="map_boundary_store"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            summary = state.write(load_boundaries, path)
        if summary is not None:
            st.success(_("Stored {n} boundaries.").format(n=summary["stored"]))
            if summary["skipped"]:
                st.warning(_("{n} rows named no city of the project: {names}").format(
                    n=len(summary["skipped"]), names=", ".join(summary["skipped"][:10])))
    st.caption(_("Shared border: the two polygons intersect and their outlines share a line of positive length "
                 "(a corner touch does not count). Cities without a boundary get no value."))
    if st.button(_("Store the shared_border dyad covariate from the stored boundaries"), key="map_border_store"):
        n = state.write(save_shared_border)
        if n is not None:
            st.success(_("Stored shared_border for every pair: {n} pairs share a border.").format(n=n))

source = st.radio(_("Pairs from"), list(SOURCES), format_func=lambda v: _(SOURCES[v]), horizontal=True,
                  key="map_source")
run = None
if source == "a saved run":
    dimension = st.selectbox(_("Dimension"), list(RUN_DIMENSIONS),
                             format_func=dimension_label, key="map_dimension")
    run = pick_run(dimension, key="map_run")
    if run is None:
        st.stop()
cities = state.attempt(state.read, qdata.city_frame)
if cities is None:
    st.stop()
c1, c2, c3 = st.columns(3)
pair_sets = list(cmap.PAIR_SETS) if run is not None and run.info.dimension != "breadth" else ["ties", "evidence"]
pairs = c1.selectbox(_("Pairs drawn"), pair_sets, format_func=lambda k: _label(PAIR_SET_LABELS, cmap.PAIR_SETS, k),
                     key="map_pairs")
colours = list(cmap.PAIR_COLOURS) if run is not None and run.info.dimension != "breadth" else ["tie", "degree", "evidence"]
colour = c2.selectbox(_("Colour pairs by"), colours,
                      format_func=lambda k: _label(PAIR_COLOUR_LABELS, cmap.PAIR_COLOURS, k), key="map_colour")
c = c3.number_input(_("Deviant cut-off c (|Pearson| > c)"), min_value=0.1, max_value=20.0, value=2.0, step=0.5,
                    key="map_c", disabled=pairs != "deviant")
f1, f2 = st.columns(2)
provinces = f1.multiselect(_("Provinces"), sorted(cities["province"].dropna().unique()), key="map_provinces")
strategies = cmap.strategy_columns(cities)
strategy = f2.selectbox(_("Only members of"), ["", *strategies], format_func=lambda s: s or _("— all cities —"),
                        key="map_strategy")

index = chart_panels.evidence_index()
run_key = None if run is None else (run.info.id, run.info.fingerprint)
choice = (run_key, colour, pairs, tuple(provinces), strategy, float(c))
tables = chart_panels.cached_read("map_tables", choice, cmap.map_data, run=run, colour=colour, pairs=pairs,
                                  provinces=provinces or None, strategy=strategy or None, c=float(c), index=index)
if tables is None:
    st.stop()
st.caption(_("{cities} cities · {pairs} pairs").format(cities=len(tables.polygons), pairs=len(tables.pairs)))
chart = chart_panels.kept("map_chart_obj", choice, lambda: cmap.city_map(tables, title=""))
event = st.altair_chart(chart, on_select="rerun", key="map_chart")
chart_panels.show_selection(event, index)
chart_panels.downloads(chart, "tandem-map", key="map", stamp=choice)
