"""Every table of a Tandem project, in SQLAlchemy 2 typed style.

Offsets (``Coding.start``/``end``, ``Segment``, ``PlaceMention``) are Python code
points over ``Document.text`` (NFC, ``\\n`` line breaks), 0-based, end exclusive.
``Document.text`` never changes once a coding points into it: a corrected text is
imported as a new document and codings are re-anchored by quote.

Units ("cities") are keyed by a string ``code``: the 6-digit adcode for Chinese
cities, any identifier for other node sets (families, counties, countries).
An undirected dyad is stored once with ``city_a < city_b`` (string order of codes,
which is numeric order for equal-width adcodes).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from store.base import NAMING_CONVENTION, Base, new_guid, utcnow  # noqa: F401  (re-exported)


class ProjectInfo(Base):
    """Key/value facts about the project (name, created, demo flag, data notes)."""

    __tablename__ = "project_info"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<ProjectInfo {self.key}={self.value!r}>"


class Document(Base):
    """An imported source: interview, field note or policy document."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="interview")  # interview | field note | policy
    language: Mapped[str] = mapped_column(String(10), default="zh")  # zh | en | ...
    source_filename: Mapped[Optional[str]] = mapped_column(String(1000))
    source_sha256: Mapped[Optional[str]] = mapped_column(String(64))  # of the original bytes
    encoding: Mapped[Optional[str]] = mapped_column(String(40))
    text: Mapped[str] = deferred(mapped_column(Text))  # NFC, \n line breaks; immutable once coded
    text_sha256: Mapped[str] = mapped_column(String(64))
    n_chars: Mapped[int] = mapped_column(Integer)  # code points
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    illustrative: Mapped[int] = mapped_column(Integer, default=0)  # 1 = written by the team for the demo
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the corrected version this document was replaced by (coding.reanchoring.reanchor); kept, never coded again
    superseded_by: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))

    segments: Mapped[list["Segment"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )
    codings: Mapped[list["Coding"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint("kind IN ('interview', 'field note', 'policy')", name="kind"),
        {"sqlite_autoincrement": True},  # ids are never reused: undo/redo restore rows by id
    )

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.name!r} {self.kind} {self.language}>"


class Segment(Base):
    """A paragraph or sentence of a document, from the segmenter (code points)."""

    __tablename__ = "segments"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # paragraph | sentence
    idx: Mapped[int] = mapped_column(Integer)  # 1-based number within the document and kind
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    document: Mapped[Document] = relationship(back_populates="segments")

    __table_args__ = (
        UniqueConstraint("document_id", "kind", "idx", name="doc_kind_idx"),
        Index("ix_segments_doc_kind_start", "document_id", "kind", "start"),
        CheckConstraint("start >= 0 AND \"end\" > start", name="span"),
    )

    def __repr__(self) -> str:
        return f"<Segment {self.kind} {self.idx} [{self.start},{self.end}) doc={self.document_id}>"


class PlaceMention(Base):
    """A city name found in a document's text by the place matcher."""

    __tablename__ = "place_mentions"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    city_code: Mapped[str] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    surface: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_place_mentions_doc_start", "document_id", "start"),)

    def __repr__(self) -> str:
        return f"<PlaceMention {self.surface!r}->{self.city_code} [{self.start},{self.end})>"


class Code(Base):
    """A node of the codebook tree. ``codable=0`` marks a category (REFI isCodable=false)."""

    __tablename__ = "codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("codes.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="")
    inclusion: Mapped[str] = mapped_column(Text, default="")
    exclusion: Mapped[str] = mapped_column(Text, default="")
    example: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#999999")
    codable: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Optional["Code"]] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Code"]] = relationship(back_populates="parent")

    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="parent_name"),
        CheckConstraint("colour LIKE '#______'", name="colour"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Code {self.id} {self.name!r} parent={self.parent_id}>"


class Coding(Base):
    """One code applied to one span ``[start, end)`` (code points) of one document.

    ``status`` is ``anchored``; ``review`` when re-anchoring onto a corrected version placed
    it by a fuzzy match (to be checked); ``unanchored`` when it could not be placed: it then
    sits on the new version with the offsets and quote it had on the superseded text.
    """

    __tablename__ = "codings"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)  # text[start:end] at coding time
    prefix: Mapped[str] = mapped_column(String(200), default="")  # up to 32 code points before
    suffix: Mapped[str] = mapped_column(String(200), default="")  # up to 32 code points after
    coder: Mapped[str] = mapped_column(String(100), default="researcher")
    memo: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="anchored")  # anchored | review | unanchored
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # where the coding came from (store.models_assist.ORIGINS) and which rule or model
    origin: Mapped[str] = mapped_column(String(10), default="human", server_default="human")
    origin_detail: Mapped[str] = mapped_column(String(200), default="", server_default="")

    document: Mapped[Document] = relationship(back_populates="codings")
    code: Mapped[Code] = relationship()
    links: Mapped[list["CodingLink"]] = relationship(
        back_populates="coding", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_codings_doc_start", "document_id", "start"),
        Index("ix_codings_code", "code_id"),
        CheckConstraint("start >= 0 AND \"end\" > start", name="span"),
        CheckConstraint("origin IN ('human', 'rule', 'encoder', 'llm')", name="origin"),
        # One coder applies one code to one span once: two tabs or processes racing to
        # store the same coding meet this constraint and the loser returns the existing row.
        Index("ux_codings_one_span", "document_id", "code_id", "start", "end", "coder", unique=True),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Coding {self.id} code={self.code_id} doc={self.document_id} [{self.start},{self.end})>"


class City(Base):
    """A unit (node): a prefecture-level city keyed by adcode, or any other node."""

    __tablename__ = "cities"
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # full name, e.g. 苏州市
    short_name: Mapped[Optional[str]] = mapped_column(String(100))  # 苏州
    pinyin: Mapped[Optional[str]] = mapped_column(String(100))  # Suzhou
    province: Mapped[Optional[str]] = mapped_column(String(100))
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lon: Mapped[Optional[float]] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<City {self.code} {self.name}>"


class CityAttribute(Base):
    """A named attribute value of a city (numeric in ``value``, else in ``text``)."""

    __tablename__ = "city_attributes"
    city_code: Mapped[str] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Optional[float]] = mapped_column(Float)
    text: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<CityAttribute {self.city_code}.{self.name}={self.value if self.text is None else self.text!r}>"


