"""Where a project lives: a SQLite file path or a PostgreSQL URL, and how to name it safely.

A *target* is what a user types: a file path (``study.sqlite``) or a URL. Supported URLs:

- ``sqlite:///absolute/path.sqlite`` (same as the bare path);
- ``postgresql+psycopg://user:password@host:port/database`` (psycopg 3, in
  requirements.txt); ``postgresql://`` and ``postgres://`` without a driver are taken to
  mean psycopg. Any other driver or database is refused with one sentence.

Passwords never leave this module in clear: :func:`mask_url` and :func:`mask_secrets`
replace them by ``***`` in anything shown to a user (messages, errors, logs, labels).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from applog.masking import mask_secrets  # noqa: F401  (store.mask_secrets, re-exported)
from i18n import _
from store.errors import ProjectError

PG_DRIVER = "postgresql+psycopg"

# user:password@ inside any scheme://...; password=... in a query string or a libpq DSN


class TargetError(ProjectError):
    """A project target is neither a file path nor a supported database URL."""


def is_url(target: str | Path) -> bool:
    """True when ``target`` is a database URL (``scheme://...``), False for a file path.

    A ``pathlib.Path`` is always a path (a ``Path`` cannot hold ``//`` anyway).
    """
    return not isinstance(target, Path) and "://" in str(target)


def mask_url(target: str | Path) -> str:
    """How to show a target to a user: a path as given, a URL with its password as ``***``.

    >>> mask_url("postgresql+psycopg://tandem:s3cret@db.example.org:5432/study")
    'postgresql+psycopg://tandem:***@db.example.org:5432/study'
    """
    if not is_url(target):
        return str(target)
    try:
        url = make_url(str(target))
    except (ArgumentError, ValueError):
        return mask_secrets(str(target))
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return mask_secrets(url.render_as_string(hide_password=True)).replace("%2A%2A%2A", "***")


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a target (a path becomes ``sqlite:///<absolute path>``).

    Returns
    -------
    str
        The URL with its password in clear (for the engine only; show :func:`mask_url`).

    Raises
    ------
    TargetError
        The URL cannot be parsed, names a database other than SQLite or PostgreSQL, or a
        PostgreSQL driver other than psycopg (the one Tandem installs).
    """
    text = str(target)
    if not is_url(target):
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    shown = mask_url(text)
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise TargetError(_("{shown} is not a valid database URL; write postgresql+psycopg://user@host/database or "
                            "give a project file path.").format(shown=shown)) from None
    backend, driver = url.get_backend_name(), url.drivername.partition("+")[2]
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise TargetError(_("{shown} names the SQLite driver {driver!r}; Tandem opens SQLite files with Python's "
                                "own sqlite3 (write sqlite:///path or just the path).").format(
                                shown=shown, driver=driver))
        return url.render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise TargetError(_("{shown} names the PostgreSQL driver {driver!r}; Tandem talks to PostgreSQL through "
                                "psycopg 3: write {pg_driver}://user@host/database.").format(
                                shown=shown, driver=driver, pg_driver=PG_DRIVER))
        if not url.database:
            raise TargetError(_("{shown} names no database; add it after the host, e.g. "
                                "{pg_driver}://user@host/tandem.").format(shown=shown, pg_driver=PG_DRIVER))
        return url.set(drivername=PG_DRIVER).render_as_string(hide_password=False)
    raise TargetError(_("{shown} is a {backend} URL; a Tandem project is a SQLite file or a PostgreSQL database "
                        "({pg_driver}://user@host/database).").format(
                        shown=shown, backend=backend, pg_driver=PG_DRIVER))


def display_name(target: str | Path) -> str:
    """A short label for a target: a file's name, or ``host/database`` of a URL (no user, no password)."""
    if not is_url(target):
        return Path(str(target)).name
    try:
        url = make_url(str(target))
    except (ArgumentError, ValueError):
        return mask_url(target)
    if url.get_backend_name() == "sqlite":
        return Path(url.database or "").name or mask_url(target)
    host = url.host or "localhost"
    return f"{host}{':' + str(url.port) if url.port else ''}/{url.database or ''}"
