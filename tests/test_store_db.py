"""Opening project files and databases: one sentence for each thing that can be wrong, the
target left untouched, and no pile of backups.

Each refusal is checked for its sentence, for the file's bytes being unchanged (no WAL
switch, no schema written) and for no ``.bak`` file appearing. Read-only cases run in a
forked child that drops to the ``nobody`` user when the tests run as root (root may write
anything, so a read-only file is only read-only for someone else).
"""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

import store
from store.db import _script, alembic_config, make_engine

HEAD = _script().get_current_head()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def _refused(target, match: str, **kw) -> str:
    with pytest.raises(store.ProjectError) as err:
        store.connect(target, **kw)
    message = str(err.value)
    assert match in message, message
    assert "\n" not in message and message.endswith(".")
    return message


def _project_at(path: Path, revision: str) -> None:
    """A SQLite project whose schema is at an older ``revision``, holding one code."""
    url = store.database_url(path)
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.execute(text("INSERT INTO codes (guid, name, definition, inclusion, exclusion, example, colour, codable, "
                          "position) VALUES ('g1', 'Trust', '', '', '', '', '#999999', 1, 0)"))
    engine.dispose()


# --- files ------------------------------------------------------------------------------------------


def test_missing_folder_is_not_created(tmp_path):
    target = tmp_path / "no" / "such" / "study.sqlite"
    _refused(target, f"Folder {tmp_path / 'no' / 'such'} does not exist; create it first")
    assert not (tmp_path / "no").exists()
    _refused(tmp_path / "gone.sqlite", f"Project file {tmp_path / 'gone.sqlite'} does not exist.", create=False)
    assert list(tmp_path.iterdir()) == []


def test_folder_given_as_project(tmp_path):
    _refused(tmp_path, "is a folder; give a project file inside it")


def test_text_file_is_not_a_project_and_stays_as_it_was(tmp_path):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("访谈提纲\n第一题……\n", encoding="utf-8")
    before = _digest(notes)
    _refused(notes, f"{notes} is not a Tandem project: it is not an SQLite database.")
    assert _digest(notes) == before and _siblings(notes) == []


def test_other_sqlite_database_is_not_a_project_and_stays_as_it_was(tmp_path):
    other = tmp_path / "zotero.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO items (title) VALUES ('协同治理')")
    conn.close()
    before = _digest(other)
    _refused(other, f"Project file {other} is not a Tandem project: it holds other tables (items).")
    assert _digest(other) == before and _siblings(other) == []  # no WAL switch, no -wal/-shm, no backup


def test_project_from_a_newer_tandem(tmp_path):
    path = tmp_path / "study.sqlite"
    store.connect(path).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0042_future'")
    conn.close()
    before = _digest(path)
    _refused(path, f"Project file {path} was saved by a newer version of Tandem (schema revision '0042_future', "
                   f"this version knows up to '{HEAD}'); update Tandem to open it.")
    assert _digest(path) == before and not any(".bak" in n for n in _siblings(path))


def test_foreign_alembic_database(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        conn.execute("CREATE TABLE accounts (id INTEGER)")
    conn.close()
    _refused(path, "is not a Tandem project: its schema revision 'ae1027a6acf' is not one of Tandem's.")


def _connect_as_nobody(target: str, out) -> None:
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    try:
        store.connect(target).dispose()
        out.put("opened")
    except store.ProjectError as exc:
        out.put(str(exc))
    except BaseException as exc:  # reported, so the test shows it
        out.put(f"{exc.__class__.__name__}: {exc}")


def _open_elsewhere(target: Path) -> str:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_connect_as_nobody, args=(str(target), out))
    proc.start()
    message = out.get(timeout=120)
    proc.join(timeout=60)
    return message


