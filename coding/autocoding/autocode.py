"""Auto-coding rules: keywords, regular expressions or spaCy token patterns per code.

Running a rule never writes a coding. It writes *suggestions* (``store.models.Suggestion``,
``kind='coding'``) into a review queue; the researcher accepts or rejects them one by one
or per rule (:mod:`coding.suggestions`, re-exported here). A span already coded with the
rule's code (by any coder), or already pending or rejected for that code, is not
suggested again.

Matching
--------
- ``keywords``: any of a list of words (or one ``"a|b|c"`` string). Chinese keywords
  match anywhere: no whitespace word boundary is assumed. A keyword that begins or ends
  with a Latin letter or digit must not touch another Latin letter or digit on that side
  (``act`` does not fire inside ``impact``).
- ``regex``: a Python regular expression (at most ``coding.retrieval.search.MAX_PATTERN`` code
  points, checked when the rule is saved), run with a time limit of
  ``coding.retrieval.search.REGEX_TIMEOUT`` seconds per document: a pattern that backtracks
  catastrophically stops the preview or the run with one sentence naming it and the
  document, and nothing is queued.
- ``spacy``: ``spacy.matcher.Matcher`` token patterns run on the tokens of the
  document's language pipeline (``corpus.segment``: jieba words for ``zh``); documents in
  another language are skipped by such rules.

Keywords and regular expressions match the text folded from traditional to simplified
Chinese when ``fold_traditional`` (:mod:`coding.folding`), and ignore case when
``ignore_case``; spaCy rules use the folded text too (case is up to the pattern: use
``LOWER``). ``unit`` widens each match to the stored sentence or paragraph that holds it
(a match outside any stored segment keeps its own span). All spans are Python code
points over the stored text, ``[start, end)``.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import store
from coding.checks import as_coder, as_id, as_ids, get_code, get_rule
from coding.errors import CodingError
from coding.autocoding.match import RULE_KINDS, UNITS, CompiledRule, check_pattern, check_unit, rule_matches
from coding.retrieval.search import check_document_ids
from coding.suggestions import SuggestionModel, accept, accept_rule, pending, reject, reject_rule, revert_rule
from i18n import _
from store.models import AutocodeRule

__all__ = [
    "RULE_KINDS", "UNITS", "accept", "accept_rule", "add_rule", "delete_rule", "parse_rule_pattern", "pending",
    "preview_rule", "reject", "reject_rule", "revert_rule", "rules", "run_rules",
]

RULE_COLUMNS = ["id", "code_id", "code", "kind", "pattern", "unit", "fold_traditional", "ignore_case",
                "n_pending", "n_accepted", "n_rejected", "created_by", "created"]
PREVIEW_COLUMNS = ["document_id", "document", "start", "end", "quote", "matched", "before", "after"]


# --- rules ----------------------------------------------------------------------------------

def parse_rule_pattern(kind: str, text: str) -> str | list:
    """A rule pattern typed in a text box, in the form :func:`add_rule` takes.

    Keywords: one per line, and/or separated by ``|`` (a list of words); regex: the text
    as it is; spacy: JSON, one token pattern (``[{"LOWER": "hukou"}]``) or a list of them.

    Raises
    ------
    CodingError
        Unknown kind, empty text, or spaCy JSON that does not parse.
    """
    if kind not in RULE_KINDS:
        raise CodingError(_("Rule kind {kind!r} is unknown; use one of {kinds}.").format(
            kind=kind, kinds=", ".join(RULE_KINDS)))
    if not isinstance(text, str) or not text.strip():
        raise CodingError(_("The {kind} pattern is empty; type at least one word or pattern.").format(kind=kind))
    if kind == "keywords":
        return [w.strip() for line in text.splitlines() for w in line.split("|") if w.strip()]
    if kind == "regex":
        return text.strip("\n")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CodingError(_("The spaCy pattern is not valid JSON: {error} (line {line}, column {column}).").format(
            error=exc.msg, line=exc.lineno, column=exc.colno)) from None


def add_rule(
    session: Session,
    code_id: int,
    kind: str,
    pattern: str | list,
    *,
    unit: str = "match",
    fold_traditional: bool = True,
    ignore_case: bool = True,
    coder: str = "researcher",
) -> int:
    """Store an auto-coding rule for a code (nothing is matched yet: see :func:`run_rules`).

    Parameters
    ----------
    session : Session
    code_id : int
        A codable code.
    kind : {"keywords", "regex", "spacy"}
    pattern : str or list
        Keywords: a list of strings or ``"a|b|c"``; regex: a Python regular expression;
        spacy: one token pattern (list of dicts) or a list of them.
    unit : {"match", "sentence", "paragraph"}
        Suggest the matched text itself, or the stored sentence or paragraph holding it.
    fold_traditional, ignore_case : bool
        See the module docstring.
    coder : str
        Who wrote the rule.

    Returns
    -------
    int
        The rule id.

    Raises
    ------
    CodingError
        Unknown or category code, unknown kind or unit, an invalid pattern.
    """
    who = as_coder(coder)
    code = get_code(session, code_id)
    if not code.codable:
        raise CodingError(_("Code {name!r} is a category; rules can only suggest codable codes.").format(
            name=code.name))
    stored = check_pattern(kind, pattern)
    rule = AutocodeRule(code_id=code.id, kind=kind, pattern=stored, unit=check_unit(unit),
                        fold_traditional=int(bool(fold_traditional)), ignore_case=int(bool(ignore_case)),
                        created_by=who)
    session.add(rule)
    session.flush()
    return rule.id


def delete_rule(session: Session, rule_id: int) -> None:
    """Delete a rule with its suggestions (codings already accepted stay).

    Raises
    ------
    CodingError
        Unknown rule.
    """
    rule = get_rule(session, rule_id)
    session.delete(rule)
    session.flush()


def rules(session: Session, code_id: int | None = None) -> pd.DataFrame:
    """The auto-coding rules (of one code, or all), oldest first, with queue counts.

    Returns
    -------
    DataFrame
        ``id, code_id, code, kind, pattern, unit, fold_traditional, ignore_case, n_pending,
        n_accepted, n_rejected, created_by, created``; ``pattern`` is a display string
        (JSON for lists).
    """
    sug = SuggestionModel
    counts: dict[tuple[int, str], int] = {
        (rid, status): n for rid, status, n in session.execute(
            select(sug.rule_id, sug.status, func.count(sug.id)).where(sug.rule_id.is_not(None))
            .group_by(sug.rule_id, sug.status))}
    stmt = (select(AutocodeRule, store.Code.name).join(store.Code, store.Code.id == AutocodeRule.code_id)
            .order_by(AutocodeRule.id))
    if code_id is not None:
        stmt = stmt.where(AutocodeRule.code_id == get_code(session, code_id).id)
    rows = []
    for rule, name in session.execute(stmt):
        shown = rule.pattern if isinstance(rule.pattern, str) else json.dumps(rule.pattern, ensure_ascii=False)
        rows.append((rule.id, rule.code_id, name, rule.kind, shown, rule.unit, bool(rule.fold_traditional),
                     bool(rule.ignore_case), counts.get((rule.id, "pending"), 0), counts.get((rule.id, "accepted"), 0),
                     counts.get((rule.id, "rejected"), 0), rule.created_by, rule.created))
    return pd.DataFrame(rows, columns=RULE_COLUMNS)


def preview_rule(
    session: Session,
    kind: str,
    pattern: str | list,
    *,
    unit: str = "match",
    document_ids: int | Iterable[int] | None = None,
    fold_traditional: bool = True,
    ignore_case: bool = True,
    context: int = 30,
) -> pd.DataFrame:
    """What a rule would suggest, without storing anything.

    Returns
    -------
    DataFrame
        ``document_id, document, start, end, quote, matched, before, after``: the unit span
        and its text (code points), the matched text, and ``context`` code points around.

    Raises
    ------
    CodingError
        Invalid kind, pattern or unit, unknown document, negative context.
    """
    compiled = CompiledRule(kind, check_pattern(kind, pattern), fold_traditional, ignore_case)
    unit, span = check_unit(unit), as_id(context, "Context")
    if span < 0:
        raise CodingError(_("Context {n} must be 0 or more code points.").format(n=span))
    rows = []
    for doc_id in check_document_ids(session, document_ids):
        doc = session.get(store.Document, doc_id)
        seen: set[tuple[int, int]] = set()
        for us, ue, ms, me in rule_matches(session, compiled, unit, doc_id, doc.text, doc.language, doc.name):
            if (us, ue) not in seen:
                seen.add((us, ue))
                rows.append((doc_id, doc.name, us, ue, doc.text[us:ue], doc.text[ms:me],
                             doc.text[max(0, us - span):us], doc.text[ue:ue + span]))
    return pd.DataFrame(rows, columns=PREVIEW_COLUMNS)


def run_rules(
    session: Session,
    rule_ids: int | Iterable[int] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> int:
    """Run rules over documents and queue their new suggestions (never codings).

    A unit span is skipped when the rule's code is already applied to exactly that span
    (any coder) or when a pending or rejected suggestion of that code holds it; several
    matches in one sentence or paragraph give one suggestion.

    Parameters
    ----------
    session : Session
    rule_ids : int or iterable of int, optional
        Default: every rule.
    document_ids : int or iterable of int, optional
        Default: every document.

    Returns
    -------
    int
        Number of new suggestions.

    Raises
    ------
    CodingError
        An unknown rule or document, or a rule whose code has become a category. Nothing
        is written then.
    """
    if rule_ids is None:
        chosen = list(session.scalars(select(AutocodeRule).order_by(AutocodeRule.id)))
    else:
        chosen = [get_rule(session, r) for r in as_ids(rule_ids, "Rule ids")]
    for rule in chosen:
        code = get_code(session, rule.code_id)
        if not code.codable:
            raise CodingError(_("Rule {key} suggests code {name!r}, which is now a category.").format(
                key=rule.id, name=code.name))
    compiled = {r.id: CompiledRule(r.kind, r.pattern, r.fold_traditional, r.ignore_case) for r in chosen}
    docs = check_document_ids(session, document_ids)
    new: list[dict[str, Any]] = []
    for doc_id in docs:
        doc = session.get(store.Document, doc_id)
        text = doc.text
        blocked: dict[int, set[tuple[int, int]]] = {}
        for rule in chosen:
            if rule.code_id not in blocked:
                coded = session.execute(select(store.Coding.start, store.Coding.end).where(
                    store.Coding.document_id == doc_id, store.Coding.code_id == rule.code_id)).all()
                queued = session.execute(select(SuggestionModel.start, SuggestionModel.end).where(
                    SuggestionModel.kind == "coding", SuggestionModel.document_id == doc_id,
                    SuggestionModel.code_id == rule.code_id, SuggestionModel.status.in_(("pending", "rejected")))).all()
                blocked[rule.code_id] = {tuple(r) for r in (*coded, *queued)}
            taken = blocked[rule.code_id]
            for us, ue, ms, me in rule_matches(session, compiled[rule.id], rule.unit, doc_id, text, doc.language,
                                               doc.name):
                if (us, ue) in taken:
                    continue
                taken.add((us, ue))
                new.append({"kind": "coding", "rule_id": rule.id, "document_id": doc_id, "code_id": rule.code_id,
                            "start": us, "end": ue, "quote": text[us:ue], "status": "pending", "origin": "rule",
                            "reason": f"rule {rule.id} ({rule.kind}) matched “{text[ms:me][:80]}”"})
    if new:
        session.execute(insert(SuggestionModel), new)
    session.flush()
    return len(new)
