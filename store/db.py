"""Connecting to a project database: one SQLite file by default, PostgreSQL for a team.

``connect(target)`` returns a SQLAlchemy ``Engine`` whose schema is at the newest
Alembic revision: a new database is created from the migrations; an older SQLite file
is copied to ``<file>.bak-<rev>`` and upgraded; a server database that is behind is
never migrated silently (``ProjectError`` says what to run).
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000


class ProjectError(ValueError):
    """A project file cannot be opened or upgraded; the message says why."""


def database_url(target: str | Path) -> str:
    """Turn a file path or a URL into a SQLAlchemy URL (paths become ``sqlite:///``)."""
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def alembic_config(url: str) -> Config:
    """An Alembic ``Config`` pointing at Tandem's migrations and the given database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _has_tables(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(engine).get_table_names())


def make_engine(url: str) -> Engine:
    """An engine with Tandem's connection settings (no schema work)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def connect(target: str | Path, create: bool = True) -> Engine:
    """Open (and if needed create or upgrade) a project database.

    Parameters
    ----------
    target : str or Path
        A SQLite file path or any SQLAlchemy URL (``postgresql+psycopg://...``).
    create : bool
        Create a new SQLite file when it does not exist (else raise).

    Returns
    -------
    Engine with foreign keys on; for SQLite also WAL and a 10 s busy timeout.

    Raises
    ------
    ProjectError
        The file is missing (``create=False``), is not a Tandem project, or is a server
        database behind the newest revision.
    """
    url = database_url(target)
    is_sqlite = url.startswith("sqlite")
    path = None
    if is_sqlite:
        db = make_url(url).database
        path = Path(db) if db and db != ":memory:" else None
        if path is not None:
            if not path.exists() and not create:
                raise ProjectError(f"Project file {path} does not exist.")
            path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    try:
        current = _current_revision(engine)
    except Exception as exc:  # not a database at all
        engine.dispose()
        raise ProjectError(f"{target} is not a readable project database ({exc.__class__.__name__}).") from exc
    if current == head:
        return engine
    if current is None and _has_tables(engine):
        engine.dispose()
        raise ProjectError(f"{target} holds tables but is not a Tandem project.")
    if current is not None and not is_sqlite:
        engine.dispose()
        raise ProjectError(
            f"Database is at revision {current}, Tandem needs {head}; back it up, then run "
            "`alembic upgrade head` with store/migrations."
        )
    if current is not None and path is not None:
        shutil.copy2(path, path.with_name(f"{path.name}.bak-{current}"))
    _upgrade(engine, url)
    return engine


def _upgrade(engine: Engine, url: str) -> None:
    """Run the migrations to head in one transaction.

    On SQLite, foreign keys are switched off for the migration: a batch ALTER rebuilds a
    table by dropping it, which would otherwise cascade deletes into its children. The
    keys are checked (``PRAGMA foreign_key_check``) before the transaction commits.
    """
    cfg = alembic_config(url)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise ProjectError("Upgrading the project would break links between its rows; it was left as it was.")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: commit when the block ends normally, roll back on any exception."""
    with session_factory(engine)() as session:
        with session.begin():
            yield session
