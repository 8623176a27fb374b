"""report.charts: map data, network, plots and offline export, on the demo with one run per dimension.

Expected numbers are counted independently with SQL on the project tables (polygons, ties,
breadth, mean degree, Mark links, codings) or recomputed with numpy from y and fitted values
(Pearson residuals of a logit: (y − p) / √(p(1 − p))).
"""
from __future__ import annotations

import socket
import xml.etree.ElementTree as ET

import altair as alt
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

import store
from demo_runs import RUN_NAMES, build_demo_with_runs
from mixed.evidence import EvidenceIndex
from quant.data import project as qdata
from quant.runs import saved as runs
from report.charts import export, network, plots
from report.charts import map as cmap
from report.errors import ReportError

GUANGDONG = "广东省"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    engine = build_demo_with_runs(tmp_path_factory.mktemp("charts") / "demo.sqlite")
    yield engine
    engine.dispose()


def _sql(engine, query, **params):
    with engine.connect() as c:
        return c.execute(text(query), params).fetchall()


_TIES = """SELECT d.city_a, d.city_b FROM dyads d JOIN dyad_attributes a ON a.dyad_id = d.id
           WHERE a.name = 'connection' AND a.value = 1"""


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_map_holds_every_polygon_and_the_ties(demo):
    n_polygons = _sql(demo, "SELECT COUNT(*) FROM city_attributes WHERE name = 'boundary_wkt' AND text IS NOT NULL")[0][0]
    ties = {(a, b) for a, b in _sql(demo, _TIES)}
    assert n_polygons == 155 and len(ties) > 100
    with store.session_scope(demo) as s:
        tables = cmap.map_data(s, colour="degree", pairs="ties")
        spec = export.chart_spec(cmap.city_map(tables))
    assert len(tables.polygons) == 155 and tables.polygons["code"].is_unique
    assert set(zip(tables.pairs["city_a"], tables.pairs["city_b"])) == ties and len(tables.pairs) == len(ties)
    # the chart carries them: one geoshape feature per polygon, one rule per pair
    layers = spec["layer"]
    assert len(layers[0]["data"]["values"]) == 155 and len(layers[1]["data"]["values"]) == len(ties)
    deg = {(a, b): v for a, b, v in _sql(demo, """SELECT d.city_a, d.city_b, a.value FROM dyads d
        JOIN dyad_attributes a ON a.dyad_id = d.id WHERE a.name = 'degree'""")}
    got = dict(zip(zip(tables.pairs["city_a"], tables.pairs["city_b"]), tables.pairs["value"]))
    assert all(got[k] == deg[k] for k in ties)
    gz = tables.pairs[tables.pairs["label"].str.contains("广州市")]
    assert len(gz) == sum(1 for a, b in ties if "440100" in (a, b))


def test_map_filters_by_province_and_strategy(demo):
    gd = {c for (c,) in _sql(demo, "SELECT code FROM cities WHERE province = :p", p=GUANGDONG)}
    gba = {c for (c,) in _sql(demo, "SELECT city_code FROM city_attributes WHERE name = 'gba' AND value = 1")}
    ties = {(a, b) for a, b in _sql(demo, _TIES)}
    with store.session_scope(demo) as s:
        t = cmap.map_data(s, colour="tie", pairs="ties", provinces=[GUANGDONG])
        g = cmap.map_data(s, colour="tie", pairs="ties", strategy="gba")
        with pytest.raises(ReportError, match="火星省"):
            cmap.map_data(s, provinces=["火星省"])
    assert set(t.polygons["code"]) == gd and len(gd) == 21
    assert set(zip(t.pairs["city_a"], t.pairs["city_b"])) == {p for p in ties if p[0] in gd and p[1] in gd}
    assert set(t.pairs["value"]) <= {"合作 tie"}
    assert set(g.polygons["code"]) == gba and len(gba) == 9
    assert len(g.pairs) == sum(1 for a, b in ties if a in gba and b in gba)


