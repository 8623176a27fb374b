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

from i18n import N_, _
from team.errors import AccessDenied, TeamError

__all__ = ["ACTIONS", "PERMISSIONS", "REFUSALS", "ROLES", "SUBJECTS", "allowed", "check_role", "refusal", "require",
           "table_action"]

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

#: The refusal for each action, a whole sentence in the reader's language (``{subject}`` is
#: :data:`SUBJECTS` of the role); English reads "A viewer may not <ACTIONS[action]>; ask an owner.".
REFUSALS = {
    "manage_users": N_("{subject} may not manage users; ask an owner."),
    "codebook": N_("{subject} may not change the codebook; ask an owner."),
    "project": N_("{subject} may not change the project's documents, cities or settings; ask an owner."),
    "unblind": N_("{subject} may not unblind; ask an owner."),
    "undo_others": N_("{subject} may not undo or redo another person's changes; ask an owner."),
    "code": N_("{subject} may not code; ask an owner."),
    "memo": N_("{subject} may not write memos; ask an owner."),
    "link": N_("{subject} may not link codings to cities and dyads; ask an owner."),
    "fit": N_("{subject} may not save model specifications, runs or covariates; ask an owner."),
    "read": N_("{subject} may not read; ask an owner."),
    "export": N_("{subject} may not export; ask an owner."),
}
SUBJECTS = {"owner": N_("An owner"), "coder": N_("A coder"), "viewer": N_("A viewer")}


def refusal(role: str, action: str) -> str:
    """The one sentence refusing ``action`` to ``role``, in the current language."""
    subject = _(SUBJECTS[role]) if role in SUBJECTS else role
    if action in REFUSALS:
        return _(REFUSALS[action]).format(subject=subject)
    return _("{subject} may not {action}; ask an owner.").format(subject=subject, action=action)


_READ = frozenset({"read", "export"})
_CODE = _READ | {"code", "memo", "link", "fit"}
PERMISSIONS = {"owner": frozenset(ACTIONS), "coder": frozenset(_CODE), "viewer": _READ}

#: Project table -> the action a write to it needs. Tables written while coding (events,
#: suggestions, dyads made by linking, covariates made by quantitizing) need a coder's action;
#: the codebook, documents, cities, settings and users need an owner's.
_TABLES = {
    "codings": "code", "events": "code", "suggestions": "code", "autocode_rules": "code",
    "unit_embeddings": "code", "llm_exchanges": "code",  # the assistant's cache and audit log (issue 13)
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
        raise AccessDenied(_("Log in first."))
    if not allowed(role, action):
        raise AccessDenied(refusal(role, action))


def table_action(table: str) -> str:
    """The action that writing to ``table`` needs; a table not listed needs ``project`` (owner)."""
    return _TABLES.get(table, "project")
