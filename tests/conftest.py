"""Shared fixtures: where the real inputs live, and a fresh project database.

Tests that read ``../shared/data`` skip with a reason where it is absent (a user's clone);
with ``TANDEM_REQUIRE_SHARED=1`` (set by ``.ci/run``) they fail instead.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
# The workbench shows an unexpected error as one sentence and logs the traceback (applog); under test
# it also shows the exception, so AppTest's ``at.exception`` and the browser tests still see it.
os.environ.setdefault("TANDEM_VERBOSE", "1")
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


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server():
    """The PostgreSQL test server (``TANDEM_TEST_PG_URL``, see ``tests/pg_support.py``).

    Skips with the reason when the variable is unset; under CI (``CI=true``) or
    ``TANDEM_REQUIRE_SHARED=1`` it fails instead, so CI cannot pass without PostgreSQL.
    """
    from pg_support import ENV, PgServer, pg_required

    url = os.environ.get(ENV)
    if not url:
        reason = f"{ENV} is not set: no PostgreSQL server to test against (.ci/run starts one)"
        if pg_required():
            pytest.fail(reason)
        pytest.skip(reason)
    server = PgServer(url)
    yield server
    server.close()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """``"sqlite"`` or ``"postgresql"``: every test using it (or ``engine``/``project_url``) runs on both."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_server")
    return request.param


@pytest.fixture
def project_url(backend, tmp_path, request):
    """Where a new project goes: a SQLite path that does not exist yet, or an empty PostgreSQL database's URL."""
    if backend == "sqlite":
        yield str(tmp_path / "project.sqlite")
        return
    server = request.getfixturevalue("pg_server")
    url = server.fresh(migrated=False)
    yield url
    server.drop(url)


@pytest.fixture(scope="session")
def _empty_sqlite_project(tmp_path_factory):
    """One new, empty SQLite project made by ``store.connect`` (migrations run once, 0.2 s), closed
    so that its write-ahead log is folded in: each ``engine`` copies the file (5 ms)."""
    import store

    path = tmp_path_factory.mktemp("template") / "project.sqlite"
    store.connect(path).dispose()
    return path


@pytest.fixture
def engine(backend, tmp_path, request):
    """A fresh, empty project database: a SQLite file in a temporary folder (a copy of one new
    project, ``_empty_sqlite_project``), or a PostgreSQL database."""
    import shutil

    import store

    if backend == "sqlite":
        target = tmp_path / "project.sqlite"
        shutil.copyfile(request.getfixturevalue("_empty_sqlite_project"), target)
        eng = store.connect(target)
        yield eng
        eng.dispose()
        return
    server = request.getfixturevalue("pg_server")
    url = server.fresh(migrated=True)
    eng = store.connect(url)
    eng.dispose()  # connections made from now on carry the time limit below

    @event.listens_for(eng, "connect")
    def _limit(dbapi_conn, _record):  # a runaway plan fails its test instead of stalling the whole run
        with dbapi_conn.cursor() as cur:
            cur.execute("SET statement_timeout = '180s'")
        dbapi_conn.commit()

    yield eng
    eng.dispose()
    server.drop(url)


def pytest_collection_modifyitems(config, items):
    """Tests that drive Chromium (marker ``browser``) are integration tests by nature and take
    5–60 s each: they are also ``slow``, so ``-m "not slow"`` (the quick local run) leaves them
    out; CI runs everything, these included."""
    slow = pytest.mark.slow
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(slow)
