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
(:func:`coding.codebook_merge.merge_code_tree`); rows may come in any order and a parent
without a row of its own is created as a category.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
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

__all__ = ["CSV_COLUMNS", "PATH_ALIASES", "SEPARATORS", "CodebookTable", "codebook_frame", "export_codebook_csv",
           "import_codebook_csv", "preview_codebook_csv", "read_codebook_csv", "read_codebook_table",
           "tree_preview"]

CSV_COLUMNS = ["path", "name", "definition", "inclusion", "exclusion", "example", "colour", "codable", "guid"]
SEPARATORS = {"/": "Tandem", " > ": "MAXQDA", ">>": "QualCoder", "\\": "NVivo"}
"""Level separators offered, with the tool that writes each."""
_FOREIGN = {**SEPARATORS, "::": "ATLAS.ti"}  # looked for inside names after splitting
PATH_ALIASES = ("code_path", "code path", "codepath", "code", "codes", "code name", "code system", "pfad",
                "codepfad", "kode", "路径", "代码路径", "编码路径", "代码", "编码")
"""Headers accepted (case-insensitive) as the path column when the file has no ``path`` column."""
_MEMO_ALIASES = ("memo", "定义", "description", "beschreibung", "kommentar", "comment", "备注", "说明", "描述")
_FIELDS = ("name", "definition", "inclusion", "exclusion", "example", "colour", "color", "codable", "guid")
_TRUE = {"", "true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}
_COLOUR = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


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


@dataclass
class CodebookTable:
    """A codebook table read from a file, with the options that were used.

    ``frame`` holds text cells (``""`` when empty) under the file's own headers (or
    ``column 1``, ``column 2`` … without a header row); ``path_column`` is the header read as
    the path; ``separator`` the level separator and ``detected`` whether it was detected
    (not given); ``comments`` the number of ``#`` lines skipped; ``warnings`` sentences.
    """

    frame: pd.DataFrame
    label: str
    path_column: str | None
    separator: str
    detected: bool
    header: bool = True
    comments: int = 0
    memo_column: str | None = None
    warnings: list[str] = field(default_factory=list)


def _header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join("".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc")).split())


def _decode(source: Any) -> tuple[str, str]:
    from corpus.errors import CorpusError
    from corpus.read_txt import decode

    label = f"Codebook CSV {Path(source).name}" if isinstance(source, (str, Path)) else "Codebook CSV"
    try:
        if isinstance(source, (str, Path)):
            data = Path(source).read_bytes()
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            data = source.read()
        if isinstance(data, str):
            return data, label
        text, _, _ = decode(data, label)  # the one reader of text files (corpus.read_txt)
        return text, label
    except CorpusError as exc:
        raise CodingError(str(exc)) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CodingError(f"{label} cannot be read: {str(exc).rstrip('.')}.") from None


def _drop_comments(text: str) -> tuple[list[str], int]:
    """Lines without ``#`` comments and blank lines (a line inside a quoted cell is never one)."""
    kept, skipped, quoted = [], 0, False
    for line in text.lstrip("\ufeff").splitlines():
        if not quoted and (line.lstrip().startswith("#") or not line.strip()):
            skipped += line.lstrip().startswith("#")
            continue
        kept.append(line)
        quoted ^= line.count('"') % 2 == 1
    return kept, skipped


def _delimiter(lines: list[str]) -> str:
    head = lines[0]
    if "\t" in head or (any("\t" in ln for ln in lines[:50]) and not any("," in ln for ln in lines[:50])):
        return "\t"
    if ";" in head and "," not in head:
        return ";"
    return ","


def _known(cell: str) -> bool:
    key = cell.strip().lower()
    return key in ("path", *PATH_ALIASES, *_MEMO_ALIASES, *_FIELDS)


def choose_path_column(columns: list[str], path_column: str | None, label: str) -> str | None:
    """The header to read paths from (see the module notes); ``None`` for a name-only table.

    Raises
    ------
    CodingError
        ``path_column`` is not a column, or several aliases fit and none was chosen.
    """
    lower = {c.lower(): c for c in columns}
    if path_column is not None:
        found = lower.get(_header(path_column).lower())
        if found is None:
            raise CodingError(f"{label} has no column {path_column!r}; its columns are {', '.join(columns)}.")
        return found
    if "path" in lower:
        return lower["path"]
    fits = [c for c in columns if c.lower() in PATH_ALIASES]
    if len(fits) > 1:
        raise CodingError(f"{label} has several columns that could hold the code paths ({', '.join(fits)}); "
                          "choose one as the path column.")
    return fits[0] if fits else None


def detect_separator(paths: list[str]) -> str:
    """The separator of :data:`SEPARATORS` found in most paths (``/`` when none is; ties go to
    the order ``>>``, `` > ``, ``\\``, ``/``)."""
    counts = {sep: sum(sep in p for p in paths) for sep in (">>", " > ", "\\", "/")}
    best = max(counts.values())
    return "/" if best == 0 else next(sep for sep, n in counts.items() if n == best)


def _parse(source: Any, path_column: str | None, label: str | None) -> tuple[pd.DataFrame, bool, int, str]:
    """(text cells, has a header row, comment lines skipped, label) of a CSV/TSV file."""
    text, own = _decode(source)
    label = label or own
    lines, comments = _drop_comments(text)
    if not lines:
        raise CodingError(f"{label} has no rows (only comments or blank lines).")
    try:
        records = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=_delimiter(lines)))
    except csv.Error as exc:
        raise CodingError(f"{label} is not a well-formed CSV table: {str(exc).rstrip('.')}.") from None
    first = [_header(c) for c in records[0]]
    wanted = None if path_column is None else _header(path_column).lower()
    header = any(_known(c) for c in first) or (wanted is not None and wanted in [c.lower() for c in first])
    width = max(len(r) for r in records)
    if header:
        columns = [c or f"column {k + 1}" for k, c in enumerate(first)] + \
                  [f"column {k + 1}" for k in range(len(first), width)]
        records = records[1:]
    else:
        columns = [f"column {k + 1}" for k in range(width)]
    if len({c.lower() for c in columns}) < len(columns):
        raise CodingError(f"{label} repeats a column name in its header.")
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in records], columns=columns, dtype=str)
    return frame, header, comments, label


