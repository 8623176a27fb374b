"""City (node) tables: resolving names to codes, loading city tables, the canonical city frame.

A city is keyed by a string ``code``: the 6-digit adcode for Chinese prefecture-level
cities, any identifier for other node sets. ``CityResolver`` turns what researchers type
(adcode, 苏州市, 苏州, Suzhou, 常州市武进区) into that code and refuses ambiguity (pinyin
collides: Suzhou = 苏州/宿州, Taizhou = 泰州/台州, Fuzhou = 福州/抚州).
"""
from __future__ import annotations

from i18n import _, ngettext
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quant.errors import AmbiguousCityError, QuantError, UnknownCityError
from quant.data.tables import is_missing, normalise_code, numeric_where_possible, read_table

__all__ = [
    "CANONICAL_COLUMNS",
    "CityResolver",
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

_SIX_DIGITS = re.compile(r"^\d{6}$")
_ADMIN_SUFFIXES = ("市", "州", "盟", "地区")  # full names usable as a prefix of a unit name


def _label(value: Any) -> str:
    """A city name or alias as readers see it: NFKC (full-width -> ASCII), invisible format
    and control characters removed (``苏州\u200b`` is ``苏州``), spaces collapsed, trimmed."""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join("".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c.isspace()).split())


def _pinyin_key(text: str) -> str:
    """Case-, space-, apostrophe- and hyphen-insensitive key (``"Huai'an"`` -> ``"huaian"``)."""
    return re.sub(r"[\s'’\-_·]", "", unicodedata.normalize("NFKC", text)).casefold()


