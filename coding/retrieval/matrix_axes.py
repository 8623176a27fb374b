"""Rows and columns of the code matrices: codes in codebook order with sub-code roll-up,
and turning a row or column label (as shown in a matrix) back into an id.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_id, as_ids, get_city, get_code, get_document
from coding.errors import CodingError
from coding.links.linking import find_dyad
from coding.retrieval.search import check_document_ids
from coding.tree import code_id_by_name, codebook

__all__ = ["code_rows", "coding_filters", "resolve_code", "resolve_column", "roll_up"]


def coding_filters(session: Session, coder: Any, document_ids: Any) -> list[ColumnElement[bool]]:
    """SQL conditions on ``store.Coding`` for a coder (or list) and a document filter."""
    conds: list[ColumnElement[bool]] = []
    if coder is not None:
        coders = [coder] if isinstance(coder, str) else list(coder)
        if not coders or not all(isinstance(c, str) for c in coders):
            raise CodingError(_("Coder filter {coder!r} must be a name or a list of names.").format(coder=coder))
        conds.append(store.Coding.coder.in_(coders))
    if document_ids is not None:
        conds.append(store.Coding.document_id.in_(check_document_ids(session, document_ids)))
    return conds


def code_rows(session: Session, include_subcodes: bool, code_ids: int | Iterable[int] | None) -> list[tuple[int, str]]:
    """``(id, path)`` of the matrix rows, in codebook order.

    Without ``include_subcodes`` categories are left out (they hold no codings);
    ``code_ids`` keeps only these codes.

    Raises
    ------
    CodingError
        An id in ``code_ids`` is not a code.
    """
    book = codebook(session)
    rows = [(int(i), p) for i, p, codable in zip(book["id"], book["path"], book["codable"])
            if include_subcodes or codable]
    if code_ids is None:
        return rows
    wanted = as_ids(code_ids, "Code ids")
    known = set(book["id"].astype(int))
    missing = [i for i in wanted if i not in known]
    if missing:
        raise CodingError(_("Code {value} does not exist.").format(value=missing[0]))
    keep = set(wanted)
    return [r for r in rows if r[0] in keep]


def roll_up(session: Session, rows: list[tuple[int, str]], base: dict[int, list[int]], n_cols: int,
            include_subcodes: bool) -> list[list[int]]:
    """Cell values per row: the code's own counts, plus its descendants' when asked."""
    zeros = [0] * n_cols
    if not include_subcodes:
        return [list(base.get(cid, zeros)) for cid, _unused in rows]
    parents = dict(session.execute(select(store.Code.id, store.Code.parent_id)).all())
    children: dict[int | None, list[int]] = {}
    for cid, parent in parents.items():
        children.setdefault(parent, []).append(cid)
    total: dict[int, list[int]] = {}
    order: list[int] = []
    stack = list(children.get(None, []))
    while stack:  # parents before children; summed in reverse
        cid = stack.pop()
        order.append(cid)
        stack.extend(children.get(cid, []))
    for cid in reversed(order):
        acc = list(base.get(cid, zeros))
        for child in children.get(cid, []):
            acc = [a + b for a, b in zip(acc, total[child])]
        total[cid] = acc
    return [total.get(cid, list(zeros)) for cid, _unused in rows]


def resolve_code(session: Session, value: Any) -> int:
    """A code id from an id or a path/name (a matrix row label)."""
    if isinstance(value, str):
        return code_id_by_name(session, value)
    return get_code(session, value).id


def resolve_column(session: Session, kind: str, col: Any) -> Any:
    """The key of a matrix column: document id, city code or dyad id.

    Raises
    ------
    CodingError
        Unknown document (id or name), city, or dyad (id, ``"a-b"`` label or pair).
    """
    if kind == "document":
        if isinstance(col, str):
            found = session.scalar(select(store.Document.id).where(store.Document.name == col))
            if found is None:
                raise CodingError(_("No document is named {col!r}.").format(col=col))
            return found
        return get_document(session, col).id
    if kind == "city":
        return get_city(session, col).code
    if isinstance(col, str):
        parts = col.replace("–", "-").split("-")
        if len(parts) != 2:
            raise CodingError(_("Dyad label {col!r} is not of the form 'a-b'.").format(col=col))
        col = tuple(parts)
    if isinstance(col, (tuple, list)):
        if len(col) != 2:
            raise CodingError(_("A dyad is an id or a pair of city codes, got {col!r}.").format(col=col))
        found = find_dyad(session, col[0], col[1])
        if found is None:
            raise CodingError(_("Cities {value} and {value2} have no dyad in the project.").format(
                                value=col[0], value2=col[1]))
        return found
    dyad = session.get(store.Dyad, as_id(col, "Dyad id"))
    if dyad is None:
        raise CodingError(_("Dyad {col!r} does not exist.").format(col=col))
    return dyad.id
