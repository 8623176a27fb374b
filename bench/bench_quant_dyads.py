"""Timing of the quant data side: building dyads and storing/reading dyad tables.

Run from the repository root: ``python bench/bench_quant_dyads.py [SHARED_DATA_DIR]``.
Prints best and median wall-clock seconds of a few repetitions for:

- ``build_dyads`` on 2,846 synthetic nodes (4,048,435 dyads) with 9 covariates (distance,
  same province and 7 attribute constructions);
- ``save_dyads`` of the 155 real cities' 11,935 dyads with 12 attributes into a fresh
  SQLite project, then ``dyad_frame`` reading them back.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import store  # noqa: E402
from quant.data import project as data  # noqa: E402
from quant.data.cities import standard_cities  # noqa: E402
from quant.data.dyads import build_dyads  # noqa: E402

SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"


def timed(label: str, fn, repeat: int = 3):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    print(f"{label}: best {min(times):.2f} s, median {statistics.median(times):.2f} s over {repeat}")
    return out


def main() -> None:
    rng = np.random.default_rng(7)
    n = 2846
    nodes = pd.DataFrame({
        "code": [str(100000 + 7 * k) for k in range(n)],
        "lat": rng.uniform(20, 40, n), "lon": rng.uniform(100, 125, n),
        "province": rng.choice([f"p{k}" for k in range(31)], n),
        "log_pop": rng.normal(15, 1, n), "urban": rng.uniform(0, 1, n), "capital": rng.integers(0, 2, n),
    })
    ops = {"sum": ["log_pop", "urban"], "absdiff": ["log_pop", "urban"], "max": ["capital"],
           "product": ["log_pop"], "same": ["province"], "both": ["capital"]}
    big = timed(f"build_dyads {n} nodes", lambda: build_dyads(nodes, ops=ops))
    print(f"  -> {len(big):,} dyads x {big.shape[1] - 2} covariates")
    del big

    cities = standard_cities(SHARED / "cities" / "cities_southeast.csv")
    cities["x"] = rng.normal(size=len(cities))
    cities["z"] = rng.uniform(size=len(cities))
    cities["w"] = rng.uniform(size=len(cities))
    dyads = build_dyads(cities, ops={"sum": ["x", "z"], "absdiff": ["x", "z"], "product": ["x", "z"],
                                     "min": ["w"], "max": ["w"]})
    dyads["connection"] = rng.binomial(1, 0.05, len(dyads))
    dyads["degree"] = np.where(dyads["connection"] == 1, rng.poisson(20, len(dyads)), np.nan)
    print(f"dyad table: {len(dyads):,} dyads x {dyads.shape[1] - 2} attributes")
    save_times, read_times = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            engine = store.connect(Path(tmp) / "bench.sqlite")
            with store.session_scope(engine) as s:
                data.save_cities(s, cities[["code", "name", "short_name", "pinyin", "province", "lat", "lon"]])
            start = time.perf_counter()
            with store.session_scope(engine) as s:
                data.save_dyads(s, dyads)
            save_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            with store.session_scope(engine) as s:
                data.dyad_frame(s)
            read_times.append(time.perf_counter() - start)
            engine.dispose()
    print(f"save_dyads (incl. commit): best {min(save_times):.2f} s, median {statistics.median(save_times):.2f} s")
    print(f"dyad_frame: best {min(read_times):.2f} s, median {statistics.median(read_times):.2f} s")


if __name__ == "__main__":
    main()
