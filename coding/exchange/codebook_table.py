"""Reading a codebook table from any tool (CSV/TSV/TXT, or a frame read from XLSX) into a code tree.

The options and rules are those of :mod:`coding.exchange.codebook_csv` (module notes there): the path
column (``path``, else the one alias that fits, else asked for), the level separator
(:data:`SEPARATORS`, detected from the rows when not given), ``#`` comment lines, files
without a header row (QualCoder: ``cat>>code<TAB>memo``), and one warning per other tool's
separator left inside names (ATLAS.ti's ``::`` is never a separator: kept in the name, warned).
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

from coding.exchange.codebook_merge import CodeNode
from corpus.errors import CorpusError
from corpus.read_txt import check_table_width
from coding.errors import CodingError
from coding.spreadsheet import restore
from coding.tree import MAX_DEPTH
from corpus.name_keys import name_key

from i18n import _

__all__ = ["PATH_ALIASES", "SEPARATORS", "CodebookTable", "choose_path_column", "detect_separator",
           "read_codebook_table", "table_columns", "tree_from_table"]

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

    label = (_("Codebook CSV {name}").format(name=Path(source).name) if isinstance(source, (str, Path))
             else _("Codebook CSV"))
    try:
        if isinstance(source, (str, Path)):
            data = Path(source).read_bytes()
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            data = source.read()
        if isinstance(data, str):
            return data, label
        text, _unused, _unused = decode(data, label)  # the one reader of text files (corpus.read_txt)
        return text, label
    except CorpusError as exc:
        raise CodingError(str(exc)) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CodingError(_("{label} cannot be read: {rstrip}.").format(
                            label=label, rstrip=str(exc).rstrip('.'))) from None


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
            raise CodingError(_("{label} has no column {path_column!r}; its columns are {names}.").format(
                                label=label, path_column=path_column, names=', '.join(columns)))
        return found
    if "path" in lower:
        return lower["path"]
    fits = [c for c in columns if c.lower() in PATH_ALIASES]
    if len(fits) > 1:
        raise CodingError(_("{label} has several columns that could hold the code paths ({names}); choose one as the "
                            "path column.").format(label=label, names=', '.join(fits)))
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
        raise CodingError(_("{label} has no rows (only comments or blank lines).").format(label=label))
    try:
        records = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=_delimiter(lines)))
    except csv.Error as exc:
        raise CodingError(_("{label} is not a well-formed CSV table: {rstrip}.").format(
                            label=label, rstrip=str(exc).rstrip('.'))) from None
    width = max(len(r) for r in records)
    try:
        check_table_width(width, label)
    except CorpusError as exc:
        raise CodingError(str(exc)) from None
    first = [_header(c) for c in records[0]]
    wanted = None if path_column is None else _header(path_column).lower()
    header = any(_known(c) for c in first) or (wanted is not None and wanted in [c.lower() for c in first])
    if header:
        columns = [c or f"column {k + 1}" for k, c in enumerate(first)] + \
                  [f"column {k + 1}" for k in range(len(first), width)]
        records = records[1:]
    else:
        columns = [f"column {k + 1}" for k in range(width)]
    if len({c.lower() for c in columns}) < len(columns):
        raise CodingError(_("{label} repeats a column name in its header.").format(label=label))
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
        raise CodingError(_("Separator {separator!r} is not offered; use one of {names}.").format(
                            separator=separator, names=', '.join(repr(s) for s in SEPARATORS)))
    comments, header = 0, True
    if frame is None:
        frame, header, comments, label = _parse(source, path_column, label)
    else:
        label = label or _("The codebook table")
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
            raise CodingError(_("{label} needs a 'path' (or 'name') column; its columns are {names}.").format(
                                label=label, names=', '.join(columns)))
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
        raise CodingError(_("{label} row {k}: it has neither a path nor a name.").format(label=t.label, k=k))
    if name and " ".join(name.split()) != parts[-1]:
        raise CodingError(_("{label} row {k}: name {name!r} is not the last part of path {path!r}.").format(
                            label=t.label, k=k, name=name, path=path))
    return parts


def _codable(value: str, k: int, label: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CodingError(_("{label} row {k}: codable {value!r} is not true or false.").format(
                        label=label, k=k, value=value))


def _foreign_warnings(names: list[str], t: CodebookTable) -> list[str]:
    out = []
    for sep, tool in _FOREIGN.items():
        if sep == t.separator or (sep == "/" and t.separator == "//"):
            continue
        hits = list(dict.fromkeys(n for n in names if sep in n))
        if not hits:
            continue
        shown = ", ".join(repr(n) for n in hits[:3])
        if len(hits) > 3:
            shown = _("{names} and {n} more").format(names=shown, n=len(hits) - 3)
        if sep == "::":
            advice = _("ATLAS.ti's group prefix is kept as part of the name")
        elif sep == "/":
            advice = _("'/' in a name is stored as '／'; choose '/' as the separator if these are levels")
        else:
            advice = _("choose {sep!r} as the separator if these are levels").format(sep=sep)
        out.append(_("{n} code name(s) still hold {sep!r} ({tool}'s separator) after splitting on {separator!r}: "
                     "{names}; {advice}.").format(n=len(hits), sep=sep, tool=tool, separator=t.separator,
                                                  names=shown, advice=advice))
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
            raise CodingError(_("{label} row {k}: the path is {n} levels deep; at most {value} are allowed.").format(
                                label=t.label, k=k, n=len(parts), value=MAX_DEPTH + 1))
        names += parts
        key = tuple(name_key(p) for p in parts)
        shown = t.separator.join(parts)
        if key in explicit:
            raise CodingError(_("{label} row {k}: path {shown!r} appears twice.").format(
                                label=t.label, k=k, shown=shown))
        explicit.add(key)
        colour = row.get("colour", "").strip()
        if colour and not _COLOUR.match(colour):
            raise CodingError(_("{label} row {k}: colour {colour!r} is not #RRGGBB.").format(
                                label=t.label, k=k, colour=colour))
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


