"""The project's segmentation setting: whether list items ending in ；are sentences of their own
("split", the default) or joined ("join"), for documents imported from now on.

Stored in ``store.ProjectInfo`` under ``corpus.segment.SEGMENTATION_KEY`` as ``{"semicolons": ...}``.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

import store
from corpus.errors import CorpusError
from corpus.segment import SEGMENTATION_KEY, SEMICOLON_MODES
from i18n import _

__all__ = ["segmentation_setting", "set_segmentation_setting"]


def segmentation_setting(session: Session) -> str:
    """How the project segments list items ending in ；: "split" (default) or "join"
    (``store.ProjectInfo`` key ``corpus.segment.SEGMENTATION_KEY``, ``{"semicolons": ...}``)."""
    row = session.get(store.ProjectInfo, SEGMENTATION_KEY)
    value = row.value.get("semicolons") if row is not None and isinstance(row.value, dict) else None
    return value if value in SEMICOLON_MODES else "split"


def set_segmentation_setting(session: Session, semicolons: str) -> str:
    """Store how documents imported from now on segment list items ending in ；("split" or "join").

    Raises
    ------
    CorpusError
        ``semicolons`` is not one of the modes.
    """
    if semicolons not in SEMICOLON_MODES:
        raise CorpusError(_("Semicolon handling {semicolons!r} must be 'split' (each list item a sentence) or 'join'.")
                          .format(semicolons=semicolons))
    row = session.get(store.ProjectInfo, SEGMENTATION_KEY)
    if row is None:
        session.add(store.ProjectInfo(key=SEGMENTATION_KEY, value={"semicolons": semicolons}))
    else:
        row.value = {**(row.value if isinstance(row.value, dict) else {}), "semicolons": semicolons}
    session.flush()
    return semicolons
