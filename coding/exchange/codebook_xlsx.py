"""The codebook as an XLSX workbook: the same table as the CSV (:data:`coding.exchange.codebook_csv.CSV_COLUMNS`),
written through :mod:`coding.spreadsheet` (text cells never formulas, a leading ``= + - @``
quoted) and read back with the same options as the CSV (path column, separator).

The workbook is read by :func:`corpus.tables.read_table` (first sheet; the archive is checked by
``corpus.archive.check_zip`` before openpyxl opens it), imported lazily so that ``coding`` does
not depend on ``quant`` at import time.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from i18n import _
from coding.exchange.codebook_csv import (
    CodebookTable, codebook_frame, import_codebook_table, preview_codebook_csv, read_codebook_table,
)
from coding.errors import CodingError
from coding.spreadsheet import to_xlsx_bytes, write_xlsx

__all__ = ["export_codebook_xlsx", "import_codebook_xlsx", "preview_codebook_xlsx", "read_codebook_xlsx"]


def export_codebook_xlsx(session: Session, target: str | Path | io.IOBase) -> int:
    """Write the codebook as an XLSX workbook (sheet "Codebook", one row per code in tree order).

    Parameters
    ----------
    session : Session
    target : str, Path or binary buffer

    Returns
    -------
    int
        Number of rows (codes) written.
    """
    frame = codebook_frame(session)
    if isinstance(target, (str, Path)):
        write_xlsx(frame, target, sheet="Codebook")
    else:
        target.write(to_xlsx_bytes(frame, sheet="Codebook"))
    return len(frame)


def read_codebook_xlsx(source: str | Path | bytes, filename: str = "codebook.xlsx", *,
                       path_column: str | None = None, separator: str | None = None) -> CodebookTable:
    """Read the first sheet of a workbook as a codebook table (options as
    :func:`coding.exchange.codebook_csv.read_codebook_table`).

    Raises
    ------
    CodingError
        Not a readable workbook (one sentence naming the file), or as the CSV reader.
    """
    from corpus.errors import TableError
    from corpus.tables import read_table

    name = Path(source).name if isinstance(source, (str, Path)) else filename
    try:
        frame = read_table(source if isinstance(source, (str, Path)) else bytes(source), name, as_text=True)
    except TableError as exc:
        raise CodingError(str(exc)) from None
    label = _("Codebook workbook {name}").format(name=name)
    return read_codebook_table(None, frame=frame, label=label, path_column=path_column,
                               separator=separator)


def preview_codebook_xlsx(source: str | Path | bytes, filename: str = "codebook.xlsx", **options: Any) -> dict:
    """As :func:`coding.exchange.codebook_csv.preview_codebook_csv`, for a workbook."""
    return preview_codebook_csv(None, table=read_codebook_xlsx(source, filename, **options))


def import_codebook_xlsx(session: Session, source: str | Path | bytes, filename: str = "codebook.xlsx", *,
                         update_existing: bool = False, coder: str = "researcher", path_column: str | None = None,
                         separator: str | None = None) -> dict[str, Any]:
    """Import a codebook workbook (report as :func:`coding.exchange.codebook_csv.import_codebook_csv`).

    Raises
    ------
    CodingError
        As :func:`read_codebook_xlsx`; nothing is written then.
    """
    table = read_codebook_xlsx(source, filename, path_column=path_column, separator=separator)
    return import_codebook_table(session, table, update_existing=update_existing, coder=coder)
