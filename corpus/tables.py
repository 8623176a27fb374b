"""Reading tables (CSV in any common Chinese encoding, XLSX) and normalising ids and values.

The one decoder of tables, shared by the city, dyad and agreement readers (through
:mod:`quant.data.tables`), the codebook and coded-segment imports and the case tables:
``read_table`` accepts a path or the bytes of an upload, ``normalise_code`` gives the string
form of a unit id, and ``numeric_where_possible`` turns text columns of numbers into numeric
columns. Refusals are :class:`corpus.errors.TableError` (one sentence).
"""
from __future__ import annotations

from i18n import _
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from corpus.archive import ArchiveError, check_zip
from corpus.errors import TableError

__all__ = ["is_missing", "normalise_code", "read_table", "numeric_where_possible"]

_INTEGRAL_TEXT = re.compile(r"^[+-]?\d+\.0*$")
_TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".tab")
_EXCEL_EXTENSIONS = (".xlsx", ".xlsm")


def _header(value: Any) -> str:
    """A column name as readers see it: NFKC (full-width ``Ｐｏｐ`` -> ``Pop``), invisible
    format and control characters removed, spaces collapsed, trimmed; so ``pop\u200b`` and
    ``pop`` are the same column (and a header holding both is refused as a repeat)."""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c in "\t\n\r")
    return " ".join(text.split())


