"""What a saved run stores besides its record: the data fingerprint and the per-unit table.

:func:`fingerprint` hashes the data a specification is fitted on; :func:`pack_units` /
:func:`unpack_units` turn the per-unit table (ids, ``y``, ``fitted``, ``pearson`` and the raw
covariates, prefixed ``x:``) into zlib-compressed JSON and back; :func:`result_from` rebuilds a
``FitResult`` from ``FitResult.to_dict()`` and that table (NaN where the JSON holds null).
"""
from __future__ import annotations

from i18n import _
import hashlib
import json
import re
import zlib

import numpy as np
import pandas as pd

from quant.errors import QuantError
from quant.models.results import FitResult

__all__ = ["X_PREFIX", "formula_names", "fingerprint", "pack_units", "unpack_units", "result_from", "used_columns"]

X_PREFIX = "x:"
_UNITS_LIMIT = 200_000_000  # bytes of JSON a stored units table may inflate to


def formula_names(formula: str) -> set[str]:
    """Every identifier-like word of a formula (column names, functions, operators), e.g.
    ``{"y", "log", "x"}`` for ``"y ~ log(x)"``."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))


def used_columns(md) -> list[str]:
    """Columns of ``md.data`` that the (design) formula and zero part name, outcome first."""
    texts = [md.design_formula] + ([md.zero_design_formula] if md.zero_design_formula else [])
    cols: list[str] = []
    for text in texts:
        for name in sorted(formula_names(text)):
            if name in md.data.columns and name not in cols:
                cols.append(name)
    for name in (getattr(md, "offset", None), getattr(md, "exposure", None)):
        if name and name in md.data.columns and name not in cols:
            cols.append(name)
    outcome = md.design_formula.split("~", 1)[0]
    first = [c for c in cols if c in formula_names(outcome)]
    return first + [c for c in cols if c not in first]


def _id_columns(frame: pd.DataFrame) -> list[str]:
    if {"city_a", "city_b"} <= set(frame.columns):
        return ["city_a", "city_b"]
    if "code" in frame.columns:
        return ["code"]
    if "city" in frame.columns:
        return ["city"]
    raise QuantError(_("The data has neither city ids nor dyad ids, so it cannot be fingerprinted."))


def _column_bytes(values: pd.Series) -> bytes:
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        arr = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(copy=True)
        arr[np.isnan(arr)] = np.nan  # one NaN bit pattern
        arr[arr == 0.0] = 0.0  # -0.0 and 0.0 alike
        return arr.tobytes()
    return "\x1f".join("\x00" if pd.isna(v) else str(v) for v in values).encode("utf-8")


def fingerprint(md) -> str:
    """SHA-256 (hex, 64 characters) of the data a specification is fitted on.

    Covers the dimension (and whether the dyads are directed), the unit ids (sorted), and every
    column the formula, the hurdle zero part and the offset/exposure name in ``md.data`` —
    outcome and covariates, quantitized codes included, since those
    are stored attributes — with numbers compared as float64 and text as text. Rows that the fit
    will drop for missing values are part of the hash (a value filled in changes it).

    Parameters
    ----------
    md : quant.runs.analysis.ModelData

    Returns
    -------
    str
    """
    data = md.data
    ids = _id_columns(data)
    cols = used_columns(md)
    frame = data[ids + cols].copy()
    for c in ids:
        frame[c] = frame[c].astype(str)
    frame = frame.sort_values(ids, kind="mergesort").reset_index(drop=True)
    h = hashlib.sha256()
    h.update(f"tandem-fingerprint-1\x1e{md.spec.dimension}\x1e".encode())
    if getattr(md, "directed", False):  # undirected fingerprints stay as they were
        h.update(b"directed\x1e")
    for c in ids + cols:
        h.update(f"\x1e{c}\x1d".encode("utf-8"))
        h.update(_column_bytes(frame[c]))
    return h.hexdigest()


def pack_units(result: FitResult, md) -> bytes:
    """The per-unit table (ids, ``y``, ``fitted``, ``pearson``, ``x:<column>`` raw covariates) as
    zlib-compressed JSON ``{"columns": [...], "data": [[...], ...]}``, floats exact, NaN as null."""
    units = result.units.copy()
    if md is not None and not units.empty:
        data_ids = _id_columns(md.data)
        unit_ids = ["city"] if "city" in units.columns else ["city_a", "city_b"]
        if len(data_ids) == len(unit_ids):
            xs = md.data[data_ids + [c for c in used_columns(md)[1:] if c not in data_ids]].copy()
            xs = xs.rename(columns=dict(zip(data_ids, unit_ids)))
            xs = xs.rename(columns={c: X_PREFIX + c for c in xs.columns if c not in unit_ids})
            for c in unit_ids:
                xs[c] = xs[c].astype(str)
                units[c] = units[c].astype(str)
            xs = xs.drop_duplicates(subset=unit_ids)
            units = units.merge(xs, on=unit_ids, how="left")
    # json.dumps writes floats with repr (shortest round-trip form): every float64 comes back
    # bit for bit, where DataFrame.to_json stops at 15 significant digits
    rows = units.astype(object).where(units.notna(), None).to_numpy().tolist()
    text = json.dumps({"columns": [str(c) for c in units.columns], "data": rows}, ensure_ascii=False,
                      allow_nan=False, default=_plain)
    return zlib.compress(text.encode("utf-8"), 6)


def _plain(value):
    """numpy scalars (and anything else with ``item()``) as Python numbers for ``json.dumps``."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be stored in a run's units table")


def unpack_units(blob: bytes) -> pd.DataFrame:
    d = zlib.decompressobj()
    raw = d.decompress(blob, _UNITS_LIMIT)
    if d.unconsumed_tail:
        raise QuantError(_("The run's stored units table is larger than Tandem reads; the project may be damaged."))
    payload = json.loads(raw.decode("utf-8"))
    frame = pd.DataFrame(payload["data"], columns=payload["columns"])
    for c in ("city", "city_a", "city_b"):
        if c in frame.columns:
            frame[c] = frame[c].astype(str)
    for c in frame.columns:
        if c in ("y", "fitted", "pearson"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return frame


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def result_from(record: dict, units: pd.DataFrame) -> FitResult:
    terms = record["terms"]
    params = pd.Series([_nan(record["params"][t]["estimate"]) for t in terms], index=terms, dtype=float)
    se = {k: pd.Series([_nan(record["params"][t]["se"].get(k)) for t in terms], index=terms, dtype=float)
          for k in record["se_labels"] if k in record["cov"]}
    cov = {k: np.array([[_nan(v) for v in row] for row in m], dtype=float).reshape(len(terms), len(terms))
           for k, m in record["cov"].items()}
    base = units[[c for c in units.columns if not c.startswith(X_PREFIX)]].copy()
    return FitResult(
        dimension=record["dimension"], model=record["model"], formula=record["formula"], params=params,
        se=se, cov=cov, se_type=record["se_type"], se_labels=dict(record["se_labels"]), n=int(record["n"]),
        n_nodes=record["n_nodes"], llf=_nan(record["llf"]), aic=_nan(record["aic"]), bic=_nan(record["bic"]),
        converged=bool(record["converged"]), warnings=list(record["warnings"]), units=base,
        meta=dict(record["meta"]), p_dist=record.get("p_dist", "normal"),
    )
