"""Map of cities and pairs: city polygons, and lines between city centroids for selected pairs.

No tiles and no network: the polygons are the project's stored boundaries (city attribute
``boundary_wkt``, :mod:`quant.data.boundaries`) drawn as Vega-Lite ``geoshape`` marks (Mercator
projection); pairs are ``rule`` marks from centroid to centroid (the polygon centroid; the
city-seat lat/lon when a city has no boundary).

:func:`map_tables` (pure) builds the data the chart draws, so tests count polygons and pairs;
:func:`map_data` gathers it from a project (and optionally a saved run); :func:`city_map`
draws it. Colour variables for pairs (:data:`PAIR_COLOURS`): tie / non-tie, degree, the
Pearson residual of a run, the number of coded passages linked to the pair.
"""
from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from i18n import _
from report.charts.style import inline, styled
from report.errors import ReportError

__all__ = ["PAIR_COLOURS", "PAIR_SETS", "MAX_PAIRS", "MapTables", "map_tables", "map_data", "city_map",
           "pair_key", "strategy_columns"]

PAIR_COLOURS = {
    "tie": "合作 / 未合作 tie",
    "degree": "合作深度 degree",
    "pearson": "Pearson 残差 residual",
    "evidence": "编码片段数 coded passages",
}
"""Colour variables for pairs: key -> legend title."""

PAIR_SETS = {
    "ties": "合作的城市对 collaborating pairs",
    "deviant": "偏离个案 deviant pairs (|Pearson| > c)",
    "evidence": "有编码证据的城市对 pairs with coded passages",
    "all": "全部城市对 all pairs",
}
"""Which pairs are drawn: key -> description."""

MAX_PAIRS = 5000
"""Most pair lines drawn in one map (more would make the chart unreadable and heavy)."""


@dataclass
class MapTables:
    """What :func:`city_map` draws.

    polygons : DataFrame, one row per city drawn: code, name, province, geometry (GeoJSON dict),
        lon, lat (centroid, degrees) and ``city_value`` (float or NaN).
    pairs : DataFrame, one row per pair drawn: city_a, city_b, pair (key "a-b"), label
        ("广州市 – 佛山市"), lon, lat, lon2, lat2, value.
    pair_colour, city_colour : legend titles (None when nothing is coloured).
    """

    polygons: pd.DataFrame
    pairs: pd.DataFrame
    pair_colour: str | None = None
    city_colour: str | None = None


def pair_key(a: str, b: str) -> str:
    """``"a-b"`` with a < b: the key a selected pair comes back with."""
    a, b = sorted((str(a), str(b)))
    return f"{a}-{b}"


def strategy_columns(cities: pd.DataFrame) -> list[str]:
    """Numeric city columns holding only 0/1 (candidate strategy / membership filters)."""
    out = []
    for col in cities.columns:
        if col in ("lat", "lon") or not pd.api.types.is_numeric_dtype(cities[col]):
            continue
        vals = cities[col].dropna()
        if len(vals) and vals.isin([0, 1]).all() and vals.nunique() == 2:
            out.append(col)
    return out


