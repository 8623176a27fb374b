"""quant.data.geometry (parsing, simplification, contiguity) and quant.data.boundaries (stored polygons).

Expected values come from hand-drawn squares, from the DE-9IM relation of the full-resolution
polygons (shapely.relate, a different GEOS predicate than the code's boundary-intersection
length) and from known geography (广州–佛山 share a border; 广州–温州 do not).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

import store
from quant.data import boundaries
from quant.data import geometry
from quant.data import project as qdata
from quant.data.geometry import GeometryError

GUANGZHOU, FOSHAN, WENZHOU, ZHOUSHAN = "440100", "440600", "330300", "330900"


def _square(x0, y0, x1, y1):
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


# A | B share the edge x=1; C touches B at the single point (2, 1); D overlaps A along y=1..1.5
HAND = {
    "A": _square(0, 0, 1, 1),
    "B": _square(1, 0, 2, 1),
    "C": _square(2, 1, 3, 2),
    "D": _square(0.5, 0.9, 1.5, 1.5),
    "E": _square(10, 10, 11, 11),
}


def test_contiguity_by_hand():
    pairs = geometry.contiguity(HAND)
    got = set(zip(pairs["city_a"], pairs["city_b"]))
    # A-B: shared edge of length 1. A-D and B-D: overlapping, outlines share no line -> not borders.
    # B-C: corner only. E: alone.
    assert got == {("A", "B")}
    assert pairs.loc[0, "border_deg"] == pytest.approx(1.0)
    # a partial shared edge counts with its length
    half = geometry.contiguity({"P": _square(0, 0, 1, 1), "Q": _square(1, 0.5, 2, 2)})
    assert half["border_deg"].tolist() == pytest.approx([0.5])
    assert geometry.contiguity({"P": _square(0, 0, 1, 1), "Q": _square(1, 0.5, 2, 2)}, min_length=0.6).empty


@pytest.mark.parametrize("text, words", [
    ("POINT(1 2)", "not a polygon"),
    ("POLYGON((1 2, 3", "not readable WKT"),
    (_square(0, 0, 200, 1), "longitude/latitude"),
    ("", "empty"),
    ("POLYGON EMPTY", "empty"),
])
def test_parse_wkt_refuses_bad_input(text, words):
    with pytest.raises(GeometryError, match=words):
        geometry.parse_wkt(text, "测试市")


def test_parse_limits(monkeypatch, tmp_path):
    monkeypatch.setattr(geometry, "MAX_WKT_CHARS", 50)
    with pytest.raises(GeometryError, match="characters long"):
        geometry.parse_wkt(_square(0, 0, 1.123456, 1.123456) + " " * 40)
    monkeypatch.setattr(geometry, "MAX_WKT_CHARS", 8_000_000)
    monkeypatch.setattr(geometry, "MAX_VERTICES", 4)
    with pytest.raises(GeometryError, match="vertices"):
        geometry.parse_wkt(_square(0, 0, 1, 1))
    big = tmp_path / "big.csv"
    big.write_text("code,wkt\n" + "x" * 200, encoding="utf-8")
    monkeypatch.setattr(geometry, "MAX_FILE_BYTES", 100)
    with pytest.raises(GeometryError, match="more than"):
        geometry.read_boundary_file(big)


def test_self_touching_polygon_is_repaired():
    bow = "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"  # a bow tie: invalid
    g = geometry.parse_wkt(bow)
    assert g.is_valid and g.area == pytest.approx(0.5)


def test_read_geojson_and_refusals(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "甲市"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}},
    ]}
    p = tmp_path / "b.geojson"
    p.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    t = geometry.read_boundary_file(p)
    assert t["key"].tolist() == ["甲市"] and t["geometry"][0].area == pytest.approx(1.0)
    fc["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    p.write_text(json.dumps(fc), encoding="utf-8")
    with pytest.raises(GeometryError, match="LineString"):
        geometry.read_boundary_file(p)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(GeometryError, match="GeoJSON"):
        geometry.read_boundary_file(deep)
    other = tmp_path / "b.shp"
    other.write_bytes(b"\0\0")
    with pytest.raises(GeometryError, match=r"\.csv"):
        geometry.read_boundary_file(other)


def test_simplify_keeps_shared_borders():
    geoms = [geometry.parse_wkt(w) for w in (HAND["A"], HAND["B"])]
    # a wiggly common border with many vertices
    xs = np.linspace(0, 1, 200)
    wiggle = [(1 + 0.001 * np.sin(40 * y), y) for y in xs]
    left = shapely.Polygon([(0, 0), *wiggle, (0, 1)])
    right = shapely.Polygon([(2, 0), (2, 1), *wiggle[::-1]])
    out = geometry.simplify([left, right], 0.01)
    assert shapely.get_num_coordinates(out[0]) < 50
    pairs = geometry.contiguity({"L": out[0], "R": out[1]})
    assert len(pairs) == 1 and pairs["border_deg"][0] > 0.9
    assert shapely.intersection(out[0], out[1]).area == pytest.approx(0, abs=1e-12)
    assert len(geometry.simplify(geoms, 0)) == 2
    with pytest.raises(GeometryError, match="tolerance"):
        geometry.simplify(geoms, -1)


def _relate_pairs(path) -> set[tuple[str, str]]:
    """Independent: DE-9IM boundary∩boundary has dimension 1, over all 155·154/2 pairs."""
    b = pd.read_csv(path, dtype={"city_code": str})
    geoms = [shapely.from_wkt(w) for w in b["coord_wkt"]]
    codes = b["city_code"].tolist()
    out = set()
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if geoms[i].bounds[0] > geoms[j].bounds[2] or geoms[j].bounds[0] > geoms[i].bounds[2]:
                continue
            if geoms[i].relate_pattern(geoms[j], "****1****"):
                out.add(tuple(sorted((codes[i], codes[j]))))
    return out


def test_demo_shared_border_matches_full_resolution_polygons(shared):
    from data.demo.covariates import dyad_covariates
    from data.demo.facts import load_boundaries, load_borders, load_cities

    expected = _relate_pairs(shared("cities", "city_boundaries_wkt_southeast.csv"))
    assert len(expected) == 399
    dyads = dyad_covariates(load_cities(), load_borders())
    got = set(map(tuple, dyads.loc[dyads["shared_border"] == 1, ["city_a", "city_b"]].to_numpy().tolist()))
    assert got == expected
    flag = dyads.set_index(["city_a", "city_b"])["shared_border"]
    assert flag[(GUANGZHOU, FOSHAN)] == 1 and flag[(WENZHOU, GUANGZHOU)] == 0
    assert not any(ZHOUSHAN in p for p in got)
    shipped = load_boundaries()
    assert len(shipped) == 155 and (shipped["boundary_wkt"].str.len() <= geometry.MAX_STORED_CHARS).all()
    from data.demo.facts import BOUNDARIES_CSV
    assert BOUNDARIES_CSV.stat().st_size < 400_000


def _small_project(session):
    qdata.save_cities(session, pd.DataFrame({"code": ["1", "2", "3", "4"], "name": ["甲市", "乙市", "丙市", "丁市"]}))
    qdata.save_dyads(session, pd.DataFrame({"city_a": ["1", "1", "1", "2", "2", "3"],
                                            "city_b": ["2", "3", "4", "3", "4", "4"]}))


def test_load_boundaries_stores_simplified_wkt_and_shared_border(engine, tmp_path):
    p = tmp_path / "b.csv"
    pd.DataFrame({"name": ["甲市", "乙市", "丙市", "外市"],
                  "wkt": [HAND["A"], HAND["B"], HAND["C"], HAND["E"]]}).to_csv(p, index=False)
    with store.session_scope(engine) as s:
        _small_project(s)
        summary = boundaries.load_boundaries(s, p)
        assert summary == {"stored": 3, "skipped": ["外市"], "without_boundary": ["丁市"]}
        assert boundaries.save_shared_border(s) == 1
    with store.session_scope(engine) as s:
        stored = boundaries.stored_boundaries(s)
        assert sorted(stored) == ["1", "2", "3"]
        assert shapely.from_wkt(stored["1"]).equals(shapely.from_wkt(HAND["A"]))
        cities = qdata.city_frame(s).set_index("code")
        assert cities.loc["2", "boundary_wkt"] == stored["2"]
        d = qdata.dyad_frame(s, columns=["shared_border"]).set_index(["city_a", "city_b"])["shared_border"]
        assert d[("1", "2")] == 1 and d[("2", "3")] == 0 and d[("1", "3")] == 0
        assert np.isnan(d[("1", "4")])  # 丁市 has no boundary: unknown, not 0


def test_load_boundaries_refuses_files_naming_no_city(engine, tmp_path):
    p = tmp_path / "b.csv"
    pd.DataFrame({"name": ["外市"], "wkt": [HAND["A"]]}).to_csv(p, index=False)
    with store.session_scope(engine) as s:
        _small_project(s)
        with pytest.raises(GeometryError, match="names a city"):
            boundaries.load_boundaries(s, p)
        assert boundaries.stored_boundaries(s) == {}