def test_map_deviant_pairs_and_residual_colour_match_numpy(demo):
    with store.session_scope(demo) as s:
        run = runs.load_run(s, RUN_NAMES["connection"])
        t = cmap.map_data(s, run=run, colour="pearson", pairs="deviant", c=2.0)
        with pytest.raises(ReportError, match="connection or degree run"):
            cmap.map_data(s, run=runs.load_run(s, RUN_NAMES["breadth"]), colour="pearson")
    u = run.result.units
    y, p = u["y"].to_numpy(), u["fitted"].to_numpy()
    r = (y - p) / np.sqrt(p * (1 - p))
    expected = set(zip(u["city_a"][np.abs(r) > 2], u["city_b"][np.abs(r) > 2]))
    assert set(zip(t.pairs["city_a"], t.pairs["city_b"])) == expected and len(expected) > 0
    rr = dict(zip(zip(u["city_a"], u["city_b"]), r))
    assert all(abs(v - rr[(a, b)]) < 1e-9 for a, b, v in zip(t.pairs["city_a"], t.pairs["city_b"], t.pairs["value"]))


def test_map_evidence_counts_match_coding_links(demo):
    rows = _sql(demo, """SELECT d.city_a, d.city_b, COUNT(DISTINCT l.coding_id) FROM coding_links l
                         JOIN dyads d ON d.id = l.dyad_id GROUP BY d.city_a, d.city_b""")
    with store.session_scope(demo) as s:
        t = cmap.map_data(s, colour="evidence", pairs="evidence")
    got = dict(zip(zip(t.pairs["city_a"], t.pairs["city_b"]), t.pairs["value"]))
    assert got == {(a, b): float(n) for a, b, n in rows} and len(got) > 10


def test_network_breadth_equals_ties_per_city(demo):
    expected = dict(_sql(demo, f"""SELECT code, COUNT(*) FROM (
        SELECT city_a AS code FROM ({_TIES}) t UNION ALL SELECT city_b FROM ({_TIES}) u) x GROUP BY code"""))
    with store.session_scope(demo) as s:
        cities = qdata.city_frame(s)
        edges = network.edges_from_outcome(s)
        run_edges = network.edges_from_run(runs.load_run(s, RUN_NAMES["degree"]))
    geo = network.network_tables(cities, edges, layout="geo")
    assert len(geo.nodes) == 155
    assert {k: v for k, v in zip(geo.nodes["code"], geo.nodes["breadth"]) if v} == expected
    assert geo.nodes.set_index("code").loc["440100", ["x", "y"]].tolist() == pytest.approx(
        cities.set_index("code").loc["440100", ["lon", "lat"]].tolist())
    spring = network.network_tables(cities, edges, layout="spring", seed=3)
    again = network.network_tables(cities, edges, layout="spring", seed=3)
    assert set(spring.nodes["code"]) == set(expected)  # isolates left out of the force layout
    pd.testing.assert_frame_equal(spring.nodes, again.nodes)
    # a degree run's edges are its units (connected dyads), widths its observed degree
    deg = dict(((a, b), v) for a, b, v in _sql(demo, """SELECT d.city_a, d.city_b, a.value FROM dyads d
        JOIN dyad_attributes a ON a.dyad_id = d.id WHERE a.name = 'degree' AND a.value > 0"""))
    assert dict(zip(zip(run_edges["city_a"], run_edges["city_b"]), run_edges["degree"])) == deg
    spec = export.chart_spec(network.network_chart(geo))
    sizes = {d["code"]: d["breadth"] for d in spec["layer"][1]["data"]["values"]}
    assert {k: v for k, v in sizes.items() if v} == expected


def test_network_refuses_unknown_cities_and_breadth_runs(demo):
    with store.session_scope(demo) as s:
        cities = qdata.city_frame(s)
        with pytest.raises(ReportError, match="models cities"):
            network.edges_from_run(runs.load_run(s, RUN_NAMES["breadth"]))
    with pytest.raises(ReportError, match="not in the project"):
        network.network_tables(cities, pd.DataFrame({"city_a": ["999999"], "city_b": ["440100"], "degree": [1.0]}))
    with pytest.raises(ReportError, match="layout"):
        network.network_tables(cities, pd.DataFrame(columns=["city_a", "city_b", "degree"]), layout="circle")


