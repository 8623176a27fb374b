"""Regenerate the demo's fact tables from the real inputs in ``../shared/data/cities``.

Writes two committed files beside this script, so the demo builds without ``../shared``:

- ``cities.csv``: the 155 prefecture-level units (adcode, names, pinyin, province, city-seat
  coordinates), their 2020 census figures, and fact flags (``capital`` and membership of
  real regional strategies; sources in ``README.md``);
- ``boundaries.csv``: each city's boundary polygon from ``city_boundaries_wkt_southeast.csv``,
  simplified together with ``quant.data.geometry.simplify`` (shared borders stay shared), as WKT.
  The ``shared_border`` covariate is computed from it by ``facts.load_borders``.

Run ``python -m data.demo.make_facts [SHARED_DATA_DIR]``. Only facts are carried over.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parents[2] / "shared" / "data"

# Provincial capitals plus sub-provincial / separately planned cities (adcodes).
CAPITALS = {
    "320100": "南京", "330100": "杭州", "340100": "合肥", "350100": "福州", "360100": "南昌",
    "370100": "济南", "410100": "郑州", "420100": "武汉", "430100": "长沙", "440100": "广州",
    "450100": "南宁", "330200": "宁波", "350200": "厦门", "370200": "青岛", "440300": "深圳",
}

# Regional strategies: column name -> (whole provinces by adcode prefix, listed cities by adcode).
# Sources and dates are documented in README.md.
STRATEGIES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    # Yangtze River Delta regional integration outline (2019): all of Jiangsu, Zhejiang, Anhui.
    "yrd": (("32", "33", "34"), {}),
    # Guangdong-Hong Kong-Macao Greater Bay Area outline (2019): the nine Guangdong cities.
    "gba": ((), {
        "440100": "广州", "440300": "深圳", "440400": "珠海", "440600": "佛山", "441300": "惠州",
        "441900": "东莞", "442000": "中山", "440700": "江门", "441200": "肇庆",
    }),
    # Wuhan metropolitan circle (the prefecture-level members of "1+8").
    "wuhan_circle": ((), {
        "420100": "武汉", "420200": "黄石", "420700": "鄂州", "421100": "黄冈", "420900": "孝感",
        "421200": "咸宁",
    }),
    # Chang-Zhu-Tan urban agglomeration.
    "cztan": ((), {"430100": "长沙", "430200": "株洲", "430300": "湘潭"}),
    # Beibu Gulf urban agglomeration plan (2017): members inside the study area.
    "beibu_gulf": ((), {
        "450100": "南宁", "450500": "北海", "450600": "防城港", "450700": "钦州", "450900": "玉林",
        "451400": "崇左", "440800": "湛江", "440900": "茂名", "441700": "阳江",
    }),
    # Western Taiwan Straits Economic Zone plan (2011): all of Fujian plus 11 listed cities.
    "west_strait": (("35",), {
        "330300": "温州", "330800": "衢州", "331100": "丽水", "440500": "汕头", "441400": "梅州",
        "445100": "潮州", "445200": "揭阳", "361100": "上饶", "360600": "鹰潭", "361000": "抚州",
        "360700": "赣州",
    }),
}

CENSUS_COLUMNS = {
    "popu_2020": "pop_2020",
    "popu_2010": "pop_2010",
    "household_2020": "household_2020",
    "male_female_2020": "male_female_2020",
    "age_0_14_2020": "age_0_14_2020",
    "age_15_59_2020": "age_15_59_2020",
    "age_60_2020": "age_60_2020",
    "age_65_2020": "age_65_2020",
}


def make_cities(shared: Path) -> pd.DataFrame:
    """Join the city list with the 2020 census and add the fact flags.

    Returns a DataFrame (155 rows) with columns code, name, short_name, pinyin, province,
    lat, lon, pop_2020 (persons), urban_share (0-1), the other census columns (age shares in
    percent, household size in persons, sex ratio males per 100 females), capital,
    in_strategy and one 0/1 column per strategy. Raises ValueError if the inputs do not match.
    """
    cities = pd.read_csv(shared / "cities" / "cities_southeast.csv", dtype={"adcode": str})
    census = pd.read_csv(shared / "cities" / "census2020_city_southeast.csv", dtype={"city_code": str})
    out = pd.DataFrame({
        "code": cities["adcode"],
        "name": cities["name_zh"],
        "short_name": cities["name_short_zh"],
        "pinyin": cities["name_pinyin"],
        "province": cities["province_zh"],
        "lat": cities["lat"].round(6),
        "lon": cities["lon"].round(6),
    })
    census = census.set_index("city_code")
    missing = sorted(set(out["code"]) - set(census.index))
    if missing:
        raise ValueError(f"Census table lacks the adcodes {missing}.")
    c = census.loc[out["code"]]
    out["pop_2020"] = c["popu_2020"].to_numpy()
    out["urban_share"], out["urban_share_imputed"] = _urban_share(c)
    for src, dst in CENSUS_COLUMNS.items():
        if dst != "pop_2020":
            out[dst] = c[src].to_numpy()
    unknown = sorted(set(CAPITALS) - set(out["code"]))
    if unknown:
        raise ValueError(f"Capital adcodes {unknown} are not among the 155 cities.")
    out["capital"] = out["code"].isin(CAPITALS).astype(int)
    for col, (prefixes, listed) in STRATEGIES.items():
        names = dict(zip(out["code"], out["short_name"]))
        for code, short in listed.items():
            if names.get(code) != short:
                raise ValueError(f"Strategy {col}: adcode {code} is {names.get(code)!r}, expected {short}.")
        member = out["code"].str[:2].isin(prefixes) | out["code"].isin(listed)
        out[col] = member.astype(int)
    out["in_strategy"] = out[list(STRATEGIES)].max(axis=1).astype(int)
    return out


def _urban_share(census: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """2020 urban share (0-1); where the 2020 urban count is missing, impute it.

    Imputation: the city's 2010 share plus the median 2010->2020 change among the other
    cities of its province. Returns (share, imputed flag 0/1), aligned with ``census``.
    """
    share20 = census["popu_urban_2020"] / census["popu_2020"]
    share10 = census["popu_urban_2010"] / census["popu_2010"]
    change = (share20 - share10).groupby(census["province_code"]).transform("median")
    imputed = share20.isna()
    if (imputed & share10.isna()).any():
        raise ValueError("A city lacks both its 2020 and 2010 urban population.")
    share = share20.where(~imputed, share10 + change)
    return share.round(6).to_numpy(), imputed.astype(int).to_numpy()


def _boundary_geometries(shared: Path) -> dict[str, object]:
    """``{adcode: shapely polygon}`` from ``city_boundaries_wkt_southeast.csv`` (full resolution)."""
    from quant.data.geometry import parse_wkt

    b = pd.read_csv(shared / "cities" / "city_boundaries_wkt_southeast.csv", dtype={"city_code": str})
    return {code: parse_wkt(wkt, f"{name} {code}") for code, name, wkt in zip(b["city_code"], b["city"], b["coord_wkt"])}


def make_borders(shared: Path) -> pd.DataFrame:
    """Pairs of cities whose full-resolution boundary polygons share a border of positive length.

    Computed with ``quant.data.geometry.contiguity`` (polygons intersect and their boundaries share a
    line, so a corner touch does not count). Returns a DataFrame with columns city_a, city_b
    (adcodes, city_a < city_b).
    """
    from quant.data.geometry import contiguity

    return contiguity(_boundary_geometries(shared))[["city_a", "city_b"]]


def make_boundaries(shared: Path, tolerance: float | None = None) -> pd.DataFrame:
    """The 155 boundaries simplified together (``quant.data.geometry.simplify``, coverage-preserving).

    Returns a DataFrame with columns code, boundary_wkt (WKT, lon lat, 4 decimals), sorted by code.
    """
    from quant.data.geometry import DEFAULT_TOLERANCE, simplify, to_wkt

    geoms = _boundary_geometries(shared)
    codes = sorted(geoms)
    simple = simplify([geoms[c] for c in codes], DEFAULT_TOLERANCE if tolerance is None else tolerance)
    return pd.DataFrame({"code": codes, "boundary_wkt": [to_wkt(g, label=c) for c, g in zip(codes, simple)]})


def main(argv: list[str]) -> int:
    shared = Path(argv[1]) if len(argv) > 1 else DEFAULT_SHARED
    if not (shared / "cities" / "cities_southeast.csv").exists():
        print(f"{shared} does not hold cities/cities_southeast.csv.", file=sys.stderr)
        return 1
    cities = make_cities(shared)
    boundaries = make_boundaries(shared)
    cities.to_csv(HERE / "cities.csv", index=False)
    boundaries.to_csv(HERE / "boundaries.csv", index=False)
    print(f"wrote {len(cities)} cities and {len(boundaries)} simplified boundaries to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
