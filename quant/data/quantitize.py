"""Quantitized codes: city or dyad variables made from the codings, usable in any specification.

A quantitized variable counts, per city or per dyad, the coded passages of one code (with its
sub-codes, by default) linked to that unit, or marks their presence (0/1). The counts come
from ``coding.retrieval.queries.counts_by_city`` (a coding counts once per city, whether linked to the
city itself or, with ``via_dyads``, to a dyad containing it) and
``coding.retrieval.queries.counts_by_dyad``.

Where things are kept (the decision):

- the values are an ordinary attribute: ``store.CityAttribute`` for every city of the project
  (level "city") or ``store.DyadAttribute`` for every dyad (level "dyad"; 0 for dyads without
  codings), so that formulas, operators (``sum(q_mark)``) and exports see them like any
  other variable;
- the construction (code id and path, measure, level, via dyads, sub-codes, date, number of
  units with a non-zero value) is recorded in ``store.ProjectInfo`` under the key
  ``"quantitized"`` (a dict by variable name), the one place that says which variables are
  derived from codings; a saved specification that uses the variable copies that record into
  its options (``quant.runs.specs``), so a fitted table can always say what the variable meant.

Codings change after a variable is made; ``quantitized_status`` recomputes each variable and
reports whether the stored values are still current. Rebuild with ``replace=True``.
"""
from __future__ import annotations

import i18n
from i18n import _
import re
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import store
from quant.data import project as qdata
from quant.errors import QuantError

__all__ = ["LEVELS", "MEASURES", "INFO_KEY", "quantitize", "constructions", "quantitized_status",
           "delete_quantitized", "quantitized_values"]

LEVELS = ("city", "dyad")
MEASURES = ("count", "presence")
#: ``ProjectInfo`` key holding the constructions.
INFO_KEY = "quantitized"
# A plain identifier a formula can name (quant.formula.guard refuses names starting with "_").
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
_RESERVED = {"code", "name", "short_name", "pinyin", "province", "lat", "lon", "city_a", "city_b", "dyad_id",
             "np", "I", "C", "Q", "Treatment"}


def _code(session: Session, code: Any) -> tuple[int, str]:
    from coding.tree import code_id_by_name, codebook

    code_id = code_id_by_name(session, code) if isinstance(code, str) else int(code)
    book = codebook(session)
    row = book[book["id"] == code_id]
    if row.empty:
        raise QuantError(_("No code has id {code!r}.").format(code=code))
    return code_id, str(row["path"].iloc[0])


def quantitized_values(session: Session, code: Any, *, level: str = "city", measure: str = "count",
                       via_dyads: bool = True, include_subcodes: bool = True) -> pd.DataFrame:
    """The values a quantitized variable would take now (nothing is written).

    Parameters
    ----------
    session : Session
    code : int or str
        Code id, name or path (``"Needs/Social needs"``).
    level : {"city", "dyad"}
    measure : {"count", "presence"}
        Number of distinct coded passages, or 1 if there is at least one.
    via_dyads : bool
        City level: also count passages linked to a dyad containing the city.
    include_subcodes : bool
        Count the codings of every code below ``code`` too.

    Returns
    -------
    pandas.DataFrame
        ``code`` (level city) or ``city_a, city_b`` (level dyad), then ``value`` (int64),
        one row per city / dyad of the project.

    Raises
    ------
    QuantError
        Unknown level or measure, or a project without cities / dyads.
    coding.CodingError
        Unknown code.
    """
    from coding.retrieval.queries import counts_by_city, counts_by_dyad

    if level not in LEVELS:
        raise QuantError(i18n._("Level {level!r} is not one of {levels}.").format(level=level, levels=', '.join(LEVELS)))
    if measure not in MEASURES:
        raise QuantError(i18n._("Measure {measure!r} is not one of {measures}.").format(measure=measure, measures=', '.join(MEASURES)))
    code_id, _ = _code(session, code)
    if level == "city":
        counts = counts_by_city(session, [code_id], include_subcodes=include_subcodes)
        if counts.empty:
            raise QuantError(i18n._("The project has no cities; load a city table first."))
        out = pd.DataFrame({"code": counts["city_code"].astype(str),
                            "value": counts["n_total" if via_dyads else "n_direct"].astype("int64")})
    else:
        pairs = pd.DataFrame(session.execute(select(store.Dyad.city_a, store.Dyad.city_b)
                                             .order_by(store.Dyad.city_a, store.Dyad.city_b)).all(),
                             columns=["city_a", "city_b"])
        if pairs.empty:
            raise QuantError(i18n._("The project has no dyads; load or build dyads first."))
        counts = counts_by_dyad(session, [code_id], include_subcodes=include_subcodes)
        out = pairs.merge(counts, on=["city_a", "city_b"], how="left")
        out = out.assign(value=out["n_codings"].fillna(0).astype("int64")).drop(columns="n_codings")
    if measure == "presence":
        out["value"] = (out["value"] > 0).astype("int64")
    return out.reset_index(drop=True)


