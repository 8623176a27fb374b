"""Speed of case selection on the demo: ``cli.py cases`` end to end and its parts in-process.

Run from the repository root: ``python bench/cases_cli.py [PROJECT]``. Without a project it
builds the demo into a temporary folder and saves the default connection run ("conn"). Printed,
wall-clock seconds (best of 3): the subprocess ``cli.py cases --run conn --rule deviant --json``,
``python -c "import mixed.case_views, quant.cases.select"`` (the import cost it pays), and in one
process ``quant.runs.saved.load_run``, ``mixed.evidence.EvidenceIndex.from_session`` and
``mixed.case_views.case_view`` for the typical, deviant and over-predicted rules. The load average
is printed first: other processes on the two cores inflate every figure. Target (issue 8):
``cli.py cases`` under 2 s on the demo.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str]) -> None:
    import store

    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if argv:
        project = Path(argv[0])
        run = "conn"
    else:
        from data.demo.build import build_demo
        from quant.runs import saved as runs

        project = Path(tempfile.mkdtemp()) / "demo.sqlite"
        build_demo(project)
        engine = store.connect(str(project))
        with store.session_scope(engine) as s:
            runs.fit_and_save(s, "conn", "connection")
        engine.dispose()
        run = "conn"
    cmd = [sys.executable, "cli.py", "cases", "--project", str(project), "--run", run, "--rule", "deviant", "--json"]
    whole = _best(lambda: subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True))
    print(f"cli.py cases (subprocess):       {whole:.2f} s")
    imp = [sys.executable, "-c", "import mixed.case_views, quant.cases.select, quant.runs.saved"]
    print(f"imports alone (subprocess):      {_best(lambda: subprocess.run(imp, cwd=ROOT, check=True)):.2f} s")
    from mixed.case_views import case_view
    from mixed.evidence import EvidenceIndex
    from quant.runs import saved as runs

    engine = store.connect(str(project))
    with store.session_scope(engine) as s:
        print(f"load_run:                        {_best(lambda: runs.load_run(s, run)):.3f} s")
        print(f"EvidenceIndex.from_session:      {_best(lambda: EvidenceIndex.from_session(s)):.3f} s")
        loaded = runs.load_run(s, run)
        for rule in ("typical", "deviant", "overpredicted"):
            print(f"case_view {rule:<14}         {_best(lambda: case_view(s, loaded, rule)):.3f} s")
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
