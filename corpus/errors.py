"""Errors raised by ``corpus``: one clear sentence naming the file (or value) and the reason."""
from __future__ import annotations

from applog.errors import TandemError


class CorpusError(TandemError):
    """Bad input to the corpus layer.

    The message is one sentence that names the file, document or value and says why it
    was refused, e.g. ``"P1.docx: not a valid .docx file (zip archive is corrupt)."``.
    Nothing has been written to the project when it is raised.
    """


class OffsetError(CorpusError):
    """An offset cannot be converted: out of range, or inside a multi-unit character.

    The message names the offset, its unit and the length of the text.
    """


def exception_reason(exc: BaseException) -> str:
    """A short reason for a library's exception, for a message's parentheses.

    The exception's text without a trailing full stop, cut to 200 characters; the
    exception's class name when it has no text (``KeyError()`` -> ``"KeyError"``).
    """
    msg = str(exc).strip().rstrip(".")
    return msg[:200] if msg else exc.__class__.__name__


class TableError(CorpusError):
    """A table (CSV, TSV, XLSX) that cannot be read: missing, empty, undecodable, too wide,
    malformed, or with a repeated column name; or a value that is not a valid unit id.

    Raised by :mod:`corpus.tables`; ``quant`` gives the same sentence as ``QuantError``
    (:mod:`quant.data.tables`), ``coding`` as ``CodingError``.
    """
