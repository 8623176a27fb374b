"""Case views: the cases one rule selects from a saved run, with names, one label, evidence and quotes.

``case_view(session, run, rule, **params)`` runs ``quant.cases.select.select_run_cases`` (the
statistics: Seawright & Gerring 2008; Lieberman 2005; quant.md §4) and adds what a researcher
needs to choose fieldwork sites: the unit's name (广州市, or 广州市–佛山市 for a dyad), its case type
in words (one label per row), the number of coded passages that speak about it, up to three
quotes with their citation ("document, ¶ n"), a ``no_evidence`` flag and whether the unit is
already on the fieldwork worklist (``mixed.worklist``).

The rule ``advertised`` is the domain's "advertised partners but few services" list
(``mixed.cases.advertised_not_implemented``: many agreements, low mean degree); it reads the
project's dyad table, not a run (a breadth run, when given, adds each city's predicted value and
residual), and its quotes are the city's passages coded *Mark* (or a sub-code) first.

Passage counts follow ``mixed.cases.add_evidence``: for a city, the codings linked to the city
plus those linked to one of its dyads (each coding once); for a dyad, the codings linked to it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from i18n import _, N_
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex

__all__ = ["VIEW_RULES", "VIEW_TITLES", "ADVERTISED_RULE", "MARK_CODE", "case_view", "quote_text", "unit_name",
           "unit_key_of", "unit_passages", "shown_columns", "worklist_keys"]

ADVERTISED_RULE = "advertised"
MARK_CODE = "Mark"


def _rules() -> tuple[str, ...]:
    from quant.cases.select import RULES

    return tuple(RULES)


def _titles() -> dict[str, str]:
    from quant.cases.select import RULE_TITLES

    out = dict(RULE_TITLES)
    out[ADVERTISED_RULE] = N_("Advertised partners, few services (many agreements, low mean degree)")
    return out


try:  # the statistics module (quant.cases.select) defines the rule list
    VIEW_RULES: tuple[str, ...] = _rules() + (ADVERTISED_RULE,)
    VIEW_TITLES: dict[str, str] = _titles()
except ImportError:  # pragma: no cover - only while quant.cases.select is not installed
    VIEW_RULES = (ADVERTISED_RULE,)
    VIEW_TITLES = {ADVERTISED_RULE: "Advertised partners, few services"}


def unit_key_of(row) -> tuple[str, str]:
    """``(level, unit_key)`` of a row with ``city`` or ``city_a``/``city_b``: ``("city", code)``
    or ``("dyad", "a|b")`` with ``a < b``. Raises ``MixedError`` for neither layout."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    city = get("city", None)
    if city is not None and not (isinstance(city, float) and np.isnan(city)):
        return "city", str(city)
    a, b = get("city_a", None), get("city_b", None)
    if a is None or b is None:
        raise MixedError(_("A case needs a city code or the two city codes of a dyad."))
    a, b = sorted((str(a), str(b)))
    return "dyad", f"{a}|{b}"


def unit_name(level: str, key: str, names: dict[str, str]) -> str:
    """A unit's name: ``广州市``, or ``广州市–佛山市`` for the dyad key ``"a|b"`` (codes where no name)."""
    if level == "city":
        return names.get(key, key)
    a, _sep, b = key.partition("|")
    return f"{names.get(a, a)}–{names.get(b, b)}"


def _short_quotes(records: list[dict]) -> list[dict]:
    return [{"quote": r["quote"], "cite": r["cite"], "code": r["code"], "coding_id": r["coding_id"]}
            for r in records]


def quote_text(quotes: list[dict]) -> str:
    """Quotes as one text cell: ``“quote” (document, ¶ n)`` per line."""
    return "\n".join(f"“{q['quote']}” ({q['cite']})" for q in quotes)


