"""Connecting to a project database: one SQLite file by default, PostgreSQL for a team.

``connect(target)`` returns a SQLAlchemy ``Engine`` whose schema is at the newest
Alembic revision:

- an empty database (a new SQLite file, an empty server database) is created from the
  migrations;
- an older SQLite project is backed up to ``<file>.bak-<revision>`` (one per revision,
  replaced if it exists; made only when an upgrade actually runs, and removed again if
  the upgrade fails) and upgraded in one transaction;
- a server database that is behind is never migrated silently (``ProjectError`` says
  what to run);
- anything else gets one sentence (:class:`ProjectError`) and is left untouched: a
  missing file (``create=False``) or folder (folders are never created here), a
  read-only file or folder, a file that is not a Tandem project (not SQLite, or SQLite
  with other tables), a project made by a newer Tandem (unknown revision), a server that
  cannot be reached.

Targets and URLs are explained in :mod:`store.urls`; every message names a URL with its
password masked. Every engine refuses text a database cannot store (:mod:`store.textcheck`).
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from i18n import _
from store import textcheck
from store.errors import ProjectError
from store.urls import database_url, is_url, mask_secrets, mask_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
SQLITE_HEADER = b"SQLite format 3\x00"
#: Tables every Tandem project has had since revision 0001 (tell "newer Tandem" from "another program").
_TANDEM_TABLES = frozenset({"project_info", "documents", "codes", "codings", "events"})


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


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def make_engine(url: str) -> Engine:
    """An engine with Tandem's connection settings (no schema work).

    SQLite: foreign keys on, WAL, 10 s busy timeout. PostgreSQL: psycopg 3, connections
    checked before use. Both: text with NUL or unpaired surrogates is refused
    (:mod:`store.textcheck`).

    Raises
    ------
    ProjectError
        The PostgreSQL driver is not installed.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                               json_serializer=textcheck.json_serializer)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True, json_serializer=textcheck.json_serializer)
        except ModuleNotFoundError as exc:
            raise ProjectError(_("Opening {mask_url} needs the {name} package; install Tandem's requirements (python "
                                 "-m pip install -r requirements.txt).").format(
                                 mask_url=mask_url(url), name=exc.name)) from None
    event.listen(engine, "before_cursor_execute", textcheck.before_cursor_execute)
    event.listen(engine, "handle_error", textcheck.handle_error)
    return engine


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return mask_secrets(lines[0] if lines else exc.__class__.__name__).rstrip(".")


# --- SQLite files: checked with read-only access before anything writes to them ----------------------


def _sqlite_path(url: str) -> Path | None:
    db = make_url(url).database
    return Path(db) if db and db != ":memory:" and not db.startswith("file:") else None


def _inspect_sqlite(path: Path) -> tuple[set[str], str | None]:
    """Tables and Alembic revision of an SQLite file, read without writing to it."""
    uri = f"{path.as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise ProjectError(_("Project file {path} cannot be opened ({exc}).").format(path=path, exc=exc)) from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return tables - {"alembic_version", "sqlite_sequence"}, revision
    except sqlite3.DatabaseError as exc:
        raise ProjectError(_("{path} is not a Tandem project: it is not an SQLite database ({exc}).").format(
                             path=path, exc=exc)) from None
    finally:
        conn.close()


