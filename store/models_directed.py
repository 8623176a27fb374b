"""Directed dyads: ordered pairs (sender → receiver) and their numeric attributes.

Flows such as applications received in one city and accepted in another, transferred files or
migration are directed: (i, j) and (j, i) are two rows. The undirected ``dyads`` table keeps
``city_a < city_b``; this one keeps both orderings, each at most once. Imported at the end of
``store.models`` so that ``Base.metadata`` (and Alembic, revision 0004) holds these tables.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base

__all__ = ["DirectedDyad", "DirectedDyadAttribute"]


class DirectedDyad(Base):
    """An ordered pair of cities: ``sender`` (e.g. the receiving place 收件地, where the application is
    handed in) to ``receiver`` (e.g. the accepting place 受理地). Both orderings may be stored."""

    __tablename__ = "directed_dyads"
    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    receiver: Mapped[str] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))

    __table_args__ = (
        UniqueConstraint("sender", "receiver", name="ordered_pair"),
        CheckConstraint("sender <> receiver", name="two_cities"),
        Index("ix_directed_dyads_receiver", "receiver"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<DirectedDyad {self.id} {self.sender}->{self.receiver}>"


class DirectedDyadAttribute(Base):
    """A named numeric attribute of a directed dyad (outcomes such as flows, and covariates)."""

    __tablename__ = "directed_dyad_attributes"
    dyad_id: Mapped[int] = mapped_column(ForeignKey("directed_dyads.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Optional[float]] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<DirectedDyadAttribute {self.dyad_id}.{self.name}={self.value}>"
