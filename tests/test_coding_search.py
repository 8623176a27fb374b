"""Corpus search (keyword in context) and bulk coding of hits, on text where code points,
UTF-16 units and traditional/simplified spellings all differ.

Expected offsets are found with ``str.index`` on the literal texts below (Python counts
code points), never with the code under test.
"""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

import coding
import corpus
import store
from coding import CodingError
from coding import folding
from coding.retrieval.search import HIT_COLUMNS

# 😀 (U+1F600) and 𠀀 (U+20000) each take two UTF-16 units: any unit mix-up shifts spans.
T1 = ("😀𠀀甲：推進政務服務「通辦」，讓群眾少跑腿。\n\n"
      "乙：一网通办已经上线，通办率很高。\n\n"
      "丙：乾坤未定。Act now on the impact; ACT again.")
T2 = "上海市全面推行通辦服務。"


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        d1 = corpus.import_text(s, T1, name="访谈一", language="zh").document_id
        d2 = corpus.import_text(s, T2, name="政策二", kind="policy", language="zh").document_id
        coding.ensure_default_codebook(s)
    return {"engine": engine, "d1": d1, "d2": d2}


def _all(text, word):
    out, k = [], text.find(word)
    while k >= 0:
        out.append((k, k + len(word)))
        k = text.find(word, k + 1)
    return out


def test_simplified_pattern_finds_traditional_text_with_exact_code_point_offsets(project):
    with store.session_scope(project["engine"]) as s:
        hits = coding.search(s, "通办")
    expected = ([(project["d1"], *span) for span in sorted(_all(T1, "通辦") + _all(T1, "通办"))]
                + [(project["d2"], *span) for span in _all(T2, "通辦")])
    assert list(zip(hits["document_id"], hits["start"], hits["end"])) == expected
    first = hits.iloc[0]
    start = T1.index("通辦")
    assert first["start"] == start == len("😀𠀀甲：推進政務服務「")  # each astral character counts once
    assert corpus.to_utf16(T1, start) == start + 2  # what a UTF-16 reader would have said
    assert first["match"] == "通辦"  # the stored text, not the folded copy
    assert first["before"] == T1[:start] and first["after"] == T1[start + 2:start + 32]
    assert list(hits["match"]) == ["通辦", "通办", "通办", "通辦"]
    assert list(hits["document"]) == ["访谈一"] * 3 + ["政策二"]


def test_paragraph_numbers_and_context_width(project):
    with store.session_scope(project["engine"]) as s:
        hits = coding.search(s, "通办", document_ids=[project["d1"]], context=5)
    paragraph_of = [T1[:s].count("\n\n") + 1 for s in hits["start"]]
    assert list(hits["paragraph"]) == paragraph_of == [1, 2, 2]
    for row in hits.itertuples():
        assert row.before == T1[max(0, row.start - 5):row.start]
        assert row.after == T1[row.end:row.end + 5]


def test_traditional_pattern_and_folding_switched_off(project):
    with store.session_scope(project["engine"]) as s:
        both = coding.search(s, "通辦", document_ids=project["d1"])
        plain = coding.search(s, "通办", document_ids=project["d1"], fold_traditional=False)
        trad_only = coding.search(s, "通辦", document_ids=project["d1"], fold_traditional=False)
    assert len(both) == 3
    assert list(zip(plain["start"], plain["end"])) == _all(T1, "通办")
    assert list(zip(trad_only["start"], trad_only["end"])) == _all(T1, "通辦")


def test_phrase_level_conversion_never_applies(project):
    # OpenCC converts the phrase 乾坤 as a whole to 乾坤 but the character 乾 alone to 干; the
    # search folds character by character on both sides, so the phrase is still found.
    with store.session_scope(project["engine"]) as s:
        hits = coding.search(s, "乾坤")
    assert list(zip(hits["start"], hits["end"])) == _all(T1, "乾坤")
    assert folding.fold("乾坤") == "干坤"


def test_regex_case_and_errors(project):
    with store.session_scope(project["engine"]) as s:
        rx = coding.search(s, r"通[办辦]率?", regex=True, document_ids=project["d1"])
        acts = coding.search(s, r"\bact\b", regex=True)
        exact_case = coding.search(s, "ACT", ignore_case=False)
        for bad in ("(", "[通"):
            with pytest.raises(CodingError, match="not valid"):
                coding.search(s, bad, regex=True)
        with pytest.raises(CodingError, match="non-empty"):
            coding.search(s, "")
        with pytest.raises(CodingError, match="does not exist"):
            coding.search(s, "通办", document_ids=[999])
        with pytest.raises(CodingError):
            coding.search(s, "通办", context=-1)
    assert list(rx["match"]) == ["通辦", "通办", "通办率"]
    assert list(zip(acts["start"], acts["end"])) == [(T1.index("Act"), T1.index("Act") + 3),
                                                     (T1.index("ACT"), T1.index("ACT") + 3)]
    assert list(exact_case["start"]) == [T1.index("ACT")]


def test_zero_length_matches_are_dropped_and_limit_applies(project):
    with store.session_scope(project["engine"]) as s:
        empty = coding.search(s, "x*", regex=True)
        capped = coding.search(s, "通", limit=2)
    assert empty.empty and list(empty.columns) == HIT_COLUMNS
    assert len(capped) == 2


def test_folding_keeps_length_when_a_converter_returns_several_code_points(monkeypatch):
    class Odd:
        def convert(self, text):
            return {"辦": "办理", "讓": ""}.get(text, text)

    monkeypatch.setattr(folding, "_converter", lambda: Odd())
    folding.fold_char.cache_clear()
    folding.folded_text.cache_clear()
    try:
        text = "通辦讓𠀀😀"
        assert folding.fold(text) == text  # both unsafe results fall back to the original character
        assert len(folding.fold(text * 1000)) == len(text) * 1000
    finally:
        folding.fold_char.cache_clear()
        folding.folded_text.cache_clear()


def test_code_hits_in_bulk_then_again_without_duplicates(project):
    with store.session_scope(project["engine"]) as s:
        mark = coding.code_id_by_name(s, "Mark")
        hits = coding.search(s, "通办")
        ids = coding.code_hits(s, hits, mark, coder="r")
        again = coding.code_hits(s, hits, [mark], coder="r")
        rows = s.execute(select(store.Coding.document_id, store.Coding.start, store.Coding.end, store.Coding.quote,
                                store.Coding.coder).order_by(store.Coding.id)).all()
    assert len(ids) == 4 and again == ids
    assert [tuple(r) for r in rows] == [(d, st, e, m, "r") for d, st, e, m in
                                       zip(hits["document_id"], hits["start"], hits["end"], hits["match"])]


def test_code_hits_checks_everything_before_writing(project):
    with store.session_scope(project["engine"]) as s:
        mark = coding.code_id_by_name(s, "Mark")
        category = coding.code_id_by_name(s, "Behaviour")
        hits = coding.search(s, "通办")
        stale = hits.copy()
        stale.loc[3, "match"] = "别的"
        with pytest.raises(CodingError, match="no longer reads"):
            coding.code_hits(s, stale, mark)
        with pytest.raises(CodingError, match="category"):
            coding.code_hits(s, hits, category)
        outside = pd.DataFrame({"document_id": [project["d2"]], "start": [0], "end": [len(T2) + 1]})
        with pytest.raises(CodingError, match="outside"):
            coding.code_hits(s, outside, mark)
        with pytest.raises(CodingError, match="DataFrame"):
            coding.code_hits(s, hits[["document_id", "start"]], mark)
        n = s.scalar(select(func.count(store.Coding.id)))
    assert n == 0
