"""Errors raised by ``report``: a ``ValueError`` subclass carrying one clear sentence."""
from __future__ import annotations

__all__ = ["ReportError"]


class ReportError(ValueError):
    """Bad input to a report function (the message names the value and the reason)."""
