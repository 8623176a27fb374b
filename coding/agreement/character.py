"""Character-level units: every character of every chosen document, per code, is one unit,
coded or not coded by each coder.

This is NVivo's convention (NVivo Help, "Run a coding comparison query": agreement and
Cohen's kappa are computed over the characters of each source, "coded by both", "coded by A
only", "coded by B only" and "coded by neither"); its worked example, 50 characters coded by
both, 100 by A only, 50 by B only and 800 by neither, gives percent agreement 85% and
kappa 0.318. Characters nobody coded count as agreement, so on long, sparsely coded documents
percent agreement is high whatever the coders did; read kappa or alpha beside it.

A character is coded by a coder for a code when one of that coder's codings with that code
covers it (overlapping codings count once). Offsets are code points ``[start, end)`` over the
stored text. There is no missing rating here: a chosen document a coder never coded counts as
"not coded" by that coder throughout, as in NVivo.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["character_counts"]


def character_counts(lengths: dict[int, int], codings: pd.DataFrame, coders: Sequence[str],
                     code_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Rating patterns of characters and how many characters of each document show each.

    Parameters
    ----------
    lengths : dict of int to int
        Document id to its length in code points (the chosen documents, in order).
    codings : DataFrame
        ``document_id, code_id, coder, start, end`` (code points); rows of other documents,
        codes or coders are ignored.
    coders : sequence of str
        The ``m`` coders compared (column order of the patterns).
    code_ids : sequence of int
        The ``C`` codes compared.

    Returns
    -------
    patterns : array (k, m)
        The distinct 0/1 patterns seen (1 = coded by that coder).
    counts : array (D, C, k)
        Characters of each document, per code, showing each pattern.
    doc_ids : list of int
        The ``D`` documents, in the order of ``lengths``.
    """
    m = len(coders)
    doc_ids = list(lengths)
    full = np.zeros((len(doc_ids), len(code_ids), 2 ** m), dtype=np.int64)
    code_pos = {c: j for j, c in enumerate(code_ids)}
    coder_pos = {c: j for j, c in enumerate(coders)}
    keep = codings[codings["document_id"].isin(lengths) & codings["code_id"].isin(code_pos)
                   & codings["coder"].isin(coder_pos)]
    groups = {key: g for key, g in keep.groupby(["document_id", "code_id"])}
    for d, doc in enumerate(doc_ids):
        n = int(lengths[doc])
        for cid, j in code_pos.items():
            pattern = np.zeros(n, dtype=np.int64)
            g = groups.get((doc, cid))
            if g is not None:
                for coder, rows in g.groupby("coder"):
                    mask = np.zeros(n, dtype=bool)
                    for s, e in zip(rows["start"], rows["end"]):
                        mask[max(0, int(s)):min(n, int(e))] = True
                    pattern |= mask.astype(np.int64) << coder_pos[coder]
            full[d, j] = np.bincount(pattern, minlength=2 ** m)
    seen = np.flatnonzero(full.sum(axis=(0, 1)) > 0)
    patterns = ((seen[:, None] >> np.arange(m)[None, :]) & 1).astype(float)
    return patterns, full[:, :, seen], doc_ids
