"""Suggestions from coded examples: for each code with enough human codings, the units most like
its examples go into the review queue (``store.Suggestion``, ``kind='coding'``,
``origin='encoder'``), never straight into the codings.

Scoring (cosine similarity of L2-normalised vectors, i.e. a dot product): the code's *examples*
are its human codings (``Coding.origin == 'human'``, anchored), each embedded from its QUOTE with
the encoder (an example is a coding, not a unit: a coding may cover half a sentence or three).
A unit's score is the mean of its ``k`` highest cosines to the examples (``k = min(NEIGHBOURS,
number of examples)``; a k-nearest-neighbour similarity, Cover & Hart 1967; ``neighbours=1`` gives
the plain nearest-example cosine). The mean of three was chosen by measurement: on the labelled set
(tests/data/assist_labelled.tsv, leave one document out, 4 documents x 3 codes) the nearest example
alone put a true passage first in 11 of 12 cases (ROC AUC 0.966, average precision 0.912), the
mean of the 3 nearest in 12 of 12 (AUC 0.986, AP 0.966); one near example of another code (an
inspection mentioned in a Hole passage) misleads the single nearest neighbour. The nearest example
is stored with the suggestion. With ``use_definition`` the score is
``(1 - w) * example_score + w * cosine(unit, definition)``, ``w = DEFINITION_WEIGHT``, where
the definition is the code's definition and inclusion criteria (``store.Code.definition``,
``.inclusion``) embedded together; a code without them keeps the example score.

Candidates: units (stored segments of ``unit``) of the chosen documents that no coding of the
code overlaps (any coder, any origin) and that overlap no *rejected* suggestion of the code. The
``top`` best per code (at or above ``threshold`` when given) are the suggestions; one already
pending for the same code and span (from any origin) is not added again, so a second run adds
nothing. Accepting and rejecting are ``coding.suggestions.accept`` / ``reject``.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from store.models import Suggestion
from assist import embed
from assist import encoder as encoder_module
from assist.errors import AssistError
from assist.spans import check_unit, codings_frame, document_ids, overlap_mask
from coding.errors import CodingError
from coding.suggestions import pending
from coding.tree import code_id_by_name
from i18n import N_, _

__all__ = ["DEFINITION_WEIGHT", "NEIGHBOURS", "PENDING_EXTRA", "example_scores", "pending_table", "resolve_codes",
           "suggest", "suggest_codes"]

#: How many nearest examples a unit's score averages.
NEIGHBOURS = 3

#: Weight of the definition's cosine when ``use_definition`` is set.
DEFINITION_WEIGHT = 0.3
#: Columns :func:`pending_table` adds to ``coding.suggestions.pending``'s.
PENDING_EXTRA = ["origin", "score", "example_id", "example_quote", "model"]

REASON = N_("Similarity {score} to the {k} nearest of {n} coded examples of {code}.")
REASON_DEFINITION = N_("Similarity {score} to the {k} nearest of {n} coded examples of {code}, blended with its "
                       "definition.")


def resolve_codes(session: Session, codes: Any) -> list[int]:
    """Code ids from ids, names or paths (``"Needs/Social needs"``), duplicates dropped.

    Raises
    ------
    AssistError
        An unknown code or an ambiguous bare name.
    """
    if codes is None:
        return []
    if isinstance(codes, (str, int, np.integer)):
        codes = [codes]
    out: list[int] = []
    for value in codes:
        try:
            if isinstance(value, str):
                cid = code_id_by_name(session, value)
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) \
                    and session.get(store.Code, int(value)) is not None:
                cid = int(value)
            else:
                raise AssistError(_("Code {code!r} does not exist.").format(code=value))
        except CodingError as exc:
            raise AssistError(str(exc)) from None
        if cid not in out:
            out.append(cid)
    return out


def example_scores(units: np.ndarray, examples: np.ndarray, neighbours: int = NEIGHBOURS
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's example score and nearest example (see the module text).

    Parameters
    ----------
    units : array (n, d)
        L2-normalised unit vectors.
    examples : array (m, d), m >= 1
        L2-normalised example vectors.
    neighbours : int
        ``k``: the score averages the ``min(k, m)`` highest cosines.

    Returns
    -------
    (array (n,) float, array (n,) int)
        Scores, and the row of ``examples`` nearest to each unit.
    """
    sims = np.asarray(units, dtype=np.float64) @ np.asarray(examples, dtype=np.float64).T
    k = max(1, min(int(neighbours), sims.shape[1]))
    if sims.shape[0] == 0:
        return np.zeros(0), np.zeros(0, dtype=int)
    top = np.partition(sims, sims.shape[1] - k, axis=1)[:, sims.shape[1] - k:]
    return top.mean(axis=1), sims.argmax(axis=1)


