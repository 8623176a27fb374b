"""Place matching measured on the team's labelled sentences (issue 12): 210 sentences, 110 traps."""
from __future__ import annotations

import csv

import pytest

from corpus.place_context import DEFAULT_RULES, project_rules, set_project_rules
from corpus.places import PlaceMatcher

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("places_eval", Path(__file__).resolve().parent.parent / "bench" / "places_eval.py")
places_eval = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(places_eval)


@pytest.fixture(scope="module")
def rows():
    from conftest import require_shared

    with open(require_shared("cities", "cities_southeast.csv"), encoding="utf-8") as fh:
        return [(r["adcode"], r["name_zh"], r["name_short_zh"], r["name_pinyin"]) for r in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def matcher(rows):
    return PlaceMatcher.from_rows(rows)


def test_labelled_set_is_big_enough_and_half_traps():
    labelled = places_eval.read_labelled()
    assert len(labelled) >= 200
    assert sum(kind == "trap" for kind, _, _ in labelled) >= len(labelled) / 2


def test_precision_and_recall_on_the_labelled_sentences(matcher, rows):
    labelled = places_eval.read_labelled()
    ours = places_eval.evaluate(matcher, labelled)
    before = places_eval.evaluate(PlaceMatcher.from_rows(rows, counties=False, rules=(), boundaries=False), labelled)
    assert ours["precision"] >= 0.98 and ours["recall"] >= 0.95, ours["errors"]
    # issue 12: no trap sentence produces a false mention
    assert not [e for e in ours["errors"] if e["kind"] == "trap" and e["false"]], ours["errors"]
    # the traps are real: plain character matching falls into them
    assert before["precision"] < 0.85 and before["fp"] >= 4 * max(ours["fp"], 1)


def test_offsets_are_exact_on_every_sentence(matcher):
    for _, sentence, _ in places_eval.read_labelled():
        for m in matcher.find(sentence):
            assert sentence[m.start:m.end] == m.surface


def test_counties_map_to_their_prefecture_and_shared_names_are_ambiguous(matcher):
    found = matcher.find("鼓楼区的窗口和昆山的窗口都开了")
    assert [(m.surface, m.ambiguous, m.county) for m in found] == [("鼓楼区", True, "鼓楼区"), ("昆山", False, "昆山市")]
    assert set(found[0].codes) >= {"320100", "350100"} and found[1].codes == ("320500",)
    # an ordinary word that is also a county's short name is not a place; the full name is
    assert matcher.find("有关部门会同办理") == []
    assert [(m.surface, m.codes) for m in matcher.find("湖南省会同县")] == [("会同县", ("431200",))]


def test_rules_are_editable(rows):
    text = "她在温州医科大学读书，温州很美。"
    default = PlaceMatcher.from_rows(rows)
    assert [m.start for m in default.find(text)] == [2, 11]
    custom = PlaceMatcher.from_rows(rows, rules=(*DEFAULT_RULES, "{}医科大学"))
    assert [m.start for m in custom.find(text)] == [11]


def test_project_rules_are_stored_and_checked(engine):
    import store

    with store.session_scope(engine) as s:
        assert project_rules(s) == list(DEFAULT_RULES)
        assert set_project_rules(s, ["{}路", " {}路 ", "", "会同"]) == ["{}路", "会同"]
    with store.session_scope(engine) as s:
        assert project_rules(s) == ["{}路", "会同"]
        with pytest.raises(ValueError, match="not a word or a pattern"):
            set_project_rules(s, ["{}a{}"])