def table_columns(source: Any) -> list[str]:
    """The columns of a codebook CSV as :func:`read_codebook_table` names them (``column 1`` …
    without a header row), for offering a choice of path column.

    Raises
    ------
    CodingError
        Unreadable or malformed file.
    """
    return list(_parse(source, None, None)[0].columns)


def read_codebook_table(source: Any, *, path_column: str | None = None, separator: str | None = None,
                        frame: pd.DataFrame | None = None, label: str | None = None) -> CodebookTable:
    """Read a codebook table and settle its options (nothing is parsed into codes yet).

    Parameters
    ----------
    source : path, bytes or file object
        A CSV (or tab-separated) file; ignored when ``frame`` is given.
    path_column : str, optional
        The header holding the code paths (default: ``path``, else the one alias that fits).
    separator : {"/", " > ", ">>", "\\\\"}, optional
        Level separator (default: detected from the rows).
    frame : DataFrame, optional
        A table already read (the XLSX reader), cells as text.
    label : str, optional
        How messages name the file.

    Raises
    ------
    CodingError
        Unreadable file, an unknown separator, a missing or ambiguous path column.
    """
    if separator is not None and separator not in SEPARATORS:
        raise CodingError(f"Separator {separator!r} is not offered; use one of "
                          f"{', '.join(repr(s) for s in SEPARATORS)}.")
    comments, header = 0, True
    if frame is None:
        frame, header, comments, label = _parse(source, path_column, label)
    else:
        label = label or "The codebook table"
        frame = frame.copy()
        frame.columns = [_header(c) for c in frame.columns]
        frame = frame.fillna("").astype(str)
    frame = frame.map(restore)  # undo the export's formula quote (coding.spreadsheet)
    columns = list(frame.columns)
    memo = None
    if header:
        chosen = choose_path_column(columns, path_column, label)
        lower = {c.lower(): c for c in columns}
        if chosen is None and "name" not in lower:
            raise CodingError(f"{label} needs a 'path' (or 'name') column; its columns are {', '.join(columns)}.")
        if "definition" not in lower:
            memo = next((lower[a] for a in _MEMO_ALIASES if a in lower), None)
    else:
        chosen = choose_path_column(columns, path_column or "column 1", label)
        memo = "column 2" if "column 2" in columns and chosen != "column 2" else None
    paths = [p for p in frame[chosen]] if chosen else []
    sep = separator if separator is not None else detect_separator(paths)
    return CodebookTable(frame=frame, label=label, path_column=chosen, separator=sep, detected=separator is None,
                         header=header, comments=comments, memo_column=memo)


