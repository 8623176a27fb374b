"""Meta-inferences: the researcher's judgement of how the two strands fit, stored in the project.

Fetters, Curry & Creswell (2013) name the "fit" of integrated quantitative and qualitative
results: **confirmation** (both strands say the same thing), **expansion** (they diverge in
scope but complement each other) and **discordance** (they contradict each other). Tandem
stores one judgement per row of a joint display (Guetterman, Fetters & Creswell 2015): per
dimension and model term for the side-by-side display, per dimension and case (a city code or a
dyad ``"a-b"``) for the case comparison. Each carries a free-text note, its author, the time of
the last change and the formula of the fit it was made against (so a judgement made against an
older specification can be recognised). A note may be kept before a label is chosen
(``label=""``); saving an empty label with an empty note removes the judgement.

References
----------
Fetters, M. D., Curry, L. A. & Creswell, J. W. (2013). Achieving integration in mixed methods
designs: principles and practices. *Health Services Research* 48(6 Pt 2): 2134–2156.
Guetterman, T. C., Fetters, M. D. & Creswell, J. W. (2015). Integrating quantitative and
qualitative results in health science mixed methods research through joint displays.
*Annals of Family Medicine* 13(6): 554–561.
"""
from __future__ import annotations

from datetime import timezone

import pandas as pd
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import Session

from i18n import _
from mixed.errors import MixedError
from store.models import MetaInference, utcnow

__all__ = [
    "LABELS", "META_DISPLAYS", "META_COLUMNS", "case_key", "clear_meta_inference", "meta_inferences",
    "meta_lookup", "set_meta_inference",
]

#: The three meta-inference labels (Fetters, Curry & Creswell 2013).
LABELS = ("confirmation", "expansion", "discordance")
#: Displays a meta-inference can belong to: ``row_key`` is a model term, or a case id.
META_DISPLAYS = ("side-by-side", "case")
#: Columns of :func:`meta_inferences`.
META_COLUMNS = ["display", "dimension", "row_key", "label", "note", "author", "formula", "created", "updated"]
_DIMENSIONS = ("breadth", "connection", "degree")
_MAX_KEY = 300


def case_key(unit) -> str:
    """The ``row_key`` of a case: a city code as is, a dyad as ``"a-b"`` with ``a < b``.

    Parameters
    ----------
    unit : str, int, tuple or list
        A city code, a pair of city codes in either order, or a string ``"a-b"``.

    Returns
    -------
    str

    Raises
    ------
    MixedError
        If a pair does not hold two different codes.
    """
    if isinstance(unit, (tuple, list)):
        if len(unit) != 2 or str(unit[0]) == str(unit[1]):
            raise MixedError(_("{unit!r} is not a dyad of two different cities.").format(unit=unit))
        a, b = sorted((str(unit[0]).strip(), str(unit[1]).strip()))
        return f"{a}-{b}"
    return str(unit).strip()


def _check(display: str, dimension: str, row_key) -> str:
    if display not in META_DISPLAYS:
        raise MixedError(_("display {display!r} is not one of {names}.")
                         .format(display=display, names=', '.join(META_DISPLAYS)))
    if dimension not in _DIMENSIONS:
        raise MixedError(_("dimension {dimension!r} is not one of {names}.")
                         .format(dimension=dimension, names=', '.join(_DIMENSIONS)))
    key = case_key(row_key) if display == "case" else str(row_key).strip()
    if not key:
        raise MixedError(_("A meta-inference needs a term or a case to belong to; the key is empty."))
    if len(key) > _MAX_KEY:
        raise MixedError(_("The key {key!r}… is longer than {max_key} characters.")
                         .format(key=key[:40], max_key=_MAX_KEY))
    return key


def _has_table(session: Session) -> bool:
    return inspect(session.connection()).has_table(MetaInference.__tablename__)


def _aware(value):
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)  # SQLite returns naive datetimes; they were stored as UTC


def _record(row: MetaInference) -> dict:
    return {
        "display": row.display, "dimension": row.dimension, "row_key": row.row_key, "label": row.label,
        "note": row.note, "author": row.author, "formula": row.formula,
        "created": _aware(row.created), "updated": _aware(row.updated),
    }


