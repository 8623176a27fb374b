"""Dyads: all pairs of a node set and dyad covariates built from node attributes.

An undirected dyad is one row ``(city_a, city_b)`` with ``city_a < city_b`` in string
order of the codes (numeric order for equal-width adcodes), as ``store.Dyad`` requires.
Covariate constructions follow quant.md §3: sum, absdiff, min, max, product, same, both.
Reading dyad tables lives in ``quant.data.dyad_tables`` (re-exported here).
"""
from __future__ import annotations

import i18n
from i18n import _
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from quant.data.dyad_tables import AGGREGATES, breadth_from_dyads, fold_pairs, read_dyad_table
from quant.errors import DyadError, QuantError
from quant.data.tables import normalise_code

__all__ = [
    "EARTH_RADIUS_KM",
    "OPERATORS",
    "AGGREGATES",
    "CollinearityWarning",
    "great_circle_km",
    "all_pairs",
    "collinearity_warnings",
    "node_covariates",
    "build_dyads",
    "fold_pairs",
    "read_dyad_table",
    "breadth_from_dyads",
]

#: Mean Earth radius in km (IUGG mean radius R1), used by :func:`great_circle_km`.
EARTH_RADIUS_KM = 6371.0088

#: Node-attribute constructions, each symmetric in (i, j); column name ``<op>_<variable>``.
from quant.data.operators import OPERATORS  # noqa: E402  (defined there for quant.formula.guard)

_COLLINEAR = ("sum", "absdiff", "min", "max")


class CollinearityWarning(UserWarning):
    """Three or more of sum/absdiff/min/max of one variable were requested together."""


def great_circle_km(lat1, lon1, lat2, lon2):
    """Great-circle distance by the haversine formula.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float or array_like
        Coordinates in decimal degrees; arrays broadcast against each other.

    Returns
    -------
    float or ndarray
        Distance in km on a sphere of radius ``EARTH_RADIUS_KM`` (6371.0088 km); NaN
        where a coordinate is missing.

    Notes
    -----
    d = 2R·asin(√h), h = sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2) (Sinnott 1984, "Virtues
    of the haversine", Sky & Telescope 68:159). h is clipped to [0, 1] against rounding.
    """
    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(v, dtype="float64")) for v in (lat1, lon1, lat2, lon2))
    h = np.sin((phi2 - phi1) / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    d = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def _haversine_rad(phi: np.ndarray, lam: np.ndarray, cos_phi: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """:func:`great_circle_km` for node pairs (i, j), with per-node radians and cosines precomputed."""
    h = np.sin((phi[j] - phi[i]) * 0.5) ** 2 + cos_phi[i] * cos_phi[j] * np.sin((lam[j] - lam[i]) * 0.5) ** 2
    np.clip(h, 0.0, 1.0, out=h)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h, out=h), out=h)


def _unique_codes(values: Iterable, what: str) -> np.ndarray:
    codes = [normalise_code(v) for v in values]
    if any(c is None for c in codes):
        raise DyadError(_("{what} has an empty id.").format(what=what))
    series = pd.Series(codes, dtype="object")
    dupes = series[series.duplicated()].unique().tolist()
    if dupes:
        raise DyadError(_("{what} repeats the ids {map}.").format(what=what, map=', '.join(map(str, dupes[:20]))))
    return np.array(codes, dtype="object")


