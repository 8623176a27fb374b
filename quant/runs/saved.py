"""Saved analyses ("runs"): a fit the researcher keeps, stored in the project and read back
without refitting.

A run holds the name, dimension, model, formula(s), SE type and settings, n, every estimate and
every covariance matrix computed (``FitResult.to_dict()``), the per-unit table (ids, observed
``y``, ``fitted``, Pearson residual and the raw covariates the formula used, one row per unit
used in the fit), the data fingerprint (:func:`fingerprint`), who saved it, when, and the Tandem
version. Joint displays, case selection and reports read runs (default: the latest run of each
dimension, :func:`latest_runs`) and never refit silently; :func:`run_status` says whether the
project's data changed since the run was fitted.

Deleting is undoable: the row is marked deleted (listed nowhere, restorable with
:func:`restore_run` or the coder's undo); saving under a name that a deleted run holds removes
that deleted run for good. Every change writes an event whose payload holds row operations, so
the sidebar's undo/redo reverses it.
"""
from __future__ import annotations

from i18n import _
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from quant.errors import QuantError
from quant.models.results import DIMENSIONS, FitResult
from quant.runs.data import fingerprint, pack_units, result_from, unpack_units
from quant.runs.records import Run, RunInfo, clean_run_name, run_info, run_row, tandem_version, unit_key

__all__ = ["RunInfo", "Run", "FIT_OPTIONS", "fingerprint", "save_run", "fit_and_save", "list_runs",
           "load_run", "latest_runs", "rename_run", "delete_run", "restore_run", "run_status",
           "refit_run", "compare_runs", "run_model_data", "tandem_version", "unit_key"]

#: Fit options a run keeps in ``settings`` and passes back to ``fit_prepared`` on a refit.
FIT_OPTIONS = ("se", "small_sample", "psd", "conservative", "pvalues", "min_events")
#: Data options a run keeps in ``settings`` (from its ``ModelData``) and passes back to
#: ``quant.runs.analysis.model_data`` on a refit and a staleness check.
DATA_OPTIONS = ("directed", "offset", "exposure")


def _event(session: Session, kind, ops: list, description: str, by: str) -> None:
    from coding.eventlog.events import record

    record(session, kind, {"ops": ops, "description": description}, by)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def save_run(session: Session, name: str, result: FitResult, md, *, settings: dict | None = None,
             by: str = "researcher", replace: bool = False) -> RunInfo:
    """Store a fit as a run.

    Parameters
    ----------
    session : Session
    name : str
        The run's name (one line, at most 200 code points, unique among runs).
    result : FitResult
        The fit, as ``quant.runs.analysis.fit_prepared`` returned it for ``md``.
    md : quant.runs.analysis.ModelData
        The data it was fitted on (for the fingerprint and the covariates kept per unit).
    settings : dict, optional
        Fit options (keys of :data:`FIT_OPTIONS`; others such as ``spec`` are kept as given).
        ``md``'s data options are added: ``directed`` (True for a fit on directed dyads),
        ``offset``, ``exposure`` (column names), when set.
    by : str
        Who saves it (event log; the logged-in name in team mode).
    replace : bool
        Overwrite a run of the same name (the old one is marked deleted, so undo brings it back).

    Returns
    -------
    RunInfo

    Raises
    ------
    QuantError
        A bad name, a name already used by a run (without ``replace``), or a result that does not
        belong to ``md``'s dimension.
    """
    from coding.checks import as_coder
    from coding.eventlog.events import EventType, json_safe

    by = as_coder(by)
    clean = clean_run_name(name)
    if result.dimension != md.spec.dimension:
        raise QuantError(_("The fit is of {dimension} but its data is the {dimension2} table.").format(dimension=result.dimension, dimension2=md.spec.dimension))
    ops: list = []
    old = session.scalar(select(store.Run).where(store.Run.name == clean))
    if old is not None and old.deleted is None:
        if not replace:
            raise QuantError(_("A run called '{clean}' already exists; choose another name or replace it.").format(clean=clean))
        stamp = _now()
        ops.append({"op": "update", "table": "runs", "id": old.id, "before": {"deleted": None, "name": old.name},
                    "after": {"deleted": stamp.isoformat(), "name": f"{old.name} (replaced {old.id})"}})
        old.deleted, old.name = stamp, f"{old.name} (replaced {old.id})"[:200]
        session.flush()
    elif old is not None:  # a deleted run holds the name: it goes for good
        session.delete(old)
        session.flush()
    record = result.to_dict()
    opts = {k: (list(v) if isinstance(v, tuple) else v) for k, v in (settings or {}).items() if v is not None}
    for key in DATA_OPTIONS:
        value = getattr(md, key, None)
        if value:
            opts[key] = value
        else:
            opts.pop(key, None)
    row = store.Run(
        name=clean, dimension=result.dimension, model=result.model, formula=result.formula,
        zero_formula=md.zero_formula, se_type=result.se_type, settings=json_safe(opts), n=int(result.n),
        n_nodes=None if result.n_nodes is None else int(result.n_nodes), result=record,
        units=pack_units(result, md), fingerprint=fingerprint(md), created=_now(), created_by=by,
        tandem_version=tandem_version(),
    )
    session.add(row)
    session.flush()
    # undoing the save marks the new run deleted and frees its name for the run it replaced
    ops.append({"op": "update", "table": "runs", "id": row.id,
                "before": {"deleted": _now().isoformat(), "name": f"{clean} (undone {row.id})"[:200]},
                "after": {"deleted": None, "name": clean}})
    _event(session, EventType.RUN_SAVE, ops, f"saved run “{clean}” ({result.dimension}, {result.model})", by)
    forget_status(row.id)
    return run_info(row)


