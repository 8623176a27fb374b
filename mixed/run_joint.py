"""The joint display of a saved run: every term beside its passages, and every code of the run's
dimension across the run's case groups.

``run_joint`` reads a saved run (``quant.runs.saved``; it never refits) and builds three parts:

(a) ``terms`` — each model term's estimate, CI and p under the run's own SE type beside the codes
    mapped to it through the code ↔ variable map and their passages: the rows of
    ``mixed.joint.joint_display`` (the side-by-side display of Guetterman, Fetters & Creswell
    2015; same term rule ``mixed.terms``, same quote order), built from one index of the project's
    codings so that opening a run takes well under a second;
(b) ``codes`` — for every code mapped to the run's dimension (``coding.codes.dimensions``), how its
    passages fall across the run's case groups (``quant.cases.groups``: typical/deviant after
    Lieberman 2005 and quant.md §4.3, over/under-predicted, tie/non-tie), with quotes per group;
(c) ``unmapped`` — codes that have passages but are mapped neither to a term of the run nor to its
    dimension, each with a hint, so that no code is silently left out.

Which passages count for a unit (the convention of ``mixed.cases.add_evidence``):

* dyad-level runs (connection, degree): a passage counts for a dyad when its coding is linked to
  that dyad; a link to one city alone does not count for the city's dyads;
* city-level runs (breadth): a passage counts for a city when its coding is linked to the city
  directly or to a dyad containing it (a passage linked to a dyad thus counts for both cities).

A passage is counted once per group value (``n_passages``: distinct passages with at least one
unit in that group), so a passage whose units fall into different groups is counted in each of
them, and group counts may add up to more than the code's linked passages. Passages of a code
linked to no unit of the run are counted apart (``n_not_linked``): "not linked to any city or
pair in this run". A code's passages include those of its sub-codes, as in the term rows.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from coding.codes.book import codebook as read_codebook
from coding.codes.book import variable_map
from coding.codes.dimensions import dimension_map
from i18n import N_, _
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex, dyad_label, quote_records
from mixed.meta import meta_lookup
from mixed.terms import NON_TERMS, codes_for_term
from quant.cases.groups import DIRECTIONS, FIT_GROUPS, TIES, case_groups, group_labels

__all__ = ["RunJoint", "run_joint", "NOT_LINKED", "UNMAPPED_HINT", "FACETS"]

#: What passages linked to no unit of the run are called.
NOT_LINKED = N_("not linked to any city or pair in this run")  # a key; show it with i18n._
#: The hint given for a code with passages that the display cannot place.
UNMAPPED_HINT = N_("map it to a term or to this dimension on the Codebook page")
#: The case-group facets counted per code, in display order.
FACETS = ("fit_group", "direction", "tie", "group")
#: The groupings a joint display may show as columns, in display order (``group`` combines them).
GROUPINGS = ("fit_group", "direction", "tie")


@dataclass
class RunJoint:
    """The joint display of one saved run (build it with :func:`run_joint`).

    Attributes
    ----------
    run : dict
        ``RunInfo.to_dict()`` of the run (name, dimension, model, formula, se_type, n, ...).
    c : float
        The residual threshold of the case groups (deviant iff |Pearson residual| > c).
    level : str
        "city" or "dyad".
    se_type, se_label : str
        The run's SE type and the sentence naming it.
    alpha : float
        1 − confidence level of the CIs.
    group_sizes : dict
        ``{facet: {value: number of units of the run}}`` for each facet of :data:`FACETS`
        (the ``tie`` facet is empty for city-level runs).
    terms : list of dict
        One per term (Intercept/alpha left out), keys ``term, estimate, se, ci_low, ci_high, p,
        codes, code_ids, n_passages, quotes, meta_inference, note, meta_author, meta_updated``
        (the researcher's stored judgement, ``mixed.meta``; ``""``/None until judged).
    codes : list of dict
        One per code mapped to the dimension, keys ``code_id, code, n_passages, n_linked,
        n_not_linked, counts`` (``{facet: {value: n passages}}``, every value listed, zeros
        included), ``units`` (``{group: [unit names]}``: units of the group with passages of the
        code) and ``quotes`` (``{group: [quote records]}``, plus key ``NOT_LINKED``).
    unmapped : list of dict
        Keys ``code_id, code, n_passages, hint``.
    not_linked : dict
        ``{"label": NOT_LINKED, "n_passages": passages of the dimension's codes linked to no
        unit of the run}``.
    groupings : list of str
        The groupings of :data:`GROUPINGS` worth showing for this run (:func:`informative_groupings`):
        show those, and of each only the values with ``group_sizes[facet][value] > 0``.
    """

    run: dict
    c: float
    level: str
    se_type: str
    se_label: str
    alpha: float
    group_sizes: dict
    terms: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    unmapped: list = field(default_factory=list)
    not_linked: dict = field(default_factory=dict)
    groupings: list = field(default_factory=lambda: list(GROUPINGS))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with stable keys: ``run, c, level, se_type, se_label, alpha,
        group_sizes, terms, codes, unmapped, not_linked, groupings`` (NaN becomes None)."""
        return _clean({
            "run": self.run, "c": self.c, "level": self.level, "se_type": self.se_type,
            "se_label": self.se_label, "alpha": self.alpha, "group_sizes": self.group_sizes,
            "terms": self.terms, "codes": self.codes, "unmapped": self.unmapped, "not_linked": self.not_linked,
            "groupings": self.groupings,
        })


def informative_groupings(groups: pd.DataFrame) -> list[str]:
    """The groupings of :data:`GROUPINGS` that carry information for one run's units.

    ``groups`` is ``quant.cases.groups.case_groups(...)`` (one row per unit, columns of
    :data:`GROUPINGS`; ``tie`` None for cities). typical/deviant is always kept. tie/non-tie is
    kept only when both groups have units (a degree run's units are all ties), and
    over-/under-predicted is dropped when it splits the units exactly as a grouping kept
    before it — for a logit/probit run every tie is under-predicted and every non-tie
    over-predicted (0 < fitted < 1), so its columns would repeat tie/non-tie. Returns the kept
    names in :data:`GROUPINGS` order.
    """
    kept: list[str] = []
    for facet in ("fit_group", "tie", "direction"):
        labels = [v for v in groups[facet].tolist()]
        present = {v for v in labels if v is not None}
        if facet != "fit_group" and len(present) < 2:
            continue  # one group only: it repeats the whole run
        pairs = [(facet, other) for other in kept]
        if any(len(set(zip(labels, groups[o].tolist()))) == len(present) == len(set(groups[o].tolist()) - {None})
               for _, o in pairs):
            continue  # the same split of the units under other names
        kept.append(facet)
    return [f for f in GROUPINGS if f in kept]


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _clean(value.item())
    if value is not None and not isinstance(value, (str, int, float, bool)):
        try:
            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    return value


def _facet_values(model: str, unit: str) -> dict[str, list[str]]:
    city = unit == "city"
    return {"fit_group": list(FIT_GROUPS), "direction": list(DIRECTIONS),
            "tie": [] if city else list(TIES), "group": group_labels(model, unit)}


def _with_descendants(ids, children: dict[int, list[int]]) -> set[int]:
    out, stack = set(), list(ids)
    while stack:
        cid = stack.pop()
        if cid not in out:
            out.add(cid)
            stack.extend(children.get(cid, []))
    return out


def _unit_codings(idx: EvidenceIndex, groups: pd.DataFrame, level: str) -> dict[int, list[int]]:
    """Coding id -> positions (rows of ``groups``) of the run's units it counts for."""
    out: dict[int, list[int]] = defaultdict(list)
    if level == "city":
        for i, city in enumerate(groups["city"].astype(str)):
            direct, via = idx.city(city)
            for cid in direct + via:
                out[cid].append(i)
    else:
        pos = {(a, b): i for i, (a, b) in enumerate(zip(groups["city_a"].astype(str), groups["city_b"].astype(str)))}
        for (a, b), cids in sorted(idx.dyad_codings.items()):
            i = pos.get((a, b), pos.get((b, a)))
            if i is not None:
                for cid in sorted(cids):
                    out[cid].append(i)
    return out


class _Quotes:
    """Quote records of every coding, made once, served in ``order_passages`` order for any subset."""

    def __init__(self, idx: EvidenceIndex):
        frame = idx.frame.reset_index(drop=True)
        recs = quote_records(frame, idx.names, idx.dyad_keys)
        self.records = {r["coding_id"]: r for r in recs}
        self.keys = {r["coding_id"]: (not r["links"], r["document"], r["start"], r["coding_id"]) for r in recs}

    def take(self, ids, max_n: int | None) -> list[dict]:
        """Records of ``ids`` ordered as ``mixed.evidence.order_passages`` orders them: linked
        passages first, round-robin over documents, each document in text order."""
        keys = sorted(self.keys[i] for i in set(ids) if i in self.keys)
        rank: dict[tuple, int] = defaultdict(int)
        ranked = []
        for k in keys:
            group = (k[0], k[1])
            ranked.append((k[0], rank[group], k[1], k[2], k[3]))
            rank[group] += 1
        ranked.sort()
        chosen = ranked if max_n is None else ranked[:max(int(max_n), 0)]
        return [self.records[k[4]] for k in chosen]


def _term_rows(session: Session, result, quotes: _Quotes, by_code: dict[int, list[int]],
               children: dict[int, list[int]], names: dict[int, str], alpha: float, max_quotes: int) -> list[dict]:
    """Part (a): the rows of ``mixed.joint.joint_display`` for the run's own SE type, built from
    the prebuilt index instead of one query per term (same mapping rule, same quote order)."""
    tab = result.table(result.se_type, alpha)
    vmap = variable_map(session)
    judged = meta_lookup(session, "side-by-side", result.dimension)
    rows = []
    for term, t in tab.iterrows():
        if str(term) in NON_TERMS:
            continue
        ids = codes_for_term(str(term), vmap)
        codings = sorted({x for k in _with_descendants(ids, children) for x in by_code.get(k, [])})
        meta = judged.get(str(term).strip(), {})
        rows.append({
            "term": str(term), "estimate": float(t["estimate"]), "se": float(t["se"]),
            "ci_low": float(t["ci_low"]), "ci_high": float(t["ci_high"]), "p": float(t["p"]),
            "codes": [names.get(i, str(i)) for i in ids], "code_ids": ids, "n_passages": len(codings),
            "quotes": quotes.take(codings, max_quotes), "meta_inference": meta.get("label", ""),
            "note": meta.get("note", ""), "meta_author": meta.get("author", ""), "meta_updated": meta.get("updated"),
        })
    return rows


def _unit_name(groups: pd.DataFrame, i: int, level: str, names: dict[str, str]) -> str:
    row = groups.iloc[i]
    if level == "city":
        return names.get(str(row["city"]), str(row["city"]))
    return dyad_label(str(row["city_a"]), str(row["city_b"]), names)


def run_joint(session: Session, run, *, c: float = 2.0, max_quotes: int = 5, alpha: float = 0.05,
              index: EvidenceIndex | None = None) -> RunJoint:
    """The joint display of a saved run (module docstring for the parts and the counting rule).

    Parameters
    ----------
    session : Session
    run : quant.runs.saved.Run
        A run read with ``quant.runs.saved.load_run``.
    c : float
        Residual threshold for typical/deviant (|r| > c is deviant), > 0.
    max_quotes : int
        At most this many quotes per term and per (code, group), >= 0.
    alpha : float
        1 − confidence level, in (0, 1).
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    RunJoint

    Raises
    ------
    MixedError
        ``max_quotes`` negative, or ``run`` is not a saved run.
    quant.QuantError
        ``c`` not a positive number, or ``alpha`` outside (0, 1).
    """
    if not hasattr(run, "result") or not hasattr(run, "info"):
        raise MixedError(_("run_joint needs a saved run (quant.runs.saved.load_run); got something else."))
    if max_quotes < 0:
        raise MixedError(_("max_quotes must be 0 or more, not {max_quotes}.").format(max_quotes=max_quotes))
    result = run.result
    idx = index if index is not None else EvidenceIndex.from_session(session)
    level = "city" if "city" in result.units.columns else "dyad"
    groups = case_groups(result.units.reset_index(drop=True), result.model, c, unit=level)
    values = _facet_values(result.model, level)
    sizes = {f: {v: int((groups[f] == v).sum()) for v in values[f]} for f in FACETS}

    book = read_codebook(session)
    names = {int(i): str(n) for i, n in zip(book["id"], book["name"])}
    children: dict[int, list[int]] = defaultdict(list)
    for i, parent in zip(book["id"], book["parent_id"]):
        if parent is not None and not pd.isna(parent):
            children[int(parent)].append(int(i))
    dim_codes = sorted(cid for cid, dims in dimension_map(session).items() if result.dimension in dims)
    frame = idx.frame
    code_of = dict(zip(frame["coding_id"].astype(int), frame["code_id"].astype(int)))
    by_code: dict[int, list[int]] = defaultdict(list)
    for cid, code in code_of.items():
        by_code[code].append(cid)
    unit_of = _unit_codings(idx, groups, level)
    quotes_of = _Quotes(idx)
    terms = _term_rows(session, result, quotes_of, by_code, children, names, alpha, max_quotes)
    cols = {f: groups[f].tolist() for f in FACETS}

    codes, all_dim_codings = [], set()
    for code_id in dim_codes:
        codings = sorted(x for k in _with_descendants([code_id], children) for x in by_code.get(k, []))
        all_dim_codings.update(codings)
        linked = [x for x in codings if unit_of.get(x)]
        not_linked = [x for x in codings if not unit_of.get(x)]
        counts = {f: {v: 0 for v in values[f]} for f in FACETS}
        in_group: dict[str, list[int]] = defaultdict(list)
        units_in: dict[str, set[int]] = defaultdict(set)
        for x in linked:
            for f in FACETS:
                seen = {cols[f][i] for i in unit_of[x]} - {None}
                for v in seen:
                    counts[f][v] += 1
            for i in unit_of[x]:
                g = cols["group"][i]
                if not in_group[g] or in_group[g][-1] != x:
                    in_group[g].append(x)
                units_in[g].add(i)
        quotes = {g: quotes_of.take(in_group.get(g, []), max_quotes) for g in values["group"]}
        quotes[NOT_LINKED] = quotes_of.take(not_linked, max_quotes)
        codes.append({
            "code_id": code_id, "code": names.get(code_id, str(code_id)), "n_passages": len(codings),
            "n_linked": len(linked), "n_not_linked": len(not_linked), "counts": counts,
            "units": {g: sorted(_unit_name(groups, i, level, idx.names) for i in units_in.get(g, ()))
                      for g in values["group"]},
            "quotes": quotes,
        })

    vmap = variable_map(session)
    term_codes = {cid for t in result.params.index if str(t) not in NON_TERMS for cid in codes_for_term(str(t), vmap)}
    covered = _with_descendants(term_codes | set(dim_codes), children)
    unmapped = [{"code_id": k, "code": names.get(k, str(k)), "n_passages": len(v), "hint": _(UNMAPPED_HINT)}
                for k, v in sorted(by_code.items()) if v and k not in covered]
    n_not = sum(1 for x in all_dim_codings if not unit_of.get(x))
    return RunJoint(
        run=run.info.to_dict(), c=float(c), level=level, se_type=str(result.se_type),
        se_label=str(result.se_labels.get(result.se_type, result.se_type)), alpha=float(alpha),
        group_sizes=sizes, terms=terms, codes=codes, unmapped=unmapped,
        not_linked={"label": NOT_LINKED, "n_passages": n_not}, groupings=informative_groupings(groups),
    )
