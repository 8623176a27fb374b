"""Workbench start-up and page-switch times on the demo (Streamlit AppTest, no browser).

    python bench/startup.py [--repeat 3] [--pages ui/models.py ui/joint.py]

First start: each repeat is a new Python process with a new, empty user folder
(``TANDEM_HOME``) and no ``TANDEM_PROJECT``, so the demo must be built. It reports the
seconds until the first page is rendered (``first_page``), until the demo file is published
by the background build (``demo_ready``) and until the Project page of the demo has rendered
(``project_page``). Page switches: one process on the demo built by the last first start;
each page is switched to ``repeat`` times in turn (from the Project page), and the first
visit and the median of the visits are printed in seconds. Times include the page's own
queries and charts, not the browser's drawing. Medians are over ``repeat`` runs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["ui/project.py", "ui/documents.py", "ui/code.py", "ui/codebook.py", "ui/retrieve.py", "ui/search.py",
         "ui/suggestions.py", "ui/matrices.py", "ui/memos.py", "ui/agreement.py", "ui/cities.py", "ui/models.py",
         "ui/runs.py", "ui/map.py", "ui/network.py", "ui/joint.py", "ui/cases.py", "ui/worklist.py",
         "ui/report.py"]


def _first_start_once(home: str) -> dict:
    """Run in a fresh process: time the first start in the user folder ``home``."""
    os.environ["TANDEM_HOME"] = home
    os.environ.pop("TANDEM_PROJECT", None)
    began = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=300)
    at.run()
    first = time.perf_counter() - began
    waiting = bool(at.title) and at.title[0].value == "Tandem"
    demo = Path(home) / "demo.sqlite"
    while not demo.exists():
        if time.perf_counter() - began > 300:
            raise SystemExit("the demo was not built within 300 s")
        time.sleep(0.1)
    ready = time.perf_counter() - began
    at.run()
    project = time.perf_counter() - began
    if at.exception:
        raise SystemExit(f"the Project page failed: {at.exception}")
    return {"first_page": round(first, 2), "waiting_page_shown": waiting, "demo_ready": round(ready, 2),
            "project_page": round(project, 2), "title": at.title[0].value if at.title else None}


def _switches_once(project: str, pages: list[str], repeat: int) -> dict:
    os.environ["TANDEM_PROJECT"] = project
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=300)
    at.run()
    times: dict[str, list[float]] = {p: [] for p in pages}
    errors: dict[str, str] = {}
    for _ in range(repeat):
        for page in pages:
            at.switch_page("ui/project.py")
            at.run()
            at.switch_page(page)
            began = time.perf_counter()
            at.run()
            times[page].append(round(time.perf_counter() - began, 3))
            if at.exception:
                errors[page] = str(at.exception[0].value)[:200]
    return {"times": times, "errors": errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", nargs="*", default=PAGES)
    parser.add_argument("--skip-first-start", metavar="DEMO", help="time page switches on this demo file only")
    parser.add_argument("--_first-start-once", dest="once", help=argparse.SUPPRESS)
    parser.add_argument("--_switches-once", dest="switches", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.once:
        print(json.dumps(_first_start_once(args.once)))
        return 0
    if args.switches:
        print(json.dumps(_switches_once(args.switches, args.pages, args.repeat)))
        return 0
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as folder:
        demo = args.skip_first_start
        if not demo:
            runs = []
            for i in range(args.repeat):
                home = Path(folder) / f"home{i}"
                home.mkdir()
                out = subprocess.run([sys.executable, __file__, "--_first-start-once", str(home)], cwd=ROOT,
                                     capture_output=True, text=True, check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(f"first start {i + 1}: {runs[-1]}", flush=True)
            for key in ("first_page", "demo_ready", "project_page"):
                print(f"first start, {key}: median {statistics.median(r[key] for r in runs):.2f} s "
                      f"(runs {', '.join(str(r[key]) for r in runs)})")
            demo = str(Path(folder) / f"home{args.repeat - 1}" / "demo.sqlite")
        out = subprocess.run([sys.executable, __file__, "--_switches-once", demo, "--repeat", str(args.repeat),
                              "--pages", *args.pages], cwd=ROOT, capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{'page':<22}{'first':>8}{'median':>8}   runs (s)")
        for page, times in result["times"].items():
            flag = "  ERROR " + result["errors"][page] if page in result["errors"] else ""
            print(f"{page:<22}{times[0]:>8.2f}{statistics.median(times):>8.2f}   {times}{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
