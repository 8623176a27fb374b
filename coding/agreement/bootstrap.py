"""Percentile bootstrap confidence intervals for agreement coefficients, resampling clusters.

Characters are not independent (a coder codes whole passages), so character-level intervals
resample *documents*; unit-level intervals resample the units (sentences, paragraphs or
documents) and segment-level intervals the coded segments. Each replicate draws as many
clusters as there are, with replacement (Efron & Tibshirani 1993, ch. 13, percentile
interval), as multinomial counts from ``numpy.random.default_rng(seed)``, so the same seed
gives the same intervals.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["replicate_counts", "percentile_interval"]

CHUNK = 200


def replicate_counts(n_clusters: int, replicates: int, seed: int) -> Iterator[np.ndarray]:
    """How many times each cluster is drawn, in chunks of at most ``CHUNK`` replicates.

    Yields
    ------
    array (b, n_clusters) of int
        Each row sums to ``n_clusters``; the chunks together hold ``replicates`` rows.
    """
    rng = np.random.default_rng(seed)
    done = 0
    while done < replicates:
        b = min(CHUNK, replicates - done)
        yield rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=b)
        done += b


def percentile_interval(stat: Callable[[np.ndarray], dict[str, np.ndarray]], counts: np.ndarray,
                        names: tuple[str, ...], replicates: int, seed: int,
                        level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the statistics ``names`` over cluster-bootstrap replicates.

    Parameters
    ----------
    stat : callable
        Takes the pattern weights of ``b`` replicates, an array ``(b, k)``, and returns a dict of
        arrays ``(b,)`` holding at least ``names``.
    counts : array (G, k)
        Pattern weights of each of the ``G`` clusters; a replicate's weights are
        ``draws @ counts``.
    replicates : int
        Number of bootstrap replicates (0 or fewer clusters than 2: NaN intervals).
    seed : int
    level : float
        Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).

    Returns
    -------
    dict of str to (low, high)
        NaN bounds when fewer than two clusters, no replicates, or every replicate undefined.
    """
    counts = np.asarray(counts, dtype=float)
    nan = {name: (float("nan"), float("nan")) for name in names}
    if replicates <= 0 or counts.shape[0] < 2:
        return nan
    draws: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for chunk in replicate_counts(counts.shape[0], replicates, seed):
        values = stat(chunk @ counts)
        for name in names:
            draws[name].append(values[name])
    out = {}
    tail = (1.0 - level) / 2.0 * 100.0
    for name in names:
        x = np.concatenate(draws[name])
        x = x[~np.isnan(x)]
        out[name] = (float(np.percentile(x, tail)), float(np.percentile(x, 100.0 - tail))) if len(x) else nan[name]
    return out