def _parts(row: dict[str, str], t: CodebookTable, k: int) -> list[str]:
    path = row.get(t.path_column, "").strip() if t.path_column else ""
    name = row.get("name", "").strip() if t.header else ""
    if path:
        parts = [" ".join(p.split()) for p in path.split(t.separator) if p.strip()]
    else:
        parts = [name] if name else []
    if not parts:
        raise CodingError(f"{t.label} row {k}: it has neither a path nor a name.")
    if name and " ".join(name.split()) != parts[-1]:
        raise CodingError(f"{t.label} row {k}: name {name!r} is not the last part of path {path!r}.")
    return parts


def _codable(value: str, k: int, label: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CodingError(f"{label} row {k}: codable {value!r} is not true or false.")


def _foreign_warnings(names: list[str], t: CodebookTable) -> list[str]:
    out = []
    for sep, tool in _FOREIGN.items():
        if sep == t.separator or (sep == "/" and t.separator == "//"):
            continue
        hits = list(dict.fromkeys(n for n in names if sep in n))
        if not hits:
            continue
        shown = ", ".join(repr(n) for n in hits[:3]) + (f" and {len(hits) - 3} more" if len(hits) > 3 else "")
        if sep == "::":
            advice = "ATLAS.ti's group prefix is kept as part of the name"
        elif sep == "/":
            advice = "'/' in a name is stored as '／'; choose '/' as the separator if these are levels"
        else:
            advice = f"choose {sep!r} as the separator if these are levels"
        out.append(f"{len(hits)} code name(s) still hold {sep!r} ({tool}'s separator) after splitting on "
                   f"{t.separator!r}: {shown}; {advice}.")
    return out


def tree_from_table(t: CodebookTable) -> list[CodeNode]:
    """The code tree of a table read by :func:`read_codebook_table`; warnings go to ``t.warnings``.

    Raises
    ------
    CodingError
        A row without a path, a name that contradicts its path, a repeated path (compared
        by ``corpus.name_keys.name_key``, so full-width and zero-width variants repeat), a
        path deeper than ``coding.tree.MAX_DEPTH``, a bad ``codable`` or ``colour`` value.
    """
    lower = {c.lower(): c for c in t.frame.columns} if t.header else {}
    get = {f: lower.get(f) for f in _FIELDS}
    get["colour"] = get["colour"] or get.pop("color", None)
    get["definition"] = get["definition"] or t.memo_column
    tops: list[CodeNode] = []
    nodes: dict[tuple[str, ...], CodeNode] = {}
    explicit: set[tuple[str, ...]] = set()
    names: list[str] = []
    for k, raw in enumerate(t.frame.to_dict("records"), start=2 if t.header else 1):
        row = {**raw, **{f: raw.get(col, "") for f, col in get.items() if col}}
        parts = _parts(row, t, k)
        if len(parts) > MAX_DEPTH + 1:
            raise CodingError(f"{t.label} row {k}: the path is {len(parts)} levels deep; at most "
                              f"{MAX_DEPTH + 1} are allowed.")
        names += parts
        key = tuple(name_key(p) for p in parts)
        shown = t.separator.join(parts)
        if key in explicit:
            raise CodingError(f"{t.label} row {k}: path {shown!r} appears twice.")
        explicit.add(key)
        colour = row.get("colour", "").strip()
        if colour and not _COLOUR.match(colour):
            raise CodingError(f"{t.label} row {k}: colour {colour!r} is not #RRGGBB.")
        for depth in range(1, len(parts) + 1):
            sub = key[:depth]
            if sub not in nodes:
                node = CodeNode(name=parts[depth - 1], codable=False, implied=True,
                                where=f"row {k} (parent {t.separator.join(parts[:depth])!r} has no row: a category)")
                nodes[sub] = node
                (tops if depth == 1 else nodes[sub[:-1]].children).append(node)
        node = nodes[key]
        node.where, node.implied = f"row {k}", False
        node.codable = _codable(row.get("codable", ""), k, t.label)
        node.colour = colour or None
        node.guid = row.get("guid", "").strip() or None
        for f in ("definition", "inclusion", "exclusion", "example"):
            setattr(node, f, row.get(f, ""))
    t.warnings += _foreign_warnings(names, t)
    return tops


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
    plain = [w for w in report.get("warnings", []) if not w.endswith(": no colour; a default colour is used.")]
    n_default = len(report.get("warnings", [])) - len(plain)
    report["warnings"] = [*t.warnings, *plain] + ([f"{n_default} code(s) have no colour in the file; default "
                                                  "colours are used."] if n_default else [])
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
        The report of :func:`coding.codebook_merge.merge_code_tree` (its ``warnings`` first
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
