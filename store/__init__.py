"""Project store: every table (``store.models``) and connecting (``store.db``).

Callers write ``store.Document`` and ``store.connect(path)``; store imports nothing
else from Tandem.
"""
from store.db import ProjectError, connect, database_url, session_factory, session_scope
from store.models import (
    Base,
    City,
    CityAttribute,
    Code,
    CodeVariableMap,
    Coding,
    CodingLink,
    Document,
    Dyad,
    DyadAttribute,
    Event,
    LoginAttempt,
    Memo,
    ModelSpec,
    PlaceMention,
    ProjectInfo,
    Segment,
    User,
    new_guid,
    utcnow,
)

__all__ = [
    "Base", "City", "CityAttribute", "Code", "CodeVariableMap", "Coding", "CodingLink", "Document",
    "Dyad", "DyadAttribute", "Event", "LoginAttempt", "Memo", "ModelSpec", "PlaceMention", "ProjectError", "ProjectInfo",
    "Segment", "User", "connect", "database_url", "new_guid", "session_factory", "session_scope", "utcnow",
]