def fit_and_save(session: Session, name: str, dimension: str, *, model: str | None = None,
                 formula: str | None = None, zero_formula: str | None = None, by: str = "researcher",
                 replace: bool = False, spec: str | None = None, directed: bool = False,
                 offset: str | None = None, exposure: str | None = None,
                 **options) -> tuple[RunInfo, FitResult]:
    """Fit a specification on the project's current data and save it as run ``name``.

    ``directed``, ``offset``, ``exposure`` go to ``quant.runs.analysis.model_data`` (and into the
    run's settings); ``options`` are :data:`FIT_OPTIONS` for ``quant.runs.analysis.fit_prepared``; ``spec`` names the
    saved specification the fit came from (kept in the settings). Raises what ``model_data``,
    ``fit_prepared`` and :func:`save_run` raise.
    """
    from quant.runs.analysis import model_data
    from quant.runs.analysis_fit import fit_with_options

    unknown = sorted(set(options) - set(FIT_OPTIONS))
    if unknown:
        raise QuantError(_("Unknown fit option(s) {unknown}; use {fit_options}.").format(unknown=', '.join(unknown), fit_options=', '.join(FIT_OPTIONS)))
    md = model_data(session, dimension, model=model, formula=formula, zero_formula=zero_formula,
                    directed=bool(directed), offset=offset, exposure=exposure)
    result = fit_with_options(md, options)
    settings = dict(options)
    if spec:
        settings["spec"] = spec
    info = save_run(session, name, result, md, settings=settings, by=by, replace=replace)
    return info, result


def list_runs(session: Session, dimension: str | None = None, *, with_status: bool = False) -> pd.DataFrame:
    """The saved runs, newest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, name, dimension, model, formula, zero_formula, se_type, n, n_nodes, created,
        created_by, tandem_version, fingerprint`` and, with ``with_status``, ``stale`` (bool) and
        ``status`` (one sentence). Empty (with these columns) when no run is saved.
    """
    stmt = select(store.Run).where(store.Run.deleted.is_(None)).order_by(store.Run.created.desc(),
                                                                          store.Run.id.desc())
    if dimension is not None:
        stmt = stmt.where(store.Run.dimension == dimension)
    rows = [run_info(r).to_dict() for r in session.scalars(stmt)]
    cols = ["id", "name", "dimension", "model", "formula", "zero_formula", "se_type", "n", "n_nodes", "created",
            "created_by", "tandem_version", "fingerprint"]
    frame = pd.DataFrame(rows, columns=cols + ["settings"])[cols]
    if with_status:
        status = [run_status(session, int(i)) for i in frame["id"]]
        frame["stale"] = [s["stale"] for s in status]
        frame["status"] = [s["message"] for s in status]
    return frame


def latest_runs(session: Session) -> dict[str, str]:
    """Dimension -> name of its most recently saved run (dimensions without a run are absent)."""
    out: dict[str, str] = {}
    stmt = (select(store.Run.dimension, store.Run.name).where(store.Run.deleted.is_(None))
            .order_by(store.Run.created.desc(), store.Run.id.desc()))
    for dim, name in session.execute(stmt):
        out.setdefault(dim, name)
    return {d: out[d] for d in DIMENSIONS if d in out}


def load_run(session: Session, name) -> Run:
    """The run called ``name`` (or with that id), estimates and units restored.

    Raises
    ------
    QuantError
        No such run (the message lists saved ones), or it was deleted.
    """
    row = run_row(session, name)
    units = unpack_units(row.units)
    return Run(info=run_info(row), result=result_from(row.result, units), units=units)