def unit_passages(idx: EvidenceIndex, level: str, key: str, max_quotes: int,
                  first: set[int] | None = None) -> tuple[int, list[dict]]:
    """The coded passages of one unit: how many, and its top quotes.

    Parameters
    ----------
    idx : EvidenceIndex
    level : {"city", "dyad"}
    key : str
        The unit key (:func:`unit_key_of`): a city code, or ``"a|b"`` for a dyad.
    max_quotes : int
        At most this many quotes (0 for none).
    first : set of int, optional
        Coding ids quoted before the others (the *Mark* passages of the advertised rule).

    Returns
    -------
    (int, list of dict)
        The number of codings (a city's: linked to the city or one of its dyads, each once; a
        dyad's: linked to it) and up to ``max_quotes`` dicts ``quote, cite, code, coding_id``.
    """
    if level == "city":
        direct, via = idx.city(key)
        ids = direct + via
    else:
        a, _sep, b = key.partition("|")
        ids = idx.dyad(a, b)
    if first:
        preferred = [i for i in ids if i in first]
        quotes = idx.records(preferred, max_n=max_quotes)
        if len(quotes) < max_quotes:
            rest = [i for i in ids if i not in first]
            quotes += idx.records(rest, max_n=max_quotes - len(quotes))
    else:
        quotes = idx.records(ids, max_n=max_quotes)
    return len(ids), _short_quotes(quotes)


def worklist_keys(session: Session) -> set[tuple[str, str]]:
    """``{(level, unit_key)}`` of every case on the worklist."""
    return {(lv, k) for lv, k in session.execute(select(store.WorklistCase.level, store.WorklistCase.unit_key))}


def _mark_ids(session: Session, idx: EvidenceIndex) -> set[int]:
    """Ids of codings with the code *Mark* or one of its sub-codes."""
    from coding.tree import descendants

    mark = session.scalar(select(store.Code.id).where(store.Code.name == MARK_CODE))
    if mark is None:
        return set()
    ids = {int(mark)} | {int(i) for i in descendants(session, int(mark))}
    frame = idx.frame
    return {int(c) for c, k in zip(frame["coding_id"], frame["code_id"]) if int(k) in ids}


def _advertised(session: Session, run, idx: EvidenceIndex) -> pd.DataFrame:
    from mixed.cases import advertised_not_implemented
    from quant.data import project as qdata

    dyads = qdata.dyad_frame(session, ["connection", "degree"])
    missing = [c for c in ("connection", "degree") if c not in dyads.columns]
    if missing:
        raise MixedError(_("The advertised-partners view needs the dyad variables 'connection' and 'degree'; the "
                           "project lacks {names}.")
                         .format(names=', '.join(missing)))
    adv = advertised_not_implemented(session, dyads, index=idx)
    out = adv.rename(columns={"breadth": "observed"})
    out["predicted"] = np.nan
    out["residual"] = np.nan
    if run is not None and run.info.dimension == "breadth" and "city" in run.units.columns:
        u = run.units.assign(city=run.units["city"].astype(str)).set_index("city")
        out["predicted"] = out["city"].map(u["fitted"]).astype(float)
        out["residual"] = out["city"].map(u["pearson"]).astype(float)
    out["score"] = out["observed"].astype(float)
    out["rank"] = np.arange(1, len(out) + 1)
    out["label"] = out["case_type"]
    out.attrs = {"rule": ADVERTISED_RULE, "parameters": {"breadth_q": 0.75, "degree_q": 0.25},
                 "run": None if run is None else run.info.name, "run_id": None if run is None else run.info.id,
                 "dimension": "breadth", "model": None if run is None else run.info.model, "binary": False,
                 "residual_type": "Pearson residual", "id_columns": ["city"], "notes": [
                     str(adv["rule"].iloc[0]) if len(adv) else _("No city meets the rule.")]}
    return out.drop(columns=["case_type", "n_direct", "n_via_dyads", "n_passages", "no_evidence"])


