"""Retrieval: coded passages filtered by code (with sub-codes), document, city, dyad and
coder, and counts of codings per city and per dyad.

In a blind project a coder's session sees only their own codings and links
(:mod:`coding.blind` filters every read of the session; nothing to do here).

Filtering and counting run in SQL, so they stay fast on projects with tens of thousands
of codings. Offsets are code points over the stored text; paragraphs are 1-based.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import ColumnElement, Select, distinct, false, func, or_, select, true, union_all
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_id, as_ids, get_city, get_document
from coding.errors import CodingError
from coding.links.linking import find_dyad
from coding.tree import descendants

__all__ = ["coders", "counts_by_city", "counts_by_dyad", "retrieve", "expand_codes"]

RETRIEVE_COLUMNS = [
    "coding_id", "document_id", "document", "kind", "code_id", "code", "start", "end", "quote", "paragraph",
    "coder", "memo", "cities", "dyads",
]


def expand_codes(session: Session, code_ids: Any, include_subcodes: bool = True) -> list[int]:
    """Code ids, each followed by its descendants when ``include_subcodes`` (no duplicates).

    Raises
    ------
    CodingError
        An id is not an integer or not a code.
    """
    out: list[int] = []
    for cid in as_ids(code_ids, "Code ids"):
        for i in [cid, *(descendants(session, cid) if include_subcodes else [])]:
            if i not in out:
                out.append(i)
    if not include_subcodes:
        known = set(session.scalars(select(store.Code.id).where(store.Code.id.in_(out))))
        missing = [i for i in out if i not in known]
        if missing:
            raise CodingError(_("Code {value} does not exist.").format(value=missing[0]))
    return out


def _dyad_id(session: Session, dyad: Any) -> int | None:
    if isinstance(dyad, (tuple, list)):
        if len(dyad) != 2:
            raise CodingError(_("A dyad is an id or a pair of city codes, got {dyad!r}.").format(dyad=dyad))
        return find_dyad(session, dyad[0], dyad[1])
    found = session.get(store.Dyad, as_id(dyad, "Dyad id"))
    if found is None:
        raise CodingError(_("Dyad {dyad!r} does not exist.").format(dyad=dyad))
    return found.id


def _codings_of_city(city: str, via_dyads: bool) -> Select:
    direct = select(store.CodingLink.coding_id).where(store.CodingLink.city_code == city)
    if not via_dyads:
        return direct
    dyadic = (select(store.CodingLink.coding_id)
              .join(store.Dyad, store.Dyad.id == store.CodingLink.dyad_id)
              .where(or_(store.Dyad.city_a == city, store.Dyad.city_b == city)))
    return select(union_all(direct, dyadic).subquery().c.coding_id)


def _conditions(session: Session, *, code_ids: Any, include_subcodes: bool, document_ids: Any, city: Any,
                dyad: Any, coder: Any, via_dyads: bool, coding_ids: Any = None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if coding_ids is not None:
        empty = isinstance(coding_ids, (list, tuple, set, frozenset)) and not coding_ids
        conds.append(false() if empty else store.Coding.id.in_(as_ids(coding_ids, "Coding ids")))
    if code_ids is not None:
        conds.append(store.Coding.code_id.in_(expand_codes(session, code_ids, include_subcodes)))
    if document_ids is not None:
        docs = [get_document(session, d).id for d in as_ids(document_ids, "Document ids")]
        conds.append(store.Coding.document_id.in_(docs))
    if city is not None:
        conds.append(store.Coding.id.in_(_codings_of_city(get_city(session, city).code, via_dyads)))
    if dyad is not None:
        found = _dyad_id(session, dyad)
        conds.append(false() if found is None else store.Coding.id.in_(
            select(store.CodingLink.coding_id).where(store.CodingLink.dyad_id == found)))
    if coder is not None:
        coders = [coder] if isinstance(coder, str) else list(coder)
        if not coders or not all(isinstance(c, str) for c in coders):
            raise CodingError(_("Coder filter {coder!r} must be a name or a list of names.").format(coder=coder))
        conds.append(store.Coding.coder.in_(coders))
    return conds


def _paragraph_column() -> ColumnElement[Any]:
    seg = store.Segment
    base = select(seg.idx).where(seg.document_id == store.Coding.document_id, seg.kind == "paragraph")
    before = base.where(seg.start <= store.Coding.start).order_by(seg.start.desc()).limit(1)
    first = base.order_by(seg.start).limit(1)
    return func.coalesce(before.scalar_subquery(), first.scalar_subquery())


def retrieve(
    session: Session,
    *,
    code_ids: int | Iterable[int] | None = None,
    include_subcodes: bool = True,
    document_ids: int | Iterable[int] | None = None,
    city: str | None = None,
    dyad: int | tuple[str, str] | None = None,
    coder: str | Iterable[str] | None = None,
    context: int = 0,
    via_dyads: bool = True,
    coding_ids: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Coded passages matching every filter given, in document and text order.

    Parameters
    ----------
    code_ids : int or iterable of int, optional
        Keep codings of these codes (and of their sub-codes when ``include_subcodes``).
    include_subcodes : bool
    document_ids : int or iterable of int, optional
    city : str, optional
        A city code: codings linked to the city, and (``via_dyads=True``) codings linked to
        a dyad that contains it.
    dyad : int or (str, str), optional
        A dyad id or a pair of city codes in either order: codings linked to that dyad
        (none when the pair has no dyad row yet).
    coder : str or iterable of str, optional
    context : int
        Code points of text to return before and after each quote (0 = none).
    via_dyads : bool
        See ``city``.
    coding_ids : int or iterable of int, optional
        Only these codings (e.g. the cell of a matrix, :func:`coding.matrix_cell_codings`);
        an empty list gives an empty frame. Unknown ids are simply not found.

    Returns
    -------
    DataFrame
        One row per coding: ``coding_id, document_id, document, kind, code_id, code, start,
        end, quote, paragraph, coder, memo, cities, dyads`` and, when ``context > 0``,
        ``context_before, context_after``. ``start``/``end`` are code points; ``paragraph``
        is the 1-based paragraph holding ``start`` (nullable Int64, missing when the
        document has no paragraph segments); ``cities`` is a sorted list of city codes the
        coding is linked to directly; ``dyads`` a sorted list of ``"a-b"`` (``a < b``).

    Raises
    ------
    CodingError
        An unknown code, document, city or dyad id, a self-pair, or a negative ``context``.
    """
    span = as_id(context, "Context")
    if span < 0:
        raise CodingError(_("Context {span} must be 0 or more code points.").format(span=span))
    conds = _conditions(session, code_ids=code_ids, include_subcodes=include_subcodes, document_ids=document_ids,
                        city=city, dyad=dyad, coder=coder, via_dyads=via_dyads, coding_ids=coding_ids)
    c = store.Coding
    stmt = (
        select(c.id, c.document_id, store.Document.name, store.Document.kind, c.code_id, store.Code.name, c.start,
               c.end, c.quote, _paragraph_column(), c.coder, c.memo)
        .join(store.Document, store.Document.id == c.document_id)
        .join(store.Code, store.Code.id == c.code_id)
        .where(*conds)
        .order_by(c.document_id, c.start, c.end, c.id)
    )
    rows = session.execute(stmt).all()
    cities: dict[int, list[str]] = defaultdict(list)
    dyads: dict[int, list[str]] = defaultdict(list)
    link_stmt = (
        select(store.CodingLink.coding_id, store.CodingLink.city_code, store.Dyad.city_a, store.Dyad.city_b)
        .outerjoin(store.Dyad, store.Dyad.id == store.CodingLink.dyad_id)
        .where(store.CodingLink.coding_id.in_(select(c.id).where(*conds)))
    )
    for cid, city_code, a, b in session.execute(link_stmt):
        if city_code is not None:
            cities[cid].append(city_code)
        else:
            dyads[cid].append(f"{a}-{b}")
    frame = pd.DataFrame(rows, columns=RETRIEVE_COLUMNS[:-2])
    frame["paragraph"] = frame["paragraph"].astype("Int64")
    frame["cities"] = [sorted(set(cities.get(i, []))) for i in frame["coding_id"]]
    frame["dyads"] = [sorted(set(dyads.get(i, []))) for i in frame["coding_id"]]
    if span > 0:
        ids = sorted(set(frame["document_id"]))
        texts = dict(session.execute(
            select(store.Document.id, store.Document.text).where(store.Document.id.in_(ids))).all()) if ids else {}
        frame["context_before"] = [texts[d][max(0, s - span):s] for d, s in zip(frame["document_id"], frame["start"])]
        frame["context_after"] = [texts[d][e:e + span] for d, e in zip(frame["document_id"], frame["end"])]
    return frame


