"""Loading tables into a project: the one path the command line and the workbench share.

Each function reads or takes a table, decides how its ids are resolved, and writes it with
``quant.data.project`` inside the caller's transaction, returning plain facts for the message shown.
Directed tables (ordered pairs) load through ``load_directed`` and fold into undirected dyad
variables through ``fold_directed`` (``quant.data.directed_load``, re-exported here).
"""
from __future__ import annotations

from i18n import _
import warnings

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from quant.data import project as qdata
from quant.data.agreements import fold_agreements
from quant.data.cities import load_city_table
from quant.data.directed_load import DirectedLoad, fold_directed, load_directed  # noqa: F401  (one loading path)
from quant.data.dyads import build_dyads, read_dyad_table
from quant.errors import QuantError
from quant.data.outcomes import save_agreement_outcome

AGREEMENT_COLUMNS = {"party_a_unit", "party_b_unit"}


@dataclass
class CityLoad:
    """What ``load_cities`` wrote: cities, attribute columns, and whether ids named the nodes."""

    n: int
    n_columns: int
    named_by_id: bool


@dataclass
class DyadLoad:
    """What ``load_dyads`` or ``build_all_dyads`` wrote.

    ``kind`` is "table", "agreements" or "built"; for agreements ``n`` is the number of listed
    prefecture dyads, ``n_pairs`` every pair written, and ``report`` the rows set aside.
    """

    kind: str
    n: int
    n_pairs: int = 0
    report: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    n_cities: int = 0
    n_covariates: int = 0


def load_cities(session: Session, table: pd.DataFrame | str | Path, *, id_column: str | None = None) -> CityLoad:
    """Save a city (node) table (a DataFrame or a CSV/XLSX path): keyed by adcode or resolved
    names, or by ``id_column``.

    Names are resolved against the project's cities when it has some and no ``id_column`` is
    given. A node table without a name column (counties, families) is named by its ids,
    keeping names already stored.

    Raises
    ------
    QuantError
        From ``quant.data.cities.load_city_table`` (unknown, ambiguous or duplicate cities).
    """
    known = qdata.city_frame(session)
    resolver = qdata.city_resolver(session) if id_column is None and len(known) else None
    loaded = load_city_table(table, id_column=id_column, resolver=resolver)
    named_by_id = id_column is not None and "name" not in loaded.columns
    if named_by_id:
        names = dict(zip(known["code"], known["name"])) if len(known) else {}
        loaded.insert(1, "name", [names.get(c, c) for c in loaded["code"]])
    n = qdata.save_cities(session, loaded)
    skip = ("code", "name") if named_by_id else ("code",)
    return CityLoad(n=n, n_columns=len([c for c in loaded.columns if c not in skip]), named_by_id=named_by_id)


def is_agreement_list(raw: pd.DataFrame) -> bool:
    """Whether a table is an agreement-events list (party unit columns) rather than a dyad table."""
    return AGREEMENT_COLUMNS <= set(raw.columns)


def load_dyads(session: Session, raw: pd.DataFrame, *, a: str | None = None, b: str | None = None,
               resolve: bool = True, aggregate: str | None = None, outcome: str = "connection",
               replace: bool = False) -> DyadLoad:
    """Save a dyad table (columns ``a`` and ``b``) or fold an agreement-events list.

    With no ``a`` and an agreement list, the listed pairs become ``outcome`` = 1 over every
    pair of the project's cities (``quant.data.outcomes.save_agreement_outcome``); otherwise the
    two city columns are resolved to codes (``resolve``) or kept as raw ids, folded, and
    saved with every numeric column.

    Raises
    ------
    QuantError
        Missing city columns, or from the readers (unknown cities, self-pairs, duplicates,
        an outcome that exists already).
    """
    resolver = qdata.city_resolver(session) if resolve else None
    if a is None and is_agreement_list(raw):
        folded, report = fold_agreements(raw, resolver)
        out = save_agreement_outcome(session, folded, outcome=outcome, replace=replace)
        return DyadLoad(kind="agreements", n=out["n_connected"], n_pairs=out["n_pairs"], report=report)
    if not a or not b:
        raise QuantError(_("Name the two city columns of the dyad table (first and second city)."))
    dyads = read_dyad_table(raw, a, b, resolver=resolver, aggregate=aggregate)
    with warnings.catch_warnings(record=True) as caught:  # said in one sentence, never a raw warning
        warnings.simplefilter("always", UserWarning)
        n = qdata.save_dyads(session, dyads)
    notes = [str(w.message) + " Dyad attributes are numbers; recode a category as 0/1 columns to use it in a "
             "formula." for w in caught if issubclass(w.category, UserWarning)]
    return DyadLoad(kind="table", n=n, n_pairs=n, warnings=notes)


def build_all_dyads(session: Session, ops: dict[str, list[str]] | None = None) -> DyadLoad:
    """Make every pair of the project's cities with distance, same province and ``ops``.

    Raises
    ------
    QuantError
        The project has no cities.
    """
    cities = qdata.city_frame(session)
    if cities.empty:
        raise QuantError(_("The project has no cities; load a city table first."))
    table = build_dyads(cities, id_col="code", ops=ops or None)
    n = qdata.save_dyads(session, table)
    return DyadLoad(kind="built", n=n, n_pairs=n, warnings=list(table.attrs.get("warnings", [])),
                    n_cities=len(cities), n_covariates=table.shape[1] - 2)
