"""Throwaway PostgreSQL databases for the backend-parametrised tests.

``TANDEM_TEST_PG_URL`` names a database on a test server whose user may ``CREATE
DATABASE`` (``.ci/run`` starts such a server, see ``.ci/pg.sh``). :class:`PgServer` creates,
once per test session, a template database migrated to Tandem's newest revision, then
one fresh database per test: a copy of the template (``fresh(migrated=True)``, what
``store.connect`` would make from an empty one) or an empty one (``fresh(migrated=False)``,
for ``cli.py new``/``demo`` and for testing the migrations themselves).

After its test a migrated database is emptied (``TRUNCATE`` of every table but
``alembic_version``, sequences restarted, the same state as a fresh copy: the migrations
write no rows) and handed to the next test, which is three times faster than creating a
database; one whose schema a test changed, or that cannot be emptied, is dropped
(``DROP DATABASE ... WITH (FORCE)``). Everything left is dropped when the session ends.
"""
from __future__ import annotations

import itertools
import os

ENV = "TANDEM_TEST_PG_URL"


def pg_required() -> bool:
    """True where a missing PostgreSQL must fail the tests, not skip them (CI, TANDEM_REQUIRE_SHARED=1)."""
    return os.environ.get("TANDEM_REQUIRE_SHARED") == "1" or os.environ.get("CI", "").lower() == "true"


class PgServer:
    """Creates and drops test databases on the server named by ``TANDEM_TEST_PG_URL``."""

    def __init__(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        import store

        self.base = make_url(store.database_url(url))
        conninfo = self.base.set(drivername="postgresql").render_as_string(hide_password=False)
        self.admin = psycopg.connect(conninfo, autocommit=True)
        self.prefix = f"tandem_test_{os.getpid()}"
        self.counter = itertools.count(1)
        self.live: set[str] = set()
        self.migrated: set[str] = set()
        self.spare: list[str] = []
        self.template = f"{self.prefix}_template"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.template}" TEMPLATE template0 ENCODING \'UTF8\'')
        engine = store.connect(self.url(self.template))
        engine.dispose()
        with psycopg.connect(self.base.set(drivername="postgresql", database=self.template)
                             .render_as_string(hide_password=False), autocommit=True) as conn:
            self.tables = sorted(r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))

    def _execute(self, sql: str) -> None:
        self.admin.execute(sql)

    def url(self, name: str) -> str:
        """SQLAlchemy URL (password in clear) of database ``name`` on this server."""
        return self.base.set(database=name).render_as_string(hide_password=False)

    def fresh(self, *, migrated: bool = True) -> str:
        """A new database's URL: a copy of the migrated template, or empty (``migrated=False``)."""
        if migrated and self.spare:
            return self.url(self.spare.pop())
        name = f"{self.prefix}_{next(self.counter)}"
        source = self.template if migrated else "template0"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" ENCODING \'UTF8\' STRATEGY FILE_COPY')
        self.live.add(name)
        if migrated:
            self.migrated.add(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        """Give back a database made by :meth:`fresh`: emptied for reuse, or dropped."""
        import psycopg
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        if name in self.migrated:
            self._execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
            conninfo = self.base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    conn.execute("SET lock_timeout = '5s'")
                    tables = sorted(r[0] for r in conn.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
                    if tables == self.tables:
                        conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
                                     + " RESTART IDENTITY CASCADE")
                        self.spare.append(name)
                        return
            except psycopg.Error:
                pass
            self.migrated.discard(name)
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.live.discard(name)

    def close(self) -> None:
        for name in sorted(self.live) + [self.template]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()
