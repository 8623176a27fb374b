"""Cities & dyads page: load city and dyad tables, build all dyads, look at the data."""
import altair as alt
import streamlit as st

from i18n import N_, _
from quant.data import project as qdata
from quant.data.cities import read_table
from quant.data.loading import build_all_dyads, load_cities, load_dyads
from ui import state

st.title(_("Cities & dyads"))

#: Rules for duplicate pairs in a dyad table: value passed to load_dyads -> label.
AGGREGATES = {"refuse": N_("refuse"), "sum": N_("sum"), "max": N_("max"), "mean": N_("mean"), "first": N_("first")}
#: Dyad constructions from a city variable: operation -> label (the operation names are the library's).
OPERATIONS = {"sum": N_("sum"), "absdiff": N_("absdiff"), "min": N_("min"), "max": N_("max"),
              "product": N_("product"), "same": N_("same"), "both": N_("both")}


@st.cache_data(max_entries=4, show_spinner=False)
def _frames(project: str, revision: int):
    """The city and dyad tables, read once per project and data revision (the dyads take about 1 s)."""
    return state.read(qdata.city_frame), state.read(qdata.dyad_frame)


cities, dyads = _frames(state.project_path(), state.revision())
c1, c2, c3 = st.columns(3)
c1.metric(_("Cities"), f"{len(cities):,}")
c2.metric(_("Dyads"), f"{len(dyads):,}")
if "connection" in dyads.columns:
    c3.metric(_("Collaborating dyads"), f"{int(dyads['connection'].fillna(0).sum()):,}")

state.simulated_banner()
tab_cities, tab_dyads, tab_load, tab_build, tab_places = st.tabs(
    [_("Cities"), _("Dyads"), _("Load tables"), _("Build dyads"), _("Place names")])

with tab_cities:
    if cities.empty:
        st.info(_("No cities yet: load a city table (Load tables)."))
    else:
        shown = cities.drop(columns=[c for c in ("boundary_wkt",) if c in cities.columns])
        if len(shown.columns) < len(cities.columns):
            st.caption(_("City boundaries are stored; see them on the Map page."))
        st.dataframe(shown, hide_index=True, width="stretch")
        if {"lat", "lon"} <= set(cities.columns):
            size = "breadth:Q" if "breadth" in cities.columns else alt.value(40)
            chart = alt.Chart(cities.dropna(subset=["lat", "lon"])).mark_circle(opacity=0.7).encode(
                x=alt.X("lon:Q", scale=alt.Scale(zero=False), title=_("longitude")),
                y=alt.Y("lat:Q", scale=alt.Scale(zero=False), title=_("latitude")),
                color=alt.Color("province:N", legend=alt.Legend(columns=2)) if "province" in cities.columns else alt.value("steelblue"),
                size=size,
                tooltip=[c for c in ("code", "name", "province", "breadth") if c in cities.columns],
            ).properties(height=420)
            st.altair_chart(chart, width="stretch")

with tab_dyads:
    if dyads.empty:
        st.info(_("No dyads yet: load a dyad table or build all dyads from the city table."))
    else:
        names = dict(zip(cities["code"], cities["name"])) if not cities.empty else {}
        view = dyads.assign(name_a=dyads["city_a"].map(names), name_b=dyads["city_b"].map(names))
        front = ["dyad_id", "city_a", "name_a", "city_b", "name_b"]
        view = view[front + [c for c in view.columns if c not in front]]
        only = st.checkbox(_("Only collaborating dyads"), value="connection" in dyads.columns)
        if only and "connection" in view.columns:
            view = view[view["connection"] == 1]
        st.dataframe(view.head(5000), hide_index=True, width="stretch")
        st.caption((_("{n:,} rows (first 5,000 shown)") if len(view) > 5000 else _("{n:,} rows")).format(n=len(view)))

