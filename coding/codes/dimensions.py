"""The map from codes to collaboration dimensions (breadth, connection, degree).

A code mapped to a dimension is *evidence for that dimension*: the joint display of any run of
the dimension shows how the code's passages fall across the run's case groups (typical/deviant,
over/under-predicted, tie/non-tie), even when the code speaks to no single model term — Mark and
Hole, the study's key codes, are the reason this map exists. The code ↔ variable map
(:mod:`coding.codes.variables`) ties a code to model *terms*; this one ties it to whole *dimensions*.

Changes are undoable: :func:`set_dimension_map` writes a ``dimension_map_set`` event whose
payload holds the row ops (:mod:`coding.eventlog.rowops`) it did.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from i18n import N_, _
import store
from coding.eventlog import rowops
from coding.checks import as_coder, get_code
from coding.errors import CodingError
from coding.eventlog.events import EventType, record, stored_description

__all__ = ["DIMENSIONS", "dimension_map", "codes_for_dimension", "set_dimension_map"]

#: The three collaboration dimensions, in display order.
DIMENSIONS = ("breadth", "connection", "degree")


def dimension_map(session: Session) -> dict[int, list[str]]:
    """Code id -> dimensions it is evidence for, in :data:`DIMENSIONS` order (unmapped codes absent)."""
    out: dict[int, list[str]] = {}
    stmt = select(store.CodeDimensionMap.code_id, store.CodeDimensionMap.dimension)
    for cid, dim in session.execute(stmt):
        out.setdefault(int(cid), []).append(str(dim))
    return {cid: sorted(dims, key=_order) for cid, dims in sorted(out.items())}


def _order(dim: str) -> int:
    return DIMENSIONS.index(dim) if dim in DIMENSIONS else len(DIMENSIONS)


def codes_for_dimension(session: Session, dimension: str) -> list[int]:
    """Ids (ascending) of the codes mapped to ``dimension``.

    Raises
    ------
    CodingError
        If ``dimension`` is not breadth, connection or degree.
    """
    _check_dim(dimension)
    return sorted(cid for cid, dims in dimension_map(session).items() if dimension in dims)


def _check_dim(dim) -> str:
    if not isinstance(dim, str) or dim.strip().lower() not in DIMENSIONS:
        raise CodingError(_("Dimension {dim!r} is not one of breadth, connection, degree.").format(dim=dim))
    return dim.strip().lower()


def set_dimension_map(session: Session, code_id: int, dimensions: Iterable[str], *,
                      coder: str = "researcher") -> list[str]:
    """Replace the dimensions a code is evidence for (an empty list clears them); undoable.

    Parameters
    ----------
    session : Session
    code_id : int
    dimensions : iterable of str
        Any of "breadth", "connection", "degree" (case-insensitive; duplicates dropped).
    coder : str
        Who made the change (event log).

    Returns
    -------
    list of str
        The code's dimensions after the change, in :data:`DIMENSIONS` order.

    Raises
    ------
    CodingError
        Unknown code, a category (a code that cannot be coded is evidence for nothing), a
        dimension that is not one of the three, or a single string instead of a list.
    """
    coder = as_coder(coder)
    code = get_code(session, code_id)
    if isinstance(dimensions, str):
        raise CodingError(_("Dimensions must be a list of names, got the string {dimensions!r}.").format(
                            dimensions=dimensions))
    new = sorted({_check_dim(d) for d in dimensions}, key=_order)
    t = store.CodeDimensionMap
    rows = {str(d): int(i) for i, d in session.execute(select(t.id, t.dimension).where(t.code_id == code.id))}
    before = sorted(rows, key=_order)
    if before == new:
        return new
    if new and not code.codable:
        raise CodingError(_("Code {name!r} is a category; map its codable sub-codes to dimensions instead.").format(
                            name=code.name))
    ops = [{"op": "delete", "table": "code_dimension_map", "row": {"id": rows[d]}} for d in before if d not in new]
    ops += [{"op": "insert", "table": "code_dimension_map", "row": {"code_id": code.id, "dimension": d}}
            for d in new if d not in rows]
    done = rowops.apply_ops(session, ops)
    description = (stored_description(N_("mapped code “{name}” to {dimensions}"), name=code.name,
                                      dimensions=", ".join(new)) if new
                   else stored_description(N_("cleared the dimensions of code “{name}”"), name=code.name))
    record(session, EventType.DIMENSION_MAP_SET, {"ops": done, **description}, coder)
    return new
