"""Auto-coding rules produce suggestions only; the review queue accepts, rejects, accepts
a whole rule and reverts it; place names give link suggestions through the same queue.

The documents' paragraphs and sentences are written by hand below (store rows), so every
expected span comes from ``str.index`` on the literal text, not from the code under test.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

import coding
import corpus
import store
from coding import CodingError
from corpus.segment import pipeline as zh_pipeline  # the pipeline spaCy rules run on
from store.models import Suggestion

# Paragraph 1 has two sentences; no spaces between Chinese words.
P1S1 = "😀我们推进一网通办。"
P1S2 = "通辦事项越来越多，通办率高！"
P2S1 = "Act now on the impact; ACT again."
TEXT = f"{P1S1}{P1S2}\n\n{P2S1}"
EN = "The one-stop service desk opened. A one stop shop is planned."


def _span(text, phrase, nth=0):
    k = -1
    for _ in range(nth + 1):
        k = text.index(phrase, k + 1)
    return k, k + len(phrase)


def _hand_doc(session, name, text, paragraphs, sentences, language="zh"):
    doc = store.Document(name=name, kind="interview", language=language, text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    for kind, spans in (("paragraph", paragraphs), ("sentence", sentences)):
        for idx, (a, b) in enumerate(spans, start=1):
            session.add(store.Segment(document_id=doc.id, kind=kind, idx=idx, start=a, end=b))
    session.flush()
    return doc.id


@pytest.fixture
def world(engine):
    p1 = (0, len(P1S1) + len(P1S2))
    p2 = (p1[1] + 2, len(TEXT))
    sentences = [(0, len(P1S1)), (len(P1S1), p1[1]), p2]
    with store.session_scope(engine) as s:
        doc = _hand_doc(s, "访谈", TEXT, [p1, p2], sentences)
        en = _hand_doc(s, "English", EN, [(0, len(EN))], [(0, EN.index(".") + 1), (EN.index("A one"), len(EN))],
                       language="en")
        coding.ensure_default_codebook(s)
        codes = {n: coding.code_id_by_name(s, n) for n in ("Mark", "Hole", "Behaviour")}
    return {"engine": engine, "doc": doc, "en": en, "codes": codes, "p1": p1, "p2": p2, "sentences": sentences}


def _n(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_keyword_rule_suggests_without_word_boundaries_and_writes_no_coding(world):
    with store.session_scope(world["engine"]) as s:
        rule = coding.add_rule(s, world["codes"]["Mark"], "keywords", ["通办", "act"])
        assert coding.run_rules(s) == 5
        queue = coding.pending(s)
        assert _n(s, store.Coding) == 0  # suggestions only
        assert coding.run_rules(s) == 0  # never twice
    expected = sorted([_span(TEXT, "通办"), _span(TEXT, "通辦"), _span(TEXT, "通办", 1),
                       _span(TEXT, "Act"), _span(TEXT, "ACT")])
    got = sorted(zip(queue.loc[queue["document_id"] == world["doc"], "start"],
                     queue.loc[queue["document_id"] == world["doc"], "end"]))
    assert got == expected  # 'act' inside 'impact' is not a match; 通辦 folds to 通办
    assert list(queue.loc[queue["document_id"] == world["en"], "quote"]) == []  # no 'act' word in EN
    assert set(queue["rule_id"]) == {rule} and set(queue["kind"]) == {"coding"}
    row = queue[queue["start"] == TEXT.index("通辦")].iloc[0]
    assert row["quote"] == "通辦" and row["before"] == TEXT[max(0, row["start"] - 30):row["start"]]
    assert int(queue["document_id"].value_counts()[world["doc"]]) == 5


def test_sentence_and_paragraph_units_merge_matches(world):
    with store.session_scope(world["engine"]) as s:
        by_sentence = coding.add_rule(s, world["codes"]["Mark"], "keywords", "通办|act", unit="sentence")
        by_paragraph = coding.add_rule(s, world["codes"]["Hole"], "regex", r"通[办辦]", unit="paragraph")
        assert coding.run_rules(s, document_ids=world["doc"]) == 3 + 1
        sent = coding.pending(s, rule_id=by_sentence)
        para = coding.pending(s, rule_id=by_paragraph)
    assert sorted(zip(sent["start"], sent["end"])) == world["sentences"]
    assert list(zip(para["start"], para["end"])) == [world["p1"]]
    assert para["quote"].iloc[0] == P1S1 + P1S2


def test_a_match_across_two_sentences_gets_both(world):
    with store.session_scope(world["engine"]) as s:
        rule = coding.add_rule(s, world["codes"]["Mark"], "regex", "通办。通辦", unit="sentence")
        coding.run_rules(s, rule)
        found = coding.pending(s, rule_id=rule)
    assert list(zip(found["start"], found["end"])) == [(world["sentences"][0][0], world["sentences"][1][1])]


def test_existing_codings_pending_and_rejected_spans_are_not_suggested_again(world):
    with store.session_scope(world["engine"]) as s:
        mark = world["codes"]["Mark"]
        coding.add_coding(s, world["doc"], *_span(TEXT, "通辦"), mark, coder="someone")
        rule = coding.add_rule(s, mark, "keywords", ["通办"])
        assert coding.run_rules(s) == 2
        first = coding.pending(s, rule_id=rule)
        coding.reject(s, int(first["id"].iloc[0]), coder="r")
        assert coding.run_rules(s) == 0
        other = coding.add_rule(s, mark, "regex", "通办")  # a second rule for the same code
        assert coding.run_rules(s, other) == 0
        assert len(coding.pending(s)) == 1


def test_accept_reject_and_errors(world):
    with store.session_scope(world["engine"]) as s:
        rule = coding.add_rule(s, world["codes"]["Mark"], "keywords", ["通办"])
        coding.run_rules(s)
        ids = list(coding.pending(s)["id"])
        cid = coding.accept(s, ids[0], "r")
        coding.reject(s, ids[1])
        row = s.get(store.Coding, cid)
        assert (row.start, row.end, row.coder, row.quote) == (*_span(TEXT, "通办"), "r", "通办")
        assert list(coding.pending(s)["id"]) == [ids[2]]
        with pytest.raises(CodingError, match="already accepted"):
            coding.accept(s, ids[0], "r")
        with pytest.raises(CodingError, match="already rejected"):
            coding.reject(s, ids[1])
        with pytest.raises(CodingError, match="does not exist"):
            coding.accept(s, 9999, "r")
        statuses = dict(s.execute(select(Suggestion.id, Suggestion.status)).all())
        assert statuses == {ids[0]: "accepted", ids[1]: "rejected", ids[2]: "pending"}
        assert s.get(Suggestion, ids[0]).result_id == cid
        assert coding.rules(s).set_index("id").loc[rule, ["n_pending", "n_accepted", "n_rejected"]].tolist() == [1, 1, 1]


def test_accept_rule_takes_only_that_rule_and_revert_undoes_the_batch(world):
    with store.session_scope(world["engine"]) as s:
        mark, hole = world["codes"]["Mark"], world["codes"]["Hole"]
        r1 = coding.add_rule(s, mark, "keywords", ["通办"])
        r2 = coding.add_rule(s, hole, "keywords", ["ACT"])
        coding.run_rules(s)
        # the same coder codes one suggested span by hand before accepting the batch
        manual = coding.add_coding(s, world["doc"], *_span(TEXT, "通办", 1), mark, coder="r")[0]
        made = coding.accept_rule(s, r1, "r")
        assert len(made) == 3 and manual in made
        assert len(coding.pending(s, rule_id=r2)) == 2 and coding.pending(s, rule_id=r1).empty
        codings = sorted(s.execute(select(store.Coding.start, store.Coding.end).where(store.Coding.code_id == mark)))
        assert codings == sorted([_span(TEXT, "通办"), _span(TEXT, "通辦"), _span(TEXT, "通办", 1)])
        edited = [c for c in made if c != manual][1]
        coding.update_coding(s, edited, end=s.get(store.Coding, edited).end + 1)
        assert coding.revert_rule(s, r1, coder="r") == 1  # the hand-made and the edited coding stay
        left = s.execute(select(store.Coding.id).where(store.Coding.code_id == mark)).scalars().all()
        assert sorted(left) == sorted([manual, edited])
        assert len(coding.pending(s, rule_id=r1)) == 1
        assert coding.reject_rule(s, r2) == 2 and coding.pending(s).shape[0] == 1


def test_rule_checks(world):
    with store.session_scope(world["engine"]) as s:
        mark = world["codes"]["Mark"]
        for kind, pattern, message in (
            ("regex", "(", "not valid"), ("keywords", [], "no word"), ("keywords", [" "], "no word"),
            ("spacy", [{"NOT_AN_ATTRIBUTE": "x"}], "not valid"), ("spacy", "text", "list of token patterns"),
            ("wordlist", ["a"], "unknown"),
        ):
            with pytest.raises(CodingError, match=message):
                coding.add_rule(s, mark, kind, pattern)
        with pytest.raises(CodingError, match="category"):
            coding.add_rule(s, world["codes"]["Behaviour"], "keywords", ["x"])
        with pytest.raises(CodingError, match="Unit"):
            coding.add_rule(s, mark, "keywords", ["x"], unit="line")
        assert _n(s, store.models.AutocodeRule) == 0


def test_preview_writes_nothing(world):
    with store.session_scope(world["engine"]) as s:
        view = coding.preview_rule(s, "keywords", ["通办"], unit="sentence", context=3)
        assert _n(s, Suggestion) == 0
    assert list(zip(view["start"], view["end"])) == world["sentences"][:2]
    assert list(view["matched"]) == ["通办", "通辦"]
    assert view["before"].iloc[1] == P1S1[-3:]


def test_spacy_token_patterns_on_the_document_language(world):
    with store.session_scope(world["engine"]) as s:
        en_rule = coding.add_rule(s, world["codes"]["Hole"], "spacy",
                                  [[{"LOWER": "one"}, {"TEXT": "-", "OP": "?"}, {"LOWER": "stop"}]])
        assert coding.run_rules(s, en_rule) == 2
        found = coding.pending(s, rule_id=en_rule)
    assert sorted(zip(found["start"], found["end"])) == [_span(EN, "one-stop"), _span(EN, "one stop")]


def test_spacy_rule_on_chinese_jieba_tokens(engine):
    text = "各地推进政务服务，优化政务服务。政务服务中心延长时间。"
    with store.session_scope(engine) as s:
        doc = corpus.import_text(s, text, name="zh", language="zh").document_id
        code = coding.add_code(s, "Service")
        rule = coding.add_rule(s, code, "spacy", [{"TEXT": "政务"}, {"TEXT": "服务"}])
        coding.run_rules(s, rule, doc)
        found = coding.pending(s)
        tokens = [t.text for t in zh_pipeline("zh").make_doc(text)]
    # the premise: jieba gives 政务 | 服务 twice, then 政务 | 服务中心 (a token the pattern does not match)
    assert tokens.count("政务") == 3 and tokens.count("服务") == 2 and "服务中心" in tokens
    assert sorted(zip(found["start"], found["end"])) == [_span(text, "政务服务"), _span(text, "政务服务", 1)]


def test_place_link_suggestions_share_the_queue(engine):
    text = "苏州和上海签了协议。\n\n宿州没有参加。"
    with store.session_scope(engine) as s:
        s.add_all([store.City(code="320500", name="苏州市", short_name="苏州"),
                   store.City(code="310000", name="上海市", short_name="上海"),
                   store.City(code="341300", name="宿州市", short_name="宿州")])
        s.flush()
        doc = corpus.import_text(s, text, name="d", language="zh").document_id
        code = coding.add_code(s, "Agreement")
        cid = coding.add_coding(s, doc, *_span(text, "苏州和上海签了协议"), code)[0]
        queue = coding.place_link_suggestions(s)
        assert sorted(queue["label"]) == ["上海市", "上海市–苏州市", "苏州市"]  # dyads in stored order a < b
        assert set(queue["coding_id"]) == {cid} and set(queue["kind"]) == {"city", "dyad"}
        dyad_row = queue[queue["kind"] == "dyad"].iloc[0]
        assert (dyad_row["city_a"], dyad_row["city_b"]) == ("310000", "320500")
        city_row = queue[queue["label"] == "苏州市"].iloc[0]
        link = coding.accept(s, int(city_row["id"]), "r")
        coding.reject(s, int(dyad_row["id"]))
        assert coding.links_of(s, cid) == [{"id": link, "kind": "city", "city_code": "320500", "label": "苏州市",
                                            "origin": "suggestion"}]
        again = coding.place_link_suggestions(s, [cid])
        assert list(again["label"]) == ["上海市"]  # accepted one is linked, rejected one stays away
        assert _n(s, Suggestion) == 3 and _n(s, store.Coding) == 1
