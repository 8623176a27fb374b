"""Place matcher: Chinese names at character level, pinyin as whole words, ambiguity, blockers."""
from __future__ import annotations

import csv

import pytest

import store
from corpus.errors import CorpusError
from corpus.places import Mention, PlaceMatcher


def _cities(shared):
    with open(shared("cities", "cities_southeast.csv"), encoding="utf-8") as fh:
        return [
            {"code": r["adcode"], "name": r["name_zh"], "short_name": r["name_short_zh"], "pinyin": r["name_pinyin"]}
            for r in csv.DictReader(fh)
        ]


@pytest.fixture
def matcher(shared):
    return PlaceMatcher(_cities(shared))


def _found(matcher, text):
    mentions = matcher.find(text)
    for m in mentions:
        assert text[m.start : m.end] == m.surface
    return [(m.surface, m.codes, m.ambiguous) for m in mentions]


def test_places_suzhou_full_short_and_ambiguous_pinyin(matcher):
    text = "苏州市与宿州市签约；苏州人说Suzhou很好。"
    assert _found(matcher, text) == [
        ("苏州市", ("320500",), False),
        ("宿州市", ("341300",), False),
        ("苏州", ("320500",), False),
        ("Suzhou", ("320500", "341300"), True),
    ]


def test_places_taizhou_and_fuzhou_pinyin_list_all_candidates(matcher):
    found = _found(matcher, "Taizhou, FUZHOU and fuzhou.")
    assert found == [
        ("Taizhou", ("321200", "331000"), True),
        ("FUZHOU", ("350100", "361000"), True),
        ("fuzhou", ("350100", "361000"), True),
    ]


def test_places_district_maps_to_prefecture_and_longest_match_wins(matcher):
    text = "常州市武进区与盐城市签署协议，苏州市政府出席"
    mentions = matcher.find(text)
    assert mentions[0] == Mention(0, 3, "常州市", ("320400",), False)
    # the district 武进区 is reported as its prefecture 常州 (issue 12: districts and counties)
    assert [(m.surface, m.codes, m.county) for m in mentions] == [
        ("常州市", ("320400",), ""),
        ("武进区", ("320400",), "武进区"),
        ("盐城市", ("320900",), ""),
        ("苏州市", ("320500",), ""),
    ]


def test_places_names_not_aligned_with_words_are_found(matcher):
    # jieba may read 苏州市政府 as 苏州 / 市政府; character matching does not care.
    assert _found(matcher, "在苏州市政府和无锡工作") == [("苏州市", ("320500",), False), ("无锡", ("320200",), False)]


def test_places_pinyin_is_whole_word_and_case_insensitive(matcher):
    assert _found(matcher, "Wuxi and Wuxing; WUXI-based; wuxi(Jiangsu).") == [
        ("Wuxi", ("320200",), False),
        ("WUXI", ("320200",), False),
        ("wuxi", ("320200",), False),
    ]


def test_places_pinyin_apostrophe_forms(matcher):
    assert _found(matcher, "Huai'an, Huai’an and Huaian; Ji'an but not Jian.") == [
        ("Huai'an", ("320800",), False),
        ("Huai’an", ("320800",), False),
        ("Huaian", ("320800",), False),
        ("Ji'an", ("360800",), False),
    ]


def test_places_blockers_suppress_names_inside_other_words(matcher):
    assert _found(matcher, "湖南通过了新规") == []  # 湖南 + 通过, not 南通
    assert _found(matcher, "浙江门户网站") == []  # 浙江 + 门户, not 江门
    assert _found(matcher, "孙中山先生在中山大学") == []
    assert _found(matcher, "上海南通两地") == [("南通", ("320600",), False)]
    assert _found(matcher, "中山市和中山") == [("中山市", ("442000",), False), ("中山", ("442000",), False)]


def test_places_extra_blockers_and_autonomous_prefecture(shared):
    matcher = PlaceMatcher(_cities(shared), extra_blockers=["来宾"])
    assert _found(matcher, "各位来宾，来宾市和恩施州") == [
        ("来宾市", ("451300",), False),
        ("恩施", ("422800",), False),
    ]


def test_places_from_session_reads_store_cities(engine):
    with store.session_scope(engine) as session:
        session.add_all([
            store.City(code="320500", name="苏州市", short_name="苏州", pinyin="Suzhou"),
            store.City(code="341300", name="宿州市", short_name="宿州", pinyin="Suzhou"),
        ])
    with store.session_scope(engine) as session:
        matcher = PlaceMatcher.from_session(session)
    assert matcher.n_cities == 2
    assert matcher.codes == {"320500", "341300"}
    assert [(m.surface, m.codes, m.ambiguous) for m in matcher.find("宿州 Suzhou")] == [
        ("宿州", ("341300",), False),
        ("Suzhou", ("320500", "341300"), True),
    ]


def test_places_city_without_code_is_refused():
    with pytest.raises(CorpusError, match="city number 2"):
        PlaceMatcher([{"code": "1", "name": "A"}, {"code": "", "name": "B"}])


def test_places_mentions_never_span_lines(matcher):
    assert _found(matcher, "苏\n州") == []
