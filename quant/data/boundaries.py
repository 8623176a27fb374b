"""City boundaries stored in the project, and the shared-border dyad covariate from them.

Each city's simplified WKT (lon/lat degrees, 4 decimals, at most 30,000 characters) is stored as
the city text attribute ``boundary_wkt`` (table ``city_attributes``; no new table): it travels
with the city (deleted with it), is exported with the city table, and fits a spreadsheet cell.
Glue between :mod:`quant.data.geometry` (pure) and :mod:`quant.data.project` (store I/O).
"""
from __future__ import annotations

from i18n import _
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from quant.data import project as qdata
from quant.data import geometry
from quant.errors import AmbiguousCityError, UnknownCityError

__all__ = ["BOUNDARY_ATTRIBUTE", "load_boundaries", "save_boundaries", "stored_boundaries",
           "shared_border_pairs", "save_shared_border"]

BOUNDARY_ATTRIBUTE = "boundary_wkt"


def save_boundaries(session: Session, geoms: dict[str, object], tolerance: float = geometry.DEFAULT_TOLERANCE) -> int:
    """Simplify ``geoms`` (code -> shapely polygon) together and store them; returns the count.

    Raises
    ------
    GeometryError
        A polygon cannot be simplified into ``geometry.MAX_STORED_CHARS`` characters.
    QuantError
        A code is not a city of the project.
    """
    codes = list(geoms)
    simple = geometry.simplify([geoms[c] for c in codes], tolerance)
    wkt = [geometry.to_wkt(g, label=c) for c, g in zip(codes, simple)]
    return qdata.save_cities(session, pd.DataFrame({"code": codes, BOUNDARY_ATTRIBUTE: wkt}))


def load_boundaries(session: Session, path: str | Path, tolerance: float = geometry.DEFAULT_TOLERANCE) -> dict:
    """Read a boundary file (CSV with WKT, GeoJSON or .wkt; see ``geometry.read_boundary_file``),
    match each row to a project city by code or name, simplify and store ``boundary_wkt``.

    Rows naming no project city are skipped and listed; the whole file is refused if no row
    matches or a name is ambiguous.

    Returns
    -------
    dict: ``stored`` (int), ``skipped`` (list of the keys that matched no city),
    ``without_boundary`` (names of project cities the file did not cover).

    Raises
    ------
    GeometryError
        The file or a polygon is refused (see ``geometry.read_boundary_file``), no row matches a
        project city, or two rows resolve to one city.
    AmbiguousCityError
        A name fits several cities.
    """
    table = geometry.read_boundary_file(path)
    resolver = qdata.city_resolver(session)
    matched: dict[str, object] = {}
    skipped: list[str] = []
    for key, geom in zip(table["key"], table["geometry"]):
        try:
            code = resolver.resolve(key)
        except AmbiguousCityError:
            raise
        except UnknownCityError:
            skipped.append(key)
            continue
        if code in matched:
            raise geometry.GeometryError(_("{name} gives two boundaries for {name2}.").format(name=Path(path).name, name2=resolver.name(code)))
        matched[code] = geom
    if not matched:
        raise geometry.GeometryError(_("No row of {name} names a city of the project.").format(name=Path(path).name))
    stored = save_boundaries(session, matched, tolerance)
    missing = [resolver.name(c) for c in resolver.codes if c not in matched]
    return {"stored": stored, "skipped": skipped, "without_boundary": missing}


def stored_boundaries(session: Session) -> dict[str, str]:
    """``{code: WKT}`` of the cities that have a stored boundary (sorted by code)."""
    rows = session.execute(
        select(store.CityAttribute.city_code, store.CityAttribute.text)
        .where(store.CityAttribute.name == BOUNDARY_ATTRIBUTE, store.CityAttribute.text.is_not(None))
        .order_by(store.CityAttribute.city_code)
    ).all()
    return {code: text for code, text in rows}


def shared_border_pairs(session: Session, min_length: float = 0.0) -> pd.DataFrame:
    """Pairs of project cities whose stored boundaries share a border (``geometry.contiguity``)."""
    return geometry.contiguity(stored_boundaries(session), min_length=min_length)


def save_shared_border(session: Session, name: str = "shared_border", min_length: float = 0.0) -> int:
    """Store the 0/1 dyad covariate ``name`` for every dyad of the project; returns the number of 1s.

    Dyads between cities without a stored boundary get a missing value, not 0.

    Raises
    ------
    QuantError
        The project has no dyads or no stored boundaries.
    """
    from quant.errors import QuantError

    bounds = stored_boundaries(session)
    if not bounds:
        raise QuantError(_("No city has a stored boundary; load a boundary file first."))
    dyads = qdata.dyad_frame(session, columns=[])
    if dyads.empty:
        raise QuantError(_("The project has no dyads; build dyads from the city table first."))
    pairs = geometry.contiguity(bounds, min_length=min_length)
    hit = set(zip(pairs["city_a"], pairs["city_b"]))
    known = set(bounds)
    flag = [
        (1.0 if (a, b) in hit else 0.0) if (a in known and b in known) else float("nan")
        for a, b in zip(dyads["city_a"], dyads["city_b"])
    ]
    qdata.save_dyads(session, pd.DataFrame({"city_a": dyads["city_a"], "city_b": dyads["city_b"], name: flag}))
    return len(hit)
