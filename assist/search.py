"""Semantic search: passages of the corpus ranked by meaning, not by keyword.

A query (Chinese, English or any of the encoder's 16 languages: one vector space, so an English
query finds Chinese passages), or "passages like this coding" (the vector of the coding's quote),
is compared with every stored unit vector (sentences or paragraphs, ``assist.embed``) by cosine
similarity, i.e. the dot product of L2-normalised vectors (the encoder's rows are normalised);
the best ``limit`` units come back with their score.

Filters, as on the Retrieve page (``coding.retrieval.queries``, ``coding.documents.documents_where``):
documents (ids or names; default every current document), document attributes (``{key: value or
[values]}``), cities and dyads. A unit is *in* a city when it overlaps a coding linked to that city
or to a dyad containing it (``coding.retrieve(city=..., via_dyads=True)``), and *in* a dyad when
it overlaps a coding linked to that dyad; several cities (or dyads) are alternatives, cities and
dyads together must both hold. Tandem links codings, not documents, to places, so a unit no
coding covers is in no city. ``uncoded_only`` keeps units no coding (any code, any coder)
overlaps.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from assist import embed
from assist import encoder as encoder_module
from assist.errors import AssistError
from assist.spans import check_unit, codes_on, codings_frame, document_ids, overlap_mask
from coding.documents import documents_where
from coding.errors import CodingError
from coding.retrieval.queries import retrieve
from i18n import _

__all__ = ["RESULT_COLUMNS", "MAX_QUERY", "search", "query_vector"]

RESULT_COLUMNS = ["rank", "score", "document", "document_id", "start", "end", "text", "codes"]
#: Longest query accepted, in code points (the encoder reads about 128 tokens of it anyway).
MAX_QUERY = 2000


def _city_code(session: Session, value: Any) -> str:
    if isinstance(value, str) and value.strip():
        found = session.get(store.City, value.strip())
        if found is not None:
            return found.code
        codes = list(session.scalars(select(store.City.code).where(store.City.name == value.strip())))
        if len(codes) == 1:
            return codes[0]
        if len(codes) > 1:
            raise AssistError(_("Several cities are named {city}; give its code.").format(city=value))
    raise AssistError(_("City {city!r} is not in the project.").format(city=value))


def _linked_spans(session: Session, docs: list[int], *, cities: Any = None, dyads: Any = None) -> pd.DataFrame:
    """Spans of the codings linked to any of ``cities`` (directly or through a dyad) or ``dyads``."""
    frames = []
    try:
        for city in cities or []:
            frames.append(retrieve(session, city=_city_code(session, city), document_ids=docs, via_dyads=True))
        for dyad in dyads or []:
            if isinstance(dyad, (tuple, list)) and len(dyad) == 2:
                dyad = (_city_code(session, dyad[0]), _city_code(session, dyad[1]))
            frames.append(retrieve(session, dyad=dyad, document_ids=docs))
    except CodingError as exc:
        raise AssistError(str(exc)) from None
    if not frames:
        return pd.DataFrame(columns=["document_id", "start", "end"])
    return pd.concat(frames)[["document_id", "start", "end"]]


def _as_list(value: Any) -> list | None:
    if value is None:
        return None
    if isinstance(value, (str, tuple)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def query_vector(session: Session, query: Any = None, like_coding: Any = None, encoder: Any = None
                 ) -> tuple[np.ndarray, dict | None]:
    """The vector to search with, and the coding when searching "like this coding".

    Returns
    -------
    (array (512,) float32, dict or None)
        The dict has ``coding_id, document_id, start, end, quote``.

    Raises
    ------
    AssistError
        Neither or both of ``query`` and ``like_coding``; an empty or over-long query; an
        unknown coding.
    """
    if (query is None) == (like_coding is None):
        raise AssistError(_("Give either a query or a coding to search like, not both or neither."))
    enc = encoder or encoder_module.encoder()
    if like_coding is not None:
        try:
            cid = int(like_coding)
        except (TypeError, ValueError):
            cid = None
        row = session.get(store.Coding, cid) if cid is not None and not isinstance(like_coding, bool) else None
        if row is None:
            raise AssistError(_("Coding {coding!r} does not exist.").format(coding=like_coding))
        found = {"coding_id": row.id, "document_id": row.document_id, "start": row.start, "end": row.end,
                 "quote": row.quote}
        return enc.encode([row.quote])[0], found
    if not isinstance(query, str) or not query.strip():
        raise AssistError(_("The search query is empty; type a phrase or a sentence."))
    if len(query) > MAX_QUERY:
        raise AssistError(_("The search query is {n} characters long; at most {limit} are allowed.").format(
            n=len(query), limit=MAX_QUERY))
    return enc.encode([query.strip()])[0], None


def search(
    session: Session,
    query: str | None = None,
    like_coding: int | None = None,
    unit: str = "sentence",
    documents: Any = None,
    attributes: dict[str, Any] | None = None,
    cities: Any = None,
    dyads: Any = None,
    uncoded_only: bool = False,
    limit: int = 50,
    *,
    encoder: Any = None,
    ensure: bool = True,
    progress: Any = None,
) -> pd.DataFrame:
    """Units ranked by cosine similarity to a query or to a coding's quote.

    Parameters
    ----------
    session : Session
    query : str, optional
        Text in any of the encoder's languages (at most ``MAX_QUERY`` code points).
    like_coding : int, optional
        A coding id: search with its quote; units overlapping that coding are left out.
    unit : {"sentence", "paragraph"}
    documents : int, str or iterable, optional
        Document ids or names (default: every current document).
    attributes : dict, optional
        Document attributes ``{key: value or list of values}`` (``coding.documents_where``).
    cities : str or iterable of str, optional
        City codes or unique names (see the module text).
    dyads : iterable of (city, city) pairs or dyad ids, optional
    uncoded_only : bool
        Keep only units that no coding overlaps.
    limit : int
        At most this many rows (1 or more).
    encoder : Encoder, optional
        Default ``assist.encoder.encoder()``.
    ensure : bool
        Embed the chosen documents' units that have no current vector first
        (``assist.embed.ensure``; writes ``unit_embeddings`` rows in this session).
    progress : callable(done, total), optional
        Passed to ``ensure``.

    Returns
    -------
    DataFrame
        ``rank`` (1 = best), ``score`` (cosine, -1..1), ``document``, ``document_id``,
        ``start``, ``end`` (code points), ``text`` (the unit), ``codes`` (sorted names of the
        codes already on the unit, any coder); best first, ties in text order.

    Raises
    ------
    AssistError
        Bad query, unit, limit, document, city or dyad; units not embedded while ``ensure`` is
        false.
    """
    unit = check_unit(unit)
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise AssistError(_("Limit {limit!r} must be a whole number, 1 or more.").format(limit=limit))
    vec, coding_row = query_vector(session, query, like_coding, encoder)
    docs = document_ids(session, _as_list(documents))
    if attributes:
        try:
            allowed = set(documents_where(session, attributes=attributes))
        except CodingError as exc:
            raise AssistError(str(exc)) from None
        docs = [d for d in docs if d in allowed]
    empty = pd.DataFrame(columns=RESULT_COLUMNS)
    if not docs:
        return empty
    if ensure:
        embed.ensure(session, document_ids=docs, unit=unit, progress=progress, encoder=encoder)
    refs, matrix = embed.vectors(session, unit=unit, document_ids=docs)
    if refs.empty:
        return empty
    refs = refs.reset_index(drop=True)
    keep = np.ones(len(refs), dtype=bool)
    cities, dyads = _as_list(cities), _as_list(dyads)
    if cities:
        keep &= overlap_mask(refs, _linked_spans(session, docs, cities=cities))
    if dyads:
        keep &= overlap_mask(refs, _linked_spans(session, docs, dyads=dyads))
    codings = codings_frame(session, docs)
    if uncoded_only:
        keep &= ~overlap_mask(refs, codings)
    if coding_row is not None:
        keep &= ~overlap_mask(refs, pd.DataFrame([coding_row]))
    scores = matrix @ np.asarray(vec, dtype=np.float32)
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return empty
    order = idx[np.lexsort((idx, -scores[idx]))][:int(limit)]
    found = refs.iloc[order].reset_index(drop=True)
    found.insert(0, "score", scores[order].astype(float))
    found.insert(0, "rank", np.arange(1, len(found) + 1))
    found["codes"] = codes_on(found, codings)
    return found[RESULT_COLUMNS]