@pytest.fixture
def shared_dir():
    """A folder other users may enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="tandem-ro-"))
    folder.chmod(0o755)
    yield folder
    for p in folder.iterdir():
        p.chmod(0o644)
        p.unlink()
    folder.chmod(0o755)
    folder.rmdir()


def test_read_only_file(shared_dir):
    path = shared_dir / "study.sqlite"
    store.connect(path).dispose()
    path.chmod(0o444)
    before = _digest(path)
    message = _open_elsewhere(path)
    assert message == (f"Project file {path} is read-only; Tandem writes to its project (copy it to a folder you "
                       "can write to, or change its permissions).")
    assert _digest(path) == before and _siblings(path) == []


def test_read_only_folder(shared_dir):
    path = shared_dir / "study.sqlite"
    store.connect(path).dispose()
    path.chmod(0o666)
    shared_dir.chmod(0o555)
    message = _open_elsewhere(path)
    assert message.startswith(f"Project file {path} lies in a read-only folder")
    message = _open_elsewhere(shared_dir / "new.sqlite")
    assert message == f"Folder {shared_dir} is read-only, so project file new.sqlite cannot be created there."


def test_unreadable_file(shared_dir):
    path = shared_dir / "study.sqlite"
    store.connect(path).dispose()
    path.chmod(0o600)
    assert _open_elsewhere(path) == f"Project file {path} cannot be read (permission denied)."


# --- upgrades and backups ---------------------------------------------------------------------------


def test_upgrade_keeps_one_backup_per_revision(tmp_path):
    path = tmp_path / "study.sqlite"
    _project_at(path, "0001")
    old = _digest(path)
    store.connect(path).dispose()
    backup = tmp_path / "study.sqlite.bak-0001"
    assert [n for n in _siblings(path) if ".bak" in n] == [backup.name]
    with sqlite3.connect(backup) as conn:  # the backup is the project as it was, at its old revision
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert conn.execute("SELECT name FROM codes").fetchall() == [("Trust",)]
        assert "users" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert conn.execute("SELECT name FROM codes").fetchall() == [("Trust",)]
    conn.close()
    for _ in range(3):  # opening an up-to-date project makes no backup
        store.connect(path).dispose()
    assert [n for n in _siblings(path) if ".bak" in n] == [backup.name]
    assert old != _digest(path)


def test_failed_upgrade_leaves_no_backup_and_the_file_as_it_was(tmp_path):
    path = tmp_path / "study.sqlite"
    _project_at(path, "0001")
    with sqlite3.connect(path) as conn:  # a table 0002 wants to create: the upgrade fails
        conn.execute("CREATE TABLE users (id INTEGER)")
    conn.close()
    message = _refused(path, f"{path} could not be upgraded: ")
    assert "users" in message
    assert not any(".bak" in n for n in _siblings(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert conn.execute("SELECT name FROM codes").fetchall() == [("Trust",)]
    conn.close()


# --- URLs and servers -------------------------------------------------------------------------------


@pytest.mark.parametrize("url, match", [
    ("mysql://tandem:s3cret@db/study", "mysql://tandem:***@db/study is a mysql URL; a Tandem project is a SQLite "
                                       "file or a PostgreSQL database"),
    ("postgresql+psycopg2://tandem:s3cret@db/study", "names the PostgreSQL driver 'psycopg2'; Tandem talks to "
                                                     "PostgreSQL through psycopg 3"),
    ("postgresql://tandem:s3cret@db", "postgresql://tandem:***@db names no database"),
    ("postgresql://tandem:s3cret@db:notaport/x", "is not a valid database URL"),
])
def test_bad_urls_are_one_sentence_without_the_password(url, match):
    message = _refused(url, match)
    assert "s3cret" not in message


def test_driverless_postgres_urls_mean_psycopg():
    assert store.database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert store.database_url("postgres://u:p@h:5433/db") == "postgresql+psycopg://u:p@h:5433/db"
    assert store.mask_url("postgres://u:p@ss@h/db") == "postgres://u:***@h/db"
    assert store.mask_secrets("failed: host=h password='x y' user=u; see postgresql://u:pw@h/d") == \
        "failed: host=h password=*** user=u; see postgresql://u:***@h/d"
    assert store.display_name("postgresql+psycopg://u:pw@db.example.org:5433/study") == "db.example.org:5433/study"
    assert store.mask_url("postgresql://u@h/db?password=s3cret&sslmode=require") == \
        "postgresql://u@h/db?password=***&sslmode=require"


def test_unreachable_server_is_one_sentence_without_the_password():
    url = "postgresql+psycopg://tandem:s3cret@127.0.0.1:9/study"
    message = _refused(url, "Cannot open the database postgresql+psycopg://tandem:***@127.0.0.1:9/study: ")
    assert "s3cret" not in message
    with pytest.raises(store.ProjectError, match="Cannot open the database"):
        store.is_empty(url)


def _admin(pg_server, sql: str) -> None:
    pg_server.admin.execute(sql)


def test_empty_server_database_gets_the_schema(pg_server):
    url = pg_server.fresh(migrated=False)
    try:
        assert store.is_empty(url)
        engine = store.connect(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            names = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
        engine.dispose()
        assert {"codings", "events", "users", "documents"} <= names
        assert not store.is_empty(url)
    finally:
        pg_server.drop(url)


def test_server_database_refusals(pg_server):
    url = pg_server.fresh(migrated=True)
    shown = store.mask_url(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0042_future'"))
        _refused(url, f"The database {shown} was saved by a newer version of Tandem (schema revision '0042_future'")
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        _refused(url, f"The database {shown} is at schema revision 0001, Tandem needs {HEAD}; back it up, then run "
                      "`alembic upgrade head`")
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD}'"))
        store.connect(url).dispose()
    finally:
        engine.dispose()
        pg_server.drop(url)
    other = pg_server.fresh(migrated=False)
    engine = make_engine(other)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE accounts (id integer)"))
        _refused(other, "is not a Tandem project: it holds other tables (accounts).")
    finally:
        engine.dispose()
        pg_server.drop(other)


def test_server_database_must_sort_by_code_point(pg_server):
    name = f"{pg_server.prefix}_icu"
    _admin(pg_server, f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                      "LOCALE 'C.UTF-8'")
    try:
        _refused(pg_server.url(name), "sorts text by a language's rules (collation 'en-US'); Tandem needs "
                                      "code-point order")
    finally:
        _admin(pg_server, f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path):
    """Opening a named pipe as SQLite would wait for a writer for ever; it is refused by its kind."""
    import os

    fifo = tmp_path / "pipe.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(store.ProjectError) as err:
        store.connect(fifo, create=False)
    assert str(err.value) == f"{fifo} is not a regular file, so it cannot be a project file."