def constructions(session: Session) -> dict[str, dict]:
    """Every recorded quantitized variable: name → construction (see the module docstring)."""
    row = session.get(store.ProjectInfo, INFO_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _default_name(path: str, code_id: int, measure: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path.split("/")[-1]).strip("_").lower()
    return (f"q_{slug}_{measure}" if slug else f"q{code_id}_{measure}")[:100]


def _stored_names(session: Session, level: str) -> set[str]:
    table = store.CityAttribute if level == "city" else store.DyadAttribute
    return set(session.scalars(select(table.name).distinct()))


def quantitize(session: Session, code: Any, *, level: str = "city", measure: str = "count",
               via_dyads: bool = True, include_subcodes: bool = True, name: str | None = None,
               replace: bool = False) -> dict:
    """Make (or rebuild) a city or dyad variable from the codings of one code and record how.

    Parameters
    ----------
    session : Session
        Written in its transaction.
    code, level, measure, via_dyads, include_subcodes
        As ``quantitized_values``.
    name : str, optional
        Variable name (ASCII letters, digits, ``_``; starting with a letter, so that a formula
        may name it; ≤ 100 characters; not an id column or ``np``, ``I``, ``C``, ``Q``,
        ``Treatment``). Default ``q_<code name>_<measure>`` (``q<id>_<measure>`` for non-Latin
        names).
    replace : bool
        Rebuild an existing quantitized variable of that name. A loaded (not quantitized)
        variable is never overwritten.

    Returns
    -------
    dict
        The construction recorded: ``name, level, code_id, code, measure, via_dyads,
        include_subcodes, created`` (UTC, ISO 8601), ``n_units``, ``n_nonzero``, ``total``
        (sum of the values).

    Raises
    ------
    QuantError
        Bad level, measure or name, a name in use (loaded variable, or quantitized without
        ``replace``), no cities/dyads.
    coding.CodingError
        Unknown code.
    """
    values = quantitized_values(session, code, level=level, measure=measure, via_dyads=via_dyads,
                                include_subcodes=include_subcodes)
    code_id, path = _code(session, code)
    name = _default_name(path, code_id, measure) if name is None or not str(name).strip() else str(name).strip()
    if not _NAME.match(name) or name in _RESERVED:
        raise QuantError(_("{name!r} cannot name a variable; use ASCII letters, digits and '_' (a letter first), "
                         "at most 100 characters, and not an id column or a formula function.").format(name=name))
    made = constructions(session)
    if name in _stored_names(session, level) or name in made:
        if name not in made:
            raise QuantError(_("The project already has a loaded {level} variable {name!r}; choose another name.").format(level=level, name=name))
        if not replace:
            raise QuantError(_("The quantitized variable {name!r} exists already; choose another name or rebuild it.").format(name=name))
        if made[name]["level"] != level:
            raise QuantError(_("{name!r} is a {level}-level variable; choose another name.").format(name=name, level=made[name]['level']))
    if level == "city":
        qdata.save_cities(session, pd.DataFrame({"code": values["code"], name: values["value"].astype(float)}))
    else:
        qdata.save_dyads(session, pd.DataFrame({"city_a": values["city_a"], "city_b": values["city_b"],
                                                name: values["value"].astype(float)}), replace_attributes=True)
    record = {
        "name": name, "level": level, "code_id": int(code_id), "code": path, "measure": measure,
        "via_dyads": bool(via_dyads) if level == "city" else None, "include_subcodes": bool(include_subcodes),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "n_units": int(len(values)), "n_nonzero": int((values["value"] > 0).sum()),
        "total": int(values["value"].sum()),
    }
    made[name] = record
    row = session.get(store.ProjectInfo, INFO_KEY)
    if row is None:
        session.add(store.ProjectInfo(key=INFO_KEY, value=made))
    else:
        row.value = made  # a new dict, so the JSON column is written
    session.flush()
    return record


def quantitized_status(session: Session) -> pd.DataFrame:
    """Each recorded variable with whether its stored values still match the codings.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, level, code, measure, via_dyads, include_subcodes, created, n_nonzero,
        current`` (bool: recomputed values equal the stored ones; False also when the code was
        deleted).
    """
    rows = []
    city_table = None  # read once, on the first city-level variable
    for name, rec in constructions(session).items():
        try:
            now = quantitized_values(session, rec["code_id"], level=rec["level"], measure=rec["measure"],
                                     via_dyads=bool(rec.get("via_dyads", True)),
                                     include_subcodes=bool(rec.get("include_subcodes", True)))
            if rec["level"] == "city":
                if city_table is None:
                    city_table = qdata.city_frame(session)
                stored = city_table[["code", name]].rename(columns={name: "stored"})
                merged = now.merge(stored, on="code", how="left")
            else:
                stored = qdata.dyad_frame(session, columns=[name])[["city_a", "city_b", name]]
                merged = now.merge(stored.rename(columns={name: "stored"}), on=["city_a", "city_b"], how="left")
            current = bool(np.array_equal(merged["value"].to_numpy(float), merged["stored"].to_numpy(float)))
        except (ValueError, KeyError):
            current = False
        rows.append({k: rec.get(k) for k in ("name", "level", "code", "measure", "via_dyads", "include_subcodes",
                                             "created", "n_nonzero")} | {"current": current})
    return pd.DataFrame(rows, columns=["name", "level", "code", "measure", "via_dyads", "include_subcodes",
                                       "created", "n_nonzero", "current"])


def delete_quantitized(session: Session, name: str) -> None:
    """Delete a quantitized variable's values and its record.

    Raises
    ------
    QuantError
        ``name`` is not a recorded quantitized variable.
    """
    made = constructions(session)
    if name not in made:
        raise QuantError(_("{name!r} is not a quantitized variable of this project.").format(name=name))
    table = store.CityAttribute if made[name]["level"] == "city" else store.DyadAttribute
    session.execute(delete(table).where(table.name == name))
    del made[name]
    session.get(store.ProjectInfo, INFO_KEY).value = made
    session.flush()
