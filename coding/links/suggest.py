"""Link suggestions, in one place: the place names (``store.PlaceMention`` rows) found in a
coding's span or paragraph become suggested city and dyad links (:func:`suggest_links`); one
of them is accepted as a link (:func:`accept_suggestion`), or all are queued in the review
queue (``coding.suggestions.place_link_suggestions``), where ``coding.suggestions.accept``
turns one into a link.

Linking itself (``link_city``, ``link_dyad``, ``unlink``, ``links_of``) is
:mod:`coding.links.linking`. Spans are Python code points over the stored text, ``[start, end)``.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.checks import get_coding
from coding.errors import CodingError
from coding.links.linking import DASH, city_names, link_city, link_dyad, links_of
from i18n import _

__all__ = ["accept_suggestion", "suggest_links"]


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
    names = city_names(session, set(surfaces))
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
