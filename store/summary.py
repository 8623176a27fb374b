"""A project's headline facts: counts of its objects and its stored notes."""
from __future__ import annotations

from sqlalchemy import func, select

from store.models import City, Code, Coding, Document, Dyad, ProjectInfo


def project_overview(session) -> dict:
    """Counts of documents, codings, codes, cities and dyads, plus ProjectInfo facts.

    Returns
    -------
    dict with keys name, simulated_outcomes (str or None), documents, codings, codes,
    cities, dyads (ints) and info (every ProjectInfo key/value).
    """
    info = {row.key: row.value for row in session.scalars(select(ProjectInfo))}

    def count(model) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return {
        "name": info.get("name", "Untitled project"),
        "simulated_outcomes": info.get("simulated_outcomes"),
        "documents": count(Document),
        "codings": count(Coding),
        "codes": count(Code),
        "cities": count(City),
        "dyads": count(Dyad),
        "info": info,
    }


def simulated_note(session) -> str | None:
    """The project's "simulated outcomes" sentence (``ProjectInfo['simulated_outcomes']``), if any.

    One primary-key read: pages that show outcomes call it on every rerun.
    """
    row = session.get(ProjectInfo, "simulated_outcomes")
    return None if row is None or not row.value else str(row.value)
