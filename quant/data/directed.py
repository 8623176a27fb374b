"""Directed dyads (ordered pairs sender → receiver) as a model table.

A directed table keeps (i, j) and (j, i) as two rows (``store.DirectedDyad``, both orderings
at most once each) with numeric attributes (``store.DirectedDyadAttribute``). This module reads
them as one wide frame for the fitters; the formula preparation that adds ``sender(x)``,
``receiver(x)`` and ``reciprocal(y)`` to the undirected operators is
``quant.formula.nodes.prepare_directed_formula``.

Covariance: both orderings of one unordered pair are one repeated dyad (quant.md §1.1, §1.5:
"directed data put both directions in one group g"), so fitters pass ``group = frame["pair"]``
to ``quant.covariance.dyadic.dyadic_vcov``; two rows are dependent when they share a city, and the two rows
of one pair are one cluster.

Loading and folding to undirected outcomes live in ``quant.data.directed_load``.
"""
from __future__ import annotations

import i18n
from i18n import _
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from quant.errors import QuantError

__all__ = ["NO_DIRECTED", "RESERVED", "has_directed", "directed_frame", "directed_attributes", "directed_categories",
           "pair_ids"]

#: The sentence when a project has no directed dyads.
NO_DIRECTED = "The project has no directed dyads; load them with `dyads --directed`."
#: Column names of the frame that attributes may not take.
RESERVED = ("dyad_id", "city_a", "city_b", "pair")
#: ``store.ProjectInfo`` key: categorical directed variables, name → labels (code k stores labels[k]).
CATEGORIES_KEY = "directed_categories"
#: Rows read per chunk from the store.
STREAM_CHUNK = 200_000


def has_directed(session: Session) -> bool:
    """Whether the project has at least one directed dyad."""
    return session.scalar(select(store.DirectedDyad.id).limit(1)) is not None


def directed_categories(session: Session) -> dict[str, list[str]]:
    """Categorical directed variables (text columns stored as codes): name → labels."""
    row = session.get(store.ProjectInfo, CATEGORIES_KEY)
    return {k: list(v) for k, v in row.value.items()} if row is not None and isinstance(row.value, dict) else {}


def set_directed_categories(session: Session, categories: dict[str, list[str]]) -> None:
    """Record the categorical directed variables (replacing the record)."""
    row = session.get(store.ProjectInfo, CATEGORIES_KEY)
    if row is None:
        session.add(store.ProjectInfo(key=CATEGORIES_KEY, value=dict(categories)))
    else:
        row.value = dict(categories)  # a new dict, so the JSON column is written
    session.flush()


def directed_attributes(session: Session) -> list[str]:
    """Names of the stored directed dyad attributes, sorted."""
    return sorted(session.scalars(select(store.DirectedDyadAttribute.name).distinct()).all())


def pair_ids(a, b) -> np.ndarray:
    """An integer id per row shared by (i, j) and (j, i): 0, 1, … in the sorted order of the
    unordered pairs {min, max} (string order of the codes).

    Parameters
    ----------
    a, b : array_like of str, (n,)

    Returns
    -------
    ndarray of int64, (n,)
    """
    a = np.asarray(a, dtype=object).astype(str)
    b = np.asarray(b, dtype=object).astype(str)
    lo, hi = np.where(a < b, a, b), np.where(a < b, b, a)
    frame = pd.DataFrame({"lo": lo, "hi": hi})
    keys = frame.drop_duplicates().sort_values(["lo", "hi"], kind="stable").reset_index(drop=True)
    index = pd.MultiIndex.from_frame(keys)
    return index.get_indexer(pd.MultiIndex.from_frame(frame)).astype(np.int64)


def stream_rows(session: Session, stmt, size: int = STREAM_CHUNK):
    """Yield the rows of a Core select in lists of at most ``size`` (server-side cursor where the
    driver has one), so a 4-million-row table never sits in memory as Python tuples at once."""
    result = session.connection().execute(stmt, execution_options={"stream_results": True, "yield_per": size})
    for part in result.partitions(size):
        yield part


