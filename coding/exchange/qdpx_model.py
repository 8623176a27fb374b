"""What :mod:`coding.exchange.qdpx_read` returns: a REFI-QDA project as plain dataclasses.

GUIDs are canonical (lower case, no braces) or ``None`` when the file's value is not a GUID;
offsets are as written in the file (their unit is decided by :mod:`coding.exchange.qdpx_place`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coding.exchange.codebook_merge import CodeNode

__all__ = ["RCoding", "RSelection", "RSource", "RNote", "RCase", "RVariable", "RSet", "QdpxProject"]


@dataclass
class RCoding:
    """One ``Coding``: its GUID, the code's GUID, the creating user's GUID, its notes."""

    guid: str | None
    code_guid: str | None
    user: str | None
    note_refs: list[str] = field(default_factory=list)
    created: datetime | None = None


@dataclass
class RSelection:
    """A ``PlainTextSelection`` (offsets as written in the file, unit unknown) or a
    ``PDFSelection`` (``kind="pdf"``, no offsets; ``quote`` from its ``Representation``)."""

    guid: str | None
    name: str
    start: int | None
    end: int | None
    description: str
    user: str | None
    codings: list[RCoding] = field(default_factory=list)
    note_refs: list[str] = field(default_factory=list)
    kind: str = "text"
    quote: str | None = None


@dataclass
class RSource:
    """A text (or PDF-with-text) source: ``raw`` is the text as found (BOM and line breaks
    untouched), ``None`` when the file is missing (``missing`` says why)."""

    guid: str | None
    name: str
    kind: str  # text | pdf
    raw: str | None
    missing: str = ""
    description: str = ""
    user: str | None = None
    selections: list[RSelection] = field(default_factory=list)
    codings: list[RCoding] = field(default_factory=list)  # whole-source codings
    note_refs: list[str] = field(default_factory=list)
    variables: list[tuple[str, Any]] = field(default_factory=list)  # (variable GUID, value)
    created: datetime | None = None


@dataclass
class RNote:
    guid: str | None
    name: str
    text: str
    user: str | None
    created: datetime | None = None


@dataclass
class RVariable:
    guid: str
    name: str
    type: str
    description: str = ""


@dataclass
class RCase:
    guid: str | None
    name: str
    description: str
    code_refs: list[str]
    variables: list[tuple[str, Any]]
    source_refs: list[str]
    selection_refs: list[str]


@dataclass
class RSet:
    guid: str | None
    name: str
    description: str
    member_codes: list[str]
    member_sources: list[str]
    member_notes: list[str]


@dataclass
class QdpxProject:
    """Everything the importer uses, plus counts of what it does not (``skipped``)."""

    name: str
    origin: str
    creating_user: str | None
    users: dict[str, str]  # GUID -> name ("" when unnamed)
    codes: list[CodeNode]
    code_notes: dict[str, list[str]]  # code GUID -> note GUIDs
    variables: dict[str, RVariable]
    cases: list[RCase]
    sources: list[RSource]
    notes: dict[str, RNote]
    sets: list[RSet]
    links: list[tuple[str, str, str]]  # (origin GUID, target GUID, name)
    project_notes: list[str]
    description: str = ""
    skipped: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
