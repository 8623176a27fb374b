"""The statistics-by-themes joint display: how often each theme occurs in quantitative groups.

Guetterman, Fetters & Creswell (2015) found statistics-by-themes among the two most common
joint displays: rows are qualitative themes, columns are groups formed from the quantitative
strand, each cell counts the cases of the group in which the theme occurs. In Tandem a theme is a
code; the cases are the units of one fit (cities or dyads) that have coded evidence, i.e. at
least one coding linked to them; the groups are formed from the fit (quant.md §6):

- ``"case_type"``: typical (|r| ≤ c) versus deviant (|r| > c) by the Pearson residual r, the
  rule of ``quant.cases.typical_deviant.select_cases`` (Lieberman 2005). Here *every* unit with evidence is
  classified, not only the few typical cases ``select_cases`` lists.
- ``"outcome"``: for a binary outcome (logit, probit) collaborating (y = 1) versus not (y = 0);
  for a count, y above versus at or below its median.
- ``"tercile"``: terciles of the fitted value (p̂ or μ̂): low is ≤ the 1/3 quantile, high is >
  the 2/3 quantile (pandas' linear interpolation, Hyndman & Fan type 7).

The median and the tercile cut points are taken over the units with evidence by default
(``base="evidence"``: quant.md §6 groups "the interviewed cases"), so the groups split the cases
the researcher actually has; ``base="all"`` takes them over every unit of the fit, so a group
means the same part of the model's range whichever units have evidence (with rare ties, the
interviewed dyads then often all fall into the top tercile).

A unit has a theme when one of its passages is coded with the code or (by default) one of its
subcodes. A city's passages are those linked to it and (by default) those linked to one of its
dyads, as in ``mixed.joint.unit_evidence``; a dyad's are those linked to the dyad. Each cell is
"n (p%)": n units of the group have the theme, p = 100·n/N rounded half up, N the units with
evidence in the group.

References
----------
Guetterman, T. C., Fetters, M. D. & Creswell, J. W. (2015). Integrating quantitative and
qualitative results in health science mixed methods research through joint displays.
*Annals of Family Medicine* 13(6): 554–561.
Fetters, M. D., Curry, L. A. & Creswell, J. W. (2013). Achieving integration in mixed methods
designs: principles and practices. *Health Services Research* 48(6 Pt 2): 2134–2156.
Lieberman, E. S. (2005). Nested analysis as a mixed-method strategy for comparative research.
*American Political Science Review* 99(3): 435–452.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from coding.tree import codebook as read_codebook
from i18n import _
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex
from mixed.joint import LONG_COLUMNS
from mixed.units import unit_level

__all__ = ["GROUPINGS", "cell_text", "themes_display", "themes_long"]

#: Ways of forming the quantitative groups (module docstring).
GROUPINGS = ("case_type", "outcome", "tercile")
_BINARY = ("logit", "probit")


def _percent(n: int, total: int) -> int:
    return math.floor(100.0 * n / total + 0.5)


def cell_text(n: int, total: int) -> str:
    """``"n (p%)"`` with p = 100·n/total rounded half up; ``"0 (–)"`` for an empty group."""
    if total <= 0:
        return f"{int(n)} (–)"
    return f"{int(n)} ({_percent(n, total):d}%)"


def _groups(result, units: pd.DataFrame, grouping: str, c: float, base: str) -> tuple[list[str], np.ndarray, str]:
    """Group labels in display order, the label of each unit, and the rule in words."""
    ref = units if base == "evidence" else result.units
    over = (_("the {n:,} units with coded evidence").format(n=len(ref)) if base == "evidence"
            else _("all {n:,} units of the fit").format(n=len(ref)))
    if grouping == "case_type":
        if not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0:
            raise MixedError(_("cut-off c = {c!r} must be a positive finite number.").format(c=c))
        labels = [_("typical (|r| ≤ {c:g})").format(c=c), _("deviant (|r| > {c:g})").format(c=c)]
        dev = units["pearson"].abs().to_numpy() > c
        rule = _("Pearson residual r of the {model} fit; deviant iff |r| > {c:g}").format(model=result.model, c=c)
        return labels, np.where(dev, labels[1], labels[0]), rule
    y = units["y"].to_numpy(dtype=float)
    if grouping == "outcome":
        if result.model in _BINARY:
            labels = [_("collaborating (y = 1)"), _("not collaborating (y = 0)")]
            return labels, np.where(y == 1, labels[0], labels[1]), _("observed outcome y (1 = agreement)")
        med = float(np.median(ref["y"].to_numpy(dtype=float))) if len(ref) else math.nan
        labels = [_("y > {median:g} (median)").format(median=med), f"y ≤ {med:g}"]
        rule = _("observed y against its median {median:g} over {over}").format(median=med, over=over)
        return labels, np.where(y > med, labels[0], labels[1]), rule
    q1, q2 = (float(q) for q in ref["fitted"].astype(float).quantile([1 / 3, 2 / 3]))
    what = "p̂" if result.model in _BINARY else "μ̂"
    labels = [_("low {what} (≤ {q1:.3g})").format(what=what, q1=q1), _("middle {what}").format(what=what),
              _("high {what} (> {q2:.3g})").format(what=what, q2=q2)]
    f = units["fitted"].to_numpy(dtype=float)
    which = np.where(f <= q1, labels[0], np.where(f <= q2, labels[1], labels[2]))
    rule = _("terciles of the fitted {what} over {over} (cut points {q1:.4g} and {q2:.4g})").format(
        what=what, over=over, q1=q1, q2=q2)
    return labels, which, rule


def _ancestors(book: pd.DataFrame) -> dict[int, list[int]]:
    parent = {int(i): (None if p is None or pd.isna(p) else int(p)) for i, p in zip(book["id"], book["parent_id"])}
    out = {}
    for cid in parent:
        chain, cur = [cid], parent[cid]
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parent.get(cur)
        out[cid] = chain
    return out


def themes_display(
    session: Session,
    result,
    *,
    grouping: str = "case_type",
    c: float = 2.0,
    include_subcodes: bool = True,
    via_dyads: bool = True,
    drop_empty: bool = True,
    base: str = "evidence",
    index: EvidenceIndex | None = None,
) -> pd.DataFrame:
    """The statistics-by-themes joint display of one fit (rules in the module docstring).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    result : quant.models.results.FitResult
        A city (breadth) or dyad (connection, degree) fit.
    grouping : {"case_type", "outcome", "tercile"}
        How the units with evidence are grouped.
    c : float
        Cut-off of ``grouping="case_type"`` (deviant iff |Pearson r| > c).
    include_subcodes : bool
        A coding with a subcode also counts for its ancestors.
    via_dyads : bool
        For cities: passages linked to one of the city's dyads count for the city.
    drop_empty : bool
        Leave out codes that no unit with evidence has.
    base : {"evidence", "all"}
        Units over which the median (``"outcome"``, counts) and the tercile cut points are
        taken: those with coded evidence, or every unit of the fit.
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    pandas.DataFrame
        One row per theme (code), in codebook order: ``theme`` (code name), ``code_id``,
        ``path``, ``depth``, then one column per group (labels in ``attrs["groups"]``) and
        ``"all"``, each cell ``"n (p%)"`` (:func:`cell_text`). ``df.attrs`` holds ``counts``
        (int DataFrame indexed by code id, columns the groups and ``"all"``), ``sizes`` (N per
        group and ``"all"``), ``groups``, ``grouping``, ``base``, ``rule`` (in words), ``c``,
        ``dimension``, ``model``, ``formula``, ``level`` ("city" | "dyad"), ``n_units``
        (units with evidence) and ``n_fit_units``.

    Raises
    ------
    MixedError
        For an unknown grouping or base, a bad ``c``, or a fit whose units lack ids, ``y``,
        ``fitted`` or ``pearson``.
    """
    if grouping not in GROUPINGS:
        raise MixedError(_("grouping {grouping!r} is not one of {names}.")
                         .format(grouping=grouping, names=', '.join(GROUPINGS)))
    if base not in ("evidence", "all"):
        raise MixedError(_("base {base!r} is not 'evidence' or 'all'.").format(base=base))
    level = unit_level(result)
    missing = [k for k in ("y", "fitted", "pearson") if k not in result.units.columns]
    if missing:
        raise MixedError(_("The units of the {dimension} fit lack column(s) {names}.")
                         .format(dimension=result.dimension, names=', '.join(missing)))
    idx = index if index is not None else EvidenceIndex.from_session(session)
    units = result.units.reset_index(drop=True)
    ids_per_unit = []
    if level == "city":
        for code in units["city"].astype(str):
            direct, via = idx.city(code)
            ids_per_unit.append(direct + (via if via_dyads else []))
    else:
        for a, b in zip(units["city_a"].astype(str), units["city_b"].astype(str)):
            ids_per_unit.append(idx.dyad(a, b))
    has = np.array([bool(x) for x in ids_per_unit], dtype=bool)
    covered = units[has].reset_index(drop=True)
    covered_ids = [x for x, h in zip(ids_per_unit, has) if h]
    labels, which, rule = _groups(result, covered, grouping, c, base)
    book = read_codebook(session)
    chains = _ancestors(book) if include_subcodes else {int(i): [int(i)] for i in book["id"]}
    code_of = dict(zip(idx.frame["coding_id"].astype(int), idx.frame["code_id"].astype(int)))
    columns = labels + ["all"]
    counts = pd.DataFrame(0, index=pd.Index([int(i) for i in book["id"]], name="code_id"), columns=columns)
    for ids, group in zip(covered_ids, which):
        themes = set()
        for cid in ids:
            code = code_of.get(int(cid))
            if code is not None:
                themes.update(chains.get(code, [code]))
        for t in themes:
            if t in counts.index:
                counts.loc[t, group] += 1
                counts.loc[t, "all"] += 1
    sizes = {g: int((which == g).sum()) for g in labels}
    sizes["all"] = int(len(covered))
    rows = []
    for r in book.itertuples(index=False):
        cid = int(r.id)
        if drop_empty and counts.loc[cid, "all"] == 0:
            continue
        row = {"theme": str(r.name), "code_id": cid, "path": str(r.path), "depth": int(r.depth)}
        row.update({g: cell_text(int(counts.loc[cid, g]), sizes[g]) for g in columns})
        rows.append(row)
    df = pd.DataFrame(rows, columns=["theme", "code_id", "path", "depth"] + columns)
    kept = counts.loc[[r["code_id"] for r in rows]] if rows else counts.iloc[0:0]
    df.attrs.update(
        counts=kept, sizes=sizes, groups=labels, grouping=grouping, base=base, rule=rule, c=float(c),
        dimension=result.dimension, model=result.model, formula=result.formula, level=level,
        n_units=int(len(covered)), n_fit_units=int(len(units)),
    )
    return df


def themes_long(df: pd.DataFrame) -> pd.DataFrame:
    """The tidy long form of a statistics-by-themes display (quant.md §6).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`themes_display`.

    Returns
    -------
    pandas.DataFrame
        Columns ``display_type`` (``"statistics-by-themes"``), ``row_key``
        (``"dimension:code path"``), ``column`` (a group label or ``"all"``), ``value`` (the
        count n, int) and ``provenance`` (``"n of N units with coded evidence (p%)"``, the
        grouping rule, the model and formula).

    Raises
    ------
    MixedError
        If ``df`` lacks the ``attrs`` of :func:`themes_display`.
    """
    need = ("counts", "sizes", "groups", "rule", "dimension", "model")
    if any(k not in df.attrs for k in need):
        raise MixedError(_("Not a statistics-by-themes display: its attrs (counts, sizes, groups, rule) are missing."))
    counts, sizes = df.attrs["counts"], df.attrs["sizes"]
    base = f"{df.attrs['rule']} · {df.attrs['dimension']} · {df.attrs['model']} · {df.attrs.get('formula', '')}"
    out = []
    for r in df.itertuples(index=False):
        for g in list(df.attrs["groups"]) + ["all"]:
            n, total = int(counts.loc[r.code_id, g]), int(sizes[g])
            share = f" ({_percent(n, total)}%)" if total else ""
            prov = f"{n} of N = {total} units with coded evidence{share} · {base}"
            out.append(("statistics-by-themes", f"{df.attrs['dimension']}:{r.path}", g, n, prov))
    return pd.DataFrame(out, columns=LONG_COLUMNS)
