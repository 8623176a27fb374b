"""Links from a coding to the city or the dyad it speaks about.

Suggested links (from the place names in the text) live in :mod:`coding.links.suggest`.

Cities are keyed by their code (adcode); a dyad is stored once with ``city_a < city_b``,
so a pair given in either order is folded. Every change writes one event.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder, get_city, get_coding, get_row
from coding.errors import CodingError
from coding.eventlog.events import EventType, record, snapshot

__all__ = ["DASH", "ORIGINS", "city_names", "dyad_for", "find_dyad", "fold_pair", "link_city", "link_dyad",
           "links_of", "unlink"]

ORIGINS = ("manual", "suggestion")
DASH = "–"


def fold_pair(session: Session, city_a: str, city_b: str) -> tuple[str, str]:
    """The two city codes in stored order (``a < b``).

    Raises
    ------
    CodingError
        A city is not in the project, or both are the same city (self-pair).
    """
    a, b = get_city(session, city_a).code, get_city(session, city_b).code
    if a == b:
        raise CodingError(_("A dyad needs two different cities; got {a!r} twice.").format(a=a))
    return (a, b) if a < b else (b, a)


def find_dyad(session: Session, city_a: str, city_b: str) -> int | None:
    """The id of the dyad of these two cities (either order), or ``None`` if it has no row.

    Raises
    ------
    CodingError
        Unknown city or self-pair.
    """
    a, b = fold_pair(session, city_a, city_b)
    return session.scalar(select(store.Dyad.id).where(store.Dyad.city_a == a, store.Dyad.city_b == b))


def dyad_for(session: Session, city_a: str, city_b: str) -> tuple[store.Dyad, bool]:
    """The dyad row of two cities, created if missing; ``(dyad, created)``."""
    a, b = fold_pair(session, city_a, city_b)
    dyad = session.scalar(select(store.Dyad).where(store.Dyad.city_a == a, store.Dyad.city_b == b))
    if dyad is not None:
        return dyad, False
    dyad = store.Dyad(city_a=a, city_b=b)
    session.add(dyad)
    session.flush()
    return dyad, True


def _origin(origin: Any) -> str:
    if origin not in ORIGINS:
        raise CodingError(_("Link origin {origin!r} is unknown; use 'manual' or 'suggestion'.").format(origin=origin))
    return origin


def _add_link(session: Session, coding: store.Coding, actor: str, origin: str, *,
              created_dyad: store.Dyad | None = None, **target: Any) -> int:
    """Write one new link of ``coding`` (``city_code=`` or ``dyad_id=``) and its ``link_add`` event.

    ``created_dyad`` is the dyad row made for this link, if any; the event keeps it so
    that undo can remove it. Returns the new link's id.
    """
    link = store.CodingLink(coding_id=coding.id, origin=origin, **target)
    session.add(link)
    session.flush()
    payload = {"link": snapshot(link), "created_dyad": snapshot(created_dyad) if created_dyad is not None else None}
    record(session, EventType.LINK_ADD, payload, actor, coding.document_id)
    return link.id


def link_city(session: Session, coding_id: int, city_code: str, origin: str = "manual", *,
              coder: str | None = None) -> int:
    """Link a coding to a city.

    Parameters
    ----------
    coding_id : int
    city_code : str
        The city's code (adcode), exactly as stored.
    origin : {"manual", "suggestion"}
    coder : str, optional
        Who links (event log); defaults to the coding's coder.

    Returns
    -------
    int
        The link id; an existing link to the same city is returned without a new row.

    Raises
    ------
    CodingError
        Unknown coding or city, or a bad origin.
    """
    coding = get_coding(session, coding_id)
    actor = coding.coder if coder is None else as_coder(coder)
    city = get_city(session, city_code)
    how = _origin(origin)
    existing = session.scalar(select(store.CodingLink.id).where(
        store.CodingLink.coding_id == coding.id, store.CodingLink.city_code == city.code))
    if existing is not None:
        return existing
    return _add_link(session, coding, actor, how, city_code=city.code)


def link_dyad(session: Session, coding_id: int, city_a: str, city_b: str, origin: str = "manual", *,
              coder: str | None = None) -> int:
    """Link a coding to the dyad of two cities (given in either order).

    The dyad row is created if both cities exist and it is missing; the event payload
    then holds it (``created_dyad``) so that undo can remove it.

    Returns
    -------
    int
        The link id; an existing link to the same dyad is returned without a new row.

    Raises
    ------
    CodingError
        Unknown coding or city, the same city twice, or a bad origin.
    """
    coding = get_coding(session, coding_id)
    actor = coding.coder if coder is None else as_coder(coder)
    how = _origin(origin)
    dyad, created = dyad_for(session, city_a, city_b)
    existing = None if created else session.scalar(select(store.CodingLink.id).where(
        store.CodingLink.coding_id == coding.id, store.CodingLink.dyad_id == dyad.id))
    if existing is not None:
        return existing
    return _add_link(session, coding, actor, how, created_dyad=dyad if created else None, dyad_id=dyad.id)


def unlink(session: Session, link_id: int, *, coder: str | None = None) -> None:
    """Remove one link (the dyad row itself stays).

    Raises
    ------
    CodingError
        Unknown link.
    """
    link = get_row(session, store.CodingLink, link_id, "Link")
    coding = get_coding(session, link.coding_id)
    actor = coding.coder if coder is None else as_coder(coder)
    payload = {"link": snapshot(link)}
    session.execute(delete(store.CodingLink).where(store.CodingLink.id == link.id))
    session.flush()
    record(session, EventType.LINK_DELETE, payload, actor, coding.document_id)


def city_names(session: Session, codes: set[str]) -> dict[str, str]:
    """``{city code: city name}`` for the given codes (those in the project; an empty set reads nothing)."""
    if not codes:
        return {}
    return dict(session.execute(select(store.City.code, store.City.name).where(store.City.code.in_(codes))).all())


def links_of(session: Session, coding_id: int) -> list[dict[str, Any]]:
    """The links of a coding, oldest first.

    Returns
    -------
    list of dict
        City links: ``{"id", "kind": "city", "city_code", "label", "origin"}``; dyad links:
        ``{"id", "kind": "dyad", "dyad_id", "city_a", "city_b", "label", "origin"}``.
        Labels are the cities' Chinese names (``"苏州市"``, ``"苏州市–上海市"``).

    Raises
    ------
    CodingError
        Unknown coding.
    """
    coding = get_coding(session, coding_id)
    rows = session.execute(
        select(store.CodingLink.id, store.CodingLink.city_code, store.CodingLink.dyad_id, store.CodingLink.origin,
               store.Dyad.city_a, store.Dyad.city_b)
        .outerjoin(store.Dyad, store.Dyad.id == store.CodingLink.dyad_id)
        .where(store.CodingLink.coding_id == coding.id)
        .order_by(store.CodingLink.id)
    ).all()
    names = city_names(session, {c for r in rows for c in (r.city_code, r.city_a, r.city_b) if c})
    out: list[dict[str, Any]] = []
    for r in rows:
        if r.city_code is not None:
            out.append({"id": r.id, "kind": "city", "city_code": r.city_code, "label": names[r.city_code],
                        "origin": r.origin})
        else:
            out.append({"id": r.id, "kind": "dyad", "dyad_id": r.dyad_id, "city_a": r.city_a, "city_b": r.city_b,
                        "label": f"{names[r.city_a]}{DASH}{names[r.city_b]}", "origin": r.origin})
    return out
