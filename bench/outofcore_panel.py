"""Out-of-core fit of a dyad panel: 2,846 units × 20 years = 80,968,700 dyad-years.

Run from the repository root: ``nice -n 10 python bench/outofcore_panel.py [--units 2846]
[--years 20] [--model logit] [--dir /tmp/tandem_panel] [--keep]``.

1. DuckDB writes the panel to Parquet, one file per year (``COPY (SELECT …) TO``), never in
   Python memory: unit attributes (coordinates, province, log population, GDP) come from a
   hash of the unit id; each pair i < j and year t gets log distance, same province, the sum
   of log population, the sum of that year's GDP and a logit outcome drawn from a hash of
   (i, j, t) — deterministic, so reruns fit the same data.
2. A fresh child process runs ``quant.models.outofcore.fit_outofcore`` (logit; dyadic-robust SEs with
   the 20 rows of a pair as one cluster) and prints wall time and its peak RSS (``ru_maxrss``).

Target: peak memory under 4 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FORMULA = "y ~ log_distance + same_province + sum_log_pop + sum_gdp"


def _u(expr: str) -> str:
    """A deterministic uniform (0, 1) draw from DuckDB's 64-bit hash of ``expr``."""
    return f"((hash({expr}) % 1000000007)::DOUBLE + 0.5) / 1000000007.0"


def write_panel(out: Path, units: int, years: int) -> int:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET memory_limit = '2GB'")
    con.execute(f"""
        CREATE TABLE nodes AS
        SELECT i, 21 + 16 * {_u("i, 1")} AS lat, 105 + 17 * {_u("i, 2")} AS lon,
               CAST(floor(11 * {_u("i, 3")}) AS INTEGER) AS province,
               sqrt(-2 * ln({_u("i, 4")})) * cos(2 * pi() * {_u("i, 5")}) AS log_pop,
               sqrt(-2 * ln({_u("i, 6")})) * cos(2 * pi() * {_u("i, 7")}) AS gdp
        FROM range({int(units)}) t(i)""")
    rows = 0
    for t in range(int(years)):
        con.execute(f"""
            COPY (
              SELECT i, j, {t} AS year, log_distance, same_province, sum_log_pop, sum_gdp,
                     CAST({_u(f"i, j, {t}")} < 1 / (1 + exp(-(2.0 - 0.9 * log_distance
                        + 0.8 * same_province + 0.4 * sum_log_pop + 0.2 * sum_gdp))) AS TINYINT) AS y
              FROM (
                SELECT p.i, q.i AS j,
                       ln(greatest(1.0, 111.2 * sqrt(power(p.lat - q.lat, 2)
                          + power((p.lon - q.lon) * cos(radians((p.lat + q.lat) / 2)), 2)))) AS log_distance,
                       CAST(p.province = q.province AS DOUBLE) AS same_province,
                       p.log_pop + q.log_pop AS sum_log_pop,
                       p.gdp + q.gdp + 0.05 * {t} AS sum_gdp
                FROM nodes p JOIN nodes q ON p.i < q.i
              )
            ) TO '{out / f"year={t:02d}.parquet"}' (FORMAT parquet)""")
        rows += int(units) * (int(units) - 1) // 2
    con.close()
    return rows


def child(path: str, model: str) -> dict:
    from quant.models.outofcore import fit_outofcore

    t = time.perf_counter()
    cpu = time.process_time()
    r = fit_outofcore(path, FORMULA, a="i", b="j", model=model)
    return {"wall": time.perf_counter() - t, "cpu": time.process_time() - cpu,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "n": r.n, "n_pairs": r.n_pairs, "n_nodes": r.n_nodes, "iterations": r.iterations,
            "table": r.table().round(6).to_dict(orient="index"), "load": os.getloadavg()[0]}


def main(argv) -> None:
    if argv and argv[0] == "--child":
        print(json.dumps(child(argv[1], argv[2])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=2846)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--model", default="logit", choices=["logit", "poisson"])
    ap.add_argument("--dir", default="/tmp/tandem_panel")
    ap.add_argument("--keep", action="store_true", help="keep the Parquet files")
    args = ap.parse_args(argv)
    out = Path(args.dir)
    print(f"{os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.2f}", flush=True)
    t = time.perf_counter()
    rows = write_panel(out, args.units, args.years)
    size = sum(p.stat().st_size for p in out.glob("*.parquet")) / 1e9
    print(f"wrote {rows:,} dyad-years ({args.units:,} units × {args.years} years) as Parquet, "
          f"{size:.2f} GB, in {time.perf_counter() - t:.1f} s", flush=True)
    proc = subprocess.run([sys.executable, __file__, "--child", str(out), args.model],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
        raise SystemExit(1)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"fit_outofcore {args.model}: {r['n']:,} rows, {r['n_pairs']:,} pairs, {r['n_nodes']:,} nodes, "
          f"{r['iterations']} Newton iterations; wall {r['wall']:.1f} s (CPU {r['cpu']:.1f} s), "
          f"peak RSS {r['peak_mb']:.0f} MB (load average at end {r['load']:.2f})")
    for term, row in r["table"].items():
        print(f"  {term:<16} {row['estimate']:>10.6f}  dyadic SE {row['se']:.6f}")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