def bulk_insert(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """``INSERT INTO table (columns) VALUES …`` for many rows as plain tuples through the driver
    (``exec_driver_sql``: no per-row SQL compilation; the engine's text check still runs).

    ``table`` and ``columns`` are fixed identifiers of Tandem's schema, never user text."""
    if not rows:
        return
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


def city_positions(session: Session) -> tuple[np.ndarray, dict[str, int]]:
    """All city codes of the project (sorted, object array) and code → position."""
    codes = np.array(sorted(session.scalars(select(store.City.code)).all()), dtype=object)
    return codes, {c: k for k, c in enumerate(codes.tolist())}


def directed_keys(session: Session, position: dict[str, int], *,
                  undirected: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every stored directed dyad as (id, sender position, receiver position): int64 arrays,
    read in chunks. ``undirected=True``: the undirected dyads (id, city_a, city_b) instead."""
    ids, snd, rcv = [], [], []
    stmt = (select(store.Dyad.id, store.Dyad.city_a, store.Dyad.city_b) if undirected else
            select(store.DirectedDyad.id, store.DirectedDyad.sender, store.DirectedDyad.receiver))
    for part in stream_rows(session, stmt):
        ids.append(np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
        snd.append(np.fromiter((position[r[1]] for r in part), dtype=np.int64, count=len(part)))
        rcv.append(np.fromiter((position[r[2]] for r in part), dtype=np.int64, count=len(part)))
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(ids), np.concatenate(snd), np.concatenate(rcv)


def directed_frame(session: Session, columns=None) -> pd.DataFrame:
    """All directed dyads of the project, one row per ordered pair, attributes as columns.

    Parameters
    ----------
    session : Session
    columns : sequence of str, optional
        Attributes to include (default: all, alphabetical).

    Returns
    -------
    DataFrame
        Sorted by (city_a, city_b): dyad_id (int64, ``DirectedDyad.id``), city_a (str, the
        sender's code), city_b (str, the receiver's code), pair (int64, shared by (i, j) and
        (j, i): 0, 1, … in the order of the unordered pairs {min, max} of the codes), then one
        float64 column per attribute (NaN where a dyad has no value); a categorical variable
        (a text column loaded with ``text="categories"``) comes back as its text labels. Rows are read in chunks
        and each attribute is filled into its own float64 column (no long-to-wide pivot), so
        memory stays near the size of the result.

    Raises
    ------
    QuantError
        The project has no directed dyads (:data:`NO_DIRECTED`), or a requested attribute is
        not stored.
    """
    codes, position = city_positions(session)
    ids, snd, rcv = directed_keys(session, position)
    if not len(ids):
        raise QuantError(NO_DIRECTED)
    m = max(len(codes), 1)
    order = np.lexsort((rcv, snd))  # codes are sorted, so positions sort like the codes
    ids, snd, rcv = ids[order], snd[order], rcv[order]
    lo, hi = np.minimum(snd, rcv), np.maximum(snd, rcv)
    _, pair = np.unique(lo * m + hi, return_inverse=True)
    out = pd.DataFrame({"dyad_id": ids, "city_a": _take(codes, snd), "city_b": _take(codes, rcv),
                        "pair": pair.reshape(-1).astype(np.int64)})
    del lo, hi, pair, snd, rcv
    stored = directed_attributes(session)
    if columns is None:
        names = stored
    else:
        names = list(columns)
        missing = [c for c in names if c not in stored]
        if missing:
            raise QuantError(i18n._("No directed dyad attribute named {map} is stored in the "
                             "project.").format(map=', '.join(map(repr, missing))))
    categories = directed_categories(session)
    by_id = np.argsort(ids, kind="stable")
    sorted_ids = ids[by_id]
    for name in names:
        values = attribute_values(session, name, by_id, sorted_ids)
        if name in categories:
            labels = np.array(list(categories[name]) + [None], dtype=object)
            codes_k = np.where(np.isnan(values), len(labels) - 1, np.nan_to_num(values, nan=0)).astype(np.int64)
            out[name] = pd.array(labels[codes_k], dtype="str")
        else:
            out[name] = values
    return out


def attribute_values(session: Session, name: str, by_id: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Values of directed attribute ``name`` aligned with rows whose ids are ``ids`` (float64, NaN where
    missing), given ``by_id = argsort(ids)`` and ``sorted_ids = ids[by_id]``; read in chunks."""
    values = np.full(len(by_id), np.nan)
    stmt = (select(store.DirectedDyadAttribute.dyad_id, store.DirectedDyadAttribute.value)
            .where(store.DirectedDyadAttribute.name == name))
    for part in stream_rows(session, stmt):
        did = np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part))
        val = np.fromiter((np.nan if r[1] is None else r[1] for r in part), dtype=np.float64, count=len(part))
        values[by_id[np.searchsorted(sorted_ids, did)]] = val
    return values


def _take(codes: np.ndarray, positions: np.ndarray):
    """``codes[positions]`` as a pandas ``str`` array (pyarrow's take when available)."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        return pd.array(codes[positions].astype(str), dtype="str")
    return pd.array(pa.array(codes.astype(str)).take(pa.array(positions)), dtype="str")
