"""Whether a saved run still describes the project's data (its fingerprint against the current
data's), cached per run until any city, dyad or attribute value or the event log changes.

The current data of a dimension is read once per data version and shared by every run of that
dimension (listing five connection runs reads the dyad table once).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from i18n import _
from quant.errors import QuantError
from quant.runs.data import fingerprint

__all__ = ["run_status", "run_model_data", "forget_status"]

_STATUS_CACHE: dict[int, tuple[tuple, dict]] = {}
_DATA_CACHE: dict[tuple, Any] = {}  # (stamp, table) -> the dimension's table at that stamp


def forget_status(run_id: int) -> None:
    """Drop the cached status of one run (after it is saved again)."""
    _STATUS_CACHE.pop(run_id, None)


def _data_stamp(session: Session) -> tuple:
    """A cheap summary of every table a fit reads; equal stamps mean the data did not change."""
    def agg(*columns):
        return tuple(session.execute(select(func.count(), *(func.sum(c) for c in columns))).one())

    return (
        str(session.get_bind().url),
        session.scalar(select(func.count(store.City.code))),
        session.scalar(select(func.count(store.Dyad.id))),
        session.scalar(select(func.max(store.Dyad.id))),
        agg(store.CityAttribute.value, func.length(store.CityAttribute.text)),
        agg(store.DyadAttribute.value),
        session.scalar(select(func.max(store.DirectedDyad.id))),
        agg(store.DirectedDyadAttribute.value),
        session.scalar(select(func.max(store.Event.id))),
    )


def run_model_data(session: Session, info, *, stamp: tuple | None = None):
    """``quant.runs.analysis.model_data`` for the run's specification on the project's current data
    (``info`` a ``quant.runs.saved.RunInfo``); with ``stamp``, the dimension's table is read once per
    data version."""
    from quant.runs.analysis import dimension_data, model_data

    data = None
    settings = getattr(info, "settings", None) or {}
    directed = bool(settings.get("directed"))
    if stamp is not None:
        key = (stamp, "directed" if directed else "dyads" if info.dimension in ("connection", "degree")
               else info.dimension)
        if key not in _DATA_CACHE:
            if len(_DATA_CACHE) > 8:
                _DATA_CACHE.clear()
            if directed:
                from quant.data.directed import directed_frame

                _DATA_CACHE[key] = directed_frame(session)
            else:
                _DATA_CACHE[key] = dimension_data(session, info.dimension)
        data = _DATA_CACHE[key].copy()
    return model_data(session, info.dimension, model=info.model, formula=info.formula,
                      zero_formula=info.zero_formula, data=data, directed=directed,
                      offset=settings.get("offset"), exposure=settings.get("exposure"))


def run_status(session: Session, name) -> dict[str, Any]:
    """Whether a run still describes the project's data.

    Parameters
    ----------
    session : Session
    name : str or int
        The run's name or id.

    Returns
    -------
    dict
        ``stale`` (bool), ``message`` (one sentence for the views) and ``fingerprint`` (the
        current data's, or None when the run's specification no longer fits the data at all).

    Raises
    ------
    QuantError
        No such run, or it was deleted.
    """
    from quant.runs.records import run_info, run_row

    row = run_row(session, name)
    stamp = _data_stamp(session)
    cached = _STATUS_CACHE.get(row.id)
    if cached is not None and cached[0] == stamp and cached[1].get("_fp") == row.fingerprint:
        return _shown(cached[1])
    try:
        current = fingerprint(run_model_data(session, run_info(row), stamp=stamp))
    except QuantError as exc:
        out = {"stale": True, "fingerprint": None, "_kind": "unfit", "_name": row.name, "_why": str(exc)}
    else:
        stale = current != row.fingerprint
        out = {"stale": stale, "fingerprint": current, "_kind": "stale" if stale else "current", "_name": row.name}
    _STATUS_CACHE[row.id] = (stamp, {**out, "_fp": row.fingerprint})
    return _shown(out)


def _shown(status: dict) -> dict[str, Any]:
    """The public status with its sentence in the current language (the cache keeps the parts, so a
    user who switches language gets the sentence in the new one; the reason of an unfit run was
    raised in the language current when it was first checked)."""
    kind, name = status["_kind"], status["_name"]
    if kind == "unfit":
        message = _("The run '{name}' no longer fits the project's data ({reason}); refit or delete it.").format(
            name=name, reason=status["_why"])
    elif kind == "stale":
        message = _("The data changed since the run '{name}' was fitted; its estimates describe the earlier "
                    "data. Refit it to update.").format(name=name)
    else:
        message = _("The run '{name}' describes the project's current data.").format(name=name)
    return {"stale": status["stale"], "message": message, "fingerprint": status["fingerprint"]}
