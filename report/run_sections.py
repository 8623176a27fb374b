"""Report sections that read saved runs (``quant.runs.saved``): which runs, the
codes mapped to each dimension, the fieldwork worklist. Nothing here refits a model.

``load_runset`` picks the runs a draft reports (named ones, or the latest of each dimension);
``run_facts`` states a run for the methods paragraph (name, model, formula, SE type, n, data
fingerprint, date, and whether the data changed since: ``quant.runs.saved.run_status``);
``mapped_section`` reads ``mixed.run_joint.run_joint`` (codes mapped to a dimension, counted by
case group, with quotes) and ``worklist_section`` the cases ticked for fieldwork
(``mixed.worklist``). The last two degrade to one sentence when their module is not installed
yet, so a draft never fails for a missing view.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from i18n import _
from applog.program import command_name
from quant.models.results import DIMENSIONS, FitResult
from report.errors import ReportError
from report.tables import fmt_num, to_markdown

__all__ = ["RunSet", "load_runset", "result_of", "run_facts", "run_joint_of", "mapped_section", "worklist_section",
           "optional_module", "is_run"]

#: Digits of a data fingerprint shown in a draft.
FP_DIGITS = 12


def optional_module(name: str):
    """``importlib.import_module(name)``, or None when that module (or one it needs) is absent."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


@dataclass(frozen=True)
class RunSet:
    """The runs a draft reports, keyed by dimension in report order, and the sentences saying
    which dimensions were skipped (no run saved) and how to save one."""

    runs: dict
    skipped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.runs)


def load_runset(session: Session, names=None) -> RunSet:
    """The runs to report: ``names`` (run names or ids, one per dimension), or the latest run of
    each dimension (``quant.runs.saved.latest_runs``).

    Returns
    -------
    RunSet
        ``runs`` maps dimension → ``quant.runs.saved.Run`` (breadth, connection, degree order);
        ``skipped`` has one sentence per dimension without a run (only when ``names`` is None).

    Raises
    ------
    ReportError
        Two named runs of the same dimension; QuantError (a ValueError) for an unknown run.
    """
    from quant.runs import saved as qruns

    chosen: dict = {}
    skipped: list[str] = []
    if names is None:
        latest = qruns.latest_runs(session)
        for dim in DIMENSIONS:
            if dim in latest:
                chosen[dim] = qruns.load_run(session, latest[dim])
            else:
                # "<dimension>: " stays first and "--project P" stays literal: the zh draft reads the
                # dimension back, the CLI puts the project in
                skipped.append(_("{dim}: no run is saved; save one with `{cli} fit --project P --dimension "
                                 "{dim} --save NAME` (or on the Models page), then draft again.").format(
                                     dim=dim, cli=command_name()))
    else:
        for name in names:
            run = qruns.load_run(session, name)
            dim = run.info.dimension
            if dim in chosen:
                raise ReportError(_("Two runs of {dim} were given ('{name}' and '{name2}'); a draft reports one run "
                                    "per dimension.")
                                  .format(dim=dim, name=chosen[dim].info.name, name2=run.info.name))
            chosen[dim] = run
    ordered = {d: chosen[d] for d in DIMENSIONS if d in chosen}
    return RunSet(runs=ordered, skipped=tuple(skipped))


def is_run(item) -> bool:
    """Whether ``item`` is a saved run (``quant.runs.saved.Run``) rather than a bare fit."""
    return hasattr(item, "info") and hasattr(item, "result")


def result_of(item) -> FitResult:
    """The ``FitResult`` of a run (or the item itself when it is a fit)."""
    return item.result if is_run(item) else item