def map_tables(
    cities: pd.DataFrame,
    boundaries: dict[str, str],
    pairs: pd.DataFrame | None = None,
    *,
    value: str | None = None,
    city_value: pd.Series | None = None,
    provinces: list[str] | None = None,
    strategy: str | None = None,
    pair_colour: str | None = None,
    city_colour: str | None = None,
) -> MapTables:
    """The polygons and pair lines of a map.

    Parameters
    ----------
    cities : DataFrame with code, name, province, lat, lon (and ``strategy`` when given).
    boundaries : ``{code: WKT}``; cities without one get no polygon but still anchor pairs.
    pairs : DataFrame with city_a, city_b and the ``value`` column (optional).
    city_value : Series indexed by code, colouring the polygons (optional).
    provinces : keep only cities of these provinces (and pairs with both ends kept).
    strategy : a 0/1 city column; keep only cities with 1 (and pairs with both ends kept).

    Raises
    ------
    ReportError
        A filter names an unknown province or column, ``value`` is not a column of ``pairs``,
        or more than ``MAX_PAIRS`` pairs remain.
    """
    from quant.data.geometry import parse_wkt

    keep = cities.copy()
    keep["code"] = keep["code"].astype(str)
    if provinces:
        unknown = sorted(set(provinces) - set(keep["province"].dropna()))
        if unknown:
            raise ReportError(_("No city is in the province(s) {names}.").format(names=', '.join(unknown)))
        keep = keep[keep["province"].isin(provinces)]
    if strategy:
        if strategy not in keep.columns:
            raise ReportError(_("The cities have no attribute {strategy!r} to filter by.").format(strategy=strategy))
        keep = keep[keep[strategy] == 1]
    rows = []
    for r in keep.itertuples(index=False):
        wkt = boundaries.get(r.code)
        if not wkt:
            continue
        geom = parse_wkt(wkt, str(r.name))
        c = geom.centroid
        # d3-geo (Vega) reads a ring's winding on the sphere: exteriors must run clockwise, the
        # opposite of the OGC/shapely convention, or the polygon is drawn as "everything but".
        shape = mapping(shapely.orient_polygons(geom, exterior_cw=True))
        rows.append({"code": r.code, "name": r.name, "province": r.province, "geometry": shape,
                     "lon": c.x, "lat": c.y})
    polygons = pd.DataFrame(rows, columns=["code", "name", "province", "geometry", "lon", "lat"])
    polygons["city_value"] = (city_value.reindex(polygons["code"]).to_numpy(dtype=float)
                              if city_value is not None else np.nan)
    anchor = keep.set_index("code")[["name", "lon", "lat"]].copy()
    anchor.update(polygons.set_index("code")[["lon", "lat"]])
    cols = ["city_a", "city_b", "pair", "label", "lon", "lat", "lon2", "lat2", "value"]
    if pairs is None or pairs.empty:
        return MapTables(polygons, pd.DataFrame(columns=cols), None, city_colour)
    if value is not None and value not in pairs.columns:
        raise ReportError(_("The pairs have no column {value!r} to colour by.").format(value=value))
    p = pairs.copy()
    p["city_a"], p["city_b"] = p["city_a"].astype(str), p["city_b"].astype(str)
    p = p[p["city_a"].isin(anchor.index) & p["city_b"].isin(anchor.index)]
    if len(p) > MAX_PAIRS:
        raise ReportError(_("{n:,} pairs would be drawn, more than {max_pairs:,}; choose fewer pairs or a filter.")
                          .format(n=len(p), max_pairs=MAX_PAIRS))
    a, b = anchor.reindex(p["city_a"]), anchor.reindex(p["city_b"])
    out = pd.DataFrame({
        "city_a": p["city_a"].to_numpy(), "city_b": p["city_b"].to_numpy(),
        "pair": [pair_key(x, y) for x, y in zip(p["city_a"], p["city_b"])],
        "label": [f"{x} – {y}" for x, y in zip(a["name"], b["name"])],
        "lon": a["lon"].to_numpy(), "lat": a["lat"].to_numpy(),
        "lon2": b["lon"].to_numpy(), "lat2": b["lat"].to_numpy(),
        "value": p[value].to_numpy() if value else np.nan,
    })
    return MapTables(polygons.reset_index(drop=True), out.reset_index(drop=True), pair_colour, city_colour)


