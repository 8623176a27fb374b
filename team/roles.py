"""What each role may do in team mode, and the check that refuses the rest.

- **owner**: manage users, change the codebook, change the project (documents, cities,
  settings), unblind, undo or redo anyone's changes — and everything a coder may do;
- **coder**: code, memo, link codings to cities and dyads, fit (save specifications and
  quantitized covariates) — and read and export;
- **viewer**: read and export.

Actions are strings (:data:`ACTIONS`). :func:`require` raises :class:`AccessDenied`;
:func:`table_action` says which action a write to a project table needs, for
:mod:`team.guard`, which enforces it on a database session whatever function writes.
"""
from __future__ import annotations

from i18n import _
from team.errors import AccessDenied, TeamError

__all__ = ["ACTIONS", "PERMISSIONS", "ROLES", "allowed", "check_role", "require", "table_action"]

ROLES = ("owner", "coder", "viewer")

#: action -> what it is, for messages ("A viewer may not <what>").
ACTIONS = {
    "manage_users": "manage users",
    "codebook": "change the codebook",
    "project": "change the project's documents, cities or settings",
    "unblind": "unblind",
    "undo_others": "undo or redo another person's changes",
    "code": "code",
    "memo": "write memos",
    "link": "link codings to cities and dyads",
    "fit": "save model specifications, runs or covariates",
    "read": "read",
    "export": "export",
}

_READ = frozenset({"read", "export"})
_CODE = _READ | {"code", "memo", "link", "fit"}
PERMISSIONS = {"owner": frozenset(ACTIONS), "coder": frozenset(_CODE), "viewer": _READ}

#: Project table -> the action a write to it needs. Tables written while coding (events,
#: suggestions, dyads made by linking, covariates made by quantitizing) need a coder's action;
#: the codebook, documents, cities, settings and users need an owner's.
_TABLES = {
    "codings": "code", "events": "code", "suggestions": "code", "autocode_rules": "code",
    "memos": "memo", "meta_inferences": "memo", "worklist_cases": "memo",
    "coding_links": "link", "dyads": "link",
    "model_specs": "fit", "runs": "fit", "city_attributes": "fit", "dyad_attributes": "fit",
    "codes": "codebook", "code_variable_map": "codebook", "code_dimension_map": "codebook",
    "documents": "project", "segments": "project", "place_mentions": "project", "cities": "project",
    "project_info": "project",
    "users": "manage_users", "login_attempts": "manage_users",
}


def check_role(role: object) -> str:
    """``role`` if it is one of :data:`ROLES`, else :class:`TeamError`."""
    if role not in ROLES:
        raise TeamError(_("Role {role!r} is unknown; use one of {names}.").format(role=role, names=', '.join(ROLES)))
    return role  # type: ignore[return-value]


def allowed(role: str, action: str) -> bool:
    """Whether ``role`` may do ``action``; an unknown role may do nothing, and an unknown
    action raises :class:`TeamError` (so a typo cannot open a door)."""
    if action not in ACTIONS:
        raise TeamError(_("Action {action!r} is unknown; known actions: {names}.")
                        .format(action=action, names=', '.join(ACTIONS)))
    return action in PERMISSIONS.get(role, frozenset())


def require(role: str | None, action: str) -> None:
    """Return if ``role`` may do ``action``; else raise :class:`AccessDenied` with one sentence.

    ``role`` None means nobody is logged in, which allows nothing.
    """
    if role is None:
        raise AccessDenied("Log in first.")
    if not allowed(role, action):
        article = "An" if role[0] in "aeiou" else "A"
        raise AccessDenied(f"{article} {role} may not {ACTIONS[action]}; ask an owner.")


def table_action(table: str) -> str:
    """The action that writing to ``table`` needs; a table not listed needs ``project`` (owner)."""
    return _TABLES.get(table, "project")
