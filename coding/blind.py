"""Blind coding: in a project set to blind, a coder sees only their own codings until the owner unblinds.

The setting is the ``project_info`` row ``blind_coding`` =
``{"on": bool, "by": name, "at": ISO 8601 UTC, "log": [{"on", "by", "at"}, ...]}`` (the last
:data:`LOG_SIZE` switches: who switched it and when). It is not an undoable event: a coder's
undo must not unblind a project, so the switch is recorded in the setting itself.

Who is looking is put on the SQLAlchemy session by the caller (the workbench does it in
``ui.state.db``), with :func:`set_viewer`: ``session.info["viewer"] = {"name", "role", "team",
"blind_self", "writing"}``. A session without a viewer (the command line, library calls, the
owner's own scripts) sees everything. While the project is blind, :func:`viewer_filter` is the
coder whose codings alone are visible: the viewer's name, unless the viewer is an owner (who
manages the project and sees everything) who has not asked to code blind themselves
(``blind_self``); a team ``viewer`` (who codes nothing) then sees no codings. In single-user mode the workbench sets the sidebar's coder as a ``coder``:
whoever sits at the machine may switch blind coding off, so it protects against a glance, not
against a determined person.

How the filter is applied: one hook (:func:`_filter_reads`, SQLAlchemy's ``do_orm_execute``
session event with ``with_loader_criteria``) adds, to every ORM ``SELECT`` a filtered session
runs, "coder = viewer" on ``codings``, "coding is visible" on ``coding_links`` and on memos
written on a coding. So every library function that returns codings or counts of them
(retrieve, counts by city and dyad, matrices, co-occurrence, the codebook's and documents'
counts, unit codes, mixed evidence, quantitized counts, exports) is blind at once, also functions written later. Reads
inside a write (``writing``) of an owner, or of anyone in single-user mode, are not filtered, so
that merging codes or re-anchoring a new version never leaves hidden codings behind (a team
coder may do neither; their writes read as they read). Writes are guarded by
:func:`check_may_change` (a coder may not edit or delete another coder's coding while blind;
a team coder's link or memo to a hidden coding finds no such coding). Statements that must see every coding pass the execution option :data:`ALL` = True.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import String, cast, event, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import ColumnElement

from i18n import _
import store
from coding.checks import as_coder
from coding.errors import CodingError

__all__ = [
    "ALL", "KEY", "AGREEMENT_REFUSED", "blind_state", "check_may_change", "refuse_agreement", "set_blind",
    "set_viewer", "viewer", "viewer_filter", "visible",
]

KEY = "blind_coding"
VIEWER = "viewer"
ALL = "tandem_all_codings"
"""Execution option: ``session.execute(stmt, execution_options={ALL: True})`` sees every coding."""
LOG_SIZE = 50
OWNER_ROLES = frozenset({"owner"})
AGREEMENT_REFUSED = "The project is blind: the owner unblinds it before agreement is computed."
_CACHE = "_blind_on"  # (transaction, on) for the hook: the setting read once per transaction


def blind_state(session: Session) -> dict[str, Any]:
    """The blind-coding setting: ``{"on": bool, "by": str or None, "at": ISO str or None, "log": list}``.

    A project that never switched it is not blind (``on`` False, ``by``/``at`` None, empty log).
    """
    value = session.scalar(select(store.ProjectInfo.value).where(store.ProjectInfo.key == KEY),
                           execution_options={ALL: True})
    value = value if isinstance(value, dict) else {}
    return {"on": value.get("on") is True, "by": value.get("by"), "at": value.get("at"),
            "log": list(value.get("log") or [])}


def set_blind(session: Session, on: bool, by: str) -> dict[str, Any]:
    """Switch blind coding on or off; returns the new :func:`blind_state`.

    Parameters
    ----------
    on : bool
    by : str
        Who switches it (kept with the time, in UTC, in the setting's log).

    Raises
    ------
    CodingError
        ``on`` is not a bool, ``by`` is not a valid name, or the session's viewer is a team
        member who is not an owner (only an owner may switch it; in single-user mode whoever
        is at the machine may).
    """
    if not isinstance(on, bool):
        raise CodingError(_("Blind coding is on (True) or off (False), got {on!r}.").format(on=on))
    who = as_coder(by)
    person = viewer(session)
    if person and person.get("team") and person.get("role") not in OWNER_ROLES:
        raise CodingError(_("Only an owner may switch blind coding on or off; ask an owner."))
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    old = blind_state(session)
    log = (old["log"] + [{"on": on, "by": who, "at": at}])[-LOG_SIZE:]
    value = {"on": on, "by": who, "at": at, "log": log}
    row = session.get(store.ProjectInfo, KEY)
    if row is None:
        session.add(store.ProjectInfo(key=KEY, value=value))
    else:
        row.value = value
    session.flush()
    session.info[_CACHE] = (session.get_transaction(), on)
    return blind_state(session)


def set_viewer(session: Session, name: str | None, role: str | None = "coder", *, team: bool = False,
               blind_self: bool = False, writing: bool = False) -> None:
    """Say who looks through this session (None: nobody in particular, everything is visible).

    Parameters
    ----------
    name : str or None
        The coder's name as stored on their codings.
    role : str
        ``owner``, ``coder`` or ``viewer`` (team roles, :mod:`team.roles`); single-user mode
        passes ``coder``.
    team : bool
        Team mode: then only an owner may switch blind coding.
    blind_self : bool
        An owner who asks to see only their own codings while the project is blind.
    writing : bool
        The session is a write: reads inside it are not filtered for an owner or in single-user
        mode (see the module's notes).
    """
    if name is None:
        session.info.pop(VIEWER, None)
        return
    try:
        shown = as_coder(name)
    except CodingError:  # a name no coding can carry: while blind it sees nothing, which is safe
        shown = str(name)
    session.info[VIEWER] = {"name": shown, "role": role, "team": bool(team),
                            "blind_self": bool(blind_self), "writing": bool(writing)}


def viewer(session: Session) -> dict[str, Any] | None:
    """The session's viewer (:func:`set_viewer`), or None."""
    person = session.info.get(VIEWER)
    return person if isinstance(person, dict) and person.get("name") else None


def _writes_see_all(person: dict[str, Any]) -> bool:
    """Whether reads inside this viewer's writes go unfiltered: an owner's (merging codes, re-anchoring,
    deleting a document must reach every coding), and anyone's in single-user mode (who may do all
    that too). A team coder's writes read as the coder reads, so a write that aggregates codings
    (a quantitized covariate) cannot reveal the other coders' counts."""
    return not person.get("team") or person.get("role") in OWNER_ROLES


def _blind_on(session: Session) -> bool:
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    on = blind_state(session)["on"]
    session.info[_CACHE] = (session.get_transaction(), on)
    return on


def viewer_filter(session: Session) -> str | None:
    """The coder whose codings alone this session may see, or None for all.

    None when the session has no viewer, the project is not blind, or the viewer is an owner
    who has not asked to code blind (``blind_self``).
    """
    person = viewer(session)
    if person is None:
        return None
    if person.get("role") in OWNER_ROLES and not person.get("blind_self"):
        return None
    if not _blind_on(session):
        return None
    return person["name"]


def visible(session: Session) -> ColumnElement[bool]:
    """A condition on ``store.Coding``: the codings this session may see (``true()`` when all)."""
    name = viewer_filter(session)
    return true() if name is None else store.Coding.coder == name


def check_may_change(session: Session, coding_id: Any, doing: str = "change") -> None:
    """Refuse, while blind, to let a viewer edit, delete or link another coder's coding.

    Raises
    ------
    CodingError
        The coding is another coder's and the project is blind for this viewer (one sentence
        that names no coder, so it reveals nothing about whose it is).
    """
    name = viewer_filter(session)
    if name is None:
        return
    try:
        key = int(coding_id)
    except (TypeError, ValueError):
        return  # the caller's own check says what is wrong with the id
    owner = session.scalar(select(store.Coding.coder).where(store.Coding.id == key), execution_options={ALL: True})
    if owner is not None and owner != name:
        if doing == "delete":
            message = _("The project is blind: you may delete only your own codings, and coding {key} is another "
                        "coder's.")
        elif doing == "edit":
            message = _("The project is blind: you may edit only your own codings, and coding {key} is another "
                        "coder's.")
        else:
            message = _("The project is blind: you may change only your own codings, and coding {key} is another "
                        "coder's.")
        raise CodingError(message.format(key=key))


def refuse_agreement(session: Session) -> None:
    """Raise :data:`AGREEMENT_REFUSED` (a :class:`CodingError`) while the project is blind for this viewer."""
    if viewer_filter(session) is not None:
        raise CodingError(AGREEMENT_REFUSED)


@event.listens_for(Session, "do_orm_execute")
def _filter_reads(state: ORMExecuteState) -> None:
    """Add the viewer's filter to every ORM SELECT of a session read by a blind coder."""
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    if state.execution_options.get(ALL):
        return
    person = viewer(state.session)
    if person is None or (person.get("writing") and _writes_see_all(person)):
        return
    name = viewer_filter(state.session)
    if name is None:
        return
    mine = select(store.Coding.id).where(store.Coding.coder == name)
    mine_text = select(cast(store.Coding.id, String)).where(store.Coding.coder == name)
    state.statement = state.statement.options(
        with_loader_criteria(store.Coding, store.Coding.coder == name, include_aliases=True),
        with_loader_criteria(store.CodingLink, store.CodingLink.coding_id.in_(mine), include_aliases=True),
        with_loader_criteria(store.Memo, or_(store.Memo.target_type != "coding", store.Memo.target_id.in_(mine_text)),
                             include_aliases=True),
    )
