"""Case/variable tables from any tool: one row per document or per city, columns as attributes.

A table (CSV in any encoding the one decoder reads, or XLSX; :func:`quant.data.tables.read_table`)
names each case in an id column:

- ``per="document"``: the cell is a document's name, or its file name without the extension
  (``ID1`` names ``ID1.docx``, as QualCoder's case tables do); names are compared by
  ``corpus.name_keys.name_key`` (full-width, invisible and case differences ignored), and a
  traditional name that matches nothing is tried again in simplified form. The
  other columns go into ``Document.attributes`` (numbers as numbers, the rest as text).
- ``per="city"``: the cell is an adcode, full name, short name or pinyin, resolved by the
  project's city resolver (:func:`quant.data.project.city_resolver`, the one ``quant.data.cities`` uses;
  a traditional name such as 廣州市 is tried again as 广州市);
  the other columns go into ``city_attributes`` (numeric columns in ``value``, others in
  ``text``).

The id column: the one given, else the one header that names cases (:data:`ID_ALIASES`:
``case``, ``document``, ``name``, ``city``, ``adcode`` …); several such headers are refused
(the user chooses), none means the first column (said in the report). Empty cells are not
written (an import never deletes a value). One import is one undoable change (an
``attributes_set`` event of row ops, :mod:`coding.eventlog.undo`).

``quant`` is imported inside the functions: ``coding`` sits to its left in the package order.
"""
from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any, Callable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import i18n
from i18n import N_, _
import store
from coding.doc_attributes import attribute_ops, check_attribute_name, check_attribute_value, write_attribute_ops
from coding.errors import CodingError
from coding.eventlog.events import stored_description
from corpus.name_keys import name_key

__all__ = ["ID_ALIASES", "PER", "import_case_table", "match_case_table", "read_case_table"]

PER = ("document", "city")
ID_ALIASES = {
    "document": ("case", "cases", "case name", "document", "doc", "document name", "file", "filename", "file name",
                 "source", "name", "id", "fall", "dokument", "个案", "案例", "文档", "文件", "名称"),
    "city": ("code", "adcode", "city_code", "city", "city_name", "name", "name_zh", "城市", "地级市",
             "城市名称",
             "行政区划代码", "case"),
}


def read_case_table(source: str | Path | bytes, filename: str | None = None) -> pd.DataFrame:
    """The table as text cells (CSV/XLSX, encoding detected by the one decoder).

    Raises
    ------
    CodingError
        The file is missing, empty, unreadable or malformed (the sentence of
        :func:`quant.data.tables.read_table`), or has no data rows.
    """
    from quant.errors import QuantError
    from quant.data.tables import read_table

    try:
        frame = read_table(source, filename, as_text=True)
    except QuantError as exc:
        raise CodingError(str(exc)) from None
    if frame.empty:
        raise CodingError(_("{value} has no data rows.").format(value=filename or Path(str(source)).name))
    return frame


def _id_column(frame: pd.DataFrame, per: str, id_column: str | None) -> tuple[str, bool]:
    columns = [str(c) for c in frame.columns]
    if id_column is not None:
        if id_column not in columns:
            raise CodingError(_("The table has no column {id_column!r}; its columns are {names}.").format(
                                id_column=id_column, names=', '.join(columns)))
        return id_column, False
    lower = [c.lower() for c in columns]
    fits = [c for c, low in zip(columns, lower) if low in ID_ALIASES[per]]
    if len(fits) > 1:
        message = (_("Several columns could name the document of each row ({names}); choose the id column.")
                   if per == "document" else
                   _("Several columns could name the city of each row ({names}); choose the id column."))
        raise CodingError(message.format(names=", ".join(fits)))
    return (fits[0], False) if fits else (columns[0], True)


def _values(column: pd.Series) -> tuple[list[Any], bool]:
    """Cells as numbers when every non-empty cell of the column is one, else as trimmed text."""
    from quant.data.tables import is_missing

    cells = [None if is_missing(v) else str(v).strip() for v in column]
    numbers = pd.to_numeric(pd.Series([c for c in cells if c is not None], dtype=object), errors="coerce")
    numeric = len(numbers) > 0 and bool(numbers.notna().all())
    if not numeric:
        return cells, False
    out = []
    for c in cells:
        if c is None:
            out.append(None)
        else:
            x = float(c)
            out.append(int(x) if x.is_integer() and "." not in c and "e" not in c.lower() else x)
    return out, True


def _document_matcher(session: Session) -> Callable[[str], tuple[int | None, str | None, str | None]]:
    rows = session.execute(select(store.Document.id, store.Document.name)
                           .where(store.Document.superseded_by.is_(None)).order_by(store.Document.id)).all()
    by_name: dict[str, list[tuple[int, str]]] = {}
    by_stem: dict[str, list[tuple[int, str]]] = {}
    for doc_id, name in rows:
        by_name.setdefault(name_key(name), []).append((doc_id, name))
        stem = PurePath(name).stem if PurePath(name).suffix else None
        if stem:
            by_stem.setdefault(name_key(stem), []).append((doc_id, name))

    def match(value: str) -> tuple[int | None, str | None, str | None]:
        for table in (by_name, by_stem):
            found = table.get(name_key(value), [])
            if len(found) == 1:
                return found[0][0], found[0][1], None
            if len(found) > 1:
                return None, None, _("names {n} documents ({names})").format(n=len(found), names=", ".join(n for _unused, n in found[:3]))
        return None, None, _("matches no document name or file name")
    return _or_folded(match)