def test_coefficient_plot_holds_each_runs_estimates(demo):
    with store.session_scope(demo) as s:
        chart = plots.latest_coefficient_plot(s)
        loaded = {d: runs.load_run(s, n) for d, n in RUN_NAMES.items()}
    values = export.chart_spec(chart)["data"]["values"]
    for dim, run in loaded.items():
        params = run.result.params.drop([t for t in ("Intercept", "alpha") if t in run.result.params.index])
        mine = {v["term"]: v for v in values if v["dimension"] == dim}
        assert set(mine) == set(params.index)
        se = run.result.table()["se"]
        for term, est in params.items():  # Wald interval from the stored estimate and SE (normal quantile)
            assert mine[term]["estimate"] == pytest.approx(est)
            assert mine[term]["ci_high"] - mine[term]["ci_low"] == pytest.approx(2 * 1.959963985 * se[term], rel=1e-6)


def test_breadth_degree_table_and_mark_cities_match_sql(demo):
    mean_deg = dict(_sql(demo, """SELECT code, AVG(v) FROM (
        SELECT d.city_a AS code, g.value AS v FROM dyads d JOIN dyad_attributes c ON c.dyad_id = d.id
          JOIN dyad_attributes g ON g.dyad_id = d.id WHERE c.name = 'connection' AND c.value = 1 AND g.name = 'degree'
        UNION ALL
        SELECT d.city_b, g.value FROM dyads d JOIN dyad_attributes c ON c.dyad_id = d.id
          JOIN dyad_attributes g ON g.dyad_id = d.id WHERE c.name = 'connection' AND c.value = 1 AND g.name = 'degree'
        ) x GROUP BY code"""))
    mark = {c for (c,) in _sql(demo, """SELECT l.city_code FROM coding_links l JOIN codings k ON k.id = l.coding_id
              JOIN codes c ON c.id = k.code_id WHERE c.name = 'Mark' AND l.city_code IS NOT NULL
            UNION SELECT d.city_a FROM coding_links l JOIN codings k ON k.id = l.coding_id JOIN codes c ON c.id = k.code_id
              JOIN dyads d ON d.id = l.dyad_id WHERE c.name = 'Mark'
            UNION SELECT d.city_b FROM coding_links l JOIN codings k ON k.id = l.coding_id JOIN codes c ON c.id = k.code_id
              JOIN dyads d ON d.id = l.dyad_id WHERE c.name = 'Mark'""")}
    with store.session_scope(demo) as s:
        dyads = qdata.dyad_frame(s, columns=["connection", "degree"])
        table = plots.breadth_degree_table(dyads, qdata.city_frame(s))
        marked = plots.marked_cities(EvidenceIndex.from_session(s))
    got = table.dropna(subset=["mean_degree"]).set_index("code")["mean_degree"]
    assert got.to_dict() == pytest.approx(mean_deg)
    assert marked == mark and len(mark) > 3
    spec = export.chart_spec(plots.breadth_degree_plot(table, marked))
    pts = spec["layer"][2]["data"]["values"]
    assert {p["code"] for p in pts if p["marked"].startswith("Mark")} == mark & set(got.index)


def test_residual_plot_marks_deviant_units_by_the_cutoff(demo):
    with store.session_scope(demo) as s:
        run = runs.load_run(s, RUN_NAMES["breadth"])
        names = dict(_sql(demo, "SELECT code, name FROM cities"))
        chart = plots.residual_plot(run, names, c=1.5)
    u = run.result.units
    y, mu = u["y"].to_numpy(), u["fitted"].to_numpy()
    alpha = float(run.result.params["alpha"])
    r = (y - mu) / np.sqrt(mu + alpha * mu ** 2)  # NB2 Pearson residual (Cameron & Trivedi 2013, 5.2)
    pts = export.chart_spec(chart)["layer"][1]["data"]["values"]
    assert len(pts) == len(u)
    assert {p["label"] for p in pts if p["case_type"] == "deviant"} == {names[c] for c in u["city"][np.abs(r) > 1.5]}


