"""The project's cities and dyads in the store (the only quant module that imports ``store``).

Cities are ``store.City`` rows (canonical columns) plus ``store.CityAttribute`` rows (one
per city and attribute: numbers in ``value``, anything else in ``text``). Dyads are
``store.Dyad`` rows ``(city_a < city_b)`` plus numeric ``store.DyadAttribute`` rows. Reading
returns wide pandas frames (pivoted in pandas). Writes happen inside the caller's
transaction (``store.session_scope``) and only after the whole input has been validated.
"""
from __future__ import annotations

from i18n import _, ngettext
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

import store
from quant.data.cities import CANONICAL_COLUMNS
from quant.data.resolver import CityResolver
from quant.data.dyad_tables import fold_pairs
from quant.errors import DyadError, QuantError, UnknownCityError
from quant.data.tables import normalise_code

__all__ = [
    "save_cities",
    "city_frame",
    "save_dyads",
    "dyad_frame",
    "city_resolver",
    "dyad_id",
    "project_summary",
]

_CHUNK = 900  # ids per IN (...) clause: below SQLite's oldest variable limit (999)
_TEXT_LIMITS = {"code": 50, "name": 200, "short_name": 100, "pinyin": 100, "province": 100}
_ATTRIBUTE_NAME_LIMIT = 100
_DYAD_KEYS = ("city_a", "city_b", "dyad_id")


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text_or_none(value: Any) -> str | None:
    return None if _missing(value) else str(value).strip()


def _float_list(series: pd.Series) -> list[float | None]:
    values = series.astype("float64").to_numpy()
    return [None if np.isnan(v) else float(v) for v in values.tolist()]


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)


def _codes(series: pd.Series, what: str) -> list[str]:
    codes = [normalise_code(v) for v in series.tolist()]
    empty = [str(k + 1) for k, c in enumerate(codes) if c is None]
    if empty:
        raise QuantError(_("{what} has no code in row(s) {empty}.").format(what=what, empty=', '.join(empty[:20])))
    return codes  # type: ignore[return-value]


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:
    """Rows of a Core select as a DataFrame (through the connection: no ORM row processing)."""
    rows = session.connection().execute(stmt).fetchall()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.DataFrame(dict(zip(columns, (list(col) for col in zip(*rows)))))


def _existing_city_codes(session: Session) -> set[str]:
    return set(session.scalars(select(store.City.code)).all())