class CityResolver:
    """Resolve adcodes, Chinese names, short names and pinyin to city codes.

    Parameters
    ----------
    cities : DataFrame
        One row per city with columns ``code`` and ``name`` (full name, 苏州市) and
        optionally ``short_name`` (苏州), ``pinyin`` (Suzhou) and ``province`` (江苏省).
        Codes are compared as strings (see :func:`normalise_code`).

    Raises
    ------
    QuantError
        ``code`` or ``name`` is missing, or a code is empty or repeated.

    Notes
    -----
    Resolution order for one value: (1) an exact code (int or str); (2) an exact full
    name, short name or pinyin (pinyin ignores case, spaces, apostrophes and hyphens);
    (3) a 6-digit adcode of a district or county whose prefecture ``xxxx00`` is in the
    table (320412 -> 320400); (4) a unit name that starts with a city's full name ending
    in 市, 州, 盟 or 地区, after
    an optional province prefix (常州市武进区 -> 常州市, 江苏省苏州市 -> 苏州市); the
    longest matching name wins. More than one match at the first step that matches
    raises :class:`AmbiguousCityError`.
    """

    def __init__(self, cities: pd.DataFrame) -> None:
        missing = [c for c in ("code", "name") if c not in cities.columns]
        if missing:
            raise QuantError(_("A city resolver needs the columns code and name; missing: {missing}.").format(missing=', '.join(missing)))
        codes = [normalise_code(v) for v in cities["code"]]
        if any(c is None for c in codes):
            raise QuantError(_("The city table has a row without a code."))
        dupes = sorted({c for c in codes if codes.count(c) > 1}) if len(set(codes)) < len(codes) else []
        if dupes:
            raise QuantError(_("The city table repeats the codes {dupes}.").format(dupes=', '.join(dupes)))
        self._codes: list[str] = codes
        self._code_set = set(codes)
        self._names: dict[str, str] = {}
        self._aliases: dict[str, set[str]] = {}
        self._full_names: dict[str, str] = {}  # full name -> code
        self._provinces: set[str] = set()
        columns = {c: cities[c].tolist() for c in ("name", "short_name", "pinyin", "province") if c in cities.columns}
        for pos, code in enumerate(codes):
            name = columns["name"][pos]
            name = "" if is_missing(name) else _label(name)
            self._names[code] = name
            if name:
                self._add_alias(name, code)
                if name.endswith(_ADMIN_SUFFIXES):
                    self._full_names[name] = code
            short = columns.get("short_name", [None] * len(codes))[pos]
            if not is_missing(short):
                self._add_alias(_label(short), code)
            pinyin = columns.get("pinyin", [None] * len(codes))[pos]
            if not is_missing(pinyin):
                self._add_alias(_pinyin_key(str(pinyin)), code)
            province = columns.get("province", [None] * len(codes))[pos]
            if not is_missing(province):
                self._provinces.add(_label(province))
        # Longest names first, so 南通市海门区 never stops at a shorter prefix.
        self._prefix_order = sorted(self._full_names, key=len, reverse=True)

    def _add_alias(self, key: str, code: str) -> None:
        if key:
            self._aliases.setdefault(key, set()).add(code)
            folded = _pinyin_key(key)
            if folded != key:
                self._aliases.setdefault(folded, set()).add(code)

    @property
    def codes(self) -> list[str]:
        """The codes of the table, in table order."""
        return list(self._codes)

    def name(self, code: str) -> str:
        """The full name of a city code (empty string when the table has none)."""
        return self._names[code]

    def label(self, code: str) -> str:
        """``"苏州市 320500"``: name and code, as error messages list candidates."""
        name = self._names.get(code, "")
        return f"{name} {code}".strip()

    def _match(self, value: Any) -> list[str]:
        """Candidate codes for one value (empty: unknown; several: ambiguous)."""
        if isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, (bool, np.bool_)):
            try:
                code = normalise_code(value)
            except QuantError:
                return []
            return self._match_text(code)
        return self._match_text(_label(value))

    def _match_text(self, text: str) -> list[str]:
        if text in self._code_set:
            return [text]
        code = normalise_code(text)
        if code in self._code_set:
            return [code]
        for key in (text, _pinyin_key(text)):
            if key in self._aliases:
                return sorted(self._aliases[key])
        if _SIX_DIGITS.match(text) and text[:4] + "00" in self._code_set:
            return [text[:4] + "00"]
        rest = text
        for province in sorted(self._provinces, key=len, reverse=True):
            if text.startswith(province) and len(text) > len(province):
                rest = text[len(province):]
                if rest in self._aliases:
                    return sorted(self._aliases[rest])
                break
        for full in self._prefix_order:
            if rest.startswith(full) and len(rest) > len(full):
                return [self._full_names[full]]
        return []

    def _problem(self, value: Any, label: str) -> tuple[str | None, str | None, bool]:
        """(code, None, False) or (None, what is wrong at ``label`` in the current language, ambiguous)."""
        if is_missing(value):
            return None, _("{label}: the value is empty").format(label=label), False
        found = self._match(value)
        if len(found) == 1:
            return found[0], None, False
        if not found:
            return None, _("{label}: {value!r} matches no city (not a code, full name, short name or pinyin of the "
                           "table)").format(label=label, value=value), False
        listing = ", ".join(self.label(c) for c in found)
        return None, _("{label}: {value!r} is ambiguous: {listing}; use the adcode or the Chinese name").format(
            label=label, value=value, listing=listing), True

    def resolve(self, value: Any) -> str:
        """The code of one city.

        Parameters
        ----------
        value : int or str
            An adcode (``320500`` or ``"320500"``), a full name (苏州市), a short name
            (苏州), pinyin (``"suzhou"``, case/space-insensitive), a district/county
            adcode or a unit name starting with a city's full name (常州市武进区).

        Returns
        -------
        str
            The city's code.

        Raises
        ------
        UnknownCityError
            The value matches no city (or is empty).
        AmbiguousCityError
            The value matches several cities; ``.candidates`` lists ``"苏州市 320500"``-style
            labels in code order.
        """
        if is_missing(value):
            raise UnknownCityError(_("An empty value cannot name a city."))
        found = self._match(value)
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownCityError(
                _("{value!r} matches no city: it is not a code, full name, short name or pinyin of the "
                "{n} cities of the table.").format(value=value, n=len(self._codes))
            )
        labels = [self.label(c) for c in found]
        raise AmbiguousCityError(
            _("{value!r} is ambiguous: it could be {labels}; use the adcode or the Chinese name.").format(value=value, labels=_(" or ").join(labels)),
            candidates=labels,
        )

    def resolve_many(self, values: Iterable[Any], labels: Sequence[str] | None = None) -> list[str]:
        """The codes of many values, reporting every bad value in one error.

        Parameters
        ----------
        values : iterable
            Values accepted by :meth:`resolve`.
        labels : sequence of str, optional
            How to name each value's position in the error (default ``"row 1"``, ``"row 2"``...,
            counting data rows from 1).

        Returns
        -------
        list of str
            One code per value, in order.

        Raises
        ------
        UnknownCityError
            One or more values match no city (the message lists each bad value, including
            any ambiguous ones, with its position).
        AmbiguousCityError
            Every bad value is ambiguous; ``.candidates`` holds all their candidates.
        """
        values = list(values)
        if labels is None:
            labels = [_("row {n}").format(n=i + 1) for i in range(len(values))]
        codes, problems, unknown, candidates = [], [], False, []
        for label, value in zip(labels, values):
            code, reason, ambiguous = self._problem(value, label)
            codes.append(code)
            if reason is not None:
                problems.append(reason)
                if ambiguous:
                    candidates.extend(self.label(c) for c in self._match(value))
                else:
                    unknown = True
        if problems:
            shown = "; ".join(problems[:50])
            if len(problems) > 50:
                shown = _("{problems}; and {n} more").format(problems=shown, n=len(problems) - 50)
            message = _("{n} value(s) do not resolve to one city — {problems}.").format(n=len(problems), problems=shown)
            if unknown:
                raise UnknownCityError(message)
            raise AmbiguousCityError(message, candidates=list(dict.fromkeys(candidates)))
        return codes  # type: ignore[return-value]


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
