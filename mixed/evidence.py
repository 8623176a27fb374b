"""Coded passages as evidence for model terms and for units (cities, dyads).

Reads codings only through ``coding.retrieval.queries.retrieve`` and city names from ``store.City``,
and turns rows into plain *quote records* (dicts) that joint displays, case tables and reports
share. A quote record has the keys

``coding_id, document_id, document, kind, paragraph, start, end, quote, code_id, code, coder,
memo, links, link_labels, cite``

where ``links`` lists the units the coding is linked to (city codes, then dyads as ``"a-b"``),
``link_labels`` the same units by name, and ``cite`` the citation ``"document, ¶ n"`` (``n`` is the
1-based paragraph number; ``"document, chars start–end"`` when the paragraph is unknown).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.retrieval.queries import retrieve

__all__ = [
    "EvidenceIndex",
    "city_names",
    "cite",
    "dyad_keys",
    "dyad_label",
    "order_passages",
    "quote_records",
]


def city_names(session: Session) -> dict[str, str]:
    """``{city code: full name}`` for every city of the project."""
    return {str(c): n for c, n in session.execute(select(store.City.code, store.City.name))}


def dyad_label(a: str, b: str, names: dict[str, str]) -> str:
    """``"苏州市 – 无锡市"``: the two city names (codes where a name is unknown)."""
    return f"{names.get(a, a)} – {names.get(b, b)}"


def cite(document: str, paragraph, start=None, end=None) -> str:
    """The citation of a passage: ``"document, ¶ n"``.

    Parameters
    ----------
    document : str
        Document name.
    paragraph : int or None
        1-based paragraph number within the document.
    start, end : int, optional
        Span in code points, used only when ``paragraph`` is missing.

    Returns
    -------
    str
        ``"document, ¶ n"``; ``"document, chars start–end"`` without a paragraph number.
    """
    if paragraph is not None and not pd.isna(paragraph):
        return f"{document}, ¶ {int(paragraph)}"
    if start is not None and end is not None and not pd.isna(start):
        return f"{document}, chars {int(start)}–{int(end)}"
    return str(document)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, float) and pd.isna(value):
        return []
    return list(value)


def dyad_keys(session: Session) -> dict[str, tuple[str, str]]:
    """``{"a-b": (a, b)}`` for every dyad of the project (``a < b``)."""
    return {
        f"{a}-{b}": (str(a), str(b))
        for a, b in session.execute(select(store.Dyad.city_a, store.Dyad.city_b))
    }


def _parse_dyad(key: str, known: dict[str, tuple[str, str]]) -> tuple[str, str]:
    if key in known:
        return known[key]
    a, _sep, b = str(key).partition("-")
    return (a, b) if a <= b else (b, a)


def order_passages(frame: pd.DataFrame) -> pd.DataFrame:
    """Passages in the order quotes are offered: linked ones first, spread across documents.

    Rows linked to at least one city or dyad come before unlinked rows; within each group rows
    are taken round-robin over documents (first passage of each document by name, then the
    second, ...), each document's passages in text order (``start``, then ``coding_id``). So the
    first few quotes come from different sources where the corpus allows.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of ``coding.retrieval.queries.retrieve``.

    Returns
    -------
    pandas.DataFrame
        The same rows, reordered, with a fresh index.
    """
    if frame.empty:
        return frame.reset_index(drop=True)
    df = frame.copy()
    linked = [
        bool(_as_list(c)) or bool(_as_list(d))
        for c, d in zip(df["cities"], df["dyads"])
    ]
    df["_unlinked"] = [not x for x in linked]
    df = df.sort_values(["_unlinked", "document", "start", "coding_id"], kind="mergesort")
    df["_rank"] = df.groupby(["_unlinked", "document"], sort=False).cumcount()
    df = df.sort_values(["_unlinked", "_rank", "document", "start", "coding_id"], kind="mergesort")
    return df.drop(columns=["_unlinked", "_rank"]).reset_index(drop=True)


def quote_records(
    frame: pd.DataFrame,
    names: dict[str, str],
    dyad_keys: dict[str, tuple[str, str]] | None = None,
    max_n: int | None = None,
) -> list[dict]:
    """Quote records (module docstring) for rows of ``coding.retrieval.queries.retrieve``, in row order.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of ``retrieve`` (one per coding).
    names : dict of str to str
        City code → name, for ``link_labels``.
    dyad_keys : dict, optional
        ``"a-b"`` → ``(a, b)`` for the project's dyads (parsed at the first ``-`` otherwise).
    max_n : int, optional
        Keep at most this many (the first rows).

    Returns
    -------
    list of dict
    """
    dyad_keys = dyad_keys or {}
    rows = frame if max_n is None else frame.head(max(int(max_n), 0))
    out = []
    for r in rows.itertuples(index=False):
        cities = [str(c) for c in _as_list(r.cities)]
        dyads = [str(d) for d in _as_list(r.dyads)]
        labels = [names.get(c, c) for c in cities]
        labels += [dyad_label(*_parse_dyad(d, dyad_keys), names) for d in dyads]
        paragraph = None if r.paragraph is None or pd.isna(r.paragraph) else int(r.paragraph)
        out.append(
            {
                "coding_id": int(r.coding_id),
                "document_id": int(r.document_id),
                "document": str(r.document),
                "kind": str(r.kind),
                "paragraph": paragraph,
                "start": int(r.start),
                "end": int(r.end),
                "quote": str(r.quote),
                "code_id": int(r.code_id),
                "code": str(r.code),
                "coder": str(r.coder),
                "memo": "" if r.memo is None else str(r.memo),
                "links": cities + dyads,
                "link_labels": labels,
                "cite": cite(str(r.document), paragraph, r.start, r.end),
            }
        )
    return out


@dataclass
class EvidenceIndex:
    """Every coding of a project, indexed by the units it is linked to.

    Build it once with :meth:`from_session` and ask it for the passages of many units.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``coding.retrieval.queries.retrieve`` output for the whole project, indexed by ``coding_id``.
    names : dict of str to str
        City code → name.
    dyad_keys : dict of str to tuple
        ``"a-b"`` → ``(a, b)`` for the project's dyads.
    city_direct : dict of str to set of int
        City code → ids of codings linked to that city.
    dyad_codings : dict of tuple to set of int
        ``(a, b)`` → ids of codings linked to that dyad.
    """

    frame: pd.DataFrame
    names: dict[str, str]
    dyad_keys: dict[str, tuple[str, str]]
    city_direct: dict[str, set[int]] = field(default_factory=dict)
    dyad_codings: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    _city_dyads: dict[str, set[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_session(cls, session: Session) -> "EvidenceIndex":
        """Read every coding (``coding.retrieval.queries.retrieve(session)``), city names and dyads."""
        frame = retrieve(session)
        names = city_names(session)
        keys = dyad_keys(session)
        direct: dict[str, set[int]] = defaultdict(set)
        by_dyad: dict[tuple[str, str], set[int]] = defaultdict(set)
        city_dyads: dict[str, set[int]] = defaultdict(set)
        for cid, cities, dyads in zip(frame["coding_id"], frame["cities"], frame["dyads"]):
            cid = int(cid)
            for c in _as_list(cities):
                direct[str(c)].add(cid)
            for d in _as_list(dyads):
                a, b = _parse_dyad(str(d), keys)
                by_dyad[(a, b)].add(cid)
                city_dyads[a].add(cid)
                city_dyads[b].add(cid)
        indexed = frame.set_index("coding_id", drop=False)
        return cls(indexed, names, keys, dict(direct), dict(by_dyad), dict(city_dyads))

    def city(self, code: str) -> tuple[list[int], list[int]]:
        """Coding ids for one city: ``(direct, via_dyads)``, disjoint, each ascending.

        ``direct`` are codings linked to the city itself; ``via_dyads`` are codings linked to a
        dyad that contains the city and not also linked to the city directly.
        """
        code = str(code)
        direct = self.city_direct.get(code, set())
        via = self._city_dyads.get(code, set()) - direct
        return sorted(direct), sorted(via)

    def dyad(self, a: str, b: str) -> list[int]:
        """Ids (ascending) of codings linked to the dyad ``{a, b}`` (either order)."""
        a, b = sorted((str(a), str(b)))
        return sorted(self.dyad_codings.get((a, b), set()))

    def records(self, ids: Sequence[int] | Iterable[int], max_n: int | None = None) -> list[dict]:
        """Quote records for the given coding ids, ordered by :func:`order_passages`."""
        ids = list(ids)
        if not ids:
            return []
        rows = order_passages(self.frame.loc[ids].reset_index(drop=True))
        return quote_records(rows, self.names, self.dyad_keys, max_n)
