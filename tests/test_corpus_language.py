"""Language from script: Chinese when Han characters are a quarter of the letters."""
from __future__ import annotations

from corpus.language import detect_language
from corpus.readers import read_file


def test_language_policy_documents_are_chinese_despite_english_source_line(shared):
    folder = shared("policy_docs")
    paths = sorted(folder.glob("*.txt"))
    assert len(paths) == 5
    for path in paths:
        text = read_file(path).text
        assert text.startswith("# SOURCE:")  # an English first line
        assert detect_language(text) == "zh", path.name


def test_language_transcripts_are_english(shared):
    for name in ("P1.txt", "P2.txt", "P3.txt", "P4.txt"):
        assert detect_language(read_file(shared("transcripts", "pdpilot", name)).text) == "en"


def test_language_mixed_texts_by_share():
    # 2 Han among 2 + 16 Latin letters = 0.11 < 0.25
    assert detect_language("苏州 is a city in Jiangsu") == "en"
    # 11 Han among 11 + 3 Latin letters = 0.79
    assert detect_language("我们用 App 办理跨城通办事项") == "zh"


def test_language_without_letters_is_english():
    assert detect_language("") == "en"
    assert detect_language("2023-05-01, 12:30 !!!") == "en"
