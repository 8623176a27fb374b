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
                        level: float = 0.95) -> dict[str, tuple]:
    """Percentile intervals of the statistics ``names`` over cluster-bootstrap replicates.

    Parameters
    ----------
    stat : callable
        Takes the weights of ``b`` replicates, an array ``(b, *rest)``, and returns a dict of arrays
        ``(b,)`` or ``(b, C)`` holding at least ``names``.
    counts : array (G, *rest)
        Weights of each of the ``G`` clusters (e.g. ``(G, k)`` pattern weights, or ``(G, C, k)``
        for ``C`` codes at once); a replicate's weights are ``draws @ counts``.
    replicates : int
        Number of bootstrap replicates (0 or fewer clusters than 2: NaN intervals).
    seed : int
    level : float
        Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).

    Returns
    -------
    dict of str to (low, high)
        Floats when ``stat`` gives ``(b,)`` arrays, arrays ``(C,)`` when it gives ``(b, C)``; NaN
        bounds when fewer than two clusters, no replicates, or every replicate undefined.
    """
    counts = np.asarray(counts, dtype=float)
    g, rest = counts.shape[0], counts.shape[1:]
    flat = counts.reshape(g, -1)
    draws: dict[str, list[np.ndarray]] = {name: [] for name in names}
    if replicates > 0 and g >= 2:
        for chunk in replicate_counts(g, replicates, seed):
            values = stat((chunk @ flat).reshape((len(chunk), *rest)))
            for name in names:
                draws[name].append(np.asarray(values[name], dtype=float))
    tail = (1.0 - level) / 2.0 * 100.0
    out = {}
    for name in names:
        if not draws[name]:
            shape = rest[:-1]
            nan = np.full(shape, np.nan) if shape else float("nan")
            out[name] = (nan, nan)
            continue
        x = np.concatenate(draws[name], axis=0)
        low, high = np.full(x.shape[1:], np.nan), np.full(x.shape[1:], np.nan)
        ok = (~np.isnan(x)).any(axis=0)
        if np.any(ok):
            with np.errstate(all="ignore"):
                lo, hi = np.nanpercentile(x[:, ok] if x.ndim > 1 else x, [tail, 100.0 - tail], axis=0)
            if x.ndim > 1:
                low[ok], high[ok] = lo, hi
            else:
                low, high = lo, hi
        out[name] = (float(low), float(high)) if x.ndim == 1 else (low, high)
    return out
