"""The project's place matcher, and place mentions found again in documents already imported
after the cities or the project's place-name rules changed (``corpus.place_context``).

The importer stores the unambiguous mentions of a document once, at import. When the researcher
edits the context rules (or loads a fuller city table), ``refind_mentions`` replaces every stored
mention of the chosen documents with what the current matcher finds in their (unchanged) text;
codings and their links are untouched (links are stored on codings, not on mentions).
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

import store
from corpus.places import PlaceMatcher, city_rows

__all__ = ["matcher_for_session", "refind_mentions"]


def matcher_for_session(session: Session) -> PlaceMatcher | None:
    """A ``PlaceMatcher`` over the project's cities with the project's place-name rules
    (``corpus.place_context.project_rules``), cached per distinct city list and rules; None if no city."""
    from corpus.place_context import project_rules

    rows = city_rows(session)
    return _cached_matcher(rows, tuple(project_rules(session))) if rows else None


@lru_cache(maxsize=4)
def _cached_matcher(rows: tuple[tuple, ...], rules: tuple[str, ...]) -> PlaceMatcher:
    return PlaceMatcher.from_rows(rows, rules=rules)


def refind_mentions(session: Session, document_ids=None) -> dict:
    """Find the project's places again in documents and store the unambiguous mentions.

    Parameters
    ----------
    session : Session
    document_ids : iterable of int, optional
        Documents to refresh; default every document that is not superseded.

    Returns
    -------
    dict
        ``documents`` refreshed, mentions ``before`` and ``after``, and ``ambiguous`` (found but not
        stored: several cities share the name), all counts.
    """
    q = select(store.Document.id).where(store.Document.superseded_by.is_(None))
    if document_ids is not None:
        ids = [int(i) for i in document_ids]
        q = select(store.Document.id).where(store.Document.id.in_(ids))
    ids = list(session.scalars(q.order_by(store.Document.id)))
    before = session.scalar(select(func.count()).select_from(store.PlaceMention)
                            .where(store.PlaceMention.document_id.in_(ids))) or 0 if ids else 0
    matcher = matcher_for_session(session)
    after = ambiguous = 0
    for doc_id in ids:
        text = session.scalar(select(store.Document.text).where(store.Document.id == doc_id))
        session.execute(delete(store.PlaceMention).where(store.PlaceMention.document_id == doc_id))
        found = matcher.find(text) if matcher is not None and text else []
        rows = [{"document_id": doc_id, "city_code": m.codes[0], "start": m.start, "end": m.end, "surface": m.surface}
                for m in found if not m.ambiguous]
        ambiguous += sum(m.ambiguous for m in found)
        if rows:
            session.execute(insert(store.PlaceMention), rows)
        after += len(rows)
    session.flush()
    return {"documents": len(ids), "before": int(before), "after": after, "ambiguous": ambiguous}
