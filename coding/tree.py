"""Reading the codebook tree: display order, paths, look-up by name, descendants.

Nothing here writes; :mod:`coding.codes.book` re-exports these functions.
"""
from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from i18n import _
import store
from coding.checks import get_code
from coding.errors import CodingError

#: Deepest code tree accepted (0 is the top level): deeper trees, from a file, a path typed
#: by hand or a tampered project, are refused with one sentence instead of recursing.
MAX_DEPTH = 100

CODEBOOK_COLUMNS = [
    "id", "parent_id", "name", "path", "depth", "definition", "inclusion", "exclusion", "example",
    "colour", "codable", "n_codings",
]


def _parents(session: Session) -> dict[int, int | None]:
    return dict(session.execute(select(store.Code.id, store.Code.parent_id)).all())


def depth_of(session: Session, code_id: int | None) -> int:
    """Depth of a code (0 at the top; -1 for ``None``, the level above the top).

    Raises
    ------
    CodingError
        The parent chain loops (a tampered project) or is deeper than ``MAX_DEPTH``.
    """
    if code_id is None:
        return -1
    parents = _parents(session)
    depth, cid, seen = 0, code_id, {code_id}
    while parents.get(cid) is not None:
        cid = parents[cid]
        if cid in seen:
            raise CodingError(_("The codebook's parent links loop through code {cid}; repair the project.").format(
                                cid=cid))
        seen.add(cid)
        depth += 1
        if depth > MAX_DEPTH:
            raise CodingError(_("Code {code_id} lies more than {max_depth} levels deep in the codebook.").format(
                                code_id=code_id, max_depth=MAX_DEPTH))
    return depth


def descendants(session: Session, code_id: int) -> list[int]:
    """Ids of every code below ``code_id`` (not itself), parents before children.

    Raises
    ------
    CodingError
        ``code_id`` does not exist, or the parent links loop (a tampered project).
    """
    root = get_code(session, code_id).id
    children: dict[int | None, list[int]] = {}
    for cid, parent in _parents(session).items():
        children.setdefault(parent, []).append(cid)
    out: list[int] = []
    seen = {root}
    stack = sorted(children.get(root, []), reverse=True)
    while stack:
        cid = stack.pop()
        if cid in seen:
            raise CodingError(_("The codebook's parent links loop through code {cid}; repair the project.").format(
                                cid=cid))
        seen.add(cid)
        out.append(cid)
        stack.extend(sorted(children.get(cid, []), reverse=True))
    return out


def codebook(session: Session) -> pd.DataFrame:
    """The whole tree in display order (depth first, siblings by position).

    Returns
    -------
    DataFrame
        One row per code: ``id, parent_id, name, path, depth, definition, inclusion,
        exclusion, example, colour, codable, n_codings``. ``path`` joins names with ``/``
        (``"Needs/Social needs"``); ``depth`` is 0 at the top; ``parent_id`` is ``None`` at
        the top; ``codable`` is a bool; ``n_codings`` counts codings of the code itself
        (not of its sub-codes).
    """
    n_sub = (select(store.Coding.code_id, func.count(store.Coding.id).label("n"))
             .group_by(store.Coding.code_id).subquery())
    rows = session.execute(
        select(store.Code, func.coalesce(n_sub.c.n, 0))
        .outerjoin(n_sub, n_sub.c.code_id == store.Code.id)
        .order_by(store.Code.position, store.Code.id)
    ).all()
    children: dict[int | None, list[tuple[store.Code, int]]] = {}
    for code, n in rows:
        children.setdefault(code.parent_id, []).append((code, n))
    out: list[dict[str, Any]] = []
    stack = [(code, n, "", 0) for code, n in reversed(children.get(None, []))]
    while stack:  # depth first, siblings by position; iterative, so no RecursionError
        code, n, prefix, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CodingError(_("The codebook is more than {max_depth} levels deep (at code {value!r}); repair the "
                                "project.").format(max_depth=MAX_DEPTH, value=code.name[:40]))
        path = f"{prefix}/{code.name}" if prefix else code.name
        out.append({
            "id": code.id, "parent_id": code.parent_id, "name": code.name, "path": path, "depth": depth,
            "definition": code.definition, "inclusion": code.inclusion, "exclusion": code.exclusion,
            "example": code.example, "colour": code.colour, "codable": bool(code.codable),
            "n_codings": int(n),
        })
        stack.extend((c, k, path, depth + 1) for c, k in reversed(children.get(code.id, [])))
    if len(out) < len(rows):
        lost = sorted({code.id for code, _unused in rows} - {row["id"] for row in out})
        raise CodingError(_("The codebook's parent links loop through code {value}; repair the project.").format(
                            value=lost[0]))
    frame = pd.DataFrame(out, columns=CODEBOOK_COLUMNS)
    frame["parent_id"] = pd.Series([row["parent_id"] for row in out], dtype=object)
    return frame


def code_id_by_name(session: Session, name_or_path: str) -> int:
    """The id of the code with this name or path (``"Needs/Social needs"``).

    A bare name must match exactly one code anywhere in the tree; exact spelling wins
    over a case-insensitive match.

    Raises
    ------
    CodingError
        No code matches, or a bare name matches several (the message lists their paths).
    """
    if not isinstance(name_or_path, str) or not name_or_path.strip("/ "):
        raise CodingError(_("Code name {name_or_path!r} is not valid.").format(name_or_path=name_or_path))
    wanted = unicodedata.normalize("NFC", name_or_path.strip().strip("/"))
    table = codebook(session)
    column = "path" if "/" in wanted else "name"
    values = table[column].map(lambda v: "/".join(" ".join(p.split()) for p in v.split("/")))
    key = "/".join(" ".join(p.split()) for p in wanted.split("/"))
    hits = table[values == key]
    if hits.empty:
        hits = table[values.str.casefold() == key.casefold()]
    if hits.empty:
        raise CodingError(_("No code is named {name_or_path!r}.").format(name_or_path=name_or_path))
    if len(hits) > 1:
        raise CodingError(_("Code name {name_or_path!r} is ambiguous; use a path: {names}.").format(
                            name_or_path=name_or_path, names=', '.join(hits['path'])))
    return int(hits["id"].iloc[0])
