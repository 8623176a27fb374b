"""Checking a login, with every attempt logged and failures rate-limited.

:func:`attempt_login` writes one ``login_attempts`` row per call, in the caller's
transaction (it returns a :class:`LoginResult` instead of raising, so the row is committed
with a refusal too). ``ok`` is 1 for a success, 0 for a checked failure (unknown name or
wrong password), and -1 for an attempt refused unchecked because of the rate limit.

Rate limit (sliding window of :data:`WINDOW`, 15 minutes): once a name has
:data:`MAX_FAILURES_PER_NAME` (5) checked failures in the window since its last success, or a
source address has :data:`MAX_FAILURES_PER_SOURCE` (20), further attempts are refused without
checking the password until the oldest of those failures leaves the window. Refused attempts
(``ok=-1``) do not extend the lock, so someone whose name is being guessed gets back in at a
known time. Names are counted case-blind: ``Mark`` and ``mark`` are the same account.

Timing: an unknown name costs one argon2 verification against a dummy hash, like a wrong
password, and both get the same message, so neither the answer nor its time tells whether a
name exists.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from math import ceil

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from corpus.names import BIDI_CONTROLS
from i18n import N_, _, ngettext
from team.passwords import MAX_LENGTH, hash_password, needs_rehash, verify, verify_dummy
from team.users import MAX_NAME, clean_user_name, find_user

__all__ = ["MAX_FAILURES_PER_NAME", "MAX_FAILURES_PER_SOURCE", "WINDOW", "LoginResult", "attempt_login",
           "locked_for"]

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_SOURCE = 20
WRONG = N_("The name or the password is wrong.")  # English; shown through i18n._


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt gave: ``ok``, the user's canonical ``name`` and ``role`` when ok,
    and one sentence for the person (``message``; empty when ok)."""

    ok: bool
    name: str | None = None
    role: str | None = None
    message: str = ""


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=timezone.utc)


def _key(typed: object, user: store.User | None) -> str:
    """The name an attempt is logged and counted under: the user's name, else the typed name
    cleaned and case-folded (control and bidi characters dropped, cut to 100 code points)."""
    if user is not None:
        return user.name
    text = typed if isinstance(typed, str) else ""
    try:
        text = clean_user_name(text)
    except ValueError:
        text = "".join(c for c in text if c not in BIDI_CONTROLS and unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(text.split()).casefold()[:MAX_NAME]


def _lock_end(session: Session, column, value: str, limit: int, now: datetime) -> datetime | None:
    """When the lock on ``column == value`` ends, or None when there is none."""
    since = now - WINDOW
    last_ok = session.scalar(select(func.max(store.LoginAttempt.ts))
                             .where(column == value, store.LoginAttempt.ok == 1))
    if last_ok is not None and _aware(last_ok) > since:
        since = _aware(last_ok)
    failures = list(session.scalars(
        select(store.LoginAttempt.ts)
        .where(column == value, store.LoginAttempt.ok == 0, store.LoginAttempt.ts > since)
        .order_by(store.LoginAttempt.ts.desc()).limit(limit)
    ))
    if len(failures) < limit:
        return None
    return _aware(failures[-1]) + WINDOW  # the oldest of the last `limit` failures leaves the window then


def locked_for(session: Session, name: str, source: str = "", now: datetime | None = None) -> timedelta | None:
    """How long further attempts for ``name`` (or from ``source``) are refused; None if they are not.

    ``name`` is the key attempts are logged under (see the module docstring); ``source`` ""
    is not counted (an unknown address must not lock everybody out).
    """
    now = now or store.utcnow()
    ends = [_lock_end(session, store.LoginAttempt.name, name, MAX_FAILURES_PER_NAME, now)]
    if source:
        ends.append(_lock_end(session, store.LoginAttempt.source, source, MAX_FAILURES_PER_SOURCE, now))
    end = max((e for e in ends if e is not None), default=None)
    return None if end is None or end <= now else end - now


def attempt_login(session: Session, name: object, password: object, source: str = "",
                  now: datetime | None = None) -> LoginResult:
    """Check a name and password; log the attempt; refuse when rate-limited.

    Parameters
    ----------
    session : Session
        Committed by the caller whatever the result, so the attempt stays logged.
    name, password : str
        As typed (the password is never stored, logged or echoed).
    source : str
        The client's address when known, else ``""`` (cut to 100 characters).
    now : datetime, optional
        The time to log and to count the window from (default: now, UTC).

    Returns
    -------
    LoginResult
        ``ok`` True with the user's canonical name and role, or False with one sentence:
        wrong name or password (the same sentence for both), or how many minutes to wait.
    """
    now = now or store.utcnow()
    source = (source or "")[:100]
    user = find_user(session, name) if isinstance(name, str) else None
    key = _key(name, user)
    wait = locked_for(session, key, source, now)
    if wait is not None:
        session.add(store.LoginAttempt(ts=now, name=key, ok=-1, source=source))
        minutes = max(1, ceil(wait.total_seconds() / 60))
        return LoginResult(False, message=ngettext("Too many failed logins; try again in {n} minute.",
                                                   "Too many failed logins; try again in {n} minutes.",
                                                   minutes).format(n=minutes))
    if user is None or not isinstance(password, str) or len(password) > MAX_LENGTH:
        verify_dummy("")  # no user, or no password that could be right: the time of one verification
        good = False
    else:
        good = verify(user.password_hash, password)
    session.add(store.LoginAttempt(ts=now, name=key, ok=1 if good else 0, source=source))
    if not good:
        return LoginResult(False, message=_(WRONG))
    if needs_rehash(user.password_hash):
        try:  # today's parameters; a password that predates today's rules keeps its old hash
            user.password_hash = hash_password(password, user.name)  # type: ignore[arg-type]
        except ValueError:
            pass
    session.flush()
    return LoginResult(True, name=user.name, role=user.role)
