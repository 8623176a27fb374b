"""Sentence splitting keeps opening quotes and brackets with the sentence they open, and list
items ending in ；can be kept as sentences or joined (issue 12, part 4)."""
from __future__ import annotations

import re
import unicodedata

import pytest

from corpus.errors import CorpusError
from corpus.segment import segment

OPENERS = "“‘「『《〈（(［[【〔"
CLOSERS = "”’」』》〉）)］]】〕\""


def _sents(text: str, language: str = "zh", semicolons: str = "split") -> list[str]:
    return [text[a:b] for a, b in segment(text, language, semicolons).sentences]


def test_opening_quote_and_title_bracket_start_the_next_sentence():
    text = "各地要加快推进。“放管服”改革是重点。《条例》规定如下；“一网通办”要落实。"
    assert _sents(text) == ["各地要加快推进。", "“放管服”改革是重点。", "《条例》规定如下；", "“一网通办”要落实。"]


def test_closing_quote_after_the_mark_stays_and_ascii_quotes_are_balanced():
    text = '他说："推进。"然后走了。群众说："好！""很好！"'
    assert _sents(text) == ['他说："推进。"', "然后走了。", '群众说："好！"', '"很好！"']


def test_english_quotes_and_brackets():
    text = 'He said "Go." "Stop it." (And then) he left.'
    assert _sents(text, "en") == ['He said "Go."', '"Stop it."', "(And then) he left."]


def test_semicolon_items_split_or_joined():
    text = "（一）建立机制；（二）完善标准；（三）加强监督。"
    assert _sents(text, semicolons="split") == ["（一）建立机制；", "（二）完善标准；", "（三）加强监督。"]
    assert _sents(text, semicolons="join") == [text]
    with pytest.raises(CorpusError, match="Semicolon"):
        segment(text, "zh", "merge")


def test_spans_tile_each_paragraph_without_losing_text():
    text = "推进。“放管服”改革。\n\n“第二段”开始；（一）项目；“引号”结束！"
    seg = segment(text, "zh")
    for a, b in seg.paragraphs:
        inside = [(s, e) for s, e in seg.sentences if a <= s and e <= b]
        joined = "".join(text[s:e] for s, e in inside)
        assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", text[a:b])


@pytest.mark.parametrize("semicolons", ["split", "join"])
def test_policy_documents(shared, semicolons):
    folder = shared("policy_docs")
    files = sorted(folder.glob("*.txt"))
    assert len(files) >= 5
    for path in files:
        text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8").replace("\r\n", "\n"))
        seg = segment(text, "zh", semicolons)
        ends = {e for _, e in seg.sentences}
        para_ends = {e for _, e in seg.paragraphs}
        for s, e in seg.sentences:
            assert text[e - 1] not in OPENERS, (path.name, text[s:e])
        # every ；that closes a list item (not inside a quotation: the next character is no closer),
        # found here by a regular expression, ends a sentence when split, and only a paragraph when joined
        items = [m.end() for m in re.finditer(r"；(?![" + re.escape(CLOSERS) + "])", text)]
        if semicolons == "split":
            assert all(p in ends for p in items), path.name
        else:
            assert all(p in para_ends for p in items if p in ends), path.name