def _pair_values(session, colour: str, run, index) -> pd.DataFrame:
    """city_a, city_b, value for every dyad that has the colour variable."""
    from quant.data import project as qdata

    if colour == "pearson":
        if run is None or run.info.dimension == "breadth":
            raise ReportError(_("Colouring pairs by Pearson residual needs a saved connection or degree run."))
        u = run.result.units
        return pd.DataFrame({"city_a": u["city_a"].astype(str), "city_b": u["city_b"].astype(str),
                             "value": u["pearson"].to_numpy(dtype=float)})
    if colour == "evidence":
        d = qdata.dyad_frame(session, columns=[])
        ev = index.dyad_codings
        d["value"] = [float(len(ev.get((a, b), ()))) for a, b in zip(d["city_a"], d["city_b"])]
        return d[["city_a", "city_b", "value"]]
    if colour in ("tie", "degree"):
        name = "connection" if colour == "tie" else "degree"
        try:
            d = qdata.dyad_frame(session, columns=[name])
        except ValueError:
            raise ReportError(_("The project has no dyad variable {name!r} to colour pairs by.")
                              .format(name=name)) from None
        d = d.rename(columns={name: "value"})
        if colour == "tie":
            d["value"] = d["value"].map({1.0: "合作 tie", 0.0: "未合作 non-tie"})
        return d[["city_a", "city_b", "value"]]
    raise ReportError(_("Pairs can be coloured by {names}, not {colour!r}.")
                      .format(names=', '.join(PAIR_COLOURS), colour=colour))


def _pair_set(session, which: str, run, index, c: float) -> pd.DataFrame:
    from quant.data import project as qdata

    if which == "ties":
        if run is not None and run.info.dimension in ("connection", "degree"):
            u = run.result.units
            return u.loc[u["y"] > 0, ["city_a", "city_b"]].astype(str)
        try:
            d = qdata.dyad_frame(session, columns=["connection"])
        except ValueError:
            raise ReportError(_("The project has no 'connection' dyad variable, so it has no ties to draw.")) from None
        return d.loc[d["connection"] == 1, ["city_a", "city_b"]]
    if which == "deviant":
        if run is None or run.info.dimension == "breadth":
            raise ReportError(_("Deviant pairs come from a saved connection or degree run."))
        u = run.result.units
        return u.loc[u["pearson"].abs() > c, ["city_a", "city_b"]].astype(str)
    if which == "evidence":
        return pd.DataFrame(sorted(index.dyad_codings), columns=["city_a", "city_b"])
    if which == "all":
        if run is not None and run.info.dimension in ("connection", "degree"):
            return run.result.units[["city_a", "city_b"]].astype(str)
        return qdata.dyad_frame(session, columns=[])[["city_a", "city_b"]]
    raise ReportError(_("The pairs drawn can be {names}, not {which!r}.")
                      .format(names=', '.join(PAIR_SETS), which=which))


def map_data(session, *, run=None, colour: str = "tie", pairs: str = "ties", provinces=None,
             strategy: str | None = None, c: float = 2.0, index=None) -> MapTables:
    """:func:`map_tables` for a project: stored boundaries, the chosen pairs and colour.

    Parameters
    ----------
    run : quant.runs.saved.Run, optional
        A breadth run colours the polygons by its Pearson residual; a connection/degree run
        supplies pairs ("ties" = y > 0, "deviant" = |Pearson| > c, "all" = its units) and the
        "pearson" colour.
    colour : key of :data:`PAIR_COLOURS`. pairs : key of :data:`PAIR_SETS`.
    index : mixed.evidence.EvidenceIndex, optional (built when needed).

    Raises
    ------
    ReportError
        The project has no stored boundaries, an option is unknown or needs a run, or a filter
        is bad (see :func:`map_tables`).
    """
    from mixed.evidence import EvidenceIndex
    from quant.data import project as qdata
    from quant.data.boundaries import stored_boundaries

    bounds = stored_boundaries(session)
    if not bounds:
        raise ReportError(_("No city has a boundary yet; load a boundary file (GeoJSON or WKT) first."))
    if index is None and "evidence" in (colour, pairs):
        index = EvidenceIndex.from_session(session)
    cities = qdata.city_frame(session)
    chosen = _pair_set(session, pairs, run, index, c)
    values = _pair_values(session, colour, run, index)
    chosen = chosen.merge(values, on=["city_a", "city_b"], how="left")
    city_value, city_colour = None, None
    if run is not None and run.info.dimension == "breadth":
        u = run.result.units
        city_value = pd.Series(u["pearson"].to_numpy(dtype=float), index=u["city"].astype(str))
        city_colour = "广度 Pearson 残差 breadth residual"
    return map_tables(cities, bounds, chosen, value="value", city_value=city_value, provinces=provinces,
                      strategy=strategy, pair_colour=PAIR_COLOURS[colour], city_colour=city_colour)