def run_facts(session: Session, key: str, item, *, se_type: str | None = None) -> dict:
    """What the methods paragraph states about the run behind one dimension.

    Parameters
    ----------
    session : Session
    key : str
        The dimension label in the draft.
    item : quant.runs.saved.Run or quant.models.results.FitResult
        A saved run, or (older callers, tests) a fit never saved as a run.
    se_type : str, optional
        SE type reported; default the run's own.

    Returns
    -------
    dict
        ``saved`` (bool), ``name``, ``id``, ``fingerprint`` (first 12 hex digits), ``created``
        (``"YYYY-MM-DD HH:MM UTC"``), ``created_by``, ``tandem_version``, ``se_type``,
        ``se_label``, ``n``, ``stale`` (bool) and ``status`` (one sentence; for a stale run it
        says that the data changed since the run was fitted).
    """
    result = result_of(item)
    se_key = se_type if se_type is not None and se_type in result.se else result.se_type
    facts = {"key": str(key), "se_type": se_key, "se_label": result.se_labels.get(se_key, se_key),
             "n": int(result.n), "model": result.model, "formula": result.formula}
    if not is_run(item):
        return facts | {"saved": False, "name": "unsaved fit", "id": None, "fingerprint": "", "created": "",
                        "created_by": "", "tandem_version": "", "zero_formula": "", "stale": False,
                        "status": "This fit was not saved as a run; save it to cite it by name."}
    from quant.runs import saved as qruns

    info = item.info
    status = qruns.run_status(session, info.id)
    return facts | {
        "saved": True, "name": info.name, "id": int(info.id), "fingerprint": str(info.fingerprint)[:FP_DIGITS],
        "created": f"{info.created:%Y-%m-%d %H:%M} UTC", "created_by": info.created_by,
        "tandem_version": info.tandem_version, "zero_formula": info.zero_formula or "",
        "stale": bool(status["stale"]), "status": status["message"],
    }


def _quote_view(q, group: str = "") -> dict:
    if isinstance(q, str):
        return {"quote": q, "cite": "", "code": "", "group": group}
    return {"quote": str(q.get("quote", "")), "cite": str(q.get("cite", "")), "code": str(q.get("code", "")),
            "group": group}


def run_joint_of(session: Session, item, *, c: float = 2.0, max_quotes: int = 2, alpha: float = 0.05,
                 index=None) -> dict | None:
    """``mixed.run_joint.run_joint(...).to_dict()`` for a saved run; None for a fit never saved or
    when that module is not installed."""
    module = optional_module("mixed.run_joint")
    if module is None or not is_run(item):
        return None
    return module.run_joint(session, item, c=c, max_quotes=max_quotes, alpha=alpha, index=index).to_dict()


