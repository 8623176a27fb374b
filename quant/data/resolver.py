"""Resolving what researchers type to a city code: ``CityResolver``.

A city is keyed by a string ``code``: the 6-digit adcode for Chinese prefecture-level cities, any
identifier for other node sets. The resolver turns adcode, 苏州市, 苏州, Suzhou or 常州市武进区
into that code and refuses ambiguity (pinyin collides: Suzhou = 苏州/宿州, Taizhou = 泰州/台州,
Fuzhou = 福州/抚州), naming the candidates.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from i18n import _
from quant.data.tables import is_missing, normalise_code
from quant.errors import AmbiguousCityError, QuantError, UnknownCityError

__all__ = ["CityResolver"]

_SIX_DIGITS = re.compile(r"^\d{6}$")
_ADMIN_SUFFIXES = ("市", "州", "盟", "地区")  # full names usable as a prefix of a unit name


def _label(value: Any) -> str:
    """A city name or alias as readers see it: NFKC (full-width -> ASCII), invisible format
    and control characters removed (``苏州\u200b`` is ``苏州``), spaces collapsed, trimmed."""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join("".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c.isspace()).split())


def _pinyin_key(text: str) -> str:
    """Case-, space-, apostrophe- and hyphen-insensitive key (``"Huai'an"`` -> ``"huaian"``)."""
    return re.sub(r"[\s'’\-_·]", "", unicodedata.normalize("NFKC", text)).casefold()


class CityResolver:
    """Resolve adcodes, Chinese names, short names and pinyin to city codes.

    Parameters
    ----------
    cities : DataFrame
        One row per city with columns ``code`` and ``name`` (full name, 苏州市) and
        optionally ``short_name`` (苏州), ``pinyin`` (Suzhou) and ``province`` (江苏省).
        Codes are compared as strings (see :func:`normalise_code`).

    Raises
    ------
    QuantError
        ``code`` or ``name`` is missing, or a code is empty or repeated.

    Notes
    -----
    Resolution order for one value: (1) an exact code (int or str); (2) an exact full
    name, short name or pinyin (pinyin ignores case, spaces, apostrophes and hyphens);
    (3) a 6-digit adcode of a district or county whose prefecture ``xxxx00`` is in the
    table (320412 -> 320400); (4) a unit name that starts with a city's full name ending
    in 市, 州, 盟 or 地区, after
    an optional province prefix (常州市武进区 -> 常州市, 江苏省苏州市 -> 苏州市); the
    longest matching name wins. More than one match at the first step that matches
    raises :class:`AmbiguousCityError`.
    """

    def __init__(self, cities: pd.DataFrame) -> None:
        missing = [c for c in ("code", "name") if c not in cities.columns]
        if missing:
            raise QuantError(_("A city resolver needs the columns code and name; missing: {missing}.").format(missing=', '.join(missing)))
        codes = [normalise_code(v) for v in cities["code"]]
        if any(c is None for c in codes):
            raise QuantError(_("The city table has a row without a code."))
        dupes = sorted({c for c in codes if codes.count(c) > 1}) if len(set(codes)) < len(codes) else []
        if dupes:
            raise QuantError(_("The city table repeats the codes {dupes}.").format(dupes=', '.join(dupes)))
        self._codes: list[str] = codes
        self._code_set = set(codes)
        self._names: dict[str, str] = {}
        self._aliases: dict[str, set[str]] = {}
        self._full_names: dict[str, str] = {}  # full name -> code
        self._provinces: set[str] = set()
        columns = {c: cities[c].tolist() for c in ("name", "short_name", "pinyin", "province") if c in cities.columns}
        for pos, code in enumerate(codes):
            name = columns["name"][pos]
            name = "" if is_missing(name) else _label(name)
            self._names[code] = name
            if name:
                self._add_alias(name, code)
                if name.endswith(_ADMIN_SUFFIXES):
                    self._full_names[name] = code
            short = columns.get("short_name", [None] * len(codes))[pos]
            if not is_missing(short):
                self._add_alias(_label(short), code)
            pinyin = columns.get("pinyin", [None] * len(codes))[pos]
            if not is_missing(pinyin):
                self._add_alias(_pinyin_key(str(pinyin)), code)
            province = columns.get("province", [None] * len(codes))[pos]
            if not is_missing(province):
                self._provinces.add(_label(province))
        # Longest names first, so 南通市海门区 never stops at a shorter prefix.
        self._prefix_order = sorted(self._full_names, key=len, reverse=True)

    def _add_alias(self, key: str, code: str) -> None:
        if key:
            self._aliases.setdefault(key, set()).add(code)
            folded = _pinyin_key(key)
            if folded != key:
                self._aliases.setdefault(folded, set()).add(code)

    @property
    def codes(self) -> list[str]:
        """The codes of the table, in table order."""
        return list(self._codes)

    def name(self, code: str) -> str:
        """The full name of a city code (empty string when the table has none)."""
        return self._names[code]

    def label(self, code: str) -> str:
        """``"苏州市 320500"``: name and code, as error messages list candidates."""
        name = self._names.get(code, "")
        return f"{name} {code}".strip()

    def _match(self, value: Any) -> list[str]:
        """Candidate codes for one value (empty: unknown; several: ambiguous)."""
        if isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, (bool, np.bool_)):
            try:
                code = normalise_code(value)
            except QuantError:
                return []
            return self._match_text(code)
        return self._match_text(_label(value))

    def _match_text(self, text: str) -> list[str]:
        if text in self._code_set:
            return [text]
        code = normalise_code(text)
        if code in self._code_set:
            return [code]
        for key in (text, _pinyin_key(text)):
            if key in self._aliases:
                return sorted(self._aliases[key])
        if _SIX_DIGITS.match(text) and text[:4] + "00" in self._code_set:
            return [text[:4] + "00"]
        rest = text
        for province in sorted(self._provinces, key=len, reverse=True):
            if text.startswith(province) and len(text) > len(province):
                rest = text[len(province):]
                if rest in self._aliases:
                    return sorted(self._aliases[rest])
                break
        for full in self._prefix_order:
            if rest.startswith(full) and len(rest) > len(full):
                return [self._full_names[full]]
        return []

    def _problem(self, value: Any, label: str) -> tuple[str | None, str | None, bool]:
        """(code, None, False) or (None, what is wrong at ``label`` in the current language, ambiguous)."""
        if is_missing(value):
            return None, _("{label}: the value is empty").format(label=label), False
        found = self._match(value)
        if len(found) == 1:
            return found[0], None, False
        if not found:
            return None, _("{label}: {value!r} matches no city (not a code, full name, short name or pinyin of the "
                           "table)").format(label=label, value=value), False
        listing = ", ".join(self.label(c) for c in found)
        return None, _("{label}: {value!r} is ambiguous: {listing}; use the adcode or the Chinese name").format(
            label=label, value=value, listing=listing), True

    def resolve(self, value: Any) -> str:
        """The code of one city.

        Parameters
        ----------
        value : int or str
            An adcode (``320500`` or ``"320500"``), a full name (苏州市), a short name
            (苏州), pinyin (``"suzhou"``, case/space-insensitive), a district/county
            adcode or a unit name starting with a city's full name (常州市武进区).

        Returns
        -------
        str
            The city's code.

        Raises
        ------
        UnknownCityError
            The value matches no city (or is empty).
        AmbiguousCityError
            The value matches several cities; ``.candidates`` lists ``"苏州市 320500"``-style
            labels in code order.
        """
        if is_missing(value):
            raise UnknownCityError(_("An empty value cannot name a city."))
        found = self._match(value)
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownCityError(
                _("{value!r} matches no city: it is not a code, full name, short name or pinyin of the "
                "{n} cities of the table.").format(value=value, n=len(self._codes))
            )
        labels = [self.label(c) for c in found]
        raise AmbiguousCityError(
            _("{value!r} is ambiguous: it could be {labels}; use the adcode or the Chinese name.").format(value=value, labels=_(" or ").join(labels)),
            candidates=labels,
        )

    def resolve_many(self, values: Iterable[Any], labels: Sequence[str] | None = None) -> list[str]:
        """The codes of many values, reporting every bad value in one error.

        Parameters
        ----------
        values : iterable
            Values accepted by :meth:`resolve`.
        labels : sequence of str, optional
            How to name each value's position in the error (default ``"row 1"``, ``"row 2"``...,
            counting data rows from 1).

        Returns
        -------
        list of str
            One code per value, in order.

        Raises
        ------
        UnknownCityError
            One or more values match no city (the message lists each bad value, including
            any ambiguous ones, with its position).
        AmbiguousCityError
            Every bad value is ambiguous; ``.candidates`` holds all their candidates.
        """
        values = list(values)
        if labels is None:
            labels = [_("row {n}").format(n=i + 1) for i in range(len(values))]
        codes, problems, unknown, candidates = [], [], False, []
        for label, value in zip(labels, values):
            code, reason, ambiguous = self._problem(value, label)
            codes.append(code)
            if reason is not None:
                problems.append(reason)
                if ambiguous:
                    candidates.extend(self.label(c) for c in self._match(value))
                else:
                    unknown = True
        if problems:
            shown = "; ".join(problems[:50])
            if len(problems) > 50:
                shown = _("{problems}; and {n} more").format(problems=shown, n=len(problems) - 50)
            message = _("{n} value(s) do not resolve to one city — {problems}.").format(n=len(problems), problems=shown)
            if unknown:
                raise UnknownCityError(message)
            raise AmbiguousCityError(message, candidates=list(dict.fromkeys(candidates)))
        return codes  # type: ignore[return-value]
