"""Scaling of the dyad pipeline: covariates, connection logit, dyadic-robust covariance, ZTNB.

Run from the repository root: ``python bench/quant_scaling.py [SIZES...]`` (default 155 1000
2846; 2,846 cities give 4,048,435 dyads). Each size runs in a fresh subprocess so that its peak
resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own. Printed per size,
wall-clock seconds (best of ``REPEAT`` runs, and the first run in brackets, which also pays for
first-touch memory):

- ``build``: ``quant.data.dyads.build_dyads`` from a simulated node table (distance, same province,
  sum and absolute difference of two attributes);
- ``logit``: ``fit_connection(..., se=("model",))`` (design matrix, checks, logit fit);
- ``dyadic``: ``quant.covariance.dyadic.dyadic_vcov`` alone on the logit scores, string city ids;
- ``connection``: ``fit_connection`` with model, HC0 and dyadic-robust SEs (what the UI runs);
- ``ztnb``: ``fit_degree`` (zero-truncated NB2 on the collaborating dyads, three SE types);
- ``pipeline``: build + connection + ztnb.

Inference and the two-part model run in a second fresh process per size (so the pipeline's peak
memory above stays its own), on the same simulated dyads:

- ``hurdle``: ``fit_hurdle`` (logit on all dyads + ZTNB on ties, joint covariances, 3 SE types);
- ``ame``: ``quant.inference.margins.average_marginal_effects`` of the connection logit, dyadic SEs;
- ``ame_hurdle``: the same for the hurdle's E[y] (two parts);
- ``influence``: ``quant.inference.influence.city_influence`` one-step for every city, exact refit of the
  top one.

Targets at 2,846 cities on 2 cores: logit + dyadic < 3 s, pipeline < 6 s, peak < 1.5 GB.
Outcomes are simulated (seeded): connection from a logit in log distance, same province and
the attribute sums (about 3 % of dyads connected), items from an NB2 truncated at zero.
The load average at the start of each size is printed: other processes on the cores inflate
the times.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORMULA = ("np.log(distance_km) + same_province + sum_log_pop + absdiff_log_pop "
           "+ sum_gdp + absdiff_gdp")
REPEAT = 3


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed(fn, repeat: int = REPEAT):
    """(first, best) wall-clock seconds over ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        out = None  # let the previous result go before the next run
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times[0], min(times), out


def _nodes(n_cities: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2846)
    nodes = pd.DataFrame({
        "code": [str(110000 + 13 * k) for k in range(n_cities)],
        "lat": rng.uniform(21, 37, n_cities), "lon": rng.uniform(105, 122, n_cities),
        "province": rng.choice([f"p{k:02d}" for k in range(11)], n_cities),
        "log_pop": rng.normal(0, 1, n_cities), "gdp": rng.normal(0, 1, n_cities),
    })
    return nodes, rng


def _build(nodes):
    import warnings

    from quant.data.dyads import build_dyads

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_dyads(nodes, ops={"sum": ["log_pop", "gdp"], "absdiff": ["log_pop", "gdp"]})


def _outcomes(dyads, rng) -> None:
    """Simulated connection (logit) and items (NB2 truncated at zero on ties), in place."""
    import numpy as np

    eta = (2.0 - 0.9 * np.log(dyads["distance_km"].to_numpy()) + 0.8 * dyads["same_province"].to_numpy()
           + 0.4 * dyads["sum_log_pop"].to_numpy() + 0.2 * dyads["sum_gdp"].to_numpy())
    y = (rng.random(len(dyads)) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    mu = np.exp(0.8 + 0.3 * dyads["sum_gdp"].to_numpy() + 0.2 * dyads["same_province"].to_numpy())
    alpha = 0.7
    items = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    while True:  # zero-truncated draw for connected dyads
        redo = (y == 1) & (items == 0)
        if not redo.any():
            break
        items[redo] = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu[redo]))
    dyads["connection"] = y
    dyads["items"] = np.where(y == 1, items, 0)


