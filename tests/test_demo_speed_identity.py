"""First start: the demo builds in the background behind a first page, once, never seen half-built,
and a demo built that way equals, table by table, one built the old way (sequentially, without
the segmenter loaded ahead and without progress reports)."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

# three whole demo builds (one behind the workbench's first page, two racing processes, the old way):
# integration by nature, ~10 s each on an idle machine; CI runs them
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?")
# counted independently of the build's own summary: rows in the shipped CSV files and corpus
EXPECTED = {"cities": 155, "dyads": 11935, "documents": 8, "codings": 96}


def _table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows in rowid order, without the columns that differ between any two builds
    (DATETIME columns, ``guid``), and with GUIDs and time stamps inside text (event payloads)
    replaced by placeholders."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out = {}
        for table in tables:
            info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            keep = [r[1] for r in info if "DATE" not in (r[2] or "").upper() and "TIME" not in (r[2] or "").upper()
                    and r[1] != "guid"]
            rows = conn.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in keep)} FROM "{table}" '
                                f"ORDER BY rowid").fetchall()
            out[table] = [tuple(STAMP.sub("<time>", GUID.sub("<guid>", v)) if isinstance(v, str) else v
                                for v in row) for row in rows]
        return out
    finally:
        conn.close()


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in EXPECTED}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def old_way(tmp_path_factory):
    """The demo built as before this change: no segmenter loaded ahead in a thread, no progress."""
    from data.demo import build

    class _Done:
        def join(self):
            return None

    path = tmp_path_factory.mktemp("old") / "demo.sqlite"
    saved = build._warm_segmenter
    build._warm_segmenter = lambda languages: _Done()
    try:
        build.build_demo(path)
    finally:
        build._warm_segmenter = saved
    return path


@pytest.fixture(scope="module")
def first_start(tmp_path_factory):
    """The workbench's first start in a new user folder (AppTest): the page before and after the build."""
    from streamlit.testing.v1 import AppTest

    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("TANDEM_HOME", str(home))
    mp.delenv("TANDEM_PROJECT", raising=False)
    try:
        at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=300)
        at.run()
        before = {"demo_there": (home / "demo.sqlite").exists(), "titles": [t.value for t in at.title],
                  "status": [s.label for s in at.status], "exception": list(at.exception)}
        deadline = time.monotonic() + 300
        while not (home / "demo.sqlite").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        at.run()
        after = {"titles": [t.value for t in at.title], "subheaders": [s.value for s in at.subheader],
                 "exception": list(at.exception)}
    finally:
        mp.undo()
    return {"home": home, "before": before, "after": after}


def test_first_page_shows_at_once_with_progress_then_the_demo(first_start):
    before, after = first_start["before"], first_start["after"]
    assert not before["exception"] and not after["exception"]
    assert not before["demo_there"], "the first run waited for the build instead of showing a page"
    assert before["titles"] == ["Tandem"]
    assert len(before["status"]) == 1 and before["status"][0].startswith("Building the demo project")
    assert after["titles"] == ["Project"]
    assert after["subheaders"][0].startswith("Tandem demo")
    assert _counts(first_start["home"] / "demo.sqlite") == EXPECTED


def test_background_build_equals_the_old_way_table_by_table(first_start, old_way):
    new, old = _table_rows(first_start["home"] / "demo.sqlite"), _table_rows(old_way)
    assert sorted(new) == sorted(old)
    assert len(old["dyad_attributes"]) > 100_000 and len(old["events"]) > 0  # the comparison covers data
    for table in old:
        assert new[table] == old[table], f"table {table} differs"


_RACER = textwrap.dedent("""
    import json, sqlite3, sys, time
    from data.demo.build import ensure_demo
    steps = []
    path = ensure_demo(sys.argv[1], progress=lambda step, detail: steps.append(step))
    conn = sqlite3.connect(path)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("cities", "dyads", "documents", "codings")}
    print(json.dumps({"path": str(path), "built": bool(steps), "steps": sorted(set(steps)), "counts": counts}))
""")


def test_two_processes_build_once_and_neither_sees_a_half_built_demo(tmp_path, old_way):
    final = tmp_path / "demo.sqlite"
    seen = {"max_temp": 0, "stop": False}

    def watch():
        while not seen["stop"]:
            temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            seen["max_temp"] = max(seen["max_temp"], len(temps))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cmd = [sys.executable, "-c", _RACER, str(final)]
    first = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):  # the first is building now
        assert first.poll() is None and time.monotonic() < deadline, first.stderr.read() if first.poll() else ""
        time.sleep(0.02)
    second = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outs = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    seen["stop"] = True
    watcher.join()
    assert [o["path"] for o in outs] == [str(final), str(final)]
    assert outs[0]["built"] and outs[0]["steps"] == sorted(["cities", "dyads", "documents", "segmenting", "codings"])
    assert not outs[1]["built"], "the second process built the demo a second time"
    assert outs[0]["counts"] == outs[1]["counts"] == EXPECTED
    assert seen["max_temp"] == 1, "two builds ran at once"
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
    assert _table_rows(final) == _table_rows(old_way)
