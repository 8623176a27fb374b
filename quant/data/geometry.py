"""City boundary polygons: bounded parsing, coverage-preserving simplification, contiguity.

Pure functions over shapely 2 geometries (no store access; :mod:`quant.data.boundaries` stores them).

- :func:`parse_wkt` / :func:`parse_geojson_geometry` turn user text into one (Multi)Polygon in
  lon/lat degrees, refusing oversized or non-polygonal input with one :class:`GeometryError`
  sentence; :func:`read_boundary_file` reads a CSV (a code or name column and a WKT column),
  a GeoJSON FeatureCollection or a ``.wkt`` file of ``code<TAB>WKT`` lines.
- :func:`simplify` simplifies all polygons together with ``shapely.coverage_simplify``
  (Visvalingam–Whyatt on the shared edges once, GEOS ≥ 3.12), so two neighbours keep one common
  border after simplification and contiguity computed on the simplified polygons equals
  contiguity on the originals (checked on the 155 demo cities: the same 399 pairs).
- :func:`contiguity` lists the pairs sharing a border. The rule: the two polygons
  ``intersects`` (STRtree query) **and** the intersection of their boundaries has positive
  length (> ``min_length`` degrees). So a corner touch (one shared point) is not a border,
  and neither is an overlap whose outlines only cross at points. ``touches`` alone is not
  used because polygons from two digitisations often overlap slightly along a common border.
"""
from __future__ import annotations

from i18n import _
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from quant.errors import QuantError

__all__ = [
    "GeometryError", "MAX_FILE_BYTES", "MAX_WKT_CHARS", "MAX_VERTICES", "parse_wkt",
    "parse_geojson_geometry", "read_boundary_file", "simplify", "to_wkt", "contiguity",
    "centroids", "DEFAULT_TOLERANCE",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest boundary file read (bytes)."""
MAX_WKT_CHARS = 8_000_000
"""Longest WKT text of one city (characters)."""
MAX_VERTICES = 1_000_000
"""Most vertices in one city's polygon."""
MAX_STORED_CHARS = 30_000
"""Longest simplified WKT stored per city (fits one spreadsheet cell, 32,767 characters)."""
DEFAULT_TOLERANCE = 0.03
"""Simplification tolerance in degrees (about 3 km): the demo's 155 boundaries come to ~220 KB."""


class GeometryError(QuantError):
    """A boundary file or polygon cannot be used (the sentence names the city or file)."""


def _polygonal(geom, label: str):
    if geom is None or geom.is_empty:
        raise GeometryError(_("The boundary of {label} is empty.").format(label=label))
    if not isinstance(geom, (Polygon, MultiPolygon)):
        raise GeometryError(_("The boundary of {label} is a {geom_type}, not a polygon or multipolygon.").format(label=label, geom_type=geom.geom_type))
    n = int(shapely.get_num_coordinates(geom))
    if n > MAX_VERTICES:
        raise GeometryError(_("The boundary of {label} has {n:,} vertices, more than {max_vertices:,}.").format(label=label, n=n, max_vertices=MAX_VERTICES))
    minx, miny, maxx, maxy = geom.bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise GeometryError(_("The boundary of {label} has a coordinate that is not a finite number.").format(label=label))
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise GeometryError(_("The boundary of {label} is not in longitude/latitude degrees "
                            "(x from {minx:g} to {maxx:g}, y from {miny:g} to {maxy:g}).").format(label=label, minx=minx, maxx=maxx, miny=miny, maxy=maxy))
    if not geom.is_valid:
        fixed = shapely.make_valid(geom)
        parts = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, (Polygon, MultiPolygon))]
        if not parts:
            raise GeometryError(_("The boundary of {label} is not a valid polygon and cannot be repaired.").format(label=label))
        geom = shapely.union_all(parts)
    return geom


def parse_wkt(text: str, label: str = "a city"):
    """One city's WKT POLYGON or MULTIPOLYGON (lon lat degrees) as a shapely geometry.

    Invalid polygons (self-touching rings) are repaired with ``shapely.make_valid``.

    Raises
    ------
    GeometryError
        Not text, longer than ``MAX_WKT_CHARS``, not WKT, not polygonal, more than
        ``MAX_VERTICES`` vertices, or outside lon −180…180 / lat −90…90.
    """
    if not isinstance(text, str) or not text.strip():
        raise GeometryError(_("The boundary of {label} is empty.").format(label=label))
    if len(text) > MAX_WKT_CHARS:
        raise GeometryError(_("The boundary of {label} is {n:,} characters long, more than {max_wkt_chars:,}.").format(label=label, n=len(text), max_wkt_chars=MAX_WKT_CHARS))
    try:
        geom = shapely.from_wkt(text.strip(), on_invalid="raise")
    except Exception as exc:  # shapely.errors.GEOSException and friends
        raise GeometryError(_("The boundary of {label} is not readable WKT ({exc}).").format(label=label, exc=str(exc)[:120])) from None
    return _polygonal(geom, label)


