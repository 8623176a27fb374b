"""The demo's fact tables, read from the committed CSV files beside this module.

``cities.csv`` and ``boundaries.csv`` are written by ``make_facts.py`` from ``../shared/data``
(facts only: names, adcodes, coordinates, 2020 census figures, strategy memberships, boundary
polygons simplified with shapely; sources in ``README.md``). Reading them needs nothing outside
the repository. Shared borders are computed from the polygons (``quant.data.geometry.contiguity``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

DEMO_DIR = Path(__file__).resolve().parent
CITIES_CSV = DEMO_DIR / "cities.csv"
BOUNDARIES_CSV = DEMO_DIR / "boundaries.csv"

#: Regional strategies with a 0/1 membership column in cities.csv (see README.md).
STRATEGY_COLUMNS = ("yrd", "gba", "wuhan_circle", "cztan", "beibu_gulf", "west_strait")

#: Columns every city row has; the rest of cities.csv are numeric attributes.
IDENTITY_COLUMNS = ("code", "name", "short_name", "pinyin", "province", "lat", "lon")

N_CITIES = 155


def load_cities(path: Path | str = CITIES_CSV) -> pd.DataFrame:
    """The 155 cities with their facts and the city-level model variables.

    Returns
    -------
    DataFrame, 155 rows sorted by ``code`` (adcode, str): identity columns (code, name,
    short_name, pinyin, province, lat, lon in degrees), census figures (pop_2020 in persons,
    urban_share 0–1, age shares in percent, ...), flags (capital, in_strategy, one 0/1
    column per strategy), and ``log_pop`` = ln(pop_2020 / 10⁶) (population in millions).

    Raises
    ------
    ValueError
        The file is not the demo's city table (missing columns, repeated or missing codes).
    """
    cities = pd.read_csv(path, dtype={"code": str})
    needed = set(IDENTITY_COLUMNS) | {"pop_2020", "urban_share", "capital", "in_strategy", *STRATEGY_COLUMNS}
    missing = sorted(needed - set(cities.columns))
    if missing:
        raise ValueError(f"{path} lacks the columns {', '.join(missing)}.")
    if cities["code"].isna().any() or cities["code"].duplicated().any():
        raise ValueError(f"{path} has an empty or repeated city code.")
    if cities[["pop_2020", "urban_share", "lat", "lon"]].isna().any().any():
        raise ValueError(f"{path} has a city without population, urban share or coordinates.")
    cities = cities.sort_values("code", kind="stable").reset_index(drop=True)
    cities["log_pop"] = np.log(cities["pop_2020"] / 1e6)
    return cities


def load_boundaries(path: Path | str = BOUNDARIES_CSV) -> pd.DataFrame:
    """The 155 simplified city boundaries: columns code (adcode), boundary_wkt (WKT, lon lat).

    Raises
    ------
    ValueError
        The file lacks those columns or repeats a code.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(table.columns) != ["code", "boundary_wkt"] or table["code"].duplicated().any():
        raise ValueError(f"{path} must have columns code, boundary_wkt with one row per city.")
    return table.sort_values("code", kind="stable").reset_index(drop=True)


@lru_cache(maxsize=2)
def _borders(path: str) -> pd.DataFrame:
    from quant.data.geometry import contiguity

    table = load_boundaries(path)
    return contiguity(dict(zip(table["code"], table["boundary_wkt"])))[["city_a", "city_b"]]


def load_borders(path: Path | str = BOUNDARIES_CSV) -> pd.DataFrame:
    """Pairs of cities sharing a land border: columns city_a, city_b (adcodes, city_a < city_b).

    Computed from the boundary polygons in ``path`` with ``quant.data.geometry.contiguity``: the two
    polygons intersect and their outlines share a line of positive length (a corner touch does
    not count). The simplification keeps shared borders shared, so the pairs equal those of the
    full-resolution polygons (399 pairs; only the island city 舟山 has none).

    Raises
    ------
    ValueError
        The file is not a boundary table; quant.data.geometry.GeometryError for a bad polygon.
    """
    return _borders(str(path)).copy()
