"""Unit-level ratings: presence of each code in each sentence, paragraph or document.

A coder's rating of a unit for a code is 1 when one of that coder's codings with the code
overlaps the unit by at least one character (code points ``[start, end)``: ``start < unit_end``
and ``end > unit_start``), else 0. A coder who has no coding at all in a document did not code
that document: their ratings of its units are *missing* (NaN), not 0. Krippendorff's alpha uses
the missing values as such; Cohen's kappa uses the units both coders rated, Fleiss' kappa the
units every coder rated (see ``coding.agreement.coefficients``).

Sentences and paragraphs are the stored segments (``store.Segment``, from
``corpus.segment``); a document unit spans the whole text.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["as_one_variable", "presence", "pattern_counts"]


def presence(units: pd.DataFrame, codings: pd.DataFrame, coders: Sequence[str], code_ids: Sequence[int],
             coded_documents: dict[str, set[int]]) -> np.ndarray:
    """Each coder's 0/1 rating of each unit for each code.

    Parameters
    ----------
    units : DataFrame
        ``document_id, start, end`` (code points), one row per unit; units of one document do not
        overlap.
    codings : DataFrame
        ``document_id, code_id, coder, start, end``.
    coders : sequence of str
        The ``m`` coders.
    code_ids : sequence of int
        The ``C`` codes.
    coded_documents : dict of str to set of int
        For each coder, the documents in which they have at least one coding (others: missing).

    Returns
    -------
    array (n_units, C, m)
        1.0 (present), 0.0 (absent) or NaN (the coder did not code the unit's document).
    """
    n = len(units)
    out = np.zeros((n, len(code_ids), len(coders)))
    doc = units["document_id"].to_numpy()
    for k, coder in enumerate(coders):
        out[~np.isin(doc, list(coded_documents.get(coder, set()))), :, k] = np.nan
    code_pos = {c: j for j, c in enumerate(code_ids)}
    coder_pos = {c: j for j, c in enumerate(coders)}
    keep = codings[codings["code_id"].isin(code_pos) & codings["coder"].isin(coder_pos)]
    by_doc = {d: g for d, g in keep.groupby("document_id")}
    for d, rows in units.reset_index(drop=True).groupby("document_id"):
        g = by_doc.get(d)
        if g is None:
            continue
        order = rows.sort_values("start")
        index = order.index.to_numpy()
        starts, ends = order["start"].to_numpy(), order["end"].to_numpy()
        for cid, coder, s, e in zip(g["code_id"], g["coder"], g["start"], g["end"]):
            lo = np.searchsorted(ends, s, side="right")
            hi = np.searchsorted(starts, e, side="left")
            if hi > lo:
                out[index[lo:hi], code_pos[cid], coder_pos[coder]] = 1.0
    return out


def as_one_variable(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes taken as one nominal variable (a set of mutually exclusive codes, a "semantic domain").

    A coder's value for a unit is the index of the one code of the set they applied to it; a
    unit they applied none of the codes to is *missing* for them (not a category), which is how
    Krippendorff's reliability data (observers x units, with blanks) map onto coded text.

    Parameters
    ----------
    values : array (n_units, C, m)
        Presence ratings from :func:`presence`.

    Returns
    -------
    ratings : array (n_units, 1, m)
        Code index ``0..C-1`` or NaN.
    clash : array of int
        Indices of units where a coder applied two or more codes of the set (an error to report).
    """
    hits = np.nan_to_num(values, nan=0.0)
    n_applied = hits.sum(axis=1)  # n_units x m
    clash = np.flatnonzero((n_applied > 1).any(axis=1))
    out = np.where(n_applied == 1, hits.argmax(axis=1), np.nan)
    return out[:, None, :], clash


def pattern_counts(values: np.ndarray, base: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Compress ratings ``(n_units, C, m)`` (values ``0..base-1`` or NaN) into distinct patterns and
    one-hot counts per unit.

    Returns
    -------
    patterns : array (k, m)
        Distinct rows of ratings (0, 1 or NaN).
    counts : array (n_units, C, k)
        1 where the unit shows that pattern for that code, else 0 (each unit is a cluster).
    """
    n, c, m = values.shape
    b = base + 1  # one more digit for "missing"
    digits = np.where(np.isnan(values), base, values).astype(np.int64)
    ids = (digits * (b ** np.arange(m))).sum(axis=2)  # n x C
    seen, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(n, c)
    patterns = ((seen[:, None] // (b ** np.arange(m))[None, :]) % b).astype(float)
    patterns[patterns == base] = np.nan
    counts = np.zeros((n, c, len(seen)), dtype=np.float32)
    np.put_along_axis(counts, inverse[:, :, None], 1.0, axis=2)
    return patterns, counts
