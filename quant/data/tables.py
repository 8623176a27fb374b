"""The one table reader (:mod:`corpus.tables`) as ``quant`` uses it: the same functions, with a
refusal raised as :class:`quant.errors.QuantError` (the same sentence).

``read_table`` accepts a path or the bytes of an upload, ``normalise_code`` gives the string form
of a unit id, ``numeric_where_possible`` turns text columns of numbers into numeric columns and
``is_missing`` tells a blank cell; see :mod:`corpus.tables` for their parameters.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from corpus import tables as _tables
from corpus.errors import TableError
from corpus.tables import is_missing, numeric_where_possible
from quant.errors import QuantError

__all__ = ["is_missing", "normalise_code", "read_table", "numeric_where_possible"]


def read_table(path_or_bytes: str | Path | bytes, filename: str | None = None, *, as_text: bool = False) -> pd.DataFrame:
    """:func:`corpus.tables.read_table`.

    Raises
    ------
    QuantError
        The reader's one sentence (missing, empty, undecodable, malformed, repeated column).
    """
    try:
        return _tables.read_table(path_or_bytes, filename, as_text=as_text)
    except TableError as exc:
        raise QuantError(str(exc)) from exc


def normalise_code(value: Any) -> str | None:
    """:func:`corpus.tables.normalise_code`.

    Raises
    ------
    QuantError
        A boolean or a non-integral number given as a unit id.
    """
    try:
        return _tables.normalise_code(value)
    except TableError as exc:
        raise QuantError(str(exc)) from exc
