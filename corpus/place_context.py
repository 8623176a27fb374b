"""Whether a Chinese place name found inside a line is really a place here: word boundaries and rules.

Character matching finds 中山 in 中山北路 and 吉安 in 大吉安康. A candidate ``[a, b)`` is kept only
when the word segmenter agrees that it stands as a word, and no context rule of the project
forbids it:

1. **Word boundaries.** jieba (a private ``jieba.Tokenizer``, so other callers' dictionaries are
   untouched, with every place name of the project added as a user word) cuts a window of the line
   around the candidate (``WINDOW`` code points each side, no HMM for unknown words, so that unknown
   characters never glue onto a name). The candidate must start where a word starts — or inside a
   word whose part before it is one of ``PREFIX_OK`` (赴, 全 …) — and end where a word ends — or
   inside a word whose rest is one of ``SUFFIX_OK`` (温州人, 苏州籍, 宁波港). So 中山北路 (one word)
   and 大吉/安康 reject 中山 and 吉安, while 苏州/市政府 keeps 苏州 and 常州市/武进区 keeps both.
2. **Context rules** the researcher can edit (project setting ``RULES_KEY``): each rule is a
   pattern with ``{}`` standing for the name — ``{}路`` (a street named after a city),
   ``{}大学`` (an institution), ``孙{}`` — and a rule without ``{}`` is a word that blocks any
   name inside it (as ``corpus.places`` blockers do). Rules are plain text compared
   character by character; nothing in them is run as a pattern language.

Offsets are code points of the line; nothing here changes the text.
"""
from __future__ import annotations

import logging
from corpus.errors import CorpusError
from i18n import _
from typing import Iterable

__all__ = ["ContextFilter", "DEFAULT_RULES", "RULES_KEY", "check_rules", "project_rules", "set_project_rules", "WINDOW", "PREFIX_OK", "SUFFIX_OK"]

#: The project setting (``store.ProjectInfo`` key) holding the list of context rules.
RULES_KEY = "place_rules"

WINDOW = 8
PREFIX_OK = frozenset({"赴", "全", "至", "驻", "在", "去", "来", "经", "跨", "原", "省", "与", "和", "同", "及"})
SUFFIX_OK = frozenset({"人", "籍", "港", "站", "段", "方", "市", "州", "自治州", "地区", "境内", "一带", "方面", "本地", "话", "市民",
                       "两地", "三地", "各地"})

#: Common surnames that, written directly before a city name, make a person's name (联系人：王南京、
#: 李苏州). Surnames that are also ordinary words before a place (于 "at", 向 "towards", 许 as in
#: 允许, 何 as in 任何, 贺 as in 祝贺, 谢 as in 感谢, 周 as in 每周, 顾 as in 回顾, 程, 曾 …) are left out.
_SURNAMES = "王李张刘陈杨黄赵吴徐孙朱胡郭罗郑梁唐韩冯邓彭肖袁董潘蒋蔡杜叶魏吕丁沈姚卢姜崔钟谭陆汪范廖贾邹孟熊秦邱尹薛闫段雷侯陶黎郝龚邵钱严覃戴孔汤"

#: Streets, roads and institutions named after a city (the name is not the place there), then
#: ordinary words that are also the short names of counties (会同 "jointly", 惠民 "benefiting the
#: people", 天台 "rooftop", 新华 as in 新华社): as plain words these rules keep such short forms out
#: (the full names 会同县, 惠民县 are still found). Chosen by the team from the county short forms
#: of the eleven provinces; then a person's name: a common surname before the name (王南京). The
#: researcher edits the list per project.
DEFAULT_RULES: tuple[str, ...] = (
    "{}路", "{}街", "{}巷", "{}大道", "{}大街", "{}北路", "{}南路", "{}东路", "{}西路", "{}中路",
    "{}大学", "{}学院", "{}公园", "{}广场", "{}大厦", "{}酒店", "{}饭店", "{}宾馆", "{}号",
    "{}装", "{}陵",
    "会同", "惠民", "平和", "清新", "莲花", "大观", "太和", "新华", "建安", "三元", "二七", "八步",
    "万载", "四会", "湖里", "市南", "市北", "市中", "台前", "江岸", "天台", "天长", "海盐", "樟树",
    "铜鼓", "清流", "大通", "开化", "新城", "河东", "河西", "城东", "城西", "城南", "城北", "金门",
) + tuple(f"{surname}{{}}" for surname in _SURNAMES)
_MAX_RULES = 500
#: After a rule ``{}路``: these words make the name a road's (宁波路口, 芜湖路边) even though 路口 is a
#: word of its own; 路上 does too (他家在广州路上) unless a verb of going stands before the name
#: (去无锡路上 "on the way to Wuxi").
_ROAD_WORDS = frozenset({"路口", "路边", "路旁", "路段", "路北", "路南", "路东", "路西"})
_GOING = frozenset("去到往回赴返向从来")
#: A name split on both sides by common words (上海|南通|道 read as 海南 + 通道) is not a mention: both
#: straddling words must be at least this frequent in jieba's dictionary (江湖/州市 in 浙江湖州市 are not
#: both: 州市 is rare).
COMMON_WORD = 1000
_MAX_RULE_LEN = 30


