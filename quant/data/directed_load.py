"""Loading directed dyad tables, and folding a directed variable into an undirected one.

``load_directed`` writes a table with a sender and a receiver column as ``store.DirectedDyad``
rows (each ordered pair at most once) and its numeric columns as
``store.DirectedDyadAttribute`` rows, inside the caller's transaction and only after the whole
table has been checked. City columns are resolved by the project's
:class:`quant.data.resolver.CityResolver` (names, short names, adcodes) exactly as
``quant.data.loading.load_dyads`` does, once per distinct value (a 4-million-row table names a few
thousand cities), and rows are written in chunks (bounded memory).

``fold_directed`` turns a directed variable into an undirected dyad variable by a chosen
aggregation of the two directions (domain convention: migration m_ij + m_ji, or min/max of the
two directions; quant.md §3), written with ``quant.data.project.save_dyads``.
"""
from __future__ import annotations

import i18n
from i18n import _, ngettext
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import delete
from sqlalchemy.orm import Session

import store
from quant.data import project as qdata
from quant.data.directed import (NO_DIRECTED, RESERVED, attribute_values, bulk_insert, city_positions,
                            directed_attributes, directed_categories, directed_keys, set_directed_categories)
from quant.data.dyad_tables import AGGREGATES
from quant.errors import DyadError, QuantError, UnknownCityError
from quant.data.tables import normalise_code, numeric_where_possible

__all__ = ["FOLDS", "DirectedLoad", "load_directed", "fold_directed"]

#: Ways to fold the two directions of a pair into one undirected value (``fold_directed``).
FOLDS = ("sum", "max", "mean", "min", "both", "either")
_CHUNK = 50_000  # rows per INSERT batch
_NAME_LIMIT = 100


@dataclass
class DirectedLoad:
    """What ``load_directed`` wrote.

    ``n``: ordered pairs written (rows after any aggregation); ``n_new``: of them new to the
    project; ``n_pairs``: distinct unordered pairs; ``n_both``: unordered pairs present in both
    orderings; ``variables``: numeric attributes stored; ``warnings``: sentences for the user
    (text columns not stored, rows aggregated).
    """

    n: int
    n_new: int
    n_pairs: int
    n_both: int
    variables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r + 1) for r in rows[:20])
    return f"row{'s' if len(rows) > 1 else ''} {shown}{' and more' if len(rows) > 20 else ''}"


