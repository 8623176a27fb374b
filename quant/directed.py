"""Directed dyads (ordered pairs sender → receiver) as a model table.

A directed table keeps (i, j) and (j, i) as two rows (``store.DirectedDyad``, both orderings
at most once each) with numeric attributes (``store.DirectedDyadAttribute``). This module reads
them as one wide frame for the fitters, and gives the formula preparation that adds
``sender(x)``, ``receiver(x)`` and ``reciprocal(y)`` to the undirected operators
(``quant.formula.prepare_directed_formula``, re-exported here).

Covariance: both orderings of one unordered pair are one repeated dyad (quant.md §1.1, §1.5:
"directed data put both directions in one group g"), so fitters pass ``group = frame["pair"]``
to ``quant.dyadic.dyadic_vcov``; two rows are dependent when they share a city, and the two rows
of one pair are one cluster.

Loading and folding to undirected outcomes live in ``quant.directed_load``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from quant.errors import QuantError
from quant.formula import prepare_directed_formula

__all__ = ["NO_DIRECTED", "RESERVED", "has_directed", "directed_frame", "directed_attributes",
           "prepare_directed_formula"]

#: The sentence when a project has no directed dyads.
NO_DIRECTED = "The project has no directed dyads; load them with `dyads --directed`."
#: Column names of the frame that attributes may not take.
RESERVED = ("dyad_id", "city_a", "city_b", "pair")


def has_directed(session: Session) -> bool:
    """Whether the project has at least one directed dyad."""
    return session.scalar(select(store.DirectedDyad.id).limit(1)) is not None


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
        (j, i); see :func:`pair_ids`), then one float64 column per attribute (NaN where a
        dyad has no value). Memory: one float64 column per attribute, filled attribute by
        attribute (no long-to-wide pivot of all attributes at once).

    Raises
    ------
    QuantError
        The project has no directed dyads (:data:`NO_DIRECTED`), or a requested attribute is
        not stored.
    """
    con = session.connection()
    rows = con.execute(select(store.DirectedDyad.id, store.DirectedDyad.sender, store.DirectedDyad.receiver)).fetchall()
    if not rows:
        raise QuantError(NO_DIRECTED)
    ids, senders, receivers = zip(*rows)
    del rows
    out = pd.DataFrame({"dyad_id": np.asarray(ids, dtype=np.int64),
                        "city_a": pd.array(senders, dtype="str"), "city_b": pd.array(receivers, dtype="str")})
    del ids, senders, receivers
    # Sorted here, not in SQL: PostgreSQL's collation may order codes differently from Python.
    out = out.sort_values(["city_a", "city_b"], kind="stable").reset_index(drop=True)
    out["pair"] = pair_ids(out["city_a"].to_numpy(), out["city_b"].to_numpy())
    stored = directed_attributes(session)
    if columns is None:
        names = stored
    else:
        names = list(columns)
        missing = [c for c in names if c not in stored]
        if missing:
            raise QuantError(f"No directed dyad attribute named {', '.join(map(repr, missing))} is stored in the "
                             "project.")
    order = np.argsort(out["dyad_id"].to_numpy(), kind="stable")
    sorted_ids = out["dyad_id"].to_numpy()[order]
    for name in names:
        got = con.execute(select(store.DirectedDyadAttribute.dyad_id, store.DirectedDyadAttribute.value)
                          .where(store.DirectedDyadAttribute.name == name)).fetchall()
        values = np.full(len(out), np.nan)
        if got:
            did = np.fromiter((r[0] for r in got), dtype=np.int64, count=len(got))
            val = np.fromiter((np.nan if r[1] is None else r[1] for r in got), dtype=np.float64, count=len(got))
            pos = order[np.searchsorted(sorted_ids, did)]
            values[pos] = val
        out[name] = values
    return out