def parse_geojson_geometry(obj, label: str = "a city"):
    """A GeoJSON geometry object (dict) of type Polygon or MultiPolygon as a shapely geometry.

    Raises
    ------
    GeometryError
        As :func:`parse_wkt`, or the object is not a GeoJSON geometry.
    """
    if not isinstance(obj, dict) or obj.get("type") not in ("Polygon", "MultiPolygon"):
        kind = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
        raise GeometryError(_("The boundary of {label} is a {kind}, not a Polygon or MultiPolygon.").format(label=label, kind=kind))
    try:
        geom = shape(obj)
    except Exception as exc:
        raise GeometryError(_("The boundary of {label} is not a readable GeoJSON polygon ({exc}).").format(label=label, exc=str(exc)[:120])) from None
    return _polygonal(geom, label)


_KEY_COLUMNS = ("code", "city_code", "adcode", "name", "city", "city_name")
_WKT_COLUMNS = ("boundary_wkt", "wkt", "coord_wkt", "geometry", "geom")


def _pick(columns: Sequence[str], choices: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    return next((lower[c] for c in choices if c in lower), None)


def read_boundary_file(path: str | Path) -> pd.DataFrame:
    """Read boundaries from a CSV, GeoJSON or ``.wkt`` file.

    - ``.csv``: a key column (code, city_code, adcode, name, city or city_name — the first
      present) and a WKT column (boundary_wkt, wkt, coord_wkt, geometry or geom);
    - ``.geojson`` / ``.json``: a FeatureCollection whose features carry one of those key names
      in ``properties``;
    - ``.wkt`` / ``.txt``: one city per line, ``key<TAB>WKT``.

    Returns
    -------
    DataFrame with columns ``key`` (str, a code or a name, as written) and ``geometry``
    (shapely Polygon/MultiPolygon), one row per city in file order.

    Raises
    ------
    GeometryError
        Missing or oversized file (> ``MAX_FILE_BYTES``), unknown extension, missing columns,
        a repeated key, or any polygon refused by :func:`parse_wkt`.
    """
    p = Path(path)
    if not p.is_file():
        raise GeometryError(_("{name} is not a file.").format(name=p.name))
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise GeometryError(_("{name} is {value:.0f} MB, more than {value2} MB.").format(name=p.name, value=size / 2 ** 20, value2=MAX_FILE_BYTES // 2 ** 20))
    ext = p.suffix.lower()
    rows: list[tuple[str, object]] = []
    if ext == ".csv":
        try:
            table = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise GeometryError(_("{name} is not a readable UTF-8 CSV file ({exc}).").format(name=p.name, exc=str(exc)[:100])) from None
        key, wkt = _pick(table.columns, _KEY_COLUMNS), _pick(table.columns, _WKT_COLUMNS)
        if key is None or wkt is None:
            raise GeometryError(_("{name} needs a code or name column and a WKT column "
                                "(one of {wkt_columns}).").format(name=p.name, wkt_columns=', '.join(_WKT_COLUMNS)))
        rows = [(k.strip(), parse_wkt(w, k.strip() or "a row")) for k, w in zip(table[key], table[wkt])]
    elif ext in (".geojson", ".json"):
        try:
            data = json.loads(p.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise GeometryError(_("{name} is not readable GeoJSON ({exc}).").format(name=p.name, exc=str(exc)[:100])) from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
            raise GeometryError(_("{name} is not a GeoJSON FeatureCollection.").format(name=p.name))
        for n, feat in enumerate(data["features"], start=1):
            props = feat.get("properties") if isinstance(feat, dict) else None
            props = props if isinstance(props, dict) else {}
            key = _pick(list(props), _KEY_COLUMNS)
            if key is None:
                raise GeometryError(_("Feature {n} of {name} has no code or name property.").format(n=n, name=p.name))
            k = str(props[key]).strip()
            rows.append((k, parse_geojson_geometry(feat.get("geometry"), k)))
    elif ext in (".wkt", ".txt"):
        for n, line in enumerate(p.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            if "\t" not in line:
                raise GeometryError(_("Line {n} of {name} is not 'code<TAB>WKT'.").format(n=n, name=p.name))
            k, w = line.split("\t", 1)
            rows.append((k.strip(), parse_wkt(w, k.strip())))
    else:
        raise GeometryError(_("{name}: boundaries are read from .csv, .geojson/.json or .wkt files.").format(name=p.name))
    if not rows:
        raise GeometryError(_("{name} holds no boundaries.").format(name=p.name))
    out = pd.DataFrame(rows, columns=["key", "geometry"])
    dup = out["key"][out["key"].duplicated()]
    if len(dup):
        raise GeometryError(_("{name} gives more than one boundary for {unique}.").format(name=p.name, unique=', '.join(dup.unique()[:10])))
    return out


def simplify(geoms: Sequence, tolerance: float = DEFAULT_TOLERANCE) -> list:
    """Simplify polygons together, keeping shared borders shared.

    Uses ``shapely.coverage_simplify`` (GEOS coverage simplification, Visvalingam–Whyatt with
    ``tolerance`` in degrees) when the polygons form a valid coverage (no overlaps); otherwise
    each polygon is simplified alone (``simplify(preserve_topology=True)``), which may open slivers
    between neighbours. Returns a list aligned with ``geoms``.

    Raises
    ------
    GeometryError
        ``tolerance`` is negative or not finite.
    """
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise GeometryError(_("The simplification tolerance must be a number ≥ 0 degrees, not {tolerance!r}.").format(tolerance=tolerance))
    arr = np.asarray(list(geoms), dtype=object)
    if len(arr) == 0 or tolerance == 0:
        return list(arr)
    if bool(shapely.coverage_is_valid(arr)):
        out = shapely.coverage_simplify(arr, tolerance)
    else:
        out = shapely.simplify(arr, tolerance, preserve_topology=True)
    return [g if g.is_valid else shapely.make_valid(g) for g in out]


def to_wkt(geom, digits: int = 4, max_chars: int = MAX_STORED_CHARS, label: str = "a city") -> str:
    """WKT text of ``geom`` with ``digits`` decimals (4 ≈ 11 m), at most ``max_chars`` characters.

    A longer text is simplified further on its own (tolerance doubled from 0.01° until it fits).

    Raises
    ------
    GeometryError
        It cannot be made to fit.
    """
    text = shapely.to_wkt(geom, rounding_precision=digits, trim=True)
    tol = 0.01
    while len(text) > max_chars and tol < 2:
        text = shapely.to_wkt(shapely.simplify(geom, tol, preserve_topology=True), rounding_precision=digits, trim=True)
        tol *= 2
    if len(text) > max_chars:
        raise GeometryError(_("The boundary of {label} cannot be stored in {max_chars:,} characters.").format(label=label, max_chars=max_chars))
    return text


def contiguity(boundaries: Mapping[str, object], min_length: float = 0.0) -> pd.DataFrame:
    """Pairs of units whose polygons share a border of positive length.

    Parameters
    ----------
    boundaries : mapping code -> shapely (Multi)Polygon (or WKT text)
    min_length : float
        A pair counts when the length of the intersection of the two boundaries (in degrees)
        exceeds this (0: any positive length; a single shared point never counts).

    Returns
    -------
    DataFrame with columns city_a, city_b (codes, city_a < city_b) and ``border_deg`` (the
    shared boundary length in degrees), sorted by (city_a, city_b).

    Raises
    ------
    GeometryError
        A WKT value is refused by :func:`parse_wkt`.
    """
    codes = sorted(str(c) for c in boundaries)
    geoms = [boundaries[c] if not isinstance(boundaries[c], str) else parse_wkt(boundaries[c], c) for c in codes]
    if not geoms:
        return pd.DataFrame({"city_a": [], "city_b": [], "border_deg": []})
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    edges = shapely.boundary(np.asarray(geoms, dtype=object))
    lengths = shapely.length(shapely.intersection(edges[left], edges[right]))
    hit = lengths > min_length
    out = pd.DataFrame({
        "city_a": [codes[i] for i in left[hit]], "city_b": [codes[j] for j in right[hit]],
        "border_deg": lengths[hit].astype("float64"),
    })
    return out.sort_values(["city_a", "city_b"], kind="stable").reset_index(drop=True)


def centroids(boundaries: Mapping[str, object]) -> pd.DataFrame:
    """Representative points (inside each polygon) as columns code, lon, lat (degrees)."""
    rows = []
    for code, g in boundaries.items():
        geom = parse_wkt(g, str(code)) if isinstance(g, str) else g
        pt = geom.representative_point()
        rows.append((str(code), pt.x, pt.y))
    return pd.DataFrame(rows, columns=["code", "lon", "lat"])
