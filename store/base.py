"""The declarative base every table of the schema derives from, with its naming convention, and
the two column defaults all tables share (``utcnow``, ``new_guid``).

Its own module so that the table modules (``store.models``, ``store.models_directed``,
``store.models_assist``) import it without importing each other.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

__all__ = ["Base", "NAMING_CONVENTION", "new_guid", "utcnow"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def new_guid() -> str:
    """A fresh GUID in Tandem's canonical form (lower case, no braces)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """The declarative base of every Tandem table (constraint names by ``NAMING_CONVENTION``)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
