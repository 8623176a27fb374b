"""A saved run's record: :class:`RunInfo` (a run as listed), :class:`Run` (a run read back),
finding a run's ``store.Run`` row by name or id (:func:`run_row`), and the keys a run stores
(:func:`unit_key`, :func:`tandem_version`). Saving, listing and changing runs is
``quant.runs.saved``.
"""
from __future__ import annotations

from i18n import _
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from quant.errors import QuantError
from quant.models.results import FitResult
from quant.runs.data import X_PREFIX

__all__ = ["RunInfo", "Run", "run_info", "run_row", "clean_run_name", "tandem_version", "unit_key"]


def tandem_version() -> str:
    """Tandem's version string (from the installed package metadata, else pyproject.toml)."""
    try:
        from importlib.metadata import version

        return version("tandem")
    except Exception:  # noqa: BLE001 - not installed as a package: read the project file
        from pathlib import Path

        path = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip().startswith("version"):
                    return line.split("=", 1)[1].strip().strip('"')
        except OSError:
            pass
    return "unknown"


def unit_key(level: str, ids) -> str:
    """The key of a unit: a city code, or ``"a|b"`` for a dyad (codes in stored order)."""
    if level == "city":
        return str(ids if isinstance(ids, str) else ids[0])
    a, b = ids
    return f"{a}|{b}"


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class RunInfo:
    """A run as listed: everything but the estimates and the units table.

    ``created`` is timezone-aware UTC; ``settings`` holds the fit options (``quant.runs.saved.FIT_OPTIONS``)
    and, for a run made from a saved specification, ``spec``.
    """

    id: int
    name: str
    dimension: str
    model: str
    formula: str
    zero_formula: str | None
    se_type: str
    settings: dict
    n: int
    n_nodes: int | None
    fingerprint: str
    created: datetime
    created_by: str
    tandem_version: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``created`` as an ISO 8601 string)."""
        out = dataclasses.asdict(self)
        out["created"] = self.created.isoformat()
        return out


@dataclass(frozen=True)
class Run:
    """A run read back: its :class:`RunInfo`, the :class:`FitResult` (units without covariates)
    and ``units`` (the stored table: ids, ``y``, ``fitted``, ``pearson`` and ``x:<column>`` for each
    raw covariate the formula used)."""

    info: RunInfo
    result: FitResult
    units: pd.DataFrame

    def covariates(self) -> pd.DataFrame:
        """Ids and the raw covariates (columns named as in the formula), one row per unit."""
        ids = [c for c in ("city", "city_a", "city_b") if c in self.units.columns]
        xs = [c for c in self.units.columns if c.startswith(X_PREFIX)]
        return self.units[ids + xs].rename(columns={c: c[len(X_PREFIX):] for c in xs})


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def run_info(row: store.Run) -> RunInfo:
    """The :class:`RunInfo` of a ``store.Run`` row (``created`` as timezone-aware UTC)."""
    return RunInfo(id=row.id, name=row.name, dimension=row.dimension, model=row.model, formula=row.formula,
                   zero_formula=row.zero_formula, se_type=row.se_type, settings=dict(row.settings or {}),
                   n=row.n, n_nodes=row.n_nodes, fingerprint=row.fingerprint, created=_aware(row.created),
                   created_by=row.created_by, tandem_version=row.tandem_version)


def clean_run_name(name: Any) -> str:
    """``name`` cleaned as a run name (``corpus.names.clean_name``).

    Raises
    ------
    QuantError
        An empty or unusable name (the sentence of ``clean_name``).
    """
    from corpus.names import BadNameError, clean_name

    try:
        return clean_name(name, "run name")
    except BadNameError as exc:
        raise QuantError(str(exc)) from None


def run_row(session: Session, name: Any, *, deleted: bool = False) -> store.Run:
    """The ``store.Run`` row called ``name`` (or with id ``name`` when an int); deleted runs only
    if asked.

    Raises
    ------
    QuantError
        No such run (naming up to 8 saved runs), or it was deleted (``deleted=False``) or is not
        (``deleted=True``).
    """
    stmt = select(store.Run)
    if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
        stmt = stmt.where(store.Run.id == int(name))
    else:
        stmt = stmt.where(store.Run.name == clean_run_name(name))
    row = session.scalar(stmt)
    if row is None or (row.deleted is not None) != deleted:
        if row is not None and row.deleted is not None:
            raise QuantError(_("The run '{name}' was deleted; restore it first.").format(name=row.name))
        shown = name if not isinstance(name, str) else " ".join(name.split())
        known = session.scalars(select(store.Run.name).where(store.Run.deleted.is_(None))
                                .order_by(store.Run.created.desc()).limit(8)).all()
        if known:
            raise QuantError(_("There is no run called '{shown}'. Saved runs: {names}.").format(
                shown=shown, names=", ".join(known)))
        raise QuantError(_("There is no run called '{shown}'. No run is saved yet; save a fit first.").format(
            shown=shown))
    return row
