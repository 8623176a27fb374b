"""A demo project with one saved run per dimension, shared by the run-joint and decoupling tests."""
from __future__ import annotations

from pathlib import Path

import store
from data.demo.build import build_demo
from quant import runs

RUN_NAMES = {"breadth": "广度 1", "connection": "connection 1", "degree": "degree 1"}


def build_demo_with_runs(path: Path):
    """Build the demo at ``path`` and save ``RUN_NAMES``; returns an open engine."""
    build_demo(path)
    engine = store.connect(path, create=False)
    with store.session_scope(engine) as s:
        for dim, name in RUN_NAMES.items():
            runs.fit_and_save(s, name, dim, by="tester")
    return engine
