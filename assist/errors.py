"""Errors raised by ``assist``: a ``TandemError`` (``ValueError``) subclass carrying one clear sentence, shown by the
CLI on stderr and by the UI with ``st.error``."""
from __future__ import annotations

from applog.errors import TandemError

__all__ = ["AssistError"]


class AssistError(TandemError):
    """Bad input to, or a missing precondition of, an assistance routine (one sentence saying what
    to do, e.g. "embed the documents first")."""
