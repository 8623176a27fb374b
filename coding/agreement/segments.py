"""Segment-level agreement, MAXQDA's convention ("Intercoder agreement", option "Segment
agreement" / "Min. code intersection rate at segment level").

The units are the coded segments of both coders. A segment of one coder *matches* when the
other coder applied the same code, in the same document, to a segment overlapping it by at
least ``overlap`` (a share between 0 and 1). The overlap share of two segments is the length of
their intersection divided by the length of the span both cover together
(``|s ∩ t| / |s ∪ t|``, code points), so two segments match at 0.9 only when 90% of the text
either of them covers is covered by both (MAXQDA relates the overlap to the area both segments
cover together). MAXQDA's intercoder-agreement dialog sets the minimum overlap at segment level
to 90% by default (MAXQDA Manual, "Intercoder Agreement",
https://www.maxqda.com/help-mx24/coding/problem-intercoder-agreement-qualitative-research);
Tandem's default is the same, :data:`DEFAULT_OVERLAP` = 0.9.

Agreement = matched / (matched + unmatched), counted over the segments of both coders, per
code and pooled. Exactly two coders.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from coding.agreement.bootstrap import percentile_interval
from coding.errors import CodingError
from i18n import _

__all__ = ["DEFAULT_OVERLAP", "SEGMENT_COLUMNS", "check_overlap", "match_segments", "overlap_share", "segment_table"]

DEFAULT_OVERLAP = 0.9
SEGMENT_COLUMNS = ["code", "segments", "matched", "unmatched", "pct_agreement", "pct_agreement_low",
                   "pct_agreement_high"]


def check_overlap(overlap) -> float:
    """The minimum overlap share as a float in (0, 1], or ``CodingError``."""
    try:
        x = float(overlap)
    except (TypeError, ValueError):
        raise CodingError(_("The minimum overlap {value!r} is not a number; give a share such as 0.9.").format(
            value=overlap)) from None
    if not 0.0 < x <= 1.0:
        raise CodingError(_("The minimum overlap {value!r} is not a share between 0 and 1 (e.g. 0.9 for 90%).").format(
            value=overlap))
    return x


def overlap_share(a: tuple[int, int], b: tuple[int, int]) -> float:
    """``|a ∩ b| / |a ∪ b|`` of two spans ``[start, end)`` (0 when they do not overlap)."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def match_segments(codings: pd.DataFrame, coders: Sequence[str], overlap: float) -> pd.DataFrame:
    """Each coding of the two coders with whether the other coder has a matching segment.

    Parameters
    ----------
    codings : DataFrame
        ``document_id, code_id, coder, start, end`` (plus any other columns, kept).
    coders : two str
    overlap : float
        Minimum overlap share (0, 1].

    Returns
    -------
    DataFrame
        The two coders' codings with ``best_overlap`` (the largest share with a segment of the
        other coder, same code and document) and ``matched`` (``best_overlap >= overlap``).
    """
    if len(coders) != 2:
        raise CodingError(_("Segment agreement compares exactly two coders; choose two."))
    x = check_overlap(overlap)
    rows = codings[codings["coder"].isin(coders)].copy()
    best = np.zeros(len(rows))
    spans = {}
    for (doc, code, coder), g in rows.groupby(["document_id", "code_id", "coder"]):
        spans[(doc, code, coder)] = list(zip(g["start"].astype(int), g["end"].astype(int)))
    for i, (doc, code, coder, s, e) in enumerate(zip(rows["document_id"], rows["code_id"], rows["coder"],
                                                     rows["start"], rows["end"])):
        other = coders[1] if coder == coders[0] else coders[0]
        best[i] = max((overlap_share((int(s), int(e)), t) for t in spans.get((doc, code, other), [])), default=0.0)
    rows["best_overlap"] = best
    rows["matched"] = best >= x - 1e-12
    return rows


def _count(flags: np.ndarray, name: str, replicates: int, seed: int) -> dict:
    matched = int(flags.sum())
    n = len(flags)
    pct = matched / n if n else float("nan")
    counts = np.stack([flags.astype(float), np.ones(n)], axis=1)
    ci = percentile_interval(lambda w: {"p": w[:, 0] / w[:, 1]}, counts, ("p",), replicates, seed)
    return {"code": name, "segments": n, "matched": matched, "unmatched": n - matched, "pct_agreement": pct,
            "pct_agreement_low": ci["p"][0], "pct_agreement_high": ci["p"][1]}


def segment_table(matched: pd.DataFrame, code_ids: Sequence[int], code_names: Sequence[str], *,
                  replicates: int, seed: int, pooled: str) -> pd.DataFrame:
    """Matched and unmatched segments per code and pooled (``pooled`` names the last row), with a
    percentile bootstrap interval of the agreement resampling segments.

    Returns
    -------
    DataFrame
        :data:`SEGMENT_COLUMNS`.
    """
    rows = [_count(matched.loc[matched["code_id"] == cid, "matched"].to_numpy(bool), name, replicates, seed)
            for cid, name in zip(code_ids, code_names)]
    if len(code_ids):
        keep = matched[matched["code_id"].isin(list(code_ids))]
        rows.append(_count(keep["matched"].to_numpy(bool), pooled, replicates, seed))
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