def set_meta_inference(
    session: Session,
    dimension: str,
    row_key,
    label: str,
    note: str = "",
    *,
    display: str = "side-by-side",
    author: str = "researcher",
    formula: str | None = None,
) -> dict | None:
    """Store (insert or replace) the meta-inference of one joint-display row.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    dimension : {"breadth", "connection", "degree"}
    row_key : str or tuple
        A model term (``display="side-by-side"``) or a case: a city code or a dyad (a pair in
        either order, or ``"a-b"``; stored as ``"a-b"`` with ``a < b``).
    label : {"confirmation", "expansion", "discordance", ""}
        ``""`` keeps only the note (the row is not yet judged).
    note : str
        The researcher's reasoning; surrounding whitespace is stripped.
    display : {"side-by-side", "case"}
    author : str
        Who made the judgement (the coder name).
    formula : str, optional
        Formula of the fit the judgement was made against.

    Returns
    -------
    dict or None
        The stored record (keys :data:`META_COLUMNS`), or ``None`` when an empty label with an
        empty note removed the judgement.

    Raises
    ------
    MixedError
        For an unknown display, dimension or label, an empty key or author, or a project file
        made before meta-inferences were stored (it lacks the table).
    """
    key = _check(display, dimension, row_key)
    label = "" if label is None else str(label).strip().lower()
    if label not in ("",) + LABELS:
        raise MixedError(_("Meta-inference {label!r} is not one of {names} (or empty).")
                         .format(label=label, names=', '.join(LABELS)))
    note = "" if note is None else str(note).strip()
    author = str(author or "").strip()
    if not author:
        raise MixedError(_("A meta-inference needs an author (the coder name is empty)."))
    if not _has_table(session):
        raise MixedError(
            _("This project file predates stored meta-inferences (no meta_inferences table); open it with a build "
              "that creates the table, or re-create the demo.")
        )
    row = session.scalars(
        select(MetaInference).where(
            MetaInference.display == display, MetaInference.dimension == dimension, MetaInference.row_key == key
        )
    ).one_or_none()
    if not label and not note:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = MetaInference(display=display, dimension=dimension, row_key=key)
        session.add(row)
    row.label, row.note, row.author, row.formula = label, note, author, formula
    row.updated = utcnow()
    session.flush()
    return _record(row)


def clear_meta_inference(session: Session, dimension: str, row_key, *, display: str = "side-by-side") -> bool:
    """Remove the meta-inference of one row; ``True`` if there was one.

    Raises
    ------
    MixedError
        For an unknown display or dimension, or an empty key.
    """
    key = _check(display, dimension, row_key)
    if not _has_table(session):
        return False
    done = session.execute(
        delete(MetaInference).where(
            MetaInference.display == display, MetaInference.dimension == dimension, MetaInference.row_key == key
        )
    )
    return bool(done.rowcount)


def meta_inferences(session: Session, *, display: str | None = None, dimension: str | None = None) -> pd.DataFrame:
    """Stored meta-inferences, optionally of one display and/or dimension.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`META_COLUMNS`, ordered by display, dimension, key; ``created`` and
        ``updated`` are timezone-aware UTC. Empty (with those columns) for a project file made
        before the table existed.
    """
    if display is not None and display not in META_DISPLAYS:
        raise MixedError(_("display {display!r} is not one of {names}.")
                         .format(display=display, names=', '.join(META_DISPLAYS)))
    if dimension is not None and dimension not in _DIMENSIONS:
        raise MixedError(_("dimension {dimension!r} is not one of {names}.")
                         .format(dimension=dimension, names=', '.join(_DIMENSIONS)))
    if not _has_table(session):
        return pd.DataFrame(columns=META_COLUMNS)
    stmt = select(MetaInference).order_by(MetaInference.display, MetaInference.dimension, MetaInference.row_key)
    if display is not None:
        stmt = stmt.where(MetaInference.display == display)
    if dimension is not None:
        stmt = stmt.where(MetaInference.dimension == dimension)
    rows = [_record(r) for r in session.scalars(stmt)]
    return pd.DataFrame(rows, columns=META_COLUMNS)


def meta_lookup(session: Session, display: str, dimension: str) -> dict[str, dict]:
    """``{row_key: record}`` of one display and dimension (see :func:`meta_inferences`)."""
    frame = meta_inferences(session, display=display, dimension=dimension)
    return {str(r["row_key"]): r for r in frame.to_dict("records")}