def run_one(n_cities: int) -> dict:
    from quant.models.design import build_design
    from quant.covariance.dyadic import dyadic_vcov
    from quant.models.dispatch import fit_connection, fit_degree

    nodes, rng = _nodes(n_cities)
    out: dict = {"cities": n_cities, "load": os.getloadavg()[0]}
    out["build_first"], out["build"], dyads = _timed(lambda: _build(nodes))
    out["dyads"] = len(dyads)
    out["rss_build"] = _peak_mb()
    _outcomes(dyads, rng)  # not timed
    out["ties"] = int(dyads["connection"].sum())

    out["logit_first"], out["logit"], res = _timed(
        lambda: fit_connection(dyads, "connection ~ " + FORMULA, se=("model",)))
    out["engine"] = res.meta["engine"]
    out["rss_logit"] = _peak_mb()

    # the logit's scores x_d (y_d - p_d) and inverse Hessian, for timing the covariance alone
    design = build_design(dyads, "connection ~ " + FORMULA)
    S = design.X * (design.y - res.units["fitted"].to_numpy())[:, None]
    Hinv = -res.cov["model"]
    del design, res
    out["dyadic_first"], out["dyadic"], _ = _timed(
        lambda: dyadic_vcov(S, Hinv, dyads["city_a"], dyads["city_b"]))
    del S

    out["connection_first"], out["connection"], res = _timed(
        lambda: fit_connection(dyads, "connection ~ " + FORMULA))
    out["rss_connection"] = _peak_mb()
    del res

    out["ztnb_first"], out["ztnb"], deg = _timed(lambda: fit_degree(dyads, "items ~ " + FORMULA))
    out["ztnb_optimizer"] = deg.meta["optimizer"]
    out["positive"] = deg.n
    out["pipeline"] = out["build"] + out["connection"] + out["ztnb"]
    out["pipeline_first"] = out["build_first"] + out["connection_first"] + out["ztnb_first"]
    out["peak_mb"] = _peak_mb()
    return out


def run_extras(n_cities: int) -> dict:
    from quant.inference.influence import city_influence
    from quant.inference.margins import average_marginal_effects
    from quant.models.dispatch import fit_connection, fit_hurdle

    nodes, rng = _nodes(n_cities)
    dyads = _build(nodes)
    _outcomes(dyads, rng)
    out: dict = {"load": os.getloadavg()[0], "rss_data": _peak_mb()}
    out["hurdle_first"], out["hurdle"], h = _timed(lambda: fit_hurdle(dyads, "items ~ " + FORMULA))
    out["hurdle_optimizer"] = h.meta["optimizer"]
    out["rss_hurdle"] = _peak_mb()
    out["ame_hurdle_first"], out["ame_hurdle"], _ = _timed(lambda: average_marginal_effects(h, dyads))
    del h
    res = fit_connection(dyads, "connection ~ " + FORMULA)
    out["ame_first"], out["ame"], _ = _timed(lambda: average_marginal_effects(res, dyads))
    out["influence_first"], out["influence"], inf = _timed(lambda: city_influence(res, dyads, n_exact=1), repeat=1)
    out["influence_top"] = str(inf.table["city"].iloc[0])
    out["peak_mb"] = _peak_mb()
    return out


def main(argv: list[str]) -> None:
    if len(argv) >= 2 and argv[0] == "--one":
        print(json.dumps(run_one(int(argv[1]))))
        return
    if len(argv) >= 2 and argv[0] == "--extras":
        print(json.dumps(run_extras(int(argv[1]))))
        return
    sizes = [int(s) for s in argv] or [155, 1000, 2846]
    print(f"quant scaling ({os.cpu_count()} CPUs visible); seconds best of {REPEAT} [first run]; "
          "peak RSS of a fresh process")
    for n in sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                              text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"\n{r['cities']:,} cities, {r['dyads']:,} dyads, {r['ties']:,} ties "
              f"(load average {r['load']:.2f})")
        for key, label in [("build", "build dyad covariates"), ("logit", "connection logit"),
                           ("dyadic", "dyadic-robust covariance"),
                           ("connection", "connection, 3 SE types"), ("ztnb", "ZTNB on ties"),
                           ("pipeline", "pipeline (build + connection + ztnb)")]:
            print(f"  {label:<38} {r[key]:7.2f} s  [{r[key + '_first']:.2f}]")
        print(f"  {'logit + dyadic':<38} {r['logit'] + r['dyadic']:7.2f} s  "
              f"[{r['logit_first'] + r['dyadic_first']:.2f}]")
        print(f"  peak RSS {r['peak_mb']:.0f} MB (after build {r['rss_build']:.0f}, logit "
              f"{r['rss_logit']:.0f}, connection {r['rss_connection']:.0f})")
        print(f"  logit engine: {r['engine']}; ZTNB on {r['positive']:,} dyads: {r['ztnb_optimizer']}")
        proc = subprocess.run([sys.executable, __file__, "--extras", str(n)], capture_output=True,
                              text=True, check=True)
        e = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  -- inference, fresh process (load average {e['load']:.2f}) --")
        for key, label in [("hurdle", "hurdle (logit + ZTNB, joint cov)"), ("ame", "AME connection, dyadic SE"),
                           ("ame_hurdle", "AME hurdle E[y], dyadic SE"),
                           ("influence", "city influence (one-step all, 1 exact)")]:
            print(f"  {label:<38} {e[key]:7.2f} s  [{e[key + '_first']:.2f}]")
        print(f"  peak RSS {e['peak_mb']:.0f} MB (data {e['rss_data']:.0f}, after hurdle {e['rss_hurdle']:.0f}); "
              f"hurdle optimizer: {e['hurdle_optimizer']}")


if __name__ == "__main__":
    main(sys.argv[1:])