def _definition(code: store.Code) -> str:
    return "\n".join(t.strip() for t in (code.definition or "", code.inclusion or "") if t and t.strip())


def suggest_codes(
    session: Session,
    code_ids: Any = None,
    unit: str = "sentence",
    top: int = 10,
    min_examples: int = 3,
    use_definition: bool = False,
    threshold: float | None = None,
    documents: Any = None,
    *,
    encoder: Any = None,
    ensure: bool = True,
    progress: Any = None,
    neighbours: int = NEIGHBOURS,
) -> pd.DataFrame:
    """Score and queue suggestions (see the module text); one row per code considered.

    Parameters
    ----------
    code_ids : int, str or iterable, optional
        Code ids or names/paths; default every codable code.
    unit : {"sentence", "paragraph"}
    top : int
        Suggestions per code (1 or more), best first.
    min_examples : int
        Codes with fewer human codings are skipped (1 or more).
    use_definition : bool
    threshold : float, optional
        Only units scoring at least this much.
    documents : optional
        Ids or names of the documents to suggest in (default every current document);
        examples come from every document.
    encoder : Encoder, optional
    ensure : bool
        Embed units missing a current vector first (``assist.embed.ensure``).
    progress : callable(done, total), optional
    neighbours : int
        How many nearest examples the score averages (1: the nearest only).

    Returns
    -------
    DataFrame
        ``code_id, code, examples, candidates, added, best`` (``best``: highest score, NaN when
        skipped) and ``skipped`` (empty, or the sentence saying why).

    Raises
    ------
    AssistError
        Bad unit, top, min_examples, code or document.
    """
    unit = check_unit(unit)
    for name, value in (("top", top), ("min_examples", min_examples), ("neighbours", neighbours)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise AssistError(_("{name} {value!r} must be a whole number, 1 or more.").format(name=name, value=value))
    codes = resolve_codes(session, code_ids) if code_ids is not None else list(
        session.scalars(select(store.Code.id).where(store.Code.codable == 1).order_by(store.Code.id)))
    docs = document_ids(session, documents)
    enc = encoder or encoder_module.encoder()
    columns = ["code_id", "code", "examples", "candidates", "added", "best", "skipped"]
    rows: list[list] = []
    if ensure and docs:
        embed.ensure(session, document_ids=docs, unit=unit, progress=progress, encoder=enc)
    refs, matrix = embed.vectors(session, unit=unit, document_ids=docs) if docs else (pd.DataFrame(), None)
    refs = refs.reset_index(drop=True)
    examples_all = codings_frame(session, document_ids(session), human_only=True)
    coded = codings_frame(session, docs)
    quote_vectors: dict[str, np.ndarray] = {}
    model = enc.model if hasattr(enc, "model") else encoder_module.model_id()
    for cid in codes:
        code = session.get(store.Code, cid)
        ex = examples_all[examples_all["code_id"] == cid].reset_index(drop=True)
        row = [cid, code.name, len(ex), 0, 0, float("nan"), ""]
        rows.append(row)
        if not code.codable:
            row[-1] = _("{code} is a category, not a code one can apply.").format(code=code.name)
            continue
        if len(ex) < min_examples:
            row[-1] = _("{code} has {n} human codings; at least {k} are needed.").format(
                code=code.name, n=len(ex), k=min_examples)
            continue
        if refs.empty:
            row[-1] = _("No unit of the chosen documents is embedded.")
            continue
        new = sorted({q for q in ex["quote"] if q not in quote_vectors})
        if new:
            quote_vectors.update(zip(new, enc.encode(new)))
        ex_matrix = np.stack([quote_vectors[q] for q in ex["quote"]])
        score, nearest = example_scores(matrix, ex_matrix, neighbours)
        blended = False
        text = _definition(code) if use_definition else ""
        if text:
            score = (1 - DEFINITION_WEIGHT) * score + DEFINITION_WEIGHT * (matrix @ enc.encode([text])[0])
            blended = True
        s = Suggestion
        rejected = pd.DataFrame(session.execute(select(s.document_id, s.start, s.end).where(
            s.kind == "coding", s.code_id == cid, s.status == "rejected")).all(), columns=["document_id", "start", "end"])
        keep = ~overlap_mask(refs, coded[coded["code_id"] == cid]) & ~overlap_mask(refs, rejected)
        if threshold is not None:
            keep &= score >= float(threshold)
        idx = np.flatnonzero(keep)
        row[3] = int(idx.size)
        if idx.size == 0:
            continue
        best = idx[np.lexsort((idx, -score[idx]))][:int(top)]
        row[5] = float(score[best[0]])
        waiting = set(session.execute(select(s.document_id, s.start, s.end).where(
            s.kind == "coding", s.code_id == cid, s.status == "pending")).all())
        for k in best:
            ref = refs.iloc[k]
            key = (int(ref["document_id"]), int(ref["start"]), int(ref["end"]))
            if key in waiting:
                continue
            example = ex.iloc[int(nearest[k])]
            shown = f"{float(score[k]):.2f}"
            reason = (_(REASON_DEFINITION) if blended else _(REASON)).format(
                score=shown, k=min(int(neighbours), len(ex)), n=len(ex), code=code.name)
            session.add(s(kind="coding", origin="encoder", code_id=cid, document_id=key[0], start=key[1], end=key[2],
                          quote=str(ref["text"]), score=float(score[k]), example_id=int(example["coding_id"]),
                          example_quote=str(example["quote"]), model=model, reason=reason))
            row[4] += 1
    session.flush()
    return pd.DataFrame(rows, columns=columns)


def suggest(session: Session, code_ids: Any = None, unit: str = "sentence", top: int = 10, min_examples: int = 3,
            use_definition: bool = False, threshold: float | None = None, documents: Any = None, **options: Any
            ) -> int:
    """Queue suggestions as :func:`suggest_codes` does; returns how many were added."""
    table = suggest_codes(session, code_ids, unit, top, min_examples, use_definition, threshold, documents, **options)
    return int(table["added"].sum())


def pending_table(session: Session, code: Any = None, min_score: float | None = None,
                  origin: str | Iterable[str] | None = None, *, context: int = 30) -> pd.DataFrame:
    """Pending coding suggestions with their origin, score, nearest example and model, filtered.

    Parameters
    ----------
    code : int or str, optional
        A code id, name or path.
    min_score : float, optional
        Keep suggestions scoring at least this much (those without a score are dropped then).
    origin : {"rule", "encoder", "llm"} or a list of them, optional

    Returns
    -------
    DataFrame
        ``coding.suggestions.pending``'s columns plus ``origin, score, example_id,
        example_quote, model``; highest score first (unscored last), then document order.

    Raises
    ------
    AssistError
        Unknown code or origin.
    """
    origins = None if origin is None else ([origin] if isinstance(origin, str) else list(origin))
    if origins is not None and (not origins or any(o not in ("rule", "encoder", "llm") for o in origins)):
        raise AssistError(_("Origin {origin!r} is unknown; use 'rule', 'encoder' or 'llm'.").format(origin=origin))
    code_id = resolve_codes(session, code)[0] if code is not None else None
    frame = pending(session, kind="coding", code_id=code_id, context=context)
    s = Suggestion
    extra = pd.DataFrame(session.execute(select(s.id, s.origin, s.score, s.example_id, s.example_quote, s.model)
                                         .where(s.kind == "coding", s.status == "pending")).all(),
                         columns=["id", *PENDING_EXTRA])
    frame = frame.merge(extra, on="id", how="left")
    frame["example_id"] = frame["example_id"].astype("Int64")
    frame["score"] = frame["score"].astype(float)
    if origins is not None:
        frame = frame[frame["origin"].isin(origins)]
    if min_score is not None:
        frame = frame[frame["score"] >= float(min_score)]
    frame = frame.assign(_unscored=frame["score"].isna()).sort_values(
        ["_unscored", "score", "document_id", "start", "id"], ascending=[True, False, True, True, True], kind="stable")
    return frame.drop(columns="_unscored").reset_index(drop=True)