def _check_sqlite_file(path: Path, create: bool) -> None:
    """One sentence for a missing, unreadable, read-only or non-SQLite file or folder."""
    if path.is_dir():
        raise ProjectError(_("{path} is a folder; give a project file inside it, e.g. {value}.").format(
                             path=path, value=path / 'study.sqlite'))
    if not path.exists():
        if not create:
            raise ProjectError(_("Project file {path} does not exist.").format(path=path))
        if not path.parent.is_dir():
            raise ProjectError(_("Folder {parent} does not exist; create it first (Tandem does not create folders).").format(
                                 parent=path.parent))
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise ProjectError(_("Folder {parent} is read-only, so project file {name} cannot be created there.").format(
                                 parent=path.parent, name=path.name))
        return
    if not path.is_file():  # a FIFO, socket or device: opening it could block for ever
        raise ProjectError(_("{path} is not a regular file, so it cannot be a project file.").format(path=path))
    if not os.access(path, os.R_OK):
        raise ProjectError(_("Project file {path} cannot be read (permission denied).").format(path=path))
    with open(path, "rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        raise ProjectError(_("{path} is not a Tandem project: it is not an SQLite database.").format(path=path))
    if not os.access(path, os.W_OK):
        raise ProjectError(_("Project file {path} is read-only; Tandem writes to its project (copy it to a folder "
                             "you can write to, or change its permissions).").format(path=path))
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ProjectError(_("Project file {path} lies in a read-only folder; Tandem needs to write its journal "
                             "files beside it (copy the project to a folder you can write to).").format(path=path))


def _backup_sqlite(path: Path, revision: str) -> Path:
    """A consistent copy (SQLite backup API, WAL included) at ``<file>.bak-<revision>``, replacing an older one."""
    target = path.with_name(f"{path.name}.bak-{revision}")
    tmp = path.with_name(f".{path.name}.bak-{revision}.tmp")
    src = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(tmp, target)
    return target


# --- revision checks shared by both backends -------------------------------------------------------


def _check_revision(label: str, tables: set[str], current: str | None, head: str) -> None:
    """Refuse a database that is not a Tandem project or comes from a newer Tandem."""
    if current is None:
        if tables:
            names = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise ProjectError(_("{label} is not a Tandem project: it holds other tables ({names}).").format(
                                 label=label, names=names))
        return
    try:
        known = _script().get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        if _TANDEM_TABLES <= tables:
            raise ProjectError(_("{label} was saved by a newer version of Tandem (schema revision {current!r}, this "
                                 "version knows up to {head!r}); update Tandem to open it.").format(
                                 label=label, current=current, head=head))
        raise ProjectError(_("{label} is not a Tandem project: its schema revision {current!r} is not one of "
                             "Tandem's.").format(label=label, current=current))


#: Strings in Python's (code point) order; a database must compare them the same way.
_CODE_POINT_ORDER = ("B", "a", "z", "é", "中", "𠀀")


def _check_text_order(engine: Engine, label: str) -> None:
    """Refuse a server database whose default collation does not sort text by code point.

    Tandem orders dyads ``city_a < city_b`` in Python (code point order) and the table
    checks the same comparison; SQLite compares code points too. A linguistic collation
    (``en_US.UTF-8``, ICU) orders ``"B"`` after ``"a"`` and would refuse such pairs.
    """
    pairs = list(zip(_CODE_POINT_ORDER, _CODE_POINT_ORDER[1:]))
    sql = " AND ".join(f"(%(a{i})s::text < %(b{i})s::text)" for i in range(len(pairs)))
    params = {k: v for i, (a, b) in enumerate(pairs) for k, v in ((f"a{i}", a), (f"b{i}", b))}
    with engine.connect() as conn:
        ok = conn.exec_driver_sql(f"SELECT {sql}", params).scalar()
        row = conn.exec_driver_sql("SELECT to_jsonb(d) FROM pg_database d WHERE datname = current_database()").scalar()
    if not ok:
        row = row if isinstance(row, dict) else {}
        icu = row.get("datlocprovider") not in (None, "c")
        collation = (row.get("datlocale") or row.get("daticulocale")) if icu else row.get("datcollate")
        raise ProjectError(_("The database {label} sorts text by a language's rules (collation {collation!r}); "
                             "Tandem needs code-point order: create it with CREATE DATABASE ... TEMPLATE template0 "
                             "LOCALE_PROVIDER libc LOCALE 'C.UTF-8'.").format(label=label, collation=collation))


def connect(target: str | Path, create: bool = True) -> Engine:
    """Open (and if needed create or upgrade) a project database.

    Parameters
    ----------
    target : str or Path
        A SQLite file path or a database URL (``postgresql+psycopg://user:pw@host/db``;
        see :mod:`store.urls`).
    create : bool
        Create a new SQLite file when it does not exist (else raise). Its folder must exist.

    Returns
    -------
    Engine with foreign keys on; for SQLite also WAL and a 10 s busy timeout.

    Raises
    ------
    ProjectError
        One sentence, the target untouched: a bad URL, a missing file (``create=False``) or
        folder, a read-only file or folder, not a Tandem project, a newer Tandem's project,
        a server that cannot be reached, or a server database behind the newest revision.
    """
    url = database_url(target)
    is_sqlite = url.startswith("sqlite")
    label = mask_url(target)
    head = _script().get_current_head()
    path = _sqlite_path(url) if is_sqlite else None
    backup = None
    if path is not None:
        _check_sqlite_file(path, create)
        tables, current = _inspect_sqlite(path) if path.exists() else (set(), None)
        _check_revision(f"Project file {path}", tables, current, head)
        engine = make_engine(url)
        if current not in (None, head):
            backup = _backup_sqlite(path, current)
    else:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        except SQLAlchemyError as exc:
            engine.dispose()
            raise ProjectError(_("Cannot open the database {label}: {first_line}.").format(
                                 label=label, first_line=_first_line(exc))) from None
        try:
            _check_revision(f"The database {label}", tables, current, head)
            _check_text_order(engine, label)
        except ProjectError:
            engine.dispose()
            raise
        if current not in (None, head):
            engine.dispose()
            raise ProjectError(_("The database {label} is at schema revision {current}, Tandem needs {head}; back it "
                                 "up, then run `alembic upgrade head` with store/migrations.").format(
                                 label=label, current=current, head=head))
    if current == head:
        return engine
    try:
        _upgrade(engine, url)
    except BaseException as exc:
        engine.dispose()
        if backup is not None:
            backup.unlink(missing_ok=True)  # the upgrade rolled back: the file is as it was
        if isinstance(exc, ProjectError):
            raise
        if isinstance(exc, SQLAlchemyError):
            message = (_("{label} could not be upgraded: {reason}.") if current
                       else _("{label} could not be created: {reason}."))
            raise ProjectError(message.format(label=label, reason=_first_line(exc))) from None
        raise
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
                    raise ProjectError(_("Upgrading the project would break links between its rows; it was left as "
                                         "it was."))
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def is_empty(target: str | Path) -> bool:
    """True when no project is there yet: a missing or zero-byte file, or a server database without tables.

    Writes nothing. Used by ``cli.py new`` and ``demo`` to refuse overwriting a project.

    Raises
    ------
    ProjectError
        A bad URL, or a server that cannot be reached (message with the password masked).
    """
    url = database_url(target)
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        return path is None or not path.exists() or (path.is_file() and path.stat().st_size == 0)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    except SQLAlchemyError as exc:
        raise ProjectError(_("Cannot open the database {mask_url}: {first_line}.").format(
                             mask_url=mask_url(target), first_line=_first_line(exc))) from None
    finally:
        engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A ``sessionmaker`` bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: commit when the block ends normally, roll back on any exception."""
    with session_factory(engine)() as session:
        with session.begin():
            yield session


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT around statements that may fail while the transaction must go on.

    On PostgreSQL a failed statement (a unique index met by a concurrent writer) aborts
    the whole transaction unless it ran inside a savepoint; rolling back to the savepoint
    keeps everything before it. On SQLite, Python's sqlite3 module does not begin a
    transaction before a SAVEPOINT, so a savepoint opened first would commit on release;
    here ``BEGIN IMMEDIATE`` is issued first when no transaction is open (it waits, up to
    the busy timeout, for the write lock), and the savepoint nests inside it.

    An exception inside the block rolls back to the savepoint and propagates.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    with session.begin_nested():
        yield