class Dyad(Base):
    """An undirected pair of cities, stored once with ``city_a < city_b``."""

    __tablename__ = "dyads"
    id: Mapped[int] = mapped_column(primary_key=True)
    city_a: Mapped[str] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    city_b: Mapped[str] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))

    __table_args__ = (
        UniqueConstraint("city_a", "city_b", name="pair"),
        CheckConstraint("city_a < city_b", name="ordered"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Dyad {self.id} {self.city_a}-{self.city_b}>"


class DyadAttribute(Base):
    """A named numeric attribute of a dyad (outcomes and covariates)."""

    __tablename__ = "dyad_attributes"
    dyad_id: Mapped[int] = mapped_column(ForeignKey("dyads.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Optional[float]] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<DyadAttribute {self.dyad_id}.{self.name}={self.value}>"


class CodingLink(Base):
    """Links a coding to the city or the dyad it speaks about (exactly one of the two)."""

    __tablename__ = "coding_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    coding_id: Mapped[int] = mapped_column(ForeignKey("codings.id", ondelete="CASCADE"))
    city_code: Mapped[Optional[str]] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    dyad_id: Mapped[Optional[int]] = mapped_column(ForeignKey("dyads.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(20), default="manual")  # manual | suggestion
    coding: Mapped[Coding] = relationship(back_populates="links")

    __table_args__ = (
        CheckConstraint(
            "(city_code IS NOT NULL AND dyad_id IS NULL) OR (city_code IS NULL AND dyad_id IS NOT NULL)",
            name="one_target",
        ),
        UniqueConstraint("coding_id", "city_code", "dyad_id", name="unique_link"),
        Index("ix_coding_links_city", "city_code"),
        Index("ix_coding_links_dyad", "dyad_id"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        target = f"city={self.city_code}" if self.city_code else f"dyad={self.dyad_id}"
        return f"<CodingLink coding={self.coding_id} {target}>"


class Memo(Base):
    """A memo on the project or on any object (``target_type`` + ``target_id``)."""

    __tablename__ = "memos"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    target_type: Mapped[str] = mapped_column(String(20))  # project | document | code | coding | city | dyad
    target_id: Mapped[Optional[str]] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100), default="researcher")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "target_type IN ('project', 'document', 'code', 'coding', 'city', 'dyad')", name="target_type"
        ),
        Index("ix_memos_target", "target_type", "target_id"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Memo {self.id} on {self.target_type}:{self.target_id}>"


class CodeVariableMap(Base):
    """Maps a code to a model variable (a term of a formula) for the joint display."""

    __tablename__ = "code_variable_map"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    variable: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("code_id", "variable", name="code_variable"),)

    def __repr__(self) -> str:
        return f"<CodeVariableMap code={self.code_id} -> {self.variable}>"


class ModelSpec(Base):
    """A named model specification saved in the project."""

    __tablename__ = "model_specs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    dimension: Mapped[str] = mapped_column(String(20))  # breadth | connection | degree
    model: Mapped[str] = mapped_column(String(20))  # logit | probit | nb | poisson | ztnb | ...
    formula: Mapped[str] = mapped_column(Text)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<ModelSpec {self.name!r} {self.dimension}/{self.model}: {self.formula}>"


class Event(Base):
    """The command log: one row per change, written in the same transaction.

    ``document_id`` is deliberately not a foreign key, so history outlives a deleted
    document. ``payload`` holds what undo/redo needs.
    """

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    coder: Mapped[str] = mapped_column(String(100), default="researcher")
    type: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[Optional[int]] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    undone: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_events_coder_id", "coder", "id"),)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.type} by {self.coder}>"


class AutocodeRule(Base):
    """An auto-coding rule of one code; running it writes ``Suggestion`` rows, never codings.

    ``kind`` is ``keywords`` (``pattern`` = list of strings), ``regex`` (a Python regular
    expression string) or ``spacy`` (a list of spaCy ``Matcher`` token patterns, each a
    list of token dicts). ``unit`` widens each match to its sentence or paragraph.
    """

    __tablename__ = "autocode_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # keywords | regex | spacy
    pattern: Mapped[Any] = mapped_column(JSON)
    unit: Mapped[str] = mapped_column(String(10), default="match")  # match | sentence | paragraph
    fold_traditional: Mapped[int] = mapped_column(Integer, default=1)  # match traditional as simplified
    ignore_case: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(100), default="researcher")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('keywords', 'regex', 'spacy')", name="kind"),
        CheckConstraint("unit IN ('match', 'sentence', 'paragraph')", name="unit"),
        Index("ix_autocode_rules_code", "code_id"),
    )

    def __repr__(self) -> str:
        return f"<AutocodeRule {self.id} {self.kind} code={self.code_id} unit={self.unit}>"


class Suggestion(Base):
    """A suggested coding (from an ``AutocodeRule``) or link (from place names) awaiting review.

    ``kind='coding'``: ``document_id, code_id, start, end, quote`` (code points) and
    ``rule_id``. ``kind='city'`` / ``'dyad'``: ``coding_id`` and ``city_code`` or
    ``city_a < city_b``. ``status`` is ``pending``, ``accepted`` (``result_id`` = the
    coding or link made) or ``rejected`` (kept so that it is not proposed again).
    """

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # coding | city | dyad
    rule_id: Mapped[Optional[int]] = mapped_column(ForeignKey("autocode_rules.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    code_id: Mapped[Optional[int]] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    start: Mapped[Optional[int]] = mapped_column(Integer)
    end: Mapped[Optional[int]] = mapped_column(Integer)
    quote: Mapped[Optional[str]] = mapped_column(Text)
    coding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("codings.id", ondelete="CASCADE"))
    city_code: Mapped[Optional[str]] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    city_a: Mapped[Optional[str]] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    city_b: Mapped[Optional[str]] = mapped_column(ForeignKey("cities.code", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | accepted | rejected
    result_id: Mapped[Optional[int]] = mapped_column(Integer)  # coding or link id made on acceptance
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[Optional[str]] = mapped_column(String(100))
    # issue 13: who proposed it (rule | encoder | llm), how strongly (cosine similarity for the
    # encoder, the model's confidence for an LLM), the nearest coded example and the model version
    origin: Mapped[str] = mapped_column(String(10), default="rule", server_default="rule")
    score: Mapped[Optional[float]] = mapped_column(Float)
    example_id: Mapped[Optional[int]] = mapped_column(ForeignKey("codings.id", ondelete="SET NULL"))
    example_quote: Mapped[Optional[str]] = mapped_column(Text)
    model: Mapped[Optional[str]] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("kind IN ('coding', 'city', 'dyad')", name="kind"),
        CheckConstraint("origin IN ('rule', 'encoder', 'llm')", name="origin"),
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),
        Index("ix_suggestions_status_rule", "status", "rule_id"),
        Index("ix_suggestions_doc_start", "document_id", "start"),
        Index("ix_suggestions_coding", "coding_id"),
    )

    def __repr__(self) -> str:
        return f"<Suggestion {self.id} {self.kind} {self.status}>"


class MetaInference(Base):
    """The researcher's meta-inference on one row of a joint display (quant.md §6).

    ``display`` is ``side-by-side`` (``row_key`` = a model term, e.g. ``log_gravity``) or
    ``case`` (``row_key`` = a city code or a dyad ``"a-b"`` with ``a < b``), within one
    collaboration ``dimension``. ``label`` is ``confirmation``, ``expansion`` or
    ``discordance`` (Fetters, Curry & Creswell 2013), or ``""`` while only a note is kept.
    ``formula`` is the model formula the judgement was made against.
    """

    __tablename__ = "meta_inferences"
    id: Mapped[int] = mapped_column(primary_key=True)
    display: Mapped[str] = mapped_column(String(20))  # side-by-side | case
    dimension: Mapped[str] = mapped_column(String(20))  # breadth | connection | degree
    row_key: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(100), default="researcher")
    formula: Mapped[Optional[str]] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("display", "dimension", "row_key", name="display_row"),
        CheckConstraint("display IN ('side-by-side', 'case')", name="display"),
        CheckConstraint("dimension IN ('breadth', 'connection', 'degree')", name="dimension"),
        CheckConstraint("label IN ('', 'confirmation', 'expansion', 'discordance')", name="label"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<MetaInference {self.display} {self.dimension}:{self.row_key} {self.label!r}>"


class User(Base):
    """A person who may log in to a team workbench (team mode only).

    ``role`` is ``owner`` (manage users, codebook, project settings), ``coder`` (code,
    memo, link, fit) or ``viewer`` (read, export). ``password_hash`` is an argon2id hash
    in PHC string form; the clear password is never stored. ``name`` is what codings and
    events record as their coder.
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (
        CheckConstraint("role IN ('owner', 'coder', 'viewer')", name="role"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<User {self.name!r} {self.role}>"


class LoginAttempt(Base):
    """One login attempt (the log behind rate limiting): who was named, when, whether it
    succeeded, and from where (the client address when known, else ``""``)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    name: Mapped[str] = mapped_column(String(100))
    ok: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (Index("ix_login_attempts_name_ts", "name", "ts"),)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.name!r} ok={self.ok} at {self.ts}>"


class CodeDimensionMap(Base):
    """Maps a code to a collaboration dimension (breadth, connection, degree): the code's passages
    are evidence for that dimension's runs, shown across the run's case groups in the joint display
    even when the code speaks to no single model term."""

    __tablename__ = "code_dimension_map"
    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        UniqueConstraint("code_id", "dimension", name="code_dimension"),
        CheckConstraint("dimension IN ('breadth', 'connection', 'degree')", name="dimension"),
    )

    def __repr__(self) -> str:
        return f"<CodeDimensionMap code={self.code_id} -> {self.dimension}>"


class Run(Base):
    """A saved analysis: one fit the researcher keeps, with everything needed to show, compare and
    report it without refitting.

    ``result`` is ``FitResult.to_dict()`` (estimates, every SE type with its full covariance matrix,
    labels, fit statistics, warnings, meta); ``units`` the per-unit table (ids, observed ``y``,
    ``fitted``, ``pearson`` and the design columns), zlib-compressed JSON (``quant.runs.saved``);
    ``fingerprint`` the SHA-256 of the data the run was fitted on (unit ids, outcome, every
    covariate, quantitized codes included), compared with the project's current data to say
    whether the run is stale. ``deleted`` is set when the run is deleted (undoable); a deleted
    run is listed nowhere but can be restored.
    """

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    dimension: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(20))
    formula: Mapped[str] = mapped_column(Text)
    zero_formula: Mapped[Optional[str]] = mapped_column(Text)
    se_type: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    n: Mapped[int] = mapped_column(Integer)
    n_nodes: Mapped[Optional[int]] = mapped_column(Integer)
    result: Mapped[dict] = deferred(mapped_column(JSON))
    units: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    fingerprint: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="researcher")
    tandem_version: Mapped[str] = mapped_column(String(40), default="")
    deleted: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("dimension IN ('breadth', 'connection', 'degree')", name="dimension"),
        Index("ix_runs_dimension_created", "dimension", "created"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.name!r} {self.dimension}/{self.model}>"


