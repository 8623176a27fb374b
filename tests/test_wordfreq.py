"""Word frequencies checked by hand on short Chinese and English texts written for this test.

Project: cities 三沙市 and 林芝市 (jieba alone splits them: 三/沙市, 林芝/市), a code 伙伴数 under Mark.

D1 (地区=海南): 我们去三沙市调研，林芝市和三沙市之间合作。合作协议很多。
    words: 我们 去 三沙市 调研 林芝市 和 三沙市 之间 合作 合作 协议 很多            -> 12 tokens
    kept (default stop words 我们 和; single characters 去 和 dropped):
    三沙市 2, 合作 2, 调研 1, 林芝市 1, 之间 1, 协议 1, 很多 1
D2 (地区=西藏): The city signs agreements. Agreements, AGREEMENTS! Café owners signed 12 agreements in 2019.
    words: the city signs agreements agreements agreements café owners signed agreements in -> 11 tokens
    (12 and 2019 are numbers); kept: agreements 4, city 1, signs 1, café 1, owners 1, signed 1
D3 (no 地区): 伙伴数增加了。三沙市的伙伴数是十二个。
    words: 伙伴数 增加 了 三沙市 的 伙伴数 是 (十二个 is a number)                    -> 7 tokens
    kept: 伙伴数 2, 增加 1, 三沙市 1
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import coding
import store
from coding import CodingError
from coding.retrieval import wordfreq
from coding.retrieval.wordfreq import get_stopwords, reset_stopwords, set_stopwords, word_frequencies

ROOT = Path(__file__).resolve().parent.parent
D1 = "我们去三沙市调研，林芝市和三沙市之间合作。合作协议很多。"
D2 = "The city signs agreements. Agreements, AGREEMENTS! Café owners signed 12 agreements in 2019."
D3 = "伙伴数增加了。三沙市的伙伴数是十二个。"


def _doc(s, name, text, language, attributes):
    doc = store.Document(name=name, kind="interview", language=language, text=text, text_sha256="0" * 64,
                         n_chars=len(text), attributes=attributes)
    s.add(doc)
    s.flush()
    return doc.id


def _span(text, phrase):
    i = text.index(phrase)
    return i, i + len(phrase)


@pytest.fixture
def world(engine):
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        s.add_all([store.City(code="460300", name="三沙市", short_name="三沙"),
                   store.City(code="540400", name="林芝市", short_name="林芝")])
        mark = coding.code_id_by_name(s, "Mark")
        sub = coding.add_code(s, "伙伴数", parent_id=mark)
        d1 = _doc(s, "访谈一", D1, "zh", {"地区": "海南"})
        _doc(s, "Interview two", D2, "en", {"地区": "西藏"})
        _doc(s, "访谈三", D3, "zh", {})
        coding.add_coding(s, d1, *_span(D1, "三沙市调研"), mark, coder="r")
        coding.add_coding(s, d1, *_span(D1, "三沙市之间合作"), sub, coder="r")
        coding.add_coding(s, d1, *_span(D1, "三沙市之间"), mark, coder="w")  # overlaps the one above
    return {"engine": engine, "mark": mark, "sub": sub}


def _table(frame, group):
    part = frame[frame["group"] == group]
    return {w: (c, n) for w, c, n in zip(part["word"], part["count"], part["n_documents"])}


def test_tokens_by_hand_and_private_dictionary():
    words = ["三沙市", "林芝市"]
    assert wordfreq.tokenize(D1, words) == ["我们", "去", "三沙市", "调研", "林芝市", "和", "三沙市", "之间", "合作",
                                           "合作", "协议", "很多"]
    assert wordfreq.tokenize(D2) == ["the", "city", "signs", "agreements", "agreements", "agreements", "café",
                                     "owners", "signed", "agreements", "in"]
    assert wordfreq.tokenize("cross-border don't 3rd covid19 COVID-19, naïve") == [
        "cross-border", "don't", "covid", "naïve"]
    assert wordfreq.tokenize("一起签了一项协议，两个城市", []) == ["一起", "签了", "协议", "城市"]
    import jieba  # the global tokenizer is untouched: it still splits the project's names

    assert "三沙市" not in jieba.lcut(D1) and "林芝市" not in jieba.lcut(D1)


def test_by_document_counts_rates_and_stop_words(world):
    with store.session_scope(world["engine"]) as s:
        assert "我们" in get_stopwords(s) and "the" in get_stopwords(s)
        table = word_frequencies(s, by="document")
    assert list(table["group"].unique()) == ["访谈一", "Interview two", "访谈三"]
    assert _table(table, "访谈一") == {"三沙市": (2, 1), "合作": (2, 1), "调研": (1, 1), "林芝市": (1, 1),
                                     "之间": (1, 1), "协议": (1, 1), "很多": (1, 1)}
    assert list(table.loc[table["group"] == "访谈一", "word"])[:2] == ["三沙市", "合作"]  # ties by word (code point)
    assert _table(table, "Interview two") == {"agreements": (4, 1), "city": (1, 1), "signs": (1, 1), "café": (1, 1),
                                              "owners": (1, 1), "signed": (1, 1)}
    assert _table(table, "访谈三") == {"伙伴数": (2, 1), "增加": (1, 1), "三沙市": (1, 1)}
    row = table[(table["group"] == "Interview two") & (table["word"] == "agreements")].iloc[0]
    assert row["tokens"] == 11 and row["per_1000"] == pytest.approx(4 / 11 * 1000)
    with store.session_scope(world["engine"]) as s:
        assert set_stopwords(s, "合作\n  AGREEMENTS \n\n合作") == ["agreements", "合作"]
    with store.session_scope(world["engine"]) as s:
        assert get_stopwords(s) == ["agreements", "合作"]
        edited = word_frequencies(s, by="document")
        one = word_frequencies(s, by="document", min_length=1, stopwords=[])
        assert reset_stopwords(s) == wordfreq.default_stopwords()
    assert "合作" not in _table(edited, "访谈一") and "agreements" not in _table(edited, "Interview two")
    assert _table(edited, "访谈一")["我们"] == (1, 1)  # no longer a stop word
    assert edited.loc[edited["word"] == "三沙市", "per_1000"].iloc[0] == pytest.approx(2 / 12 * 1000)  # same base
    assert _table(one, "访谈三")["的"] == (1, 1) and _table(one, "访谈一")["去"] == (1, 1)


def test_by_corpus_group_and_top(world):
    with store.session_scope(world["engine"]) as s:
        corpus = word_frequencies(s, by="corpus")
        groups = word_frequencies(s, by="group", attribute="地区")
        top = word_frequencies(s, by="document", top=1)
        with pytest.raises(CodingError, match="no attribute"):
            word_frequencies(s, by="group", attribute="省")
        with pytest.raises(CodingError, match="counted by"):
            word_frequencies(s, by="city")
    t = _table(corpus, "All documents")
    assert t["三沙市"] == (3, 2) and t["伙伴数"] == (2, 1) and t["agreements"] == (4, 1)
    assert corpus["tokens"].iloc[0] == 12 + 11 + 7 and corpus["group_documents"].iloc[0] == 3
    assert corpus.loc[corpus["word"] == "三沙市", "per_1000"].iloc[0] == pytest.approx(100.0)
    assert list(groups["group"].unique()) == ["海南", "西藏", "(no value)"]
    assert _table(groups, "(no value)")["伙伴数"] == (2, 1)
    assert list(zip(top["group"], top["word"])) == [("访谈一", "三沙市"), ("Interview two", "agreements"),
                                                    ("访谈三", "伙伴数")]


def test_by_code_counts_overlapping_passages_once(world):
    with store.session_scope(world["engine"]) as s:
        with_sub = word_frequencies(s, by="code")
        own = word_frequencies(s, by="code", include_subcodes=False)
        only_w = word_frequencies(s, by="code", coder="w", include_subcodes=False)
    # Mark with sub-codes: 三沙市调研 + (三沙市之间合作 ∪ 三沙市之间) -> 三沙市 调研 | 三沙市 之间 合作: 5 tokens
    mark = _table(with_sub, "Behaviour/Mark")
    assert mark == {"三沙市": (2, 1), "调研": (1, 1), "之间": (1, 1), "合作": (1, 1)}
    assert with_sub.loc[with_sub["group"] == "Behaviour/Mark", "tokens"].iloc[0] == 5
    assert _table(with_sub, "Behaviour") == mark  # a category takes the text of the codes below it
    assert _table(with_sub, "Behaviour/Mark/伙伴数") == {"三沙市": (1, 1), "之间": (1, 1), "合作": (1, 1)}
    # Mark's own codings: 三沙市调研 and 三沙市之间
    assert _table(own, "Behaviour/Mark") == {"三沙市": (2, 1), "调研": (1, 1), "之间": (1, 1)}
    assert "Behaviour" not in set(own["group"])
    assert set(only_w["group"]) == {"Behaviour/Mark"} and _table(only_w, "Behaviour/Mark") == {
        "三沙市": (1, 1), "之间": (1, 1)}


def test_tokenisation_is_cached_per_text(monkeypatch):
    calls = []
    real = wordfreq.tokenize
    monkeypatch.setattr(wordfreq, "tokenize", lambda text, words=None: calls.append(text) or real(text, words))
    text = "缓存测试：这段话只切一次。" + str(id(calls))
    first = wordfreq.word_counts(text, ["三沙市"])
    second = wordfreq.word_counts(text, ["三沙市"])
    assert first == second == Counter(real(text, ["三沙市"])) and len(calls) == 1
    wordfreq.word_counts(text, ["林芝市"])  # other project words: tokenised again
    assert len(calls) == 2
    monkeypatch.setattr(wordfreq, "CACHE_PAIRS", 12)  # the memory bound: the oldest texts are dropped
    for k in range(5):
        wordfreq.word_counts(f"第{k}段：城市合作协议增加", [])
    assert wordfreq._cache_pairs <= 12 and wordfreq._cache_pairs == sum(len(c) for c in wordfreq._cache.values())
    wordfreq.word_counts(text, ["三沙市"])  # long gone from the cache: tokenised again
    assert len(calls) == 8


def test_stopword_refusals(world):
    with store.session_scope(world["engine"]) as s:
        with pytest.raises(CodingError, match="longer than 50"):
            set_stopwords(s, ["x" * 51])
        with pytest.raises(CodingError, match="must be text"):
            set_stopwords(s, [1, 2])
        with pytest.raises(CodingError, match="1 or more"):
            word_frequencies(s, min_length=0)


def test_frequencies_command(world, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the command is checked on the SQLite project; the library runs on both backends above")
    project = str(world["engine"].url.database)
    world["engine"].dispose()
    done = subprocess.run([sys.executable, "cli.py", "frequencies", "--project", project, "--by", "group",
                           "--attribute", "地区", "--top", "2", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [g["group"] for g in data["groups"]] == ["海南", "西藏", "(no value)"]
    assert data["groups"][1]["words"][0] == {"word": "agreements", "count": 4, "per_1000": round(4000 / 11, 3),
                                             "n_documents": 1}
    assert [w["word"] for w in data["groups"][0]["words"]] == ["三沙市", "合作"]
    out = tmp_path / "f.xlsx"
    done = subprocess.run([sys.executable, "cli.py", "frequencies", "--project", project, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr and out.is_file()
    bad = subprocess.run([sys.executable, "cli.py", "frequencies", "--project", project, "--by", "group"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "--attribute" in bad.stderr