def city_map(tables: MapTables, *, title: str = "", width: int = 640, height: int = 560,
             select: bool = True) -> alt.LayerChart:
    """Altair chart of ``tables``: polygons (tooltip: name, province, value) and pair lines
    (tooltip: the two names and the value). With ``select``, clicking a city sets the selection
    ``city`` (field ``code``) and clicking a line sets ``pair`` (field ``pair``, "a-b").
    """
    features = [
        {"type": "Feature", "geometry": r.geometry, "code": r.code, "name": r.name, "province": r.province,
         "city_value": None if pd.isna(r.city_value) else float(r.city_value)}
        for r in tables.polygons.itertuples(index=False)
    ]
    projection = "mercator"
    has_city_value = tables.city_colour is not None and tables.polygons["city_value"].notna().any()
    fill = (alt.Color("city_value:Q", title=tables.city_colour, scale=alt.Scale(scheme="redblue", domainMid=0, reverse=True))
            if has_city_value else alt.value("#eeeeee"))
    city_tips = [alt.Tooltip("name:N", title="城市 city"), alt.Tooltip("province:N", title="省 province")]
    if has_city_value:
        city_tips.append(alt.Tooltip("city_value:Q", title=tables.city_colour, format=".2f"))
    base = alt.Chart(alt.Data(values=features)).mark_geoshape(stroke="#888888", strokeWidth=0.4).encode(
        fill=fill, tooltip=city_tips).project(type=projection)
    layers = []
    if select:
        city_sel = alt.selection_point(name="city", fields=["code"], on="click", clear="dblclick")
        base = base.add_params(city_sel).encode(
            strokeWidth=alt.condition(city_sel, alt.value(1.5), alt.value(0.4)))
    layers.append(base)
    if not tables.pairs.empty:
        p = tables.pairs.copy()
        numeric = pd.api.types.is_numeric_dtype(p["value"])
        if numeric:
            scale = (alt.Scale(scheme="redblue", domainMid=0, reverse=True) if "残差" in (tables.pair_colour or "")
                     else alt.Scale(scheme="viridis"))
            colour = alt.Color("value:Q", title=tables.pair_colour, scale=scale)
            tip = alt.Tooltip("value:Q", title=tables.pair_colour, format=".3~f")
        else:
            p["value"] = p["value"].fillna("—").astype(str)
            colour = alt.Color("value:N", title=tables.pair_colour)
            tip = alt.Tooltip("value:N", title=tables.pair_colour)
        lines = alt.Chart(inline(p)).mark_rule(opacity=0.7).encode(
            longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q",
            color=colour, tooltip=[alt.Tooltip("label:N", title="城市对 pair"), tip],
        ).project(type=projection)
        if select:
            pair_sel = alt.selection_point(name="pair", fields=["pair"], on="click", clear="dblclick")
            lines = lines.add_params(pair_sel).encode(
                strokeWidth=alt.condition(pair_sel, alt.value(2.5), alt.value(1.0)))
        layers.append(lines)
    chart = alt.layer(*layers).properties(width=width, height=height, title=title)
    if has_city_value and not tables.pairs.empty:
        chart = chart.resolve_scale(color="independent")
    return styled(chart)
