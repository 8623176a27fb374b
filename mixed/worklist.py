"""The fieldwork worklist: cases the researcher ticked, stored in the project with a memo each.

A case is a city (``level`` ``"city"``, ``unit_key`` its code) or a dyad (``"dyad"``, ``"a|b"``
with ``a < b``), with the run and rule that chose it and the values shown when it was ticked
(observed, predicted, Pearson residual, case type in words). Table ``worklist_cases``
(``store.WorklistCase``); each unit is on the list at most once.

Every change (add, memo, reorder, remove) writes one event whose payload is
``{"ops": [...], "description": ...}`` in ``coding.eventlog.rowops`` form, so the sidebar's undo/redo
reverses it. In team mode the table needs the ``memo`` action (``team.roles``).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from coding.checks import as_coder
from coding.eventlog.events import EventType, record
from coding.eventlog.rowtables import fetch_row
from i18n import N_, _
from mixed.case_views import quote_text, unit_key_of, unit_name, unit_passages
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex, city_names

__all__ = ["MAX_MEMO", "add_case", "add_cases", "update_memo", "reorder", "remove_case", "worklist_cases",
           "find_case", "resolve_unit", "save_edits", "WORKLIST_COLUMNS", "run_label", "run_phrase"]

#: Longest memo kept (code points).
MAX_MEMO = 20_000
TABLE = "worklist_cases"

#: Columns of :func:`worklist_cases`, in order.
WORKLIST_COLUMNS = ["id", "position", "case", "name", "level", "unit_key", "case_type", "run", "run_id",
                    "run_deleted", "run_label", "rule", "observed",
                    "predicted", "residual", "memo", "n_passages", "no_evidence", "quotes", "quote_text", "added_by",
                    "created", "updated"]


def _event(session: Session, kind, ops: list, template: str, by: str, **params) -> None:
    """Record the change; its description is stored in English (``description``) and as an
    ``N_``-marked template with its params (``description_template``/``description_params``, the
    form ``coding.eventlog.undo.describe`` shows in the reader's language)."""
    record(session, kind, {"ops": ops, "description": template.format(**params), "description_template": template,
                           "description_params": dict(params)}, by)


def _coder(by: str) -> str:
    return as_coder(by)


def _num(value) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _run_id(session: Session, run) -> int | None:
    if run is None:
        return None
    info = getattr(run, "info", run)
    rid = getattr(info, "id", None)
    if rid is not None:
        return int(rid)
    if isinstance(run, int) and not isinstance(run, bool):
        return run
    found = session.scalar(select(store.Run.id).where(store.Run.name == str(run), store.Run.deleted.is_(None)))
    if found is None:
        raise MixedError(_("No saved run is called {run!r}.").format(run=str(run)))
    return int(found)


def _label(session: Session, level: str, key: str) -> str:
    if level == "city":
        codes = [key]
    else:
        codes = key.split("|")
    names = {str(c): n for c, n in session.execute(select(store.City.code, store.City.name)
                                                      .where(store.City.code.in_(codes)))}
    return unit_name(level, key, names)


def _row_dict(session: Session, row_id: int) -> dict:
    return fetch_row(session, TABLE, row_id)


def find_case(session: Session, unit) -> store.WorklistCase | None:
    """The worklist row for ``unit``: an entry id (int), ``(level, unit_key)``, or a mapping/row with
    ``city`` or ``city_a``/``city_b``. ``None`` when the unit is not on the list."""
    if isinstance(unit, int) and not isinstance(unit, bool):
        return session.get(store.WorklistCase, unit)
    if isinstance(unit, tuple) and len(unit) == 2 and unit[0] in ("city", "dyad"):
        level, key = unit
    else:
        level, key = unit_key_of(unit)
    return session.scalar(select(store.WorklistCase).where(store.WorklistCase.level == level,
                                                           store.WorklistCase.unit_key == key))


def _find(session: Session, unit) -> store.WorklistCase:
    row = find_case(session, unit)
    if row is None:
        raise MixedError(_("That case is not on the worklist."))
    return row


def add_cases(session: Session, cases: Iterable[Mapping] | pd.DataFrame, *, run=None, rule: str = "",
              by: str = "researcher") -> list[dict]:
    """Put cases on the worklist (one undoable event for all that were new).

    Parameters
    ----------
    session : Session
    cases : DataFrame or iterable of mappings
        Rows of ``mixed.case_views.case_view`` (or any rows with ``city`` or ``city_a``/``city_b``,
        or ``level`` and ``unit_key``), with ``case_type``, ``observed``, ``predicted`` and
        ``residual`` where known.
    run : quant.runs.saved.Run, RunInfo, str, int or None
        The run that chose them (default: ``cases.attrs["run_id"]`` for a case view).
    rule : str
        The rule (default: ``cases.attrs["rule"]``).
    by : str
        Who adds them.

    Returns
    -------
    list of dict
        One per case: ``id`` (worklist entry), ``case`` (name), ``added`` (False when it was
        already on the list) and ``message`` (one sentence).

    Raises
    ------
    MixedError
        A row names no unit, or the run does not exist.
    """
    by = _coder(by)
    if isinstance(cases, pd.DataFrame):
        attrs = cases.attrs
        run = run if run is not None else attrs.get("run_id")
        rule = rule or str(attrs.get("rule") or "")
        rows = cases.to_dict("records")
    else:
        rows = [dict(r) for r in cases]
    run_id = _run_id(session, run)
    if rule and len(rule) > 40:
        raise MixedError(_("A rule name has at most 40 characters."))
    position = session.scalar(select(func.max(store.WorklistCase.position))) or 0
    out, ops, names = [], [], []
    for row in rows:
        if row.get("level") in ("city", "dyad") and row.get("unit_key"):
            level, key = str(row["level"]), str(row["unit_key"])
            if level == "dyad":
                key = "|".join(sorted(key.split("|")))
        else:
            level, key = unit_key_of(row)
        name = _label(session, level, key)
        existing = find_case(session, (level, key))
        if existing is not None:
            out.append({"id": existing.id, "case": name, "added": False,
                        "message": _("{case} is already on the worklist.").format(case=name)})
            continue
        position += 1
        entry = store.WorklistCase(
            level=level, unit_key=key, run_id=run_id, rule=rule or "", case_type=str(row.get("case_type") or "")[:200],
            observed=_num(row.get("observed")), predicted=_num(row.get("predicted")),
            residual=_num(row.get("residual")), memo="", position=position, added_by=by)
        session.add(entry)
        session.flush()
        ops.append({"op": "insert", "table": TABLE, "row": _row_dict(session, entry.id)})
        names.append(name)
        out.append({"id": entry.id, "case": name, "added": True,
                    "message": _("Added {case} to the worklist.").format(case=name)})
    if ops:
        shown = "、".join(names[:3])
        if len(names) > 3:
            _event(session, EventType.WORKLIST_ADD, ops, N_("added {cases} and {n} more to the worklist"), by,
                   cases=shown, n=len(names) - 3)
        else:
            _event(session, EventType.WORKLIST_ADD, ops, N_("added {cases} to the worklist"), by, cases=shown)
    return out


def add_case(session: Session, case: Mapping, *, run=None, rule: str = "", by: str = "researcher") -> dict:
    """Put one case on the worklist (see :func:`add_cases`); returns its result dict."""
    return add_cases(session, [case], run=run, rule=rule, by=by)[0]


def _update(session: Session, row: store.WorklistCase, after: dict, kind, template: str, by: str, **params) -> None:
    before = {k: getattr(row, k) for k in after}
    if before == after:
        return
    for k, v in after.items():
        setattr(row, k, v)
    session.flush()
    _event(session, kind, [{"op": "update", "table": TABLE, "id": row.id, "before": before, "after": after}],
           template, by, **params)


def update_memo(session: Session, unit, memo: str, *, by: str = "researcher") -> dict:
    """Set a case's memo (undoable). ``unit`` as :func:`find_case`.

    Returns ``{"id", "case", "memo"}``. Raises ``MixedError`` if the case is not on the list or
    the memo is longer than :data:`MAX_MEMO` code points.
    """
    by = _coder(by)
    row = _find(session, unit)
    text = "" if memo is None else str(memo).replace("\r\n", "\n")
    if len(text) > MAX_MEMO:
        raise MixedError(_("A worklist memo has at most {max_memo:,} characters; this one has {n:,}.")
                         .format(max_memo=MAX_MEMO, n=len(text)))
    name = _label(session, row.level, row.unit_key)
    _update(session, row, {"memo": text}, EventType.WORKLIST_UPDATE, N_("edited the worklist memo of {case}"), by,
            case=name)
    return {"id": row.id, "case": name, "memo": text}


def reorder(session: Session, order: list[int], *, by: str = "researcher") -> None:
    """Put the worklist in the order of ``order`` (entry ids; every entry exactly once), undoable.

    Raises ``MixedError`` if ``order`` is not a permutation of the worklist's entry ids.
    """
    by = _coder(by)
    rows = {r.id: r for r in session.scalars(select(store.WorklistCase))}
    wanted = [int(i) for i in order]
    if sorted(wanted) != sorted(rows):
        raise MixedError(_("A new order must list every case on the worklist exactly once."))
    ops = []
    for pos, rid in enumerate(wanted, start=1):
        row = rows[rid]
        if row.position != pos:
            ops.append({"op": "update", "table": TABLE, "id": rid, "before": {"position": row.position},
                        "after": {"position": pos}})
            row.position = pos
    if ops:
        session.flush()
        _event(session, EventType.WORKLIST_UPDATE, ops, N_("reordered the worklist"), by)


def remove_case(session: Session, unit, *, by: str = "researcher") -> dict:
    """Take a case off the worklist (undoable: its memo comes back too). Returns ``{"id", "case"}``."""
    by = _coder(by)
    row = _find(session, unit)
    name = _label(session, row.level, row.unit_key)
    snap = _row_dict(session, row.id)
    session.delete(row)
    session.flush()
    _event(session, EventType.WORKLIST_REMOVE, [{"op": "delete", "table": TABLE, "row": snap}],
           N_("removed {case} from the worklist"), by, case=name)
    return {"id": snap["id"], "case": name}


DELETED_NOTE = N_("deleted; restore it on the Runs page")
PURGED_LABEL = N_("run no longer saved")


def run_label(name: str | None, deleted: bool = False, *, chosen: bool = True) -> str:
    """The run that chose a worklist case, for a table cell: its name; ``name (deleted; restore it
    on the Runs page)`` when the run was deleted; ``run no longer saved`` when the run row is gone
    (``run_id`` NULL) but the case was chosen by a run (``chosen``); "" when no run chose it."""
    if name:
        return _("{name} ({note})").format(name=name, note=_(DELETED_NOTE)) if deleted else str(name)
    return _(PURGED_LABEL) if chosen else ""


def run_phrase(name: str | None, deleted: bool = False, *, chosen: bool = True) -> str:
    """:func:`run_label` in a sentence: ``run “X”``, ``run “X” (deleted; restore it on the Runs
    page)``, ``run no longer saved`` or ""."""
    if name:
        if deleted:
            return _("run “{name}” ({note})").format(name=name, note=_(DELETED_NOTE))
        return _("run “{name}”").format(name=name)
    return _(PURGED_LABEL) if chosen else ""


def worklist_cases(session: Session, *, max_quotes: int = 3, index: EvidenceIndex | None = None) -> pd.DataFrame:
    """The worklist in its order, with names, run name, evidence counts and quotes.

    Returns
    -------
    pandas.DataFrame
        :data:`WORKLIST_COLUMNS`: ``case`` (and its copy ``name``, read by report drafts) is the
        unit's name (广州市–佛山市), ``run`` the run's
        name ("" once the run is purged or when none chose the case), ``run_deleted`` whether that run
        was deleted (restorable on the Runs page), ``run_label`` the run as users read it in a cell
        (:func:`run_label`: ``X``, ``X (deleted; restore it on the Runs page)``, ``run no longer
        saved`` or ""), ``n_passages`` the coded passages linked to the unit
        (city: to the city or one of its dyads), ``quotes`` up to ``max_quotes`` dicts ``quote,
        cite, code, coding_id``; ``quote_text`` the same as one text cell.
    """
    stmt = (select(store.WorklistCase, store.Run.name, store.Run.deleted)
            .outerjoin(store.Run, store.Run.id == store.WorklistCase.run_id)
            .order_by(store.WorklistCase.position, store.WorklistCase.id))
    rows = session.execute(stmt).all()
    if not rows:
        return pd.DataFrame(columns=WORKLIST_COLUMNS)
    idx = index if index is not None else EvidenceIndex.from_session(session)
    records: list[dict[str, Any]] = []
    for w, run_name, run_gone in rows:
        n, quotes = unit_passages(idx, w.level, w.unit_key, max(int(max_quotes), 0))
        records.append({
            "id": w.id, "position": w.position, "case": unit_name(w.level, w.unit_key, idx.names), "level": w.level,
            "name": unit_name(w.level, w.unit_key, idx.names),
            "unit_key": w.unit_key, "case_type": w.case_type, "run": run_name or "", "run_id": w.run_id,
            "run_deleted": run_gone is not None,
            "run_label": run_label(run_name, run_gone is not None, chosen=w.observed is not None or bool(w.rule)),
            "rule": w.rule, "observed": w.observed, "predicted": w.predicted, "residual": w.residual,
            "memo": w.memo or "", "n_passages": n, "no_evidence": n == 0, "quotes": quotes,
            "quote_text": quote_text(quotes), "added_by": w.added_by, "created": w.created, "updated": w.updated,
        })
    return pd.DataFrame(records, columns=WORKLIST_COLUMNS)


_PAIR_SEPARATORS = ("|", "–", "—", "－")


def resolve_unit(session: Session, text: str) -> tuple[str, str]:
    """``(level, unit_key)`` for a city (name, short name, pinyin or adcode) or a pair written
    ``A–B`` or ``A|B`` (names or codes; ``A-B`` when each side is a city).

    Raises
    ------
    MixedError
        Empty text, or a name no city (or more than one) matches (one sentence).
    """
    from quant.data.project import city_resolver
    from quant.errors import QuantError

    value = " ".join(str(text or "").split())
    if not value:
        raise MixedError(_("Name a city or a pair of cities (A–B)."))
    resolver = city_resolver(session)

    def one(v: str) -> str:
        try:
            return resolver.resolve(v.strip())
        except QuantError as exc:
            raise MixedError(str(exc)) from None

    for sep in _PAIR_SEPARATORS:
        if sep in value:
            a, _sep, b = value.partition(sep)
            return "dyad", "|".join(sorted((one(a), one(b))))
    try:
        return "city", one(value)
    except MixedError:
        if "-" in value:
            a, _sep, b = value.partition("-")
            return "dyad", "|".join(sorted((one(a), one(b))))
        raise


def unit_names(session: Session) -> dict[str, str]:
    """City code → name (for callers that label many units)."""
    return city_names(session)


def save_edits(session: Session, *, memos: Mapping[int, str] | None = None, remove: Iterable[int] = (),
               order: list[int] | None = None, by: str = "researcher") -> list[str]:
    """Apply a page's edits in one transaction: changed memos, removals, then the new order of the
    cases that remain (each change its own undoable event). Returns one sentence per change.

    ``memos`` maps entry id → memo text (unchanged ones are skipped); ``order`` lists the remaining
    entry ids in their new order (ids removed here are ignored). Raises ``MixedError`` as
    :func:`update_memo`, :func:`remove_case` and :func:`reorder` do.
    """
    messages: list[str] = []
    gone = {int(i) for i in remove}
    for rid, text in (memos or {}).items():
        row = _find(session, int(rid))
        if int(rid) in gone or (row.memo or "") == ("" if text is None else str(text).replace("\r\n", "\n")):
            continue
        messages.append(_("Saved the memo of {case}.")
                        .format(case=update_memo(session, int(rid), text, by=by)['case']))
    for rid in sorted(gone):
        messages.append(_("Removed {case} from the worklist.")
                        .format(case=remove_case(session, rid, by=by)['case']))
    if order is not None:
        keep = [int(i) for i in order if int(i) not in gone]
        current = [r.id for r in session.scalars(select(store.WorklistCase)
                                                 .order_by(store.WorklistCase.position, store.WorklistCase.id))]
        if keep != current:
            reorder(session, keep, by=by)
            messages.append(_("Saved the new order."))
    return messages
