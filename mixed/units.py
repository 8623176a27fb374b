"""Units of a fit: whether a ``FitResult`` is about cities or dyads, and finding one unit in it."""
from __future__ import annotations

import pandas as pd

from i18n import _
from mixed.errors import MixedError

__all__ = ["unit_level", "normalize_unit", "unit_row"]


def unit_level(result) -> str:
    """``"city"`` when ``result.units`` has a ``city`` column, ``"dyad"`` for ``city_a``/``city_b``.

    Raises
    ------
    MixedError
        If the units table has neither id layout.
    """
    cols = set(result.units.columns)
    if "city" in cols:
        return "city"
    if {"city_a", "city_b"} <= cols:
        return "dyad"
    raise MixedError(
        _("The units of the {dimension} fit have neither a 'city' column nor 'city_a'/'city_b' columns (found: "
          "{value}).")
        .format(dimension=result.dimension, value=', '.join(map(str, cols)) or 'none')
    )


def normalize_unit(unit, level: str):
    """A city code as ``str``, or a dyad as an ordered ``(city_a, city_b)`` tuple of ``str``.

    Parameters
    ----------
    unit : str, int, tuple or list
        A city code; or a dyad as a pair ``(a, b)`` in either order, or the string ``"a-b"``.
    level : {"city", "dyad"}

    Raises
    ------
    MixedError
        If a dyad is not a pair of two different codes.
    """
    if level == "city":
        if isinstance(unit, (tuple, list)):
            raise MixedError(_("{unit!r} is a pair, but this fit is about cities; pass one city code.")
                             .format(unit=unit))
        return str(unit)
    if isinstance(unit, str):
        a, sep, b = unit.partition("-")
        if not sep:
            raise MixedError(_("{unit!r} is not a dyad; pass (city_a, city_b) or 'a-b'.").format(unit=unit))
        pair = (a.strip(), b.strip())
    elif isinstance(unit, (tuple, list)) and len(unit) == 2:
        pair = (str(unit[0]), str(unit[1]))
    else:
        raise MixedError(_("{unit!r} is not a dyad; pass (city_a, city_b) or 'a-b'.").format(unit=unit))
    if pair[0] == pair[1]:
        raise MixedError(_("{unit!r} pairs a city with itself; a dyad needs two different cities.").format(unit=unit))
    return tuple(sorted(pair))


def unit_row(result, unit, level: str) -> pd.Series:
    """The row of ``result.units`` for ``unit`` (normalized by :func:`normalize_unit`).

    Raises
    ------
    MixedError
        If the unit was not among the units used in the fit.
    """
    units = result.units
    if level == "city":
        mask = units["city"].astype(str) == unit
    else:
        a = units["city_a"].astype(str)
        b = units["city_b"].astype(str)
        mask = ((a == unit[0]) & (b == unit[1])) | ((a == unit[1]) & (b == unit[0]))
    hits = units[mask.to_numpy()]
    if hits.empty:
        shown = unit if level == "city" else f"{unit[0]}-{unit[1]}"
        message = (_("City {shown} is not among the {n} units of the {dimension} fit.") if level == "city" else
                   _("Dyad {shown} is not among the {n} units of the {dimension} fit."))
        raise MixedError(message.format(shown=shown, n=len(units), dimension=result.dimension))
    return hits.iloc[0]