def _resolve(session: Session, raw: pd.DataFrame, a: str, b: str, resolve: bool,
             position: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in the project's sorted city codes, ``position``) of the sender and receiver of each
    row, int64 arrays; each distinct value is resolved once."""
    n = len(raw)
    both = pd.concat([raw[a], raw[b]], ignore_index=True)
    idx, uniq = pd.factorize(both, use_na_sentinel=True)
    empty = np.flatnonzero(idx < 0)
    if len(empty):
        labels = [i18n._("row {n} {column}").format(n=k % n + 1, column=a if k < n else b) for k in empty[:20]]
        raise DyadError((i18n._("The directed dyad table has empty city ids in {labels} and more.") if len(empty) > 20
                         else i18n._("The directed dyad table has empty city ids in {labels}.")).format(
            labels=', '.join(labels)))
    _, first = np.unique(idx, return_index=True)  # first position of each distinct value (codes 0..k-1)
    labels = [f"row {k % n + 1} {a if k < n else b}" for k in first]
    if resolve:
        codes = qdata.city_resolver(session).resolve_many(list(uniq), labels=labels)
    else:
        codes = [normalise_code(v) for v in uniq]
        blank = [lab for lab, c in zip(labels, codes) if c is None]
        if blank:
            raise DyadError(i18n._("The directed dyad table has empty city ids in {blank}.").format(blank=', '.join(blank[:20])))
        unknown = [f"{lab}: {c}" for lab, c in zip(labels, codes) if c not in position]
        if unknown:
            raise UnknownCityError(
                i18n.ngettext("The directed dyad table names {n} city not in the project ({unknown}); load them into "
                              "the city table first.",
                              "The directed dyad table names {n} cities not in the project ({unknown}); load them into "
                              "the city table first.", len(unknown)).format(n=len(unknown), unknown='; '.join(unknown[:20]))
            )
    pos = np.array([position[c] for c in codes], dtype=np.int64)[idx]
    return pos[:n], pos[n:]


def load_directed(session: Session, raw: pd.DataFrame, *, a: str, b: str, resolve: bool = True,
                  aggregate: str | None = None, replace: bool = False, text: str = "report") -> DirectedLoad:
    """Save a directed dyad table: column ``a`` names the sender, ``b`` the receiver.

    Parameters
    ----------
    session : Session
        Rows are written in its transaction (nothing is written when a check fails).
    raw : DataFrame
        One row per ordered pair (e.g. read with ``quant.data.tables.read_table(as_text=True)``);
        every other column whose cells all parse as numbers is stored as a directed dyad
        attribute (missing cells as NULL); text columns are named in one warning sentence.
    a, b : str
        Sender (from) and receiver (to) columns.
    resolve : bool
        True: names, short names, pinyin or adcodes resolved against the project's cities;
        False: raw codes that must be city codes of the project.
    aggregate : {"sum", "max", "mean", "first"}, optional
        How to combine rows naming the same ordered pair; None refuses them.
    replace : bool
        Overwrite stored directed attributes of the same names (all their values); without it
        a name already stored is refused.
    text : {"report", "categories"}
        "report": text columns are not stored (one warning sentence names them).
        "categories": each is stored as a categorical variable (codes 0, 1, … in sorted order
        of its labels, the labels kept in ``store.ProjectInfo``; ``directed_frame`` returns the
        labels, so ``C(kind)`` works in a formula). With ``aggregate`` a category keeps the
        first row's label.

    Returns
    -------
    DirectedLoad

    Raises
    ------
    QuantError
        A column is missing, the two columns are the same, an unknown aggregation, an attribute
        name reserved (dyad_id, city_a, city_b, pair), too long, or already stored without
        ``replace``.
    DyadError
        Empty ids, self-pairs (rows and cities named), repeated ordered pairs without
        ``aggregate`` (pairs and rows named).
    UnknownCityError, AmbiguousCityError
        City values that do not resolve to one city of the project (each with its row).
    """
    for col in (a, b):
        if col not in raw.columns:
            raise QuantError(_("The directed dyad table has no column {col!r}; its columns are "
                             "{map}.").format(col=col, map=', '.join(map(str, raw.columns))))
    if a == b:
        raise QuantError(_("The sender and receiver columns must differ (both are {a!r}).").format(a=a))
    if aggregate is not None and aggregate not in AGGREGATES:
        raise QuantError(_("Unknown aggregation {aggregate!r} for repeated pairs; use one of {aggregates}.").format(aggregate=aggregate, aggregates=', '.join(AGGREGATES)))
    if text not in ("report", "categories"):
        raise QuantError(_("text {text!r} is not one of report, categories.").format(text=text))
    if raw.empty:
        raise QuantError(_("The directed dyad table has no rows."))
    raw = raw.reset_index(drop=True)
    codes, position = city_positions(session)
    m = max(len(codes), 1)
    snd, rcv = _resolve(session, raw, a, b, resolve, position)
    selfs = np.flatnonzero(snd == rcv)
    if len(selfs):
        first = int(selfs[0])
        raise DyadError(
            _("The directed dyad table pairs a city with itself in {rows_text} (row {value}: "
            "{iloc} → {iloc2}); a directed dyad needs two different cities.").format(rows_text=_rows_text(selfs.tolist()), value=first + 1, iloc=raw[a].iloc[first], iloc2=raw[b].iloc[first])
        )
    rest = numeric_where_possible(raw.drop(columns=[a, b]))
    numeric = [c for c in rest.columns if pd.api.types.is_numeric_dtype(rest[c]) or pd.api.types.is_bool_dtype(rest[c])]
    text_cols = [c for c in rest.columns if c not in numeric]
    labels: dict[str, list[str]] = {}
    if text == "categories":
        for col in text_cols:
            values = rest[col].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v).strip())
            values = values.where(values != "", None)
            labels[str(col)] = sorted(set(values.dropna()))
            lookup = {lab: float(k) for k, lab in enumerate(labels[str(col)])}
            rest[col] = values.map(lambda v: lookup.get(v, np.nan)).astype("float64")
        numeric, text_cols = list(rest.columns), []  # in the table's order
    text = [str(c) for c in text_cols]
    names = [str(c) for c in numeric]
    reserved = [n for n in names if n in RESERVED]
    if reserved:
        raise QuantError(ngettext("The column {names} cannot name a directed dyad variable (reserved: {reserved}); "
                                  "rename it.",
                                  "The columns {names} cannot name a directed dyad variable (reserved: {reserved}); "
                                  "rename it.", len(reserved)).format(
            names=', '.join(map(repr, reserved)), reserved=', '.join(RESERVED)))
    too_long = [n for n in names if len(n) > _NAME_LIMIT]
    if too_long:
        raise QuantError(_("Attribute names longer than {name_limit} characters: {too_long}.").format(name_limit=_NAME_LIMIT, too_long=', '.join(too_long)))
    stored = set(directed_attributes(session))
    clash = [n for n in names if n in stored]
    if clash and not replace:
        raise QuantError(ngettext("The project already has the directed variable {names}; load with --replace to "
                                  "overwrite it.",
                                  "The project already has the directed variables {names}; load with --replace to "
                                  "overwrite them.", len(clash)).format(names=', '.join(map(repr, clash))))
    key = snd * m + rcv
    del snd, rcv
    table = pd.DataFrame({"key": key})
    for col, name in zip(numeric, names):
        table[name] = rest[col].astype("float64").to_numpy()
    how = {n: ("first" if n in labels else aggregate) for n in names}
    del rest
    notes: list[str] = []
    dup = table["key"].duplicated(keep=False).to_numpy()
    if dup.any():
        if aggregate is None:
            groups: dict[int, list[int]] = {}
            for k in np.flatnonzero(dup):
                if len(groups) == 20 and int(key[k]) not in groups:
                    continue
                groups.setdefault(int(key[k]), []).append(int(k))
            n_groups = int(table.loc[dup, "key"].nunique())
            listing = "; ".join(f"{raw[a].iloc[rows[0]]} → {raw[b].iloc[rows[0]]} ({_rows_text(rows)})"
                                for rows in groups.values())
            raise DyadError(_("The directed dyad table lists {n_groups} ordered pair(s) more than once: {listing}; "
                            "choose an aggregation (sum, max, mean, first).").format(n_groups=n_groups, listing=listing))
        before = len(table)
        table = (table.groupby("key", sort=False, as_index=False).agg(how) if names
                 else table.drop_duplicates("key"))
        notes.append(_("{value:,} repeated rows were combined by {aggregate} into "
                     "{value2:,} ordered pairs.").format(value=before - len(table), aggregate=aggregate, value2=int(dup.sum()) - (before - len(table))))
    if text:
        notes.append(_("Text columns are not stored as directed dyad variables: {text}. Load them as "
                     "categories (--text-as-categories) to use them as C(name) in a formula.").format(text=', '.join(text)))
    # Checked: write. Keys are integers (sender position × cities + receiver position), so neither the
    # table nor the stored dyads are ever held as millions of Python tuples.
    key = table["key"].to_numpy()
    ex_ids, ex_s, ex_r = directed_keys(session, position)
    is_new = ~np.isin(key, ex_s * m + ex_r)
    new = key[is_new]
    for start in range(0, len(new), _CHUNK):
        part = new[start:start + _CHUNK]
        bulk_insert(session, "directed_dyads", ("sender", "receiver"),
                    [(codes[k // m], codes[k % m]) for k in part.tolist()])
    if len(new):
        ex_ids, ex_s, ex_r = directed_keys(session, position)
    ex_key = ex_s * m + ex_r
    order = np.argsort(ex_key, kind="stable")
    ids = ex_ids[order][np.searchsorted(ex_key[order], key)]
    del ex_ids, ex_s, ex_r, ex_key, order
    if names:
        session.execute(delete(store.DirectedDyadAttribute).where(store.DirectedDyadAttribute.name.in_(names)))
        for name in names:
            values = table[name].to_numpy(dtype="float64")
            for start in range(0, len(ids), _CHUNK):
                part = values[start:start + _CHUNK]
                bulk_insert(session, "directed_dyad_attributes", ("dyad_id", "name", "value"),
                            [(i, name, None if v != v else v)
                             for i, v in zip(ids[start:start + _CHUNK].tolist(), part.tolist())])
    if names:
        categories = {k: v for k, v in directed_categories(session).items() if k not in names}
        set_directed_categories(session, {**categories, **labels})
    s_pos, r_pos = key // m, key % m
    unordered = np.unique(np.minimum(s_pos, r_pos) * m + np.maximum(s_pos, r_pos))
    return DirectedLoad(n=len(key), n_new=int(len(new)), n_pairs=int(len(unordered)),
                        n_both=int(len(key) - len(unordered)), variables=names, warnings=notes)


def fold_directed(session: Session, variable: str, how: str, name: str, *, replace: bool = False) -> dict:
    """Write an undirected dyad variable from the two directions of a directed one.

    For each unordered pair {i, j} present in the directed table, with v_ij and v_ji the values
    of ``variable`` on the two orderings (missing when that row is absent or has no value):

    * ``sum``: v_ij + v_ji, ``mean``, ``max``, ``min``: over the values present;
    * ``both``: 1 if both v_ij > 0 and v_ji > 0, else 0 (a missing direction counts as not > 0);
    * ``either``: 1 if v_ij > 0 or v_ji > 0, else 0.

    A pair with no value in either direction gets no value (NULL). Pairs absent from the
    directed table are not written (their stored value of ``name``, if any, is removed with
    ``replace``). Dyads are created as needed (``quant.data.project.save_dyads``).

    Parameters
    ----------
    session : Session
    variable : str
        A stored directed dyad variable.
    how : {"sum", "max", "mean", "min", "both", "either"}
    name : str
        The undirected dyad variable to write (letters, digits, underscores).
    replace : bool
        Overwrite an undirected variable of that name; without it, one already stored is refused.

    Returns
    -------
    dict
        ``n_pairs`` (pairs written), ``n_missing`` (of them without a value), ``variable``,
        ``how``, ``name``.

    Raises
    ------
    QuantError
        No directed dyads, an unknown variable or aggregation, a bad or existing name.
    """
    if how not in FOLDS:
        raise QuantError(_("Unknown way to fold the two directions {how!r}; use one of {folds}.").format(how=how, folds=', '.join(FOLDS)))
    name = str(name).strip()
    if not name.isidentifier() or len(name) > _NAME_LIMIT:
        raise QuantError(_("'{name}' cannot name a dyad variable; use letters, digits and underscores "
                         "(at most {name_limit}).").format(name=name, name_limit=_NAME_LIMIT))
    if variable in directed_categories(session):
        raise QuantError(_("The directed variable {variable!r} is a category (text); folding needs numbers.").format(variable=variable))
    codes, position = city_positions(session)
    ids, snd, rcv = directed_keys(session, position)
    if not len(ids):
        raise QuantError(NO_DIRECTED)
    if variable not in directed_attributes(session):
        raise QuantError(_("No directed dyad attribute named {variable!r} is stored in the project.").format(variable=variable))
    if not replace and name in qdata.project_summary(session)["dyad_attributes"]:
        raise QuantError(_("The project already has the dyad variable {name!r}; use --replace to overwrite it.").format(name=name))
    by_id = np.argsort(ids, kind="stable")
    v = attribute_values(session, variable, by_id, ids[by_id])
    m = max(len(codes), 1)
    keys, group = np.unique(np.minimum(snd, rcv) * m + np.maximum(snd, rcv), return_inverse=True)
    group = group.reshape(-1)
    del ids, snd, rcv, by_id
    present = ~np.isnan(v)
    count = np.bincount(group, weights=present, minlength=len(keys))
    positive = np.bincount(group, weights=present & (v > 0), minlength=len(keys))
    if how in ("sum", "mean"):
        values = np.bincount(group, weights=np.where(present, v, 0.0), minlength=len(keys))
        if how == "mean":
            values = values / np.maximum(count, 1)
    elif how in ("max", "min"):
        values = np.full(len(keys), -np.inf if how == "max" else np.inf)
        (np.fmax if how == "max" else np.fmin).at(values, group, v)  # fmax/fmin skip NaN
    elif how == "both":
        values = (positive == 2).astype("float64")
    else:
        values = (positive >= 1).astype("float64")
    values = np.where(count > 0, values, np.nan)
    _save_undirected(session, codes, keys, name, values)
    return {"n_pairs": int(len(values)), "n_missing": int(np.isnan(values).sum()),
            "variable": variable, "how": how, "name": name}


def _save_undirected(session: Session, codes: np.ndarray, key: np.ndarray, name: str, values: np.ndarray) -> None:
    """Write dyad variable ``name`` (replacing all its stored values) for the pairs
    ``key = lo·m + hi`` (positions in ``codes``, lo < hi, m = len(codes)), creating the ``Dyad`` rows
    that do not exist; integer keys and chunked inserts as in ``load_directed``
    (``quant.data.project.save_dyads`` holds every row as a dict)."""
    position = {c: k for k, c in enumerate(codes.tolist())}
    m = max(len(codes), 1)
    ex_ids, ex_a, ex_b = directed_keys(session, position, undirected=True)
    new = key[~np.isin(key, ex_a * m + ex_b)]
    for start in range(0, len(new), _CHUNK):
        bulk_insert(session, "dyads", ("city_a", "city_b"),
                    [(codes[k // m], codes[k % m]) for k in new[start:start + _CHUNK].tolist()])
    if len(new):
        ex_ids, ex_a, ex_b = directed_keys(session, position, undirected=True)
    ex_key = ex_a * m + ex_b
    order = np.argsort(ex_key, kind="stable")
    ids = ex_ids[order][np.searchsorted(ex_key[order], key)]
    session.execute(delete(store.DyadAttribute).where(store.DyadAttribute.name == name))
    for start in range(0, len(ids), _CHUNK):
        bulk_insert(session, "dyad_attributes", ("dyad_id", "name", "value"),
                    [(i, name, None if v != v else v)
                     for i, v in zip(ids[start:start + _CHUNK].tolist(), values[start:start + _CHUNK].tolist())])