def _take_str(ids: np.ndarray, idx: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``ids[idx]`` as a pandas ``str`` array (via pyarrow's take when available: ~5x faster)."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow comes with streamlit
        return pd.array(ids[idx], dtype="str")
    return pd.array(pa.array(ids.astype(str)).take(pa.array(idx)), dtype="str")


def all_pairs(codes: Iterable) -> pd.DataFrame:
    """Every unordered pair of distinct codes, once.

    Parameters
    ----------
    codes : iterable
        n distinct ids (ints or strings; compared as strings, see ``normalise_code``).

    Returns
    -------
    DataFrame
        n(n−1)/2 rows, columns city_a, city_b (str) with city_a < city_b, sorted by
        (city_a, city_b).

    Raises
    ------
    DyadError
        An id is empty or repeated.
    """
    arr = np.sort(_unique_codes(codes, "The list of codes").astype("str"))
    i, j = np.triu_indices(len(arr), k=1)
    return pd.DataFrame({"city_a": _take_str(arr, i), "city_b": _take_str(arr, j)})


def collinearity_warnings(requests: Iterable[tuple[str, str]]) -> list[str]:
    """Sentences warning of exactly collinear sets among the requested constructions.

    Parameters
    ----------
    requests : iterable of (operator, variable)
        e.g. ``[("sum", "log_pop"), ("absdiff", "log_pop"), ("min", "log_pop")]``.

    Returns
    -------
    list of str
        One sentence per variable for which three or more of sum, absdiff, min, max are
        requested: the four span only two dimensions, since min = (sum − absdiff)/2 and
        max = (sum + absdiff)/2 (quant.md §3).
    """
    chosen: dict[str, list[str]] = {}
    for op, var in requests:
        if op in _COLLINEAR and op not in chosen.setdefault(var, []):
            chosen[var].append(op)
    out = []
    for var, ops in chosen.items():
        if len(ops) >= 3:
            ordered = [op for op in _COLLINEAR if op in ops]
            out.append(
                f"{', '.join(ordered[:-1])} and {ordered[-1]} of {var!r} are exactly collinear "
                "(min = (sum − absdiff)/2, max = (sum + absdiff)/2); keep {sum, absdiff} or {min, max}."
            )
    return out


def _as_float(values: pd.Series, op: str, var: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.astype("float64").to_numpy()
    raise QuantError(_("{op}({var}) needs a numeric attribute, but {var!r} holds text (e.g. {iloc!r}).").format(op=op, var=var, iloc=values.dropna().iloc[0]))


def node_covariates(
    nodes: pd.DataFrame, ia: np.ndarray, ib: np.ndarray, requests: Sequence[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """Dyad columns built from node attributes, for dyads given as node positions.

    Parameters
    ----------
    nodes : DataFrame
        One row per node with the attribute columns named in ``requests``.
    ia, ib : ndarray of int, shape (m,)
        Row positions in ``nodes`` of each dyad's two nodes.
    requests : sequence of (operator, variable)
        Operators from ``OPERATORS``.

    Returns
    -------
    dict
        ``"<op>_<variable>"`` -> float64 array of shape (m,):
        sum x_i + x_j; absdiff |x_i − x_j|; min, max; product x_i·x_j; same 1[x_i = x_j]
        (any dtype); both 1[x_i = 1 ∧ x_j = 1] (0/1 attributes). NaN where either value
        is missing.

    Raises
    ------
    QuantError
        Unknown operator or attribute, a numeric operator on text, ``both`` on a non-0/1
        attribute.
    """
    out: dict[str, np.ndarray] = {}
    cache: dict[str, np.ndarray] = {}
    for op, var in requests:
        if op not in OPERATORS:
            raise QuantError(
                i18n._("Unknown dyad construction {op!r}; use one of {operators} "
                "(ops maps a construction to a list of node attributes).").format(op=op, operators=', '.join(OPERATORS))
            )
        if var not in nodes.columns:
            raise QuantError(i18n._("{op}({var}): {var!r} is not a node attribute; the attributes are {map}.").format(op=op, var=var, map=', '.join(map(str, nodes.columns))))
        name = f"{op}_{var}"
        if op == "same":
            codes, _ = pd.factorize(nodes[var], use_na_sentinel=True)
            ca, cb = codes[ia], codes[ib]
            col = (ca == cb).astype("float64")
            col[(ca < 0) | (cb < 0)] = np.nan
            out[name] = col
            continue
        x = cache.get(var)
        if x is None:
            x = cache[var] = _as_float(nodes[var], op, var)
        xa, xb = x[ia], x[ib]
        if op == "sum":
            out[name] = xa + xb
        elif op == "absdiff":
            out[name] = np.abs(xa - xb)
        elif op == "min":
            out[name] = np.minimum(xa, xb)
        elif op == "max":
            out[name] = np.maximum(xa, xb)
        elif op == "product":
            out[name] = xa * xb
        else:  # both
            present = x[~np.isnan(x)]
            if not np.isin(present, (0.0, 1.0)).all():
                bad = present[~np.isin(present, (0.0, 1.0))][0]
                raise QuantError(i18n._("both({var}) needs a 0/1 attribute, but {var!r} has the value {bad:g}.").format(var=var, bad=bad))
            col = ((xa == 1.0) & (xb == 1.0)).astype("float64")
            col[np.isnan(xa) | np.isnan(xb)] = np.nan
            out[name] = col
    return out


def _requests_from_ops(ops: dict[str, Sequence[str]] | None) -> list[tuple[str, str]]:
    if not ops:
        return []
    if not isinstance(ops, dict):
        raise QuantError(_("ops must map a construction (sum, absdiff, ...) to a list of node attributes."))
    requests = []
    for op, variables in ops.items():
        if isinstance(variables, str):
            variables = [variables]
        for var in variables:
            if (op, var) not in requests:
                requests.append((op, var))
    return requests


def build_dyads(
    nodes: pd.DataFrame,
    id_col: str = "code",
    ops: dict[str, list[str]] | None = None,
    distance: bool = True,
) -> pd.DataFrame:
    """All n(n−1)/2 dyads of a node table, with covariates built from node attributes.

    Parameters
    ----------
    nodes : DataFrame
        One row per node: the id column plus attributes (``lat``/``lon`` in degrees and
        ``province`` are used for the geographic covariates).
    id_col : str
        The id column (default ``code``).
    ops : dict, optional
        Construction -> node attributes, e.g. ``{"sum": ["log_pop"], "absdiff":
        ["log_pop", "urban_share"], "same": ["province"]}``; None builds no attribute
        covariates.
    distance : bool
        Add ``distance_km`` (great-circle, :func:`great_circle_km`) when ``lat`` and ``lon``
        exist and ``same_province`` (1/0) when ``province`` exists.

    Returns
    -------
    DataFrame
        n(n−1)/2 rows sorted by (city_a, city_b), city_a < city_b (str), then
        distance_km, log_distance (natural log of km), same_province, then ``<op>_<variable>``
        columns in request order
        (float64, NaN where a node value is missing; see :func:`node_covariates`).
        ``.attrs["warnings"]`` holds any collinearity sentences, which are also issued
        with ``warnings.warn`` (category :class:`CollinearityWarning`).

    Raises
    ------
    DyadError
        The id column is missing, or an id is empty or repeated.
    QuantError
        An unknown construction or attribute (see :func:`node_covariates`).
    """
    if id_col not in nodes.columns:
        raise DyadError(_("The node table has no id column {id_col!r}.").format(id_col=id_col))
    requests = _requests_from_ops(ops)
    ids = _unique_codes(nodes[id_col], "The node table").astype("str")
    order = np.argsort(ids, kind="stable")
    table = nodes.iloc[order].reset_index(drop=True)
    ids = ids[order]
    i, j = np.triu_indices(len(ids), k=1)
    columns: dict[str, object] = {
        "city_a": _take_str(ids, i),
        "city_b": _take_str(ids, j),
    }
    if distance and {"lat", "lon"} <= set(table.columns):
        phi = np.radians(pd.to_numeric(table["lat"], errors="coerce").to_numpy(dtype="float64"))
        lam = np.radians(pd.to_numeric(table["lon"], errors="coerce").to_numpy(dtype="float64"))
        columns["distance_km"] = _haversine_rad(phi, lam, np.cos(phi), i, j)
        with np.errstate(divide="ignore"):
            columns["log_distance"] = np.log(columns["distance_km"])
    if distance and "province" in table.columns:
        columns["same_province"] = node_covariates(table, i, j, [("same", "province")])["same_province"]
    columns.update(node_covariates(table, i, j, requests))
    out = pd.DataFrame(columns)
    notes = collinearity_warnings(requests)
    for note in notes:
        warnings.warn(note, CollinearityWarning, stacklevel=2)
    out.attrs["warnings"] = notes
    return out
