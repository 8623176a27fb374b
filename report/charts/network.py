"""Collaboration network: cities as nodes sized by breadth, ties as edges as wide as their degree.

Breadth of a node = the number of edges (ties) it has in the network drawn; edge width = degree
(service items of the pair; 1 when unknown). Layout: geographic (x = lon, y = lat of the city
seat) or force-directed (``networkx.spring_layout``, Fruchterman & Reingold 1991, seeded so the
same network gives the same picture).

:func:`network_tables` (pure) builds nodes and edges; :func:`edges_from_run` and
:func:`edges_from_outcome` supply the edges; :func:`network_chart` draws them.
"""
from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from i18n import _
from report.charts.style import inline, styled
from report.errors import ReportError

__all__ = ["LAYOUTS", "NetworkTables", "network_tables", "edges_from_run", "edges_from_outcome", "network_chart"]

LAYOUTS = {"geo": "地理位置 geographic (lon/lat)", "spring": "力导向 force-directed"}


@dataclass
class NetworkTables:
    """nodes: code, name, province, x, y, breadth (int). edges: city_a, city_b, label, degree,
    x, y, x2, y2. layout: "geo" or "spring"."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    layout: str


def edges_from_run(run) -> pd.DataFrame:
    """Edges of a saved dyad run: its units with y > 0; degree = y for a degree run, else NaN.

    Raises
    ------
    ReportError
        The run is a breadth run (cities, no pairs).
    """
    if run.info.dimension == "breadth":
        raise ReportError(_("Run {name} models cities (breadth); draw the network of a connection or degree run, or "
                            "of the outcome.")
                          .format(name=run.info.name))
    u = run.result.units
    e = u.loc[u["y"] > 0, ["city_a", "city_b", "y"]].copy()
    e["degree"] = e["y"].astype(float) if run.info.dimension == "degree" else np.nan
    return e[["city_a", "city_b", "degree"]].astype({"city_a": str, "city_b": str}).reset_index(drop=True)


def edges_from_outcome(session, outcome: str = "connection", degree: str | None = "degree") -> pd.DataFrame:
    """Edges from the project's dyad data: pairs with ``outcome`` > 0, degree from ``degree``.

    Raises
    ------
    ReportError
        ``outcome`` is not a dyad variable of the project.
    """
    from quant.data import project as qdata

    try:
        d = qdata.dyad_frame(session, columns=[outcome])
    except ValueError:
        raise ReportError(_("The project has no dyad variable {outcome!r}.").format(outcome=outcome)) from None
    if degree and degree != outcome:
        try:
            d = d.merge(qdata.dyad_frame(session, columns=[degree])[["city_a", "city_b", degree]],
                        on=["city_a", "city_b"], how="left")
        except ValueError:
            d[degree] = np.nan
    e = d.loc[d[outcome] > 0].copy()
    e["degree"] = e[degree].astype(float) if degree else np.nan
    return e[["city_a", "city_b", "degree"]].reset_index(drop=True)


def network_tables(cities: pd.DataFrame, edges: pd.DataFrame, layout: str = "geo", seed: int = 1,
                   isolates: bool | None = None) -> NetworkTables:
    """Nodes and edges with positions.

    Parameters
    ----------
    cities : DataFrame with code, name, province, lon, lat.
    edges : DataFrame with city_a, city_b, degree (NaN allowed: drawn at width 1).
    layout : "geo" or "spring". seed : the spring layout's random seed.
    isolates : keep cities without ties (breadth 0); default: yes for "geo", no for "spring"
        (isolated nodes would push the connected part into the middle of the picture).

    Raises
    ------
    ReportError
        Unknown layout, an edge naming a city not in ``cities``, or a repeated pair.
    """
    if layout not in LAYOUTS:
        raise ReportError(_("The layout can be {names}, not {layout!r}.")
                          .format(names=', '.join(LAYOUTS), layout=layout))
    c = cities.assign(code=cities["code"].astype(str)).set_index("code")
    e = edges.assign(city_a=edges["city_a"].astype(str), city_b=edges["city_b"].astype(str))
    unknown = sorted((set(e["city_a"]) | set(e["city_b"])) - set(c.index))
    if unknown:
        raise ReportError(_("The network names cities that are not in the project: {names}.")
                          .format(names=', '.join(unknown[:10])))
    key = e[["city_a", "city_b"]].apply(lambda r: tuple(sorted(r)), axis=1) if len(e) else pd.Series([], dtype=object)
    if key.duplicated().any():
        a, b = key[key.duplicated()].iloc[0]
        raise ReportError(_("The pair {loc} – {loc2} appears twice in the network.")
                          .format(loc=c.loc[a, 'name'], loc2=c.loc[b, 'name']))
    breadth = pd.concat([e["city_a"], e["city_b"]]).value_counts()
    if isolates is None:
        isolates = layout == "geo"
    codes = list(c.index) if isolates else sorted(breadth.index)
    if layout == "geo":
        pos = {k: (float(c.loc[k, "lon"]), float(c.loc[k, "lat"])) for k in codes}
    else:
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(codes)
        g.add_edges_from(zip(e["city_a"], e["city_b"]))
        pos = {k: (float(x), float(y)) for k, (x, y) in nx.spring_layout(g, seed=seed).items()}
    nodes = pd.DataFrame({
        "code": codes, "name": [c.loc[k, "name"] for k in codes], "province": [c.loc[k, "province"] for k in codes],
        "x": [pos[k][0] for k in codes], "y": [pos[k][1] for k in codes],
        "breadth": [int(breadth.get(k, 0)) for k in codes],
    })
    edges_out = pd.DataFrame({
        "city_a": e["city_a"].to_numpy(), "city_b": e["city_b"].to_numpy(),
        "label": [f"{c.loc[a, 'name']} – {c.loc[b, 'name']}" for a, b in zip(e["city_a"], e["city_b"])],
        "degree": e["degree"].astype(float).to_numpy(),
        "x": [pos[a][0] for a in e["city_a"]], "y": [pos[a][1] for a in e["city_a"]],
        "x2": [pos[b][0] for b in e["city_b"]], "y2": [pos[b][1] for b in e["city_b"]],
    })
    return NetworkTables(nodes, edges_out, layout)


def network_chart(tables: NetworkTables, *, title: str = "", width: int = 640, height: int = 560,
                  select: bool = True) -> alt.LayerChart:
    """Altair chart: edges (width = degree) under nodes (size = breadth, colour = province).

    With ``select``, clicking a node sets the selection ``city`` (field ``code``).
    """
    geo = tables.layout == "geo"
    xt, yt = ("经度 longitude", "纬度 latitude") if geo else (None, None)
    xs = alt.Scale(zero=False, nice=False)
    axis = alt.Axis() if geo else None
    e = tables.edges.assign(width=tables.edges["degree"].fillna(1.0))
    max_w = float(e["width"].max()) if len(e) else 1.0
    edges = alt.Chart(inline(e)).mark_rule(opacity=0.35, color="#555555").encode(
        x=alt.X("x:Q", scale=xs, title=xt, axis=axis), y=alt.Y("y:Q", scale=xs, title=yt, axis=axis),
        x2="x2:Q", y2="y2:Q",
        strokeWidth=alt.StrokeWidth("width:Q", title="深度 degree", scale=alt.Scale(domain=[0, max(max_w, 1.0)], range=[0.3, 5])),
        tooltip=[alt.Tooltip("label:N", title="城市对 pair"), alt.Tooltip("degree:Q", title="深度 degree")],
    )
    nodes = alt.Chart(inline(tables.nodes)).mark_circle(opacity=0.9, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("x:Q", scale=xs, axis=axis, title=xt), y=alt.Y("y:Q", scale=xs, axis=axis, title=yt),
        size=alt.Size("breadth:Q", title="广度 breadth", scale=alt.Scale(range=[15, 600])),
        color=alt.Color("province:N", title="省 province", scale=alt.Scale(scheme="tableau20")),
        tooltip=[alt.Tooltip("name:N", title="城市 city"), alt.Tooltip("province:N", title="省 province"),
                 alt.Tooltip("breadth:Q", title="广度 breadth")],
    )
    if select:
        sel = alt.selection_point(name="city", fields=["code"], on="click", clear="dblclick")
        nodes = nodes.add_params(sel).encode(opacity=alt.condition(sel, alt.value(0.95), alt.value(0.35)))
    return styled(alt.layer(edges, nodes).properties(width=width, height=height, title=title))
