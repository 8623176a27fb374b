"""Shared fixtures: where the real inputs live, and a fresh project database.

Tests that read ``../shared/data`` skip with a reason where it is absent (a user's clone);
with ``TANDEM_REQUIRE_SHARED=1`` (set by ``.ci/run``) they fail instead.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TANDEM_SHARED_DATA", ROOT.parent / "shared" / "data"))


def require_shared(*parts: str) -> Path:
    """Path to a file under ../shared/data; skip (or fail under TANDEM_REQUIRE_SHARED=1) if absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"real input {path} is absent (it lives in ../shared/data beside the clone)"
        if os.environ.get("TANDEM_REQUIRE_SHARED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
def shared():
    """The ``require_shared`` function, for tests that read real inputs."""
    return require_shared


@pytest.fixture
def engine(tmp_path):
    """A fresh, empty project database (SQLite file in a temporary folder)."""
    import store

    eng = store.connect(tmp_path / "project.sqlite")
    yield eng
    eng.dispose()
