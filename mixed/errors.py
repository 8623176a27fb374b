"""Errors raised by ``mixed``: a ``ValueError`` subclass carrying one clear sentence."""
from __future__ import annotations

__all__ = ["MixedError"]


class MixedError(ValueError):
    """Bad input to a joint display or a case table (the message names the value and the reason)."""
