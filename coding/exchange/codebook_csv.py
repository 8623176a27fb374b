"""The codebook as a CSV table, for editing in a spreadsheet and exchange with any tool.

Columns: ``path, name, definition, inclusion, exclusion, example, colour, codable, guid``.
``path`` joins the names from the top with ``/`` (``Needs/Social needs``); ``codable`` is
``true`` or ``false`` (categories); ``guid`` is the persisted GUID (canonical form). The file
is UTF-8 with a byte-order mark so that spreadsheet programs read Chinese names, and a cell a
spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) starts with ``'``
(:mod:`coding.spreadsheet`); the import drops that quote again, so export → import is exact.

Import options (codebooks from other tools):

- **path column**: default ``path``; when the file has no ``path`` column, the one column
  whose header is a known alias (``code_path``, ``Code``, ``Pfad``, ``路径`` …, see
  :data:`PATH_ALIASES`) is used and named in the report; when several aliases fit the
  user must choose (``CodingError`` lists them), never a silent guess. A file without
  a header row (QualCoder's ``cat>>code<TAB>memo`` lists) is read as path, memo.
- **separator** between levels: ``/`` (Tandem), `` > `` (MAXQDA's code paths), ``>>``
  (QualCoder), ``\\`` (NVivo); default: the one found in most paths (``/`` when none is),
  said in the report. ATLAS.ti's ``group::code`` is *not* a level separator (ATLAS.ti
  code groups are not a hierarchy); a name holding ``::`` is kept whole and warned about.
- lines starting with ``#`` (outside a quoted cell) are comments and skipped; the column
  delimiter is a comma, a tab (when the header has one) or a semicolon (when the header
  has no comma);
- a name that still holds another tool's separator after splitting gets one warning
  sentence per separator, listing a few such names.

The file is decoded by the one reader of text files, :func:`corpus.read_txt.decode`
(UTF-8, BOM, UTF-16, GB18030, Big5). Codes are matched by GUID, then by path
(:func:`coding.exchange.codebook_merge.merge_code_tree`); rows may come in any order and a parent
without a row of its own is created as a category.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.exchange.codebook_merge import NO_COLOUR, CodeNode, merge_code_tree
from coding.exchange.codebook_table import (  # noqa: F401  (re-exported: the reader lives there)
    PATH_ALIASES, SEPARATORS, CodebookTable, read_codebook_table, table_columns, tree_from_table,
)
from coding.spreadsheet import to_csv_bytes, to_csv_text, write_csv
from coding.tree import codebook

__all__ = ["CSV_COLUMNS", "PATH_ALIASES", "SEPARATORS", "CodebookTable", "codebook_frame", "export_codebook_csv",
           "import_codebook_csv", "preview_codebook_csv", "read_codebook_csv", "read_codebook_table",
           "table_columns", "tree_from_table", "tree_preview"]

CSV_COLUMNS = ["path", "name", "definition", "inclusion", "exclusion", "example", "colour", "codable", "guid"]


def codebook_frame(session: Session) -> pd.DataFrame:
    """The codebook as the export table: one row per code in tree order, :data:`CSV_COLUMNS`."""
    book = codebook(session)
    guids = dict(session.execute(select(store.Code.id, store.Code.guid)).all())
    return pd.DataFrame({
        "path": book["path"], "name": book["name"], "definition": book["definition"],
        "inclusion": book["inclusion"], "exclusion": book["exclusion"], "example": book["example"],
        "colour": book["colour"], "codable": ["true" if c else "false" for c in book["codable"]],
        "guid": [guids[i] for i in book["id"]],
    }, columns=CSV_COLUMNS)


def export_codebook_csv(session: Session, path_or_buffer: str | Path | io.IOBase) -> int:
    """Write the codebook as CSV (one row per code, tree order).

    Parameters
    ----------
    session : Session
    path_or_buffer : str, Path, binary buffer or text buffer

    Returns
    -------
    int
        Number of rows (codes) written.
    """
    frame = codebook_frame(session)
    if isinstance(path_or_buffer, (str, Path)):
        write_csv(frame, path_or_buffer)
    elif isinstance(path_or_buffer, io.TextIOBase):
        path_or_buffer.write(to_csv_text(frame))
    else:
        path_or_buffer.write(to_csv_bytes(frame))
    return len(frame)



def read_codebook_csv(source: str | Path | bytes | io.IOBase, *, path_column: str | None = None,
                      separator: str | None = None) -> list[CodeNode]:
    """Parse a codebook CSV into a code tree without touching the project (options as
    :func:`read_codebook_table`; errors as :func:`tree_from_table`)."""
    return tree_from_table(read_codebook_table(source, path_column=path_column, separator=separator))


def tree_preview(nodes: list[CodeNode]) -> pd.DataFrame:
    """The tree as rows for a preview: ``depth`` (0 = top), ``name``, ``path`` (Tandem's ``/``
    form), ``codable``, ``category_only`` (a parent named only in a child's path)."""
    rows: list[tuple[int, str, str, bool, bool]] = []

    def walk(items: list[CodeNode], depth: int, prefix: str) -> None:
        for n in items:
            path = f"{prefix}/{n.name}" if prefix else str(n.name)
            rows.append((depth, str(n.name), path, bool(n.codable), bool(n.implied)))
            walk(n.children, depth + 1, path)

    walk(nodes, 0, "")
    return pd.DataFrame(rows, columns=["depth", "name", "path", "codable", "category_only"])


def _options(t: CodebookTable) -> dict[str, Any]:
    how = "detected" if t.detected else "chosen"
    return {"path_column": t.path_column, "separator": t.separator, "separator_detected": t.detected,
            "header": t.header, "comments": t.comments, "memo_column": t.memo_column,
            "columns": list(t.frame.columns), "n_rows": len(t.frame),
            "path_candidates": [c for c in t.frame.columns if c.lower() in ("path", *PATH_ALIASES)] if t.header
            else list(t.frame.columns),
            "summary": (f"Paths read from column {t.path_column!r}" if t.path_column else "Names read from column "
                        "'name'") + f", levels split on {t.separator!r} ({how})"
                       + ("" if t.header else "; the file has no header row (path, memo)")
                       + (f"; {t.comments} comment line(s) skipped" if t.comments else "") + "."}


def preview_codebook_csv(source: Any, *, path_column: str | None = None, separator: str | None = None,
                         table: CodebookTable | None = None) -> dict[str, Any]:
    """What an import would read, without touching the project.

    Returns
    -------
    dict
        ``path_column``, ``separator``, ``separator_detected``, ``header``, ``comments``,
        ``memo_column``, ``columns``, ``path_candidates``, ``n_rows``, ``summary`` (one
        sentence), ``tree`` (:func:`tree_preview`) and ``warnings``.

    Raises
    ------
    CodingError
        As :func:`read_codebook_table` and :func:`tree_from_table`.
    """
    t = table or read_codebook_table(source, path_column=path_column, separator=separator)
    tree = tree_preview(tree_from_table(t))
    return {**_options(t), "tree": tree, "warnings": list(t.warnings)}


def import_codebook_table(session: Session, t: CodebookTable, *, update_existing: bool = False,
                          coder: str = "researcher") -> dict[str, Any]:
    """Import a table read by :func:`read_codebook_table` (see :func:`import_codebook_csv`)."""
    nodes = tree_from_table(t)
    report = merge_code_tree(session, nodes, update_existing=update_existing, coder=coder)
    no_colour = _(NO_COLOUR).format(where="")  # the wording's tail, in the language it was written in
    plain = [w for w in report.get("warnings", []) if not w.endswith(no_colour)]
    n_default = len(report.get("warnings", [])) - len(plain)
    report["warnings"] = [*t.warnings, *plain] + ([_("{n} code(s) have no colour in the file; default colours are "
                                                    "used.").format(n=n_default)] if n_default else [])
    return {**report, **_options(t)}


def import_codebook_csv(session: Session, source: str | Path | bytes | io.IOBase, *,
                        update_existing: bool = False, coder: str = "researcher", path_column: str | None = None,
                        separator: str | None = None) -> dict[str, Any]:
    """Import a codebook CSV into the project's codebook.

    Parameters
    ----------
    session : Session
    source : path, bytes or file object
    update_existing : bool
        Copy texts, colours and codability onto codes matched by GUID or path.
    coder : str
    path_column, separator : str, optional
        See :func:`read_codebook_table`.

    Returns
    -------
    dict
        The report of :func:`coding.exchange.codebook_merge.merge_code_tree` (its ``warnings`` first
        list names holding another tool's separator), plus the options used:
        ``path_column``, ``separator``, ``separator_detected``, ``header``, ``comments``,
        ``summary`` ….

    Raises
    ------
    CodingError
        Any problem of :func:`read_codebook_table` or :func:`tree_from_table`; nothing is
        written then.
    """
    t = read_codebook_table(source, path_column=path_column, separator=separator)
    return import_codebook_table(session, t, update_existing=update_existing, coder=coder)
