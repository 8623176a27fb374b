"""Timing of the saved-run bridge between the strands on the demo project (a script, not a test).

Run from the repository root: ``python bench/mixed_bridge.py [--project DEMO.sqlite] [--repeat 5]``.
Without ``--project`` the demo is built into a temporary folder (about 15 s). Runs named
``bench breadth`` / ``bench connection`` / ``bench degree`` are fitted and saved once if the
project lacks them; nothing timed below fits a model.

Timed (median of ``--repeat`` runs, min and max beside it; wall-clock seconds):

- ``report html``: ``report.run_sections.load_runset`` + ``report.draft.render(fmt="html")`` from
  the three saved runs, in process, with the staleness cache of ``quant.runs.saved.run_status``
  cleared before each run (so every draft checks the data fingerprint again). Target < 3 s.
- ``report html (status cached)``: the same with ``run_status`` answered from its cache (the data
  did not change since the last check), as on the Report page of a running workbench.
- ``cli report html``: ``python cli.py report --out draft.html --force`` in a fresh process
  (Python start and imports included). No target; for reference.
- ``run_joint``: ``quant.runs.saved.load_run`` + ``mixed.run_joint.run_joint`` of the connection run
  (11,935 dyads). Target < 1 s.
- ``cli cases``: ``python cli.py cases --dimension connection --rule deviant`` in a fresh
  process, if the command exists. Target < 2 s.

The load average is printed: other processes on the two cores inflate the times.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIMS = ("breadth", "connection", "degree")


def _ensure_runs(path: Path) -> dict[str, str]:
    import store
    from quant.runs import saved as runs

    engine = store.connect(path, create=False)
    try:
        with store.session_scope(engine) as s:
            names = set(runs.list_runs(s)["name"])
            for dim in DIMS:
                if f"bench {dim}" not in names:
                    runs.fit_and_save(s, f"bench {dim}", dim, by="bench")
        return {d: f"bench {d}" for d in DIMS}
    finally:
        engine.dispose()


def _times(func, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        out.append(time.perf_counter() - t0)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default=None, help="a demo project (default: build one in a temporary folder)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="tandem-bridge-"))
    path = Path(args.project) if args.project else tmp / "demo.sqlite"
    if not args.project:
        from data.demo.build import build_demo

        print(f"building the demo into {path} …", flush=True)
        build_demo(path)
    names = _ensure_runs(path)

    import store
    from quant.runs import saved as runs
    from report.draft import render
    from report.run_sections import load_runset

    engine = store.connect(path, create=False)
    rows = []

    def draft():
        runs._STATUS_CACHE.clear()  # every draft checks the data fingerprint again
        with store.session_scope(engine) as s:
            page = render(s, load_runset(s, [names[d] for d in DIMS]), fmt="html")
        assert "decoupling" in page

    rows.append(("report html (in process)", _times(draft, args.repeat), 3.0))

    def draft_warm():
        with store.session_scope(engine) as s:
            render(s, load_runset(s, [names[d] for d in DIMS]), fmt="html")

    rows.append(("report html (status cached)", _times(draft_warm, args.repeat), None))

    out = tmp / "draft.html"
    cmd = [sys.executable, str(ROOT / "cli.py"), "report", "--project", str(path), "--out", str(out), "--force"]

    def cli_report():
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)

    rows.append(("cli report html (fresh process)", _times(cli_report, args.repeat), None))

    try:
        from mixed.run_joint import run_joint
    except ModuleNotFoundError:
        run_joint = None
    if run_joint is not None:
        def joint():
            with store.session_scope(engine) as s:
                run_joint(s, runs.load_run(s, names["connection"]))

        rows.append(("run_joint (connection run)", _times(joint, args.repeat), 1.0))
    engine.dispose()

    probe = subprocess.run([sys.executable, str(ROOT / "cli.py"), "cases", "--help"], capture_output=True, cwd=ROOT)
    if probe.returncode == 0:
        cases = [sys.executable, str(ROOT / "cli.py"), "cases", "--project", str(path), "--dimension", "connection",
                 "--rule", "deviant"]

        def cli_cases():
            subprocess.run(cases, check=True, capture_output=True, cwd=ROOT)

        rows.append(("cli cases --rule deviant (fresh process)", _times(cli_cases, args.repeat), 2.0))
    else:
        print("`cli.py cases` is not available; skipped.")

    load = os.getloadavg()[0]
    width = max(len(r[0]) for r in rows)
    print(f"\nmedian of {args.repeat} (load average {load:.2f} on {os.cpu_count()} cores)")
    print(f"{'step'.ljust(width)}  median    min     max   target")
    for name, times, target in rows:
        med = statistics.median(times)
        verdict = "" if target is None else f"< {target:g} s {'ok' if med < target else 'MISSED'}"
        print(f"{name.ljust(width)}  {med:6.2f}  {min(times):6.2f}  {max(times):6.2f}   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