def save_cities(session: Session, df: pd.DataFrame) -> int:
    """Insert or update cities and their attributes.

    Parameters
    ----------
    session : Session
        An open session; rows are written in its transaction.
    df : DataFrame
        One row per city: ``code`` and any of name, short_name, pinyin, province, lat, lon
        (``City`` columns: a present column overwrites stored values, missing values
        included; an absent one is left alone); every other column is an attribute:
        numeric/bool columns go to ``CityAttribute.value`` (float), others to ``.text``.
        Stored values of the same cities and attribute names are replaced.

    Returns
    -------
    int
        The number of cities written (rows of ``df``).

    Raises
    ------
    QuantError
        No ``code`` column, an empty or repeated code, a new city without a name, lat/lon
        not numeric, or a value or attribute name longer than its column allows.
    """
    if "code" not in df.columns:
        raise QuantError(_("The city table has no 'code' column."))
    if df.empty:
        return 0
    codes = _codes(df["code"], "The city table")
    seen = pd.Series(codes)
    if seen.duplicated().any():
        raise QuantError(_("The city table repeats the codes {unique}.").format(unique=', '.join(seen[seen.duplicated()].unique()[:20])))
    canonical = [c for c in CANONICAL_COLUMNS[1:] if c in df.columns]
    attributes = [c for c in df.columns if c != "code" and c not in CANONICAL_COLUMNS]
    records: list[dict[str, Any]] = [{"code": c} for c in codes]
    for col in canonical:
        if col in ("lat", "lon"):
            values = pd.to_numeric(df[col], errors="coerce")
            bad = [codes[k] for k in np.flatnonzero(values.isna().to_numpy() & ~df[col].map(_missing).to_numpy())]
            if bad:
                raise QuantError(_("The city table's {col} is not a number for {bad}.").format(col=col, bad=', '.join(bad[:20])))
            column = _float_list(values)
        else:
            column = [_text_or_none(v) for v in df[col].tolist()]
        for rec, value in zip(records, column):
            rec[col] = value
    for col, limit in _TEXT_LIMITS.items():
        long = [r["code"] for r in records if r.get(col) is not None and len(r[col]) > limit]
        if long:
            raise QuantError(_("The city table's {col} is longer than {limit} characters for {long}.").format(col=col, limit=limit, long=', '.join(long[:10])))
    too_long = [str(a) for a in attributes if len(str(a)) > _ATTRIBUTE_NAME_LIMIT]
    if too_long:
        raise QuantError(_("Attribute names longer than {attribute_name_limit} characters: {too_long}.").format(attribute_name_limit=_ATTRIBUTE_NAME_LIMIT, too_long=', '.join(too_long)))
    existing = _existing_city_codes(session)
    new = [r for r in records if r["code"] not in existing]
    nameless = [r["code"] for r in new if r.get("name") is None]
    if nameless:
        raise QuantError(
            ngettext("{n} city is not in the project and the table gives no name for them: {nameless}; load the city "
                     "list (code and name) first.",
                     "{n} cities are not in the project and the table gives no name for them: {nameless}; load the "
                     "city list (code and name) first.", len(nameless)).format(n=len(nameless), nameless=', '.join(nameless[:20]))
        )
    attr_rows: list[dict[str, Any]] = []
    for col in attributes:
        name = str(col)
        if _is_numeric(df[col]):
            attr_rows.extend({"city_code": c, "name": name, "value": v, "text": None}
                             for c, v in zip(codes, _float_list(df[col])))
        else:
            attr_rows.extend({"city_code": c, "name": name, "value": None, "text": _text_or_none(v)}
                             for c, v in zip(codes, df[col].tolist()))
    # Validated: write.
    if new:
        session.execute(insert(store.City), new)
    old = [r for r in records if r["code"] in existing]
    if old and canonical:
        session.execute(update(store.City), old)
    if attributes:
        names = [str(a) for a in attributes]
        for part in _chunks(codes):
            session.execute(
                delete(store.CityAttribute).where(
                    store.CityAttribute.city_code.in_(part), store.CityAttribute.name.in_(names)
                )
            )
        session.execute(insert(store.CityAttribute), attr_rows)
    return len(records)


def city_frame(session: Session) -> pd.DataFrame:
    """All cities of the project, one row each, with every attribute as a column.

    Parameters
    ----------
    session : Session

    Returns
    -------
    DataFrame
        Sorted by code: code, name, short_name, pinyin, province (str, missing as NaN),
        lat, lon (float64, degrees), then the attributes in alphabetical order: float64
        for attributes stored as numbers, str for text ones. Empty (with the canonical
        columns) when the project has no cities.
    """
    cities = _frame(session, select(*(getattr(store.City, c) for c in CANONICAL_COLUMNS)).order_by(store.City.code),
                    list(CANONICAL_COLUMNS))
    for col in CANONICAL_COLUMNS[:5]:
        cities[col] = cities[col].astype("str")
    for col in ("lat", "lon"):
        cities[col] = cities[col].astype("float64")
    attrs = _frame(session, select(store.CityAttribute.city_code, store.CityAttribute.name,
                                   store.CityAttribute.value, store.CityAttribute.text),
                   ["code", "name", "value", "text"])
    if attrs.empty:
        return cities
    has_text = attrs.groupby("name")["text"].apply(lambda s: s.notna().any())
    wide = []
    numeric = attrs[~attrs["name"].map(has_text)]
    if not numeric.empty:
        wide.append(numeric.pivot(index="code", columns="name", values="value").astype("float64"))
    text = attrs[attrs["name"].map(has_text)]
    if not text.empty:
        merged = text["text"].where(text["text"].notna(), text["value"].map(lambda v: None if pd.isna(v) else f"{v:g}"))
        wide.append(text.assign(text=merged).pivot(index="code", columns="name", values="text").astype("str"))
    table = pd.concat(wide, axis=1)
    table = table[sorted(table.columns)]
    table.columns.name = None
    out = cities.merge(table, left_on="code", right_index=True, how="left")
    return out.reset_index(drop=True)


def _existing_dyads(session: Session) -> dict[tuple[str, str], int]:
    rows = session.connection().execute(select(store.Dyad.city_a, store.Dyad.city_b, store.Dyad.id)).fetchall()
    return {(a, b): i for a, b, i in rows}


