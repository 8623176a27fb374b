"""Dyad tables: reading pairs from a file, folding (j, i) into (i, j), breadth per city.

An undirected dyad is one row ``(city_a, city_b)`` with ``city_a < city_b`` in string
order of the codes. A self-pair is an error; a duplicate pair is an error unless the user
chooses how to aggregate (domain notes, "Data conventions").
"""
from __future__ import annotations

from i18n import _
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from quant.data.resolver import CityResolver
from quant.errors import DyadError, QuantError
from quant.data.tables import normalise_code, numeric_where_possible, read_table

__all__ = ["AGGREGATES", "fold_pairs", "read_dyad_table", "breadth_from_dyads"]

#: Ways to combine duplicate pairs in :func:`read_dyad_table`.
AGGREGATES = ("sum", "max", "mean", "first")


def fold_pairs(a: Sequence[str], b: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Order each pair so that the first code is the smaller (string order).

    Parameters
    ----------
    a, b : sequence of str, length m

    Returns
    -------
    (ndarray, ndarray)
        city_a = min(a, b), city_b = max(a, b), element-wise, as object arrays of str.
    """
    a = np.asarray(a, dtype="object")
    b = np.asarray(b, dtype="object")
    swap = np.asarray(a > b, dtype=bool)
    return np.where(swap, b, a), np.where(swap, a, b)


def read_dyad_table(
    path_or_df: str | Path | pd.DataFrame,
    a: str,
    b: str,
    *,
    resolver: CityResolver | None = None,
    aggregate: str | None = None,
) -> pd.DataFrame:
    """A dyad table with one row per undirected pair.

    Parameters
    ----------
    path_or_df : str, Path or DataFrame
        CSV/XLSX file (see ``read_table``) or a table already read.
    a, b : str
        The two city columns.
    resolver : CityResolver, optional
        Resolves names/codes to city codes; None keeps the ids as strings (any units).
    aggregate : {"sum", "max", "mean", "first"}, optional
        How to combine rows naming the same pair (numeric columns; text columns keep the
        first value). None refuses duplicates.

    Returns
    -------
    DataFrame
        city_a, city_b (str, city_a < city_b: a (j, i) row is folded into (i, j)), then
        the other columns (numeric where every cell parses as a number), sorted by pair.

    Raises
    ------
    QuantError
        A named column is missing or ``aggregate`` is not one of the choices.
    UnknownCityError, AmbiguousCityError
        Values that do not resolve to one city; every bad value is listed with its data
        row (1 = first row after the header).
    DyadError
        An empty id, a self-pair (rows listed), or duplicate pairs without ``aggregate``
        (pairs and rows listed).
    """
    label = "the dyad table"
    if isinstance(path_or_df, pd.DataFrame):
        raw = path_or_df.copy()
    else:
        label = str(path_or_df)
        raw = read_table(path_or_df, as_text=True)
    for col in (a, b):
        if col not in raw.columns:
            raise QuantError(_("{label} has no column {col!r}; its columns are {map}.").format(label=label, col=col, map=', '.join(map(str, raw.columns))))
    if a == b:
        raise DyadError(_("The two city columns of {label} must differ (both are {a!r}).").format(label=label, a=a))
    if aggregate is not None and aggregate not in AGGREGATES:
        raise QuantError(_("Unknown aggregation {aggregate!r} for duplicate pairs; use one of {aggregates}.").format(aggregate=aggregate, aggregates=', '.join(AGGREGATES)))
    raw = raw.reset_index(drop=True)
    n = len(raw)
    rows = [f"row {k + 1}" for k in range(n)]
    if resolver is not None:
        values = raw[a].tolist() + raw[b].tolist()
        labels = [f"{r} {a}" for r in rows] + [f"{r} {b}" for r in rows]
        codes = resolver.resolve_many(values, labels=labels)
    else:
        codes = [normalise_code(v) for v in raw[a].tolist() + raw[b].tolist()]
        empty = [f"{r} {c}" for r, c, v in zip(rows * 2, [a] * n + [b] * n, codes) if v is None]
        if empty:
            raise DyadError(_("{label} has empty city ids in {empty}.").format(label=label, empty=', '.join(empty[:20])))
    city_a, city_b = fold_pairs(codes[:n], codes[n:])
    self_rows = [rows[k] for k in range(n) if city_a[k] == city_b[k]]
    if self_rows:
        raise DyadError(
            _("{label} pairs a city with itself in {self_rows}"
            "{value}; a dyad needs two different cities.").format(label=label, self_rows=', '.join(self_rows[:20]), value=' and more' if len(self_rows) > 20 else '')
        )
    rest = numeric_where_possible(raw.drop(columns=[a, b]))
    rest = rest.drop(columns=[c for c in ("city_a", "city_b") if c in rest.columns])
    out = pd.concat(
        [pd.DataFrame({"city_a": pd.array(city_a.astype(str), dtype="str"),
                       "city_b": pd.array(city_b.astype(str), dtype="str")}), rest],
        axis=1,
    )
    dup = out.duplicated(["city_a", "city_b"], keep=False).to_numpy()
    if dup.any():
        if aggregate is None:
            groups: dict[tuple[str, str], list[str]] = {}
            for k in np.flatnonzero(dup):
                groups.setdefault((city_a[k], city_b[k]), []).append(rows[k])
            listing = "; ".join(f"{p[0]}–{p[1]} ({', '.join(r)})" for p, r in list(groups.items())[:20])
            raise DyadError(
                _("{label} lists {n} pair(s) more than once (after folding (j, i) into (i, j)): "
                "{listing}; choose an aggregation (sum, max, mean, first).").format(label=label, n=len(groups), listing=listing)
            )
        how = {
            c: (aggregate if (aggregate == "first" or pd.api.types.is_numeric_dtype(rest[c])) else "first")
            for c in rest.columns
        }
        if how:
            out = out.groupby(["city_a", "city_b"], sort=False, as_index=False).agg(how)
        else:
            out = out.drop_duplicates(["city_a", "city_b"])
    return out.sort_values(["city_a", "city_b"], kind="stable").reset_index(drop=True)


def breadth_from_dyads(
    dyads: pd.DataFrame, outcome: str | None = "connection", codes: Iterable | None = None
) -> pd.DataFrame:
    """Breadth: the number of partner cities of each city.

    Parameters
    ----------
    dyads : DataFrame
        Columns city_a, city_b and (unless ``outcome`` is None) the outcome; each pair once.
    outcome : str or None
        A tie is a dyad whose outcome is > 0 (connection 1, or degree ≥ 1); None counts
        every row as a tie (a list of agreements).
    codes : iterable, optional
        The full city set: cities without partners get breadth 0. Without it, only cities
        appearing in ``dyads`` are listed.

    Returns
    -------
    DataFrame
        Columns code (str) and breadth (int64), sorted by code.

    Raises
    ------
    DyadError
        Columns are missing, the outcome is missing or not numeric for some dyad, a pair
        repeats, or a tie names a city not in ``codes``.
    """
    need = ["city_a", "city_b"] + ([outcome] if outcome is not None else [])
    missing = [c for c in need if c not in dyads.columns]
    if missing:
        raise DyadError(_("The dyad table has no column {map}.").format(map=', '.join(map(repr, missing))))
    a = dyads["city_a"].map(normalise_code)
    b = dyads["city_b"].map(normalise_code)
    folded = pd.DataFrame({"a": np.where(a < b, a, b), "b": np.where(a < b, b, a)})
    if folded.duplicated().any():
        pairs = folded[folded.duplicated()].head(10)
        raise DyadError(_("The dyad table repeats the pairs {pairs}.").format(
            pairs=", ".join(f"{x}–{y}" for x, y in pairs.itertuples(index=False))))
    if outcome is None:
        tie = np.ones(len(dyads), dtype=bool)
    else:
        y = pd.to_numeric(dyads[outcome], errors="coerce")
        if y.isna().any():
            raise DyadError(_("The outcome {outcome!r} is missing or not a number for {sum} dyad(s).").format(outcome=outcome, sum=int(y.isna().sum())))
        tie = (y > 0).to_numpy()
    ends = pd.concat([a[tie], b[tie]], ignore_index=True)
    counts = ends.value_counts()
    if codes is not None:
        index = pd.Index([normalise_code(c) for c in codes])
        outside = sorted(set(counts.index) - set(index))
        if outside:
            raise DyadError(_("Ties name cities outside the given city set: {outside}.").format(outside=', '.join(outside[:20])))
        counts = counts.reindex(index, fill_value=0)
    out = pd.DataFrame({"code": pd.array(counts.index.astype(str), dtype="str"),
                        "breadth": counts.to_numpy().astype("int64")})
    return out.sort_values("code", kind="stable").reset_index(drop=True)
