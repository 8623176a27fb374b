"""Project store: every table (``store.models``) and connecting (``store.db``).

Callers write ``store.Document`` and ``store.connect(path_or_url)``; store imports nothing
else from Tandem. ``store.urls`` tells paths from URLs and masks passwords;
``store.textcheck`` refuses text no database can store (``store.TextError``).
"""
from store.db import connect, is_empty, savepoint, session_factory, session_scope
from store.errors import ProjectError, TextError
from store.urls import TargetError, database_url, display_name, is_url, mask_secrets, mask_url
from store.models import (
    Base,
    City,
    CityAttribute,
    Code,
    CodeDimensionMap,
    CodeVariableMap,
    Coding,
    CodingLink,
    Document,
    DirectedDyad,
    DirectedDyadAttribute,
    Dyad,
    DyadAttribute,
    Event,
    LlmExchange,
    LoginAttempt,
    Memo,
    ModelSpec,
    PlaceMention,
    ProjectInfo,
    Run,
    Segment,
    UnitEmbedding,
    User,
    WorklistCase,
    new_guid,
    utcnow,
)

__all__ = [
    "Base", "City", "CityAttribute", "Code", "CodeDimensionMap", "CodeVariableMap", "Coding", "CodingLink", "Document",
    "DirectedDyad", "DirectedDyadAttribute", "Dyad", "DyadAttribute", "Event", "LlmExchange", "LoginAttempt", "Memo", "ModelSpec", "PlaceMention", "ProjectError", "ProjectInfo", "Run",
    "Segment", "UnitEmbedding", "TargetError", "TextError", "User", "WorklistCase", "connect", "database_url", "display_name", "is_empty", "is_url",
    "mask_secrets", "mask_url", "new_guid", "savepoint", "session_factory", "session_scope", "utcnow",
]