def save_dyads(session: Session, df: pd.DataFrame, replace_attributes: bool = True) -> int:
    """Insert dyads and store their numeric columns as dyad attributes.

    Parameters
    ----------
    session : Session
        An open session; rows are written in its transaction.
    df : DataFrame
        One row per pair: city_a, city_b (codes of cities already in the project; a
        (j, i) row is folded into (i, j)) and any numeric/bool columns (outcomes and
        covariates), each stored as ``DyadAttribute`` rows (missing values as NULL).
        Text columns are not stored (a ``UserWarning`` names them); ``dyad_id`` is ignored.
    replace_attributes : bool
        True: each attribute named in ``df`` is replaced as a whole (stored values of that
        name for dyads absent from ``df`` are deleted). False: only the values of the
        dyads in ``df`` are overwritten; others keep theirs.

    Returns
    -------
    int
        The number of dyads written (rows of ``df``).

    Raises
    ------
    QuantError
        city_a or city_b is missing, or an attribute name is too long.
    DyadError
        An empty code, a self-pair or a repeated pair (rows listed).
    UnknownCityError
        Codes not in the project (all listed).
    """
    for col in ("city_a", "city_b"):
        if col not in df.columns:
            raise QuantError(_("The dyad table has no column {col!r}.").format(col=col))
    if df.empty:
        return 0
    a = _codes(df["city_a"], "The dyad table's city_a")
    b = _codes(df["city_b"], "The dyad table's city_b")
    city_a, city_b = fold_pairs(a, b)
    selfs = [str(k + 1) for k in np.flatnonzero(city_a == city_b)]
    if selfs:
        raise DyadError(_("The dyad table pairs a city with itself in row(s) {selfs}.").format(selfs=', '.join(selfs[:20])))
    pairs = pd.DataFrame({"a": city_a, "b": city_b})
    dup = pairs.duplicated(keep=False).to_numpy()
    if dup.any():
        listing = ", ".join(f"{x}–{y}" for x, y in pairs[dup].drop_duplicates().head(20).itertuples(index=False))
        raise DyadError(_("The dyad table repeats the pairs {listing}.").format(listing=listing))
    known = _existing_city_codes(session)
    unknown = sorted((set(city_a) | set(city_b)) - known)
    if unknown:
        raise UnknownCityError(
            ngettext("The dyad table names {n} city not in the project: {unknown}; load them into the city table first.",
                     "The dyad table names {n} cities not in the project: {unknown}; load them into the city table "
                     "first.", len(unknown)).format(n=len(unknown), unknown=', '.join(unknown[:30]) + (' ...' if len(unknown) > 30 else ''))
        )
    columns = [c for c in df.columns if c not in _DYAD_KEYS]
    numeric = [c for c in columns if _is_numeric(df[c])]
    skipped = [str(c) for c in columns if c not in numeric]
    too_long = [str(c) for c in numeric if len(str(c)) > _ATTRIBUTE_NAME_LIMIT]
    if too_long:
        raise QuantError(_("Attribute names longer than {attribute_name_limit} characters: {too_long}.").format(attribute_name_limit=_ATTRIBUTE_NAME_LIMIT, too_long=', '.join(too_long)))
    if skipped:
        warnings.warn(_("Text columns are not stored as dyad attributes: {skipped}.").format(skipped=', '.join(skipped)), UserWarning, stacklevel=2)
    # Validated: write.
    existing = _existing_dyads(session)
    keys = list(zip(city_a.tolist(), city_b.tolist()))
    new = [{"city_a": x, "city_b": y} for x, y in keys if (x, y) not in existing]
    if new:
        session.execute(insert(store.Dyad.__table__), new)
        existing = _existing_dyads(session)
    ids = [existing[k] for k in keys]
    names = [str(c) for c in numeric]
    if names:
        if replace_attributes:
            session.execute(delete(store.DyadAttribute).where(store.DyadAttribute.name.in_(names)))
        else:
            for part in _chunks(ids):
                session.execute(
                    delete(store.DyadAttribute).where(
                        store.DyadAttribute.dyad_id.in_(part), store.DyadAttribute.name.in_(names)
                    )
                )
        rows = []
        for col, name in zip(numeric, names):
            rows.extend({"dyad_id": i, "name": name, "value": v} for i, v in zip(ids, _float_list(df[col])))
        session.execute(insert(store.DyadAttribute.__table__), rows)
    return len(keys)


