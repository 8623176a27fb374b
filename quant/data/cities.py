"""City (node) tables: loading a city table into the canonical city frame.

A city is keyed by a string ``code``: the 6-digit adcode for Chinese prefecture-level
cities, any identifier for other node sets. Names in a table are resolved to codes by
``quant.data.resolver.CityResolver``.
"""
from __future__ import annotations

from i18n import _, ngettext
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from quant.data.resolver import CityResolver
from quant.errors import QuantError
from quant.data.tables import is_missing, normalise_code, numeric_where_possible, read_table

__all__ = [
    "CANONICAL_COLUMNS",
    "normalise_code",
    "read_table",
    "load_city_table",
    "standard_cities",
    "numeric_where_possible",
]

#: The columns of the canonical city frame (the ``City`` table), in order.
CANONICAL_COLUMNS = ("code", "name", "short_name", "pinyin", "province", "lat", "lon")

# Column names recognised as the city key, and as a city name to resolve (lower case).
CODE_COLUMNS = ("code", "adcode", "city_code", "citycode", "city_adcode", "行政区划代码", "代码")
NAME_COLUMNS = ("name", "city", "city_name", "name_zh", "cityname", "城市", "城市名称", "地级市", "名称")

# Aliases of canonical columns found in common city tables (cities_southeast.csv format).
CANONICAL_ALIASES = {
    "name_zh": "name",
    "name_short_zh": "short_name",
    "name_pinyin": "pinyin",
    "province_zh": "province",
    "latitude": "lat",
    "longitude": "lon",
    "lng": "lon",
    # Chinese headers (a city table made in China names its columns in Chinese)
    "城市": "name", "城市名称": "name", "名称": "name", "地级市": "name", "城市名": "name",
    "简称": "short_name", "拼音": "pinyin", "省份": "province", "省": "province", "所属省份": "province",
    "纬度": "lat", "经度": "lon",
}

def _find_column(columns: Sequence[str], choices: Sequence[str]) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    for choice in choices:
        if choice in lower:
            return lower[choice]
    return None


def load_city_table(
    path_or_df: str | Path | pd.DataFrame,
    *,
    id_column: str | None = None,
    resolver: CityResolver | None = None,
) -> pd.DataFrame:
    """A city (node) table keyed by ``code``, with its attribute columns.

    Parameters
    ----------
    path_or_df : str, Path or DataFrame
        A CSV/XLSX file (see :func:`read_table`) or a table already read.
    id_column : str, optional
        The column naming each unit. Default: the first of code/adcode/city_code found,
        else a name column (name/city/city_name/name_zh/城市) resolved by ``resolver``.
    resolver : CityResolver, optional
        Maps names (or codes, checking they exist) to the project's city codes. Without
        it, ids are kept as strings ("any units": families, counties, countries).

    Returns
    -------
    DataFrame
        Column ``code`` (str) first, then every other column but the id column. Known aliases are renamed to canonical names (name_zh
        -> name, name_short_zh -> short_name, name_pinyin -> pinyin, province_zh ->
        province, latitude -> lat, longitude/lng -> lon; Chinese headers 城市/城市名称/名称/地级市 -> name,
        简称 -> short_name, 拼音 -> pinyin, 省份/省/所属省份 -> province, 纬度 -> lat, 经度 -> lon; the id
        column may be 代码/行政区划代码 or a name column 城市/城市名称/名称). Columns whose cells all parse as
        numbers are numeric. Row order is kept.

    Raises
    ------
    QuantError
        No id column can be found, names need a resolver, an id is empty, or a city
        appears twice (all duplicates listed with their rows).
    UnknownCityError, AmbiguousCityError
        From the resolver, listing every bad value with its row.
    """
    label = _("the city table")
    if isinstance(path_or_df, pd.DataFrame):
        raw = path_or_df.copy()
    else:
        label = str(path_or_df)
        raw = read_table(path_or_df, as_text=True)
    if raw.empty:
        raise QuantError(_("{label} has no rows.").format(label=label))
    raw.columns = [str(c).strip() for c in raw.columns]
    if id_column is not None:
        if id_column not in raw.columns:
            raise QuantError(_("{label} has no column {id_column!r}; its columns are {columns}.").format(label=label, id_column=id_column, columns=', '.join(raw.columns)))
        column, by_name = id_column, resolver is not None
    else:
        column = _find_column(raw.columns, CODE_COLUMNS)
        by_name = False
        if column is None:
            column = _find_column(raw.columns, NAME_COLUMNS)
            if column is None:
                raise QuantError(
                    _("{label} has no code column (code, adcode, city_code) and no name column "
                    "(name, city, name_zh); name the id column.").format(label=label)
                )
            if resolver is None:
                raise QuantError(
                    _("{label} names cities in column {column!r} but the project has no city list to resolve "
                    "them; load the cities first or give an id column.").format(label=label, column=column)
                )
            by_name = True
    labels = [_("row {n}").format(n=i + 1) for i in range(len(raw))]
    if resolver is not None:
        codes = resolver.resolve_many(raw[column].tolist(), labels=labels)
    else:
        codes = []
        empty = []
        for lab, value in zip(labels, raw[column].tolist()):
            code = normalise_code(value)
            codes.append(code)
            if code is None:
                empty.append(lab)
        if empty:
            raise QuantError(_("{label}: column {column!r} is empty in {empty}.").format(label=label, column=column, empty=', '.join(empty[:20])))
    seen: dict[str, list[str]] = {}
    for lab, code in zip(labels, codes):
        seen.setdefault(code, []).append(lab)
    dupes = {code: rows for code, rows in seen.items() if len(rows) > 1}
    if dupes:
        listing = "; ".join(f"{code} ({', '.join(rows)})" for code, rows in list(dupes.items())[:20])
        raise QuantError(ngettext("{label} lists {n} city more than once: {listing}.",
                                  "{label} lists {n} cities more than once: {listing}.", len(dupes)).format(
            label=label, n=len(dupes), listing=listing))
    attrs = raw.drop(columns=[column]).rename(columns=CANONICAL_ALIASES)
    if "code" in attrs.columns:
        attrs = attrs.drop(columns=["code"])
    if len(set(attrs.columns)) < len(attrs.columns):
        raise QuantError(_("{label} has two columns that both mean the same canonical column (e.g. name and name_zh).").format(label=label))
    attrs = numeric_where_possible(attrs)
    out = pd.concat([pd.DataFrame({"code": pd.Series(codes, dtype="str")}), attrs.reset_index(drop=True)], axis=1)
    return out


