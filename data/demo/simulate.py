"""The seeded data-generating process (DGP) of the demo's SIMULATED outcomes.

Everything here is simulation: the outcomes ``connection``, ``degree`` and ``breadth``
are drawn from the model below, not observed. The true coefficients live in
``truth.json`` (one source, read by :func:`load_truth`); SIMULATION.md explains them.

DGP, for cities i and dyads d = {i, j} in adcode order:

1. node shocks u_i ~ N(0, σ²), σ = ``node_shock_sd`` (one draw per city, in code order);
2. connection_d ~ Bernoulli(logit⁻¹(x_dᵀβ + u_i + u_j)) (one uniform per dyad, in order);
3. for connected dyads in order, degree_d ~ NB2(μ_d, α) conditioned on degree_d ≥ 1,
   μ_d = exp(z_dᵀγ), drawn by redrawing zeros; degree_d = 0 for unconnected dyads;
4. breadth_i = Σ_j connection_ij.

All draws come from one ``numpy.random.default_rng(seed)`` in the order above, so one
seed gives one data set on every platform numpy supports.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TRUTH_JSON = Path(__file__).resolve().parent / "truth.json"

SIMULATED_NOTE = (
    "The outcomes connection, degree and breadth in this project are SIMULATED from a documented, "
    "seeded data-generating process (data/demo/SIMULATION.md, truth in data/demo/truth.json); "
    "they are not observations of real agreements. City names, codes, coordinates, census figures "
    "and strategy memberships are real facts."
)


def load_truth(path: Path | str = TRUTH_JSON) -> dict:
    """The true parameters of the DGP.

    Returns
    -------
    dict with keys ``seed`` (int), ``connection`` (``coefficients``: term -> β on the
    log-odds scale, ``Intercept`` included; ``node_shock_sd``: σ), ``degree``
    (``coefficients``: term -> γ on the log-mean scale; ``alpha``: NB2 dispersion) and
    ``breadth`` (a definition).

    Raises
    ------
    ValueError
        The file lacks one of these entries.
    """
    truth = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        int(truth["seed"])
        dict(truth["connection"]["coefficients"])["Intercept"]
        float(truth["connection"]["node_shock_sd"])
        dict(truth["degree"]["coefficients"])["Intercept"]
        float(truth["degree"]["alpha"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} is not a demo truth file (missing {exc}).") from None
    return truth


@dataclass(frozen=True)
class Simulated:
    """SIMULATED outcomes.

    Attributes
    ----------
    dyads : DataFrame
        One row per input dyad, same order: city_a, city_b, connection (0/1), degree
        (number of joint service items, ≥ 1 where connected, 0 otherwise).
    cities : DataFrame
        One row per city (sorted codes): code, breadth (number of partners), node_shock (u_i,
        the latent draw, kept for teaching and checks; not a model variable).
    seed : int
    """

    dyads: pd.DataFrame
    cities: pd.DataFrame
    seed: int


def _design(dyads: pd.DataFrame, coefficients: dict[str, float], what: str) -> np.ndarray:
    terms = [t for t in coefficients if t != "Intercept"]
    missing = [t for t in terms if t not in dyads.columns]
    if missing:
        raise ValueError(f"The dyad table lacks the {what} covariates {', '.join(missing)}.")
    x = dyads[terms].to_numpy(dtype="float64")
    if np.isnan(x).any():
        raise ValueError(f"The {what} covariates have missing values; the simulation needs complete data.")
    beta = np.array([coefficients[t] for t in terms], dtype="float64")
    return float(coefficients.get("Intercept", 0.0)) + x @ beta


def simulate_outcomes(dyads: pd.DataFrame, *, seed: int | None = None, truth: dict | None = None) -> Simulated:
    """Draw SIMULATED connection, degree and breadth from the demo DGP.

    Parameters
    ----------
    dyads : DataFrame
        n rows with city_a < city_b (codes as str), unique pairs, sorted by (city_a,
        city_b) (as ``covariates.dyad_covariates`` returns them), and every covariate
        named in ``truth``.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; default ``truth["seed"]``.
    truth : dict, optional
        As from :func:`load_truth` (the default).

    Returns
    -------
    Simulated

    Raises
    ------
    ValueError
        Missing columns or values, unordered, unsorted or repeated pairs.
    """
    truth = truth if truth is not None else load_truth()
    seed = int(truth["seed"] if seed is None else seed)
    for col in ("city_a", "city_b"):
        if col not in dyads.columns:
            raise ValueError(f"The dyad table has no {col} column.")
    a = dyads["city_a"].astype(str).to_numpy()
    b = dyads["city_b"].astype(str).to_numpy()
    if not (a < b).all():
        raise ValueError("Every dyad must have city_a < city_b (a self-pair or an unfolded pair was given).")
    keys = pd.Series(a) + "-" + pd.Series(b)
    if keys.duplicated().any():
        raise ValueError(f"The dyad {keys[keys.duplicated()].iloc[0]} appears twice.")
    if not keys.is_monotonic_increasing:
        raise ValueError("Dyads must be sorted by (city_a, city_b) so that the seed fixes every draw.")
    conn, deg = truth["connection"], truth["degree"]
    eta = _design(dyads, conn["coefficients"], "connection")
    log_mu = _design(dyads, deg["coefficients"], "degree")

    rng = np.random.default_rng(seed)
    codes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inv[: len(a)], inv[len(a):]
    u = rng.normal(0.0, float(conn["node_shock_sd"]), size=len(codes))
    p = 1.0 / (1.0 + np.exp(-(eta + u[ia] + u[ib])))
    connection = (rng.random(len(a)) < p).astype(int)

    degree = np.zeros(len(a), dtype=int)
    pos = np.flatnonzero(connection)
    degree[pos] = _zero_truncated_nb2(rng, np.exp(log_mu[pos]), float(deg["alpha"]))

    breadth = np.bincount(ia, weights=connection, minlength=len(codes)) + np.bincount(
        ib, weights=connection, minlength=len(codes))
    out_dyads = pd.DataFrame({"city_a": a, "city_b": b, "connection": connection, "degree": degree})
    out_cities = pd.DataFrame({"code": codes, "breadth": breadth.astype(int), "node_shock": u})
    return Simulated(dyads=out_dyads, cities=out_cities, seed=seed)


def _zero_truncated_nb2(rng: np.random.Generator, mu: np.ndarray, alpha: float) -> np.ndarray:
    """Draws from NB2(mu, alpha) conditioned on ≥ 1, by redrawing zeros (vectorised).

    NB2: Var = μ + αμ²; numpy's negative_binomial(n, p) with n = 1/α, p = n/(n + μ).
    """
    if alpha <= 0:
        raise ValueError(f"The NB2 dispersion alpha must be positive, got {alpha}.")
    n = 1.0 / alpha
    out = rng.negative_binomial(n, n / (n + mu))
    zero = np.flatnonzero(out == 0)
    while zero.size:
        out[zero] = rng.negative_binomial(n, n / (n + mu[zero]))
        zero = zero[out[zero] == 0]
    return out
