"""Turning an agreement list into a dyad outcome over every pair of the project's cities.

An agreement-events list names only the pairs that collaborate; the connection model needs
every pair, with 0 for the pairs not listed. ``save_agreement_outcome`` writes that complete
outcome (and the event counts) without ever overwriting an existing variable silently.
"""
from __future__ import annotations

from i18n import _
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import store
from quant.data import project as qdata
from quant.data.dyads import all_pairs
from quant.errors import QuantError


def existing_dyad_variables(session: Session) -> dict[str, int]:
    """Dyad variable names already stored, with how many dyads have a value for each."""
    rows = session.execute(
        select(store.DyadAttribute.name, func.count()).group_by(store.DyadAttribute.name)
    ).all()
    return {name: int(n) for name, n in rows}


def save_agreement_outcome(session: Session, folded: pd.DataFrame, *, outcome: str = "connection",
                           replace: bool = False) -> dict:
    """Store a binary outcome over all pairs of the project's cities from folded agreements.

    Parameters
    ----------
    session : Session
    folded : DataFrame
        ``quant.data.agreements.fold_agreements`` output: ``city_a``, ``city_b`` (codes,
        ``city_a < city_b``) and optionally ``n_events``, ``n_items_max``.
    outcome : str
        Name of the binary dyad variable to write (1 = the pair is in the list, 0 = every
        other pair of the project's cities).
    replace : bool
        Overwrite variables of the same names if the project already has them.

    Returns
    -------
    dict
        ``n_pairs`` (all pairs written), ``n_connected`` (pairs in the list), ``variables``.

    Raises
    ------
    QuantError
        No cities, an empty list, a pair with a city outside the project, or a variable that
        exists already while ``replace`` is False (the message names it and its count).
    """
    name = outcome.strip()
    if not name.isidentifier():
        raise QuantError(_("'{outcome}' cannot name a variable; use letters, digits and underscores.").format(outcome=outcome))
    cities = qdata.city_frame(session)
    if cities.empty:
        raise QuantError(_("The project has no cities; load the city table before an agreement list."))
    if folded.empty:
        raise QuantError(_("The agreement list gave no pair of cities inside the project."))
    codes = set(cities["code"])
    outside = sorted({c for c in pd.concat([folded["city_a"], folded["city_b"]]) if c not in codes})
    if outside:
        raise QuantError(_("Agreement pairs name cities that are not in the project: {outside}.").format(outside=', '.join(outside)))
    extra = [c for c in ("n_events", "n_items_max") if c in folded.columns]
    variables = [name] + [f"{name}_{c}" if name != "connection" else c for c in extra]
    existing = existing_dyad_variables(session)
    clash = [v for v in variables if v in existing]
    if clash and not replace:
        listed = ", ".join(f"'{v}' ({existing[v]:,} dyads)" for v in clash)
        raise QuantError(_("The project already has {listed}; choose another outcome name or replace it.").format(listed=listed))
    pairs = all_pairs(sorted(codes))
    marked = folded[["city_a", "city_b"] + extra].assign(_in=1)
    table = pairs.merge(marked, on=["city_a", "city_b"], how="left")
    out = pd.DataFrame({"city_a": table["city_a"], "city_b": table["city_b"],
                        name: table["_in"].fillna(0).astype(float)})
    for col, var in zip(extra, variables[1:]):
        out[var] = table[col].astype(float)
        if col == "n_events":
            out[var] = out[var].fillna(0.0)
    qdata.save_dyads(session, out, replace_attributes=True)
    return {"n_pairs": len(out), "n_connected": int(out[name].sum()), "variables": variables}
