"""Firth's penalized logit: Tandem (quant.models.firth) vs firthmodels, side by side on all dyads.

Run from the repository root: ``python bench/firth_peers.py [--sizes 155 1000 2846]``.

For each network size (155 / 1,000 / 2,846 nodes: 11,935 / 499,500 / 4,048,435 dyads) the
parent simulates one dyad table (intercept, log distance, same province, sum of log
population, sum of a node score; a rare tie, about 0.5 % connected) and saves it as ``.npy``.
Each measurement is a fresh child process that loads the arrays and times the fit; its peak
resident memory (``ru_maxrss``) covers the load and the fit.

- Tandem: ``quant.models.firth.fit_firth_logit`` and the dyadic-robust covariance of its penalized
  scores (``quant.covariance.dyadic.dyadic_vcov`` with bread ``inv(info)``).
- firthmodels (PyPI, ``FirthLogisticRegression(backend="numpy")``, estimates only) when it
  can be imported; otherwise a note is printed. Tandem does not depend on it: install it
  anywhere on ``PYTHONPATH`` to compare.

The ratio printed is firthmodels' time over Tandem's (higher means Tandem is faster), and the
largest absolute difference of the estimates.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
d = {dir!r}
X = np.load(d + "/X.npy"); y = np.load(d + "/y.npy"); a = np.load(d + "/a.npy"); b = np.load(d + "/b.npy")
names = ["Intercept", "log_distance", "same_province", "sum_log_pop", "sum_score"]
if {who!r} == "tandem":
    from quant.models.firth import fit_firth_logit
    from quant.covariance.dyadic import dyadic_vcov
else:
    from firthmodels import FirthLogisticRegression
t = time.perf_counter()  # imports excluded
if {who!r} == "tandem":
    fit = fit_firth_logit(y, X, names)
    V = dyadic_vcov(fit.scores, np.linalg.inv(fit.info), a, b).cov
    params = fit.params
else:
    m = FirthLogisticRegression(backend="numpy", gtol=1e-8, xtol=1e-8).fit(X[:, 1:], y)
    params = np.r_[m.intercept_, m.coef_]
sec = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps({{"sec": sec, "peak_mb": peak, "params": [float(v) for v in params]}}))
"""


def simulate(n_nodes: int, out: Path, seed: int = 0) -> int:
    """Write X (n, 5), y (n,), a, b (n,) for all pairs of ``n_nodes`` nodes; returns n."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(100, 120, n_nodes), rng.uniform(20, 40, n_nodes)
    prov = rng.integers(0, 30, n_nodes)
    log_pop = rng.normal(5.5, 0.8, n_nodes)
    score = rng.normal(size=n_nodes)
    a, b = np.triu_indices(n_nodes, 1)
    n = len(a)
    X = np.empty((n, 5))
    X[:, 0] = 1.0
    X[:, 1] = np.log1p(np.hypot(lon[a] - lon[b], lat[a] - lat[b]) * 100)
    X[:, 2] = prov[a] == prov[b]
    X[:, 3] = log_pop[a] + log_pop[b]
    X[:, 4] = score[a] + score[b]
    eta = -3.0 - 0.9 * (X[:, 1] - 7.0) + 1.2 * X[:, 2] + 0.4 * (X[:, 3] - 11) + 0.3 * X[:, 4]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    for name, arr in (("X", X), ("y", y), ("a", a), ("b", b)):
        np.save(out / f"{name}.npy", arr)
    return n


def measure(who: str, folder: Path) -> dict | None:
    code = CHILD.format(root=str(ROOT), dir=str(folder), who=who)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        print(f"  {who}: not measured ({last})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[155, 1000, 2846])
    args = ap.parse_args(argv)
    print("Firth logit on all dyads, 5 columns; time of the fit (Tandem: + dyadic covariance)")
    for nodes in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            n = simulate(nodes, Path(tmp))
            print(f"{nodes:,} nodes, {n:,} dyads (simulated in {time.perf_counter() - t0:.1f} s)")
            ours = measure("tandem", Path(tmp))
            peer = measure("firthmodels", Path(tmp))
        if ours:
            print(f"  Tandem      {ours['sec']:7.2f} s  peak {ours['peak_mb']:7.0f} MB")
        if peer:
            print(f"  firthmodels {peer['sec']:7.2f} s  peak {peer['peak_mb']:7.0f} MB")
        if ours and peer:
            diff = max(abs(x - z) for x, z in zip(ours["params"], peer["params"]))
            print(f"  ratio firthmodels/Tandem {peer['sec'] / ours['sec']:.2f}; "
                  f"largest estimate difference {diff:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
