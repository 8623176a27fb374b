"""Users of a team workbench: add, remove, reset a password, change a role, list.

Names are typed names: :func:`corpus.names.clean_name` gives their one canonical form
(NFKC, invisible characters removed, control and bidi characters refused), and two names
that differ only in case (``Mark``/``mark``) cannot both exist, so a name shown in the
history is one person. The name is also what codings and events record as their coder.

At least one owner always remains: removing or demoting the last owner is refused. The
owner rows are read ``FOR UPDATE`` (PostgreSQL) so two concurrent removals cannot both pass;
SQLite serialises writers anyway.

Nothing here returns or logs a password or a hash: the functions return
``{"name", "role", "created"}`` dicts.
"""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from corpus.names import clean_name
from i18n import _
from team.errors import TeamError
from team.passwords import hash_password
from team.roles import check_role

__all__ = ["MAX_NAME", "add_user", "clean_user_name", "count_owners", "find_user", "get_user", "list_users", "remove_user",
           "session_stamp", "set_password", "set_role"]

MAX_NAME = 100  # users.name is String(100)


def clean_user_name(name: object) -> str:
    """The canonical form of a user name (see :func:`corpus.names.clean_name`).

    Raises
    ------
    corpus.names.BadNameError (a ValueError)
        Not text, empty, over 100 code points, or holding control/bidi characters.
    """
    return clean_name(name, "user name", max_len=MAX_NAME)  # type: ignore[arg-type]


def _public(user: store.User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "created": user.created}


def find_user(session: Session, name: str) -> store.User | None:
    """The user whose name equals ``name`` once cleaned, ignoring case; None if there is none
    or ``name`` is not a valid name. (For this package; other callers use :func:`get_user`.)"""
    try:
        clean = clean_user_name(name)
    except ValueError:
        return None
    exact = session.scalars(select(store.User).where(store.User.name == clean)).first()
    if exact is not None:
        return exact
    key = clean.casefold()
    return next((u for u in session.scalars(select(store.User)) if u.name.casefold() == key), None)


def _existing(session: Session, name: str) -> store.User:
    user = find_user(session, name)
    if user is None:
        raise TeamError(_("There is no user named {name!r}.").format(name=clean_user_name(name)))
    return user


def session_stamp(session: Session, name: str) -> str | None:
    """A fingerprint of the user's name, role and current password hash (SHA-256 hex), or None
    when there is no such user. A workbench keeps it with the login and compares it on each run,
    so a password reset, a role change or a removal ends the sessions opened before it. It is a
    one-way digest of the (salted) hash and stays on the server; it cannot be turned back into
    either the hash or the password."""
    user = find_user(session, name)
    if user is None:
        return None
    return hashlib.sha256("\x1f".join([user.name, user.role, user.password_hash]).encode("utf-8")).hexdigest()


def get_user(session: Session, name: str) -> dict[str, Any] | None:
    """``{"name", "role", "created"}`` of the user called ``name`` (case ignored), or None."""
    user = find_user(session, name)
    return None if user is None else _public(user)


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every user, ``{"name", "role", "created"}``, owners first, then by name."""
    order = {"owner": 0, "coder": 1, "viewer": 2}
    users = [_public(u) for u in session.scalars(select(store.User))]
    return sorted(users, key=lambda u: (order.get(u["role"], 9), u["name"].casefold(), u["name"]))


def add_user(session: Session, name: str, password: str, role: str) -> dict[str, Any]:
    """Create a user.

    Parameters
    ----------
    session : Session
    name : str
        Cleaned with :func:`clean_user_name`; must differ (ignoring case) from every user's.
    password : str
        Checked by :func:`team.passwords.check_password`; stored only as its argon2id hash.
    role : str
        ``owner``, ``coder`` or ``viewer``.

    Returns
    -------
    dict : ``{"name", "role", "created"}``.

    Raises
    ------
    TeamError
        Unknown role, a taken name, or a password that breaks a rule.
    corpus.names.BadNameError
        A name that is empty, too long, or holds control/bidi characters.
    """
    clean = clean_user_name(name)
    check_role(role)
    taken = find_user(session, clean)
    if taken is not None:
        raise TeamError(_("A user named {name!r} already exists; names may not differ only in case.")
                        .format(name=taken.name))
    user = store.User(name=clean, role=role, password_hash=hash_password(password, clean))
    session.add(user)
    session.flush()
    return _public(user)


def _owners(session: Session) -> list[str]:
    stmt = select(store.User.name).where(store.User.role == "owner").with_for_update()
    return list(session.scalars(stmt))


def remove_user(session: Session, name: str) -> dict[str, Any]:
    """Delete a user (their codings and events keep their name). Returns what was removed.

    Raises
    ------
    TeamError
        No such user, or the user is the last owner.
    """
    user = _existing(session, name)
    if user.role == "owner" and len(_owners(session)) <= 1:
        raise TeamError(_("{name!r} is the last owner and cannot be removed; make another user an owner first.")
                        .format(name=user.name))
    gone = _public(user)
    session.delete(user)
    session.flush()
    return gone


def set_role(session: Session, name: str, role: str) -> dict[str, Any]:
    """Change a user's role. Returns ``{"name", "role", "created"}``.

    Raises
    ------
    TeamError
        Unknown role, no such user, or demoting the last owner.
    """
    check_role(role)
    user = _existing(session, name)
    if user.role == "owner" and role != "owner" and len(_owners(session)) <= 1:
        raise TeamError(_("{name!r} is the last owner and must stay an owner; make another user an owner first.")
                        .format(name=user.name))
    user.role = role
    session.flush()
    return _public(user)


def set_password(session: Session, name: str, password: str) -> dict[str, Any]:
    """Replace a user's password (stored as a new argon2id hash). Returns ``{"name", "role", "created"}``.

    Raises
    ------
    TeamError
        No such user, or the password breaks a rule.
    """
    user = _existing(session, name)
    user.password_hash = hash_password(password, user.name)
    session.flush()
    return _public(user)


def count_owners(session: Session) -> int:
    """How many owners there are."""
    return int(session.scalar(select(func.count()).select_from(store.User).where(store.User.role == "owner")))
