"""Folding a list of agreement events into prefecture dyads.

Agreements are often signed by districts or counties (常州市武进区 with 盐城市). Each row of
the list names two party units; each is mapped to its prefecture-level city, and the rows
are folded into undirected prefecture dyads. Rows that do not yield a dyad of the study set
(a party outside it, a province-level framework, two units of the same prefecture) are
returned in a report with the reason: nothing is dropped silently (quant.md §3).
"""
from __future__ import annotations

from i18n import _
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quant.data.resolver import CityResolver
from quant.errors import AmbiguousCityError, QuantError, UnknownCityError
from quant.data.tables import normalise_code, read_table

__all__ = ["parse_item_count", "parse_event_date", "fold_agreements"]

_LEADING_INT = re.compile(r"^\s*(\d+)")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
_PROVINCE_UNIT = re.compile(r"(省|自治区)$")


def parse_item_count(text: Any) -> float:
    """The number of service items from a free-text report.

    Parameters
    ----------
    text : str, number or None
        e.g. ``"26"``, ``"26 (first batch, enterprise-related)"``, ``"70+ (...)"``,
        ``"not stated"``.

    Returns
    -------
    float
        The leading integer (26, 26, 70) or NaN when the text does not start with one.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return float("nan")
    if isinstance(text, (int, np.integer, float, np.floating)) and not isinstance(text, bool):
        return float(text)
    match = _LEADING_INT.match(str(text))
    return float(match.group(1)) if match else float("nan")


def parse_event_date(text: Any) -> str | None:
    """An ISO date, possibly partial, from a free-text date.

    Parameters
    ----------
    text : str or None
        e.g. ``"2021-04-23"``, ``"by 2021-04"``, ``"2023"``.

    Returns
    -------
    str or None
        ``"2021-04-23"``, ``"2021-04"``, ``"2023"`` (month and day zero-padded); None when no
        year is found. Qualifiers such as "by" are not kept.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    match = _DATE.search(str(text))
    if not match:
        return None
    parts = [match.group(1)] + [f"{int(p):02d}" for p in match.groups()[1:] if p]
    return "-".join(parts)


def _cell(row: dict, column: str) -> Any:
    value = row.get(column)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def _party(row: dict, side: str, resolver: CityResolver) -> tuple[str | None, str | None]:
    """(prefecture code, None) or (None, reason) for party ``side`` ('a' or 'b') of a row."""
    unit = _cell(row, f"party_{side}_unit")
    adcode = _cell(row, f"party_{side}_adcode")
    prefecture = _cell(row, f"party_{side}_prefecture")
    shown = unit if unit is not None else prefecture
    if adcode is not None:
        try:
            code = normalise_code(adcode)
        except QuantError:
            return None, f"party {side} {shown!r} has an invalid adcode {adcode!r}"
        try:
            return resolver.resolve(code), None
        except (UnknownCityError, AmbiguousCityError):
            return None, f"party {side} {shown!r} has adcode {code}, which is not a city of the study set"
    for value, what in ((prefecture, "prefecture"), (unit, "unit")):
        if value is None:
            continue
        if _PROVINCE_UNIT.search(str(value)) or "/" in str(value):
            return None, f"party {side} {value!r} is a province-level party, not a city"
        try:
            return resolver.resolve(value), None
        except AmbiguousCityError as exc:
            return None, f"party {side} {value!r} is ambiguous ({', '.join(exc.candidates)})"
        except UnknownCityError:
            if what == "prefecture":
                continue
            return None, f"party {side} {value!r} has no adcode and is not a unit of a city in the study set"
    return None, f"party {side} is empty"


