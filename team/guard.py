"""Enforce a role on a database session, whatever library function writes through it.

:func:`protect` hooks the session's connection (``before_cursor_execute``, SQLAlchemy's
connection event) and reads each statement before it is sent: reads pass (``SELECT``,
``WITH``, ``PRAGMA``, savepoints); an ``INSERT``, ``UPDATE`` or ``DELETE`` passes only when
the role may do what writing to its table needs (:func:`team.roles.table_action`); any
other statement (``CREATE``, ``DROP``, ``ALTER``, ...) needs the ``project`` action. A refused
statement raises :class:`~team.errors.AccessDenied` before it reaches the database, and the
caller's transaction rolls back, so nothing of the call is written.

This sits beneath the page-level checks (a viewer sees no write controls): a page that
forgets one, a lambda that writes, or a function added later are all covered. The statements
are SQLAlchemy's own (user text only ever travels as bound parameters), so the first words
name the statement and its table reliably.
"""
from __future__ import annotations

import re

from sqlalchemy import event
from sqlalchemy.orm import Session

from team.errors import AccessDenied
from team.roles import allowed, check_role, refusal, table_action

__all__ = ["protect", "statement_action"]

_READS = ("SELECT", "WITH", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SHOW", "EXPLAIN")
_DML = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)\s+'
    r'(?:"?\w+"?\.)?"?(\w+)"?',
    re.IGNORECASE,
)


def statement_action(sql: str) -> str:
    """The action a SQL statement needs: ``read``, the action of the table it writes, or
    ``project`` for anything else."""
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if head in _READS:
        return "read"
    match = _DML.match(sql)
    if match:
        return table_action(match.group(1).lower())
    return "project"


def protect(session: Session, role: str) -> None:
    """Refuse, on this session's connection, every statement ``role`` may not run.

    Call it right after the session's transaction begins (it procures the connection). An
    owner's session is left as it is.

    Raises
    ------
    TeamError
        ``role`` is unknown.
    AccessDenied
        Later, from the statement that needs an action the role lacks.
    """
    check_role(role)
    if role == "owner":
        return
    connection = session.connection()

    def check(conn, cursor, statement, parameters, context, executemany):
        action = statement_action(statement)
        if not allowed(role, action):
            raise AccessDenied(refusal(role, action))

    event.listen(connection, "before_cursor_execute", check)