def standard_cities(path: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The canonical city frame from a ``cities_southeast.csv``-format table.

    Parameters
    ----------
    path : str, Path or DataFrame
        A table with columns adcode, name_zh, name_short_zh, name_pinyin, province_zh,
        lat, lon (others are ignored).

    Returns
    -------
    DataFrame
        Columns code (str), name, short_name, pinyin, province (str), lat, lon (float64,
        degrees), one row per city in file order.

    Raises
    ------
    QuantError
        A required column is missing, an adcode is empty or repeated, or a coordinate is
        not a number within range.
    """
    label = "the city table" if isinstance(path, pd.DataFrame) else str(path)
    raw = path.copy() if isinstance(path, pd.DataFrame) else read_table(path, as_text=True)
    need = {"adcode": "code", "name_zh": "name", "name_short_zh": "short_name", "name_pinyin": "pinyin",
            "province_zh": "province", "lat": "lat", "lon": "lon"}
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise QuantError(_("{label} is not in the cities_southeast format: missing {missing}.").format(label=label, missing=', '.join(missing)))
    out = raw[list(need)].rename(columns=need)
    codes = [normalise_code(v) for v in out["code"]]
    if any(c is None for c in codes):
        raise QuantError(_("{label} has a row without an adcode.").format(label=label))
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise QuantError(_("{label} repeats the adcodes {dupes}.").format(label=label, dupes=', '.join(dupes)))
    out["code"] = pd.Series(codes, index=out.index, dtype="str")
    for col in ("name", "short_name", "pinyin", "province"):
        out[col] = out[col].map(lambda v: None if is_missing(v) else str(v).strip()).astype("str")
    for col, bound in (("lat", 90.0), ("lon", 180.0)):
        values = pd.to_numeric(out[col], errors="coerce")
        bad = out.loc[values.isna() | (values.abs() > bound), "code"].tolist()
        if bad:
            raise QuantError(_("{label}: {col} is missing or out of range for {bad}.").format(label=label, col=col, bad=', '.join(bad[:20])))
        out[col] = values.astype("float64")
    return out.reset_index(drop=True)
