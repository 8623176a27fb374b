"""Errors raised by ``mixed``: a ``TandemError`` (``ValueError``) subclass carrying one clear sentence."""
from __future__ import annotations

from applog.errors import TandemError

__all__ = ["MixedError"]


class MixedError(TandemError):
    """Bad input to a joint display or a case table (the message names the value and the reason)."""
