"""The demo project for tests: built once per test session and copied (issue 14: the demo used to be
built separately by every module that needs it, ~12 s each), with or without one saved run per
dimension (shared by the run-joint, decoupling, chart and figure tests)."""
from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

import store
from data.demo.build import ensure_demo
from quant.runs import saved as runs

RUN_NAMES = {"breadth": "广度 1", "connection": "connection 1", "degree": "degree 1"}
_BUILT: dict[bool, Path] = {}


def _built(with_runs: bool) -> Path:
    if with_runs not in _BUILT:
        folder = Path(tempfile.mkdtemp(prefix="tandem-test-demo-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "demo.sqlite"
        if with_runs:
            demo_copy(path)  # SQLite's backup API: whole even while another test holds the build open
            engine = store.connect(path, create=False)
            with store.session_scope(engine) as s:
                for dim, name in RUN_NAMES.items():
                    runs.fit_and_save(s, name, dim, by="tester")
            engine.dispose()
        else:
            assert ensure_demo(path) == path  # the workbench's first-start build (tests/test_demo.py checks it)
        _BUILT[with_runs] = path
    return _BUILT[with_runs]


def built_demo() -> Path:
    """The session's one demo build itself, to READ only (tests/test_demo.py checks what the build
    wrote and that ``ensure_demo`` leaves it in place); copy it with :func:`demo_copy` to change it."""
    return _built(False)


def demo_copy(path: Path, with_runs: bool = False) -> Path:
    """A fresh copy of the demo project at ``path`` (a new SQLite file; the session's one build is
    never touched). Copied through SQLite's backup API, so a file in WAL mode is copied whole."""
    path = Path(path)
    source = sqlite3.connect(_built(with_runs))
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return path


def build_demo_with_runs(path: Path):
    """The demo with ``RUN_NAMES`` saved, copied to ``path``; returns an open engine."""
    demo_copy(path, with_runs=True)
    return store.connect(path, create=False)
