"""Links from a coding to the city or the dyad it speaks about, and link suggestions
from the place names found in the text (``store.PlaceMention`` rows).

Cities are keyed by their code (adcode); a dyad is stored once with ``city_a < city_b``,
so a pair given in either order is folded. Every change writes one event.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder, get_city, get_coding, get_row
from coding.errors import CodingError
from coding.history.events import EventType, record, snapshot

__all__ = ["ORIGINS", "accept_suggestion", "fold_pair", "link_city", "link_dyad", "links_of", "suggest_links",
           "unlink"]

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


def _names(session: Session, codes: set[str]) -> dict[str, str]:
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
    names = _names(session, {c for r in rows for c in (r.city_code, r.city_a, r.city_b) if c})
    out: list[dict[str, Any]] = []
    for r in rows:
        if r.city_code is not None:
            out.append({"id": r.id, "kind": "city", "city_code": r.city_code, "label": names[r.city_code],
                        "origin": r.origin})
        else:
            out.append({"id": r.id, "kind": "dyad", "dyad_id": r.dyad_id, "city_a": r.city_a, "city_b": r.city_b,
                        "label": f"{names[r.city_a]}{DASH}{names[r.city_b]}", "origin": r.origin})
    return out


def _mentions(session: Session, document_id: int, start: int, end: int) -> list[tuple[str, str]]:
    return [tuple(r) for r in session.execute(
        select(store.PlaceMention.city_code, store.PlaceMention.surface)
        .where(store.PlaceMention.document_id == document_id, store.PlaceMention.start >= start,
               store.PlaceMention.end <= end)
        .order_by(store.PlaceMention.start, store.PlaceMention.id)
    ).all()]


def suggest_links(session: Session, coding_id: int) -> list[dict[str, Any]]:
    """Cities and dyads a coding probably speaks about, from the place names in the text.

    Place mentions lying wholly inside the coded span are used; if there are none, those
    inside the paragraph(s) the span touches. Each distinct city gives a city suggestion
    and each pair of distinct cities a dyad suggestion (in order of first mention);
    targets the coding is already linked to are left out.

    Returns
    -------
    list of dict
        ``{"kind": "city", "city_code", "label", "reason"}`` and
        ``{"kind": "dyad", "city_a", "city_b", "label", "reason"}`` (``city_a < city_b``);
        labels use the cities' Chinese names; ``reason`` says where the names were found.

    Raises
    ------
    CodingError
        Unknown coding.
    """
    coding = get_coding(session, coding_id)
    found = _mentions(session, coding.document_id, coding.start, coding.end)
    where = "the coded passage"
    if not found:
        paras = session.execute(
            select(store.Segment.idx, store.Segment.start, store.Segment.end)
            .where(store.Segment.document_id == coding.document_id, store.Segment.kind == "paragraph",
                   store.Segment.start < coding.end, store.Segment.end > coding.start)
            .order_by(store.Segment.start)
        ).all()
        for p in paras:
            found.extend(_mentions(session, coding.document_id, p.start, p.end))
        if paras:
            first, last = paras[0].idx, paras[-1].idx
            where = f"¶ {first}" if first == last else f"¶ {first}{DASH}{last}"
    surfaces: dict[str, list[str]] = {}
    for code, surface in found:
        seen = surfaces.setdefault(code, [])
        if surface not in seen:
            seen.append(surface)
    linked = links_of(session, coding.id)
    linked_cities = {k["city_code"] for k in linked if k["kind"] == "city"}
    linked_dyads = {(k["city_a"], k["city_b"]) for k in linked if k["kind"] == "dyad"}
    names = _names(session, set(surfaces))
    out: list[dict[str, Any]] = []
    for code, said in surfaces.items():
        if code not in linked_cities:
            quoted = "、".join(f"“{s}”" for s in said)
            out.append({"kind": "city", "city_code": code, "label": names[code],
                        "reason": f"named in {where} as {quoted}"})
    for x, y in combinations(surfaces, 2):
        a, b = (x, y) if x < y else (y, x)
        if (a, b) not in linked_dyads:
            out.append({"kind": "dyad", "city_a": a, "city_b": b, "label": f"{names[a]}{DASH}{names[b]}",
                        "reason": f"both named in {where}"})
    return out


def accept_suggestion(session: Session, coding_id: int, suggestion: dict[str, Any], *,
                      coder: str | None = None) -> int:
    """Turn one item of :func:`suggest_links` into a link with ``origin="suggestion"``.

    Returns
    -------
    int
        The link id.

    Raises
    ------
    CodingError
        The suggestion is not a city or dyad suggestion, or any error of
        :func:`link_city` / :func:`link_dyad`.
    """
    kind = suggestion.get("kind") if isinstance(suggestion, dict) else None
    if kind == "city" and "city_code" in suggestion:
        return link_city(session, coding_id, suggestion["city_code"], "suggestion", coder=coder)
    if kind == "dyad" and "city_a" in suggestion and "city_b" in suggestion:
        return link_dyad(session, coding_id, suggestion["city_a"], suggestion["city_b"], "suggestion", coder=coder)
    raise CodingError(_("Suggestion {suggestion!r} is neither a city nor a dyad suggestion.").format(
                        suggestion=suggestion))
