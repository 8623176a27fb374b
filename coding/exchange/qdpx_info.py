"""Project facts the REFI-QDA exchange keeps in ``store.ProjectInfo`` (JSON values):
``refi_users`` (coder name -> GUID), ``refi_variables`` (name -> {guid, type, description}),
``refi_cases`` (list of {guid, name, description, city, sources, variables}) and ``refi_sets``."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

import store

__all__ = ["get_info", "set_info"]


def get_info(session: Session, key: str, default: Any) -> Any:
    row = session.get(store.ProjectInfo, key)
    return default if row is None or row.value is None else row.value


def set_info(session: Session, key: str, value: Any) -> None:
    row = session.get(store.ProjectInfo, key)
    if row is None:
        session.add(store.ProjectInfo(key=key, value=value))
    else:
        row.value = value
    session.flush()
