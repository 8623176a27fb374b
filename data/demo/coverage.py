"""Monte Carlo check of the demo DGP: how often dyadic-robust 95 % intervals cover the truth.

Run ``python -m data.demo.coverage [--reps 200] [--first-seed 0]``: it redraws the SIMULATED
outcomes with seeds first-seed .. first-seed + reps − 1, fits the connection logit and the
degree ZTNB of ``truth.json`` through ``quant.models.dispatch`` with dyadic-robust standard errors,
and prints, per term, the share of intervals that contain the true value. Takes about a
third of a second per replication. Not part of the test suite (quant.md §5: coverage
belongs to benchmarks).
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from data.demo.covariates import DYAD_COVARIATES, dyad_covariates
from data.demo.facts import load_borders, load_cities
from data.demo.simulate import load_truth, simulate_outcomes


def coverage(reps: int = 200, first_seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Coverage of the dyadic-robust intervals over ``reps`` simulated data sets.

    Returns
    -------
    DataFrame indexed by (dimension, term) with columns ``true``, ``coverage`` (0–1) and
    ``mean_estimate``.

    Raises
    ------
    ValueError
        ``reps`` below 1 or ``level`` outside (0, 1).
    """
    from quant.models.dispatch import fit_connection, fit_degree

    if reps < 1 or not 0 < level < 1:
        raise ValueError(f"Need reps ≥ 1 and 0 < level < 1, got reps={reps}, level={level}.")
    truth = load_truth()
    covariates = dyad_covariates(load_cities(), load_borders())[["city_a", "city_b", *DYAD_COVARIATES]]
    targets = {
        "connection": dict(truth["connection"]["coefficients"]),
        "degree": {**truth["degree"]["coefficients"], "alpha": truth["degree"]["alpha"]},
    }
    hits = {(dim, t): 0 for dim, terms in targets.items() for t in terms}
    sums = dict.fromkeys(hits, 0.0)
    for seed in range(first_seed, first_seed + reps):
        sim = simulate_outcomes(covariates, seed=seed, truth=truth)
        data = covariates.merge(sim.dyads, on=["city_a", "city_b"])
        for dim, fitter in (("connection", fit_connection), ("degree", fit_degree)):
            table = fitter(data, truth[dim]["formula"], n_nodes=len(sim.cities), se=("dyadic",)).table(
                "dyadic", alpha=1 - level)
            for term, value in targets[dim].items():
                hits[(dim, term)] += int(table.loc[term, "ci_low"] <= value <= table.loc[term, "ci_high"])
                sums[(dim, term)] += float(table.loc[term, "estimate"])
    index = pd.MultiIndex.from_tuples(list(hits), names=["dimension", "term"])
    return pd.DataFrame({
        "true": [targets[d][t] for d, t in hits],
        "coverage": [hits[k] / reps for k in hits],
        "mean_estimate": [sums[k] / reps for k in hits],
    }, index=index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(coverage(args.reps, args.first_seed).round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