def _or_folded(match: Callable) -> Callable:
    """``match``, retried on the simplified form of a traditional name (廣州市 -> 广州市,
    :func:`coding.folding.fold`) when the name itself matches nothing."""
    from coding.folding import fold

    def again(value: str):
        key, label, reason = match(value)
        if key is None and fold(value) != value:
            folded = match(fold(value))
            if folded[0] is not None:
                return folded
        return key, label, reason
    return again


def _city_matcher(session: Session) -> Callable[[str], tuple[str | None, str | None, str | None]]:
    from quant.data.project import city_resolver
    from quant.errors import QuantError

    try:
        resolver = city_resolver(session)
    except QuantError as exc:
        raise CodingError(str(exc)) from None

    def match(value: str) -> tuple[str | None, str | None, str | None]:
        try:
            with i18n.using("en"):  # the resolver's English words tell an ambiguous name from an unknown one
                code = resolver.resolve(value)
        except QuantError as exc:
            return None, None, (_("is ambiguous") if "ambiguous" in str(exc)
                                else _("matches no city of the project"))
        return code, resolver.name(code), None
    return _or_folded(match)


def match_case_table(session: Session, frame: pd.DataFrame, *, per: str, id_column: str | None = None) -> dict:
    """How a table's rows match the project's documents or cities, and what an import would change.

    Parameters
    ----------
    frame : DataFrame
        From :func:`read_case_table`.
    per : {"document", "city"}
    id_column : str, optional
        The column naming each row's case (default: see the module notes).

    Returns
    -------
    dict
        ``per``, ``id_column``, ``id_column_guessed`` (True when no header named cases and the
        first column was taken), ``columns`` (attribute columns imported), ``skipped_columns``
        (``{column: reason}``, e.g. a reserved or empty name), ``numeric`` (numeric columns),
        ``matched`` (DataFrame ``row, value, matched`` — the name of the document or city —
        and a hidden ``key``: document id or city code), ``unmatched`` (list of
        ``{"row", "value", "reason"}``), ``changes`` (key -> {column: value}) and
        ``overwritten`` (list of ``{"row", "matched", "name", "before", "after"}``: values
        that differ from what is stored).

    Raises
    ------
    CodingError
        ``per`` unknown, the id column missing or ambiguous, no cities in the project (per city).
    """
    if per not in PER:
        raise CodingError(_("Import per {per!r} is unknown; use 'document' or 'city'.").format(per=per))
    column, guessed = _id_column(frame, per, id_column)
    columns, skipped, numeric, values = [], {}, [], {}
    for col in frame.columns:
        if col == column:
            continue
        try:
            name = check_attribute_name(str(col))
        except CodingError as exc:
            skipped[str(col)] = str(exc)
            continue
        cells, is_num = _values(frame[col])
        if all(v is None for v in cells):
            skipped[str(col)] = _("Column {column!r} is empty.").format(column=col)
            continue
        columns.append(name)
        values[name] = cells
        numeric += [name] if is_num else []
    match = _document_matcher(session) if per == "document" else _city_matcher(session)
    matched, unmatched, changes, seen = [], [], {}, {}
    for k, raw in enumerate(frame[column].tolist()):
        row = k + 2  # the header is line 1
        value = "" if raw is None or (isinstance(raw, float) and pd.isna(raw)) else str(raw).strip()
        if not value:
            unmatched.append({"row": row, "value": "", "reason": _("has no name in the id column")})
            continue
        key, label, reason = match(value)
        if key is None:
            unmatched.append({"row": row, "value": value, "reason": reason})
            continue
        if key in seen:
            unmatched.append({"row": row, "value": value, "reason": _("names {label} again (row {row} is used)").format(
                label=label, row=seen[key])})
            continue
        seen[key] = row
        matched.append((row, value, label, key))
        changes[key] = {c: check_attribute_value(values[c][k], f"column {c!r}") for c in columns
                        if values[c][k] is not None}
    out = {"per": per, "id_column": column, "id_column_guessed": guessed, "columns": columns,
           "skipped_columns": skipped, "numeric": numeric, "unmatched": unmatched, "changes": changes,
           "matched": pd.DataFrame(matched, columns=["row", "value", "matched", "key"])}
    out["overwritten"] = _overwritten(session, out)
    return out