def is_missing(value: Any) -> bool:
    """True for None, NA, NaN and blank strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def normalise_code(value: Any) -> str | None:
    """The string form of a unit id as stored in ``City.code``.

    Parameters
    ----------
    value : int, float, str or None
        An id as it came from a table: ``320500``, ``320500.0`` (a CSV column with gaps),
        ``" 320500 "``, ``"007"``.

    Returns
    -------
    str or None
        Integers and integral floats without a decimal part (``"320500"``), strings
        stripped (leading zeros kept), ``None`` for a missing value.

    Raises
    ------
    TableError
        A non-integral float (``3.5``) cannot be an id.
    """
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TableError(_("{value!r} is not a valid unit id (a boolean).").format(value=value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return str(int(value))
        raise TableError(_("{value!r} is not a valid unit id (a non-integral number).").format(value=value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if _INTEGRAL_TEXT.match(text) and "." in text:
        text = text.split(".")[0]
    return text


def _decode(data: bytes, label: str) -> str:
    """Text of a CSV file, decoded by the one reader every text file goes through
    (``corpus.read_txt.decode``: BOM, UTF-8, then GB18030 or Big5 chosen by how common the
    Chinese characters they give are, then charset-normalizer's guess)."""
    from corpus.errors import CorpusError
    from corpus.read_txt import decode

    try:
        text, _, _ = decode(data, label)
    except CorpusError as exc:
        raise TableError(str(exc)) from None
    return text


def _check_width(header: str, sep: str, label: str) -> None:
    """Refuse a header with more columns than ``corpus.read_txt.MAX_TABLE_COLUMNS`` before pandas
    parses the file (a 10 MB header of a million columns would take gigabytes)."""
    import csv

    from corpus.errors import CorpusError
    from corpus.read_txt import check_table_width

    try:
        check_table_width(len(next(csv.reader([header], delimiter=sep), [])), label)
    except CorpusError as exc:
        raise TableError(str(exc)) from None
    except csv.Error:
        pass  # pandas says what is wrong with the header


def _strip_comments(text: str) -> str:
    """Drop leading blank lines and lines starting with '#' (before the header)."""
    lines = text.splitlines(keepends=True)
    k = 0
    while k < len(lines) and (not lines[k].strip() or lines[k].lstrip().startswith("#")):
        k += 1
    return "".join(lines[k:])


def read_table(path_or_bytes: str | Path | bytes, filename: str | None = None, *, as_text: bool = False) -> pd.DataFrame:
    """Read a CSV or XLSX table (a file path, or the bytes of an upload plus its name).

    Parameters
    ----------
    path_or_bytes : str, Path or bytes
        A file path, or the file's bytes (then ``filename`` gives the format and the name
        used in messages).
    filename : str, optional
        The uploaded file's name (``"cities.xlsx"``); required with bytes.
    as_text : bool
        Keep every cell as text (ids keep leading zeros); default infers numeric columns.

    Returns
    -------
    DataFrame
        One row per data row. CSV: encoding detected (UTF-8 with or without BOM, GB18030,
        UTF-16 with BOM, else charset-normalizer); leading ``#`` comment lines and blank
        lines skipped; tab-separated when the header has tabs and no commas. XLSX: the
        first sheet, via openpyxl. Column names are shown as readers see them (NFKC,
        invisible characters removed, spaces collapsed).

    Raises
    ------
    TableError
        The file is missing, empty, of an unsupported type, not decodable, or malformed;
        an XLSX refused by ``corpus.archive.check_zip`` before openpyxl opens it (over
        10,000 entries, unsafe member names, inflating past 200 MB or 64 MB for one sheet,
        compression ratio over 100); the message names the file.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        if not filename:
            raise TableError(_("A table given as bytes needs its filename (to tell CSV from XLSX)."))
        data, label = bytes(path_or_bytes), filename
    else:
        path = Path(path_or_bytes)
        label = filename or str(path)
        if not path.is_file():
            raise TableError(_("{label} does not exist or is not a file.").format(label=label))
        data = path.read_bytes()
    suffix = Path(label).suffix.lower()
    if not data.strip():
        raise TableError(_("{label} is empty.").format(label=label))
    dtype = str if as_text else None
    if suffix in _EXCEL_EXTENSIONS or (suffix not in _TEXT_EXTENSIONS and data[:2] == b"PK"):
        try:  # entries, names, declared AND streamed inflated sizes, before openpyxl opens it
            check_zip(data, Path(label).name)
        except ArchiveError as exc:
            raise TableError(str(exc)) from None
        try:
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", dtype=dtype)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            raise TableError(_("{label} is not a readable XLSX workbook ({name__}: {exc}).").format(label=label, name__=exc.__class__.__name__, exc=exc)) from exc
    elif suffix in _TEXT_EXTENSIONS or suffix == "":
        text = _strip_comments(_decode(data, label))
        if not text.strip():
            raise TableError(_("{label} has no header line (only comments or blank lines).").format(label=label))
        header = text.splitlines()[0]
        sep = "\t" if (suffix in (".tsv", ".tab") or ("\t" in header and "," not in header)) else ","
        _check_width(header, sep, label)
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=dtype, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise TableError(f"{label} is not a well-formed CSV table ({exc}).".replace("\n", " ")) from exc
    else:
        raise TableError(_("{label} has an unsupported type {suffix!r}: use .csv or .xlsx.").format(label=label, suffix=suffix))
    frame.columns = [_header(c) for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed:")]
    if unnamed and frame[unnamed].isna().all().all():
        frame = frame.drop(columns=unnamed)
    if len(set(frame.columns)) < len(frame.columns):
        raise TableError(_("{label} repeats a column name in its header.").format(label=label))
    return frame


def numeric_where_possible(frame: pd.DataFrame, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """Convert each column whose non-empty cells all parse as numbers to a numeric dtype.

    Parameters
    ----------
    frame : DataFrame
        Any table (e.g. read with ``as_text=True``).
    exclude : iterable of str
        Columns left as they are (ids).

    Returns
    -------
    DataFrame
        A copy; converted columns are int64 where every value is integral and present,
        float64 otherwise; other columns keep their values with blank cells as missing.
    """
    out = frame.copy()
    skip = set(exclude)
    for col in out.columns:
        if col in skip:
            continue
        series = out[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            continue
        stripped = series.map(lambda v: None if is_missing(v) else (v.strip() if isinstance(v, str) else v))
        converted = pd.to_numeric(stripped, errors="coerce")
        if converted.notna().sum() == stripped.notna().sum() and stripped.notna().any():
            if converted.notna().all() and (converted % 1 == 0).all():
                converted = converted.astype("int64")
            out[col] = converted
        else:
            out[col] = stripped
    return out
