"""Code matrices: codes × documents, × cities, × dyads, and code co-occurrence.

In a blind project a coder's session counts only their own codings (:mod:`coding.blind`).

Rows are codes in codebook order, labelled by path (``"Needs/Social needs"``). Cells count
codings (``measure="count"``) or show presence 0/1 (``"presence"``). With
``include_subcodes`` a code's row also counts the codings of every code below it (each
coding has exactly one code, so nothing is counted twice) and categories get rows;
without it, categories (which cannot hold codings) are left out. Counting runs as SQL
aggregates (``GROUP BY``) so a matrix over tens of thousands of codings opens at once.

Columns: documents (every document, by name), cities (every city, by code; a coding
counts once per city whether linked to the city itself or, with ``via_dyads``, to a dyad
that contains it), dyads (the dyads with at least one coding, as ``"a-b"`` with
``a < b``). Each frame carries ``attrs["kind"]`` and ``attrs["options"]`` so that
:func:`matrix_cell_codings` can list the codings behind a cell with the same options.

Co-occurrence lives in :mod:`coding.retrieval.cooccurrence` and is re-exported here.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from sqlalchemy import ColumnElement, distinct, func, or_, select, union_all
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.retrieval.cooccurrence import cooccurrence_cell, cooccurrence_matrix, cooccurrence_table
from coding.errors import CodingError
from coding.retrieval.matrix_axes import code_rows, coding_filters, resolve_code, resolve_column, roll_up
from coding.retrieval.search import check_document_ids
from coding.spreadsheet import to_csv_bytes, to_csv_text, to_xlsx_bytes, write_bytes_atomic
from coding.tree import descendants

__all__ = [
    "MEASURES", "code_city_matrix", "code_document_matrix", "code_dyad_matrix", "cooccurrence_matrix",
    "cooccurrence_table", "export_matrix", "matrix_cell_codings",
]

MEASURES = ("count", "presence")
KINDS = ("document", "city", "dyad", "cooccurrence")


def _measure(measure: Any) -> str:
    if measure not in MEASURES:
        raise CodingError(_("Measure {measure!r} is unknown; use 'count' or 'presence'.").format(measure=measure))
    return measure


def _frame(session: Session, counts: Iterable[tuple[int, Any, int]], columns: list[Any], labels: list[Any],
           *, include_subcodes: bool, measure: str, code_ids: Any, kind: str, options: dict) -> pd.DataFrame:
    """Rows × columns from ``(code_id, column key, n)`` triples, rolled up and measured."""
    rows = code_rows(session, include_subcodes, code_ids)
    position = {key: k for k, key in enumerate(columns)}
    base: dict[int, list[int]] = {}
    for code_id, key, n in counts:
        if key in position:
            base.setdefault(code_id, [0] * len(columns))[position[key]] += int(n)
    values = roll_up(session, rows, base, len(columns), include_subcodes)
    frame = pd.DataFrame(values, index=pd.Index([r[1] for r in rows], name="code"),
                         columns=pd.Index(labels, name=kind), dtype="int64")
    if measure == "presence":
        frame = (frame > 0).astype("int64")
    frame.attrs = {"kind": kind, "measure": measure, "row_ids": [r[0] for r in rows],
                   "options": {"include_subcodes": include_subcodes, **options}}
    return frame


def code_document_matrix(
    session: Session,
    *,
    measure: str = "count",
    include_subcodes: bool = False,
    code_ids: int | Iterable[int] | None = None,
    coder: str | Iterable[str] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Codes × documents: codings per code and document.

    Parameters
    ----------
    measure : {"count", "presence"}
    include_subcodes : bool
    code_ids : int or iterable of int, optional
        Only these rows (codes).
    coder : str or iterable of str, optional
        Only codings by these coders.
    document_ids : int or iterable of int, optional
        Only these columns.

    Returns
    -------
    DataFrame
        Index ``code`` (paths), one int64 column per document (its name), in import order.

    Raises
    ------
    CodingError
        Unknown measure, code or document, or a bad coder filter.
    """
    conds = coding_filters(session, coder, document_ids)
    docs = session.execute(select(store.Document.id, store.Document.name).order_by(store.Document.id)).all()
    if document_ids is not None:
        keep = set(check_document_ids(session, document_ids))
        docs = [d for d in docs if d[0] in keep]
    c = store.Coding
    counts = session.execute(select(c.code_id, c.document_id, func.count(c.id)).where(*conds)
                             .group_by(c.code_id, c.document_id)).all()
    return _frame(session, counts, [d[0] for d in docs], [d[1] for d in docs], include_subcodes=include_subcodes,
                  measure=_measure(measure), code_ids=code_ids, kind="document",
                  options={"coder": coder, "document_ids": document_ids})


