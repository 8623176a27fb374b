"""The codebook: one tree of codes (categories have ``codable=0``), colours, criteria, and
the map from codes to model variables.

Code names are unique among siblings (compared case-insensitively) and may not contain
``/``, which separates the levels of a path such as ``"Needs/Social needs"``. Every change
writes one event (see :mod:`coding.eventlog.events`). Reading the tree lives in
:mod:`coding.tree` and the variable map in :mod:`coding.codes.variables`; both are re-exported
here.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import as_coder, as_text, get_code
from coding.codes.default import (AUTO_COLOURS, DEFAULT_CODEBOOK, DEFAULT_DIMENSION_MAP, DEFAULT_VARIABLE_MAP,
                                     CodeSpec)
from coding.errors import CodingError
from coding.eventlog.events import EventType, record, snapshot
from coding.tree import MAX_DEPTH, code_id_by_name, codebook, depth_of, descendants
from corpus.name_keys import clean_label, name_key
from corpus.names import BadNameError
from coding.codes.variables import set_variable_map, variable_map

__all__ = [
    "DEFAULT_CODEBOOK", "DEFAULT_VARIABLE_MAP", "MAX_NAME", "CodeSpec", "add_code", "check_sibling_name",
    "clean_code_name", "code_id_by_name", "codebook", "delete_code", "descendants", "ensure_default_codebook",
    "move_code", "next_position", "rename_code", "set_variable_map", "update_code", "variable_map",
]

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_TEXT_FIELDS = ("definition", "inclusion", "exclusion", "example")
_FIELDS = ("name", "colour", "codable", *_TEXT_FIELDS)
MAX_NAME = 200


# --- checks -------------------------------------------------------------------------------

def clean_code_name(name: Any) -> str:
    """A code name as stored: ``corpus.name_keys.clean_label`` (NFKC but full-width punctuation
    such as ``（：／`` kept, invisible characters removed; controls and bidi overrides refused),
    then no ``/`` and at most ``MAX_NAME`` code points.

    Raises
    ------
    CodingError
        Not a non-empty string, a refused character, a ``/``, or too long.
    """
    if not isinstance(name, str) or not name.strip():
        raise CodingError(_("Code name {name!r} is not valid; give a non-empty name.").format(name=name))
    try:
        clean = clean_label(name, "code name", max_len=10 * MAX_NAME)
    except BadNameError as exc:
        raise CodingError(str(exc)) from None
    if "/" in clean:
        raise CodingError(_("Code name {clean!r} contains '/', which separates levels of a code path.").format(
                            clean=clean))
    if len(clean) > MAX_NAME:
        raise CodingError(_("Code name {value!r}... is longer than {max_name} characters.").format(
                            value=clean[:30], max_name=MAX_NAME))
    return clean


def _clean_colour(colour: Any) -> str:
    if not isinstance(colour, str) or not _COLOUR.match(colour.strip()):
        raise CodingError(_("Colour {colour!r} is not valid; write it as #RRGGBB, e.g. '#FFD49A'.").format(
                            colour=colour))
    return colour.strip().upper()


def check_sibling_name(session: Session, parent_id: int | None, name: str, exclude_id: int | None) -> None:
    """Refuse ``name`` under ``parent_id`` (``None``: the top of the codebook) when a sibling other
    than ``exclude_id`` has the same name key (``corpus.name_keys.name_key``: "Ｍａｒｋ" = "Mark").

    Raises
    ------
    CodingError
        The clash, naming the existing code and its id.
    """
    stmt = select(store.Code.id, store.Code.name).where(
        store.Code.parent_id.is_(None) if parent_id is None else store.Code.parent_id == parent_id
    )
    key = name_key(name)
    for cid, other in session.execute(stmt):
        if cid != exclude_id and name_key(other) == key:
            if parent_id is None:
                message = _("A code named {other!r} already exists at the top of the codebook (id {cid}); names "
                            "must be unique among siblings.")
            else:
                message = _("A code named {other!r} already exists under code {parent} (id {cid}); names must be "
                            "unique among siblings.")
            raise CodingError(message.format(other=other, parent=parent_id, cid=cid))


def next_position(session: Session, parent_id: int | None) -> int:
    """The position after the last child of ``parent_id`` (``None``: top level); 0 if it has none."""
    stmt = select(func.max(store.Code.position)).where(
        store.Code.parent_id.is_(None) if parent_id is None else store.Code.parent_id == parent_id
    )
    top = session.scalar(stmt)
    return 0 if top is None else top + 1


def _auto_colour(session: Session) -> str:
    used = {c.upper() for c in session.scalars(select(store.Code.colour))}
    for colour in AUTO_COLOURS:
        if colour not in used:
            return colour
    n = session.scalar(select(func.count(store.Code.id))) or 0
    return AUTO_COLOURS[n % len(AUTO_COLOURS)]


# --- creating -----------------------------------------------------------------------------

def _insert_code(session: Session, *, name: str, parent_id: int | None, colour: str, codable: bool,
                 definition: str, inclusion: str, exclusion: str, example: str) -> store.Code:
    code = store.Code(
        name=name, parent_id=parent_id, colour=colour, codable=1 if codable else 0,
        definition=definition, inclusion=inclusion, exclusion=exclusion, example=example,
        position=next_position(session, parent_id),
    )
    session.add(code)
    session.flush()
    return code


def add_code(
    session: Session,
    name: str,
    *,
    parent_id: int | None = None,
    definition: str = "",
    inclusion: str = "",
    exclusion: str = "",
    example: str = "",
    colour: str | None = None,
    codable: bool = True,
    coder: str = "researcher",
) -> int:
    """Add a code (or a category with ``codable=False``) at the end of its siblings.

    Parameters
    ----------
    session : Session
    name : str
        Unique among its siblings (case-insensitive), no ``/``; inner whitespace collapsed.
    parent_id : int, optional
        The parent code; ``None`` puts it at the top level.
    definition, inclusion, exclusion, example : str
        Codebook text.
    colour : str, optional
        ``#RRGGBB``; ``None`` picks the first unused light tint.
    codable : bool
        False for a category, which groups codes but cannot be applied to text.
    coder : str
        Who made the change (event log).

    Returns
    -------
    int
        The new code's id.

    Raises
    ------
    CodingError
        Empty or clashing name (clashes are judged on ``corpus.names.name_key``, so
        "Ｍａｒｋ" and "Mark\u200b" clash with "Mark"), a name with a line break, control
        or bidi override, unknown parent, a tree deeper than ``MAX_DEPTH``, bad colour or coder.
    """
    coder = as_coder(coder)
    clean = clean_code_name(name)
    parent = None if parent_id is None else get_code(session, parent_id).id
    if depth_of(session, parent) + 1 > MAX_DEPTH:
        raise CodingError(_("Code {value!r} would lie more than {max_depth} levels deep in the codebook.").format(
                            value=clean[:40], max_depth=MAX_DEPTH))
    texts = {f: as_text(v, f"Code {f}") for f, v in zip(_TEXT_FIELDS, (definition, inclusion, exclusion, example))}
    chosen = _auto_colour(session) if colour is None else _clean_colour(colour)
    check_sibling_name(session, parent, clean, None)
    code = _insert_code(session, name=clean, parent_id=parent, colour=chosen, codable=bool(codable), **texts)
    record(session, EventType.CODE_ADD, {"code": snapshot(code)}, coder)
    return code.id


def _create_spec(session: Session, spec: CodeSpec, parent_id: int | None, out: dict[str, int]) -> None:
    code = _insert_code(
        session, name=spec.name, parent_id=parent_id, colour=spec.colour, codable=spec.codable,
        definition=spec.definition, inclusion=spec.inclusion, exclusion=spec.exclusion, example=spec.example,
    )
    out[spec.name] = code.id
    for child in spec.children:
        _create_spec(session, child, code.id, out)


def ensure_default_codebook(session: Session, *, coder: str = "researcher") -> int:
    """Create :data:`DEFAULT_CODEBOOK`, :data:`DEFAULT_VARIABLE_MAP` and
    :data:`DEFAULT_DIMENSION_MAP` if there are no codes yet.

    One ``codebook_seed`` event records it; its payload holds ``code_ids``, ``variable_map`` and
    ``dimension_map`` (code id as text -> list). Undoing it removes the codes, which takes their
    variable and dimension rows with them (``coding.eventlog.rowops``), and redo puts all back.

    Idempotent: a project that has any code is left alone.

    Returns
    -------
    int
        Number of codes created (15 for a new project, 0 otherwise).
    """
    coder = as_coder(coder)
    if session.scalar(select(func.count(store.Code.id))):
        return 0
    ids: dict[str, int] = {}
    for spec in DEFAULT_CODEBOOK:
        _create_spec(session, spec, None, ids)
    mapping: dict[str, list[str]] = {}
    for name, variables in DEFAULT_VARIABLE_MAP.items():
        for variable in variables:
            session.add(store.CodeVariableMap(code_id=ids[name], variable=variable))
        mapping[str(ids[name])] = list(variables)
    dims: dict[str, list[str]] = {}
    for name, dimensions in DEFAULT_DIMENSION_MAP.items():
        for dim in dimensions:
            session.add(store.CodeDimensionMap(code_id=ids[name], dimension=dim))
        dims[str(ids[name])] = list(dimensions)
    session.flush()
    record(session, EventType.CODEBOOK_SEED,
           {"code_ids": sorted(ids.values()), "variable_map": mapping, "dimension_map": dims}, coder)
    return len(ids)


# --- editing ------------------------------------------------------------------------------

def update_code(session: Session, code_id: int, *, coder: str = "researcher", **fields: Any) -> None:
    """Change any of ``name, definition, inclusion, exclusion, example, colour, codable``.

    Parameters
    ----------
    session : Session
    code_id : int
    coder : str
        Who made the change (event log).
    **fields
        New values; unknown field names are refused.

    Raises
    ------
    CodingError
        Unknown code or field, bad value, a name clash among siblings, or making a code
        with codings into a category (``codable=False``).
    """
    coder = as_coder(coder)
    code = get_code(session, code_id)
    unknown = sorted(set(fields) - set(_FIELDS))
    if unknown:
        raise CodingError(_("Code field(s) {names} cannot be changed; use {names2}.").format(
                            names=', '.join(unknown), names2=', '.join(_FIELDS)))
    new: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "name":
            new[key] = clean_code_name(value)
            check_sibling_name(session, code.parent_id, new[key], code.id)
        elif key == "colour":
            new[key] = _clean_colour(value)
        elif key == "codable":
            new[key] = 1 if value else 0
        else:
            new[key] = as_text(value, f"Code {key}")
    if new.get("codable") == 0 and code.codable:
        n = session.scalar(select(func.count(store.Coding.id)).where(store.Coding.code_id == code.id))
        if n:
            raise CodingError(_("Code {name!r} has {n} coding(s); it cannot become a category until they are moved "
                                "or deleted.").format(name=code.name, n=n))
    before = {k: getattr(code, k) for k in new}
    changed = {k: v for k, v in new.items() if before[k] != v}
    if not changed:
        return
    for key, value in changed.items():
        setattr(code, key, value)
    session.flush()
    kind = EventType.CODE_RENAME if set(changed) == {"name"} else EventType.CODE_UPDATE
    record(session, kind, {"code_id": code.id, "before": {k: before[k] for k in changed}, "after": changed}, coder)


def rename_code(session: Session, code_id: int, name: str, *, coder: str = "researcher") -> None:
    """Rename a code; same rules as :func:`add_code` for the name.

    Raises
    ------
    CodingError
        Unknown code, empty name or a clash among siblings.
    """
    update_code(session, code_id, coder=coder, name=name)


def move_code(session: Session, code_id: int, new_parent_id: int | None, *, coder: str = "researcher") -> None:
    """Move a code (with its subtree) under ``new_parent_id`` (``None`` = top level), last.

    Raises
    ------
    CodingError
        Unknown code or parent, the new parent is the code itself or one of its
        descendants (a cycle), or a sibling there has the same name.
    """
    coder = as_coder(coder)
    code = get_code(session, code_id)
    parent = None if new_parent_id is None else get_code(session, new_parent_id).id
    if parent is not None and (parent == code.id or parent in descendants(session, code.id)):
        raise CodingError(_("Code {name!r} cannot move under code {parent}: that code is itself or lies below it, "
                            "which would make a cycle.").format(name=code.name, parent=parent))
    if parent == code.parent_id:
        return
    below = descendants(session, code.id)
    height = max((depth_of(session, c) for c in below), default=depth_of(session, code.id)) - depth_of(session, code.id)
    if depth_of(session, parent) + 1 + height > MAX_DEPTH:
        raise CodingError(_("Code {name!r} cannot move under code {parent}: its sub-codes would lie more than "
                            "{max_depth} levels deep.").format(name=code.name, parent=parent, max_depth=MAX_DEPTH))
    check_sibling_name(session, parent, code.name, code.id)
    before = {"parent_id": code.parent_id, "position": code.position}
    code.parent_id = parent
    code.position = next_position(session, parent)
    session.flush()
    after = {"parent_id": code.parent_id, "position": code.position}
    record(session, EventType.CODE_MOVE, {"code_id": code.id, "before": before, "after": after}, coder)


def delete_code(session: Session, code_id: int, force: bool = False, *, coder: str = "researcher") -> dict[str, int]:
    """Delete a code.

    A code with codings or sub-codes is refused unless ``force=True``, which deletes the
    whole subtree with its codings, their links and memos. Everything deleted is kept in
    the event payload (``codes``, ``codings``, ``links``, ``memos``, ``variable_map``).

    Returns
    -------
    dict
        Counts deleted: ``{"codes": n, "codings": n, "links": n, "memos": n}``.

    Raises
    ------
    CodingError
        Unknown code, or codings/sub-codes present without ``force``.
    """
    coder = as_coder(coder)
    code = get_code(session, code_id)
    below = descendants(session, code.id)
    ids = [code.id, *below]
    n_codings = session.scalar(select(func.count(store.Coding.id)).where(store.Coding.code_id.in_(ids)))
    if (below or n_codings) and not force:
        raise CodingError(_("Code {name!r} has {n} sub-code(s) and {n_codings} coding(s); delete with force=True to "
                            "remove them too.").format(name=code.name, n=len(below), n_codings=n_codings))
    codes = [snapshot(c) for c in session.scalars(select(store.Code).where(store.Code.id.in_(ids)))]
    codings = list(session.scalars(select(store.Coding).where(store.Coding.code_id.in_(ids))))
    coding_ids = [c.id for c in codings]
    links = list(session.scalars(select(store.CodingLink).where(store.CodingLink.coding_id.in_(coding_ids))))
    memo_filter = ((store.Memo.target_type == "code") & store.Memo.target_id.in_([str(i) for i in ids])) | (
        (store.Memo.target_type == "coding") & store.Memo.target_id.in_([str(i) for i in coding_ids]))
    memos = list(session.scalars(select(store.Memo).where(memo_filter)))
    vmap = session.execute(select(store.CodeVariableMap.code_id, store.CodeVariableMap.variable)
                           .where(store.CodeVariableMap.code_id.in_(ids))).all()
    payload = {
        "code_id": code.id,
        "codes": codes,
        "codings": [snapshot(c) for c in codings],
        "links": [snapshot(k) for k in links],
        "memos": [snapshot(m) for m in memos],
        "variable_map": [[cid, var] for cid, var in vmap],
        "dimension_map": [{"id": i, "code_id": cid, "dimension": d} for i, cid, d in session.execute(
            select(store.CodeDimensionMap.id, store.CodeDimensionMap.code_id, store.CodeDimensionMap.dimension)
            .where(store.CodeDimensionMap.code_id.in_(ids)).order_by(store.CodeDimensionMap.id))],
    }
    session.execute(delete(store.Memo).where(memo_filter), execution_options={"synchronize_session": "fetch"})
    session.execute(delete(store.CodingLink).where(store.CodingLink.coding_id.in_(coding_ids)))
    session.execute(delete(store.Coding).where(store.Coding.id.in_(coding_ids)))
    session.execute(delete(store.CodeVariableMap).where(store.CodeVariableMap.code_id.in_(ids)))
    session.execute(delete(store.CodeDimensionMap).where(store.CodeDimensionMap.code_id.in_(ids)))
    for cid in reversed(ids):  # children before parents (parent_id is RESTRICT)
        session.execute(delete(store.Code).where(store.Code.id == cid))
    session.flush()
    record(session, EventType.CODE_DELETE, payload, coder)
    return {"codes": len(codes), "codings": len(codings), "links": len(links), "memos": len(memos)}