with tab_load:
    if state.can("project"):
        st.markdown(_("**City (node) table** — CSV or XLSX keyed by adcode, by name / short name / pinyin, "
                      "or by any id column for other units."))
        with st.form(key="load_cities"):
            f = st.file_uploader(_("City table"), type=["csv", "xlsx"], key="city_file")
            id_col = st.text_input(_("Id column (optional; for non-city units)"))
            if st.form_submit_button(_("Load cities")) and f is not None:
                table = state.attempt(read_table, f.getvalue(), f.name)
                loaded = None if table is None else state.write(load_cities, table, id_column=id_col.strip() or None)
                if loaded is not None:
                    st.toast(_("Loaded {n} cities from {file}.").format(n=loaded.n, file=f.name))
                    st.rerun()
        st.markdown(_("**Dyad table** — two city columns plus outcomes and covariates; or an agreement-events list "
                      "(parties may be districts or counties; they are folded into prefecture dyads)."))
        with st.form(key="load_dyads"):
            f = st.file_uploader(_("Dyad table"), type=["csv", "xlsx"], key="dyad_file")
            c1, c2, c3 = st.columns(3)
            col_a = c1.text_input(_("First city column"), help=_("Leave empty for an agreement-events list."))
            col_b = c2.text_input(_("Second city column"))
            agg = c3.selectbox(_("Duplicate pairs"), list(AGGREGATES), format_func=lambda v: _(AGGREGATES[v]))
            c4, c5 = st.columns(2)
            outcome = c4.text_input(_("Agreement list: outcome variable"), "connection",  # i18n: data
                                    help=_("1 for the listed pairs, 0 for every other pair of the project's cities."))
            replace = c5.checkbox(_("Replace variables of the same name"), value=False)
            if st.form_submit_button(_("Load dyads")) and f is not None:
                raw = state.attempt(read_table, f.getvalue(), f.name)
                out = None if raw is None else state.write(
                    load_dyads, raw, a=col_a.strip() or None, b=col_b.strip() or None,
                    aggregate=None if agg == "refuse" else agg, outcome=outcome, replace=replace)
                if out is not None:
                    st.session_state["dyads_loaded"] = (out.n, f.name, out.report, out.warnings)
                    st.rerun()
        if "dyads_loaded" in st.session_state:
            n, name, report, notes = st.session_state.pop("dyads_loaded")
            st.success(_("Loaded {n} dyads from {file}.").format(n=n, file=name) if report is None else
                       _("{file}: {n} prefecture dyads with an agreement (1); every other pair 0.").format(n=n, file=name))
            if report is not None and len(report):
                st.caption(_("Rows set aside (not in the study set or not city-level):"))
                st.dataframe(report, hide_index=True)
            for note in notes:
                st.warning(note)
    else:
        st.caption(_("Your role ({role}) may read and export here; loading and changing data is for owners.").format(
            role=state.role_label()))

with tab_build:
    if state.can("link"):
        if cities.empty:
            st.info(_("Load a city table first."))
        else:
            numeric = [c for c in cities.columns if c not in ("code", "lat", "lon")
                       and str(cities[c].dtype) != "object" and cities[c].notna().any()]
            st.caption(_("All {pairs:,} pairs of the {n} cities, with great-circle distance (km) and same province, "
                         "plus the constructions you pick.").format(pairs=len(cities) * (len(cities) - 1) // 2,
                                                                    n=len(cities)))
            ops = {}
            cols = st.columns(4)
            for i, op in enumerate(OPERATIONS):
                chosen = cols[i % 4].multiselect(_(OPERATIONS[op]), numeric, key=f"op_{op}")
                if chosen:
                    ops[op] = chosen
            if st.button(_("Build dyads")):
                out = state.write(build_all_dyads, ops)
                if out is not None:
                    st.toast(_("Built {n:,} dyads.").format(n=out.n))
                    st.session_state["build_warnings"] = out.warnings
                    st.rerun()
            for w in st.session_state.pop("build_warnings", []):
                st.warning(w)
    else:
        st.caption(_("Your role ({role}) may read and export here; loading and changing data is for coders and "
                     "owners.").format(role=state.role_label()))

with tab_places:
    from ui import place_rules

    place_rules.render()