def _keep(code_filter: list[int] | None) -> ColumnElement[bool]:
    if code_filter is None:
        return true()
    return store.CodingLink.coding_id.in_(select(store.Coding.id).where(store.Coding.code_id.in_(code_filter)))


def counts_by_city(session: Session, code_ids: int | Iterable[int] | None = None,
                   include_subcodes: bool = True) -> pd.DataFrame:
    """How many codings speak about each city, directly or through one of its dyads.

    A coding counts once per city: ``n_direct`` codings are linked to the city itself;
    ``n_via_dyads`` are linked to a dyad containing the city but not to the city itself;
    ``n_total = n_direct + n_via_dyads``.

    Parameters
    ----------
    code_ids : int or iterable of int, optional
        Count only codings of these codes (with sub-codes when ``include_subcodes``).

    Returns
    -------
    DataFrame
        Every city of the project (zeros included), by code: ``city_code, n_direct,
        n_via_dyads, n_total`` (ints).

    Raises
    ------
    CodingError
        An unknown code id.
    """
    codes = None if code_ids is None else expand_codes(session, code_ids, include_subcodes)
    link, dyad = store.CodingLink, store.Dyad
    keep = _keep(codes)
    direct = select(link.coding_id.label("coding_id"), link.city_code.label("city")).where(
        link.city_code.is_not(None), keep)
    side_a = select(link.coding_id, dyad.city_a).join(dyad, dyad.id == link.dyad_id).where(keep)
    side_b = select(link.coding_id, dyad.city_b).join(dyad, dyad.id == link.dyad_id).where(keep)
    every = union_all(direct, side_a, side_b).subquery()
    d = direct.subquery()
    n_direct = (select(d.c.city, func.count(distinct(d.c.coding_id)).label("n"))
                .group_by(d.c.city).subquery())
    n_total = (select(every.c.city, func.count(distinct(every.c.coding_id)).label("n"))
               .group_by(every.c.city).subquery())
    direct_n = func.coalesce(n_direct.c.n, 0)
    total_n = func.coalesce(n_total.c.n, 0)
    stmt = (select(store.City.code, direct_n, total_n - direct_n, total_n)
            .outerjoin(n_direct, n_direct.c.city == store.City.code)
            .outerjoin(n_total, n_total.c.city == store.City.code)
            .order_by(store.City.code))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["city_code", "n_direct", "n_via_dyads", "n_total"])
    return frame.astype({"n_direct": "int64", "n_via_dyads": "int64", "n_total": "int64"})


def counts_by_dyad(session: Session, code_ids: int | Iterable[int] | None = None,
                   include_subcodes: bool = True) -> pd.DataFrame:
    """How many codings are linked to each dyad (dyads with at least one, by city codes).

    Returns
    -------
    DataFrame
        ``city_a, city_b, n_codings`` with ``city_a < city_b``; dyads without codings are
        left out (a project has ~12,000 dyads).

    Raises
    ------
    CodingError
        An unknown code id.
    """
    codes = None if code_ids is None else expand_codes(session, code_ids, include_subcodes)
    link, dyad = store.CodingLink, store.Dyad
    stmt = (select(dyad.city_a, dyad.city_b, func.count(distinct(link.coding_id)))
            .join(dyad, dyad.id == link.dyad_id)
            .where(_keep(codes))
            .group_by(dyad.id, dyad.city_a, dyad.city_b)
            .order_by(dyad.city_a, dyad.city_b))
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["city_a", "city_b", "n_codings"])
    return frame.astype({"n_codings": "int64"})


def coders(session: Session) -> list[str]:
    """Every coder who has at least one coding, sorted (for coder filters)."""
    return list(session.scalars(select(store.Coding.coder).distinct().order_by(store.Coding.coder)))
