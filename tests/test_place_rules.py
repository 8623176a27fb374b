"""Editing the project's place-name rules and finding places again in imported documents."""
from __future__ import annotations

import csv

import store
from corpus.importer import import_text
from corpus.mentions import refind_mentions
from corpus.place_context import DEFAULT_RULES, set_project_rules


def _cities(session, shared):
    with open(shared("cities", "cities_southeast.csv"), encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            session.add(store.City(code=r["adcode"], name=r["name_zh"], short_name=r["name_short_zh"],
                                   pinyin=r["name_pinyin"], province=r["province_zh"]))


def _mentions(session):
    return [(m.surface, m.city_code) for m in session.query(store.PlaceMention).order_by(store.PlaceMention.start)]


def test_rules_change_what_is_found_again(engine, shared):
    with store.session_scope(engine) as s:
        _cities(s, shared)
    with store.session_scope(engine) as s:
        import_text(s, "她在温州医科大学读书，后来去了昆山。", name="访谈1")
        assert _mentions(s) == [("温州", "330300"), ("昆山", "320500")]
    with store.session_scope(engine) as s:
        set_project_rules(s, [*DEFAULT_RULES, "{}医科大学", "昆山"])
    with store.session_scope(engine) as s:
        out = refind_mentions(s)
        assert out == {"documents": 1, "before": 2, "after": 0, "ambiguous": 0}
        assert _mentions(s) == []
    with store.session_scope(engine) as s:
        set_project_rules(s, DEFAULT_RULES)
    with store.session_scope(engine) as s:
        assert refind_mentions(s)["after"] == 2


def test_semicolon_setting_applies_to_later_imports(engine):
    import pytest

    from corpus.errors import CorpusError
    from corpus.segment_setting import segmentation_setting, set_segmentation_setting

    text = "（一）建立机制；（二）完善标准；（三）加强监督。"
    with store.session_scope(engine) as s:
        assert segmentation_setting(s) == "split"
        assert import_text(s, text, name="a", language="zh").n_sentences == 3
        set_segmentation_setting(s, "join")
        with pytest.raises(CorpusError, match="Semicolon"):
            set_segmentation_setting(s, "merge")
    with store.session_scope(engine) as s:
        assert segmentation_setting(s) == "join"
        assert import_text(s, text, name="b", language="zh").n_sentences == 1
