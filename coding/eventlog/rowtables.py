"""The store's tables as row ops see them: a table by name, one row by id (or by primary key),
and how a row is named in a refusal.

Used by :mod:`coding.eventlog.rowops` (executing ops) and :mod:`coding.eventlog.rowchecks`
(checking them first). Rows are dicts of JSON-safe values (:func:`coding.eventlog.events.json_safe`).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import LargeBinary, Table, and_, select
from sqlalchemy.orm import Session

from i18n import N_, _
import store
from coding.errors import CodingError
from coding.eventlog.events import json_safe

__all__ = ["NOUN", "fetch_row", "primary_key", "row_exists", "row_key", "row_label", "table", "where_row"]

NOUN = {"documents": N_("Document"), "segments": N_("Segment"), "place_mentions": N_("Place mention"),
        "codes": N_("Code"), "codings": N_("Coding"), "coding_links": N_("Link"), "memos": N_("Memo"),
        "dyads": N_("Dyad"), "city_attributes": N_("City attribute")}  # English; shown through _()


def table(name: str) -> Table:
    """The ``store`` table called ``name``, or ``CodingError``."""
    found = store.Base.metadata.tables.get(name)
    if found is None:
        raise CodingError(_("Table {name!r} is not part of the project store.").format(name=name))
    return found


def where_row(t: Table, row_id: Any) -> Any:
    """The SQL condition for the row of ``t`` with this ``id``; for a table without ``id``
    (``city_attributes``), ``row_id`` is a dict (or row) holding its primary-key columns."""
    if "id" in t.c:
        return t.c.id == row_id
    return and_(*(t.c[k] == row_id[k] for k in primary_key(t.name)))


@lru_cache(maxsize=None)
def primary_key(name: str) -> tuple[str, ...]:
    """The primary-key column names of table ``name`` (cached: the schema does not change)."""
    return tuple(c.name for c in table(name).primary_key.columns)


def row_key(t: Table, row: dict[str, Any]) -> Any:
    """What :func:`where_row` takes for ``row``: its ``id``, or a dict of its primary-key columns."""
    return row.get("id") if "id" in t.c else {k: row.get(k) for k in primary_key(t.name)}


def fetch_row(session: Session, name: str, row_id: Any) -> dict[str, Any] | None:
    """Every column of one row (by ``id``, or by its primary key as a dict for a table without
    ``id``) as JSON-safe values, or ``None`` if it is absent.

    Binary columns (a run's stored units table) are left out: no op ever changes them."""
    t = table(name)
    cols = [c for c in t.c if not isinstance(c.type, LargeBinary)]
    row = session.execute(select(*cols).where(where_row(t, row_id))).mappings().first()
    return None if row is None else json_safe(dict(row))


def row_label(name: str, row: dict[str, Any]) -> str:
    """How a refusal names a row: ``Code 'Mark' (12)``, ``Coding 7`` (the noun in the interface language)."""
    noun = _(NOUN[name]) if name in NOUN else _("Row of {table}").format(table=name)
    number = "" if row.get("id") is None else f" ({row['id']})"
    if name in ("codes", "documents") and row.get("name"):
        return f"{noun} {row['name']!r}{number}"
    return f"{noun}{number.replace('(', '').replace(')', '')}"


def row_exists(session: Session, column: Any, value: Any) -> bool:
    """Whether some row has ``value`` in ``column`` (a SQLAlchemy column)."""
    return session.execute(select(column).where(column == value).limit(1)).first() is not None
