"""Errors of the team package: one sentence each, ``applog.errors.TandemError`` (``ValueError``) subclasses like the rest of Tandem."""
from __future__ import annotations

from applog.errors import TandemError


class TeamError(TandemError):
    """Bad input about users, passwords, logins or the team-mode setting (one sentence)."""


class AccessDenied(TeamError):
    """The logged-in person's role does not allow the action (one sentence naming role and action)."""