def fold_agreements(
    path_or_df: str | Path | pd.DataFrame,
    resolver: CityResolver,
    *,
    restrict_to: Iterable | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold an agreement-events list into undirected prefecture dyads.

    Parameters
    ----------
    path_or_df : str, Path or DataFrame
        The list (CSV/XLSX; leading ``#`` comment lines are skipped) with columns
        event_id, party_a_unit, party_b_unit and optionally date, party_{a,b}_prefecture,
        party_{a,b}_adcode, both_in_155_set, n_items_reported.
    resolver : CityResolver
        The study set of cities.
    restrict_to : iterable of codes, optional
        Keep only dyads whose two cities are both in this set; others are reported.

    Returns
    -------
    dyads : DataFrame
        One row per prefecture dyad, sorted by (city_a, city_b): city_a < city_b (str),
        n_events (int64: distinct event ids), n_items_max (float64: the largest item count
        reported in its rows, NaN if none; parsed by :func:`parse_item_count`),
        first_date (str: the earliest ISO date by :func:`parse_event_date`, possibly
        partial such as ``"2021-04"``; missing if none), event_ids (str: ``"E01;E03"``).
    report : DataFrame
        One row per list row that yields no dyad: row (data row, 1 = first after the
        header), event_id, party_a_unit, party_b_unit, reason.

    Notes
    -----
    Each party is mapped to its prefecture by, in order: its adcode column (a district
    or county adcode maps to its prefecture ``xxxx00``), its prefecture column, then its
    unit name (a unit name starting with a city's full name, e.g. 常州市武进区). A row
    whose ``both_in_155_set`` says ``no`` although both parties resolve is reported, not
    folded: the compiler's flag and the resolver disagree and the row needs checking.

    Raises
    ------
    QuantError
        The list lacks event_id, party_a_unit or party_b_unit, or has no rows.
    """
    label = "the agreement list"
    if isinstance(path_or_df, pd.DataFrame):
        raw = path_or_df.reset_index(drop=True)
    else:
        label = str(path_or_df)
        raw = read_table(path_or_df)
    missing = [c for c in ("event_id", "party_a_unit", "party_b_unit") if c not in raw.columns]
    if missing:
        raise QuantError(_("{label} is not an agreement-events list: missing {missing}.").format(label=label, missing=', '.join(missing)))
    if raw.empty:
        raise QuantError(_("{label} has no rows.").format(label=label))
    allowed = None if restrict_to is None else {normalise_code(c) for c in restrict_to}
    kept, report = [], []
    for k, row in enumerate(raw.to_dict("records")):
        event = _cell(row, "event_id")
        event = str(event) if event is not None else f"row {k + 1}"
        (code_a, why_a), (code_b, why_b) = _party(row, "a", resolver), _party(row, "b", resolver)
        reason = None
        flag = _cell(row, "both_in_155_set")
        if why_a or why_b:
            reason = "; ".join(w for w in (why_a, why_b) if w)
        elif code_a == code_b:
            reason = f"both parties lie in the same prefecture ({resolver.label(code_a)})"
        elif flag is not None and str(flag).strip().lower() in ("no", "n", "false", "0", "否"):
            reason = "both parties resolve to study cities but both_in_155_set says no; check the row"
        elif allowed is not None and not {code_a, code_b} <= allowed:
            outside = [resolver.label(c) for c in (code_a, code_b) if c not in allowed]
            reason = f"{' and '.join(outside)} outside the restricted city set"
        if reason is not None:
            report.append({"row": k + 1, "event_id": event, "party_a_unit": _cell(row, "party_a_unit"),
                           "party_b_unit": _cell(row, "party_b_unit"), "reason": reason})
            continue
        a, b = (code_a, code_b) if code_a < code_b else (code_b, code_a)
        kept.append({"city_a": a, "city_b": b, "event_id": event,
                     "n_items": parse_item_count(row.get("n_items_reported")),
                     "date": parse_event_date(row.get("date"))})
    report_df = pd.DataFrame(report, columns=["row", "event_id", "party_a_unit", "party_b_unit", "reason"])
    report_df["row"] = report_df["row"].astype("int64")
    if not kept:
        empty = pd.DataFrame({"city_a": pd.Series(dtype="str"), "city_b": pd.Series(dtype="str"),
                              "n_events": pd.Series(dtype="int64"), "n_items_max": pd.Series(dtype="float64"),
                              "first_date": pd.Series(dtype="str"), "event_ids": pd.Series(dtype="str")})
        return empty, report_df
    rows = pd.DataFrame(kept)
    grouped = rows.groupby(["city_a", "city_b"], sort=True)
    dyads = pd.DataFrame({
        "n_events": grouped["event_id"].nunique().astype("int64"),
        "n_items_max": grouped["n_items"].max().astype("float64"),
        "first_date": grouped["date"].min(),
        "event_ids": grouped["event_id"].agg(lambda s: ";".join(sorted(set(s)))),
    }).reset_index()
    for col in ("city_a", "city_b", "first_date", "event_ids"):
        dyads[col] = dyads[col].astype("str")
    return dyads, report_df
