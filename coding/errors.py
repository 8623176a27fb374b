"""The one error class of the coding package.

Every bad input to a ``coding`` function (an unknown id, an empty name, a span outside
the text, a cycle in the codebook tree) raises :class:`CodingError` with one sentence
naming the value and the reason, before anything is written.
"""
from __future__ import annotations

from applog.errors import TandemError


class CodingError(TandemError):
    """Bad input to the codebook, codings, links, memos or queries; the message says why."""