def test_code_frequencies_sum_to_the_codings(demo):
    per_doc = dict(((d, c), n) for d, c, n in _sql(demo, """SELECT doc.name, c.name, COUNT(*) FROM codings k
        JOIN documents doc ON doc.id = k.document_id JOIN codes c ON c.id = k.code_id GROUP BY doc.name, c.name"""))
    with store.session_scope(demo) as s:
        index = EvidenceIndex.from_session(s)
        by_doc = plots.code_counts_by_document(index.frame.reset_index(drop=True))
        by_case = plots.code_counts_by_case(runs.load_run(s, RUN_NAMES["connection"]), index)
    assert dict(zip(zip(by_doc["document"], by_doc["code"]), by_doc["n"])) == per_doc
    assert set(by_case["group"]) <= {"deviant tie", "typical tie", "deviant non-tie", "typical non-tie"}
    linked = _sql(demo, "SELECT COUNT(DISTINCT coding_id) FROM coding_links WHERE dyad_id IS NOT NULL")[0][0]
    assert 0 < by_case["n"].sum() <= 4 * linked
    plots.code_frequency_plot(by_case, by="group")
    with pytest.raises(ReportError, match="column"):
        plots.code_frequency_plot(by_case, by="document")


def test_export_png_and_svg_offline_with_chinese(demo, no_network):
    with store.session_scope(demo) as s:
        t = cmap.map_data(s, colour="tie", pairs="ties", provinces=[GUANGDONG])
    chart = cmap.city_map(t, title="广东省城市合作")
    png = export.to_png(chart, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    svg = export.to_svg(chart)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "广东省城市合作" in svg and "Noto Sans CJK SC" in svg
    with pytest.raises(ReportError, match="External data url not allowed"):
        export.to_svg(alt.Chart(alt.UrlData("https://example.com/x.csv")).mark_point().encode(x="a:Q"))
    with pytest.raises(ReportError, match="scale"):
        export.to_png(chart, scale=0)


def test_cjk_font_is_installed():
    status = export.font_status()
    if not status["available"]:
        pytest.skip("Noto Sans CJK SC is not installed here (.ci/run installs fonts-noto-cjk)")
    assert status["font"] == "Noto Sans CJK SC"


# --- pages -------------------------------------------------------------------------------------

def _page(demo, monkeypatch, page):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TANDEM_PROJECT", str(demo.url.database))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "workbench.py"), default_timeout=240)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_map_page_filters_and_renders_downloads(demo, monkeypatch):
    at = _page(demo, monkeypatch, "ui/map.py")
    assert "155 cities" in " ".join(c.value for c in at.caption)
    at.radio(key="map_source").set_value("a saved run").run()
    at.selectbox(key="map_pairs").set_value("deviant").run()
    at.selectbox(key="map_colour").set_value("pearson").run()
    at.multiselect(key="map_provinces").set_value([GUANGDONG]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "21 cities" in " ".join(c.value for c in at.caption)
    at.button(key="map__render").click().run()
    assert not at.exception and not at.error
    assert len(at.get("download_button")) == 2
    at.button(key="map_border_store").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("399 pairs share a border" in m.value for m in at.success)
    assert _sql(demo, "SELECT SUM(value) FROM dyad_attributes WHERE name = 'shared_border'")[0][0] == 399


def test_network_page_runs_in_both_layouts(demo, monkeypatch):
    ties = len(_sql(demo, _TIES))
    at = _page(demo, monkeypatch, "ui/network.py")
    assert f"{ties} ties" in " ".join(c.value for c in at.caption)
    at.selectbox(key="net_layout").set_value("spring").run()
    at.radio(key="net_source").set_value("a saved run").run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def _selection_app():
    import os

    import store as _store
    from mixed.evidence import EvidenceIndex as _Index
    from ui import chart_panels

    engine = _store.connect(os.environ["CHARTS_DEMO"], create=False)
    with _store.session_scope(engine) as s:
        index = _Index.from_session(s)
    event = {"selection": {"city": [{"code": os.environ["CHARTS_CITY"]}], "pair": [{"pair": os.environ["CHARTS_PAIR"]}]}}
    chart_panels.show_selection(event, index)


def test_clicked_city_and_pair_show_their_passages(demo, monkeypatch):
    from streamlit.testing.v1 import AppTest

    city, name = _sql(demo, """SELECT l.city_code, c.name FROM coding_links l JOIN cities c ON c.code = l.city_code
                               GROUP BY l.city_code, c.name ORDER BY COUNT(DISTINCT l.coding_id) DESC, l.city_code LIMIT 1""")[0]
    direct = {i for (i,) in _sql(demo, "SELECT coding_id FROM coding_links WHERE city_code = :c", c=city)}
    pair = _sql(demo, """SELECT d.city_a, d.city_b, COUNT(DISTINCT l.coding_id) AS n FROM coding_links l
                         JOIN dyads d ON d.id = l.dyad_id GROUP BY d.city_a, d.city_b ORDER BY n DESC, d.city_a LIMIT 1""")[0]
    monkeypatch.setenv("CHARTS_DEMO", str(demo.url.database))
    monkeypatch.setenv("CHARTS_PAIR", f"{pair[0]}-{pair[1]}")
    monkeypatch.setenv("CHARTS_CITY", city)
    at = AppTest.from_function(_selection_app, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    heads = [m.value for m in at.markdown if "coded passage(s)" in m.value]
    assert heads[0].startswith(f"**{name}\\: passages linked to the city**") and f"· {len(direct)} coded" in heads[0]
    assert len(direct) >= 2
    assert any(f"· {pair[2]} coded" in h and "–" in h for h in heads)
    quotes = {t.value for t in at.text}
    expected = {q for (q,) in _sql(demo, "SELECT k.quote FROM codings k JOIN coding_links l ON l.coding_id = k.id "
                                         "WHERE l.city_code = :c", c=city)}
    assert expected <= quotes


def test_map_and_network_on_both_backends(engine, tmp_path):
    """A hand-made project: four cities, three with squares; ties 甲–乙 (degree 4) and 乙–丁 (degree 2)."""
    from quant.data.boundaries import load_boundaries

    squares = {"甲市": "POLYGON((0 0,1 0,1 1,0 1,0 0))", "乙市": "POLYGON((1 0,2 0,2 1,1 1,1 0))",
               "丙市": "POLYGON((2 1,3 1,3 2,2 2,2 1))"}
    path = tmp_path / "b.csv"
    pd.DataFrame({"name": list(squares), "wkt": list(squares.values())}).to_csv(path, index=False)
    with store.session_scope(engine) as s:
        qdata.save_cities(s, pd.DataFrame({"code": ["1", "2", "3", "4"], "name": ["甲市", "乙市", "丙市", "丁市"],
                                           "province": ["甲省", "甲省", "乙省", "乙省"],
                                           "lat": [0.5, 0.5, 1.5, 5.0], "lon": [0.5, 1.5, 2.5, 5.0]}))
        qdata.save_dyads(s, pd.DataFrame({"city_a": ["1", "1", "1", "2", "2", "3"], "city_b": ["2", "3", "4", "3", "4", "4"],
                                          "connection": [1, 0, 0, 0, 1, 0], "degree": [4, 0, 0, 0, 2, 0]}))
        load_boundaries(s, path)
        t = cmap.map_data(s, colour="degree", pairs="ties")
        one = cmap.map_data(s, colour="tie", pairs="ties", provinces=["甲省"])
        net = network.network_tables(qdata.city_frame(s), network.edges_from_outcome(s))
    assert sorted(t.polygons["code"]) == ["1", "2", "3"]
    assert dict(zip(t.pairs["label"], t.pairs["value"])) == {"甲市 – 乙市": 4.0, "乙市 – 丁市": 2.0}
    # 丁市 has no polygon: its line ends at its city-seat coordinates; 乙市's starts at the square's centroid
    row = t.pairs.set_index("label").loc["乙市 – 丁市"]
    assert (row["lon"], row["lat"], row["lon2"], row["lat2"]) == (1.5, 0.5, 5.0, 5.0)
    assert one.pairs["label"].tolist() == ["甲市 – 乙市"] and len(one.polygons) == 2
    assert dict(zip(net.nodes["name"], net.nodes["breadth"])) == {"甲市": 1, "乙市": 2, "丙市": 0, "丁市": 1}
    assert dict(zip(net.edges["label"], net.edges["degree"])) == {"甲市 – 乙市": 4.0, "乙市 – 丁市": 2.0}
