"""The codebook as a CSV table, for editing in a spreadsheet and exchange with any tool.

Columns: ``path, name, definition, inclusion, exclusion, example, colour, codable, guid``.
``path`` joins the names from the top with ``/`` (``Needs/Social needs``); ``codable`` is
``true`` or ``false`` (categories); ``guid`` is the persisted GUID (canonical form). The file
is UTF-8 with a byte-order mark so that spreadsheet programs read Chinese names, and a cell a
spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) starts with ``'``
(:mod:`coding.spreadsheet`); the import drops that quote again, so export → import is exact.

On import only ``path`` (or ``name`` for top-level codes) is required. Rows may come in
any order; a parent that has no row of its own is created as a category. Codes are
matched by GUID, then by path (:func:`coding.codebook_merge.merge_code_tree`).
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.codebook_merge import CodeNode, merge_code_tree
from coding.errors import CodingError
from coding.spreadsheet import restore, to_csv_bytes, to_csv_text, write_csv
from coding.tree import MAX_DEPTH, codebook
from corpus.name_keys import name_key

__all__ = ["CSV_COLUMNS", "export_codebook_csv", "import_codebook_csv"]

CSV_COLUMNS = ["path", "name", "definition", "inclusion", "exclusion", "example", "colour", "codable", "guid"]
_TRUE = {"", "true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}
_COLOUR = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


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
    book = codebook(session)
    guids = dict(session.execute(select(store.Code.id, store.Code.guid)).all())
    frame = pd.DataFrame({
        "path": book["path"], "name": book["name"], "definition": book["definition"],
        "inclusion": book["inclusion"], "exclusion": book["exclusion"], "example": book["example"],
        "colour": book["colour"], "codable": ["true" if c else "false" for c in book["codable"]],
        "guid": [guids[i] for i in book["id"]],
    }, columns=CSV_COLUMNS)
    if isinstance(path_or_buffer, (str, Path)):
        write_csv(frame, path_or_buffer)
    elif isinstance(path_or_buffer, io.TextIOBase):
        path_or_buffer.write(to_csv_text(frame))
    else:
        path_or_buffer.write(to_csv_bytes(frame))
    return len(frame)


def _read(source: Any) -> pd.DataFrame:
    from corpus.errors import CorpusError
    from corpus.read_txt import decode

    label = f"Codebook CSV {Path(source).name}" if isinstance(source, (str, Path)) else "The codebook CSV"
    try:
        if isinstance(source, (str, Path)):
            data = Path(source).read_bytes()
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            data = source.read()
        if isinstance(data, str):
            text = data
        else:  # the one reader of text files: UTF-8, BOMs, GB18030, Big5, ... (corpus.read_txt)
            text, _, _ = decode(data, label)
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        return frame.map(restore)  # undo the export's formula quote (coding.spreadsheet)
    except CorpusError as exc:
        raise CodingError(str(exc)) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CodingError(f"{label} cannot be read: {str(exc).rstrip('.')}.") from None


def _parts(row: dict[str, str], k: int) -> list[str]:
    path, name = row.get("path", "").strip(), row.get("name", "").strip()
    parts = [" ".join(p.split()) for p in path.split("/") if p.strip()] if path else ([name] if name else [])
    if not parts:
        raise CodingError(f"Codebook CSV row {k}: it has neither a path nor a name.")
    if name and " ".join(name.split()) != parts[-1]:
        raise CodingError(f"Codebook CSV row {k}: name {name!r} is not the last part of path {path!r}.")
    return parts


def _codable(value: str, k: int) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CodingError(f"Codebook CSV row {k}: codable {value!r} is not true or false.")


def read_codebook_csv(source: str | Path | bytes | io.IOBase) -> list[CodeNode]:
    """Parse a codebook CSV into a code tree without touching the project.

    Raises
    ------
    CodingError
        Unreadable file, no ``path``/``name`` column, a row without a path, a name that
        contradicts its path, a repeated path (compared by ``corpus.name_keys.name_key``,
        so full-width and zero-width variants repeat), a path deeper than
        ``coding.tree.MAX_DEPTH``, a bad ``codable`` or ``colour`` value.
    """
    frame = _read(source)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "path" not in frame.columns and "name" not in frame.columns:
        raise CodingError("Codebook CSV needs a 'path' (or 'name') column.")
    tops: list[CodeNode] = []
    nodes: dict[tuple[str, ...], CodeNode] = {}
    explicit: set[tuple[str, ...]] = set()
    for k, row in enumerate(frame.to_dict("records"), start=2):  # row 1 is the header
        parts = _parts(row, k)
        if len(parts) > MAX_DEPTH + 1:
            raise CodingError(f"Codebook CSV row {k}: the path is {len(parts)} levels deep; at most "
                              f"{MAX_DEPTH + 1} are allowed.")
        key = tuple(name_key(p) for p in parts)
        if key in explicit:
            raise CodingError(f"Codebook CSV row {k}: path {'/'.join(parts)!r} appears twice.")
        explicit.add(key)
        colour = row.get("colour", "").strip()
        if colour and not _COLOUR.match(colour):
            raise CodingError(f"Codebook CSV row {k}: colour {colour!r} is not #RRGGBB.")
        for depth in range(1, len(parts) + 1):
            sub = key[:depth]
            if sub not in nodes:
                node = CodeNode(name=parts[depth - 1], codable=False, implied=True,
                                where=f"CSV row {k} (parent {'/'.join(parts[:depth])!r} has no row: a category)")
                nodes[sub] = node
                (tops if depth == 1 else nodes[sub[:-1]].children).append(node)
        node = nodes[key]
        node.where, node.implied = f"CSV row {k}", False
        node.codable = _codable(row.get("codable", ""), k)
        node.colour = colour or None
        node.guid = row.get("guid", "").strip() or None
        for f in ("definition", "inclusion", "exclusion", "example"):
            setattr(node, f, row.get(f, ""))
    return tops


def import_codebook_csv(session: Session, source: str | Path | bytes | io.IOBase, *,
                        update_existing: bool = False, coder: str = "researcher") -> dict[str, Any]:
    """Import a codebook CSV into the project's codebook.

    Parameters
    ----------
    session : Session
    source : path, bytes or file object
    update_existing : bool
        Copy texts, colours and codability onto codes matched by GUID or path.
    coder : str

    Returns
    -------
    dict
        The report of :func:`coding.codebook_merge.merge_code_tree`.

    Raises
    ------
    CodingError
        Any problem of :func:`read_codebook_csv`; nothing is written then.
    """
    return merge_code_tree(session, read_codebook_csv(source), update_existing=update_existing, coder=coder)