class WorklistCase(Base):
    """A case the researcher ticked for fieldwork: a city (``level`` = ``city``, ``unit_key`` = its
    code) or a dyad (``level`` = ``dyad``, ``unit_key`` = ``"a|b"`` with ``a < b``), the run and
    rule that chose it, the values shown when it was ticked, and the researcher's memo."""

    __tablename__ = "worklist_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    unit_key: Mapped[str] = mapped_column(String(300))
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    rule: Mapped[str] = mapped_column(String(40), default="")
    case_type: Mapped[str] = mapped_column(String(200), default="")
    observed: Mapped[Optional[float]] = mapped_column(Float)
    predicted: Mapped[Optional[float]] = mapped_column(Float)
    residual: Mapped[Optional[float]] = mapped_column(Float)
    memo: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_by: Mapped[str] = mapped_column(String(100), default="researcher")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("level", "unit_key", name="level_unit"),
        CheckConstraint("level IN ('city', 'dyad')", name="level"),
        {"sqlite_autoincrement": True},
    )

    def __repr__(self) -> str:
        return f"<WorklistCase {self.id} {self.level}:{self.unit_key}>"


# Directed dyads live in their own module (store.models_directed); importing it here puts their
# tables in Base.metadata wherever store.models is imported (the app, Alembic's env).
from store.models_directed import DirectedDyad, DirectedDyadAttribute  # noqa: E402,F401
from store.models_assist import LlmExchange, UnitEmbedding  # noqa: E402,F401
