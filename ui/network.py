"""Network page: the collaboration network of the project's data or of a saved run (node size =
breadth, edge width = degree), geographic or force layout; click a city to read its coded passages;
PNG/SVG downloads. Library: ``report.charts.network``."""
import streamlit as st

from i18n import N_, _
from quant.data import project as qdata
from report.charts import network
from ui import chart_panels, state
from ui.run_picker import dimension_label, pick_run

#: Labels of network.LAYOUTS keys (the English text is the library's).
LAYOUT_LABELS = {"geo": N_("地理位置 geographic (lon/lat)"), "spring": N_("力导向 force-directed")}
RUN_DIMENSIONS = ("connection", "degree")
SOURCES = {"project data": N_("project data"), "a saved run": N_("a saved run")}

st.title(_("Network"))
st.caption(_("Cities sized by breadth (number of partners in the network drawn), ties as wide as their degree "
             "(service items). Click a city to read its coded passages."))
state.simulated_banner()

source = st.radio(_("Network of"), list(SOURCES), format_func=lambda v: _(SOURCES[v]), horizontal=True,
                  key="net_source")
c1, c2 = st.columns(2)
layout = c1.selectbox(_("Layout"), list(network.LAYOUTS),
                      format_func=lambda k: _(LAYOUT_LABELS[k]) if k in LAYOUT_LABELS else network.LAYOUTS[k],
                      key="net_layout")
seed = c2.number_input(_("Layout seed"), min_value=0, max_value=10_000, value=1, step=1, key="net_seed",
                       disabled=layout != "spring")
run = None
if source == "a saved run":
    dimension = st.selectbox(_("Dimension"), list(RUN_DIMENSIONS), format_func=dimension_label,
                             key="net_dimension")
    run = pick_run(dimension, key="net_run")
    if run is None:
        st.stop()
choice = (None if run is None else (run.info.id, run.info.fingerprint), layout, int(seed))
if run is not None:
    edges = chart_panels.cached_read("net_edges", choice, lambda _s: network.edges_from_run(run))
else:
    edges = chart_panels.cached_read("net_edges", choice, network.edges_from_outcome)
cities = chart_panels.cached_read("net_cities", (), qdata.city_frame)
if edges is None or cities is None:
    st.stop()
tables = chart_panels.kept("net_tables", choice, lambda: state.attempt(
    network.network_tables, cities, edges, layout=layout, seed=int(seed)))
if tables is None:
    st.stop()
st.caption(_("{cities} cities with ties · {ties} ties").format(cities=int((tables.nodes["breadth"] > 0).sum()),
                                                               ties=len(tables.edges)))
chart = chart_panels.kept("net_chart_obj", choice, lambda: network.network_chart(tables))
event = st.altair_chart(chart, on_select="rerun", key="net_chart")
chart_panels.show_selection(event, chart_panels.evidence_index())
chart_panels.downloads(chart, "tandem-network", key="net", stamp=choice)
