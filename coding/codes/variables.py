"""The map from codes to model variables (regression terms), for the joint displays."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder, get_code
from coding.errors import CodingError
from coding.eventlog.events import EventType, record


def variable_map(session: Session) -> dict[int, list[str]]:
    """Code id -> model variables it speaks to (codes without variables are absent)."""
    out: dict[int, list[str]] = {}
    stmt = select(store.CodeVariableMap.code_id, store.CodeVariableMap.variable).order_by(
        store.CodeVariableMap.code_id, store.CodeVariableMap.id)
    for cid, variable in session.execute(stmt):
        out.setdefault(cid, []).append(variable)
    return out


def set_variable_map(session: Session, code_id: int, variables: Iterable[str], *, coder: str = "researcher") -> None:
    """Replace the model variables a code maps to (an empty list clears them).

    Parameters
    ----------
    session : Session
    code_id : int
    variables : iterable of str
        Variable names as they appear in model formulas; blanks stripped, duplicates dropped.
    coder : str
        Who made the change (event log).

    Raises
    ------
    CodingError
        Unknown code, or a variable that is not a non-empty single-line string.
    """
    coder = as_coder(coder)
    code = get_code(session, code_id)
    if isinstance(variables, str):
        raise CodingError(_("Variables must be a list of names, got the string {variables!r}.").format(
                            variables=variables))
    new: list[str] = []
    for v in variables:
        if not isinstance(v, str) or not v.strip() or "\n" in v or len(v.strip()) > 200:
            raise CodingError(_("Variable {v!r} is not valid; give a non-empty single-line name.").format(v=v))
        if v.strip() not in new:
            new.append(v.strip())
    before = variable_map(session).get(code.id, [])
    if before == new:
        return
    session.execute(delete(store.CodeVariableMap).where(store.CodeVariableMap.code_id == code.id))
    for v in new:
        session.add(store.CodeVariableMap(code_id=code.id, variable=v))
    session.flush()
    record(session, EventType.VARIABLE_MAP_SET, {"code_id": code.id, "before": before, "after": new}, coder)