def mapped_section(joint: dict | None, item, *, max_quotes: int = 2) -> dict:
    """Codes mapped to the run's dimension: passages per case group, quotes, and the codes left
    unmapped (from :func:`run_joint_of`).

    Counts are ``mixed.run_joint``'s: distinct passages with at least one unit in the group
    (typical/deviant after Lieberman 2005, over/under-predicted, tie/non-tie), so a row may add
    up to more than the code's passages; ``Not linked`` counts passages linked to no unit of
    the run. Only the run's informative groupings (``groupings``) and groups with units are
    columns: no over-/under-predicted beside an identical tie/non-tie, no ``non-tie (n = 0)``.

    Returns
    -------
    dict
        ``available`` (bool), ``message`` (a sentence when not available), ``groups`` (column
        labels), ``codes`` (dicts ``code``, ``counts`` (one string per group), ``quotes`` (dicts
        ``quote``, ``cite``, ``code``, ``group``)), ``markdown`` (the counts as a table) and
        ``unmapped`` (``"code (n passages)"`` strings).
    """
    empty = {"available": False, "groups": [], "codes": [], "markdown": "", "unmapped": []}
    if joint is None:
        if not is_run(item):
            return empty | {"message": "Codes mapped to a dimension are shown for saved runs only."}
        return empty | {"message": "Codes mapped to this dimension are not shown: mixed.run_joint is not installed."}
    sizes = joint.get("group_sizes") or {}
    shown = joint.get("groupings") or ("fit_group", "direction", "tie")  # those that carry information
    facets = [(f, v) for f in shown for v, n in (sizes.get(f) or {}).items() if n]  # no empty group
    groups = [f"{v} (n = {sizes[f][v]:,})" for f, v in facets] + ["Not linked"]
    codes = []
    for entry in joint.get("codes") or []:
        counts = entry.get("counts") or {}
        row = [str((counts.get(f) or {}).get(v, 0)) for f, v in facets] + [str(entry.get("n_not_linked", 0))]
        quotes, seen = [], set()
        for group, records in (entry.get("quotes") or {}).items():
            for q in records:
                key = q.get("coding_id", id(q)) if isinstance(q, dict) else q
                if key not in seen and len(quotes) < max(int(max_quotes), 0):
                    seen.add(key)
                    quotes.append(_quote_view(q, str(group)))
        codes.append({"code": str(entry.get("code", "")), "counts": row, "quotes": quotes,
                      "n_passages": int(entry.get("n_passages", 0))})
    table = pd.DataFrame([[e["code"], e["n_passages"], *e["counts"]] for e in codes],
                         columns=["Code", "Passages", *groups])
    unmapped = [f"{u.get('code', '')} ({int(u.get('n_passages', 0))} passage(s))" for u in joint.get("unmapped") or []]
    message = "" if codes else "No code is mapped to this dimension yet (Codebook page)."
    return {"available": True, "groups": ["Passages", *groups],
            "codes": [e | {"counts": [str(e["n_passages"]), *e["counts"]]} for e in codes],
            "markdown": to_markdown(table) if codes else "", "unmapped": unmapped, "message": message}


def worklist_section(session: Session, *, max_quotes: int = 2, index=None) -> dict:
    """The cases ticked for fieldwork (``mixed.worklist.worklist_cases``), with memos and quotes.

    Returns
    -------
    dict
        ``available`` (bool), ``message`` (a sentence when there is nothing to show), ``rows``
        (dicts ``name`` (the unit's name, e.g. 广州市–佛山市), ``level``, ``case_type``, ``run``,
        ``observed``, ``predicted``, ``residual``, ``memo``, ``quotes``) and ``markdown`` (the
        table without quotes).
    """
    module = optional_module("mixed.worklist")
    if module is None:
        return {"available": False, "rows": [], "markdown": "", "message": "No worklist yet."}
    frame = module.worklist_cases(session, max_quotes=max(int(max_quotes), 0), index=index)
    rows = [_worklist_row(c) for c in frame.to_dict("records")]
    if not rows:
        return {"available": True, "rows": [], "markdown": "",
                "message": "No worklist yet: no case has been ticked for fieldwork (Cases page)."}
    table = pd.DataFrame([[r["name"], r["case_type"], r["run"], r["observed"], r["predicted"], r["residual"],
                           r["memo"]] for r in rows],
                         columns=["Case", "Type", "Run", "Observed", "Predicted", "Residual", "Memo"])
    return {"available": True, "rows": rows, "markdown": to_markdown(table), "message": ""}


def _worklist_row(case: dict) -> dict:
    def num(key, digits):
        v = case.get(key)
        return "" if v is None or (isinstance(v, float) and pd.isna(v)) else fmt_num(v, digits)

    observed = case.get("observed")
    return {
        "name": str(case.get("case") or case.get("unit_key") or ""),
        "level": str(case.get("level", "")),
        "case_type": str(case.get("case_type") or ""),
        "run": str(case.get("run_label", case.get("run")) or ""),
        "observed": "" if observed is None or pd.isna(observed) else f"{float(observed):g}",
        "predicted": num("predicted", 3),
        "residual": num("residual", 2),
        "memo": str(case.get("memo") or ""),
        "quotes": [_quote_view(q) for q in (case.get("quotes") or [])],
    }