def dyad_frame(session: Session, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """All dyads of the project with their attributes, one row each.

    Parameters
    ----------
    session : Session
    columns : sequence of str, optional
        Attributes to include (default: all, in alphabetical order).

    Returns
    -------
    DataFrame
        Sorted by (city_a, city_b): dyad_id (int64), city_a, city_b (str), then one float64
        column per attribute (NaN where a dyad has no value).

    Raises
    ------
    QuantError
        A requested attribute is not stored for any dyad (all such names listed).
    """
    dyads = _frame(session, select(store.Dyad.id, store.Dyad.city_a, store.Dyad.city_b), ["dyad_id", "city_a", "city_b"])
    dyads["dyad_id"] = dyads["dyad_id"].astype("int64")
    for col in ("city_a", "city_b"):
        dyads[col] = dyads[col].astype("str")
    stmt = select(store.DyadAttribute.dyad_id, store.DyadAttribute.name, store.DyadAttribute.value)
    if columns is not None:
        columns = list(columns)
        stored = set(session.scalars(select(store.DyadAttribute.name).distinct()).all())
        missing = [c for c in columns if c not in stored]
        if missing:
            raise QuantError(_("No dyad attribute named {map} is stored in the project.").format(map=', '.join(map(repr, missing))))
        stmt = stmt.where(store.DyadAttribute.name.in_(columns))
    attrs = _frame(session, stmt, ["dyad_id", "name", "value"])
    if not attrs.empty:
        wide = attrs.pivot(index="dyad_id", columns="name", values="value").astype("float64")
        wide = wide[columns if columns is not None else sorted(wide.columns)]
        wide.columns.name = None
        dyads = dyads.merge(wide, left_on="dyad_id", right_index=True, how="left")
    elif columns:
        for col in columns:
            dyads[col] = np.nan
    return dyads.sort_values(["city_a", "city_b"], kind="stable").reset_index(drop=True)


def city_resolver(session: Session) -> CityResolver:
    """A :class:`~quant.data.resolver.CityResolver` over the project's cities.

    Raises
    ------
    QuantError
        The project has no cities yet.
    """
    rows = session.execute(
        select(store.City.code, store.City.name, store.City.short_name, store.City.pinyin, store.City.province)
    ).all()
    if not rows:
        raise QuantError(_("The project has no cities yet; load a city table first."))
    return CityResolver(pd.DataFrame(rows, columns=["code", "name", "short_name", "pinyin", "province"]))


def dyad_id(session: Session, a: Any, b: Any) -> int:
    """The id of the dyad of two cities, creating the ``Dyad`` row if needed.

    Parameters
    ----------
    session : Session
    a, b : str or int
        City codes, in either order.

    Returns
    -------
    int
        ``Dyad.id`` of (min(a, b), max(a, b)).

    Raises
    ------
    DyadError
        a and b are the same city, or a code is empty.
    UnknownCityError
        A code is not a city of the project (both named if both are unknown).
    """
    ca, cb = normalise_code(a), normalise_code(b)
    if ca is None or cb is None:
        raise DyadError(_("A dyad needs two city codes; one is empty."))
    if ca == cb:
        raise DyadError(_("A dyad needs two different cities; got {ca} twice.").format(ca=ca))
    found = set(session.scalars(select(store.City.code).where(store.City.code.in_([ca, cb]))).all())
    unknown = [c for c in (ca, cb) if c not in found]
    if unknown:
        raise UnknownCityError(_("No city with code {unknown} in the project.").format(unknown=' or '.join(unknown)))
    lo, hi = (ca, cb) if ca < cb else (cb, ca)
    existing = session.scalar(select(store.Dyad.id).where(store.Dyad.city_a == lo, store.Dyad.city_b == hi))
    if existing is not None:
        return int(existing)
    dyad = store.Dyad(city_a=lo, city_b=hi)
    session.add(dyad)
    session.flush()
    return int(dyad.id)


def project_summary(session: Session) -> dict:
    """Counts and attribute names of the project's quantitative data.

    Returns
    -------
    dict
        ``n_cities`` (int), ``n_dyads`` (int), ``city_attributes`` and ``dyad_attributes``
        (sorted lists of names).
    """
    return {
        "n_cities": int(session.scalar(select(func.count()).select_from(store.City)) or 0),
        "n_dyads": int(session.scalar(select(func.count()).select_from(store.Dyad)) or 0),
        "city_attributes": sorted(session.scalars(select(store.CityAttribute.name).distinct()).all()),
        "dyad_attributes": sorted(session.scalars(select(store.DyadAttribute.name).distinct()).all()),
    }
