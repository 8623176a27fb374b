"""Unit coding: codes applied to a whole sentence or paragraph (a stored ``store.Segment``, numbered
from 1 within its document), through :func:`coding.codings.add_coding` and
:func:`coding.codings.delete_coding` (each writes its own event). Offsets are the segment's, in
Python code points, ``[start, end)``.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from coding.checks import as_coder, as_ids
from coding.codings import add_coding, delete_coding
from coding.documents import get_segment
from coding.errors import CodingError
from i18n import _

__all__ = ["code_segment", "set_segment_codes"]


def code_segment(
    session: Session,
    document_id: int,
    kind: str,
    idx: int,
    code_ids: int | Iterable[int],
    *,
    coder: str = "researcher",
    memo: str = "",
    origin: str = "human",
    origin_detail: str = "",
) -> list[int]:
    """Apply codes to a whole sentence or paragraph (unit coding); same rows as :func:`coding.codings.add_coding`.

    Parameters
    ----------
    kind : {"sentence", "paragraph"}
    idx : int
        1-based segment number.

    Returns
    -------
    list of int
        Coding ids, as :func:`coding.codings.add_coding`.

    Raises
    ------
    CodingError
        Unknown document, kind or segment number, and every error of :func:`coding.codings.add_coding`.
    """
    seg = get_segment(session, document_id, kind, idx)
    return add_coding(session, seg.document_id, seg.start, seg.end, code_ids, coder=coder, memo=memo,
                      origin=origin, origin_detail=origin_detail)


def set_segment_codes(
    session: Session,
    document_id: int,
    kind: str,
    idx: int,
    code_ids: Iterable[int],
    *,
    coder: str = "researcher",
    origin: str = "human",
    origin_detail: str = "",
) -> list[int]:
    """Make one coder's codes on a whole sentence or paragraph exactly ``code_ids``.

    Codings of this coder on exactly the segment's span are added or deleted (each with
    its own event); other coders' codings and codings on other spans are left alone.

    Parameters
    ----------
    kind : {"sentence", "paragraph"}
    idx : int
        1-based segment number.
    code_ids : iterable of int
        The codes wanted; empty removes them all.
    origin, origin_detail : str
        Of the codings added (:func:`coding.codings.add_coding`).

    Returns
    -------
    list of int
        The coder's coding ids on the segment afterwards, in the order of ``code_ids``.

    Raises
    ------
    CodingError
        Unknown document, kind, segment or code, or a category code. Nothing is written then.
    """
    who = as_coder(coder)
    seg = get_segment(session, document_id, kind, idx)
    if isinstance(code_ids, (str, bytes)) or not hasattr(code_ids, "__iter__"):
        raise CodingError(_("Code ids must be a list of integer ids, got {value!r}.").format(value=code_ids))
    items = list(code_ids)
    wanted = as_ids(items, "Code ids") if items else []
    ids = add_coding(session, seg.document_id, seg.start, seg.end, wanted, coder=who, origin=origin,
                     origin_detail=origin_detail) if wanted else []
    stale = session.scalars(select(store.Coding.id).where(
        store.Coding.document_id == seg.document_id, store.Coding.start == seg.start,
        store.Coding.end == seg.end, store.Coding.coder == who, store.Coding.code_id.not_in(wanted))).all()
    for cid in stale:
        delete_coding(session, cid, coder=who)
    return ids
