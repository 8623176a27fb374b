"""Errors raised by ``report``: a ``TandemError`` (``ValueError``) subclass carrying one clear sentence."""
from __future__ import annotations

from applog.errors import TandemError

__all__ = ["ReportError"]


class ReportError(TandemError):
    """Bad input to a report function (the message names the value and the reason)."""