def _stored(session: Session, per: str, keys: list[Any]) -> dict[Any, dict[str, Any]]:
    if per == "document":
        rows = session.execute(select(store.Document.id, store.Document.attributes)
                               .where(store.Document.id.in_(keys))).all() if keys else []
        return {i: dict(a or {}) for i, a in rows}
    a = store.CityAttribute
    out: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        for code, name, value, text in session.execute(select(a.city_code, a.name, a.value, a.text)
                                                       .where(a.city_code.in_(keys[start:start + 500]))):
            out.setdefault(code, {})[name] = text if value is None else value
    return out


def _overwritten(session: Session, m: dict) -> list[dict[str, Any]]:
    stored = _stored(session, m["per"], list(m["changes"]))
    rows = {key: (row, label) for row, _unused, label, key in m["matched"].itertuples(index=False)}
    out = []
    for key, values in m["changes"].items():
        for name, after in values.items():
            before = stored.get(key, {}).get(name)
            same = before == after or (isinstance(before, float) and isinstance(after, (int, float))
                                       and float(after) == before)
            if before is not None and not same:
                out.append({"row": rows[key][0], "matched": rows[key][1], "name": name, "before": before,
                            "after": after})
    return out


def _city_ops(session: Session, changes: dict[str, dict[str, Any]]) -> list[dict]:
    a = store.CityAttribute
    codes = list(changes)
    stored: dict[tuple[str, str], tuple[Any, Any]] = {}
    for start in range(0, len(codes), 500):
        for code, name, value, text in session.execute(select(a.city_code, a.name, a.value, a.text)
                                                       .where(a.city_code.in_(codes[start:start + 500]))):
            stored[(code, name)] = (value, text)
    ops = []
    for code, values in changes.items():
        for name, v in values.items():
            value, text = (float(v), None) if isinstance(v, (int, float)) else (None, str(v))
            current = stored.get((code, name))
            if current is None:
                ops.append({"op": "insert", "table": "city_attributes",
                            "row": {"city_code": code, "name": name, "value": value, "text": text}})
            elif (current[0], current[1]) != (value, text):
                ops.append({"op": "update", "table": "city_attributes", "id": {"city_code": code, "name": name},
                            "before": {"value": current[0], "text": current[1]},
                            "after": {"value": value, "text": text}})
    return ops


def import_case_table(session: Session, source: str | Path | bytes | pd.DataFrame, *, per: str,
                      id_column: str | None = None, filename: str | None = None, coder: str) -> dict[str, Any]:
    """Import a case/variable table as document or city attributes (one undoable change).

    Parameters
    ----------
    source : path, bytes (with ``filename``) or DataFrame from :func:`read_case_table`
    per : {"document", "city"}
    id_column : str, optional
    coder : str

    Returns
    -------
    dict
        ``per``, ``id_column``, ``id_column_guessed``, ``columns`` (imported),
        ``skipped_columns``, ``matched`` (int), ``matched_names`` (list of names),
        ``unmatched`` (list of ``{"row", "value", "reason"}``), ``values_written`` (cells
        that changed), ``overwritten`` (as :func:`match_case_table`), ``event_id`` (``None``
        when nothing changed) and ``summary`` (one sentence).

    Raises
    ------
    CodingError
        As :func:`read_case_table` and :func:`match_case_table`; also when no row matches.
        Nothing is written then.
    """
    frame = source if isinstance(source, pd.DataFrame) else read_case_table(source, filename)
    m = match_case_table(session, frame, per=per, id_column=id_column)
    named = filename or (Path(source).name if isinstance(source, (str, Path)) else None)
    label = named or _("the table")
    if m["matched"].empty:
        shown = ", ".join(repr(u["value"]) for u in m["unmatched"][:5])
        message = (_("No row of {label} names a document of the project (column {id_column!r}: {shown}).")
                   if per == "document" else
                   _("No row of {label} names a city of the project (column {id_column!r}: {shown})."))
        raise CodingError(message.format(label=label, id_column=m["id_column"], shown=shown))
    if per == "document":
        ops, cells = attribute_ops(session, m["changes"])
        n_cells = len(cells)
    else:
        ops = _city_ops(session, m["changes"])
        n_cells = len(ops)
    template = (N_("imported {n_columns} attribute column(s) of {n} document(s) from {label}") if per == "document"
                else N_("imported {n_columns} attribute column(s) of {n} city(s) from {label}"))
    description = stored_description(template, n_columns=len(m["columns"]), n=len(m["matched"]),
                                     label=named or "the table")  # stored: English, translated when shown
    event_id = write_attribute_ops(session, ops, description, coder)
    summary = _("{matched} row(s) matched, {unmatched} not matched; {n_columns} column(s) imported ({columns}); "
                "{written} value(s) written, {overwritten} overwritten.").format(
        matched=len(m["matched"]), unmatched=len(m["unmatched"]), n_columns=len(m["columns"]),
        columns=", ".join(m["columns"]), written=n_cells, overwritten=len(m["overwritten"]))
    return {k: m[k] for k in ("per", "id_column", "id_column_guessed", "columns", "skipped_columns", "unmatched",
                              "overwritten")} | {
        "matched": len(m["matched"]), "matched_names": m["matched"]["matched"].tolist(), "values_written": n_cells,
        "event_id": event_id, "summary": summary}