def case_view(session: Session, run, rule: str, *, variable: str | None = None, reduced: str | None = None,
              threshold: float | None = None, n: int | None = 10, controls=None, outcome: str | None = None,
              max_quotes: int = 3, index: EvidenceIndex | None = None) -> pd.DataFrame:
    """The cases one rule selects from a run, with names, one label, passage counts and quotes.

    Parameters
    ----------
    session : Session
    run : quant.runs.saved.Run, str, int or None
        The saved run (or its name or id); ``None`` only for the ``advertised`` rule.
    rule : str
        One of :data:`VIEW_RULES` (``quant.cases.select.RULES`` and ``"advertised"``).
    variable, reduced, threshold, n, controls, outcome
        As ``quant.cases.select.select_run_cases`` (ignored by ``advertised``).
    max_quotes : int
        Quotes kept per case (0–10; default 3).
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    pandas.DataFrame
        One row per listed case, in rank order: ``case`` (the name), ``case_type`` (one label in
        words), ``observed``, ``predicted``, ``residual`` (Pearson), ``score``, ``rank``,
        ``n_passages``, ``no_evidence``, ``quotes`` (list of dicts ``quote, cite, code,
        coding_id``), ``quote_text`` (the quotes as one text cell), ``on_worklist``, then the
        hidden id columns ``level``, ``unit_key``, ``city`` | ``city_a, city_b`` and the rule's
        own columns. ``attrs``: ``rule``, ``parameters``, ``run``, ``run_id``, ``dimension``,
        ``model``, ``binary``, ``residual_type``, ``notes`` (sentences) and ``shown`` (the
        columns meant for people, see :func:`shown_columns`).

    Raises
    ------
    MixedError
        Unknown rule, no run for a run-based rule, bad ``max_quotes``, or the advertised view
        without the dyad variables it needs.
    quant.QuantError
        From ``select_run_cases`` (unknown variable, bad threshold or n, unknown run).
    """
    if rule not in VIEW_RULES:
        raise MixedError(_("Unknown case rule {rule!r}; choose one of: {names}.")
                         .format(rule=rule, names=', '.join(VIEW_RULES)))
    if isinstance(max_quotes, bool) or not isinstance(max_quotes, (int, np.integer)) or not 0 <= max_quotes <= 10:
        raise MixedError(_("max_quotes = {max_quotes!r} must be a whole number from 0 to 10.")
                         .format(max_quotes=max_quotes))
    from quant.runs import saved as qruns

    if run is not None and not isinstance(run, qruns.Run):
        run = qruns.load_run(session, run)
    idx = index if index is not None else EvidenceIndex.from_session(session)
    mark: set[int] | None = None
    if rule == ADVERTISED_RULE:
        frame = _advertised(session, run, idx)
        mark = _mark_ids(session, idx)
    else:
        if run is None:
            raise MixedError(_("The {rule} rule needs a saved run; choose one.").format(rule=rule))
        from quant.cases.select import select_run_cases

        frame = select_run_cases(session, run, rule, variable=variable, reduced=reduced, threshold=threshold,
                                 n=n, controls=controls, outcome=outcome)
    attrs = dict(frame.attrs)
    out = frame.reset_index(drop=True).copy()
    keys = [unit_key_of(r) for r in out.to_dict("records")]
    on_list = worklist_keys(session)
    counts, quotes = [], []
    for level, key in keys:
        k, q = unit_passages(idx, level, key, int(max_quotes), mark)
        counts.append(k)
        quotes.append(q)
    out["level"] = [lv for lv, _ in keys]
    out["unit_key"] = [k for _, k in keys]
    out["case"] = [unit_name(lv, k, idx.names) for lv, k in keys]
    out["case_type"] = out["label"].astype(str) if "label" in out.columns else rule
    out["n_passages"] = pd.Series(counts, dtype=int)
    out["no_evidence"] = out["n_passages"] == 0
    out["quotes"] = quotes
    out["quote_text"] = [quote_text(q) for q in quotes]
    if mark is not None:
        out["n_mark"] = [len([i for i in (idx.city(k)[0] + idx.city(k)[1]) if i in mark]) for _, k in keys]
    out["on_worklist"] = [(lv, k) in on_list for lv, k in keys]
    first = ["case", "case_type", "observed", "predicted", "residual", "score", "rank", "n_passages",
             "no_evidence", "quotes", "quote_text", "on_worklist", "level", "unit_key"]
    ids = [c for c in ("city", "city_a", "city_b") if c in out.columns]
    dropped = {"label", "name", "name_a", "name_b"}
    rest = [c for c in out.columns if c not in first and c not in ids and c not in dropped]
    out = out[first + ids + rest]
    attrs["shown"] = shown_columns(rule, out)
    out.attrs = attrs
    return out


def shown_columns(rule: str, frame: pd.DataFrame) -> list[str]:
    """The columns of a case view meant for people (no ids, no internal columns), in order."""
    cols = ["case", "case_type", "observed", "predicted", "residual", "n_passages", "no_evidence", "quote_text",
            "on_worklist"]
    if "partner_case" in frame.columns:  # most-similar / most-different pairs: the other member
        cols.insert(2, "partner_case")
    if rule == ADVERTISED_RULE:
        cols[3:3] = ["mean_degree", "total_items"]
        cols.insert(cols.index("n_passages") + 1, "n_mark")
    return [c for c in cols if c in frame.columns]
