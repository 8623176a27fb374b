"""Tandem vs plain statsmodels (and R when installed): formula → result on all dyads.

Run from the repository root: ``python bench/fit_vs_statsmodels.py [--sizes 155 1000 2846]
[--models logit poisson nb] [--repeat 3] [--write bench/RESULTS.md]``.

For each network size (155 / 1,000 / 2,846 nodes: 11,935 / 499,500 / 4,048,435 dyads) the
parent simulates one dyad table (``bench.quant_scaling``: log distance, same province, sum of
log population, sum of GDP; a logit outcome about 3 % connected and an NB2 count on all dyads)
and writes it to Parquet once. Each measurement is a fresh child process that reads the Parquet
file and then times formula → result ``REPEAT`` times; its peak resident memory
(VmHWM, taken after the read and after the fits) covers both, so it is the memory a user needs end to end;
the table also gives the high-water mark of the fits alone (reset after the read) and what it
adds over the resident size after the read. Tandem's dyad fits first hand back the memory a
Parquet read left in Arrow's pool (``quant.covariance.dyadic.release_arrow_pool``), so its "+over data"
can be small while the fits' own arrays still count in the peak.

- Tandem: the table read with ``quant.models.parquet.read_model_columns(path, formula)`` (the
  formula's columns and the two id columns, dictionary-encoded), then
  ``quant.models.dispatch.fit_connection(data, formula, se=("model", "hc0", "dyadic"))``
  (estimates, three covariance matrices, units table with Pearson residuals). Imports are
  made before the clock starts and count in the process peak (a lean logit loads neither
  statsmodels nor scipy).
- statsmodels: the table read with ``pd.read_parquet(path)``; ``smf.logit(formula,
  data).fit(method="newton")``, ``score_obs``, ``hessian``
  and the dyadic-robust meat from node sums in plain numpy (``np.bincount`` per column) —
  what a careful user writes by hand.
- R: ``glm(..., family = binomial)`` and the same node-sum meat with ``rowsum`` (only when
  ``Rscript`` is on PATH; otherwise a note is printed).

Poisson and NB2 on all dyads are measured when ``quant.models.glm`` exists (guarded import):
its ``fit_glm`` (statsmodels GLM / NegativeBinomialP inside) and, on a second row, the lean
blocked Newton fits of ``quant.models.glm_lean`` with node score sums (what ``fit_glm`` could use).
The ratio printed is Tandem's median over statsmodels' median (lower is better). Estimates and
dyadic SEs of the two are compared and the largest relative difference printed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TERMS = "log_distance + same_province + sum_log_pop + sum_gdp"
FORMULAS = {"logit": "connection ~ " + TERMS, "poisson": "items ~ " + TERMS, "nb": "items ~ " + TERMS}
COLUMNS = ["city_a", "city_b", "connection", "items", "log_distance", "same_province",
           "sum_log_pop", "sum_gdp"]


def make_table(n_nodes: int, path: Path) -> int:
    """Simulate the dyads of ``n_nodes`` nodes and write them to Parquet; returns the rows."""
    import numpy as np

    import quant_scaling as qs

    nodes, rng = qs._nodes(n_nodes)
    d = qs._build(nodes)
    qs._outcomes(d, rng)
    d["log_distance"] = np.log(d["distance_km"].to_numpy())
    mu = np.exp(0.3 - 0.2 * d["log_distance"].to_numpy() + 0.3 * d["sum_gdp"].to_numpy())
    d["items"] = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(np.int32)  # NB2, alpha 0.5
    d[COLUMNS].to_parquet(path, index=False)
    return len(d)


def _tandem(model: str, data):
    import numpy as np

    if model == "logit":
        from quant.models.dispatch import fit_connection

        r = fit_connection(data, FORMULAS[model], se=("model", "hc0", "dyadic"))
    else:
        from quant.models.glm import fit_glm  # guarded by the caller

        r = fit_glm(data, FORMULAS[model], family=model, unit="dyad", se=("model", "hc0", "dyadic"))
    return np.asarray(r.params, float), np.sqrt(np.diag(r.cov["dyadic"]))


def _lean_glm(model: str, data):
    """What ``quant.models.glm_lean`` gives a dyad Poisson or NB2: design, node ids, blocked Newton with node
    score sums in its last pass, dyadic covariance from the sums (no (n, k) scores)."""
    import numpy as np

    from quant.models.design import build_design
    from quant.covariance.dyadic import dyadic_vcov_from_sums, pair_count
    from quant.models.glm_lean import fit_nb2_newton, fit_poisson_newton
    from quant.models.shared import DyadNodes

    d = build_design(data, FORMULAS[model], id_cols=("city_a", "city_b"))
    nodes = DyadNodes(data, "city_a", "city_b", d.rows)
    m = len(nodes.labels)
    fitter = fit_poisson_newton if model == "poisson" else fit_nb2_newton
    fit = fitter(d.y, d.X, nodes=(nodes.ia, nodes.ib, m))
    Hinv = np.linalg.inv(fit.hessian)
    npairs = pair_count(nodes.ia, nodes.ib, m)
    V = dyadic_vcov_from_sums(fit.node_sums.U, fit.node_sums.outer, Hinv, npairs, len(d.y), m).cov
    return fit.params, np.sqrt(np.diag(V))


def _statsmodels(model: str, data):
    import numpy as np
    import pandas as pd
    import statsmodels.formula.api as smf

    if model == "logit":
        m = smf.logit(FORMULAS[model], data)
        res = m.fit(method="newton", disp=0)
    elif model == "poisson":
        m = smf.poisson(FORMULAS[model], data)
        res = m.fit(method="newton", disp=0)
    else:
        m = smf.negativebinomial(FORMULAS[model], data, loglike_method="nb2")
        res = m.fit(method="newton", disp=0, maxiter=100)
    params = np.asarray(res.params)
    S = m.score_obs(params)
    Hinv = np.linalg.inv(m.hessian(params))
    ca, cb = data["city_a"].to_numpy(), data["city_b"].to_numpy()
    codes, _ = pd.factorize(np.concatenate([ca, cb]))
    ia, ib = codes[: len(ca)], codes[len(ca):]
    M = int(codes.max()) + 1
    U = np.column_stack([np.bincount(ia, S[:, j], M) + np.bincount(ib, S[:, j], M)
                         for j in range(S.shape[1])])
    meat = U.T @ U - S.T @ S  # one row per pair
    V = Hinv @ meat @ Hinv
    return params, np.sqrt(np.diag(V))


R_SCRIPT = r"""
suppressMessages(library(arrow))
args <- commandArgs(TRUE)
d <- as.data.frame(read_parquet(args[1]))
t <- system.time({
  f <- glm(connection ~ log_distance + same_province + sum_log_pop + sum_gdp, family = binomial, data = d)
  X <- model.matrix(f); S <- X * (d$connection - fitted(f))
  ids <- factor(c(d$city_a, d$city_b))
  U <- rowsum(rbind(S, S), ids)
  meat <- crossprod(U) - crossprod(S)
  B <- vcov(f) %*% meat %*% vcov(f)
})
cat(t[["elapsed"]], "\n")
"""


def _status_mb(key: str) -> float:
    """VmRSS / VmHWM of this process from /proc (Linux), MB; NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def child(kind: str, model: str, path: str, repeat: int) -> dict:
    """Read the table, then time ``repeat`` fits. Peak RSS: of the whole process (read
    included: the larger of VmHWM after the read and after the fits; not ``ru_maxrss``, which
    keeps the parent's peak across fork and exec — the parent that simulated the table) and of
    the fits alone (the high-water mark reset after the read through /proc/self/clear_refs,
    minus the resident size before the first fit)."""
    import gc

    import pandas as pd

    fn = {"tandem": _tandem, "lean": _lean_glm}.get(kind, _statsmodels)
    # imports outside the timing and before the memory baseline, for both
    if kind in ("tandem", "lean"):
        import quant.models.dispatch  # noqa: F401
        import quant.models.separation  # noqa: F401

        if model != "logit":
            import quant.models.glm  # noqa: F401
    else:
        import statsmodels.api  # noqa: F401
        import statsmodels.formula.api  # noqa: F401
    t0 = time.perf_counter()
    if kind in ("tandem", "lean"):
        # Tandem's reader: only the formula's columns and the ids, dictionary-encoded
        from quant.models.parquet import read_model_columns

        data = read_model_columns(path, FORMULAS[model])
    else:
        data = pd.read_parquet(path)
    read = time.perf_counter() - t0
    gc.collect()
    read_peak = _status_mb("VmHWM")  # this process's own high-water mark (reset at exec)
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    rss_before = _status_mb("VmRSS")
    times, cpus, out = [], [], None
    for _ in range(repeat):
        out = None
        t, c = time.perf_counter(), time.process_time()
        out = fn(model, data)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return {"times": times, "cpu": cpus, "read": read, "rss_before": rss_before,
            "fit_peak_mb": _status_mb("VmHWM"), "peak_mb": max(read_peak, _status_mb("VmHWM")),
            "params": out[0].tolist(), "se": out[1].tolist(), "load": os.getloadavg()[0]}


