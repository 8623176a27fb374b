"""Case tables: residual-based case selection with city names and the coded evidence per case.

``case_table`` runs ``quant.cases.typical_deviant.select_cases`` (typical / deviant cases from Pearson residuals,
quant.md §4.3) and adds, for each selected city or dyad, its names and how many coded passages
already speak about it, so the researcher sees which cases still lack evidence.
``advertised_not_implemented`` finds the domain's "advertised partners but implemented no
services" cities (many agreements, few joint service items).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from i18n import _
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex
from quant.cases import typical_deviant as quant_cases

__all__ = ["ADVERTISED", "add_evidence", "case_table", "advertised_not_implemented"]

#: The case type named by :func:`advertised_not_implemented`.
ADVERTISED = "advertised, not implemented"


def add_evidence(session: Session, cases: pd.DataFrame, *, index: EvidenceIndex | None = None) -> pd.DataFrame:
    """Add names and counts of coded passages to a table of cities or dyads.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    cases : pandas.DataFrame
        Any table with a ``city`` column, or ``city_a`` and ``city_b`` columns (codes).
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    pandas.DataFrame
        A copy with, for cities, ``name``, ``n_direct`` (codings linked to the city),
        ``n_via_dyads`` (linked to one of its dyads and not to the city) and ``n_passages`` (their
        sum); for dyads, ``name_a``, ``name_b`` and ``n_passages`` (codings linked to the dyad);
        in both cases ``no_evidence`` (True when ``n_passages == 0``). Existing columns of these
        names are replaced.

    Raises
    ------
    MixedError
        If the table has neither id layout.
    """
    idx = index if index is not None else EvidenceIndex.from_session(session)
    out = cases.copy()
    if "city" in out.columns:
        codes = out["city"].astype(str)
        counts = [idx.city(c) for c in codes]
        out["name"] = [idx.names.get(c, c) for c in codes]
        out["n_direct"] = [len(d) for d, _ in counts]
        out["n_via_dyads"] = [len(v) for _, v in counts]
        out["n_passages"] = out["n_direct"] + out["n_via_dyads"]
    elif {"city_a", "city_b"} <= set(out.columns):
        a, b = out["city_a"].astype(str), out["city_b"].astype(str)
        out["name_a"] = [idx.names.get(c, c) for c in a]
        out["name_b"] = [idx.names.get(c, c) for c in b]
        out["n_passages"] = [len(idx.dyad(x, y)) for x, y in zip(a, b)]
    else:
        raise MixedError(_("A case table needs a 'city' column or 'city_a' and 'city_b' columns."))
    out["n_passages"] = out["n_passages"].astype(int)
    out["no_evidence"] = out["n_passages"] == 0
    return out


def case_table(
    session: Session,
    result,
    *,
    c: float = 2.0,
    n_typical: int = 5,
    index: EvidenceIndex | None = None,
) -> pd.DataFrame:
    """Selected typical and deviant cases of one fit, with names and coded evidence.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    result : quant.models.results.FitResult
        A breadth (cities), connection (dyads) or degree (collaborating dyads) fit.
    c : float
        Residual cut-off: deviant iff |Pearson residual| > c (quant.md §4.3; Lieberman 2005).
    n_typical : int
        How many typical cases (smallest |residual|) ``select_cases`` keeps.
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    pandas.DataFrame
        ``quant.cases.typical_deviant.select_cases(result, c=c, n_typical=n_typical)`` (unit ids, ``y``,
        ``fitted``, ``pearson``, ``abs_r``, ``case_type``, ``cell``, ``rule``) plus the columns
        of :func:`add_evidence` (names, ``n_passages``, ``no_evidence``). ``df.attrs`` holds
        ``c``, ``n_typical``, ``dimension`` and ``model`` (read by
        ``mixed.comparison.case_comparison``).

    Raises
    ------
    quant.QuantError
        From ``select_cases`` for a bad ``c`` or ``n_typical``.
    """
    selected = quant_cases.select_cases(result, c=c, n_typical=n_typical)
    out = add_evidence(session, selected, index=index)
    out.attrs.update(c=float(c), n_typical=int(n_typical), dimension=result.dimension, model=result.model)
    return out


def advertised_not_implemented(
    session: Session,
    dyads_df: pd.DataFrame,
    outcome: str = "connection",
    degree: str = "degree",
    *,
    breadth_q: float = 0.75,
    degree_q: float = 0.25,
    index: EvidenceIndex | None = None,
) -> pd.DataFrame:
    """Cities with many partners but few joint service items ("advertised, not implemented").

    The rule (Tandem's operationalization of the case type in the domain notes, which link it to
    the "Mark" signal of task completion): a city is flagged when

    - its breadth (number of dyads with ``outcome == 1``) is at least the ``breadth_q``
      quantile of breadth over all cities in ``dyads_df`` (default: top quartile), and
    - its mean degree (mean of ``degree`` over its collaborating dyads with a known degree) is
      at most the ``degree_q`` quantile of mean degree over the cities with at least one such
      dyad (default: bottom quartile).

    Quantiles are pandas' default (linear interpolation, Hyndman & Fan 1996 type 7). A
    collaborating dyad whose degree is missing counts for breadth but not for the mean degree;
    a degree of 0 (an agreement listing no items) counts as 0.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        For city names and coded passages.
    dyads_df : pandas.DataFrame
        One row per undirected dyad with ``city_a``, ``city_b``, the binary ``outcome`` column
        and the count ``degree`` column.
    outcome, degree : str
        Column names of connection (0/1) and degree (items, >= 0).
    breadth_q, degree_q : float
        Quantile levels in (0, 1).
    index : EvidenceIndex, optional
        A prebuilt index of the project's codings.

    Returns
    -------
    pandas.DataFrame
        Flagged cities only, sorted by breadth (descending), mean degree, then code, with columns
        ``city``, ``name``, ``breadth``, ``mean_degree``, ``total_items``, ``breadth_threshold``,
        ``degree_threshold``, ``case_type`` (:data:`ADVERTISED`), ``rule`` (the rule with its
        thresholds, in words), ``n_direct``, ``n_via_dyads``, ``n_passages``, ``no_evidence``.

    Raises
    ------
    MixedError
        If a column is missing, the outcome is not 0/1, a degree is negative, a quantile level is
        outside (0, 1), or no city has a collaborating dyad with a known degree.
    """
    for q, name in ((breadth_q, "breadth_q"), (degree_q, "degree_q")):
        if not 0.0 < q < 1.0:
            raise MixedError(_("{name} = {q!r} must lie strictly between 0 and 1.").format(name=name, q=q))
    missing = [c for c in ("city_a", "city_b", outcome, degree) if c not in dyads_df.columns]
    if missing:
        raise MixedError(_("The dyad table lacks column(s) {names}.").format(names=', '.join(missing)))
    df = dyads_df[["city_a", "city_b", outcome, degree]].copy()
    df["city_a"], df["city_b"] = df["city_a"].astype(str), df["city_b"].astype(str)
    y = pd.to_numeric(df[outcome], errors="coerce")
    if not y.dropna().isin([0, 1]).all():
        raise MixedError(_("Column {outcome!r} must be 0/1 (connection), found other values.")
                         .format(outcome=outcome))
    deg = pd.to_numeric(df[degree], errors="coerce")
    if (deg.dropna() < 0).any():
        raise MixedError(_("Column {degree!r} has negative values; degree counts service items.")
                         .format(degree=degree))
    cities = pd.Index(sorted(set(df["city_a"]) | set(df["city_b"])), name="city")
    ties = df[(y == 1).to_numpy()].assign(_deg=deg[(y == 1).to_numpy()])
    long = pd.concat(
        [ties[["city_a", "_deg"]].rename(columns={"city_a": "city"}),
         ties[["city_b", "_deg"]].rename(columns={"city_b": "city"})],
        ignore_index=True,
    )
    grouped = long.groupby("city")["_deg"]
    per = pd.DataFrame(
        {
            "breadth": grouped.size().reindex(cities, fill_value=0).astype(int),
            "mean_degree": grouped.mean().reindex(cities),
            "total_items": grouped.sum(min_count=1).reindex(cities),
        }
    )
    with_degree = per["mean_degree"].dropna()
    if with_degree.empty:
        raise MixedError(_("No collaborating dyad has a known {degree!r}; the rule needs degrees.")
                         .format(degree=degree))
    b_thr = float(per["breadth"].quantile(breadth_q))
    d_thr = float(with_degree.quantile(degree_q))
    flag = (per["breadth"] >= b_thr) & (per["breadth"] > 0) & (per["mean_degree"] <= d_thr)
    out = per[flag.to_numpy()].reset_index()
    out["breadth_threshold"] = b_thr
    out["degree_threshold"] = d_thr
    out["case_type"] = ADVERTISED
    out["rule"] = (
        f"breadth ≥ {b_thr:g} (the {breadth_q:g} quantile over {len(per)} cities) and mean "
        f"degree ≤ {d_thr:g} (the {degree_q:g} quantile over {len(with_degree)} cities with a "
        "collaborating dyad)"
    )
    out = out.sort_values(["breadth", "mean_degree", "city"], ascending=[False, True, True], kind="mergesort")
    out = add_evidence(session, out.reset_index(drop=True), index=index)
    cols = [
        "city", "name", "breadth", "mean_degree", "total_items", "breadth_threshold",
        "degree_threshold", "case_type", "rule", "n_direct", "n_via_dyads", "n_passages", "no_evidence",
    ]
    return out[cols]
