"""Load 4 million directed dyads (2,846 cities) into a SQLite project, then read them back.

Prints wall time and peak resident memory of each step (``resource.getrusage``; Linux reports
kilobytes). Run: ``python bench/directed_load.py [ROWS] [--folder /tmp/x]``.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import store  # noqa: E402
from quant.data import project as qdata  # noqa: E402
from quant.data.directed import directed_frame  # noqa: E402
from quant.data.directed_load import fold_directed, load_directed  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=4_048_435)
    parser.add_argument("--nodes", type=int, default=2_846)
    parser.add_argument("--folder", default=None)
    args = parser.parse_args()
    folder = Path(args.folder or tempfile.mkdtemp())
    rng = np.random.default_rng(1)
    n = args.nodes
    codes = np.array([str(100000 + k) for k in range(n)], dtype=object)
    cities = pd.DataFrame({"code": codes, "name": [f"City {c}" for c in codes], "log_pop": rng.normal(0, 1, n)})
    flat = rng.choice(n * (n - 1), size=args.rows, replace=False)
    s, r = flat // (n - 1), flat % (n - 1)
    r = r + (r >= s)
    raw = pd.DataFrame({"from": codes[s], "to": codes[r], "flow": rng.poisson(2.0, args.rows)})
    del flat, s, r
    engine = store.connect(folder / "directed.sqlite")
    with store.session_scope(engine) as ses:
        qdata.save_cities(ses, cities)
    base = peak_mb()
    t = time.perf_counter()
    with store.session_scope(engine) as ses:
        out = load_directed(ses, raw, a="from", b="to")
    print(f"load_directed: {out.n:,} rows, {out.n_pairs:,} pairs, {time.perf_counter() - t:.1f} s, "
          f"peak RSS {peak_mb():.0f} MB (before {base:.0f} MB, input table included)")
    del raw
    t = time.perf_counter()
    with store.session_scope(engine) as ses:
        frame = directed_frame(ses)
    print(f"directed_frame: {len(frame):,} rows, {time.perf_counter() - t:.1f} s, peak RSS {peak_mb():.0f} MB")
    del frame
    t = time.perf_counter()
    with store.session_scope(engine) as ses:
        fold = fold_directed(ses, "flow", "sum", "flow_sum")
    print(f"fold_directed: {fold['n_pairs']:,} pairs, {time.perf_counter() - t:.1f} s, peak RSS {peak_mb():.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