def _run_child(kind, model, path, repeat):
    cmd = [sys.executable, __file__, "--child", kind, model, str(path), str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run_r(path, repeat):
    if not shutil.which("Rscript"):
        return None
    times = []
    for _ in range(repeat):
        proc = subprocess.run(["Rscript", "-e", R_SCRIPT, str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            return {"error": proc.stderr.strip()[-200:]}
        times.append(float(proc.stdout.split()[0]))
    return {"times": times}


def main(argv) -> None:
    if argv and argv[0] == "--child":
        print(json.dumps(child(argv[1], argv[2], argv[3], int(argv[4]))))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[155, 1000, 2846])
    ap.add_argument("--models", nargs="+", default=["logit", "poisson", "nb"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", default=None, help="append the table to this Markdown file")
    args = ap.parse_args(argv)
    try:
        import quant.models.glm  # noqa: F401
        have_glm = True
    except ImportError:
        have_glm = False
    models = [m for m in args.models if m == "logit" or have_glm]
    lines = [f"Machine: {os.cpu_count()} CPUs visible, load average at start "
             f"{os.getloadavg()[0]:.2f}; median of {args.repeat} runs, each kind in a fresh "
             "process that reads the Parquet table (peak RSS includes the table)."]
    if not have_glm:
        lines.append("Poisson and NB2 on all dyads: quant.models.glm is not on this branch yet; skipped.")
    if not shutil.which("Rscript"):
        lines.append("R: Rscript is not installed on this machine; R column skipped.")
    lines.append("")
    lines.append("| nodes | dyads | model | Tandem s (CPU s) | statsmodels s (CPU s) | ratio wall (CPU) | "
                 "Tandem peak MB: fits / process (+fits over data) | statsmodels peak MB: fits / process "
                 "(+fits over data) | "
                 "max rel diff (est, dyadic SE) | R s |")
    lines.append("|---:|---:|---|---:|---:|---:|---:|---:|---|---:|")
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"dyads_{n}.parquet"
            rows = make_table(n, path)
            for model in models:
                s = _run_child("statsmodels", model, path, args.repeat)
                for kind in ("tandem",) if model == "logit" else ("tandem", "lean"):
                    t = _run_child(kind, model, path, args.repeat)
                    row = _row(n, rows, model if kind == "tandem" else f"{model} (quant.models.glm_lean)", t, s,
                               _run_r(path, args.repeat) if model == "logit" else None)
                    print(row, flush=True)
                    lines.append(row)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def _row(n, rows, model, t, s, r) -> str:
    """One Markdown table row: Tandem (t) beside statsmodels (s) and R (r)."""
    import numpy as np

    if "error" in t or "error" in s:
        return f"| {n:,} | {rows:,} | {model} | error: {t.get('error') or s.get('error')} |"
    tm, sm_ = statistics.median(t["times"]), statistics.median(s["times"])
    tc, sc = statistics.median(t["cpu"]), statistics.median(s["cpu"])
    de = np.max(np.abs(np.subtract(t["params"], s["params"])) / np.abs(s["params"]))
    ds = np.max(np.abs(np.subtract(t["se"], s["se"])) / np.abs(s["se"]))
    rs = "n/a" if r is None else (r.get("error", "")[:30] or f"{statistics.median(r['times']):.2f}")
    mem = [f"{x['fit_peak_mb']:.0f} / {x['peak_mb']:.0f} (+{x['fit_peak_mb'] - x['rss_before']:.0f})"
           for x in (t, s)]
    return (f"| {n:,} | {rows:,} | {model} | {tm:.2f} ({tc:.2f}) | {sm_:.2f} ({sc:.2f}) | "
            f"{tm / sm_:.2f} ({tc / sc:.2f}) | {mem[0]} | {mem[1]} | {de:.1e}, {ds:.1e} | {rs} |")


if __name__ == "__main__":
    main(sys.argv[1:])