def _city_links(conds: list[ColumnElement[bool]], via_dyads: bool):
    """A subquery ``(code_id, key=city code, cid=coding id)`` of every coding-city pair."""
    c, link, dyad = store.Coding, store.CodingLink, store.Dyad
    direct = (select(c.code_id.label("code_id"), link.city_code.label("key"), c.id.label("cid"))
              .join(link, link.coding_id == c.id).where(link.city_code.is_not(None), *conds))
    if not via_dyads:
        return direct.subquery()
    parts = [select(c.code_id, side, c.id).join(link, link.coding_id == c.id).join(dyad, dyad.id == link.dyad_id)
             .where(*conds) for side in (dyad.city_a, dyad.city_b)]
    return union_all(direct, *parts).subquery()


def code_city_matrix(
    session: Session,
    *,
    measure: str = "count",
    include_subcodes: bool = False,
    via_dyads: bool = True,
    code_ids: int | Iterable[int] | None = None,
    coder: str | Iterable[str] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Codes × cities: codings per code that speak about each city (distinct codings).

    Parameters
    ----------
    via_dyads : bool
        Also count codings linked to a dyad containing the city (once per city).
    measure, include_subcodes, code_ids, coder, document_ids
        As :func:`code_document_matrix`.

    Returns
    -------
    DataFrame
        Index ``code`` (paths), one int64 column per city of the project (its code, sorted).

    Raises
    ------
    CodingError
        Unknown measure, code or document, or a bad coder filter.
    """
    conds = coding_filters(session, coder, document_ids)
    pairs = _city_links(conds, via_dyads)
    counts = session.execute(select(pairs.c.code_id, pairs.c.key, func.count(distinct(pairs.c.cid)))
                             .group_by(pairs.c.code_id, pairs.c.key)).all()
    cities = list(session.scalars(select(store.City.code).order_by(store.City.code)))
    return _frame(session, counts, cities, cities, include_subcodes=include_subcodes, measure=_measure(measure),
                  code_ids=code_ids, kind="city",
                  options={"via_dyads": via_dyads, "coder": coder, "document_ids": document_ids})


def code_dyad_matrix(
    session: Session,
    *,
    measure: str = "count",
    include_subcodes: bool = False,
    code_ids: int | Iterable[int] | None = None,
    coder: str | Iterable[str] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Codes × dyads: codings per code linked to each dyad.

    Returns
    -------
    DataFrame
        Index ``code`` (paths); one int64 column per dyad with at least one coding under
        the filters, labelled ``"a-b"`` (city codes, ``a < b``), sorted.

    Raises
    ------
    CodingError
        As :func:`code_document_matrix`.
    """
    conds = coding_filters(session, coder, document_ids)
    c, link, dyad = store.Coding, store.CodingLink, store.Dyad
    counts = session.execute(select(c.code_id, link.dyad_id, func.count(distinct(c.id)))
                             .join(link, link.coding_id == c.id).where(link.dyad_id.is_not(None), *conds)
                             .group_by(c.code_id, link.dyad_id)).all()
    used = {d for _unused, d, _unused in counts}
    dyads = [r for r in session.execute(select(dyad.id, dyad.city_a, dyad.city_b)
                                        .order_by(dyad.city_a, dyad.city_b)).all() if r[0] in used]
    return _frame(session, counts, [d[0] for d in dyads], [f"{d[1]}-{d[2]}" for d in dyads],
                  include_subcodes=include_subcodes, measure=_measure(measure), code_ids=code_ids, kind="dyad",
                  options={"coder": coder, "document_ids": document_ids})


def matrix_cell_codings(
    session: Session,
    kind: str,
    row: int | str,
    col: Any,
    *,
    include_subcodes: bool = False,
    via_dyads: bool = True,
    unit: str = "overlap",
    coder: str | Iterable[str] | None = None,
    document_ids: int | Iterable[int] | None = None,
) -> list[int]:
    """The coding ids behind one cell of a matrix (click-through to the passages).

    Parameters
    ----------
    kind : {"document", "city", "dyad", "cooccurrence"}
        The matrix (``frame.attrs["kind"]``); pass ``**frame.attrs["options"]`` for the
        same options.
    row : int or str
        The row's code: id or path (the index label).
    col
        Document id or name; city code; dyad id, ``"a-b"`` label or pair of city codes;
        for co-occurrence the column's code (id or path).

    Returns
    -------
    list of int
        Coding ids by document and position; for co-occurrence the codings of both codes
        that co-occur in that cell.

    Raises
    ------
    CodingError
        Unknown kind, code, document, city or dyad.
    """
    if kind not in KINDS:
        raise CodingError(_("Matrix kind {kind!r} is unknown; use one of {names}.").format(
                            kind=kind, names=', '.join(KINDS)))
    conds = coding_filters(session, coder, document_ids)
    if kind == "cooccurrence":
        return cooccurrence_cell(session, resolve_code(session, row), resolve_code(session, col), unit=unit,
                                 conds=conds)
    codes = [resolve_code(session, row)]
    if include_subcodes:
        codes += descendants(session, codes[0])
    c, link, dyad = store.Coding, store.CodingLink, store.Dyad
    key = resolve_column(session, kind, col)
    stmt = select(c.id).where(c.code_id.in_(codes), *conds)
    if kind == "document":
        stmt = stmt.where(c.document_id == key)
    elif kind == "dyad":
        stmt = stmt.where(c.id.in_(select(link.coding_id).where(link.dyad_id == key)))
    else:
        linked = select(link.coding_id).where(link.city_code == key)
        if via_dyads:
            linked = linked.union(select(link.coding_id).join(dyad, dyad.id == link.dyad_id)
                                  .where(or_(dyad.city_a == key, dyad.city_b == key)))
        stmt = stmt.where(c.id.in_(linked))
    return [int(i) for i in session.scalars(stmt.order_by(c.document_id, c.start, c.end, c.id))]


def export_matrix(df: pd.DataFrame, path_or_buffer: str | Path | io.IOBase, fmt: str = "csv") -> None:
    """Write a matrix (or any frame of this module) as CSV or XLSX, index included.

    Parameters
    ----------
    df : DataFrame
    path_or_buffer : str, Path or file object
        A path, a binary buffer (``io.BytesIO``, for a download button) or, for CSV, a
        text buffer.
    fmt : {"csv", "xlsx"}
        CSV is UTF-8 with a byte-order mark (so Excel reads Chinese labels); XLSX has one
        sheet named after the matrix kind. Both go through :mod:`coding.spreadsheet`: a code
        or column label a spreadsheet would run as a formula starts with ``'``, XLSX text is
        never a formula, and a file is written atomically.

    Raises
    ------
    CodingError
        Unknown format, not a DataFrame, or a text buffer for XLSX.
    """
    if fmt not in ("csv", "xlsx"):
        raise CodingError(_("Export format {fmt!r} is unknown; use 'csv' or 'xlsx'.").format(fmt=fmt))
    if not isinstance(df, pd.DataFrame):
        raise CodingError(_("Only a DataFrame can be exported, got {name}.").format(name=type(df).__name__))
    is_text = isinstance(path_or_buffer, io.TextIOBase)
    if fmt == "xlsx":
        if is_text:
            raise CodingError(_("An XLSX file needs a path or a binary buffer, not a text buffer."))
        data = to_xlsx_bytes(df, index=True, sheet=str(df.attrs.get("kind", "matrix")) or "matrix")
    elif is_text:
        path_or_buffer.write(to_csv_text(df, index=True))
        return
    else:
        data = to_csv_bytes(df, index=True)
    if isinstance(path_or_buffer, (str, Path)):
        write_bytes_atomic(path_or_buffer, data)
    else:
        path_or_buffer.write(data)