def rename_run(session: Session, name, new_name: str, *, by: str = "researcher") -> RunInfo:
    """Give a run a new name (undoable). Raises ``QuantError`` for a bad or taken name."""
    from coding.checks import as_coder
    from coding.eventlog.events import EventType

    by = as_coder(by)
    row = run_row(session, name)
    clean = clean_run_name(new_name)
    if clean == row.name:
        return run_info(row)
    taken = session.scalar(select(store.Run).where(store.Run.name == clean))
    if taken is not None:
        raise QuantError((_("The name '{clean}' is used by a deleted run; choose another.") if taken.deleted is not None
                          else _("The name '{clean}' is used by another run; choose another.")).format(clean=clean))
    ops = [{"op": "update", "table": "runs", "id": row.id, "before": {"name": row.name}, "after": {"name": clean}}]
    old = row.name
    row.name = clean
    session.flush()
    _event(session, EventType.RUN_RENAME, ops, f"renamed run “{old}” to “{clean}”", by)
    return run_info(row)


def delete_run(session: Session, name, *, by: str = "researcher") -> None:
    """Mark a run deleted (undoable: :func:`restore_run` or the coder's undo brings it back)."""
    from coding.checks import as_coder
    from coding.eventlog.events import EventType

    by = as_coder(by)
    row = run_row(session, name)
    stamp = _now()
    ops = [{"op": "update", "table": "runs", "id": row.id, "before": {"deleted": None},
            "after": {"deleted": stamp.isoformat()}}]
    row.deleted = stamp
    session.flush()
    _event(session, EventType.RUN_DELETE, ops, f"deleted run “{row.name}”", by)


def restore_run(session: Session, name, *, by: str = "researcher") -> RunInfo:
    """Bring back a deleted run. Raises ``QuantError`` if no deleted run has that name or id."""
    from coding.checks import as_coder
    from coding.eventlog.events import EventType

    by = as_coder(by)
    row = run_row(session, name, deleted=True)
    ops = [{"op": "update", "table": "runs", "id": row.id, "before": {"deleted": row.deleted.isoformat()},
            "after": {"deleted": None}}]
    row.deleted = None
    session.flush()
    _event(session, EventType.RUN_RESTORE, ops, f"restored run “{row.name}”", by)
    return run_info(row)


def deleted_runs(session: Session) -> pd.DataFrame:
    """Deleted runs (``id, name, dimension, deleted``), most recently deleted first."""
    stmt = (select(store.Run.id, store.Run.name, store.Run.dimension, store.Run.deleted)
            .where(store.Run.deleted.is_not(None)).order_by(store.Run.deleted.desc()))
    return pd.DataFrame(session.execute(stmt).all(), columns=["id", "name", "dimension", "deleted"])


def refit_run(session: Session, name, *, new_name: str | None = None, by: str = "researcher") -> RunInfo:
    """Fit a run's specification again on the current data and save it — under ``new_name``, or
    replacing the run itself (the old one stays restorable by undo)."""
    row = run_row(session, name)
    info = run_info(row)
    options = {k: v for k, v in info.settings.items() if k in FIT_OPTIONS + DATA_OPTIONS}
    if isinstance(options.get("se"), list):
        options["se"] = tuple(options["se"])
    target = new_name or info.name
    new, _ = fit_and_save(session, target, info.dimension, model=info.model, formula=info.formula,
                          zero_formula=info.zero_formula, by=by, replace=new_name is None,
                          spec=info.settings.get("spec"), **options)
    return new


def compare_runs(session: Session, names, *, alpha: float = 0.05) -> pd.DataFrame:
    """Estimates of several runs side by side, each under its own SE type.

    Returns
    -------
    pandas.DataFrame
        Long form, one row per (run, term): ``run, dimension, model, se_type, term, estimate, se,
        p, ci_low, ci_high`` in the order the runs were given, terms in each run's order.
    """
    rows = []
    for name in names:
        run = load_run(session, name)
        tab = run.result.table(alpha=alpha)
        for term, r in tab.iterrows():
            rows.append({"run": run.info.name, "dimension": run.info.dimension, "model": run.info.model,
                         "se_type": run.info.se_type, "term": str(term), "estimate": r.estimate, "se": r.se,
                         "p": r.p, "ci_low": r.ci_low, "ci_high": r.ci_high})
    return pd.DataFrame(rows, columns=["run", "dimension", "model", "se_type", "term", "estimate", "se", "p",
                                       "ci_low", "ci_high"])


# run_status and run_model_data live in quant/runs/status.py (which reads runs through this module)
from quant.runs.status import forget_status, run_model_data, run_status  # noqa: E402
