"""Errors of the project store; each message is one sentence a user can act on."""
from __future__ import annotations

from applog.errors import TandemError


class ProjectError(TandemError):
    """A project cannot be opened, created or upgraded; the message says why."""


class TextError(TandemError):
    """A text holds a character no project database can store (NUL, an unpaired surrogate)."""