def check_rules(rules: Iterable[str]) -> list[str]:
    """Clean a rule list: stripped, empty and duplicate rules dropped, order kept.

    Raises
    ------
    CorpusError
        A rule longer than 30 code points, with more than one ``{}``, made of ``{}`` alone, holding a
        line break, or more than 500 rules.
    """
    out: list[str] = []
    for raw in rules:
        rule = str(raw).strip()
        if not rule or rule in out:
            continue
        if len(rule) > _MAX_RULE_LEN or "\n" in rule or rule.count("{}") > 1 or rule == "{}":
            raise CorpusError(_("The place rule {rule!r} is not a word or a pattern such as '{{}}路' (one {{}} for the "
                               "name, at most {max_rule_len} characters).")
                             .format(rule=rule[:40], max_rule_len=_MAX_RULE_LEN))
        out.append(rule)
    if len(out) > _MAX_RULES:
        raise CorpusError(_("{n} place rules are more than the {max_rules} Tandem keeps; remove some.")
                         .format(n=len(out), max_rules=_MAX_RULES))
    return out


def base_dictionary():
    """jieba's default tokenizer, initialised (its dictionary is read once per process and shared;
    callers only read it)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt


def _tokenizer(words: frozenset[str]):
    """jieba's default tokenizer, used read-only (no copy of its 350,000-word dictionary: a copy per
    matcher cost ~100 MB). Place names jieba does not know are cut into single characters without
    HMM, so they never fail the boundary test; names it knows as parts of longer words do."""
    return base_dictionary()


class ContextFilter:
    """Keeps a Chinese place-name candidate only where it stands as a word and no rule forbids it.

    Parameters
    ----------
    place_words : iterable of str
        Every Han surface the matcher looks for (added to the segmenter's dictionary).
    rules : iterable of str, optional
        Context rules (see the module docstring); default ``DEFAULT_RULES``.
    boundaries : bool
        Check word boundaries with jieba (default True); False keeps only the rules.
    """

    def __init__(self, place_words: Iterable[str], rules: Iterable[str] = DEFAULT_RULES, *, boundaries: bool = True):
        self._words = frozenset(w for w in place_words if w)
        self.rules = check_rules(rules)
        self._around = [tuple(r.split("{}", 1)) for r in self.rules if "{}" in r]
        self.blockers = [r for r in self.rules if "{}" not in r]
        self.boundaries = boundaries

    def _spans(self, line: str, a: int, b: int) -> list[tuple[int, int]]:
        lo, hi = max(0, a - WINDOW), min(len(line), b + WINDOW + _MAX_RULE_LEN)
        pos, spans = lo, []
        for t in _tokenizer(self._words).lcut(line[lo:hi], HMM=False):
            spans.append((pos, pos + len(t)))
            pos += len(t)
        return spans

    def _ruled_out(self, line: str, a: int, b: int, ends: set[int] | None) -> bool:
        """A rule matches around the name; with word boundaries known, a one-character rule text
        after the name must end where a word ends (无锡/路上 "on the way to Wuxi" is not 无锡路)."""
        if ends is not None and line[b:b + 1] == "路" and "{}路" in self.rules:
            word = line[b:b + 2]
            if word in _ROAD_WORDS or (word == "路上" and line[max(0, a - 1):a] not in _GOING):
                return True
        for before, after in self._around:
            if (not before or line[max(0, a - len(before)):a] == before) and \
                    (not after or (line[b:b + len(after)] == after
                                   and (ends is None or len(after) > 1 or b + 1 in ends))):
                return True
        return False

    @staticmethod
    def _stands_as_word(line: str, a: int, b: int, spans: list[tuple[int, int]]) -> bool:
        start_ok = end_ok = False
        for s, e in spans:
            if s == a or (s < a < e and e >= b and line[s:a] in PREFIX_OK):
                start_ok = True
            if e == b or (s < b < e and line[b:e] in SUFFIX_OK):
                end_ok = True
        return start_ok and end_ok

    def accept(self, line: str, a: int, b: int) -> bool:
        """Whether the candidate ``line[a:b]`` (code points of ``line``) is kept."""
        if not self.boundaries:
            return not self._ruled_out(line, a, b, None)
        spans = self._spans(line, a, b)
        ends = {e for _, e in spans}
        return not self._ruled_out(line, a, b, ends) and self._stands_as_word(line, a, b, spans) \
            and not self._split_both_sides(line, a, b)

    @staticmethod
    def _split_both_sides(line: str, a: int, b: int) -> bool:
        """The character before the name and its first form a common word, and its last with the
        character after form another (海南 + 通道 around 南通 in 上海南通道)."""
        if a == 0 or b >= len(line):
            return False
        freq = base_dictionary().FREQ
        return freq.get(line[a - 1:a + 1], 0) >= COMMON_WORD and freq.get(line[b - 1:b + 1], 0) >= COMMON_WORD


def project_rules(session) -> list[str]:
    """The project's context rules (``store.ProjectInfo`` key ``RULES_KEY``), or ``DEFAULT_RULES``."""
    import store

    row = session.get(store.ProjectInfo, RULES_KEY)
    if row is None or not isinstance(row.value, list):
        return list(DEFAULT_RULES)
    return check_rules(row.value)


def set_project_rules(session, rules: Iterable[str]) -> list[str]:
    """Store the project's context rules (checked by ``check_rules``); an empty list keeps none.
    Mentions of documents imported later use them; returns the stored list.

    Raises
    ------
    ValueError
        A malformed rule (see ``check_rules``).
    """
    import store

    clean = check_rules(rules)
    row = session.get(store.ProjectInfo, RULES_KEY)
    if row is None:
        session.add(store.ProjectInfo(key=RULES_KEY, value=clean))
    else:
        row.value = clean
    session.flush()
    return clean
